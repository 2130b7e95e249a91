//! From TOML text to a checked [`RoutingConfig`]: the raw structs of `raw.rs` are checked
//! field by field, collecting every problem with its position instead of stopping at the
//! first, so one edit-and-reload cycle can fix them all.

use std::collections::HashSet;
use std::ops::Range;

use toml::Spanned;

use super::location::{line_column, path_at};
use super::raw::{RawConfig, RawRule, Text};
use super::{
    CarrierRule, CarrierTable, CarrierWhen, ConfigError, CostLane, Filters, OrderScope, RankKey, RoutingConfig, Rule,
    Tariff,
};
use crate::geo::check_pattern;
use crate::money::{is_currency_code, parse_minor};

/// Collects errors against the source text.
struct Errors<'a> {
    text: &'a str,
    source: &'a str,
    found: Vec<ConfigError>,
}

impl Errors<'_> {
    fn at(&mut self, span: Range<usize>, path: String, message: impl Into<String>) {
        let (line, column) = line_column(self.text, span.start);
        self.found.push(ConfigError {
            file: self.source.to_owned(),
            line,
            column,
            path,
            message: message.into(),
        });
    }
}

pub(super) fn parse(text: &str, source: &str) -> Result<RoutingConfig, Vec<ConfigError>> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let start = e.span().map_or(0, |s| s.start);
        let (line, column) = if e.span().is_some() {
            line_column(text, start)
        } else {
            (0, 0)
        };
        vec![ConfigError {
            file: source.to_owned(),
            line,
            column,
            path: path_at(text, start),
            message: e.message().trim().to_owned(),
        }]
    })?;
    let mut errors = Errors {
        text,
        source,
        found: Vec::new(),
    };
    let mut currencies: Vec<(Text, String)> = Vec::new();

    if raw.rules.is_empty() {
        errors.at(0..0, "rule".into(), "at least one [[rule]] is needed");
    }
    let mut rule_names = HashSet::new();
    let rules: Vec<Rule> = raw
        .rules
        .into_iter()
        .enumerate()
        .map(|(i, r)| check_rule(i, r, &mut rule_names, &mut errors))
        .collect();

    let mut costs = Vec::new();
    for (i, lane) in raw.costs.into_iter().enumerate() {
        let path = format!("cost[{i}]");
        for (field, pattern) in [("from", &lane.from), ("to", &lane.to)] {
            if let Err(m) = check_pattern(pattern.get_ref()) {
                errors.at(pattern.span(), format!("{path}.{field}"), m);
            }
        }
        let tariff = check_tariff(
            &path,
            Some(&lane.first_kg),
            Some(&lane.per_kg),
            Some(&lane.currency),
            &mut errors,
        );
        currencies.push((lane.currency.clone(), path));
        if let Some(tariff) = tariff {
            costs.push(CostLane {
                from: lane.from.into_inner(),
                to: lane.to.into_inner(),
                tariff,
            });
        }
    }

    let mut carrier_names = HashSet::new();
    let mut carrier_rules = Vec::new();
    for (i, c) in raw.carriers.into_iter().enumerate() {
        let path = format!("carrier[{i}]");
        if c.name.get_ref().trim().is_empty() || !carrier_names.insert(c.name.get_ref().clone()) {
            errors.at(
                c.name.span(),
                format!("{path}.name"),
                "carrier rule names must be non-empty and unique",
            );
        }
        for (j, pattern) in c.when.regions.iter().enumerate() {
            if let Err(m) = check_pattern(pattern.get_ref()) {
                errors.at(pattern.span(), format!("{path}.when.regions[{j}]"), m);
            }
        }
        let priced = c.first_kg.is_some() || c.per_kg.is_some() || c.currency.is_some();
        let tariff = if priced {
            if c.currency.is_none() {
                errors.at(
                    c.name.span(),
                    format!("{path}.currency"),
                    "a priced carrier rule needs a currency",
                );
            }
            check_tariff(
                &path,
                c.first_kg.as_ref(),
                c.per_kg.as_ref(),
                c.currency.as_ref(),
                &mut errors,
            )
        } else {
            None
        };
        if let Some(currency) = &c.currency {
            currencies.push((currency.clone(), path));
        }
        carrier_rules.push(CarrierRule {
            name: c.name.into_inner(),
            carrier: c.carrier,
            service: c.service,
            when: CarrierWhen {
                countries: c.when.countries,
                regions: c.when.regions.into_iter().map(Spanned::into_inner).collect(),
                attributes: c.when.attributes,
                max_weight_g: c.when.max_weight_g,
                max_longest_side_mm: c.when.max_longest_side_mm,
            },
            supports: c.supports,
            tariff,
        });
    }

    // Totals add packages' costs, which is only meaningful in one currency.
    let currency = currencies.first().map(|(c, _)| c.get_ref().clone());
    for (other, path) in &currencies {
        if Some(other.get_ref()) != currency.as_ref() {
            let message = format!(
                "all amounts must be in one currency; {} here, {} earlier",
                other.get_ref(),
                currency.as_deref().unwrap_or("")
            );
            errors.at(other.span(), format!("{path}.currency"), message);
        }
    }

    if !errors.found.is_empty() {
        return Err(errors.found);
    }
    let pick = raw.carrier_pick.map(Spanned::into_inner).unwrap_or_default();
    Ok(RoutingConfig {
        rules,
        costs,
        carriers: CarrierTable {
            pick,
            rules: carrier_rules,
        },
        currency,
    })
}

fn check_rule(index: usize, raw: RawRule, names: &mut HashSet<String>, errors: &mut Errors<'_>) -> Rule {
    let path = format!("rule[{index}]");
    if raw.name.get_ref().trim().is_empty() || !names.insert(raw.name.get_ref().clone()) {
        errors.at(
            raw.name.span(),
            format!("{path}.name"),
            "rule names must be non-empty and unique",
        );
    }
    let mut rank: Vec<RankKey> = Vec::new();
    for (i, key) in raw.rank.iter().enumerate() {
        let at = format!("{path}.rank[{i}]");
        let parsed = match key.get_ref().as_str() {
            // The package count always ranks first: the search stops at the smallest
            // number of packages that works. Naming it first is allowed as documentation.
            "shipments" if i == 0 => continue,
            "shipments" => {
                errors.at(
                    key.span(),
                    at,
                    "\"shipments\" always ranks first; it can only be the first key",
                );
                continue;
            }
            "cost" => RankKey::Cost,
            "distance" => RankKey::Distance,
            "priority" => RankKey::Priority,
            "stock_balance" => RankKey::StockBalance,
            other => {
                let message =
                    format!("unknown ranking {other:?}; expected shipments, cost, distance, priority or stock_balance");
                errors.at(key.span(), at, message);
                continue;
            }
        };
        if rank.contains(&parsed) {
            errors.at(key.span(), at, format!("{:?} is listed twice", parsed.name()));
        }
        rank.push(parsed);
    }
    let unnamed: Vec<RankKey> = RankKey::DEFAULT_ORDER
        .into_iter()
        .filter(|k| !rank.contains(k))
        .collect();
    rank.extend(unnamed);
    let max_shipments = raw.max_shipments.and_then(|m| match u32::try_from(*m.get_ref()) {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            errors.at(
                m.span(),
                format!("{path}.max_shipments"),
                "must be a whole number of at least 1",
            );
            None
        }
    });
    let mut patterns = |list: Vec<Text>, field: &str| -> Vec<String> {
        for (i, p) in list.iter().enumerate() {
            if let Err(m) = check_pattern(p.get_ref()) {
                errors.at(p.span(), format!("{path}.{field}[{i}]"), m);
            }
        }
        list.into_iter().map(Spanned::into_inner).collect()
    };
    let scope_regions = patterns(raw.when.regions, "when.regions");
    let f = raw.filters;
    let filter_regions = patterns(f.regions, "filters.regions");
    Rule {
        name: raw.name.into_inner(),
        when: OrderScope {
            channels: raw.when.channels,
            countries: raw.when.countries,
            regions: scope_regions,
        },
        filters: Filters {
            serves_channel: f.serves_channel,
            regions: filter_regions,
            ship_complete: f.ship_complete,
            above_safety_stock: f.above_safety_stock,
            within_capacity: f.within_capacity,
            attributes: f.attributes,
        },
        rank,
        max_shipments,
        split_lines: raw.split_lines,
    }
}

fn check_tariff(
    path: &str,
    first_kg: Option<&Text>,
    per_kg: Option<&Text>,
    currency: Option<&Text>,
    errors: &mut Errors<'_>,
) -> Option<Tariff> {
    let currency = currency?;
    if !is_currency_code(currency.get_ref()) {
        errors.at(
            currency.span(),
            format!("{path}.currency"),
            "expected an ISO 4217 code such as \"CNY\"",
        );
        return None;
    }
    let mut amount = |field: &str, value: Option<&Text>| -> Option<i64> {
        let Some(value) = value else {
            errors.at(
                currency.span(),
                format!("{path}.{field}"),
                format!("{field} is required with a currency"),
            );
            return None;
        };
        parse_minor(value.get_ref(), currency.get_ref())
            .map_err(|m| errors.at(value.span(), format!("{path}.{field}"), m))
            .ok()
    };
    let first_kg_minor = amount("first_kg", first_kg);
    let per_kg_minor = amount("per_kg", per_kg);
    Some(Tariff {
        first_kg_minor: first_kg_minor?,
        per_kg_minor: per_kg_minor?,
    })
}
