//! Auto-repair of an order input: re-expressing what the order already says, in the form
//! Ordo expects, and listing what it cannot decide.
//!
//! A repair never invents data. It cleans text, turns country names into codes, phone
//! numbers into E.164 and postal codes into their canonical form, splits a Chinese address
//! written in one line, expands short region names and corrects a province that does not
//! contain the (unambiguous) city. When two readings are possible, or a digit is missing,
//! the field is left exactly as it was and an [`Unresolved`] entry says why, with a
//! suggestion where there is one. Repairing a repaired order changes nothing.

mod address;
mod contact;

use ordo_core::input::OrderInput;
use serde::{Deserialize, Serialize};

use crate::text::{self, Step};
use crate::{country, phone};

/// What the repair may assume.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepairOptions {
    /// Country (code or name) national phone numbers are read in when the address names
    /// none. It is never written into the order: a country the order does not state or
    /// imply stays missing.
    pub default_country: Option<String>,
}

/// The kind of one repair; stable snake_case names for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepairKind {
    /// Whitespace collapsed or trimmed.
    Whitespace,
    /// Full-width ASCII made ASCII.
    FullWidth,
    /// Zero-width or control characters removed.
    InvisibleChar,
    /// Mojibake (UTF-8 read as Windows-1252) decoded.
    Encoding,
    /// Country name or alpha-3 code replaced by the alpha-2 code.
    CountryCode,
    /// Missing country filled from the Chinese province the address names.
    CountryInferred,
    /// Postal code written in the country's canonical form.
    PostalCode,
    /// Phone number written in E.164.
    Phone,
    /// US state name replaced by its USPS code.
    StateCode,
    /// Province, city and district moved out of the address line into their fields.
    AddressSplit,
    /// Short region name replaced by the full official name.
    AddressExpand,
    /// Missing city or province filled from a district or city that exists in one place.
    RegionInferred,
    /// Province replaced by the one that contains the city (or district).
    ProvinceMismatch,
    /// Recipient name or phone, pasted into the address line, removed because the
    /// address's own fields hold the same.
    DuplicateContact,
}

/// One change to one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    /// JSON path of the field, e.g. `shipping_address.province` or `lines[0].sku`.
    pub field: String,
    /// What was done.
    pub kind: RepairKind,
    /// Value before this change.
    pub before: Option<String>,
    /// Value after this change.
    pub after: Option<String>,
}

/// Something the repair could not decide, for a person to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// JSON path of the field.
    pub field: String,
    /// Stable code: `ambiguous_region`, `region_conflict`, `unknown_region`,
    /// `missing_street`, `invalid_phone`, `invalid_postal_code`, `unknown_country`,
    /// `missing_country`, `unknown_state`, `missing_region`, `incomplete_region`.
    pub code: &'static str,
    /// What is wrong, in a sentence.
    pub message: String,
    /// A likely fix, when there is one; never applied automatically.
    pub suggestion: Option<String>,
}

/// The repaired copy and an account of the work.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepairOutcome {
    /// The order with every repair applied.
    pub input: OrderInput,
    /// Every change, in the order it was made.
    pub repairs: Vec<Repair>,
    /// What is left for a person.
    pub unresolved: Vec<Unresolved>,
}

/// Collects repairs and unresolved items while walking the order.
#[derive(Default)]
pub(crate) struct Journal {
    repairs: Vec<Repair>,
    unresolved: Vec<Unresolved>,
}

impl Journal {
    fn record(&mut self, field: &str, kind: RepairKind, before: Option<&str>, after: Option<&str>) {
        self.repairs.push(Repair {
            field: field.to_owned(),
            kind,
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        });
    }

    fn flag(&mut self, field: &str, code: &'static str, message: impl Into<String>, suggestion: Option<String>) {
        self.unresolved.push(Unresolved {
            field: field.to_owned(),
            code,
            message: message.into(),
            suggestion,
        });
    }

    /// Sets `slot` to `value`, recording the change when it is one.
    fn set(&mut self, field: &str, kind: RepairKind, slot: &mut Option<String>, value: Option<String>) {
        if *slot != value {
            self.record(field, kind, slot.as_deref(), value.as_deref());
            *slot = value;
        }
    }
}

/// How much of [`text::clean`] a field gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TextMode {
    /// Names, address lines: the full clean-up.
    Line,
    /// Remarks: the full clean-up, line breaks kept.
    Multiline,
    /// SKU codes: invisible characters, full-width and the ends only; inner spaces may
    /// be part of a code.
    Code,
}

/// One step of cleaning a code: the changed text, or `None` when nothing changed.
type CodeStep = fn(&str) -> Option<String>;

fn clean_field(journal: &mut Journal, field: &str, slot: &mut Option<String>, mode: TextMode) {
    let Some(value) = slot.as_deref() else { return };
    let kind_of = |step| match step {
        Step::Invisible => RepairKind::InvisibleChar,
        Step::FullWidth => RepairKind::FullWidth,
        Step::Encoding => RepairKind::Encoding,
        Step::Whitespace => RepairKind::Whitespace,
    };
    let cleaned = match mode {
        TextMode::Line | TextMode::Multiline => {
            text::clean_traced(value, mode == TextMode::Multiline, |step, before, after| {
                journal.record(field, kind_of(step), Some(before), Some(after));
            })
        }
        TextMode::Code => {
            let steps: [(RepairKind, CodeStep); 3] = [
                (RepairKind::InvisibleChar, text::strip_invisible),
                (RepairKind::FullWidth, text::to_half_width),
                (RepairKind::Whitespace, |s| Some(s.trim().to_owned())),
            ];
            let mut current = value.to_owned();
            for (kind, apply) in steps {
                if let Some(next) = apply(&current).filter(|n| *n != current) {
                    journal.record(field, kind, Some(&current), Some(&next));
                    current = next;
                }
            }
            current
        }
    };
    *slot = Some(cleaned);
}

fn repair_phone(journal: &mut Journal, field: &str, slot: &mut Option<String>, region: Option<&str>) {
    let Some(value) = slot.as_deref().filter(|v| !v.trim().is_empty()) else {
        return;
    };
    // All or nothing: a number that cannot be read is left exactly as it came, so the
    // person reviewing it sees what the buyer typed.
    match phone::normalise(value, region) {
        Ok(p) => journal.set(field, RepairKind::Phone, slot, Some(p.e164)),
        Err(e) => journal.flag(field, "invalid_phone", e.to_string(), None),
    }
}

/// Repairs a copy of `input`; see the module documentation for what is and is not done.
pub fn repair(input: &OrderInput, options: &RepairOptions) -> RepairOutcome {
    let mut order = input.clone();
    let mut journal = Journal::default();

    if let Some(buyer) = order.buyer.as_mut() {
        clean_field(&mut journal, "buyer.name", &mut buyer.name, TextMode::Line);
        clean_field(&mut journal, "buyer.email", &mut buyer.email, TextMode::Line);
    }
    clean_field(&mut journal, "remark", &mut order.remark, TextMode::Multiline);
    for (i, line) in order.lines.iter_mut().enumerate() {
        clean_field(&mut journal, &format!("lines[{i}].sku"), &mut line.sku, TextMode::Code);
        clean_field(
            &mut journal,
            &format!("lines[{i}].title"),
            &mut line.title,
            TextMode::Line,
        );
    }

    let mut region = options.default_country.as_deref().and_then(country::normalise);
    if let Some(a) = order.shipping_address.as_mut() {
        for (name, slot) in [
            ("name", &mut a.name),
            ("country", &mut a.country),
            ("province", &mut a.province),
            ("city", &mut a.city),
            ("district", &mut a.district),
            ("line1", &mut a.line1),
            ("line2", &mut a.line2),
        ] {
            clean_field(&mut journal, &format!("shipping_address.{name}"), slot, TextMode::Line);
        }
        if let Some(iso2) = address::repair_address(&mut journal, a) {
            region = Some(iso2);
        }
        repair_phone(&mut journal, "shipping_address.phone", &mut a.phone, region);
    }
    if let Some(buyer) = order.buyer.as_mut() {
        repair_phone(&mut journal, "buyer.phone", &mut buyer.phone, region);
    }

    RepairOutcome {
        input: order,
        repairs: journal.repairs,
        unresolved: journal.unresolved,
    }
}

#[cfg(test)]
mod tests;
