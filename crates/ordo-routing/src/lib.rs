//! Ordo's sourcing engine: decides which warehouses ship an order, in as few packages as
//! possible.
//!
//! Pure and deterministic: no IO, no clock, no async. The same configuration, order,
//! warehouses and stock always give the same plan, down to the tie-breaks.
//!
//! Like HotWax's brokering rules and Shopify's order routing, a configuration is a list
//! of rules tried in order, each narrowing the warehouses and ranking what is left,
//! falling through to the next rule when nothing passes. Unlike them, and unlike Magento
//! MSI's source selection (greedy per SKU, see [`greedy_per_sku`]), every rule searches
//! for the plan with the **fewest packages** first: one warehouse that can ship
//! everything beats any split, however near the split's warehouses are.
//!
//! # Using it
//!
//! - [`route`] plans one order; [`Unroutable`] says, rule by rule, why it could not.
//! - [`select_carrier`] picks a package's carrier; [`haversine_km`] measures distances.
//! - [`what_if`] replays orders under the current and a candidate configuration.
//! - [`greedy_per_sku`] is the baseline that [`route`] is measured against.
//!
//! # Configuration (TOML)
//!
//! [`RoutingConfig::from_toml`] reads it; [`DEFAULT_TOML`] is the one Ordo ships with.
//! Unknown fields are errors, and every error has a line, a column and a field path.
//!
//! ```toml
//! carrier_pick = "first"        # or "cheapest"; top-level keys come before any table
//!
//! [[rule]]                      # tried in file order; at least one
//! name = "same-region-single"   # unique; reported in plans and reasons
//! when = { channels = ["tmall"], countries = ["CN"], regions = ["CN-*"] }  # optional
//! rank = ["distance", "cost", "priority", "stock_balance"]
//! max_shipments = 1             # optional: plans with more packages fail this rule
//! split_lines = true            # optional: may one line come from several warehouses
//! [rule.filters]                # or inline, on one line: filters = { regions = [...] }
//! serves_channel = true
//! regions = ["CN-*"]
//! ship_complete = true
//! above_safety_stock = true
//! within_capacity = true
//! attributes = true
//!
//! [[cost]]                      # first match prices a package; all in one currency
//! from = "CN-*"                 # pattern on the warehouse's region
//! to = "CN"                     # pattern on the destination's region or country
//! first_kg = "8.00"             # decimal strings, stored as integer minor units
//! per_kg = "2.00"               # per further started kilogram
//! currency = "CNY"
//!
//! [[carrier]]
//! name = "sf-cold"
//! carrier = "SF"
//! service = "cold-chain"
//! supports = ["fragile"]        # other package attributes it may carry
//! first_kg = "25.00"            # optional price; replaces the lane's estimate
//! per_kg = "8.00"
//! currency = "CNY"
//! [carrier.when]                # unset conditions always hold
//! countries = ["CN"]
//! regions = ["CN-*"]
//! attributes = ["cold_chain"]   # the package must have all of these
//! max_weight_g = 20000
//! max_longest_side_mm = 1200    # a package of unknown size does not fit a size limit
//! ```
//!
//! **Rules.** `when` limits the orders a rule applies to (empty lists match all).
//! `filters` limit the warehouses; their defaults are the safe values, so a rule must say
//! `false` to ship safety stock, ignore capacity, ignore attributes or ignore channels:
//! `serves_channel` (true), `regions` (any), `ship_complete` (false: keep only warehouses
//! that can ship the whole order alone), `above_safety_stock` (true), `within_capacity`
//! (true: a warehouse below its daily package limit), `attributes` (true: a line ships
//! only from warehouses with all its attributes). Inactive warehouses never ship.
//!
//! **Ranking.** Fewer packages always rank first (`"shipments"` may be written as the
//! first key, nowhere else), then fewer lines split across warehouses: a line is split
//! only when no plan with as few packages keeps it whole. Then `rank` in order, with the
//! keys it leaves out following in the order `cost`, `distance`, `priority`,
//! `stock_balance`; the warehouse codes break what remains. `cost` and `distance` put
//! unknown values after known ones; `priority` sums the warehouses' priorities (lower
//! first); `stock_balance` prefers the plan leaving stock most even.
//!
//! **Patterns** match region codes: `*` is any run of characters (`CN-*`, `*`), case is
//! ignored, and `{country}` / `{region}` stand for the destination's, so
//! `regions = ["{country}-*"]` means "in the order's country". A warehouse without a
//! region matches only `*`.
//!
//! **Costs.** A package costs the first kilogram (or part of it) plus `per_kg` for every
//! further started kilogram of its actual weight, at the chosen carrier's price when it
//! has one, else the first matching `[[cost]]` lane's; unknown when neither applies.
//!
//! # Search bound
//!
//! The exact search enumerates warehouse subsets by increasing size and stops at the
//! first size that covers the order, scoring every subset of that size. Candidates are
//! visited in the order of the rule's first ranking key, and the work per rule is capped
//! by [`WORK_BUDGET`] (200,000 units, about 6 ms on a 2-vCPU server): enough for every
//! pair of 50 warehouses. Past the cap the best plan seen so far is kept, or, if none was
//! seen yet, a greedy cover (or MSI's per-SKU cover when that needs fewer packages);
//! [`RoutePlan::search_complete`] then says so.

mod baseline;
mod carrier;
mod config;
mod engine;
mod geo;
mod model;
mod money;
mod search;
mod whatif;

pub use baseline::{GREEDY_PER_SKU, greedy_per_sku};
pub use carrier::select_carrier;
pub use config::{
    CarrierPick, CarrierRule, CarrierTable, CarrierWhen, ConfigError, CostLane, DEFAULT_TOML, Filters, OrderScope,
    RankKey, RoutingConfig, Rule, Tariff,
};
pub use engine::route;
pub use geo::{any_region_matches, haversine_km, region_matches};
pub use model::{
    CarrierChoice, Destination, GeoPoint, Line, PlannedShipment, RoutePlan, RouteRequest, Stock, Unroutable, Warehouse,
};
pub use search::WORK_BUDGET;
pub use whatif::{StockMode, Summary, WhatIf, replay, what_if, what_if_with};
