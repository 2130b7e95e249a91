//! Channels: what Ordo keeps of each sales channel besides its orders. Owns drift (fields
//! that appear in or vanish from a platform's payloads, against stored baselines), order
//! flags, cross-channel matching and merges of orders that ship together.
//!
//! Depends on `orders`, `delivery` and `stock`.

pub mod baselines;
pub mod records;
pub mod sql;
pub mod steps;

#[cfg(feature = "contract")]
pub mod contract;
