//! The channel-side contract: connector cursors, mapping drift, likely duplicates and
//! merges. Expanded per adapter by [`crate::channel_contract_tests!`].

use std::sync::Arc;

use chrono::Duration;
use ordo_core::{OrderId, OrderStatus};
use serde_json::json;
use uuid::Uuid;

use crate::channels::records::{DriftChange, DriftSighting, MergeError};
use crate::stock::contract::{acme, ingest, now, order, receive, setup};
use crate::{IngestItem, Store};

/// Expands the channel contract into `#[tokio::test]`s for one adapter.
#[macro_export]
macro_rules! channel_contract_tests {
    ($factory:path) => {
        $crate::channel_contract_tests!(@each $factory;
            cursors_are_kept_per_channel_and_replaced,
            drift_is_counted_flagged_on_the_order_and_announced_once,
            likely_duplicates_are_found_across_channels,
            merges_follow_their_rules_and_can_be_undone,
            racing_merges_put_an_order_in_one_merge_only
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::channels::contract::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

/// An order for the example buyer and address, on `channel`, with these lines.
fn from(channel: &str, id: &str, lines: &[(&str, u32)], minutes_later: i64) -> IngestItem {
    let placed = (now() + Duration::minutes(minutes_later)).to_rfc3339();
    order(id, lines, |v| {
        v["channel"] = json!(channel);
        v["placed_at"] = json!(placed);
    })
}

pub async fn cursors_are_kept_per_channel_and_replaced<T: Store>(store: Arc<T>) {
    store.ensure_tenant(&acme(), "Acme", now()).await.unwrap();
    assert_eq!(store.get_cursor(&acme(), "shopify").await.unwrap(), None);
    let first = json!({ "updated_after": "2026-11-22T03:00:00Z" });
    store.put_cursor(&acme(), "shopify", &first, now()).await.unwrap();
    store
        .put_cursor(&acme(), "amazon", &json!({ "next": "x" }), now())
        .await
        .unwrap();
    assert_eq!(store.get_cursor(&acme(), "shopify").await.unwrap(), Some(first));
    let second = json!({ "updated_after": "2026-11-22T04:00:00Z", "page": 2 });
    store.put_cursor(&acme(), "shopify", &second, now()).await.unwrap();
    assert_eq!(store.get_cursor(&acme(), "shopify").await.unwrap(), Some(second));
    assert_eq!(
        store.get_cursor(&acme(), "amazon").await.unwrap(),
        Some(json!({ "next": "x" }))
    );
}

pub async fn drift_is_counted_flagged_on_the_order_and_announced_once<T: Store>(store: Arc<T>) {
    setup(&store).await;
    let (order_id, _) = ingest(&store, from("shopify", "S-1", &[("A", 1)], 0)).await;
    let head = store.feed_head(&acme()).await.unwrap();
    let sighting = DriftSighting {
        mapping: "shopify.order".into(),
        appeared: vec!["line_items[].seller_sku".into()],
        vanished: vec!["line_items[].sku".into()],
        order_id: Some(order_id),
        inbox_id: Uuid::now_v7(),
    };
    let first = store.record_drift(&acme(), &sighting, now()).await.unwrap();
    assert_eq!(first.len(), 2, "both fields are new: {first:?}");
    let later = now() + Duration::minutes(5);
    let again = store.record_drift(&acme(), &sighting, later).await.unwrap();
    assert!(again.is_empty(), "a known drift is not announced again");

    let records = store.list_drift(&acme()).await.unwrap();
    assert_eq!(records.len(), 2);
    for record in &records {
        assert_eq!(record.seen_count, 2);
        assert_eq!((record.first_seen, record.last_seen), (now(), later));
        assert_eq!(record.last_order_id, Some(order_id));
    }
    assert!(
        records
            .iter()
            .any(|r| r.change == DriftChange::Vanished && r.field == "line_items[].sku")
    );

    let flags = store.order_flags(&acme(), order_id).await.unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].kind, "schema_drift");
    assert_eq!(flags[0].detail["appeared"], json!(["line_items[].seller_sku"]));

    let events = store.read_feed(&acme(), head, 100).await.unwrap();
    let drift: Vec<_> = events.iter().filter(|e| e.kind == "mapping.drift").collect();
    assert_eq!(drift.len(), 1, "{events:?}");
    assert_eq!(drift[0].data["vanished"], json!(["line_items[].sku"]));
    let hooks = store.list_outbox(&acme(), Some("webhook"), None, 100).await.unwrap();
    assert_eq!(hooks.iter().filter(|m| m.destination == "mapping.drift").count(), 1);
}

pub async fn likely_duplicates_are_found_across_channels<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 100).await;
    receive(&store, "HZ-01", "B", 100).await;
    let (first, _) = ingest(&store, from("taobao", "T-1", &[("A", 2)], 0)).await;
    let (twin, _) = ingest(&store, from("jd", "J-1", &[("A", 2)], 30)).await;
    let (other_goods, _) = ingest(&store, from("jd", "J-2", &[("B", 1)], 40)).await;
    let elsewhere = order("T-9", &[("A", 2)], |v| {
        v["channel"] = json!("taobao");
        v["shipping_address"]["line1"] = json!("文一路 9 号");
    });
    let (elsewhere, _) = ingest(&store, elsewhere).await;

    let matches = store.order_matches(&acme(), first, Duration::hours(24)).await.unwrap();
    let ids = |list: &[crate::OrderSummary]| list.iter().map(|o| o.id).collect::<Vec<_>>();
    assert_eq!(ids(&matches.possible_duplicates), vec![twin]);
    assert_eq!(ids(&matches.merge_candidates), vec![twin, other_goods]);
    assert!(!ids(&matches.merge_candidates).contains(&elsewhere));
    let narrow = store
        .order_matches(&acme(), first, Duration::minutes(10))
        .await
        .unwrap();
    assert!(narrow.possible_duplicates.is_empty(), "outside the window");

    let groups = store
        .duplicate_groups(&acme(), now() - Duration::days(1), 10)
        .await
        .unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(ids(&groups[0]), vec![first, twin]);
}

pub async fn merges_follow_their_rules_and_can_be_undone<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 100).await;
    let window = Duration::minutes(60);
    let (a, _) = ingest(&store, from("taobao", "T-1", &[("A", 1)], 0)).await;
    let (b, _) = ingest(&store, from("jd", "J-1", &[("A", 2)], 20)).await;
    let (late, _) = ingest(&store, from("jd", "J-2", &[("A", 1)], 120)).await;
    let unpaid = order("W-1", &[("A", 1)], |v| v["financial_status"] = json!("pending"));
    let (unpaid, status) = ingest(&store, unpaid).await;
    assert_eq!(status, OrderStatus::PendingPayment);
    let other = order("W-2", &[("A", 1)], |v| {
        v["shipping_address"]["phone"] = json!("13900139000")
    });
    let (other, _) = ingest(&store, other).await;

    let candidates = store.merge_candidates(&acme(), window, 10).await.unwrap();
    assert_eq!(candidates.len(), 1, "{candidates:?}");
    assert_eq!(candidates[0].iter().map(|o| o.id).collect::<Vec<_>>(), vec![a, b]);

    let refuse = |orders: Vec<OrderId>| {
        let store = store.clone();
        async move {
            store
                .merge_orders(&acme(), &orders, window, "ops", now())
                .await
                .unwrap()
                .unwrap_err()
        }
    };
    assert_eq!(refuse(vec![a, a]).await, MergeError::TooFew);
    assert!(matches!(refuse(vec![a, unpaid]).await, MergeError::NotMergeable { order, .. } if order == unpaid));
    // Checked against the first order by id; `other` was created after `a`.
    assert_eq!(refuse(vec![a, other]).await, MergeError::DifferentDestination(other));
    assert!(matches!(refuse(vec![a, late]).await, MergeError::OutsideWindow { order, .. } if order == late));
    let ghost = OrderId(Uuid::now_v7());
    assert_eq!(refuse(vec![a, ghost]).await, MergeError::NotFound(ghost));

    let group = store
        .merge_orders(&acme(), &[b, a], window, "ops", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.order_ids, vec![b, a], "kept in the order given");
    assert!(matches!(refuse(vec![a, b]).await, MergeError::AlreadyMerged { .. }));
    let seen = store.order_matches(&acme(), a, window).await.unwrap();
    assert_eq!(seen.merge_group.as_ref().map(|g| g.id), Some(group.id));
    assert!(store.merge_candidates(&acme(), window, 10).await.unwrap().is_empty());

    let undone = store
        .dissolve_merge(&acme(), group.id, "ops", now())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(undone.dissolved_by.as_deref(), Some("ops"));
    assert!(
        store
            .dissolve_merge(&acme(), group.id, "ops", now())
            .await
            .unwrap()
            .is_none(),
        "undone once"
    );
    assert_eq!(store.order_matches(&acme(), a, window).await.unwrap().merge_group, None);
    let again = store
        .merge_orders(&acme(), &[a, b], window, "rule", now())
        .await
        .unwrap()
        .unwrap();
    let history = store.list_merges(&acme(), 10).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].id, again.id);
    assert!(history[1].dissolved_at.is_some());
    let kinds: Vec<String> = store
        .read_feed(&acme(), 0, 500)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "order.merged").count(), 2);
    assert_eq!(kinds.iter().filter(|k| *k == "order.unmerged").count(), 1);
    let hooks = store.list_outbox(&acme(), Some("webhook"), None, 100).await.unwrap();
    assert_eq!(hooks.iter().filter(|m| m.destination == "order.merged").count(), 2);
    assert_eq!(hooks.iter().filter(|m| m.destination == "order.unmerged").count(), 1);
}

pub async fn racing_merges_put_an_order_in_one_merge_only<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 100).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(ingest(&store, from("web", &format!("R-{i}"), &[("A", 1)], i)).await.0);
    }
    let pairs = [(0, 1), (1, 2), (2, 3), (0, 3), (1, 3), (0, 2)];
    let tasks: Vec<_> = pairs
        .iter()
        .map(|&(x, y)| {
            let (store, pair) = (store.clone(), vec![ids[x], ids[y]]);
            tokio::spawn(async move {
                store
                    .merge_orders(&acme(), &pair, Duration::hours(1), "rule", now())
                    .await
            })
        })
        .collect();
    let mut merged = Vec::new();
    for task in tasks {
        if let Ok(Ok(group)) = task.await.unwrap() {
            merged.extend(group.order_ids);
        }
    }
    let mut unique = merged.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), merged.len(), "an order was merged twice: {merged:?}");
    assert!(!merged.is_empty());
}
