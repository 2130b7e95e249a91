//! Stock: warehouses and SKUs, aliases, levels and movements, sourcing. Mirrors `ordo_store::stock`.

pub mod aliases;
pub mod catalogue;
pub mod levels;
pub mod routing;
