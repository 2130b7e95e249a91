//! Cluster: the nodes sharing one database and the leases that make each piece of
//! background work run on one of them at a time (a channel connection's poller, each
//! sweeper). A lease is held until it expires; its holder renews it well before, so a node
//! that dies is replaced once its leases run out, and a live one is never doubled.
//!
//! Depends on nothing but the shared modules.

pub mod gauges;
pub mod leases;

#[cfg(feature = "contract")]
pub mod contract;
