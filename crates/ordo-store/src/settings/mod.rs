//! Settings: what a tenant configures at run time and every node applies within a
//! second. Owns connections (a tenant's channel accounts and warehouse connectors, with
//! their credentials sealed by the application before they reach the store) and policies
//! (versioned text the application checks before saving) and the people who sign in to
//! the console, their sessions and saved views.
//!
//! Depends on nothing but the shared modules.

pub mod connections;
pub mod policies;
pub mod users;

#[cfg(feature = "contract")]
pub mod contract;
#[cfg(feature = "contract")]
pub mod contract_users;
