//! Realistic, seeded order traffic for the demo, the benchmarks and tests.
//!
//! Owns the sample catalogue (SKUs and warehouses) and [`OrderGenerator`], which turns a
//! seed into a reproducible stream of valid canonical orders (`ordo_core::input` shape):
//! Chinese marketplaces in CNY with real provinces, cities and districts, and
//! international storefronts in USD, EUR, GBP and JPY. The generator is pure: time is
//! passed in, and the same seed and times give the same orders.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use ordo_core::{Currency, Money};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use self::data::{CATALOGUE, CHANNELS, CN_PLACES, CN_REMARKS, GIVEN, INTL_PLACES, INTL_REMARKS, SURNAMES, WAREHOUSES};

mod data;

/// One product of the sample catalogue.
#[derive(Debug, Clone, Copy)]
pub struct CatalogueItem {
    /// SKU code.
    pub sku: &'static str,
    /// Title on Chinese channels.
    pub name: &'static str,
    /// Title on international channels.
    pub name_en: &'static str,
    /// List price in fen (CNY minor units); other currencies derive from it.
    pub price_fen: i64,
}

impl CatalogueItem {
    /// The list price in minor units of `currency`, rounded the way shops price
    /// (x.99 USD, x.95 EUR, x.49 GBP, whole tens of yen).
    pub fn price_minor(&self, currency: &str) -> i64 {
        match currency {
            "USD" => self.price_fen / 710 * 100 + 99,
            "EUR" => self.price_fen / 780 * 100 + 95,
            "GBP" => self.price_fen / 900 * 100 + 49,
            "JPY" => self.price_fen / 50 * 10,
            _ => self.price_fen,
        }
    }
}

/// A warehouse of the sample catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Warehouse {
    /// Short code.
    pub code: &'static str,
    /// Display name.
    pub name: &'static str,
    /// City.
    pub city: &'static str,
    /// ISO 3166-1 alpha-2 country.
    pub country: &'static str,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
}

/// The sample catalogue's SKUs.
pub fn catalogue() -> &'static [CatalogueItem] {
    CATALOGUE
}

/// The sample catalogue's warehouses.
pub fn warehouses() -> &'static [Warehouse] {
    WAREHOUSES
}

/// Spreads a sequence number over `digits` digits without repeats: `n ↦ (offset + n·M) mod
/// 10^digits` is a bijection because M is coprime with 10, so ids look random yet never
/// collide within one generator, nor between stripes of the same seed.
const SPREAD: u128 = 2_862_933_555_777_941_757;

/// A seeded stream of valid canonical orders.
pub struct OrderGenerator {
    rng: StdRng,
    seq: u64,
    stride: u64,
    id_offset: u128,
}

impl OrderGenerator {
    /// A generator; the same seed gives the same orders.
    pub fn new(seed: u64) -> Self {
        Self::striped(seed, 0, 1)
    }

    /// Stripe `stripe` of `stripes` generators sharing `seed`: their external ids never
    /// collide, so concurrent load clients each get one.
    pub fn striped(seed: u64, stripe: u64, stripes: u64) -> Self {
        let id_offset = u128::from(StdRng::seed_from_u64(seed).random::<u64>());
        let rng = StdRng::seed_from_u64(seed ^ stripe.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Self {
            rng,
            seq: stripe,
            stride: stripes.max(1),
            id_offset,
        }
    }

    /// The next order, placed a little before `now`.
    pub fn next_order(&mut self, now: DateTime<Utc>) -> Value {
        let n = self.seq;
        self.seq += self.stride;
        let channel = self.channel();
        let placed_utc = now - chrono::Duration::seconds(self.rng.random_range(0..=90));
        if matches!(channel, "shopify" | "amazon" | "woocommerce") {
            self.international(channel, n, placed_utc)
        } else {
            self.chinese(channel, n, placed_utc)
        }
    }

    fn channel(&mut self) -> &'static str {
        let total: u32 = CHANNELS.iter().map(|(_, w)| w).sum();
        let mut pick = self.rng.random_range(0..total);
        for (name, weight) in CHANNELS {
            if pick < *weight {
                return name;
            }
            pick -= weight;
        }
        "web"
    }

    /// `digits` digits, unique per sequence number.
    fn spread(&self, n: u64, digits: u32) -> String {
        let modulus = 10_u128.pow(digits);
        let value = (self.id_offset + u128::from(n) * SPREAD) % modulus;
        format!("{value:0width$}", width = digits as usize)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        *items.choose(&mut self.rng).expect("non-empty table")
    }

    fn chinese(&mut self, channel: &'static str, n: u64, placed_utc: DateTime<Utc>) -> Value {
        let placed = placed_utc.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("valid offset"));
        let external_id = match channel {
            "taobao" => format!("3{}", self.spread(n, 18)),
            "tmall" => format!("2{}", self.spread(n, 18)),
            "jd" => format!("3{}", self.spread(n, 11)),
            "douyin" => format!("69{}", self.spread(n, 17)),
            "pinduoduo" => format!("{}-{}", placed.format("%y%m%d"), self.spread(n, 15)),
            _ => format!("W-{}", self.spread(n, 8)),
        };
        let buyer_id = match channel {
            "taobao" | "tmall" => format!("tb{}", self.rng.random_range(100_000_000..999_999_999_u64)),
            "jd" => format!("jd_{:08x}", self.rng.random::<u32>()),
            "douyin" => format!("dy{}", self.rng.random_range(10_000_000..99_999_999_u64)),
            "pinduoduo" => format!("pdd{}", self.rng.random_range(10_000_000..99_999_999_u64)),
            _ => format!("u-{}", self.rng.random_range(1_000..99_999)),
        };
        let name = format!("{}{}", self.pick(SURNAMES), self.pick(GIVEN));
        let prefix = self.pick(&["13", "15", "18"]);
        let mobile = format!(
            "{prefix}{}{:08}",
            self.rng.random_range(0..10),
            self.rng.random_range(0..100_000_000)
        );
        let (province, city, district, postal, streets) = self.pick(CN_PLACES);
        let line1 = format!("{} {} 号", self.pick(streets), self.rng.random_range(1..=999));
        let line2 = self.rng.random_bool(0.6).then(|| {
            let (b, u, f, r) = (
                self.rng.random_range(1..=20),
                self.rng.random_range(1..=4),
                self.rng.random_range(1..=30),
                self.rng.random_range(1..=4),
            );
            format!("{b}栋{u}单元{f}0{r}室")
        });
        let mut address = json!({
            "name": name, "phone": mobile, "country": "CN", "province": province, "city": city,
            "district": district, "line1": line1, "postal_code": postal,
        });
        if let Some(line2) = line2 {
            address["line2"] = json!(line2);
        }
        let mut buyer = json!({ "id": buyer_id, "name": name, "phone": mobile });
        if channel == "web" {
            buyer["email"] = json!(format!("{buyer_id}@example.com"));
        }
        let status = if self.rng.random_bool(0.8) { "paid" } else { "pending" };
        let shipping = if self.rng.random_bool(0.6) {
            0
        } else {
            self.pick(&[600, 800, 1000, 1200])
        };
        let placed = placed.to_rfc3339_opts(SecondsFormat::Secs, false);
        let lines = self.lines("CNY", true, 0);
        let mut order = json!({
            "channel": channel, "external_id": external_id, "placed_at": placed, "updated_at": placed,
            "currency": "CNY", "financial_status": status, "buyer": buyer, "shipping_address": address,
            "lines": lines, "shipping_fee": money_text(shipping, "CNY"), "taxes_included": true,
        });
        self.maybe_remark(&mut order, 0.08, CN_REMARKS);
        order
    }

    fn international(&mut self, channel: &'static str, n: u64, placed_utc: DateTime<Utc>) -> Value {
        let place = &INTL_PLACES[self.rng.random_range(0..INTL_PLACES.len())];
        let placed = placed_utc.with_timezone(&FixedOffset::east_opt(place.offset_hours * 3600).expect("valid offset"));
        let external_id = match channel {
            // Shopify's numeric order id; its "#1001" names repeat across shops and runs.
            "shopify" => format!("5{}", self.spread(n, 12)),
            "amazon" => {
                let market = match place.country {
                    "US" => "114",
                    "JP" => "250",
                    "GB" => "202",
                    _ => "302",
                };
                let digits = self.spread(n, 14);
                format!("{market}-{}-{}", &digits[..7], &digits[7..])
            }
            _ => format!("WC-{}", self.spread(n, 9)),
        };
        let given = self.pick(place.given);
        let family = self.pick(place.family);
        let name = if place.country == "JP" {
            format!("{family} {given}")
        } else {
            format!("{given} {family}")
        };
        let phone = format!("{}{:02}", place.phone, self.rng.random_range(0..100));
        let number = self.rng.random_range(1..=240);
        let street = self.pick(place.streets);
        let line1 = if place.number_first {
            format!("{number} {street}")
        } else {
            format!("{street} {number}")
        };
        let address = json!({
            "name": name, "phone": phone, "country": place.country, "province": place.region,
            "city": place.city, "line1": line1, "postal_code": place.postal,
        });
        let email = format!("buyer{}@example.com", self.rng.random_range(10_000..99_999));
        let buyer =
            json!({ "id": format!("c{}", self.rng.random_range(100_000..999_999)), "name": name, "email": email });
        let status = match self.rng.random_range(0..10) {
            0..7 => "paid",
            7..9 => "pending",
            _ => "authorized",
        };
        let shipping = match place.currency {
            "JPY" => self.pick(&[0, 500, 800]),
            "GBP" => self.pick(&[0, 399, 499]),
            "EUR" => self.pick(&[0, 490, 590]),
            _ => self.pick(&[0, 499, 599, 999]),
        };
        // US prices exclude sales tax; EU, UK and Japanese prices include VAT.
        let (taxes_included, tax_percent) = match place.country {
            "US" => (false, 8),
            "JP" => (true, 10),
            "GB" | "FR" => (true, 20),
            _ => (true, 19),
        };
        let currency = place.currency;
        let placed = placed.to_rfc3339_opts(SecondsFormat::Secs, false);
        let lines = self.lines(currency, taxes_included, tax_percent);
        let mut order = json!({
            "channel": channel, "external_id": external_id, "placed_at": placed, "updated_at": placed,
            "currency": currency, "financial_status": status, "buyer": buyer, "shipping_address": address,
            "lines": lines, "shipping_fee": money_text(shipping, currency), "taxes_included": taxes_included,
        });
        self.maybe_remark(&mut order, 0.05, INTL_REMARKS);
        order
    }

    fn maybe_remark(&mut self, order: &mut Value, probability: f64, remarks: &[&str]) {
        if self.rng.random_bool(probability) {
            order["remark"] = json!(self.pick(remarks));
        }
    }

    /// 1–4 distinct catalogue lines, now and then ten per cent off a line.
    fn lines(&mut self, currency: &str, taxes_included: bool, tax_percent: i64) -> Vec<Value> {
        let count = self.rng.random_range(1..=4_usize);
        let items: Vec<CatalogueItem> = CATALOGUE.choose_multiple(&mut self.rng, count).copied().collect();
        let mut lines = Vec::with_capacity(count);
        for item in items {
            let quantity: i64 = if self.rng.random_bool(0.8) {
                1
            } else {
                self.rng.random_range(2..=3)
            };
            let unit = item.price_minor(currency);
            let discount = if self.rng.random_bool(0.15) {
                unit * quantity / 10
            } else {
                0
            };
            let net = unit * quantity - discount;
            let tax = match (tax_percent, taxes_included) {
                (0, _) => 0,
                (rate, true) => net * rate / (100 + rate),
                (rate, false) => net * rate / 100,
            };
            let title = if currency == "CNY" { item.name } else { item.name_en };
            let mut line = json!({ "sku": item.sku, "title": title, "quantity": quantity });
            line["unit_price"] = json!(money_text(unit, currency));
            if discount > 0 {
                line["discount"] = json!(money_text(discount, currency));
            }
            if tax > 0 {
                line["tax"] = json!(money_text(tax, currency));
            }
            lines.push(line);
        }
        lines
    }
}

/// Minor units as the exact decimal text of `currency` (`"79.00"`, but `"1580"` yen).
fn money_text(minor: i64, currency: &str) -> String {
    let currency = Currency::parse(currency).expect("currency from the tables");
    Money { minor, currency }.to_decimal_string()
}

/// The later version a channel sends once a pending order is paid: `financial_status`
/// becomes `paid` and `updated_at` moves to `now`. `None` if the order is not pending.
pub fn paid_version(order: &Value, now: DateTime<Utc>) -> Option<Value> {
    if order.get("financial_status")?.as_str()? != "pending" {
        return None;
    }
    let mut paid = order.clone();
    paid["financial_status"] = json!("paid");
    paid["updated_at"] = json!(now.to_rfc3339_opts(SecondsFormat::Secs, true));
    Some(paid)
}

#[cfg(test)]
mod tests;
