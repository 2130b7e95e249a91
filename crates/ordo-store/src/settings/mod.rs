//! Settings: what a tenant configures at run time and every node applies within a
//! second. Owns connections (a tenant's channel accounts and warehouse connectors, with
//! their credentials sealed by the application before they reach the store) and policies
//! (versioned text the application checks before saving).
//!
//! Depends on nothing but the shared modules.

pub mod connections;
pub mod policies;

#[cfg(feature = "contract")]
pub mod contract;
