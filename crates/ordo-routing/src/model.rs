//! The engine's inputs (warehouses, stock, the order to route) and outputs (a plan, or
//! the reasons no rule could route the order). Plain data: SKUs, warehouses and channels
//! are strings so the crate stays independent of how the rest of Ordo names them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A point on the earth in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude, −90 to 90.
    pub lat: f64,
    /// Longitude, −180 to 180.
    pub lng: f64,
}

/// A place that can ship parcels. Codes are expected to be unique.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warehouse {
    /// Stable code, e.g. `WH-SH`; also the last tie-break, so plans are deterministic.
    pub code: String,
    /// Where it is; without it, distances from it are unknown and rank last.
    pub point: Option<GeoPoint>,
    /// Administrative region, e.g. `CN-ZJ` or `US-CA`; matched by rule and cost patterns.
    pub region: Option<String>,
    /// Channels it ships for; empty means every channel.
    pub channels: Vec<String>,
    /// Lower ranks first where a rule ranks by priority.
    pub priority: i64,
    /// Packages it can hand over per day; `None` means no limit.
    pub daily_capacity: Option<u32>,
    /// Packages already handed over today, counted against `daily_capacity`.
    pub shipped_today: u32,
    /// Capabilities such as `cold_chain` or `hazmat`, matched against line attributes.
    pub attributes: BTreeSet<String>,
    /// An inactive warehouse never ships.
    pub active: bool,
}

impl Warehouse {
    /// An active warehouse for every channel, with no location, limit or attributes.
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            point: None,
            region: None,
            channels: Vec::new(),
            priority: 0,
            daily_capacity: None,
            shipped_today: 0,
            attributes: BTreeSet::new(),
            active: true,
        }
    }

    /// Whether it ships for `channel` (an empty channel list means all of them).
    pub fn serves(&self, channel: &str) -> bool {
        self.channels.is_empty() || self.channels.iter().any(|c| c == channel)
    }

    /// Whether it can take one more package today.
    pub fn has_capacity(&self) -> bool {
        self.daily_capacity.is_none_or(|limit| self.shipped_today < limit)
    }
}

/// Units on hand and the safety stock held back, per SKU and warehouse.
///
/// Keyed SKU first because routing reads all warehouses of one SKU together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stock {
    /// `available[sku][warehouse]`: units on hand that no other order has claimed.
    pub available: BTreeMap<String, BTreeMap<String, u32>>,
    /// `safety[sku][warehouse]`: units kept back when a rule ships only above safety stock.
    pub safety: BTreeMap<String, BTreeMap<String, u32>>,
}

impl Stock {
    /// Empty stock.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the units available of `sku` at `warehouse`.
    pub fn set_available(&mut self, sku: &str, warehouse: &str, units: u32) -> &mut Self {
        self.available
            .entry(sku.to_owned())
            .or_default()
            .insert(warehouse.to_owned(), units);
        self
    }

    /// Sets the safety stock of `sku` at `warehouse`.
    pub fn set_safety(&mut self, sku: &str, warehouse: &str, units: u32) -> &mut Self {
        self.safety
            .entry(sku.to_owned())
            .or_default()
            .insert(warehouse.to_owned(), units);
        self
    }

    /// Units available of `sku` at `warehouse` (0 when unknown).
    pub fn available(&self, sku: &str, warehouse: &str) -> u32 {
        lookup(&self.available, sku, warehouse)
    }

    /// Safety stock of `sku` at `warehouse` (0 when unknown).
    pub fn safety(&self, sku: &str, warehouse: &str) -> u32 {
        lookup(&self.safety, sku, warehouse)
    }

    /// Units a rule may ship: everything available, or only what is above safety stock.
    pub fn shippable(&self, sku: &str, warehouse: &str, above_safety_stock: bool) -> u32 {
        let available = self.available(sku, warehouse);
        if above_safety_stock {
            available.saturating_sub(self.safety(sku, warehouse))
        } else {
            available
        }
    }

    /// Removes shipped units (never below zero), as a later order would see them.
    pub fn take(&mut self, sku: &str, warehouse: &str, units: u32) {
        if let Some(on_hand) = self.available.get_mut(sku).and_then(|w| w.get_mut(warehouse)) {
            *on_hand = on_hand.saturating_sub(units);
        }
    }
}

fn lookup(table: &BTreeMap<String, BTreeMap<String, u32>>, sku: &str, warehouse: &str) -> u32 {
    table.get(sku).and_then(|w| w.get(warehouse)).copied().unwrap_or(0)
}

/// Where an order goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    /// ISO 3166-1 alpha-2 country, e.g. `CN`.
    pub country: String,
    /// ISO 3166-2 region, e.g. `CN-ZJ`.
    pub region: Option<String>,
    /// The address's point (or a centroid the caller chose); `None` makes distances unknown.
    pub point: Option<GeoPoint>,
}

/// One ordered SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    /// The SKU; lines with the same SKU are routed together.
    pub sku: String,
    /// Units ordered; a zero-quantity line is ignored.
    pub quantity: u32,
    /// Warehouse attributes this line needs, e.g. `cold_chain`.
    #[serde(default)]
    pub attributes: BTreeSet<String>,
    /// Weight of one unit in grams.
    #[serde(default)]
    pub weight_g: u32,
    /// Size of one unit in millimetres, in any order.
    #[serde(default)]
    pub dims_mm: Option<[u32; 3]>,
}

impl Line {
    /// A line with no attributes, weight or size.
    pub fn new(sku: impl Into<String>, quantity: u32) -> Self {
        Self {
            sku: sku.into(),
            quantity,
            attributes: BTreeSet::new(),
            weight_g: 0,
            dims_mm: None,
        }
    }
}

/// An order to route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteRequest {
    /// The order's id, echoed in what-if reports.
    pub order_id: String,
    /// The sales channel, matched against `Warehouse::channels`.
    pub channel: String,
    /// Where it ships.
    pub destination: Destination,
    /// What was ordered.
    pub lines: Vec<Line>,
}

/// The carrier and service chosen for one package, and the carrier rule that chose them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierChoice {
    /// Carrier code, e.g. `SF`.
    pub carrier: String,
    /// Service level, e.g. `cold-chain`.
    pub service: String,
    /// Name of the `[[carrier]]` rule that matched.
    pub rule: String,
}

/// One package: what one warehouse ships.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedShipment {
    /// The shipping warehouse's code.
    pub warehouse: String,
    /// `(sku, units)` in the order's line order.
    pub lines: Vec<(String, u32)>,
    /// Great-circle distance to the destination; `None` when either point is unknown.
    pub distance_km: Option<f64>,
    /// Total weight of the units.
    pub weight_g: u32,
    /// Estimated shipping cost in minor units of the config's currency, when known.
    pub cost_minor: Option<i64>,
    /// The carrier, when a carrier rule matched.
    pub carrier: Option<CarrierChoice>,
}

/// How an order ships.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutePlan {
    /// Name of the rule that produced the plan.
    pub rule: String,
    /// One entry per package, ordered by warehouse code.
    pub shipments: Vec<PlannedShipment>,
    /// Sum of the packages' costs; `None` when any one is unknown.
    pub total_cost_minor: Option<i64>,
    /// Sum of the packages' distances; `None` when any one is unknown.
    pub total_distance_km: Option<f64>,
    /// False when the search ran out of its work budget (`WORK_BUDGET`): the plan is the
    /// best seen rather than the best proven. Its package count is still the minimum if
    /// any plan of that size had been seen; otherwise it comes from a greedy cover, which
    /// never has more packages than the per-SKU baseline.
    pub search_complete: bool,
}

impl RoutePlan {
    /// Units of `sku` the plan ships, over all packages.
    pub fn units_of(&self, sku: &str) -> u32 {
        self.shipments
            .iter()
            .flat_map(|s| &s.lines)
            .filter(|(s, _)| s == sku)
            .map(|(_, q)| q)
            .sum()
    }
}

/// No rule could route the order; one reason per rule, in rule order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("unroutable: {}", .reasons.iter().map(|(r, why)| format!("{r}: {why}")).collect::<Vec<_>>().join("; "))]
pub struct Unroutable {
    /// `(rule name, why it produced no plan)`; a problem with the order itself is
    /// reported under the name `request`.
    pub reasons: Vec<(String, String)>,
}
