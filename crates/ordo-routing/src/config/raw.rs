//! The file as serde reads it. Values checked after parsing are kept `Spanned`, so their
//! errors can point at a line and column; `deny_unknown_fields` everywhere makes a
//! misspelt key an error instead of a silently ignored setting.

use std::collections::BTreeSet;

use serde::Deserialize;
use toml::Spanned;

use super::{CarrierPick, Filters};

pub(super) type Text = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) carrier_pick: Option<Spanned<CarrierPick>>,
    #[serde(default, rename = "rule")]
    pub(super) rules: Vec<RawRule>,
    #[serde(default, rename = "cost")]
    pub(super) costs: Vec<RawCost>,
    #[serde(default, rename = "carrier")]
    pub(super) carriers: Vec<RawCarrier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub(super) name: Text,
    #[serde(default)]
    pub(super) when: RawScope,
    #[serde(default)]
    pub(super) filters: RawFilters,
    #[serde(default)]
    pub(super) rank: Vec<Text>,
    #[serde(default)]
    pub(super) max_shipments: Option<Spanned<i64>>,
    #[serde(default = "yes")]
    pub(super) split_lines: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScope {
    #[serde(default)]
    pub(super) channels: Vec<String>,
    #[serde(default)]
    pub(super) countries: Vec<String>,
    #[serde(default)]
    pub(super) regions: Vec<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilters {
    #[serde(default = "yes")]
    pub(super) serves_channel: bool,
    #[serde(default)]
    pub(super) regions: Vec<Text>,
    #[serde(default)]
    pub(super) ship_complete: bool,
    #[serde(default = "yes")]
    pub(super) above_safety_stock: bool,
    #[serde(default = "yes")]
    pub(super) within_capacity: bool,
    #[serde(default = "yes")]
    pub(super) attributes: bool,
}

impl Default for RawFilters {
    fn default() -> Self {
        let safe = Filters::default();
        Self {
            serves_channel: safe.serves_channel,
            regions: Vec::new(),
            ship_complete: safe.ship_complete,
            above_safety_stock: safe.above_safety_stock,
            within_capacity: safe.within_capacity,
            attributes: safe.attributes,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCost {
    pub(super) from: Text,
    pub(super) to: Text,
    pub(super) first_kg: Text,
    pub(super) per_kg: Text,
    pub(super) currency: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCarrier {
    pub(super) name: Text,
    pub(super) carrier: String,
    pub(super) service: String,
    #[serde(default)]
    pub(super) when: RawCarrierWhen,
    #[serde(default)]
    pub(super) supports: BTreeSet<String>,
    #[serde(default)]
    pub(super) first_kg: Option<Text>,
    #[serde(default)]
    pub(super) per_kg: Option<Text>,
    #[serde(default)]
    pub(super) currency: Option<Text>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCarrierWhen {
    #[serde(default)]
    pub(super) countries: Vec<String>,
    #[serde(default)]
    pub(super) regions: Vec<Text>,
    #[serde(default)]
    pub(super) attributes: BTreeSet<String>,
    #[serde(default)]
    pub(super) max_weight_g: Option<u32>,
    #[serde(default)]
    pub(super) max_longest_side_mm: Option<u32>,
}

pub(super) fn yes() -> bool {
    true
}
