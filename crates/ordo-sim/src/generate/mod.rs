//! One order, independent of any platform, and its rendering in each platform's shape.
//!
//! The simulator keeps a neutral [`SimOrder`] (lines, buyer, address, what happened to it)
//! and renders the platform's JSON each time the order is served or pushed. Rendering on
//! demand keeps every view of an order consistent: a cancel or a tracking write-back shows
//! up in the listing, the single-order endpoint and the next webhook alike.

pub(crate) mod amazon;
pub(crate) mod bigcommerce;
pub(crate) mod china;
pub(crate) mod kuaishou;
pub(crate) mod magento;
pub(crate) mod shopify;
pub(crate) mod wechat;
pub(crate) mod woo;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::Value;

use crate::Platform;

/// What the simulator knows about an order; every platform view is rendered from it.
#[derive(Clone, Debug)]
pub(crate) struct SimOrder {
    /// Creation number, from 1; platform ids are derived from it.
    pub seq: u64,
    /// The id Ordo stores, as text.
    pub external_id: String,
    /// The platform's numeric order id where it has one (Shopify, WooCommerce, Taobao,
    /// JD, Douyin); `seq` otherwise.
    pub num_id: u64,
    pub created_at: DateTime<Utc>,
    /// Set by the order book: never earlier than the previous value plus one time unit.
    pub updated_at: DateTime<Utc>,
    /// Position in the book's modification order, the pagination tiebreaker.
    pub mseq: u64,
    pub lines: Vec<Line>,
    pub shipping_minor: i64,
    pub buyer: Buyer,
    pub address: Address,
    pub paid_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub refunded_at: Option<DateTime<Utc>>,
    /// Tracking write-backs applied to the order.
    pub shipments: Vec<Shipment>,
    /// WooCommerce's `completed` status, set by a status write-back.
    pub completed: bool,
    pub note: String,
}

/// One order line.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    /// The platform's line id (Shopify line item id, Amazon OrderItemId, Taobao oid …).
    pub id: u64,
    pub sku: String,
    /// Index of the SKU in the configured list; product and variant ids derive from it.
    pub sku_index: usize,
    pub title: String,
    pub quantity: u32,
    pub unit_minor: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct Buyer {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
}

impl Buyer {
    /// Western order "First Last"; Chinese names are family name first, unspaced.
    pub fn full_name(&self, chinese: bool) -> String {
        if chinese {
            format!("{}{}", self.last_name, self.first_name)
        } else {
            format!("{} {}", self.first_name, self.last_name)
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Address {
    pub line1: String,
    pub line2: String,
    pub district: String,
    pub city: String,
    pub province: String,
    pub province_code: String,
    pub zip: String,
    pub country_code: String,
    pub country: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Shipment {
    pub tracking_number: String,
    pub company: String,
    pub url: Option<String>,
    pub at: DateTime<Utc>,
}

/// Where an order stands, derived from what happened to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Unpaid,
    Paid,
    Shipped,
    Completed,
    Cancelled,
    Refunded,
}

impl SimOrder {
    pub fn status(&self) -> Status {
        if self.refunded_at.is_some() {
            Status::Refunded
        } else if self.cancelled_at.is_some() {
            Status::Cancelled
        } else if self.completed {
            Status::Completed
        } else if !self.shipments.is_empty() {
            Status::Shipped
        } else if self.paid_at.is_some() {
            Status::Paid
        } else {
            Status::Unpaid
        }
    }

    pub fn subtotal_minor(&self) -> i64 {
        self.lines.iter().map(|l| l.unit_minor * i64::from(l.quantity)).sum()
    }

    pub fn total_minor(&self) -> i64 {
        self.subtotal_minor() + self.shipping_minor
    }

    pub fn item_count(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity).sum()
    }
}

/// Inputs of [`new_order`] that do not change between orders.
pub(crate) struct GenInput<'a> {
    pub platform: Platform,
    pub skus: &'a [String],
    pub seq: u64,
    pub now: DateTime<Utc>,
    pub paid: bool,
}

/// A fresh order: 1–3 distinct SKUs (fewer if fewer are configured), quantities 1–3,
/// unit prices 4.99–199.99 and a shipping fee of 0, 5 or 10, all drawn from the seeded
/// generator so that one seed always yields the same orders.
pub(crate) fn new_order(input: &GenInput<'_>, rng: &mut StdRng) -> SimOrder {
    let GenInput {
        platform,
        skus,
        seq,
        now,
        paid,
    } = *input;
    let chinese = platform.is_chinese();
    let (external_id, num_id) = ids(platform, seq, now, rng);
    let mut count = rng.random_range(1..=3usize).min(skus.len());
    // A Kuaishou order is one SKU in some quantity.
    if platform == Platform::Kuaishou {
        count = 1;
    }
    let mut picked: Vec<usize> = Vec::with_capacity(count);
    while picked.len() < count {
        let i = rng.random_range(0..skus.len());
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    let lines = picked
        .into_iter()
        .enumerate()
        .map(|(i, sku_index)| Line {
            id: line_base(platform) + seq * 10 + i as u64,
            sku: skus[sku_index].clone(),
            sku_index,
            title: product_title(&skus[sku_index], chinese),
            quantity: rng.random_range(1..=3),
            unit_minor: rng.random_range(5..=200i64) * 100 - rng.random_range(0..=1i64),
        })
        .collect();
    let shipping_minor = [0, 500, 1000][rng.random_range(0..3usize)];
    SimOrder {
        seq,
        external_id,
        num_id,
        created_at: now,
        updated_at: now,
        mseq: 0,
        lines,
        shipping_minor,
        buyer: buyer(chinese, seq, rng),
        address: address(chinese, rng),
        paid_at: paid.then_some(now),
        cancelled_at: None,
        refunded_at: None,
        shipments: Vec::new(),
        completed: false,
        note: String::new(),
    }
}

/// The order's ids in the platform's own format. Everything that must be unique embeds
/// `seq`; random digits only decorate.
fn ids(platform: Platform, seq: u64, now: DateTime<Utc>, rng: &mut StdRng) -> (String, u64) {
    let numeric = |n: u64| (n.to_string(), n);
    match platform {
        Platform::Shopify => numeric(5_100_000_000_000 + seq),
        Platform::WooCommerce => numeric(1000 + seq),
        Platform::Taobao => numeric(3_900_000_000_000_000_000 + seq * 10),
        Platform::Jd => numeric(300_000_000_000 + seq),
        Platform::Douyin => numeric(6_920_000_000_000_000_000 + seq * 10),
        Platform::Amazon => (format!("113-{:07}-{:07}", rng.random_range(0..10_000_000u64), seq), seq),
        Platform::Pinduoduo => (
            format!(
                "{}-{:09}{:06}",
                beijing(now).format("%y%m%d"),
                rng.random_range(0..1_000_000_000u64),
                seq % 1_000_000
            ),
            seq,
        ),
        Platform::Xiaohongshu => (format!("P7{:017}", 10_000_000_000_000_000 + seq), seq),
        Platform::BigCommerce => numeric(100 + seq),
        // Magento's increment id (the order number, zero-padded: the zeros are part of it)
        // is the external id; the entity id is `seq`.
        Platform::Magento => (format!("{seq:09}"), seq),
        Platform::Kuaishou => numeric(2_417_300_000_000_000 + seq),
        // Beyond 2^53: WeChat sends them as text, and so must everything downstream.
        Platform::Wechat => numeric(3_724_917_000_000_000_000 + seq),
    }
}

fn line_base(platform: Platform) -> u64 {
    match platform {
        Platform::Shopify => 13_000_000_000_000,
        Platform::WooCommerce => 10_000,
        Platform::Amazon => 20_000_000_000_000,
        // Taobao oids and Douyin sub-order ids sit right after their order's id.
        Platform::Taobao => 3_900_000_000_000_000_001,
        Platform::Douyin => 6_920_000_000_000_000_001,
        _ => 0,
    }
}

fn product_title(sku: &str, chinese: bool) -> String {
    if chinese {
        format!("模拟商品 {sku}")
    } else {
        format!("Sim product {sku}")
    }
}

const WESTERN_FIRST: [&str; 6] = ["Bob", "Alice", "Maria", "John", "Priya", "Chen"];
const WESTERN_LAST: [&str; 6] = ["Norman", "Smith", "Garcia", "Doe", "Patel", "Wong"];
const CHINESE_FIRST: [&str; 6] = ["伟", "芳", "娜", "敏", "静", "强"];
const CHINESE_LAST: [&str; 6] = ["王", "李", "张", "刘", "陈", "杨"];

fn pick<'a>(rng: &mut StdRng, options: &[&'a str]) -> &'a str {
    options[rng.random_range(0..options.len())]
}

fn buyer(chinese: bool, seq: u64, rng: &mut StdRng) -> Buyer {
    let (first, last) = if chinese {
        (pick(rng, &CHINESE_FIRST), pick(rng, &CHINESE_LAST))
    } else {
        (pick(rng, &WESTERN_FIRST), pick(rng, &WESTERN_LAST))
    };
    let phone = if chinese {
        format!("13{:09}", rng.random_range(0..1_000_000_000u64))
    } else {
        format!(
            "555-{:03}-{:04}",
            rng.random_range(100..1000),
            rng.random_range(0..10_000)
        )
    };
    Buyer {
        first_name: first.into(),
        last_name: last.into(),
        email: format!("buyer{seq}@example.com"),
        phone,
    }
}

/// A shipping address; [`crate::Change::AddressChange`] draws a new one.
pub(crate) fn address(chinese: bool, rng: &mut StdRng) -> Address {
    let number = rng.random_range(1..400);
    if chinese {
        let (province, city, district, zip) = *[
            ("浙江省", "杭州市", "西湖区", "310000"),
            ("广东省", "深圳市", "南山区", "518000"),
            ("上海市", "上海市", "浦东新区", "200120"),
            ("北京市", "北京市", "朝阳区", "100020"),
        ]
        .get(rng.random_range(0..4))
        .unwrap_or(&("浙江省", "杭州市", "西湖区", "310000"));
        Address {
            line1: format!("文三路{number}号"),
            line2: String::new(),
            district: district.into(),
            city: city.into(),
            province: province.into(),
            province_code: String::new(),
            zip: zip.into(),
            country_code: "CN".into(),
            country: "China".into(),
        }
    } else {
        let (city, province, code, zip) = *[
            ("Louisville", "Kentucky", "KY", "40202"),
            ("Seattle", "Washington", "WA", "98101"),
            ("Austin", "Texas", "TX", "73301"),
            ("Portland", "Oregon", "OR", "97201"),
        ]
        .get(rng.random_range(0..4))
        .unwrap_or(&("Louisville", "Kentucky", "KY", "40202"));
        Address {
            line1: format!("{number} Chestnut Street"),
            line2: String::new(),
            district: String::new(),
            city: city.into(),
            province: province.into(),
            province_code: code.into(),
            zip: zip.into(),
            country_code: "US".into(),
            country: "United States".into(),
        }
    }
}

/// Minor units as a decimal string with two places ("1234" → "12.34").
pub(crate) fn money(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", minor.abs() / 100, minor.abs() % 100)
}

/// Minor units as a JSON number of major units (Pinduoduo's yuan).
pub(crate) fn money_number(minor: i64) -> Value {
    serde_json::Number::from_f64(minor as f64 / 100.0)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// RFC 3339 at seconds precision in the given offset ("2024-10-01T08:00:00-04:00").
pub(crate) fn rfc3339_at(t: DateTime<Utc>, offset_s: i32) -> String {
    let zone = FixedOffset::east_opt(offset_s).unwrap_or(FixedOffset::east_opt(0).expect("0"));
    t.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// UTC with a `Z`, seconds precision, as Amazon writes it.
pub(crate) fn utc_z(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Local wall-clock time without an offset, as WooCommerce writes it.
pub(crate) fn naive_at(t: DateTime<Utc>, offset_s: i32) -> String {
    let zone = FixedOffset::east_opt(offset_s).unwrap_or(FixedOffset::east_opt(0).expect("0"));
    t.with_timezone(&zone).format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Beijing time (+08:00), the zone of every Chinese platform.
pub(crate) fn beijing(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset"))
}

/// `yyyy-MM-dd HH:mm:ss` in Beijing time.
pub(crate) fn beijing_text(t: DateTime<Utc>) -> String {
    beijing(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Parses `yyyy-MM-dd HH:mm:ss` as Beijing time.
pub(crate) fn parse_beijing(text: &str) -> Option<DateTime<Utc>> {
    let naive = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    FixedOffset::east_opt(8 * 3600)?
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Parses an ISO 8601 / RFC 3339 time; without an offset it is read in `naive_offset_s`.
pub(crate) fn parse_iso(text: &str, naive_offset_s: i32) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    FixedOffset::east_opt(naive_offset_s)?
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}
