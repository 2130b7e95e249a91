//! Plain-words reasons a rule produced no plan, as reported in [`crate::Unroutable`].

use super::Demand;
use crate::config::Rule;
use crate::geo::any_region_matches;
use crate::model::RouteRequest;

/// Why warehouses holding stock for the order were left out, grouped by reason in a fixed
/// order; codes come in the order warehouses are visited, which is code order.
#[derive(Default)]
pub(super) struct Exclusions {
    inactive: Vec<String>,
    other_channel: Vec<String>,
    other_region: Vec<String>,
    at_capacity: Vec<String>,
}

/// A filter that left a warehouse out.
#[derive(Clone, Copy)]
pub(super) enum Excluded {
    Inactive,
    OtherChannel,
    OtherRegion,
    AtCapacity,
}

impl Exclusions {
    pub(super) fn add(&mut self, why: Excluded, code: &str) {
        let list = match why {
            Excluded::Inactive => &mut self.inactive,
            Excluded::OtherChannel => &mut self.other_channel,
            Excluded::OtherRegion => &mut self.other_region,
            Excluded::AtCapacity => &mut self.at_capacity,
        };
        list.push(code.to_owned());
    }

    /// `reason`, followed by the exclusions that may explain it.
    pub(super) fn explain(&self, reason: String) -> String {
        let groups = [
            ("inactive", &self.inactive),
            ("channel not served", &self.other_channel),
            ("outside the rule's regions", &self.other_region),
            ("capacity reached", &self.at_capacity),
        ];
        let mut out = reason;
        for (why, codes) in groups.into_iter().filter(|(_, codes)| !codes.is_empty()) {
            out.push_str(&format!("; {why} at {}", codes.join(", ")));
        }
        out
    }
}

/// Why an order falls outside a rule's `when`, if it does.
pub(super) fn out_of_scope(rule: &Rule, request: &RouteRequest) -> Option<String> {
    let when = &rule.when;
    let destination = &request.destination;
    if !when.channels.is_empty() && !when.channels.contains(&request.channel) {
        return Some(format!("applies only to channels {}", when.channels.join(", ")));
    }
    if !when.countries.is_empty()
        && !when
            .countries
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&destination.country))
    {
        return Some(format!("applies only to destinations in {}", when.countries.join(", ")));
    }
    if !when.regions.is_empty() && !any_region_matches(&when.regions, destination.region.as_deref(), Some(destination))
    {
        return Some(format!(
            "applies only to destination regions {}",
            when.regions.join(", ")
        ));
    }
    None
}

/// Per SKU, the units the rule's warehouses can ship in total and at most from one.
pub(super) struct Supply {
    pub total: Vec<u64>,
    pub most_at_one: Vec<u32>,
}

/// Says which SKU the rule's warehouses cannot supply, in the terms of its filters.
pub(super) fn shortfall(rule: &Rule, demand: &[Demand], any_active: bool, supply: &Supply) -> String {
    let filters = &rule.filters;
    if !any_active {
        return "no active warehouse".into();
    }
    let whole_only = filters.ship_complete || !rule.split_lines;
    let qualifier = |d: &Demand| {
        let mut q = String::new();
        if filters.above_safety_stock {
            q.push_str(" above safety stock");
        }
        if filters.attributes && !d.attributes.is_empty() {
            let needs: Vec<&str> = d.attributes.iter().map(String::as_str).collect();
            q.push_str(&format!(" with {}", needs.join(" + ")));
        }
        q
    };
    let mut parts = Vec::new();
    for (s, d) in demand.iter().enumerate() {
        let total = supply.total[s];
        if whole_only && supply.most_at_one[s] < d.quantity {
            parts.push(format!("no warehouse has {} × {}{}", d.quantity, d.sku, qualifier(d)));
        } else if total < u64::from(d.quantity) {
            parts.push(format!(
                "only {total} of {} × {} available{}",
                d.quantity,
                d.sku,
                qualifier(d)
            ));
        }
    }
    if parts.is_empty() && filters.ship_complete {
        let skus: Vec<&str> = demand.iter().map(|d| d.sku.as_str()).collect();
        parts.push(format!("no warehouse has every line ({}) at once", skus.join(", ")));
    }
    parts.join("; ")
}
