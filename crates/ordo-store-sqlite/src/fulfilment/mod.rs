//! Fulfilment: shipments, tracking and consolidation. Mirrors `ordo_store::fulfilment`.

pub(crate) mod shipments;
