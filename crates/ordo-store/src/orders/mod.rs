//! Orders: the base domain. Owns tenants and tokens, the inbox of every payload that
//! arrived, the stored orders with their events, how they are searched, the row
//! operations on them that a store's transaction offers ([`rows::IngestTx`]), and the
//! dashboard rollups those transactions add to ([`kpis`], read by [`kpi_reads`]).
//!
//! Depends on no other domain.

pub mod kpi_reads;
pub mod kpis;
pub mod records;
pub mod rows;
pub mod sql;
pub mod trace;

#[cfg(feature = "contract")]
pub mod contract;
#[cfg(feature = "contract")]
pub mod contract_kpis;
