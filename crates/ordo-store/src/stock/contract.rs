//! The order-stock contract every store adapter must keep: reservations in the ingest
//! transaction, holds and backorders, releases, shipments and returns, channel quantities,
//! alerts, the feed and the outbox. Expanded per adapter by [`crate::stock_contract_tests!`].

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ordo_core::allocation::{ReserveWhen, ShortStock, StockPolicy};
use ordo_core::input::{EXAMPLE_JSON, OrderInput};
use ordo_core::inventory::{ChannelPolicy, Component, MovementKind, SkuOverride, StockLevel};
use ordo_core::{OrderId, OrderStatus, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::stock::inventory::*;
use crate::*;

/// Expands to one `#[tokio::test]` per order-stock behaviour, each on a fresh store.
#[macro_export]
macro_rules! stock_contract_tests {
    ($factory:path) => {
        $crate::stock_contract_tests!(@each $factory;
            a_paid_order_reserves_its_lines_in_the_ingest_transaction,
            short_stock_holds_or_backorders_as_configured,
            unknown_skus_hold_the_order,
            sku_aliases_resolve_for_the_channel_first_then_for_every_channel,
            a_bundle_reserves_its_components,
            cancelling_or_removing_a_line_releases_stock,
            shipping_deducts_and_a_return_restocks,
            unpaid_orders_expire_and_release_their_stock,
            a_held_order_is_found_and_allocated_when_stock_arrives,
            channel_rules_queue_sellable_quantities_in_the_outbox,
            low_stock_opens_and_closes_an_alert_with_a_webhook_message,
            the_feed_numbers_events_and_resumes_after_any_number,
            pruning_the_feed_keeps_numbers_going_forward,
            outbox_attempts_are_recorded,
            forecasts_follow_recent_sales,
            racing_orders_never_oversell_the_last_units,
            racing_bundles_never_oversell_shared_components,
            a_seeded_random_order_history_conserves_stock
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::stock::contract::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

pub(crate) fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

pub(crate) const HOLD: StockPolicy = StockPolicy {
    reserve_when: ReserveWhen::Paid,
    on_short: ShortStock::Hold,
};

const BACKORDER: StockPolicy = StockPolicy {
    reserve_when: ReserveWhen::Paid,
    on_short: ShortStock::Backorder,
};

/// Two warehouses (HZ-01 first), SKUs A, B, C (threshold 2) and bundle KIT = 2 A + 1 B.
pub(crate) async fn setup<T: Store>(store: &Arc<T>) {
    store.ensure_tenant(&acme(), "Acme", now()).await.unwrap();
    for (code, priority) in [("HZ-01", 0), ("SZ-01", 1)] {
        let w = Warehouse {
            code: code.into(),
            name: code.into(),
            latitude: None,
            longitude: None,
            region: None,
            channels: vec![],
            daily_capacity: None,
            priority,
            active: true,
        };
        store.upsert_warehouse(&acme(), &w, now()).await.unwrap();
    }
    for code in ["A", "B", "C"] {
        store
            .upsert_sku(&acme(), &sku(code, vec![]), now())
            .await
            .unwrap()
            .unwrap();
    }
    let kit = sku(
        "KIT",
        vec![
            Component {
                sku: "A".into(),
                quantity: 2,
            },
            Component {
                sku: "B".into(),
                quantity: 1,
            },
        ],
    );
    store.upsert_sku(&acme(), &kit, now()).await.unwrap().unwrap();
}

fn sku(code: &str, components: Vec<Component>) -> SkuRecord {
    SkuRecord {
        code: code.into(),
        barcode: None,
        name: code.into(),
        weight_g: None,
        dimensions_mm: None,
        attributes: vec![],
        cost_price_minor: None,
        cost_currency: None,
        low_stock_threshold: (code == "C").then_some(2),
        components,
    }
}

pub(crate) async fn receive<T: Store>(store: &Arc<T>, warehouse: &str, sku: &str, quantity: i64) {
    let change = StockChange {
        warehouse: warehouse.into(),
        sku: sku.into(),
        op: StockOp::Receive { quantity },
        reason: "receipt".into(),
        reference: None,
        actor: "test".into(),
    };
    store.change_stock(&acme(), &[change], now()).await.unwrap()[0]
        .clone()
        .unwrap();
}

/// An order `id` with these (sku, quantity) lines.
pub(crate) fn order(id: &str, lines: &[(&str, u32)], change: impl FnOnce(&mut serde_json::Value)) -> IngestItem {
    let mut value: serde_json::Value = serde_json::from_str(EXAMPLE_JSON).unwrap();
    value["external_id"] = json!(id);
    value["lines"] = json!(
        lines
            .iter()
            .map(|(sku, q)| json!({ "sku": sku, "quantity": q, "unit_price": "10.00" }))
            .collect::<Vec<_>>()
    );
    change(&mut value);
    let body = serde_json::to_vec(&value).unwrap();
    let order = serde_json::from_value::<OrderInput>(value).unwrap().validate().unwrap();
    IngestItem::Order {
        inbox: NewInbox {
            id: Uuid::now_v7(),
            tenant: acme(),
            source: "api".into(),
            received_at: now(),
            body,
            channel: Some("web".into()),
            external_id: Some(id.into()),
            write: InboxWrite::Insert,
        },
        order: Box::new(order),
        new_order_id: OrderId(Uuid::now_v7()),
        idempotency: None,
        actor: "test".into(),
        stock: HOLD,
        review: Default::default(),
    }
}

pub(crate) fn with_policy(mut item: IngestItem, policy: StockPolicy) -> IngestItem {
    if let IngestItem::Order { stock, .. } = &mut item {
        *stock = policy;
    }
    item
}

pub(crate) async fn ingest<T: Store>(store: &Arc<T>, item: IngestItem) -> (OrderId, OrderStatus) {
    match store
        .ingest_batch(Arc::from(vec![item]), now())
        .await
        .unwrap()
        .remove(0)
    {
        IngestResult::Applied { order_id, status, .. } => (order_id, status),
        other => panic!("not applied: {other:?}"),
    }
}

pub(crate) async fn level<T: Store>(store: &Arc<T>, warehouse: &str, sku: &str) -> StockLevel {
    store
        .list_stock(&acme(), Some(sku))
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.warehouse == warehouse)
        .map(|r| r.level)
        .unwrap_or_default()
}

fn lv(on_hand: i64, reserved: i64) -> StockLevel {
    StockLevel {
        on_hand,
        reserved,
        safety_stock: 0,
    }
}

async fn event_kinds<T: Store>(store: &Arc<T>, id: OrderId) -> Vec<String> {
    let record = store.get_order(&acme(), id).await.unwrap().unwrap();
    record.events.iter().map(|e| e.kind.clone()).collect()
}

async fn request<T: Store>(
    store: &Arc<T>,
    id: OrderId,
    request: OrderRequest,
) -> Result<OrderRequestOutcome, OrderRequestError> {
    store
        .order_request(&acme(), id, &request, HOLD, "test", now())
        .await
        .unwrap()
}

/// A paid order reserves its lines in the transaction that stores it, and says so.
pub async fn a_paid_order_reserves_its_lines_in_the_ingest_transaction<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    receive(&store, "HZ-01", "B", 5).await;
    let (id, status) = ingest(&store, order("R-1", &[("A", 2), ("B", 1)], |_| {})).await;
    assert_eq!(status, OrderStatus::Allocated);
    assert_eq!(level(&store, "HZ-01", "A").await, lv(5, 2));
    assert_eq!(level(&store, "HZ-01", "B").await, lv(5, 1));
    let stock = store.get_order_stock(&acme(), id).await.unwrap();
    assert_eq!(stock.reserved(), BTreeMap::from([("A".into(), 2), ("B".into(), 1)]));
    assert_eq!(event_kinds(&store, id).await, ["order.created", "order.allocated"]);
    let movements = store
        .list_movements(
            &acme(),
            &MovementQuery {
                sku: Some("A".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(movements[0].kind, MovementKind::Reservation);
    assert_eq!(movements[0].reference.as_deref(), Some("web/R-1"));
    // The same delivery again changes nothing.
    let (again, status) = ingest(&store, order("R-1", &[("A", 2), ("B", 1)], |_| {})).await;
    assert_eq!((again, status), (id, OrderStatus::Allocated));
    assert_eq!(level(&store, "HZ-01", "A").await, lv(5, 2));
    // An unpaid order reserves nothing under the default policy.
    let (_, status) = ingest(
        &store,
        order("R-2", &[("A", 1)], |v| v["financial_status"] = json!("pending")),
    )
    .await;
    assert_eq!(status, OrderStatus::PendingPayment);
    assert_eq!(level(&store, "HZ-01", "A").await, lv(5, 2));
    assert!(store.check_inventory(&acme()).await.unwrap().is_empty());
}

/// Short stock holds the order (reserving nothing) or backorders it (reserving what there
/// is), as configured; never a silent acceptance.
pub async fn short_stock_holds_or_backorders_as_configured<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 3).await;
    receive(&store, "HZ-01", "B", 3).await;
    let (held, status) = ingest(&store, order("S-1", &[("A", 5), ("B", 1)], |_| {})).await;
    assert_eq!(status, OrderStatus::OnHold);
    assert_eq!(level(&store, "HZ-01", "A").await, lv(3, 0));
    let record = store.get_order(&acme(), held).await.unwrap().unwrap();
    let event = record.events.last().unwrap();
    assert_eq!(event.kind, "order.held");
    assert_eq!(event.data["reason"], "insufficient_stock");
    let (back, status) = ingest(
        &store,
        with_policy(order("S-2", &[("A", 5), ("B", 1)], |_| {}), BACKORDER),
    )
    .await;
    assert_eq!(status, OrderStatus::Paid);
    assert_eq!(level(&store, "HZ-01", "A").await, lv(3, 3));
    let stock = store.get_order_stock(&acme(), back).await.unwrap();
    assert_eq!(stock.shortages.len(), 1);
    assert_eq!((stock.shortages[0].sku.as_str(), stock.shortages[0].waiting), ("A", 2));
    assert_eq!(event_kinds(&store, back).await.last().unwrap(), "order.backordered");
}

/// A line whose SKU the catalogue does not know holds the order with that reason.
pub async fn unknown_skus_hold_the_order<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 3).await;
    let (id, status) = ingest(&store, order("U-1", &[("A", 1), ("NOPE", 1)], |_| {})).await;
    assert_eq!(status, OrderStatus::OnHold);
    let record = store.get_order(&acme(), id).await.unwrap().unwrap();
    assert_eq!(record.events.last().unwrap().data["reason"], "unknown_sku");
    assert_eq!(level(&store, "HZ-01", "A").await, lv(3, 0));
}

/// A channel's own alias wins over an alias for every channel; an alias only points at a
/// catalogue SKU; without an alias the name stays unknown.
pub async fn sku_aliases_resolve_for_the_channel_first_then_for_every_channel<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    receive(&store, "HZ-01", "B", 5).await;
    let alias = |channel: &str, name: &str, sku: &str| SkuAlias {
        channel: channel.into(),
        alias: name.into(),
        sku: sku.into(),
    };
    assert!(
        store
            .put_sku_alias(&acme(), &alias("", "OLD-A", "A"), now())
            .await
            .unwrap()
    );
    assert!(
        store
            .put_sku_alias(&acme(), &alias("web", "OLD-A", "B"), now())
            .await
            .unwrap()
    );
    assert!(
        !store
            .put_sku_alias(&acme(), &alias("", "X", "NOT-IN-CATALOGUE"), now())
            .await
            .unwrap()
    );
    assert_eq!(store.list_sku_aliases(&acme()).await.unwrap().len(), 2);
    // The example order comes from channel `web`.
    let (id, status) = ingest(&store, order("AL-1", &[("OLD-A", 2)], |_| {})).await;
    assert_eq!(status, OrderStatus::Allocated);
    assert_eq!(
        store.get_order_stock(&acme(), id).await.unwrap().reserved(),
        BTreeMap::from([("B".into(), 2)])
    );
    assert!(store.delete_sku_alias(&acme(), "web", "OLD-A").await.unwrap());
    assert!(!store.delete_sku_alias(&acme(), "web", "OLD-A").await.unwrap());
    let (id, _) = ingest(&store, order("AL-2", &[("OLD-A", 1)], |_| {})).await;
    assert_eq!(
        store.get_order_stock(&acme(), id).await.unwrap().reserved(),
        BTreeMap::from([("A".into(), 1)])
    );
    let (_, status) = ingest(&store, order("AL-3", &[("OLD-Z", 1)], |_| {})).await;
    assert_eq!(status, OrderStatus::OnHold);
}

/// A bundle reserves its components, and its availability is the minimum over them.
pub async fn a_bundle_reserves_its_components<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    receive(&store, "HZ-01", "B", 5).await;
    let (id, status) = ingest(&store, order("K-1", &[("KIT", 2)], |_| {})).await;
    assert_eq!(status, OrderStatus::Allocated);
    assert_eq!(level(&store, "HZ-01", "A").await, lv(5, 4));
    assert_eq!(level(&store, "HZ-01", "B").await, lv(5, 2));
    let stock = store.get_order_stock(&acme(), id).await.unwrap();
    assert_eq!(stock.reserved(), BTreeMap::from([("A".into(), 4), ("B".into(), 2)]));
    // One A is left: not enough for another kit.
    let (_, status) = ingest(&store, order("K-2", &[("KIT", 1)], |_| {})).await;
    assert_eq!(status, OrderStatus::OnHold);
    let feed = store.read_feed(&acme(), 0, 100).await.unwrap();
    let kit = feed
        .iter()
        .rev()
        .find(|e| e.kind == "availability.changed" && e.data["sku"] == "KIT")
        .expect("the bundle's availability is published");
    assert_eq!(kit.data["available"], 0);
}

/// A channel cancellation releases the order's stock; a later version without a line
/// releases that line.
pub async fn cancelling_or_removing_a_line_releases_stock<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    receive(&store, "HZ-01", "B", 5).await;
    let stamp = |minutes: i64| (now() + Duration::minutes(minutes)).to_rfc3339();
    let (id, _) = ingest(
        &store,
        order("C-1", &[("A", 2), ("B", 2)], |v| v["updated_at"] = json!(stamp(1))),
    )
    .await;
    let (_, status) = ingest(&store, order("C-1", &[("A", 2)], |v| v["updated_at"] = json!(stamp(2)))).await;
    assert_eq!(status, OrderStatus::Allocated);
    assert_eq!(level(&store, "HZ-01", "B").await, lv(5, 0));
    assert_eq!(level(&store, "HZ-01", "A").await, lv(5, 2));
    let (_, status) = ingest(
        &store,
        order("C-1", &[("A", 2)], |v| {
            v["updated_at"] = json!(stamp(3));
            v["cancelled_at"] = json!(stamp(3));
        }),
    )
    .await;
    assert_eq!(status, OrderStatus::Cancelled);
    assert_eq!(level(&store, "HZ-01", "A").await, lv(5, 0));
    assert!(store.get_order_stock(&acme(), id).await.unwrap().is_empty());
    assert!(
        event_kinds(&store, id)
            .await
            .contains(&"order.stock_released".to_owned())
    );
    assert!(store.check_inventory(&acme()).await.unwrap().is_empty());
}

/// Shipping turns the reservation into a deduction; a return puts units back where they
/// shipped from; requests in the wrong state are refused naming the allowed ones.
pub async fn shipping_deducts_and_a_return_restocks<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "SZ-01", "A", 5).await;
    let (id, _) = ingest(&store, order("H-1", &[("A", 3)], |_| {})).await;
    let early = request(&store, id, OrderRequest::Return(None)).await;
    assert!(matches!(early, Err(OrderRequestError::IllegalState { ref allowed, .. }) if allowed.contains(&"shipped")));
    let shipment = crate::Shipment {
        carrier: Some("SF Express".into()),
        tracking_number: Some("SF1234567890".into()),
        ..Default::default()
    };
    let shipped = request(&store, id, OrderRequest::Ship(shipment)).await.unwrap();
    assert_eq!(shipped.status, OrderStatus::Shipped);
    assert_eq!(level(&store, "SZ-01", "A").await, lv(2, 0));
    // The tracking goes back to the order's channel through the outbox.
    let told = store
        .list_outbox(&acme(), Some("channel.tracking"), None, 10)
        .await
        .unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].destination, "web");
    assert_eq!(told[0].payload["external_order_id"], "H-1");
    assert_eq!(told[0].payload["tracking_number"], "SF1234567890");
    assert_eq!(told[0].payload["lines"][0]["quantity"], 3);
    let too_many = request(
        &store,
        id,
        OrderRequest::Return(Some(BTreeMap::from([("A".into(), 4)]))),
    )
    .await;
    assert!(matches!(too_many, Err(OrderRequestError::Plan(_))));
    let returned = request(
        &store,
        id,
        OrderRequest::Return(Some(BTreeMap::from([("A".into(), 1)]))),
    )
    .await
    .unwrap();
    assert_eq!(returned.status, OrderStatus::Returned);
    assert_eq!(level(&store, "SZ-01", "A").await, lv(3, 0));
    assert_eq!(returned.stock.allocations[0].returned, 1);
    let kinds = event_kinds(&store, id).await;
    assert_eq!(kinds[kinds.len() - 2..], ["order.shipped", "order.returned"]);
    let cancel = request(&store, id, OrderRequest::Cancel { reason: "late".into() }).await;
    assert!(matches!(cancel, Err(OrderRequestError::IllegalState { .. })));
    assert!(store.check_inventory(&acme()).await.unwrap().is_empty());

    // A cancellation decided in Ordo is told to the channel; a refused one is not.
    assert!(
        store
            .list_outbox(&acme(), Some("channel.cancel"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let (other, _) = ingest(&store, order("H-2", &[("A", 1)], |_| {})).await;
    request(
        &store,
        other,
        OrderRequest::Cancel {
            reason: "buyer asked".into(),
        },
    )
    .await
    .unwrap();
    let told = store
        .list_outbox(&acme(), Some("channel.cancel"), None, 10)
        .await
        .unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!(
        (
            told[0].payload["external_order_id"].as_str(),
            told[0].payload["reason"].as_str()
        ),
        (Some("H-2"), Some("buyer asked"))
    );
}

/// Under `reserve_when = placed`, an unpaid order reserves at once; past the cutoff it is
/// found, expired and its stock released. A paid order is not expired.
pub async fn unpaid_orders_expire_and_release_their_stock<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let placed = StockPolicy {
        reserve_when: ReserveWhen::Placed,
        on_short: ShortStock::Hold,
    };
    let unpaid = |v: &mut serde_json::Value| v["financial_status"] = json!("pending");
    let (id, status) = ingest(&store, with_policy(order("P-1", &[("A", 2)], unpaid), placed)).await;
    assert_eq!(status, OrderStatus::PendingPayment);
    assert_eq!(level(&store, "HZ-01", "A").await, lv(5, 2));
    let placed_at = store
        .get_order(&acme(), id)
        .await
        .unwrap()
        .unwrap()
        .state
        .order
        .placed_at;
    let before = store.unpaid_orders(&acme(), placed_at, 10).await.unwrap();
    assert!(before.is_empty(), "placed exactly at the cutoff is not yet expired");
    let due = store
        .unpaid_orders(&acme(), placed_at + Duration::minutes(30), 10)
        .await
        .unwrap();
    assert_eq!(due, vec![id]);
    let expired = request(&store, id, OrderRequest::ExpireUnpaid).await.unwrap();
    assert_eq!(expired.status, OrderStatus::Cancelled);
    assert_eq!(level(&store, "HZ-01", "A").await, lv(5, 0));
    assert!(
        event_kinds(&store, id)
            .await
            .contains(&"order.payment_expired".to_owned())
    );
    let again = request(&store, id, OrderRequest::ExpireUnpaid).await;
    assert!(matches!(again, Err(OrderRequestError::IllegalState { .. })));
}

/// A held order is listed as waiting once stock arrives, and a retry allocates it.
pub async fn a_held_order_is_found_and_allocated_when_stock_arrives<T: Store>(store: Arc<T>) {
    setup(&store).await;
    let (id, status) = ingest(&store, order("W-1", &[("A", 2)], |_| {})).await;
    assert_eq!(status, OrderStatus::OnHold);
    assert!(store.waiting_orders(&acme(), 10).await.unwrap().is_empty());
    receive(&store, "SZ-01", "A", 2).await;
    assert_eq!(store.waiting_orders(&acme(), 10).await.unwrap(), vec![id]);
    let retried = request(&store, id, OrderRequest::Retry).await.unwrap();
    assert_eq!(retried.status, OrderStatus::Allocated);
    assert_eq!(level(&store, "SZ-01", "A").await, lv(2, 2));
    assert!(store.waiting_orders(&acme(), 10).await.unwrap().is_empty());
    let again = request(&store, id, OrderRequest::Retry).await;
    assert!(matches!(again, Err(OrderRequestError::IllegalState { .. })));
}

/// Each channel is offered `available × ratio − buffer` (or its override); every change
/// is queued in the outbox for the channel's connector, and nothing is queued when the
/// quantity does not change.
pub async fn channel_rules_queue_sellable_quantities_in_the_outbox<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 10).await;
    let rule = ChannelRule {
        channel: "taobao".into(),
        policy: ChannelPolicy {
            ratio_permille: 500,
            buffer: 1,
        },
        overrides: BTreeMap::from([("B".into(), SkuOverride::Cap(0))]),
    };
    store.put_channel_rule(&acme(), &rule, now()).await.unwrap();
    assert_eq!(store.list_channel_rules(&acme()).await.unwrap(), vec![rule]);
    let published = store.list_published(&acme(), Some("A")).await.unwrap();
    assert_eq!(published, vec![("taobao".into(), "A".into(), 4)]);
    ingest(&store, order("Q-1", &[("A", 2)], |_| {})).await;
    let published = store.list_published(&acme(), Some("A")).await.unwrap();
    assert_eq!(published, vec![("taobao".into(), "A".into(), 3)]);
    let outbox = store
        .list_outbox(&acme(), Some("channel.stock"), None, 10)
        .await
        .unwrap();
    let quantities: Vec<_> = outbox
        .iter()
        .filter(|m| m.payload["sku"] == "A")
        .map(|m| m.payload["quantity"].as_i64().unwrap())
        .collect();
    assert_eq!(quantities, [3, 4], "newest first");
    assert!(
        outbox
            .iter()
            .all(|m| m.destination == "taobao" && m.status == OutboxStatus::Pending)
    );
    // 9 available → ⌊9 × 0.5⌋ − 1 = 3 again: nothing new to send.
    let change = StockChange {
        warehouse: "HZ-01".into(),
        sku: "A".into(),
        op: StockOp::Adjust { delta: 1 },
        reason: "found".into(),
        reference: None,
        actor: "test".into(),
    };
    store.change_stock(&acme(), &[change], now()).await.unwrap()[0]
        .clone()
        .unwrap();
    let after = store
        .list_outbox(&acme(), Some("channel.stock"), None, 10)
        .await
        .unwrap();
    assert_eq!(after.len(), outbox.len());
}

/// Falling below the threshold opens one alert, with a feed event and a webhook message;
/// recovering closes it.
pub async fn low_stock_opens_and_closes_an_alert_with_a_webhook_message<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "C", 3).await;
    assert!(store.list_alerts(&acme(), true).await.unwrap().is_empty());
    ingest(&store, order("L-1", &[("C", 2)], |_| {})).await;
    let open = store.list_alerts(&acme(), true).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].sku.as_str(), open[0].available, open[0].threshold),
        ("C", 1, 2)
    );
    ingest(&store, order("L-2", &[("C", 1)], |_| {})).await;
    assert_eq!(
        store.list_alerts(&acme(), false).await.unwrap().len(),
        1,
        "still one alert"
    );
    receive(&store, "HZ-01", "C", 10).await;
    assert!(store.list_alerts(&acme(), true).await.unwrap().is_empty());
    assert!(store.list_alerts(&acme(), false).await.unwrap()[0].closed_at.is_some());
    let hooks = store.list_outbox(&acme(), Some("webhook"), None, 10).await.unwrap();
    let kinds: Vec<_> = hooks.iter().map(|m| m.payload["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["stock.recovered", "stock.low"]);
    let feed = store.read_feed(&acme(), 0, 100).await.unwrap();
    assert!(feed.iter().any(|e| e.kind == "stock.low" && e.data["sku"] == "C"));
}

/// Feed numbers start at 1, grow by one without gaps, and reading resumes after any
/// number.
pub async fn the_feed_numbers_events_and_resumes_after_any_number<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    ingest(&store, order("F-1", &[("A", 1)], |_| {})).await;
    ingest(&store, order("F-2", &[("A", 1)], |_| {})).await;
    let all = store.read_feed(&acme(), 0, 100).await.unwrap();
    let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=all.len() as i64).collect::<Vec<_>>());
    assert!(
        all.iter()
            .any(|e| e.kind == "order.created" && e.data["external_id"] == "F-2")
    );
    assert!(
        all.iter()
            .any(|e| e.kind == "availability.changed" && e.data["sku"] == "A")
    );
    let rest = store.read_feed(&acme(), 3, 100).await.unwrap();
    assert_eq!(rest, all[3..].to_vec());
    let other = TenantId::parse("other").unwrap();
    assert!(store.read_feed(&other, 0, 100).await.unwrap().is_empty());
}

/// Pruning deletes only events older than the cutoff, and numbering carries on after the
/// last number ever given.
pub async fn pruning_the_feed_keeps_numbers_going_forward<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    ingest(&store, order("P-1", &[("A", 1)], |_| {})).await;
    let head = store.feed_head(&acme()).await.unwrap();
    assert!(head >= 3);
    assert_eq!(
        store.prune_feed(&acme(), now()).await.unwrap(),
        0,
        "nothing is older than now"
    );
    let pruned = store.prune_feed(&acme(), now() + Duration::seconds(1)).await.unwrap();
    assert_eq!(pruned, head as u64);
    assert!(store.read_feed(&acme(), 0, 100).await.unwrap().is_empty());
    ingest(&store, order("P-2", &[("A", 1)], |_| {})).await;
    let fresh = store.read_feed(&acme(), 0, 100).await.unwrap();
    assert_eq!(fresh[0].seq, head + 1);
}

/// Delivery attempts move a message on; only due pending messages are handed out.
pub async fn outbox_attempts_are_recorded<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "C", 3).await;
    ingest(&store, order("O-1", &[("C", 2)], |_| {})).await;
    let due = store.due_outbox("webhook", now(), 10).await.unwrap();
    assert_eq!(due.len(), 1);
    let later = now() + Duration::seconds(30);
    store
        .finish_outbox(due[0].id, OutboxStatus::Pending, later, Some("503 from receiver"))
        .await
        .unwrap();
    assert!(store.due_outbox("webhook", now(), 10).await.unwrap().is_empty());
    let retry = store.due_outbox("webhook", later, 10).await.unwrap();
    assert_eq!(
        (retry[0].attempts, retry[0].last_error.as_deref()),
        (1, Some("503 from receiver"))
    );
    store
        .finish_outbox(retry[0].id, OutboxStatus::Delivered, later, None)
        .await
        .unwrap();
    assert!(store.due_outbox("webhook", later, 10).await.unwrap().is_empty());
    let listed = store
        .list_outbox(&acme(), Some("webhook"), Some(OutboxStatus::Delivered), 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

/// The forecast threshold is N days of the average daily units reserved.
pub async fn forecasts_follow_recent_sales<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 100).await;
    for i in 0..7 {
        ingest(&store, order(&format!("V-{i}"), &[("A", 2)], |_| {})).await;
    }
    // 14 units in a 7-day window is 2 a day; 3 days of cover is 6.
    let changed = store.refresh_forecasts(&acme(), 7, 3, now()).await.unwrap();
    assert!(changed >= 1);
    let later = now() + Duration::days(30);
    store.refresh_forecasts(&acme(), 7, 3, later).await.unwrap();
    // Nothing sold in the last week a month later: no forecast threshold.
    assert_eq!(store.refresh_forecasts(&acme(), 7, 3, later).await.unwrap(), 0);
    store.refresh_forecasts(&acme(), 7, 3, now()).await.unwrap();
    // Available 86 is above 6: an adjustment down to 5 opens an alert.
    let change = StockChange {
        warehouse: "HZ-01".into(),
        sku: "A".into(),
        op: StockOp::Set {
            on_hand: 19,
            expected_on_hand: None,
        },
        reason: "count".into(),
        reference: None,
        actor: "test".into(),
    };
    store.change_stock(&acme(), &[change], now()).await.unwrap()[0]
        .clone()
        .unwrap();
    let alerts = store.list_alerts(&acme(), true).await.unwrap();
    assert_eq!((alerts.len(), alerts[0].threshold), (1, 6));
}

/// Many clients race for the last units of one SKU: exactly the stock is sold, the rest
/// is held, reserved equals the sum of open reservations, nothing goes negative.
pub async fn racing_orders_never_oversell_the_last_units<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 7).await;
    receive(&store, "SZ-01", "A", 3).await;
    let mut tasks = Vec::new();
    for client in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for n in 0..5 {
                let items = vec![order(&format!("X-{client}-{n}"), &[("A", 1)], |_| {})];
                let result = loop {
                    match store.ingest_batch(Arc::from(items.clone()), now()).await {
                        Err(StoreError::Retryable(_)) => continue,
                        other => break other.unwrap().remove(0),
                    }
                };
                if let IngestResult::Applied { status, .. } = result {
                    statuses.push(status);
                }
            }
            statuses
        }));
    }
    let mut allocated = 0;
    let mut held = 0;
    for task in tasks {
        for status in task.await.unwrap() {
            match status {
                OrderStatus::Allocated => allocated += 1,
                OrderStatus::OnHold => held += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert_eq!((allocated, held), (10, 30));
    assert_eq!(level(&store, "HZ-01", "A").await, lv(7, 7));
    assert_eq!(level(&store, "SZ-01", "A").await, lv(3, 3));
    assert!(store.check_inventory(&acme()).await.unwrap().is_empty());
}

/// Bundles sharing a component race with plain orders for it: the component is never
/// oversold.
pub async fn racing_bundles_never_oversell_shared_components<T: Store>(store: Arc<T>) {
    setup(&store).await;
    let kit2 = sku(
        "KIT2",
        vec![Component {
            sku: "A".into(),
            quantity: 3,
        }],
    );
    store.upsert_sku(&acme(), &kit2, now()).await.unwrap().unwrap();
    receive(&store, "HZ-01", "A", 20).await;
    receive(&store, "HZ-01", "B", 20).await;
    let mut tasks = Vec::new();
    for client in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..6 {
                let sku = ["KIT", "KIT2", "A"][(client + n) % 3];
                let items = vec![order(&format!("Y-{client}-{n}"), &[(sku, 1)], |_| {})];
                while let Err(StoreError::Retryable(_)) = store.ingest_batch(Arc::from(items.clone()), now()).await {}
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let a = level(&store, "HZ-01", "A").await;
    assert!(a.reserved <= a.on_hand, "{a:?}");
    assert!(a.reserved >= 18, "stock should be used up to the last kit: {a:?}");
    assert!(store.check_inventory(&acme()).await.unwrap().is_empty());
    let page = store
        .search_orders(
            &acme(),
            &OrderQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut reserved_a = 0;
    for summary in page.items {
        let stock = store.get_order_stock(&acme(), summary.id).await.unwrap();
        reserved_a += stock.reserved().get("A").copied().unwrap_or(0);
    }
    assert_eq!(reserved_a, a.reserved, "reserved equals the sum of open reservations");
}

/// A long seeded random history (see `contract_simulation`).
pub async fn a_seeded_random_order_history_conserves_stock<T: Store>(store: Arc<T>) {
    crate::stock::contract_simulation::run(store).await;
}
