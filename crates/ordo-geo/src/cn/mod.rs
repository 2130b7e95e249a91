//! Chinese addresses: the region table, parsing one address line, and reconciling
//! province, city and district.

mod parse;
mod reconcile;
pub mod regions;

pub use parse::{CnAddress, parse_address};
pub use reconcile::{Place, Reconciled, Status, reconcile};
pub use regions::{CnLevel, Region};
