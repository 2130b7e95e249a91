//! A seeded, reproducible simulation of orders and stock: long random sequences of new
//! orders (paid and unpaid, plain and bundles, hold and backorder), channel updates and
//! cancellations, unpaid timeouts, shipments, returns, retries, adjustments and receipts,
//! and after-sale cases whose goods come back restocked, quarantined, written off or
//! missing.
//!
//! The test keeps its own tally of what every call reported and checks, along the way and
//! at the end: on hand = receipts + adjustments − shipments + returns + restocked units
//! per (warehouse, SKU);
//! reserved = the sum of the orders' open reservations; nothing negative; balances agree
//! with movements. `ORDO_SIM_SEED` replays a failing history.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Duration;
use ordo_core::OrderId;
use ordo_core::aftersale::{CaseFlow, CaseKind, Disposition, Receipt};
use ordo_core::allocation::{OrderStock, ReserveWhen, ShortStock, StockPolicy};
use serde_json::json;

use crate::aftersales::records::{CaseCommand, NewCase};
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
            9 if !orders.is_empty() => {
                let i = rng.below(orders.len() as u64) as usize;
                after_sale(&store, orders[i].id, &mut rng, &mut on_hand, &context).await;
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
    let cases: i64 = store.case_counts(&acme()).await.unwrap().iter().map(|(_, n)| n).sum();
    assert!(cases > 0, "seed {seed}: the history took goods back through cases");
}

/// Goods of a shipped order come back through a case: some units each restocked (in a
/// warehouse chosen at random), quarantined, written off or missing. Only restocked
/// units count on hand.
async fn after_sale<T: Store>(
    store: &Arc<T>,
    id: OrderId,
    rng: &mut SplitMix,
    on_hand: &mut BTreeMap<(String, String), i64>,
    context: &str,
) {
    let mut stock = store.get_order_stock(&acme(), id).await.unwrap();
    if !stock.allocations.iter().any(|a| a.shipped > a.returned) {
        // Ship it first when it can, so goods have something to come back from.
        let ship = OrderRequest::Ship(Default::default());
        match store
            .order_request(&acme(), id, &ship, HOLD, "sim", now())
            .await
            .unwrap()
        {
            Ok(outcome) => {
                tally_shipping(on_hand, &stock, &outcome.stock);
                stock = outcome.stock;
            }
            Err(_) => return,
        }
    }
    if !stock.allocations.iter().any(|a| a.shipped > a.returned) {
        return;
    }
    // A line of the order as it is now (a bundle comes back as its components).
    let order = store.get_order(&acme(), id).await.unwrap().unwrap().state.order;
    let line = &order.lines[rng.below(order.lines.len() as u64) as usize];
    let sku = line.sku.as_str().to_owned();
    let units = 1 + rng.below(u64::from(line.quantity.get()));
    let kind = if rng.below(3) == 0 {
        CaseKind::Exchange
    } else {
        CaseKind::ReturnRefund
    };
    let new = NewCase {
        order_id: id,
        kind,
        reason: None,
        lines: vec![(sku.clone(), units)],
        exchange_lines: vec![("A".into(), 1)],
        channel_case_id: None,
        channel_status: None,
    };
    let flow = CaseFlow::default();
    let case = match store.open_case(&acme(), &new, "sim", now()).await.unwrap() {
        Ok(case) => case,
        // Its units did not all ship, or are in another case already.
        Err(e) if e.code() == "quantity_exceeded" => return,
        Err(e) => panic!("{context}: {e}"),
    };
    store
        .case_command(&acme(), case.id, &CaseCommand::Approve, &flow, "sim", now())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{context}: {e}"));
    let mut receipts = Vec::new();
    for _ in 0..units {
        let disposition = Disposition::ALL[rng.below(4) as usize];
        let warehouse = WAREHOUSES[rng.below(2) as usize];
        receipts.push(Receipt {
            sku: sku.clone(),
            quantity: 1,
            disposition,
            warehouse: Some(warehouse.into()),
        });
    }
    store
        .case_command(
            &acme(),
            case.id,
            &CaseCommand::Receive(receipts.clone()),
            &flow,
            "sim",
            now(),
        )
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("{context}: {e}"));
    // KIT = 2 A + 1 B (see `setup`).
    let parts: Vec<(&str, i64)> = if sku == "KIT" {
        vec![("A", 2), ("B", 1)]
    } else {
        vec![(sku.as_str(), 1)]
    };
    for r in receipts.iter().filter(|r| r.disposition == Disposition::Restock) {
        for (part, per) in &parts {
            *on_hand
                .entry((r.warehouse.clone().unwrap_or_default(), (*part).to_owned()))
                .or_insert(0) += r.quantity * per;
        }
    }
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
