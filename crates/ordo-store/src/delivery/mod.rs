//! Delivery: what leaves Ordo. Owns the outbox (a message for an outside system written in
//! the transaction that caused it, then delivered, retried and dead-lettered), the live
//! feed numbered per tenant, and webhook subscriptions with their deliveries.
//!
//! Depends on `orders`.

pub mod records;
pub mod subscriptions;

#[cfg(feature = "contract")]
pub mod contract;
