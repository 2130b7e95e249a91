//! Orders: tenants' orders and inbox rows, read and written. Mirrors `ordo_store::orders`.

pub(crate) mod batch;
pub(crate) mod ingest_tx;
pub(crate) mod kpis;
pub(crate) mod query;
