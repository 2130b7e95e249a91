//! Ordo's geography: where an order goes, written down the same way every time.
//!
//! Owns the embedded reference tables (Chinese provinces, prefecture-level cities and
//! districts; countries; US states, each with a centroid) and the pure functions built on
//! them: country, postal-code and phone normalisation ([`country`], [`postal`], [`phone`]),
//! text clean-up ([`text`]), Chinese address parsing and reconciliation ([`cn`]), centroid
//! lookup ([`locate()`]), auto-repair of an order input ([`repair()`]) and a seeded corpus of
//! broken orders that measures that repair ([`corpus`]).
//!
//! Invariant: nothing here does IO, reads a clock or draws unseeded random numbers. The
//! tables are compiled in with `include_str!` (see `data/PROVENANCE.md`), so every answer
//! depends only on the arguments.
//!
//! ```
//! use ordo_core::input::{AddressInput, OrderInput};
//! use ordo_geo::{RepairKind, RepairOptions, repair};
//!
//! let order = OrderInput {
//!     shipping_address: Some(AddressInput {
//!         name: Some("王小明".into()),
//!         phone: Some("138-0013-8000".into()),
//!         country: Some("中国".into()),
//!         line1: Some("广东深圳南山区科技园路１号".into()),
//!         ..AddressInput::default()
//!     }),
//!     ..OrderInput::default()
//! };
//! let outcome = repair(&order, &RepairOptions::default());
//! let address = outcome.input.shipping_address.unwrap();
//! assert_eq!(address.country.as_deref(), Some("CN"));
//! assert_eq!(address.phone.as_deref(), Some("+8613800138000"));
//! assert_eq!(address.province.as_deref(), Some("广东省"));
//! assert_eq!(address.city.as_deref(), Some("深圳市"));
//! assert_eq!(address.district.as_deref(), Some("南山区"));
//! assert_eq!(address.line1.as_deref(), Some("科技园路1号"));
//! assert!(outcome.repairs.iter().any(|r| r.kind == RepairKind::AddressSplit));
//! ```

#![warn(missing_docs)]

pub mod cn;
pub mod corpus;
pub mod country;
mod locate;
pub mod phone;
mod point;
pub mod postal;
pub mod repair;
pub mod text;
mod tsv;
pub mod us;

pub use cn::{CnAddress, Reconciled, parse_address, reconcile};
pub use locate::{Level, Located, locate};
pub use phone::{Phone, PhoneError, PhoneKind};
pub use point::{GeoPoint, haversine_km};
pub use postal::PostalError;
pub use repair::{Repair, RepairKind, RepairOptions, RepairOutcome, Unresolved, repair};
