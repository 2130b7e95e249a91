//! Breakages of coded fields: phone formats, country names, postal codes, state names.

use ordo_core::input::OrderInput;
use rand::Rng;
use rand::rngs::StdRng;

use super::{address, filled, pick};
use crate::corpus::orders::Market;

pub(super) fn phone_format(rng: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let mut changed = false;
    let both = rng.random_bool(0.3);
    let shipping_first = rng.random_bool(0.6);
    let mut slots: Vec<&mut Option<String>> = Vec::new();
    if let Some(a) = order.shipping_address.as_mut() {
        slots.push(&mut a.phone);
    }
    if let Some(b) = order.buyer.as_mut() {
        slots.push(&mut b.phone);
    }
    if !shipping_first {
        slots.reverse();
    }
    for slot in slots.into_iter().take(if both { 2 } else { 1 }) {
        let Some(e164) = filled(slot).filter(|p| p.starts_with('+')) else {
            continue;
        };
        if let Some(formatted) = format_phone(rng, market, e164) {
            *slot = Some(formatted);
            changed = true;
        }
    }
    changed
}

/// The number as buyers of `market` write it.
fn format_phone(rng: &mut StdRng, market: Market, e164: &str) -> Option<String> {
    let (code, nsn) = match market {
        Market::Cn => ("86", e164.strip_prefix("+86")?),
        Market::Us | Market::Ca => ("1", e164.strip_prefix("+1")?),
        Market::Gb => ("44", e164.strip_prefix("+44")?),
        Market::De => ("49", e164.strip_prefix("+49")?),
        Market::Jp => ("81", e164.strip_prefix("+81")?),
    };
    let (a, rest) = nsn.split_at(3.min(nsn.len()));
    let (b, c) = rest.split_at(rest.len().min(if code == "86" { 4 } else { 3 }));
    let styles: Vec<String> = match code {
        "86" => vec![
            nsn.to_owned(),
            format!("{a} {b} {c}"),
            format!("{a}-{b}-{c}"),
            format!("+86 {a} {b} {c}"),
            format!("0086 {nsn}"),
            format!("86 {nsn}"),
            format!("+86-{nsn}"),
            format!("(+86){nsn}"),
        ],
        "1" => vec![
            format!("({a}) {b}-{c}"),
            format!("{a}-{b}-{c}"),
            format!("{a}.{b}.{c}"),
            format!("1 {a} {b} {c}"),
            format!("+1 ({a}) {b}-{c}"),
            format!("1-{a}-{b}-{c}"),
            nsn.to_owned(),
        ],
        _ => vec![
            format!("0{a} {b}{c}"),
            format!("0{a}-{b}-{c}"),
            format!("+{code} (0){a} {b} {c}"),
            format!("00{code} {a} {b}{c}"),
            format!("+{code} {a} {b} {c}"),
        ],
    };
    Some(pick(rng, &styles.iter().map(String::as_str).collect::<Vec<_>>()).to_owned())
}

pub(super) fn country_name(rng: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order).filter(|a| a.country.as_deref() == Some(market.iso2())) else {
        return false;
    };
    let names: &[&str] = match market {
        Market::Cn => &[
            "China",
            "中国",
            "CHN",
            "cn",
            "PRC",
            "中华人民共和国",
            "People's Republic of China",
        ],
        Market::Us => &[
            "United States",
            "USA",
            "U.S.A.",
            "United States of America",
            "us",
            "美国",
        ],
        Market::Gb => &["United Kingdom", "UK", "GBR", "Great Britain", "gb"],
        Market::De => &["Germany", "Deutschland", "DEU", "de"],
        Market::Ca => &["Canada", "CAN", "ca"],
        Market::Jp => &["Japan", "日本", "JPN", "jp"],
    };
    a.country = Some(pick(rng, names).to_owned());
    true
}

pub(super) fn country_missing(_: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order).filter(|a| market == Market::Cn && a.country.is_some()) else {
        return false;
    };
    a.country = None;
    true
}

pub(super) fn postal_format(rng: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order) else { return false };
    let Some(code) = filled(&a.postal_code).map(str::to_owned) else {
        return false;
    };
    let broken = match market {
        Market::Gb | Market::Ca => match rng.random_range(0..3) {
            0 => code.to_lowercase(),
            1 => code.replace(' ', ""),
            _ => code.replace(' ', "").to_lowercase(),
        },
        Market::Jp if rng.random_bool(0.7) => code.replace('-', ""),
        Market::Jp => format!("〒{code}"),
        Market::De => format!("D-{code}"),
        _ => return false,
    };
    a.postal_code = Some(broken);
    true
}

pub(super) fn state_name(rng: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order).filter(|_| market == Market::Us) else {
        return false;
    };
    let Some(state) = a.province.as_deref().and_then(crate::us::state) else {
        return false;
    };
    let name = match rng.random_range(0..3) {
        0 => state.name.to_owned(),
        1 => state.name.to_lowercase(),
        _ => state.name.to_uppercase(),
    };
    a.province = Some(name);
    true
}
