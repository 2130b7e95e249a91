//! Review: holds and the exception queue. Owns the reviewer port (the merchant's rules as
//! the store sees them), the verdict an order gets when it becomes paid, holds with who
//! opened and closed them, and the queue of held orders.
//!
//! Depends on `orders`, `delivery`, `stock` and `channels`.

pub mod records;
pub mod sql;
pub mod verdict;

#[cfg(feature = "contract")]
pub mod contract;
