//! Which warehouses an order reserves from, best first: the sourcing engine's plan for
//! this order (`ordo-routing`: fewest packages, then cost, distance from the warehouse
//! to the address's region centroid, priority) ahead of the other warehouses serving
//! its channel in priority order. The stock plan then takes the first warehouse that can
//! ship everything, or fills in that order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock, OnceLock, RwLock};

use ordo_core::{Order, TenantId};
use ordo_routing::{Destination, GeoPoint, Line, RouteRequest, RoutingConfig, Stock, route};

use crate::stock::allocate::TenantStock;
use crate::stock::inventory::Warehouse;

/// The routing configuration in force: checked, where it came from, and its text.
#[derive(Debug)]
pub struct Installed {
    /// The configuration.
    pub config: RoutingConfig,
    /// `built-in`, the file it was read from, or the tenant's saved version.
    pub source: String,
    /// Its TOML.
    pub toml: String,
}

static INSTALLED: OnceLock<Arc<Installed>> = OnceLock::new();

/// Tenants' own configurations, which win over the node's. Process-wide like the node's:
/// the store sources inside its transactions, where nothing else is at hand, and every
/// node of a database puts the same tenants' saved versions here.
static TENANTS: LazyLock<RwLock<BTreeMap<TenantId, Arc<Installed>>>> = LazyLock::new(RwLock::default);

/// Sources this process's orders with `config` (read from the node's `routing.file` at
/// start) unless their tenant has its own; refused once orders have been sourced with
/// another, since a node keeps one default configuration while it runs.
pub fn install(config: RoutingConfig, source: String, toml: String) -> Result<(), String> {
    let wanted = toml.clone();
    match INSTALLED.set(Arc::new(Installed { config, source, toml })) {
        Ok(()) => Ok(()),
        // The same configuration again (a second node in one process) is fine.
        Err(_) if INSTALLED.get().is_some_and(|i| i.toml == wanted) => Ok(()),
        Err(_) => Err("another routing configuration is in force and cannot change while the node runs".into()),
    }
}

/// Replaces the tenants' own configurations (a tenant left out uses the node's).
pub fn install_tenants(tenants: BTreeMap<TenantId, Arc<Installed>>) {
    *TENANTS.write().unwrap_or_else(std::sync::PoisonError::into_inner) = tenants;
}

/// The node's routing configuration: the one installed at start, else the embedded
/// default.
pub fn installed() -> Arc<Installed> {
    INSTALLED
        .get_or_init(|| {
            Arc::new(Installed {
                config: RoutingConfig::embedded_default(),
                source: "built-in".into(),
                toml: ordo_routing::DEFAULT_TOML.into(),
            })
        })
        .clone()
}

/// The routing configuration `tenant`'s orders are sourced with: its own, else the
/// node's. Public so that reports comparing a candidate compare it with this one.
pub fn installed_for(tenant: &TenantId) -> Arc<Installed> {
    let tenants = TENANTS.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    tenants.get(tenant).cloned().unwrap_or_else(installed)
}

/// The warehouses serving the order's channel, best first for this demand.
pub fn ranked(ctx: &TenantStock, order: &Order, demand: &BTreeMap<String, i64>) -> Vec<String> {
    let channel = order.channel.as_str();
    let serving: Vec<_> = ctx.warehouses.iter().filter(|w| w.serves(channel)).collect();
    let by_priority: Vec<String> = serving.iter().map(|w| w.code.clone()).collect();
    // With one warehouse (or nothing to ship) there is nothing to choose.
    if serving.len() < 2 || demand.is_empty() {
        return by_priority;
    }
    let warehouses: Vec<ordo_routing::Warehouse> = serving.iter().map(|w| routing_warehouse(w)).collect();
    let mut stock = Stock::new();
    for sku in demand.keys() {
        for w in &serving {
            let level = ctx.book.level(sku, &w.code);
            add_level(
                &mut stock,
                sku,
                &w.code,
                level.on_hand - level.reserved,
                level.safety_stock,
            );
        }
    }
    let request = route_request(order, demand);
    let Ok(plan) = route(&installed_for(&ctx.tenant).config, &request, &warehouses, &stock) else {
        // Unroutable now: the stock plan holds or backorders by priority as before.
        return by_priority;
    };
    let mut ranked: Vec<String> = Vec::with_capacity(by_priority.len());
    for shipment in &plan.shipments {
        if !ranked.contains(&shipment.warehouse) {
            ranked.push(shipment.warehouse.clone());
        }
    }
    let rest: Vec<String> = by_priority.into_iter().filter(|w| !ranked.contains(w)).collect();
    ranked.extend(rest);
    ranked
}

/// The engine's view of a warehouse. Daily capacity is not passed on: the store does not
/// count the packages a warehouse handed over today, so the limit could not be checked.
pub fn routing_warehouse(w: &Warehouse) -> ordo_routing::Warehouse {
    let mut r = ordo_routing::Warehouse::new(w.code.clone());
    r.point = w.latitude.zip(w.longitude).map(|(lat, lng)| GeoPoint { lat, lng });
    r.region = w.region.clone();
    r.channels = w.channels.clone();
    r.priority = w.priority;
    r.active = w.active;
    r
}

/// Puts one stock level into the engine's stock: `available` units (none when negative)
/// and its safety stock.
pub fn add_level(stock: &mut Stock, sku: &str, warehouse: &str, available: i64, safety_stock: i64) {
    stock.set_available(sku, warehouse, u32::try_from(available.max(0)).unwrap_or(u32::MAX));
    stock.set_safety(sku, warehouse, u32::try_from(safety_stock.max(0)).unwrap_or(0));
}

/// The engine's request for an order: its demand (stocked SKU → units, aliases resolved
/// and bundles expanded) to the centroid of its shipping address's region, named
/// `channel/external id`.
pub fn route_request(order: &Order, demand: &BTreeMap<String, i64>) -> RouteRequest {
    let lines = demand
        .iter()
        .map(|(sku, units)| Line::new(sku.clone(), u32::try_from(*units).unwrap_or(u32::MAX)))
        .collect();
    let address = order.destination();
    let point = ordo_geo::locate(
        &address.country,
        address.province.as_deref(),
        address.city.as_deref(),
        address.district.as_deref(),
    )
    .map(|l| GeoPoint {
        lat: l.point.lat,
        lng: l.point.lng,
    });
    RouteRequest {
        order_id: format!("{}/{}", order.channel, order.external_id),
        channel: order.channel.as_str().to_owned(),
        destination: Destination {
            country: address.country.clone(),
            region: None,
            point,
        },
        lines,
    }
}

/// What a package is to a carrier: its weight, the size of its largest item (the box is
/// at least that big) and the attributes of what it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    /// Grams; items of unknown weight count as nothing.
    pub weight_g: u32,
    /// Length × width × height of its largest item, millimetres, when known.
    pub dims_mm: Option<[u32; 3]>,
    /// Every attribute of its items (`cold_chain`, `hazmat` …).
    pub attributes: BTreeSet<String>,
}

impl Package {
    /// The package of these (SKU, units), from the catalogue facts at hand.
    pub fn of(catalogue: &BTreeMap<String, crate::stock::records::CatalogueRow>, lines: &[(String, i64)]) -> Self {
        let clamp = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
        let mut package = Package::default();
        for (sku, units) in lines {
            let Some(row) = catalogue.get(sku) else { continue };
            let weight = row.weight_g.unwrap_or(0).saturating_mul((*units).max(0));
            package.weight_g = package.weight_g.saturating_add(clamp(weight));
            if let Some(dims) = row.dims_mm.map(|d| d.map(clamp)) {
                let longest = |d: &[u32; 3]| d.iter().copied().max().unwrap_or(0);
                if package.dims_mm.is_none_or(|have| longest(&dims) > longest(&have)) {
                    package.dims_mm = Some(dims);
                }
            }
            package.attributes.extend(row.attributes.iter().cloned());
        }
        package
    }
}

/// The carrier and service for a package of an order, from the sourcing configuration's
/// carrier rules (its tenant's) by destination, weight, size and attributes.
pub fn carrier_for(tenant: &TenantId, order: &Order, package: &Package) -> Option<(String, String)> {
    let address = order.destination();
    let destination = Destination {
        country: address.country.clone(),
        region: None,
        point: None,
    };
    ordo_routing::select_carrier(
        &installed_for(tenant).config.carriers,
        &destination,
        package.weight_g,
        package.dims_mm,
        &package.attributes,
    )
    .map(|c| (c.carrier, c.service))
}
