//! Review: holds and the exception queue. Mirrors `ordo_store::review`.

pub(crate) mod store;
