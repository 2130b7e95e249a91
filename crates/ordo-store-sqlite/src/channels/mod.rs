//! Channels: drift, flags, matching and merges. Mirrors `ordo_store::channels`.

pub(crate) mod store;
