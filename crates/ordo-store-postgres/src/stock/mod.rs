//! Stock: inventory, reservations and what orders wait for (aliases, channel rules,
//! published quantities and alerts are written once in the port). Mirrors `ordo_store::stock`.

pub(crate) mod alloc_tx;
pub(crate) mod inventory;
pub(crate) mod rows;
pub(crate) mod stock_flow;
pub(crate) mod stock_tx;
