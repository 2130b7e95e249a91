//! Fulfilment: what goes to warehouses and what comes back. Owns the push of allocated
//! orders to their warehouses (fulfilment requests in the outbox), consolidation (merged
//! and pooled orders shipping as one request), and shipments: the parcels that left, short
//! shipments and tracking.
//!
//! Depends on `orders`, `delivery`, `stock`, `channels` and `review`.

pub mod consolidate;
pub mod consolidate_records;
pub mod push;
pub mod shipments;
pub mod sql;

#[cfg(feature = "contract")]
pub mod contract_consolidate;
#[cfg(feature = "contract")]
pub mod contract_shipments;
