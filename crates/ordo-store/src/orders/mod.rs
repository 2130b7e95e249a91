//! Orders: the base domain. Owns tenants and tokens, the inbox of every payload that
//! arrived, the stored orders with their events, how they are searched, and the row
//! operations on them that a store's transaction offers ([`rows::IngestTx`]).
//!
//! Depends on no other domain.

pub mod records;
pub mod rows;
pub mod sql;

#[cfg(feature = "contract")]
pub mod contract;
