//! Fulfilment: shipments and tracking (consolidation is written once in the port). Mirrors `ordo_store::fulfilment`.

pub(crate) mod shipments;
