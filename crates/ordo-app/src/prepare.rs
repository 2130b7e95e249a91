//! What happens to an order input between parsing and storing: repair (whitespace,
//! full-width forms, mojibake, country codes, postal codes, phones, Chinese addresses —
//! re-expressing what the order says, never inventing), validation, and the review
//! the store runs when the order becomes paid.

use std::sync::Arc;

use ordo_core::Order;
use ordo_core::input::OrderInput;
use ordo_store::Review;
use ordo_store::review::records::Reviewer;
use serde::Deserialize;
use serde_json::json;

use crate::payload::{PayloadError, validate};

/// How orders are repaired.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepairSettings {
    /// ISO country assumed for phones and addresses that name none.
    #[serde(default)]
    pub default_country: Option<String>,
}

/// Repair and review settings for ingestion.
#[derive(Debug, Clone, Default)]
pub struct Prepare {
    /// Repairs inputs when set.
    pub repair: Option<RepairSettings>,
    /// The review rules in force, if orders are reviewed.
    pub reviewer: Option<Arc<dyn Reviewer>>,
    /// Warehouses allocated orders go to by themselves.
    pub push: ordo_store::fulfilment::push::PushPolicy,
}

/// Repairs (if configured) and validates an input, and says how the store reviews it.
pub fn prepare(input: OrderInput, settings: &Prepare) -> (Result<Order, PayloadError>, Review) {
    let mut review = Review {
        reviewer: settings.reviewer.clone(),
        push: settings.push.clone(),
        ..Review::default()
    };
    let input = match &settings.repair {
        None => input,
        Some(repair) => {
            let options = ordo_geo::repair::RepairOptions {
                default_country: repair.default_country.clone(),
            };
            let outcome = ordo_geo::repair::repair(&input, &options);
            review.repairs = outcome
                .repairs
                .iter()
                .map(|r| json!({ "field": r.field, "kind": r.kind, "before": r.before, "after": r.after }))
                .collect();
            review.unresolved = outcome
                .unresolved
                .iter()
                .map(|u| json!({ "field": u.field, "code": u.code, "message": u.message, "suggestion": u.suggestion }))
                .collect();
            if !review.repairs.is_empty() {
                metrics::counter!("ordo_order_repairs_total").increment(review.repairs.len() as u64);
            }
            outcome.input
        }
    };
    review.phone_valid = phone_valid(&input, settings.repair.as_ref());
    (validate(input), review)
}

/// Whether the recipient's phone (else the buyer's) is a valid number; `None` when there
/// is none to check.
fn phone_valid(input: &OrderInput, repair: Option<&RepairSettings>) -> Option<bool> {
    let address = input.shipping_address.as_ref();
    let phone = address
        .and_then(|a| a.phone.as_deref())
        .or_else(|| input.buyer.as_ref().and_then(|b| b.phone.as_deref()))?;
    let country = address
        .and_then(|a| a.country.as_deref())
        .or_else(|| repair.and_then(|r| r.default_country.as_deref()))
        .unwrap_or("CN");
    Some(ordo_geo::phone::normalise(phone, Some(country)).is_ok())
}
