//! The routing configuration: ordered rules, the cost table and the carrier rules, as
//! checked, typed values. The TOML format is described at the top of the crate; parsing
//! and its error locations live in `config/parse.rs`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

mod location;
mod parse;
mod raw;

/// The configuration Ordo ships with, used when no file is given.
pub const DEFAULT_TOML: &str = include_str!("../config/routing.toml");

/// Checked routing configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoutingConfig {
    /// Rules, tried in order until one produces a plan.
    pub rules: Vec<Rule>,
    /// Shipping cost lanes; the first whose patterns match prices a package.
    pub costs: Vec<CostLane>,
    /// Carrier rules and how to choose between several that match.
    pub carriers: CarrierTable,
    /// The one currency every amount is in, when any amount is given.
    pub currency: Option<String>,
}

/// Why a configuration was refused: where, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {path}: {message}")]
pub struct ConfigError {
    /// The file (or other name) the text came from.
    pub file: String,
    /// 1-based line; 0 when the parser could not tell.
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub column: usize,
    /// The field, e.g. `rule[1].rank[0]`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// One sourcing rule: which orders it applies to, which warehouses may ship, how plans
/// rank, and how many packages it accepts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Unique name, reported in plans and in `Unroutable`.
    pub name: String,
    /// Orders the rule applies to; other orders skip it.
    pub when: OrderScope,
    /// Which warehouses may take part.
    pub filters: Filters,
    /// Tie-breaks after the package count and line splits; always all four keys (those the
    /// file leaves out follow in the default order), so ties break the same way everywhere.
    pub rank: Vec<RankKey>,
    /// Plans with more packages than this do not pass the rule.
    pub max_shipments: Option<u32>,
    /// Whether one line's units may come from several warehouses.
    pub split_lines: bool,
}

/// Conditions on the order for a rule to apply; empty lists match every order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrderScope {
    /// Sales channels.
    pub channels: Vec<String>,
    /// Destination countries.
    pub countries: Vec<String>,
    /// Destination region patterns (`CN-*`).
    pub regions: Vec<String>,
}

/// Which warehouses a rule lets ship. The defaults are the safe ones: a rule has to say
/// `false` to ship safety stock, exceed capacity, ignore attributes or ignore channels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filters {
    /// Only warehouses that ship for the order's channel (default true).
    pub serves_channel: bool,
    /// Only warehouses whose region matches one of these patterns (default: any).
    pub regions: Vec<String>,
    /// Only warehouses that can ship the whole order by themselves (default false).
    pub ship_complete: bool,
    /// Only units above safety stock (default true).
    pub above_safety_stock: bool,
    /// Only warehouses below their daily package capacity (default true).
    pub within_capacity: bool,
    /// A line ships only from warehouses with all its attributes (default true).
    pub attributes: bool,
}

impl Default for Filters {
    fn default() -> Self {
        Self {
            serves_channel: true,
            regions: Vec::new(),
            ship_complete: false,
            above_safety_stock: true,
            within_capacity: true,
            attributes: true,
        }
    }
}

/// A ranking key. Fewer packages always come first, then fewer split lines; these break
/// the remaining ties, in the rule's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RankKey {
    /// Lower estimated shipping cost; unknown costs rank after known ones.
    Cost,
    /// Shorter total distance; unknown distances rank after known ones.
    Distance,
    /// Lower sum of warehouse priorities.
    Priority,
    /// Stock left most even across the rule's warehouses (lower sum of squares of what
    /// remains), so one warehouse is not drained while others sit full.
    StockBalance,
}

impl RankKey {
    /// Every key, in the default tie-break order.
    pub const DEFAULT_ORDER: [RankKey; 4] = [
        RankKey::Cost,
        RankKey::Distance,
        RankKey::Priority,
        RankKey::StockBalance,
    ];

    /// The key's name in the config file.
    pub fn name(self) -> &'static str {
        match self {
            RankKey::Cost => "cost",
            RankKey::Distance => "distance",
            RankKey::Priority => "priority",
            RankKey::StockBalance => "stock_balance",
        }
    }
}

/// A price: the first kilogram (or part of it), then each further started kilogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tariff {
    /// Price of the first kilogram, in minor units.
    pub first_kg_minor: i64,
    /// Price of each further started kilogram, in minor units.
    pub per_kg_minor: i64,
}

impl Tariff {
    /// Price of a package of `weight_g` grams; anything up to 1 kg pays the first kilogram.
    pub fn price_minor(self, weight_g: u32) -> i64 {
        let extra_kg = i64::from(weight_g.saturating_sub(1).div_euclid(1000));
        self.first_kg_minor
            .saturating_add(self.per_kg_minor.saturating_mul(extra_kg))
    }
}

/// A cost lane: packages from warehouses in `from` to destinations in `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CostLane {
    /// Pattern on the warehouse's region.
    pub from: String,
    /// Pattern on the destination's region or country.
    pub to: String,
    /// The lane's price.
    pub tariff: Tariff,
}

/// How to choose when several carrier rules match a package.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierPick {
    /// The first matching rule in file order.
    #[default]
    First,
    /// The matching rule with the lowest price; rules without a price come after priced
    /// ones, and file order breaks ties.
    Cheapest,
}

/// Carrier rules with their choice policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CarrierTable {
    /// How to choose among matches.
    pub pick: CarrierPick,
    /// Rules in file order.
    pub rules: Vec<CarrierRule>,
}

/// One carrier rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CarrierRule {
    /// Unique name, reported in `CarrierChoice::rule`.
    pub name: String,
    /// Carrier code.
    pub carrier: String,
    /// Service level.
    pub service: String,
    /// Which packages it takes.
    pub when: CarrierWhen,
    /// Package attributes the service can carry besides those in `when.attributes`; a
    /// package with any other attribute is refused, so a cold-chain parcel never goes by
    /// an ambient service.
    pub supports: BTreeSet<String>,
    /// The service's own price; when set it replaces the cost lane's estimate.
    pub tariff: Option<Tariff>,
}

/// Conditions on a package; unset conditions always hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CarrierWhen {
    /// Destination countries.
    pub countries: Vec<String>,
    /// Destination region patterns.
    pub regions: Vec<String>,
    /// Attributes the package must have (all of them).
    pub attributes: BTreeSet<String>,
    /// Heaviest package accepted.
    pub max_weight_g: Option<u32>,
    /// Longest side accepted; a package of unknown size does not match.
    pub max_longest_side_mm: Option<u32>,
}

impl RoutingConfig {
    /// Parses and checks a configuration. `source` names the text in errors. Every
    /// problem found is returned, each with its line, column and field path; a TOML
    /// syntax or type error stops at the first.
    pub fn from_toml(text: &str, source: &str) -> Result<Self, Vec<ConfigError>> {
        parse::parse(text, source)
    }

    /// The configuration in [`DEFAULT_TOML`].
    pub fn embedded_default() -> Self {
        // The embedded text is checked by a unit test, so this cannot fail in a build
        // that passed its tests.
        Self::from_toml(DEFAULT_TOML, "config/routing.toml").expect("the embedded routing config is valid")
    }

    /// The rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example at the top of the crate's documentation, so the docs cannot drift from
    /// what the parser accepts.
    fn documented_example() -> String {
        let lib = include_str!("lib.rs");
        let start = lib.find("//! ```toml\n").expect("lib.rs documents the format") + "//! ```toml\n".len();
        let end = start + lib[start..].find("//! ```\n").expect("the example is closed");
        lib[start..end]
            .lines()
            .map(|l| l.strip_prefix("//!").unwrap_or(l).trim_start_matches(' '))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_documented_example_parses_as_documented() {
        let config = RoutingConfig::from_toml(&documented_example(), "lib.rs").unwrap();
        let rule = &config.rules[0];
        assert_eq!(rule.filters.regions, ["CN-*"]);
        assert!(rule.filters.ship_complete);
        assert_eq!(rule.when.channels, ["tmall"]);
        assert_eq!(rule.max_shipments, Some(1));
        let cold = &config.carriers.rules[0];
        assert_eq!(cold.when.max_longest_side_mm, Some(1200));
        assert_eq!(
            cold.tariff,
            Some(Tariff {
                first_kg_minor: 2500,
                per_kg_minor: 800
            })
        );
        assert_eq!(config.costs[0].tariff.first_kg_minor, 800);
    }

    #[test]
    fn a_misspelt_key_in_a_sub_table_names_its_rule() {
        let text = "[[rule]]\nname = \"a\"\n[[rule]]\nname = \"b\"\n[rule.filters]\nregion = [\"CN-*\"]\n";
        let errors = RoutingConfig::from_toml(text, "t").unwrap_err();
        assert_eq!((errors[0].line, errors[0].path.as_str()), (6, "rule[1].filters.region"));
    }

    #[test]
    fn a_tariff_charges_the_first_kilogram_then_each_started_one() {
        let tariff = Tariff {
            first_kg_minor: 800,
            per_kg_minor: 200,
        };
        assert_eq!(
            [0, 1, 1000, 1001, 2000, 2001].map(|g| tariff.price_minor(g)),
            [800, 800, 800, 1000, 1000, 1200]
        );
    }
}
