//! route() against the MSI-like greedy_per_sku baseline for a 3-line order over 10 and 50
//! warehouses, on two networks: `mixed` (random stock, often one warehouse holds it all)
//! and `no-single` (every warehouse lacks one of the three SKUs, so the order must split
//! and the search has to compare pairs).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ordo_routing::{Destination, GeoPoint, Line, RouteRequest, RoutingConfig, Stock, Warehouse, greedy_per_sku, route};

/// Points spread over eastern China, around the Hangzhou destination.
fn network(count: usize, no_single: bool) -> (Vec<Warehouse>, Stock) {
    // A fixed linear congruential sequence: the same network on every run.
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |bound: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % bound
    };
    let regions = ["CN-ZJ", "CN-SH", "CN-JS", "CN-GD", "CN-BJ", "CN-SC"];
    let mut stock = Stock::new();
    let mut warehouses = Vec::with_capacity(count);
    for i in 0..count {
        let code = format!("WH-{i:02}");
        let mut warehouse = Warehouse::new(&code);
        warehouse.region = Some(regions[i % regions.len()].into());
        warehouse.point = Some(GeoPoint {
            lat: 22.0 + next(180) as f64 / 10.0,
            lng: 104.0 + next(180) as f64 / 10.0,
        });
        warehouse.priority = next(5) as i64;
        for (j, sku) in ["A", "B", "C"].iter().enumerate() {
            let holds = if no_single { (i + j) % 3 != 0 } else { next(2) == 0 };
            if holds {
                stock.set_available(sku, &code, 2 + next(6) as u32);
            }
        }
        warehouses.push(warehouse);
    }
    (warehouses, stock)
}

fn order() -> RouteRequest {
    let line = |sku: &str, quantity| Line {
        weight_g: 400,
        dims_mm: Some([200, 150, 80]),
        ..Line::new(sku, quantity)
    };
    RouteRequest {
        order_id: "bench".into(),
        channel: "web".into(),
        destination: Destination {
            country: "CN".into(),
            region: Some("CN-ZJ".into()),
            point: Some(GeoPoint {
                lat: 30.2741,
                lng: 120.1551,
            }),
        },
        lines: vec![line("A", 2), line("B", 1), line("C", 2)],
    }
}

fn bench(c: &mut Criterion) {
    let config = RoutingConfig::embedded_default();
    let request = order();
    for (name, no_single) in [("mixed", false), ("no-single", true)] {
        let mut group = c.benchmark_group(format!("route_3_lines/{name}"));
        for count in [10, 50] {
            let (warehouses, stock) = network(count, no_single);
            let plan = route(&config, &request, &warehouses, &stock).expect("the bench network can ship the order");
            let baseline = greedy_per_sku(&config, &request, &warehouses, &stock).expect("and so can the baseline");
            eprintln!(
                "{name}/{count}: engine {} package(s) by {}, greedy per SKU {}",
                plan.shipments.len(),
                plan.rule,
                baseline.shipments.len()
            );
            group.bench_with_input(BenchmarkId::new("engine", count), &count, |b, _| {
                b.iter(|| {
                    route(
                        black_box(&config),
                        black_box(&request),
                        black_box(&warehouses),
                        black_box(&stock),
                    )
                })
            });
            group.bench_with_input(BenchmarkId::new("greedy_per_sku", count), &count, |b, _| {
                b.iter(|| {
                    greedy_per_sku(
                        black_box(&config),
                        black_box(&request),
                        black_box(&warehouses),
                        black_box(&stock),
                    )
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
