//! Stock: inventory, reservations, channel rules, published quantities and alerts. Mirrors `ordo_store::stock`.

pub(crate) mod alloc_tx;
pub(crate) mod inventory;
pub(crate) mod rows;
pub(crate) mod stock_flow;
pub(crate) mod stock_tx;
