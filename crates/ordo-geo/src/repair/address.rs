//! Repairs of the shipping address: country, Chinese regions, US states, postal code and
//! the street line.

use ordo_core::input::AddressInput;

use super::{Journal, RepairKind};
use crate::cn::{self, CnLevel, Place, Status};
use crate::{country, postal, us};

const PROVINCE: &str = "shipping_address.province";
const CITY: &str = "shipping_address.city";
const DISTRICT: &str = "shipping_address.district";
const LINE1: &str = "shipping_address.line1";

fn is_blank(slot: &Option<String>) -> bool {
    slot.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// Repairs the address in place (its text fields are already cleaned) and returns the
/// country's alpha-2 code when the address states or implies one.
pub(super) fn repair_address(journal: &mut Journal, a: &mut AddressInput) -> Option<&'static str> {
    let iso2 = repair_country(journal, a);
    match iso2 {
        Some("CN") => repair_cn(journal, a),
        Some("US") => repair_us_state(journal, a),
        _ => {}
    }
    if let (Some(iso2), Some(code)) = (iso2, a.postal_code.as_deref().filter(|c| !c.trim().is_empty())) {
        match postal::normalise(iso2, code) {
            Ok(normalised) => journal.set(
                "shipping_address.postal_code",
                RepairKind::PostalCode,
                &mut a.postal_code,
                Some(normalised),
            ),
            Err(e) => journal.flag(
                "shipping_address.postal_code",
                "invalid_postal_code",
                e.to_string(),
                None,
            ),
        }
    }
    if is_blank(&a.line1) {
        journal.flag(LINE1, "missing_street", "the address has no street line", None);
    }
    iso2
}

fn repair_country(journal: &mut Journal, a: &mut AddressInput) -> Option<&'static str> {
    const FIELD: &str = "shipping_address.country";
    if let Some(text) = a.country.as_deref().filter(|t| !t.is_empty()) {
        let Some(iso2) = country::normalise(text) else {
            let message = format!("{text:?} is not a country code or name");
            journal.flag(
                FIELD,
                "unknown_country",
                message,
                country::suggest(text).map(str::to_owned),
            );
            return None;
        };
        journal.set(FIELD, RepairKind::CountryCode, &mut a.country, Some(iso2.to_owned()));
        return Some(iso2);
    }
    // A Chinese province implies the country; nothing else does (a US-looking address may
    // be in Canada, a Chinese phone number may belong to a buyer abroad).
    let named_province = a
        .province
        .as_deref()
        .map(|p| cn::regions::find(p, CnLevel::Province))
        .unwrap_or_default();
    let from_line = || {
        let parsed = cn::parse_address(a.line1.as_deref().unwrap_or_default());
        parsed
            .city
            .and(parsed.province)
            .map(|p| cn::regions::find(&p, CnLevel::Province))
            .unwrap_or_default()
    };
    let provinces = if named_province.is_empty() && is_blank(&a.province) {
        from_line()
    } else {
        named_province
    };
    if let [province] = provinces.as_slice()
        && province.implies_cn()
    {
        journal.set(
            FIELD,
            RepairKind::CountryInferred,
            &mut a.country,
            Some("CN".to_owned()),
        );
        return Some("CN");
    }
    journal.flag(FIELD, "missing_country", "the address names no country", None);
    None
}

fn repair_us_state(journal: &mut Journal, a: &mut AddressInput) {
    let Some(text) = a.province.as_deref().filter(|t| !t.is_empty()) else {
        return;
    };
    match us::normalise_state(text) {
        Some(code) => journal.set(PROVINCE, RepairKind::StateCode, &mut a.province, Some(code.to_owned())),
        None => journal.flag(
            PROVINCE,
            "unknown_state",
            format!("{text:?} is not a US state code or name"),
            None,
        ),
    }
}

fn describe(places: &[Place]) -> String {
    places
        .iter()
        .map(|p| {
            [Some(p.province), p.city, p.district]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn repair_cn(journal: &mut Journal, a: &mut AddressInput) {
    super::contact::strip_duplicate_contact(journal, a, Some("CN"));
    if is_blank(&a.province) && is_blank(&a.city) && !is_blank(&a.line1) && split_line(journal, a) == Split::Reported {
        return;
    }
    if !reconcile_fields(journal, a) {
        return;
    }
    // The district is looked for in the line only once province and city are right, so
    // that a second repair finds nothing more to do.
    if is_blank(&a.district) && !is_blank(&a.line1) && split_district(journal, a) {
        reconcile_fields(journal, a);
    }
}

/// Reconciles province, city and district and applies the result; `false` when the
/// names could not be reconciled (which is reported).
fn reconcile_fields(journal: &mut Journal, a: &mut AddressInput) -> bool {
    let reconciled = cn::reconcile(a.province.as_deref(), a.city.as_deref(), a.district.as_deref());
    let field_of = |level: usize| [PROVINCE, CITY, DISTRICT][level];
    match &reconciled.status {
        Status::Consistent | Status::ProvinceCorrected => {
            let corrected = reconciled.status == Status::ProvinceCorrected;
            let values = [reconciled.province, reconciled.city, reconciled.district];
            for (level, slot) in [&mut a.province, &mut a.city, &mut a.district].into_iter().enumerate() {
                let Some(value) = values[level] else { continue };
                let kind = if is_blank(slot) {
                    RepairKind::RegionInferred
                } else if corrected && level == 0 {
                    RepairKind::ProvinceMismatch
                } else {
                    RepairKind::AddressExpand
                };
                journal.set(field_of(level), kind, slot, Some(value.to_owned()));
            }
            return true;
        }
        Status::Ambiguous(places) => {
            // Expanding a short name is safe even here; choosing a place is not.
            let values = [reconciled.province, reconciled.city, reconciled.district];
            for (level, slot) in [&mut a.province, &mut a.city, &mut a.district].into_iter().enumerate() {
                if let Some(value) = values[level].filter(|_| !is_blank(slot)) {
                    journal.set(field_of(level), RepairKind::AddressExpand, slot, Some(value.to_owned()));
                }
            }
            let field = if is_blank(&a.city) { CITY } else { DISTRICT };
            let message = format!("the region names fit {} places", places.len());
            journal.flag(field, "ambiguous_region", message, Some(describe(places)));
        }
        Status::Conflicting(places) => {
            let message = "the city and the district are in different places";
            journal.flag(DISTRICT, "region_conflict", message, Some(describe(places)));
        }
        Status::Unrecognised(level) => {
            let field = field_of(level.index());
            journal.flag(
                field,
                "unknown_region",
                "the name is not a Chinese region at this level",
                None,
            );
        }
        Status::Empty => journal.flag(
            PROVINCE,
            "missing_region",
            "the address names no province or city",
            None,
        ),
    }
    false
}

#[derive(PartialEq, Eq)]
enum Split {
    /// Nothing to split, or split: reconciliation goes on.
    Continue,
    /// The line could not be split and that was reported.
    Reported,
}

/// "广东省深圳市南山区科技园路1号" in line 1 with province and city empty.
fn split_line(journal: &mut Journal, a: &mut AddressInput) -> Split {
    let parsed = cn::parse_address(a.line1.as_deref().unwrap_or_default());
    if parsed.province.is_none() && parsed.city.is_none() && parsed.district.is_none() {
        return Split::Continue;
    }
    if parsed.rest.is_empty() {
        journal.flag(
            LINE1,
            "missing_street",
            "the address line holds region names but no street",
            None,
        );
        return Split::Reported;
    }
    let district = match (
        parsed.district.as_deref(),
        a.district.as_deref().filter(|d| !d.is_empty()),
    ) {
        (Some(from_line), Some(field)) if !same_district(from_line, field) => {
            let message = "the district in the address line differs from the district field";
            journal.flag(DISTRICT, "region_conflict", message, None);
            return Split::Reported;
        }
        (from_line, field) => from_line.or(field).map(str::to_owned),
    };
    let reconciled = cn::reconcile(parsed.province.as_deref(), parsed.city.as_deref(), district.as_deref());
    // Split only into a complete, certain place; otherwise the line stays as the buyer
    // wrote it and reconciliation below reports why.
    let certain = matches!(reconciled.status, Status::Consistent | Status::ProvinceCorrected);
    let complete = reconciled.city.is_some() || reconciled.province.is_some_and(|p| !has_cities(p));
    if !(certain && complete) {
        let (code, message, suggestion) = match &reconciled.status {
            Status::Ambiguous(places) => (
                "ambiguous_region",
                format!("the address line fits {} places", places.len()),
                Some(describe(places)),
            ),
            Status::Conflicting(places) => (
                "region_conflict",
                "the address line names regions that do not nest".to_owned(),
                Some(describe(places)),
            ),
            _ => ("incomplete_region", "the address line names no city".to_owned(), None),
        };
        journal.flag(LINE1, code, message, suggestion);
        return Split::Reported;
    }
    let province_kind = if reconciled.status == Status::ProvinceCorrected {
        RepairKind::ProvinceMismatch
    } else {
        RepairKind::AddressSplit
    };
    journal.set(
        PROVINCE,
        province_kind,
        &mut a.province,
        reconciled.province.map(str::to_owned),
    );
    journal.set(
        CITY,
        RepairKind::AddressSplit,
        &mut a.city,
        reconciled.city.map(str::to_owned),
    );
    if let Some(d) = reconciled.district {
        journal.set(DISTRICT, RepairKind::AddressSplit, &mut a.district, Some(d.to_owned()));
    }
    journal.set(LINE1, RepairKind::AddressSplit, &mut a.line1, Some(parsed.rest));
    Split::Continue
}

/// "南山区科技园路1号" in line 1 with the district field empty; `true` when split.
fn split_district(journal: &mut Journal, a: &mut AddressInput) -> bool {
    let parsed = cn::parse_address(a.line1.as_deref().unwrap_or_default());
    let Some(district) = parsed.district.filter(|_| !parsed.rest.is_empty()) else {
        return false;
    };
    let given = cn::reconcile(a.province.as_deref(), a.city.as_deref(), None);
    let with_district = cn::reconcile(a.province.as_deref(), a.city.as_deref(), Some(&district));
    let same_place = with_district.status == Status::Consistent
        && given.status == Status::Consistent
        && with_district.province == given.province
        && with_district.city == given.city
        && parsed.province.as_deref().is_none_or(|p| Some(p) == given.province)
        && parsed.city.as_deref().is_none_or(|c| Some(c) == given.city);
    if same_place {
        journal.set(
            DISTRICT,
            RepairKind::AddressSplit,
            &mut a.district,
            with_district.district.map(str::to_owned),
        );
        journal.set(LINE1, RepairKind::AddressSplit, &mut a.line1, Some(parsed.rest));
    }
    same_place
}

fn same_district(a: &str, b: &str) -> bool {
    let full = |n: &str| {
        cn::regions::find(n, CnLevel::District)
            .iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
    };
    a == b || full(a).iter().any(|x| full(b).contains(x))
}

fn has_cities(province: &str) -> bool {
    cn::regions::find(province, CnLevel::Province)
        .iter()
        .any(|p| p.children().next().is_some())
}
