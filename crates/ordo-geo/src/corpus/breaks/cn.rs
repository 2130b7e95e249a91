//! Breakages of Chinese addresses: where the regions are written and how.

use ordo_core::input::OrderInput;
use rand::Rng;
use rand::rngs::StdRng;

use super::{address, filled, pick};
use crate::cn::regions::{self, CnLevel};
use crate::corpus::orders::Market;

pub(super) fn short_names(rng: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order).filter(|_| market == Market::Cn) else {
        return false;
    };
    let (Some(province), Some(city)) = (filled(&a.province), filled(&a.city)) else {
        return false;
    };
    let province_region = regions::find(province, CnLevel::Province);
    let city_region = regions::find(city, CnLevel::City);
    let ([p], [c]) = (province_region.as_slice(), city_region.as_slice()) else {
        return false;
    };
    if p.name != province || c.name != city {
        return false;
    }
    let mut changed = false;
    if let Some(short) = p.short.filter(|_| rng.random_bool(0.8)) {
        a.province = Some(short.to_owned());
        changed = true;
    }
    if let Some(short) = c.short.filter(|_| rng.random_bool(0.8)) {
        // "恩施州" is how buyers write 恩施土家族苗族自治州 as often as "恩施".
        let colloquial = c.name.ends_with("自治州") && rng.random_bool(0.5);
        a.city = Some(if colloquial {
            format!("{short}州")
        } else {
            short.to_owned()
        });
        changed = true;
    }
    let district = filled(&a.district).and_then(|d| {
        regions::find(d, CnLevel::District)
            .into_iter()
            .find(|r| r.parent == Some(c.code))
    });
    if let Some(short) = district.and_then(|d| d.short).filter(|_| rng.random_bool(0.25)) {
        let same_short = c
            .children()
            .filter(|r| r.short == Some(short) || r.name == short)
            .count();
        if same_short == 1 {
            a.district = Some(short.to_owned());
            changed = true;
        }
    }
    changed
}

fn mainland_provinces() -> Vec<&'static str> {
    regions::regions()
        .iter()
        .filter(|r| r.level == CnLevel::Province && r.implies_cn())
        .map(|r| r.name)
        .collect()
}

pub(super) fn province_mismatch(rng: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order).filter(|_| market == Market::Cn) else {
        return false;
    };
    let Some(province) = filled(&a.province).map(str::to_owned) else {
        return false;
    };
    if filled(&a.city).is_none() {
        return false;
    }
    let others: Vec<&str> = mainland_provinces().into_iter().filter(|p| *p != province).collect();
    a.province = Some(pick(rng, &others).to_owned());
    true
}

pub(super) fn city_missing(_: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order).filter(|_| market == Market::Cn) else {
        return false;
    };
    let (Some(province), Some(district), Some(_)) = (filled(&a.province), filled(&a.district), filled(&a.city)) else {
        return false;
    };
    let provinces = regions::find(province, CnLevel::Province);
    let in_province = regions::find(district, CnLevel::District)
        .into_iter()
        .filter(|d| {
            provinces
                .iter()
                .any(|p| d.ancestor(CnLevel::Province).is_some_and(|a| a.code == p.code))
        })
        .count();
    if in_province != 1 {
        return false;
    }
    a.city = None;
    true
}

pub(super) fn address_in_line1(rng: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order).filter(|_| market == Market::Cn) else {
        return false;
    };
    let (Some(province), Some(city), Some(line1)) = (filled(&a.province), filled(&a.city), filled(&a.line1)) else {
        return false;
    };
    let district = filled(&a.district).unwrap_or_default();
    // A district's short name is only recognisable set apart, so then the parts are spaced.
    let short_district = !district.is_empty()
        && regions::find(district, CnLevel::District)
            .iter()
            .all(|d| d.name != district);
    let municipality = province == city
        || regions::find(province, CnLevel::Province)
            .iter()
            .any(|p| p.is_municipality());
    let style = if short_district { 1 } else { rng.random_range(0..5) };
    let joined = match style {
        0 if municipality && rng.random_bool(0.5) => format!("{province}{district}{line1}"),
        0 => format!("{province}{city}{district}{line1}"),
        1 => [province, city, district, line1]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" "),
        2 => format!("{city}{district}{line1}"),
        3 => format!("中国{province}{city}{district}{line1}"),
        _ => format!("{province}，{city}，{district}{line1}"),
    };
    a.line1 = Some(joined);
    a.province = None;
    a.city = None;
    a.district = None;
    true
}

pub(super) fn district_in_line1(rng: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order).filter(|_| market == Market::Cn) else {
        return false;
    };
    let (Some(district), Some(line1), Some(_), Some(_)) = (
        filled(&a.district),
        filled(&a.line1),
        filled(&a.province),
        filled(&a.city),
    ) else {
        return false;
    };
    if regions::find(district, CnLevel::District)
        .iter()
        .all(|d| d.name != district)
    {
        return false;
    }
    let separator = if rng.random_bool(0.5) { " " } else { "" };
    a.line1 = Some(format!("{district}{separator}{line1}"));
    a.district = None;
    true
}

/// "王小明 138-0013-8000 广东省深圳市…": name and number pasted along with the address.
pub(super) fn contact_in_line1(rng: &mut StdRng, market: Market, order: &mut OrderInput) -> bool {
    let Some(a) = address(order).filter(|_| market == Market::Cn) else {
        return false;
    };
    let (Some(name), Some(phone), Some(line1)) = (filled(&a.name), filled(&a.phone), filled(&a.line1)) else {
        return false;
    };
    let Some(nsn) = phone.strip_prefix("+86").filter(|n| n.len() == 11) else {
        return false;
    };
    let number = match rng.random_range(0..5) {
        0 => nsn.to_owned(),
        1 => format!("{}-{}-{}", &nsn[..3], &nsn[3..7], &nsn[7..]),
        2 => phone.to_owned(),
        3 => format!("{} {} {}", &nsn[..3], &nsn[3..7], &nsn[7..]),
        _ => format!("+86-{nsn}"),
    };
    let separator = pick(rng, &[" ", "，", ","]);
    let joined = match rng.random_range(0..3) {
        0 => format!("{name}{separator}{number}{separator}{line1}"),
        1 => format!("{line1}{separator}{name}{separator}{number}"),
        _ => format!("{number}{separator}{name}{separator}{line1}"),
    };
    a.line1 = Some(joined);
    true
}
