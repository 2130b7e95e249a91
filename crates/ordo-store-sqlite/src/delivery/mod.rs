//! Delivery: the outbox, the feed and webhook subscriptions. Mirrors `ordo_store::delivery`.

pub(crate) mod outbox;
pub(crate) mod subscriptions;
