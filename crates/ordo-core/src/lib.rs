//! Ordo's domain core.
//!
//! Owns the vocabulary of the whole system: identifiers, money, quantities, the canonical
//! [`order::Order`], how an inbound payload becomes one ([`input`]), and what happens when
//! an order arrives again ([`ingest`]).
//!
//! Invariant: nothing in this crate does IO, spawns tasks, reads a clock or draws random
//! numbers. Time and fresh identifiers are passed in, so every decision is a pure function
//! that tests (and simulations) can replay exactly.

pub mod aftersale;
pub mod allocation;
pub mod auth;
pub mod error;
pub mod ids;
pub mod ingest;
pub mod input;
pub mod inventory;
pub mod matching;
pub mod money;
pub mod order;

pub use error::{FieldError, ValidationErrors};
pub use ids::{ChannelId, ExternalOrderId, OrderId, Quantity, Sku, TenantId};
pub use money::{Currency, Money};
pub use order::{Order, OrderStatus};
