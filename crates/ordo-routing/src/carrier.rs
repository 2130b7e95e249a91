//! Pricing a package and choosing its carrier. Both are per package, so the engine can
//! compare plans by what they would really cost.

use std::collections::BTreeSet;

use crate::config::{CarrierPick, CarrierRule, CarrierTable, CostLane, Tariff};
use std::borrow::Cow;

use crate::geo::{any_region_matches, expand, glob_matches, region_matches};
use crate::model::{CarrierChoice, Destination};

/// Chooses the carrier for a package going to `destination`.
///
/// A rule matches when the destination's country and region fit, the package is within
/// its weight and longest side (an unknown size never fits a size limit), the package has
/// every attribute the rule asks for, and the rule can carry every attribute the package
/// has. With `pick = "first"` the first match wins; with `"cheapest"` the lowest-priced.
pub fn select_carrier(
    carriers: &CarrierTable,
    destination: &Destination,
    weight_g: u32,
    dims_mm: Option<[u32; 3]>,
    attributes: &BTreeSet<String>,
) -> Option<CarrierChoice> {
    select_rule(carriers, destination, weight_g, dims_mm, attributes).map(|rule| CarrierChoice {
        carrier: rule.carrier.clone(),
        service: rule.service.clone(),
        rule: rule.name.clone(),
    })
}

/// The matching rule itself, whose tariff the engine needs.
pub(crate) fn select_rule<'a>(
    carriers: &'a CarrierTable,
    destination: &Destination,
    weight_g: u32,
    dims_mm: Option<[u32; 3]>,
    attributes: &BTreeSet<String>,
) -> Option<&'a CarrierRule> {
    let mut matching = carriers
        .rules
        .iter()
        .filter(|rule| rule_matches(rule, destination, weight_g, dims_mm, attributes));
    match carriers.pick {
        CarrierPick::First => matching.next(),
        // `min_by_key` keeps the first of equal keys, so file order breaks ties.
        CarrierPick::Cheapest => matching.min_by_key(|rule| match rule.tariff {
            Some(tariff) => (false, tariff.price_minor(weight_g)),
            None => (true, 0),
        }),
    }
}

fn rule_matches(
    rule: &CarrierRule,
    destination: &Destination,
    weight_g: u32,
    dims_mm: Option<[u32; 3]>,
    attributes: &BTreeSet<String>,
) -> bool {
    let when = &rule.when;
    let country_fits = when.countries.is_empty()
        || when
            .countries
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&destination.country));
    let region_fits =
        when.regions.is_empty() || any_region_matches(&when.regions, destination.region.as_deref(), Some(destination));
    let weight_fits = when.max_weight_g.is_none_or(|max| weight_g <= max);
    let size_fits = when
        .max_longest_side_mm
        .is_none_or(|max| dims_mm.is_some_and(|dims| dims.into_iter().max().unwrap_or(0) <= max));
    let has_required = when.attributes.is_subset(attributes);
    let carries_all = attributes
        .iter()
        .all(|a| when.attributes.contains(a) || rule.supports.contains(a));
    country_fits && region_fits && weight_fits && size_fits && has_required && carries_all
}

/// The cost lanes as they apply to one destination: placeholders filled and the `to`
/// side decided once per order, so pricing each warehouse is only a pattern match.
pub(crate) struct Lanes<'c> {
    /// `(from pattern, tariff)` of the lanes whose `to` matches the destination, in order.
    open: Vec<(Cow<'c, str>, Tariff)>,
}

impl<'c> Lanes<'c> {
    /// The lanes of `costs` that reach `destination`; a lane's `to` may name the
    /// destination's region or its country.
    pub(crate) fn new(costs: &'c [CostLane], destination: &Destination) -> Self {
        let reaches = |to: &str| {
            region_matches(to, &destination.country, Some(destination))
                || destination
                    .region
                    .as_deref()
                    .is_some_and(|r| region_matches(to, r, Some(destination)))
        };
        let open = costs
            .iter()
            .filter(|lane| reaches(&lane.to))
            .filter_map(|lane| Some((expand(&lane.from, Some(destination))?, lane.tariff)))
            .collect();
        Self { open }
    }

    /// The first lane's tariff from a warehouse in `region` (a warehouse without a region
    /// matches only `*`).
    pub(crate) fn tariff(&self, region: Option<&str>) -> Option<Tariff> {
        let fits = |from: &str| match region {
            Some(region) => glob_matches(from, region),
            None => from == "*",
        };
        self.open.iter().find(|(from, _)| fits(from)).map(|&(_, tariff)| tariff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CarrierWhen;

    fn rule(name: &str, when: CarrierWhen, price: Option<i64>) -> CarrierRule {
        CarrierRule {
            name: name.into(),
            carrier: name.to_uppercase(),
            service: "standard".into(),
            when,
            supports: BTreeSet::new(),
            tariff: price.map(|p| Tariff {
                first_kg_minor: p,
                per_kg_minor: 100,
            }),
        }
    }

    fn to_cn() -> Destination {
        Destination {
            country: "CN".into(),
            region: Some("CN-ZJ".into()),
            point: None,
        }
    }

    #[test]
    fn cheapest_pick_prefers_priced_rules_and_file_order_on_ties() {
        let any = CarrierWhen::default();
        let mut table = CarrierTable {
            pick: CarrierPick::Cheapest,
            rules: vec![
                rule("a", any.clone(), None),
                rule("b", any.clone(), Some(900)),
                rule("c", any, Some(900)),
            ],
        };
        let none = BTreeSet::new();
        assert_eq!(select_carrier(&table, &to_cn(), 500, None, &none).unwrap().rule, "b");
        table.pick = CarrierPick::First;
        assert_eq!(select_carrier(&table, &to_cn(), 500, None, &none).unwrap().rule, "a");
    }

    #[test]
    fn a_size_limit_refuses_packages_of_unknown_size() {
        let when = CarrierWhen {
            max_longest_side_mm: Some(600),
            ..CarrierWhen::default()
        };
        let table = CarrierTable {
            pick: CarrierPick::First,
            rules: vec![rule("small", when, None)],
        };
        let none = BTreeSet::new();
        assert!(select_carrier(&table, &to_cn(), 100, None, &none).is_none());
        assert!(select_carrier(&table, &to_cn(), 100, Some([100, 700, 10]), &none).is_none());
        assert!(select_carrier(&table, &to_cn(), 100, Some([100, 600, 10]), &none).is_some());
    }

    #[test]
    fn lanes_match_warehouse_region_and_destination_country_or_region() {
        let lane = |from: &str, to: &str, first| CostLane {
            from: from.into(),
            to: to.into(),
            tariff: Tariff {
                first_kg_minor: first,
                per_kg_minor: 200,
            },
        };
        let lanes = [
            lane("CN-ZJ", "{region}", 600),
            lane("CN-*", "CN", 800),
            lane("*", "*", 5000),
        ];
        let price = |lanes: &[CostLane], from: Option<&str>, grams| {
            Lanes::new(lanes, &to_cn()).tariff(from).map(|t| t.price_minor(grams))
        };
        assert_eq!(price(&lanes, Some("CN-ZJ"), 1000), Some(600));
        assert_eq!(price(&lanes, Some("CN-GD"), 2500), Some(1200));
        assert_eq!(price(&lanes, None, 10), Some(5000));
        assert_eq!(price(&lanes[..2], None, 10), None);
    }
}
