//! Channels: connectors and their cursors, drift, matching and merges. Mirrors `ordo_store::channels`.

pub mod connectors;
pub mod matching;
