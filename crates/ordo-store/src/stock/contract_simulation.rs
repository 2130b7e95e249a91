//! A seeded, reproducible simulation of orders and stock: long random sequences of new
//! orders (paid and unpaid, plain and bundles, hold and backorder), channel updates and
//! cancellations, unpaid timeouts, shipments, returns, retries, adjustments and receipts.
//!
//! The test keeps its own tally of what every call reported and checks, along the way and
//! at the end: on hand = receipts + adjustments − shipments + returns per (warehouse, SKU);
//! reserved = the sum of the orders' open reservations; nothing negative; balances agree
//! with movements. `ORDO_SIM_SEED` replays a failing history.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use ordo_core::OrderId;
use ordo_core::allocation::{OrderStock, ReserveWhen, ShortStock, StockPolicy};
use serde_json::json;

use crate::stock::contract::{HOLD, acme, level, now, order, receive, setup, with_policy};
use crate::stock::contract_inventory::SplitMix;
use crate::stock::inventory::{StockChange, StockOp};
use crate::{IngestItem, IngestResult, OrderRequest, OrderRequestError, Store, StoreError};

const WAREHOUSES: [&str; 2] = ["HZ-01", "SZ-01"];
const SKUS: [&str; 3] = ["A", "B", "C"];
const STEPS: usize = 300;

struct Tracked {
    id: OrderId,
    external_id: String,
    version: i64,
}

pub(crate) async fn run<T: Store>(store: Arc<T>) {
    let seed = std::env::var("ORDO_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261122);
    let mut rng = SplitMix(seed);
    setup(&store).await;
    // Expected on hand per (warehouse, sku), from what each call reported.
    let mut on_hand: BTreeMap<(String, String), i64> = BTreeMap::new();
    for w in WAREHOUSES {
        for s in SKUS {
            let units = rng.below(6);
            if units > 0 {
                receive(&store, w, s, units).await;
            }
            on_hand.insert((w.into(), s.into()), units);
        }
    }
    let mut orders: Vec<Tracked> = Vec::new();
    for step in 0..STEPS {
        let context = format!("seed {seed} step {step}");
        match rng.below(10) {
            0..=2 => {
                let external_id = format!("SIM-{step}");
                let mut lines = Vec::new();
                for _ in 0..=rng.below(2) {
                    let sku = ["A", "B", "C", "KIT"][rng.below(4) as usize];
                    if !lines.iter().any(|(s, _)| *s == sku) {
                        lines.push((sku, 1 + rng.below(3) as u32));
                    }
                }
                let paid = rng.below(3) > 0;
                let policy = StockPolicy {
                    reserve_when: if rng.below(2) == 0 {
                        ReserveWhen::Paid
                    } else {
                        ReserveWhen::Placed
                    },
                    on_short: if rng.below(2) == 0 {
                        ShortStock::Hold
                    } else {
                        ShortStock::Backorder
                    },
                };
                let item = with_policy(
                    order(&external_id, &lines, |v| {
                        v["updated_at"] = json!(now().to_rfc3339());
                        if !paid {
                            v["financial_status"] = json!("pending");
                        }
                    }),
                    policy,
                );
                let id = ingest(&store, item, &context).await;
                orders.push(Tracked {
                    id,
                    external_id,
                    version: 0,
                });
            }
            3 if !orders.is_empty() => {
                // The channel sends a later version: paid, a changed line, or cancelled.
                let i = rng.below(orders.len() as u64) as usize;
                orders[i].version += 1;
                let stamp = (now() + Duration::minutes(orders[i].version)).to_rfc3339();
                let cancel = rng.below(3) == 0;
                let quantity = 1 + rng.below(3) as u32;
                let item = order(&orders[i].external_id, &[("A", quantity)], |v| {
                    v["updated_at"] = json!(stamp);
                    if cancel {
                        v["cancelled_at"] = json!(stamp);
                    }
                });
                ingest(&store, item, &context).await;
            }
            4..=6 if !orders.is_empty() => {
                let i = rng.below(orders.len() as u64) as usize;
                let request = match rng.below(4) {
                    0 => OrderRequest::Ship(Default::default()),
                    1 => OrderRequest::Return(None),
                    2 => OrderRequest::ExpireUnpaid,
                    _ => OrderRequest::Retry,
                };
                let id = orders[i].id;
                let before = store.get_order_stock(&acme(), id).await.unwrap();
                let result = store
                    .order_request(&acme(), id, &request, HOLD, "sim", now())
                    .await
                    .unwrap_or_else(|e| panic!("{context}: {request:?}: {e}"));
                match result {
                    Ok(outcome) => tally_shipping(&mut on_hand, &before, &outcome.stock),
                    Err(OrderRequestError::IllegalState { .. } | OrderRequestError::Plan(_)) => {}
                    Err(other) => panic!("{context}: {other}"),
                }
            }
            7 => {
                for id in store.waiting_orders(&acme(), 5).await.unwrap() {
                    let outcome = store
                        .order_request(&acme(), id, &OrderRequest::Retry, HOLD, "sim", now())
                        .await
                        .unwrap();
                    assert!(outcome.is_ok(), "{context}: a waiting order can be retried");
                }
            }
            _ => {
                let w = WAREHOUSES[rng.below(2) as usize];
                let s = SKUS[rng.below(3) as usize];
                let op = if rng.below(2) == 0 {
                    StockOp::Receive {
                        quantity: 1 + rng.below(4),
                    }
                } else {
                    StockOp::Adjust {
                        delta: rng.below(5) - 3,
                    }
                };
                let change = StockChange {
                    warehouse: w.into(),
                    sku: s.into(),
                    op,
                    reason: "sim".into(),
                    reference: None,
                    actor: "sim".into(),
                };
                let result = store.change_stock(&acme(), &[change], now()).await.unwrap().remove(0);
                if let Ok(level) = result {
                    on_hand.insert((w.into(), s.into()), level.on_hand);
                }
            }
        }
        if step % 50 == 49 {
            check(&store, &orders, &on_hand, &context).await;
        }
    }
    check(&store, &orders, &on_hand, &format!("seed {seed} at the end")).await;
}

async fn ingest<T: Store>(store: &Arc<T>, item: IngestItem, context: &str) -> OrderId {
    let items: Arc<[IngestItem]> = Arc::from(vec![item]);
    loop {
        match store.ingest_batch(items.clone(), now()).await {
            Err(StoreError::Retryable(_)) => continue,
            Ok(mut results) => match results.remove(0) {
                IngestResult::Applied { order_id, .. } => return order_id,
                other => panic!("{context}: {other:?}"),
            },
            Err(e) => panic!("{context}: {e}"),
        }
    }
}

/// Shipments take units off the shelf and returns put them back.
fn tally_shipping(on_hand: &mut BTreeMap<(String, String), i64>, before: &OrderStock, after: &OrderStock) {
    for a in &after.allocations {
        let old = before
            .allocations
            .iter()
            .find(|b| b.sku == a.sku && b.warehouse == a.warehouse);
        let (shipped, returned) = old.map_or((0, 0), |b| (b.shipped, b.returned));
        let units = on_hand.entry((a.warehouse.clone(), a.sku.clone())).or_insert(0);
        *units -= a.shipped - shipped;
        *units += a.returned - returned;
    }
}

async fn check<T: Store>(store: &Arc<T>, orders: &[Tracked], on_hand: &BTreeMap<(String, String), i64>, context: &str) {
    let mut reserved: BTreeMap<(String, String), i64> = BTreeMap::new();
    for o in orders {
        for a in store.get_order_stock(&acme(), o.id).await.unwrap().allocations {
            assert!(a.reserved >= 0 && a.shipped >= a.returned, "{context}: {a:?}");
            *reserved.entry((a.warehouse, a.sku)).or_insert(0) += a.reserved;
        }
    }
    for w in WAREHOUSES {
        for s in SKUS {
            let key = (w.to_owned(), s.to_owned());
            let stored = level(store, w, s).await;
            assert_eq!(stored.on_hand, on_hand[&key], "{context}: on hand of {s} in {w}");
            assert_eq!(
                stored.reserved,
                reserved.get(&key).copied().unwrap_or(0),
                "{context}: reserved of {s} in {w} is the sum of open reservations"
            );
            assert!(stored.on_hand >= 0 && stored.reserved >= 0, "{context}: {stored:?}");
        }
    }
    assert!(
        store.check_inventory(&acme()).await.unwrap().is_empty(),
        "{context}: balances vs movements"
    );
}
