//! Fulfilment: ship, return, cancel, warehouse connectors and callbacks, tracking and consolidation. Mirrors `ordo_store::fulfilment`.

pub mod consolidation;
pub mod requests;
pub mod tracking;
pub mod wms;
