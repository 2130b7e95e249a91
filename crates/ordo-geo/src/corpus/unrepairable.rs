//! Breakages that destroy information: the order cannot be restored from what it says, so
//! a correct repair leaves the broken fields alone and reports them.

use ordo_core::input::OrderInput;
use rand::Rng;
use rand::rngs::StdRng;

use super::breaks::pick;
use super::orders::{self, CN_PLACES, CnPlace, Market};

/// An unrepairable breakage: name, relative frequency, and a builder of (clean, broken).
pub(super) struct Unrepairable {
    pub name: &'static str,
    pub weight: u32,
    pub build: fn(&mut StdRng, usize) -> Option<(OrderInput, OrderInput)>,
}

/// Every unrepairable breakage, with its relative frequency.
pub(super) const UNREPAIRABLE: &[Unrepairable] = &[
    Unrepairable {
        name: "ambiguous_district",
        weight: 30,
        build: ambiguous_district,
    },
    Unrepairable {
        name: "truncated_phone",
        weight: 25,
        build: truncated_phone,
    },
    Unrepairable {
        name: "missing_street",
        weight: 20,
        build: missing_street,
    },
    Unrepairable {
        name: "zip_lost_zero",
        weight: 10,
        build: zip_lost_zero,
    },
    Unrepairable {
        name: "country_missing_abroad",
        weight: 10,
        build: country_missing_abroad,
    },
    Unrepairable {
        name: "city_district_conflict",
        weight: 5,
        build: city_district_conflict,
    },
];

fn random_place(rng: &mut StdRng) -> CnPlace {
    let all = &CN_PLACES.all;
    all[rng.random_range(0..all.len())]
}

fn abroad_market(rng: &mut StdRng) -> Market {
    pick(rng, &[Market::Us, Market::Gb, Market::De, Market::Ca, Market::Jp])
}

/// 朝阳区 without its city (and province when that does not settle it either).
fn ambiguous_district(rng: &mut StdRng, index: usize) -> Option<(OrderInput, OrderInput)> {
    let in_province = rng.random_bool(0.4);
    let pool = if in_province {
        &CN_PLACES.ambiguous_in_province
    } else {
        &CN_PLACES.ambiguous_nationally
    };
    let place = pool[rng.random_range(0..pool.len())];
    let clean = orders::cn_order(rng, index, place);
    let mut broken = clean.clone();
    let a = broken.shipping_address.as_mut()?;
    a.city = None;
    if !in_province {
        a.province = None;
        if rng.random_bool(0.4) {
            // The same, written in one line.
            a.line1 = Some(format!("{}{}", a.district.take()?, a.line1.take()?));
        }
    }
    Some((clean, broken))
}

/// A mobile number with a digit lost or doubled.
fn truncated_phone(rng: &mut StdRng, index: usize) -> Option<(OrderInput, OrderInput)> {
    let chinese = rng.random_bool(0.6);
    let clean = if chinese {
        let place = random_place(rng);
        orders::cn_order(rng, index, place)
    } else {
        let market = pick(rng, &[Market::Us, Market::Ca]);
        orders::abroad_order(rng, index, market)
    };
    let mut broken = clean.clone();
    let a = broken.shipping_address.as_mut()?;
    let e164 = a.phone.clone()?;
    let (prefix, nsn) = e164.split_at(if chinese { 3 } else { 2 });
    let mut digits: Vec<char> = nsn.chars().collect();
    // Never touch the first two digits: a Chinese mobile that lost its "1" reads as a
    // landline, and a NANP number gaining a leading 1 reads as a valid one.
    let at = rng.random_range(2..digits.len());
    if rng.random_bool(0.7) {
        digits.remove(at);
    } else {
        let repeated = digits[at];
        digits.insert(at, repeated);
    }
    let nsn: String = digits.into_iter().collect();
    a.phone = Some(match rng.random_range(0..3) {
        0 => format!("{prefix}{nsn}"),
        1 => format!("{prefix} {nsn}"),
        _ => nsn,
    });
    Some((clean, broken))
}

/// No street: an empty line, or a line holding only the region names.
fn missing_street(rng: &mut StdRng, index: usize) -> Option<(OrderInput, OrderInput)> {
    if rng.random_bool(0.3) {
        let market = abroad_market(rng);
        let clean = orders::abroad_order(rng, index, market);
        let mut broken = clean.clone();
        broken.shipping_address.as_mut()?.line1 = Some(String::new());
        return Some((clean, broken));
    }
    let place = random_place(rng);
    let clean = orders::cn_order(rng, index, place);
    let mut broken = clean.clone();
    let a = broken.shipping_address.as_mut()?;
    if rng.random_bool(0.5) {
        a.line1 = Some(String::new());
    } else {
        let (province, city, district) = (
            a.province.take()?,
            a.city.take()?,
            a.district.take().unwrap_or_default(),
        );
        a.line1 = Some(format!("{province}{city}{district}"));
    }
    Some((clean, broken))
}

/// A ZIP or PLZ that lost its leading zero in a spreadsheet.
fn zip_lost_zero(rng: &mut StdRng, index: usize) -> Option<(OrderInput, OrderInput)> {
    // Bounded: a third of the US samples and one German one start with 0.
    for _ in 0..64 {
        let market = pick(rng, &[Market::Us, Market::De]);
        let clean = orders::abroad_order(rng, index, market);
        let postal = clean.shipping_address.as_ref()?.postal_code.clone()?;
        if let Some(stripped) = postal.strip_prefix('0') {
            let mut broken = clean.clone();
            broken.shipping_address.as_mut()?.postal_code = Some(stripped.to_owned());
            return Some((clean, broken));
        }
    }
    None
}

/// An address abroad without its country: nothing in it names one for certain.
fn country_missing_abroad(rng: &mut StdRng, index: usize) -> Option<(OrderInput, OrderInput)> {
    let market = abroad_market(rng);
    let clean = orders::abroad_order(rng, index, market);
    let mut broken = clean.clone();
    broken.shipping_address.as_mut()?.country = None;
    Some((clean, broken))
}

/// The city of a neighbouring prefecture with the district of another: which one is
/// wrong cannot be told.
fn city_district_conflict(rng: &mut StdRng, index: usize) -> Option<(OrderInput, OrderInput)> {
    for _ in 0..64 {
        let place = random_place(rng);
        let Some(district) = place.district else { continue };
        let others: Vec<_> = place
            .province
            .children()
            .filter(|c| c.code != place.city.code && c.children().all(|d| d.name != district.name))
            .collect();
        if others.is_empty() {
            continue;
        }
        let other = others[rng.random_range(0..others.len())];
        let clean = orders::cn_order(rng, index, place);
        let mut broken = clean.clone();
        broken.shipping_address.as_mut()?.city = Some(other.name.to_owned());
        return Some((clean, broken));
    }
    None
}
