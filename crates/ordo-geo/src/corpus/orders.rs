//! Clean, valid orders for each market, built from the embedded region table and the
//! samples. Every order here is already in the form repair produces, so repairing it
//! changes nothing.

use std::collections::HashMap;
use std::sync::LazyLock;

use ordo_core::input::{AddressInput, BuyerInput, DecimalText, LineInput, OrderInput};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::samples::{self, Abroad};
use crate::cn::regions::{self, CnLevel, Region};

/// The markets the corpus covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Market {
    Cn,
    Us,
    Gb,
    De,
    Ca,
    Jp,
}

impl Market {
    pub(super) fn iso2(self) -> &'static str {
        match self {
            Self::Cn => "CN",
            Self::Us => "US",
            Self::Gb => "GB",
            Self::De => "DE",
            Self::Ca => "CA",
            Self::Jp => "JP",
        }
    }
}

/// A place an order can be shipped to in China: a district, or a city without districts.
#[derive(Clone, Copy)]
pub(super) struct CnPlace {
    pub province: &'static Region,
    pub city: &'static Region,
    pub district: Option<&'static Region>,
}

/// Places, and the district names that are ambiguous nationally or within a province.
pub(super) struct CnPlaces {
    pub all: Vec<CnPlace>,
    /// Places whose district name exists in more than one province.
    pub ambiguous_nationally: Vec<CnPlace>,
    /// Places whose district name exists twice or more in its own province.
    pub ambiguous_in_province: Vec<CnPlace>,
}

pub(super) static CN_PLACES: LazyLock<CnPlaces> = LazyLock::new(|| {
    let mut all = Vec::new();
    for r in regions::regions() {
        let place = match r.level {
            CnLevel::District => r.parent().and_then(|city| {
                Some(CnPlace {
                    province: city.parent()?,
                    city,
                    district: Some(r),
                })
            }),
            CnLevel::City if r.children().next().is_none() => r.parent().map(|province| CnPlace {
                province,
                city: r,
                district: None,
            }),
            _ => None,
        };
        all.extend(place);
    }
    let mut provinces_of: HashMap<&str, Vec<u32>> = HashMap::new();
    for p in &all {
        if let Some(d) = p.district {
            provinces_of.entry(d.name).or_default().push(p.province.code);
        }
    }
    let (mut ambiguous_nationally, mut ambiguous_in_province) = (Vec::new(), Vec::new());
    for p in &all {
        let Some(d) = p.district else { continue };
        let provinces = &provinces_of[d.name];
        if provinces.iter().filter(|c| **c == p.province.code).count() > 1 {
            ambiguous_in_province.push(*p);
        } else if provinces.len() > 1 {
            ambiguous_nationally.push(*p);
        }
    }
    CnPlaces {
        all,
        ambiguous_nationally,
        ambiguous_in_province,
    }
});

fn money(minor: u32) -> DecimalText {
    DecimalText(format!("{}.{:02}", minor / 100, minor % 100))
}

fn lines(rng: &mut StdRng, english: bool, whole_units: bool) -> Vec<LineInput> {
    let count = rng.random_range(1..=3);
    (0..count)
        .map(|_| {
            let (sku, title_zh, title_en) = *samples::PRODUCTS.choose(rng).unwrap_or(&samples::PRODUCTS[0]);
            LineInput {
                sku: Some(sku.to_owned()),
                title: Some(if english { title_en } else { title_zh }.to_owned()),
                quantity: Some(rng.random_range(1..=3)),
                // Yen has no minor unit.
                unit_price: Some(if whole_units {
                    DecimalText(rng.random_range(500..=20_000u32).to_string())
                } else {
                    money(rng.random_range(990..=19_900))
                }),
                ..LineInput::default()
            }
        })
        .collect()
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.random_range(0..items.len())]
}

/// A Chinese mobile in E.164: a real prefix (13x–19x) and eight random digits.
fn cn_mobile(rng: &mut StdRng) -> String {
    let prefix = pick(
        rng,
        &["130", "135", "138", "139", "150", "158", "177", "186", "188", "199"],
    );
    format!("+86{prefix}{:08}", rng.random_range(0..100_000_000u32))
}

fn cn_street(rng: &mut StdRng) -> String {
    let street = pick(rng, samples::CN_STREETS);
    let number = rng.random_range(1..=999);
    match rng.random_range(0..10) {
        0..5 => format!("{street}{number}号"),
        5..8 => {
            let compound = pick(rng, samples::CN_COMPOUNDS);
            format!(
                "{street}{number}号{compound}{}栋{}室",
                rng.random_range(1..=30),
                rng.random_range(101..=2_806)
            )
        }
        _ => format!(
            "{street}{number}号 {}栋{}室",
            rng.random_range(1..=30),
            rng.random_range(101..=2_806)
        ),
    }
}

fn header(rng: &mut StdRng, index: usize, channel: &str, currency: &str) -> OrderInput {
    let minute = index % (28 * 24 * 60);
    OrderInput {
        channel: Some(channel.to_owned()),
        external_id: Some(format!(
            "{}-{index:06}-{}",
            channel.to_ascii_uppercase(),
            rng.random_range(1_000..10_000)
        )),
        placed_at: Some(format!(
            "2026-11-{:02}T{:02}:{:02}:00+08:00",
            1 + minute / (24 * 60),
            minute / 60 % 24,
            minute % 60
        )),
        currency: Some(currency.to_owned()),
        financial_status: Some("paid".to_owned()),
        ..OrderInput::default()
    }
}

/// A clean Chinese order shipped to `place`.
pub(super) fn cn_order(rng: &mut StdRng, index: usize, place: CnPlace) -> OrderInput {
    let channel = pick(rng, &["taobao", "jd", "pdd", "douyin"]);
    let name = format!("{}{}", pick(rng, samples::CN_SURNAMES), pick(rng, samples::CN_GIVEN));
    let phone = cn_mobile(rng);
    let mut order = header(rng, index, channel, "CNY");
    order.buyer = Some(BuyerInput {
        id: Some(format!("u{}", rng.random_range(10_000..99_999))),
        name: Some(name.clone()),
        email: None,
        phone: Some(phone.clone()),
    });
    order.shipping_address = Some(AddressInput {
        name: Some(name),
        phone: Some(phone),
        country: Some("CN".to_owned()),
        province: Some(place.province.name.to_owned()),
        city: Some(place.city.name.to_owned()),
        district: place.district.map(|d| d.name.to_owned()),
        line1: Some(cn_street(rng)),
        line2: None,
        postal_code: None,
    });
    order.lines = lines(rng, false, false);
    order.remark = rng.random_bool(0.3).then(|| pick(rng, samples::CN_REMARKS).to_owned());
    order
}

/// A clean order for a market abroad, at one of that market's sample places.
pub(super) fn abroad_order(rng: &mut StdRng, index: usize, market: Market) -> OrderInput {
    let (table, streets, channel, currency): (&[Abroad], &[&str], &str, &str) = match market {
        Market::Us => (samples::US, samples::US_STREETS, "shopify-us", "USD"),
        Market::Gb => (samples::GB, samples::GB_STREETS, "amazon-uk", "GBP"),
        Market::De => (samples::DE, samples::DE_STREETS, "shopify-eu", "EUR"),
        Market::Ca => (samples::CA, samples::CA_STREETS, "shopify-ca", "CAD"),
        Market::Jp | Market::Cn => (samples::JP, samples::JP_STREETS, "rakuten", "JPY"),
    };
    let place = &table[rng.random_range(0..table.len())];
    let name = match market {
        Market::De => pick(rng, samples::DE_NAMES).to_owned(),
        Market::Jp => pick(rng, samples::JP_NAMES).to_owned(),
        _ => format!("{} {}", pick(rng, samples::EN_GIVEN), pick(rng, samples::EN_SURNAMES)),
    };
    let phone = abroad_phone(rng, market, place.area);
    let mut order = header(rng, index, channel, currency);
    let email = format!(
        "{}@example.com",
        name.split(' ').next().unwrap_or("buyer").to_lowercase()
    );
    order.buyer = Some(BuyerInput {
        id: None,
        name: Some(name.clone()),
        email: (market != Market::Jp).then_some(email),
        phone: Some(phone.clone()),
    });
    order.shipping_address = Some(AddressInput {
        name: Some(name),
        phone: Some(phone),
        country: Some(market.iso2().to_owned()),
        province: Some(place.province.to_owned()).filter(|p| !p.is_empty()),
        city: Some(place.city.to_owned()),
        district: None,
        line1: Some(pick(rng, streets).to_owned()),
        line2: (market == Market::Us && rng.random_bool(0.3)).then(|| format!("Apt {}", rng.random_range(1..40))),
        postal_code: Some(place.postal.to_owned()),
    });
    order.lines = lines(rng, market != Market::Jp, market == Market::Jp);
    order.remark = (market != Market::Jp && rng.random_bool(0.2)).then(|| pick(rng, samples::EN_REMARKS).to_owned());
    order
}

fn abroad_phone(rng: &mut StdRng, market: Market, area: &str) -> String {
    match market {
        Market::Us | Market::Ca => format!("+1{area}5550{:03}", rng.random_range(100..200)),
        Market::Gb if rng.random_bool(0.5) => format!("+447700900{:03}", rng.random_range(0..1_000)),
        Market::Gb => {
            // Ofcom's drama ranges keep the 10-digit national length for every area code.
            let local_digits = 10 - area.len();
            let base = 10u64.pow(local_digits as u32 - 1);
            format!("+44{area}{}", rng.random_range(base..base * 10))
        }
        Market::De if rng.random_bool(0.4) => format!("+49151{:08}", rng.random_range(0..100_000_000u32)),
        Market::De => format!("+49{area}{}", rng.random_range(1_000_000..10_000_000u32)),
        Market::Jp if rng.random_bool(0.4) => format!("+8190{:08}", rng.random_range(0..100_000_000u32)),
        Market::Jp => {
            // Japanese landlines have nine national digits whatever the area code length.
            let local_digits = 9 - area.len();
            let base = 10u64.pow(local_digits as u32 - 1);
            format!("+81{area}{}", rng.random_range(base..base * 10))
        }
        Market::Cn => cn_mobile(rng),
    }
}
