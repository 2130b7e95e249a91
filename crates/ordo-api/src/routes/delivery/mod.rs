//! Delivery: webhook subscriptions and the live stream. Mirrors `ordo_store::delivery`.

pub mod live;
pub mod subscriptions;
