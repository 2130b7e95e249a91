//! Fixtures shared by the integration tests: real city coordinates, small builders for
//! warehouses and orders, and configs written inline so each test shows its rules.

#![allow(dead_code)] // Each test file uses a different part of the fixtures.

use std::collections::BTreeSet;

use ordo_routing::{Destination, GeoPoint, Line, RouteRequest, RoutingConfig, Stock, Warehouse};

pub const SHANGHAI: GeoPoint = GeoPoint {
    lat: 31.2304,
    lng: 121.4737,
};
pub const GUANGZHOU: GeoPoint = GeoPoint {
    lat: 23.1291,
    lng: 113.2644,
};
pub const HANGZHOU: GeoPoint = GeoPoint {
    lat: 30.2741,
    lng: 120.1551,
};
pub const BEIJING: GeoPoint = GeoPoint {
    lat: 39.9042,
    lng: 116.4074,
};
pub const CHENGDU: GeoPoint = GeoPoint {
    lat: 30.5728,
    lng: 104.0668,
};

/// An active warehouse at `point` in `region`.
pub fn warehouse(code: &str, region: &str, point: GeoPoint) -> Warehouse {
    Warehouse {
        region: Some(region.into()),
        point: Some(point),
        ..Warehouse::new(code)
    }
}

pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Stock from `(sku, warehouse, units)` triples.
pub fn stock(entries: &[(&str, &str, u32)]) -> Stock {
    let mut stock = Stock::new();
    for (sku, warehouse, units) in entries {
        stock.set_available(sku, warehouse, *units);
    }
    stock
}

/// A web-channel order to Hangzhou with `(sku, quantity)` lines of 500 g each.
pub fn order(id: &str, lines: &[(&str, u32)]) -> RouteRequest {
    RouteRequest {
        order_id: id.into(),
        channel: "web".into(),
        destination: hangzhou(),
        lines: lines
            .iter()
            .map(|(sku, q)| Line {
                weight_g: 500,
                ..Line::new(*sku, *q)
            })
            .collect(),
    }
}

pub fn hangzhou() -> Destination {
    Destination {
        country: "CN".into(),
        region: Some("CN-ZJ".into()),
        point: Some(HANGZHOU),
    }
}

pub fn config(text: &str) -> RoutingConfig {
    RoutingConfig::from_toml(text, "test.toml").unwrap_or_else(|e| panic!("test config is invalid: {e:?}"))
}

/// One rule that splits freely: the engine's own behaviour with no policy on top.
pub fn fewest_packages() -> RoutingConfig {
    config(
        r#"
        [[rule]]
        name = "fewest-packages"
        "#,
    )
}

/// `(warehouse, [(sku, units)])` per package, for compact assertions.
pub fn packages(plan: &ordo_routing::RoutePlan) -> Vec<(String, Vec<(String, u32)>)> {
    plan.shipments
        .iter()
        .map(|s| (s.warehouse.clone(), s.lines.clone()))
        .collect()
}

pub fn codes(plan: &ordo_routing::RoutePlan) -> Vec<&str> {
    plan.shipments.iter().map(|s| s.warehouse.as_str()).collect()
}
