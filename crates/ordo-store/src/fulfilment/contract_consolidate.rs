//! The consolidation contract: merged orders reach the warehouse as one request per
//! warehouse, a merge waits for its last member, and pooled orders wait for their pool.
//! Expanded per adapter by [`crate::consolidation_contract_tests!`].

use std::sync::Arc;

use chrono::{Duration, TimeDelta};
use ordo_core::{OrderId, OrderStatus};
use serde_json::{Value, json};

use crate::fulfilment::consolidate_records::{GroupPush, PoolRule};
use crate::fulfilment::push::{FULFIL_TOPIC, PushPolicy};
use crate::stock::contract::{HOLD, acme, ingest, now, order, receive, setup};
use crate::workflow::OrderAction;
use crate::*;

/// Expands the consolidation contract into `#[tokio::test]`s for one adapter.
#[macro_export]
macro_rules! consolidation_contract_tests {
    ($factory:path) => {
        $crate::consolidation_contract_tests!(@each $factory;
            merged_orders_go_out_as_one_request_per_warehouse,
            a_merge_waits_for_a_member_still_short_of_stock,
            pooled_orders_wait_for_their_pool_to_be_released
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::fulfilment::contract_consolidate::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

fn policy() -> PushPolicy {
    PushPolicy::to(["HZ-01".to_owned(), "SZ-01".to_owned()])
}

/// An order of the example buyer on `channel`, sent under `push` when it is allocated.
fn on(channel: &str, id: &str, lines: &[(&str, u32)], push: &PushPolicy) -> IngestItem {
    let mut item = order(id, lines, |v| v["channel"] = json!(channel));
    if let IngestItem::Order { review, .. } = &mut item {
        review.push = push.clone();
    }
    item
}

async fn status<T: Store>(store: &Arc<T>, id: OrderId) -> OrderStatus {
    store.get_order(&acme(), id).await.unwrap().unwrap().state.status
}

async fn requests<T: Store>(store: &Arc<T>) -> Vec<OutboxMessage> {
    let mut found = store.list_outbox(&acme(), Some(FULFIL_TOPIC), None, 100).await.unwrap();
    found.sort_by(|a, b| a.destination.cmp(&b.destination));
    found
}

async fn push_alone<T: Store>(store: &Arc<T>, id: OrderId, policy: &PushPolicy) -> OrderStatus {
    let action = OrderAction::Push(policy.clone());
    let done = store
        .order_action(&acme(), id, &action, HOLD, "system:push", now())
        .await;
    done.unwrap().unwrap().status
}

fn lines_of(request: &OutboxMessage) -> Vec<(String, String, i64)> {
    let mut lines: Vec<_> = request.payload["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let order = l["order_id"].as_str().unwrap().to_owned();
            (
                order,
                l["sku"].as_str().unwrap().to_owned(),
                l["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    lines.sort();
    lines
}

pub async fn merged_orders_go_out_as_one_request_per_warehouse<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 100).await;
    receive(&store, "SZ-01", "B", 100).await;
    let (a, _) = ingest(&store, on("web", "W-1", &[("A", 1)], &PushPolicy::default())).await;
    let (b, _) = ingest(&store, on("jd", "J-1", &[("A", 2), ("B", 1)], &PushPolicy::default())).await;
    assert_eq!(
        (status(&store, a).await, status(&store, b).await),
        (OrderStatus::Allocated, OrderStatus::Allocated)
    );
    let group = store
        .merge_orders(&acme(), &[a, b], Duration::minutes(60), "ops", now())
        .await
        .unwrap()
        .unwrap();

    // A member is never pushed alone, nor even offered to the push sweeper.
    assert_eq!(push_alone(&store, a, &policy()).await, OrderStatus::Allocated);
    assert!(requests(&store).await.is_empty());
    let alone = store.allocated_alone(&acme(), None, 100).await.unwrap();
    assert!(!alone.contains(&a) && !alone.contains(&b), "{alone:?}");
    assert_eq!(store.allocated_groups(&acme(), 10).await.unwrap(), vec![group.id]);
    assert!(store.group_members(&acme(), group.id).await.unwrap().unwrap().ready());

    let pushed = store
        .push_group(&acme(), group.id, &policy(), "system:push", now())
        .await
        .unwrap();
    let GroupPush::Pushed {
        lead,
        order_ids,
        requests: queued,
    } = pushed
    else {
        panic!("not pushed: {pushed:?}");
    };
    assert_eq!((lead, order_ids), (a, vec![a, b]));
    assert_eq!(queued.len(), 2, "one request per warehouse: {queued:?}");
    let found = requests(&store).await;
    assert_eq!(found.len(), 2);
    let (hz, sz) = (&found[0], &found[1]);
    assert_eq!((hz.destination.as_str(), sz.destination.as_str()), ("HZ-01", "SZ-01"));
    let (a_id, b_id) = (a.to_string(), b.to_string());
    let mut both = vec![(a_id.clone(), "A".to_owned(), 1), (b_id.clone(), "A".to_owned(), 2)];
    both.sort();
    assert_eq!(lines_of(hz), both, "both orders' lines, each naming its order");
    assert_eq!(lines_of(sz), vec![(b_id.clone(), "B".into(), 1)]);
    for request in [hz, sz] {
        assert_eq!(request.payload["order_id"], json!(a_id));
        assert_eq!(request.payload["order_ids"], json!([a_id, b_id]));
        assert_eq!(request.payload["consolidation_id"], json!(group.id.to_string()));
        assert_eq!(request.payload["request_id"], json!(request.id.to_string()));
    }
    for id in [a, b] {
        let record = store.get_order(&acme(), id).await.unwrap().unwrap();
        assert_eq!(record.state.status, OrderStatus::SentToWarehouse);
        let last = &record.events.last().unwrap().data;
        assert_eq!(
            (&last["transition"], &last["to"]),
            (&json!("push"), &json!("sent_to_warehouse"))
        );
        assert_eq!(last["consolidation_id"], json!(group.id));
        assert_eq!(last["requests"].as_array().map(Vec::len), Some(2), "{last}");
    }
    // Once out, the merge is done: nothing is pushed twice.
    let again = store
        .push_group(&acme(), group.id, &policy(), "system:push", now())
        .await
        .unwrap();
    assert_eq!(again, GroupPush::Nothing);
    assert_eq!(requests(&store).await.len(), 2);
    assert!(store.allocated_groups(&acme(), 10).await.unwrap().is_empty());
}

pub async fn a_merge_waits_for_a_member_still_short_of_stock<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 10).await;
    let (a, _) = ingest(&store, on("web", "W-1", &[("A", 1)], &PushPolicy::default())).await;
    let (c, held) = ingest(&store, on("web", "W-2", &[("C", 1)], &policy())).await;
    assert_eq!(held, OrderStatus::OnHold, "no C in stock");
    let group = store
        .merge_orders(&acme(), &[a, c], Duration::minutes(60), "ops", now())
        .await
        .unwrap()
        .unwrap();

    let waiting = store
        .push_group(&acme(), group.id, &policy(), "system:push", now())
        .await
        .unwrap();
    assert_eq!(
        waiting,
        GroupPush::Waiting {
            order: c,
            status: OrderStatus::OnHold
        }
    );
    assert_eq!(push_alone(&store, a, &policy()).await, OrderStatus::Allocated);
    assert!(requests(&store).await.is_empty(), "nothing went");
    assert!(!store.group_members(&acme(), group.id).await.unwrap().unwrap().ready());

    receive(&store, "HZ-01", "C", 5).await;
    let retried = store
        .order_request(&acme(), c, &OrderRequest::Retry, HOLD, "test", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retried.status, OrderStatus::Allocated);
    let pushed = store
        .push_group(&acme(), group.id, &policy(), "system:push", now())
        .await
        .unwrap();
    assert!(
        matches!(pushed, GroupPush::Pushed { ref order_ids, .. } if *order_ids == vec![a, c]),
        "{pushed:?}"
    );
    let found = requests(&store).await;
    assert_eq!(found.len(), 1, "both at HZ-01: one request");
    assert_eq!(lines_of(&found[0]).len(), 2);
    assert_eq!(status(&store, c).await, OrderStatus::SentToWarehouse);
}

pub async fn pooled_orders_wait_for_their_pool_to_be_released<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 100).await;
    let rule = PoolRule {
        channels: ["b2b".to_owned()].into(),
        buyer_ids: Default::default(),
        window: Duration::minutes(60),
    };
    let pooling = policy().with_pool(Some(rule.clone()));
    let (p1, s1) = ingest(&store, on("b2b", "PO-1", &[("A", 1)], &pooling)).await;
    let (p2, s2) = ingest(&store, on("b2b", "PO-2", &[("A", 3)], &pooling)).await;
    assert_eq!(
        (s1, s2),
        (OrderStatus::Allocated, OrderStatus::Allocated),
        "pooled, not pushed"
    );
    // Another channel's order of the same buyer goes at once, as always.
    let (web, sent) = ingest(&store, on("web", "W-1", &[("A", 1)], &pooling)).await;
    assert_eq!(sent, OrderStatus::SentToWarehouse);
    assert_eq!(requests(&store).await.len(), 1);

    let pool = store.pool_orders(&acme(), &rule, None, 100).await.unwrap();
    assert_eq!(pool.iter().map(|p| p.order.id).collect::<Vec<_>>(), vec![p1, p2]);
    assert_eq!(pool[0].match_key, pool[1].match_key, "one customer, one pool");
    let key = pool[0].match_key.clone();
    let other = store.pool_orders(&acme(), &rule, Some("elsewhere"), 100).await.unwrap();
    assert!(other.is_empty());
    let alone = store.allocated_alone(&acme(), Some(&rule), 100).await.unwrap();
    assert!(!alone.contains(&p1) && !alone.contains(&p2) && !alone.contains(&web));
    assert_eq!(
        push_alone(&store, p1, &pooling).await,
        OrderStatus::Allocated,
        "still in the pool"
    );
    assert_eq!(requests(&store).await.len(), 1);

    // Release: the pool's orders are merged and go as one shipment.
    let group = store
        .merge_orders(&acme(), &[p1, p2], TimeDelta::MAX, "rule:consolidation", now())
        .await
        .unwrap()
        .unwrap();
    let pushed = store
        .push_group(&acme(), group.id, &pooling, "system:push", now())
        .await
        .unwrap();
    assert!(
        matches!(pushed, GroupPush::Pushed { lead, .. } if lead == p1),
        "{pushed:?}"
    );
    let found = requests(&store).await;
    assert_eq!(found.len(), 2);
    let consolidated: Vec<&Value> = found
        .iter()
        .map(|m| &m.payload)
        .filter(|p| p["consolidation_id"].is_string())
        .collect();
    assert_eq!(consolidated.len(), 1);
    assert_eq!(consolidated[0]["order_ids"], json!([p1.to_string(), p2.to_string()]));
    assert!(
        store
            .pool_orders(&acme(), &rule, Some(&key), 100)
            .await
            .unwrap()
            .is_empty()
    );

    // A lone pooled order goes by itself when its pool is released.
    let (p3, _) = ingest(&store, on("b2b", "PO-3", &[("A", 1)], &pooling)).await;
    assert_eq!(status(&store, p3).await, OrderStatus::Allocated);
    assert_eq!(
        push_alone(&store, p3, &pooling.without_pool()).await,
        OrderStatus::SentToWarehouse
    );
}
