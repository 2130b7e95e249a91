//! Stock: one true inventory. Owns warehouses, SKUs and bundles, stock levels and their
//! movements, what each order holds (reservations and allocation), channel rules and the
//! quantities published to channels, low-stock alerts and forecasts, and where an order's
//! stock is sourced from.
//!
//! Depends on `orders` and `delivery`.

pub mod allocate;
pub mod inventory;
mod publish;
pub mod records;
pub mod sourcing;
pub mod sql;

#[cfg(feature = "contract")]
pub mod contract;
#[cfg(feature = "contract")]
pub mod contract_inventory;
#[cfg(feature = "contract")]
mod contract_simulation;
