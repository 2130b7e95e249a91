//! Repairable breakages: the ways marketplaces and buyers garble an order that still carry
//! all the information needed to restore it exactly.
//!
//! Each breakage works on the broken copy as it stands (so two can be combined) and says
//! whether it applied; one that does not fit the order (no Chinese address, no non-ASCII
//! text) returns `false` and another is drawn.

mod cn;
mod fields;
mod text;

use ordo_core::input::{AddressInput, OrderInput};
use rand::Rng;
use rand::rngs::StdRng;

use super::orders::Market;
use cn::{address_in_line1, city_missing, contact_in_line1, district_in_line1, province_mismatch, short_names};
use fields::{country_missing, country_name, phone_format, postal_format, state_name};
use text::{full_width, mojibake, whitespace, zero_width};

/// A breakage: name, relative frequency, and the function that applies it.
pub(super) struct Breakage {
    pub name: &'static str,
    pub weight: u32,
    /// Order of application, as in real pipelines: 0 a channel maps fields, 1 the buyer
    /// pastes a contact card into the line, 2 typing and copy-paste, 3 the export that
    /// garbles bytes comes last.
    pub stage: u8,
    /// Markets whose orders it fits; empty for all.
    pub markets: &'static [Market],
    pub apply: fn(&mut StdRng, Market, &mut OrderInput) -> bool,
}

/// Pairs that may not be combined: each makes the other ambiguous.
pub(super) const CONFLICTS: &[(&str, &str)] = &[
    ("city_missing", "province_mismatch"),
    ("city_missing", "district_in_line1"),
    ("district_in_line1", "address_in_line1"),
];

/// Every repairable breakage, with frequencies as seen in marketplace order feeds.
pub(super) const REPAIRABLE: &[Breakage] = &[
    Breakage {
        name: "address_in_line1",
        weight: 18,
        stage: 0,
        markets: &[Market::Cn],
        apply: address_in_line1,
    },
    Breakage {
        name: "short_names",
        weight: 12,
        stage: 0,
        markets: &[Market::Cn],
        apply: short_names,
    },
    Breakage {
        name: "province_mismatch",
        weight: 6,
        stage: 0,
        markets: &[Market::Cn],
        apply: province_mismatch,
    },
    Breakage {
        name: "city_missing",
        weight: 5,
        stage: 0,
        markets: &[Market::Cn],
        apply: city_missing,
    },
    Breakage {
        name: "district_in_line1",
        weight: 4,
        stage: 0,
        markets: &[Market::Cn],
        apply: district_in_line1,
    },
    Breakage {
        name: "country_missing",
        weight: 4,
        stage: 0,
        markets: &[Market::Cn],
        apply: country_missing,
    },
    Breakage {
        name: "contact_in_line1",
        weight: 4,
        stage: 1,
        markets: &[Market::Cn],
        apply: contact_in_line1,
    },
    Breakage {
        name: "phone_format",
        weight: 14,
        stage: 0,
        markets: &[],
        apply: phone_format,
    },
    Breakage {
        name: "country_name",
        weight: 8,
        stage: 0,
        markets: &[],
        apply: country_name,
    },
    Breakage {
        name: "postal_format",
        weight: 10,
        stage: 0,
        markets: &[Market::Gb, Market::Ca, Market::Jp, Market::De],
        apply: postal_format,
    },
    Breakage {
        name: "state_name",
        weight: 4,
        stage: 0,
        markets: &[Market::Us],
        apply: state_name,
    },
    Breakage {
        name: "whitespace",
        weight: 12,
        stage: 2,
        markets: &[],
        apply: whitespace,
    },
    Breakage {
        name: "full_width",
        weight: 9,
        stage: 2,
        markets: &[],
        apply: full_width,
    },
    Breakage {
        name: "zero_width",
        weight: 6,
        stage: 2,
        markets: &[],
        apply: zero_width,
    },
    Breakage {
        name: "mojibake",
        weight: 5,
        stage: 3,
        markets: &[Market::Cn, Market::De, Market::Ca, Market::Jp],
        apply: mojibake,
    },
];

pub(super) fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

pub(super) fn address(order: &mut OrderInput) -> Option<&mut AddressInput> {
    order.shipping_address.as_mut()
}

pub(super) fn filled(slot: &Option<String>) -> Option<&str> {
    slot.as_deref().filter(|s| !s.is_empty())
}

/// The text fields of an order, for breakages that pick one.
fn text_slots(order: &mut OrderInput) -> Vec<(&'static str, &mut Option<String>)> {
    let mut slots: Vec<(&'static str, &mut Option<String>)> = Vec::new();
    if let Some(b) = order.buyer.as_mut() {
        slots.push(("buyer.name", &mut b.name));
        slots.push(("buyer.email", &mut b.email));
        slots.push(("buyer.phone", &mut b.phone));
    }
    if let Some(a) = order.shipping_address.as_mut() {
        slots.push(("name", &mut a.name));
        slots.push(("phone", &mut a.phone));
        slots.push(("province", &mut a.province));
        slots.push(("city", &mut a.city));
        slots.push(("district", &mut a.district));
        slots.push(("line1", &mut a.line1));
        slots.push(("line2", &mut a.line2));
        slots.push(("postal_code", &mut a.postal_code));
    }
    slots.push(("remark", &mut order.remark));
    if let Some(line) = order.lines.first_mut() {
        slots.push(("sku", &mut line.sku));
        slots.push(("title", &mut line.title));
    }
    slots
}

/// Applies `change` to one randomly chosen field among those `fits` accepts.
pub(super) fn on_some_field(
    rng: &mut StdRng,
    order: &mut OrderInput,
    fits: impl Fn(&str, &str) -> bool,
    change: impl FnOnce(&mut StdRng, &str, &str) -> String,
) -> bool {
    let mut slots: Vec<_> = text_slots(order)
        .into_iter()
        .filter(|(name, slot)| filled(slot).is_some_and(|v| fits(name, v)))
        .collect();
    if slots.is_empty() {
        return false;
    }
    let index = rng.random_range(0..slots.len());
    let (name, slot) = slots.swap_remove(index);
    let before = slot.clone().unwrap_or_default();
    let after = change(rng, name, &before);
    let changed = after != before;
    *slot = Some(after);
    changed
}
