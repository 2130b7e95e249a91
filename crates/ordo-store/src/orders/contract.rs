//! The contract every store adapter must keep, as tests. An adapter's test file calls
//! [`crate::contract_tests!`] with an async function that returns a fresh, migrated store;
//! each behaviour below then becomes one test of that adapter.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use ordo_core::auth::Role;
use ordo_core::ingest::Outcome;
use ordo_core::input::{EXAMPLE_JSON, OrderInput};
use ordo_core::{ChannelId, Order, OrderId, OrderStatus, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::*;

/// Expands to one `#[tokio::test]` per contract behaviour, each on a fresh store from
/// `$factory` (an async fn returning a type that implements [`Store`]).
#[macro_export]
macro_rules! contract_tests {
    ($factory:path) => {
        $crate::contract_tests!(@each $factory;
            a_new_order_is_stored_with_its_raw_payload_and_created_event,
            the_same_order_delivered_twice_is_one_order_with_one_event,
            a_changed_version_updates_the_order_and_appends_numbered_events,
            a_stale_version_is_ignored_and_recorded,
            two_versions_in_one_batch_apply_in_arrival_order,
            concurrent_batches_of_one_order_make_exactly_one_order,
            a_failed_payload_is_kept_listed_and_counted,
            a_failed_entry_reprocessed_in_place_becomes_processed,
            a_corrected_replay_resolves_the_original_entry,
            only_failed_entries_can_be_replayed,
            an_idempotency_key_answers_like_the_first_request,
            a_reused_idempotency_key_with_another_body_is_rejected_and_kept,
            tenants_never_see_each_others_orders_or_inbox,
            tokens_are_found_by_hash_listed_and_revoked,
            a_token_needs_an_existing_tenant,
            tenants_are_created_once,
            search_filters_by_every_field_and_pages_without_gaps,
            the_inbox_pages_newest_first_without_gaps,
            an_orders_payloads_are_listed_newest_first_with_their_bodies
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::orders::contract::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

type S = Arc<dyn Store>;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

fn tenant(name: &str) -> TenantId {
    TenantId::parse(name).unwrap()
}

async fn setup(store: &S, tenants: &[&str]) {
    for t in tenants {
        store.ensure_tenant(&tenant(t), t, now()).await.unwrap();
    }
}

/// The reference example with changes applied to its JSON.
fn example_with(change: impl FnOnce(&mut serde_json::Value)) -> (Vec<u8>, Order) {
    let mut value: serde_json::Value = serde_json::from_str(EXAMPLE_JSON).unwrap();
    change(&mut value);
    let body = serde_json::to_vec(&value).unwrap();
    let order = serde_json::from_value::<OrderInput>(value).unwrap().validate().unwrap();
    (body, order)
}

fn inbox(tenant_name: &str, body: Vec<u8>, write: InboxWrite) -> NewInbox {
    NewInbox {
        id: Uuid::now_v7(),
        tenant: tenant(tenant_name),
        source: "api".into(),
        received_at: now(),
        body,
        channel: Some("web".into()),
        external_id: Some("W-1001".into()),
        write,
    }
}

fn order_item(tenant_name: &str, (body, order): (Vec<u8>, Order)) -> IngestItem {
    IngestItem::Order {
        inbox: inbox(tenant_name, body, InboxWrite::Insert),
        order: Box::new(order),
        new_order_id: OrderId(Uuid::now_v7()),
        idempotency: None,
        actor: "token:test".into(),
        stock: ordo_core::allocation::StockPolicy::OFF,
        review: Default::default(),
    }
}

fn with_key(mut item: IngestItem, key: &str, hash: &str) -> IngestItem {
    if let IngestItem::Order { idempotency, .. } = &mut item {
        *idempotency = Some(IdempotencyClaim {
            key: key.into(),
            request_hash: hash.into(),
        });
    }
    item
}

fn failed_item(tenant_name: &str, body: &[u8]) -> IngestItem {
    IngestItem::Failed {
        inbox: inbox(tenant_name, body.to_vec(), InboxWrite::Insert),
        error: json!({"code": "invalid_json", "message": "expected value at line 1 column 1"}),
    }
}

async fn ingest_one(store: &S, item: IngestItem) -> IngestResult {
    store.ingest_batch(Arc::new([item]), now()).await.unwrap().remove(0)
}

fn applied(result: &IngestResult) -> (OrderId, Outcome, i64, Uuid) {
    match result {
        IngestResult::Applied {
            order_id,
            outcome,
            version,
            inbox_id,
            ..
        } => (*order_id, *outcome, *version, *inbox_id),
        other => panic!("expected an applied result, got {other:?}"),
    }
}

fn query(limit: u32) -> OrderQuery {
    OrderQuery {
        limit,
        ..OrderQuery::default()
    }
}

/// A new order is stored with its raw payload and a `created` event.
pub async fn a_new_order_is_stored_with_its_raw_payload_and_created_event(store: S) {
    setup(&store, &["acme"]).await;
    let item = order_item("acme", example_with(|_| {}));
    let IngestItem::Order { inbox: ref sent, .. } = item else {
        unreachable!()
    };
    let sent_body = sent.body.clone();
    let (id, outcome, version, inbox_id) = applied(&ingest_one(&store, item).await);
    assert_eq!((outcome, version), (Outcome::Created, 1));

    let record = store
        .get_order(&tenant("acme"), id)
        .await
        .unwrap()
        .expect("order stored");
    assert_eq!(record.state.status, OrderStatus::Paid);
    assert_eq!(record.state.order, example_with(|_| {}).1);
    assert_eq!(record.events.len(), 1);
    assert_eq!(
        (record.events[0].seq, record.events[0].kind.as_str()),
        (1, "order.created")
    );
    assert_eq!(record.events[0].actor, "token:test");

    let entry = store
        .get_inbox(&tenant("acme"), inbox_id)
        .await
        .unwrap()
        .expect("inbox entry");
    assert_eq!(entry.status, InboxStatus::Processed);
    assert_eq!(entry.body, sent_body, "the raw body is kept byte for byte");
    assert_eq!(entry.order_id, Some(id));
    assert_eq!(entry.outcome.as_deref(), Some("created"));
}

/// The payloads that created and changed an order, for its page: newest first, bodies
/// included, and none of another tenant's.
pub async fn an_orders_payloads_are_listed_newest_first_with_their_bodies(store: S) {
    setup(&store, &["acme", "globex"]).await;
    let pending = example_with(|v| v["financial_status"] = json!("pending"));
    let (id, _, _, first) = applied(&ingest_one(&store, order_item("acme", pending)).await);
    let (_, _, _, second) = applied(&ingest_one(&store, order_item("acme", example_with(|_| {}))).await);
    let payloads = store.order_payloads(&tenant("acme"), id, 10).await.unwrap();
    assert_eq!(payloads.iter().map(|p| p.id).collect::<Vec<_>>(), vec![second, first]);
    assert!(payloads.iter().all(|p| !p.body.is_empty() && p.order_id == Some(id)));
    assert!(
        store
            .order_payloads(&tenant("globex"), id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.order_payloads(&tenant("acme"), id, 1).await.unwrap().len(), 1);
}

/// The same (channel, external id) twice is one order; the copy records no event.
pub async fn the_same_order_delivered_twice_is_one_order_with_one_event(store: S) {
    setup(&store, &["acme"]).await;
    let first = applied(&ingest_one(&store, order_item("acme", example_with(|_| {}))).await);
    let second = applied(&ingest_one(&store, order_item("acme", example_with(|_| {}))).await);
    assert_eq!(second.0, first.0);
    assert_eq!((second.1, second.2), (Outcome::Unchanged, 1));
    let page = store.search_orders(&tenant("acme"), &query(50)).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(
        store
            .get_order(&tenant("acme"), first.0)
            .await
            .unwrap()
            .unwrap()
            .events
            .len(),
        1
    );
}

/// A later version with changes updates the order and appends events numbered in order.
pub async fn a_changed_version_updates_the_order_and_appends_numbered_events(store: S) {
    setup(&store, &["acme"]).await;
    let pending = example_with(|v| v["financial_status"] = json!("pending"));
    let (id, ..) = applied(&ingest_one(&store, order_item("acme", pending)).await);
    let paid = example_with(|v| v["remark"] = json!("改成周末送"));
    let (same_id, outcome, version, _) = applied(&ingest_one(&store, order_item("acme", paid)).await);
    assert_eq!((same_id, outcome, version), (id, Outcome::Updated, 2));

    let record = store.get_order(&tenant("acme"), id).await.unwrap().unwrap();
    assert_eq!(record.state.status, OrderStatus::Paid);
    assert_eq!(record.state.order.remark.as_deref(), Some("改成周末送"));
    let kinds: Vec<(i64, &str)> = record.events.iter().map(|e| (e.seq, e.kind.as_str())).collect();
    assert_eq!(
        kinds,
        vec![(1, "order.created"), (2, "order.updated"), (3, "order.paid")]
    );
    assert_eq!(record.events[1].data["changed"], json!(["financial_status", "remark"]));
}

/// A delivery older than the stored version changes nothing but is recorded.
pub async fn a_stale_version_is_ignored_and_recorded(store: S) {
    setup(&store, &["acme"]).await;
    let newer = example_with(|v| v["updated_at"] = json!("2026-11-22T11:00:00+08:00"));
    let (id, ..) = applied(&ingest_one(&store, order_item("acme", newer)).await);
    let older = example_with(|v| {
        v["updated_at"] = json!("2026-11-22T10:30:00+08:00");
        v["remark"] = json!("old");
    });
    let (_, outcome, version, _) = applied(&ingest_one(&store, order_item("acme", older)).await);
    assert_eq!((outcome, version), (Outcome::Stale, 1));
    let record = store.get_order(&tenant("acme"), id).await.unwrap().unwrap();
    assert_eq!(record.state.order.remark.as_deref(), Some("请尽快发货"));
    assert_eq!(record.events.last().unwrap().kind, "order.stale_update_ignored");
}

/// Two versions of one order in the same batch apply in the order they arrived.
pub async fn two_versions_in_one_batch_apply_in_arrival_order(store: S) {
    setup(&store, &["acme"]).await;
    let batch = vec![
        order_item("acme", example_with(|v| v["financial_status"] = json!("pending"))),
        order_item("acme", example_with(|_| {})),
    ];
    let results = store.ingest_batch(batch.into(), now()).await.unwrap();
    assert_eq!(applied(&results[0]).1, Outcome::Created);
    assert_eq!(applied(&results[1]).1, Outcome::Updated);
    let record = store
        .get_order(&tenant("acme"), applied(&results[1]).0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((record.state.status, record.state.version), (OrderStatus::Paid, 2));
}

/// Many concurrent batches carrying copies of one order create exactly one order.
pub async fn concurrent_batches_of_one_order_make_exactly_one_order(store: S) {
    setup(&store, &["acme"]).await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let batch: Arc<[IngestItem]> = (0..10).map(|_| order_item("acme", example_with(|_| {}))).collect();
            let mut attempts = 0;
            loop {
                match store.ingest_batch(batch.clone(), now()).await {
                    Ok(results) => return results,
                    Err(StoreError::Retryable(_)) if attempts < 5 => attempts += 1,
                    Err(e) => panic!("batch failed: {e}"),
                }
            }
        }));
    }
    let mut ids = std::collections::HashSet::new();
    let mut created = 0;
    for task in tasks {
        for result in task.await.unwrap() {
            let (id, outcome, ..) = applied(&result);
            ids.insert(id);
            created += usize::from(outcome == Outcome::Created);
        }
    }
    assert_eq!(
        (ids.len(), created),
        (1, 1),
        "100 copies must be one order created once"
    );
    let page = store.search_orders(&tenant("acme"), &query(50)).await.unwrap();
    assert_eq!(page.items.len(), 1);
}

/// A payload that failed parsing is kept with its error, listed and counted.
pub async fn a_failed_payload_is_kept_listed_and_counted(store: S) {
    setup(&store, &["acme"]).await;
    let IngestResult::FailedKept { inbox_id } = ingest_one(&store, failed_item("acme", b"{not json")).await else {
        panic!("expected FailedKept");
    };
    let failed = InboxQuery {
        status: Some(InboxStatus::Failed),
        after: None,
        limit: 50,
    };
    let page = store.list_inbox(&tenant("acme"), &failed).await.unwrap();
    assert_eq!(page.items.iter().map(|e| e.id).collect::<Vec<_>>(), vec![inbox_id]);
    assert_eq!(page.items[0].error.as_ref().unwrap()["code"], "invalid_json");
    let entry = store.get_inbox(&tenant("acme"), inbox_id).await.unwrap().unwrap();
    assert_eq!(entry.body, b"{not json");
    assert_eq!(
        store.count_inbox(&tenant("acme"), InboxStatus::Failed).await.unwrap(),
        1
    );
}

/// Reprocessing a failed entry in place (after a fix elsewhere) makes it processed.
pub async fn a_failed_entry_reprocessed_in_place_becomes_processed(store: S) {
    setup(&store, &["acme"]).await;
    let (body, order) = example_with(|_| {});
    let IngestResult::FailedKept { inbox_id } = ingest_one(&store, failed_item("acme", &body)).await else {
        panic!("expected FailedKept");
    };
    let mut again = inbox("acme", body, InboxWrite::Reprocess);
    again.id = inbox_id;
    let item = IngestItem::Order {
        inbox: again,
        order: Box::new(order),
        new_order_id: OrderId(Uuid::now_v7()),
        idempotency: None,
        actor: "token:test".into(),
        stock: ordo_core::allocation::StockPolicy::OFF,
        review: Default::default(),
    };
    let (order_id, outcome, _, entry_id) = applied(&ingest_one(&store, item).await);
    assert_eq!((outcome, entry_id), (Outcome::Created, inbox_id));
    let entry = store.get_inbox(&tenant("acme"), inbox_id).await.unwrap().unwrap();
    assert_eq!(
        (entry.status, entry.attempts, entry.order_id),
        (InboxStatus::Processed, 2, Some(order_id))
    );
    assert!(entry.error.is_none());
    assert_eq!(
        store.count_inbox(&tenant("acme"), InboxStatus::Failed).await.unwrap(),
        0
    );
}

/// A corrected body for a failed entry is kept as a new entry that resolves the original.
pub async fn a_corrected_replay_resolves_the_original_entry(store: S) {
    setup(&store, &["acme"]).await;
    let IngestResult::FailedKept { inbox_id: original } = ingest_one(&store, failed_item("acme", b"{bad")).await else {
        panic!("expected FailedKept");
    };
    let (body, order) = example_with(|_| {});
    let fix = inbox("acme", body, InboxWrite::Correct { replay_of: original });
    let fix_id = fix.id;
    let item = IngestItem::Order {
        inbox: fix,
        order: Box::new(order),
        new_order_id: OrderId(Uuid::now_v7()),
        idempotency: None,
        actor: "token:test".into(),
        stock: ordo_core::allocation::StockPolicy::OFF,
        review: Default::default(),
    };
    applied(&ingest_one(&store, item).await);
    let before = store.get_inbox(&tenant("acme"), original).await.unwrap().unwrap();
    assert_eq!(
        (before.status, before.resolved_by),
        (InboxStatus::Resolved, Some(fix_id))
    );
    assert_eq!(before.body, b"{bad", "the original payload is never overwritten");
    let after = store.get_inbox(&tenant("acme"), fix_id).await.unwrap().unwrap();
    assert_eq!(
        (after.status, after.replay_of),
        (InboxStatus::Processed, Some(original))
    );
}

/// Replaying an entry that did not fail, or does not exist, is refused.
pub async fn only_failed_entries_can_be_replayed(store: S) {
    setup(&store, &["acme"]).await;
    let (_, _, _, processed) = applied(&ingest_one(&store, order_item("acme", example_with(|_| {}))).await);
    for target in [processed, Uuid::now_v7()] {
        let (body, order) = example_with(|_| {});
        let mut again = inbox("acme", body, InboxWrite::Reprocess);
        again.id = target;
        let item = IngestItem::Order {
            inbox: again,
            order: Box::new(order),
            new_order_id: OrderId(Uuid::now_v7()),
            idempotency: None,
            actor: "token:test".into(),
            stock: ordo_core::allocation::StockPolicy::OFF,
            review: Default::default(),
        };
        let result = ingest_one(&store, item).await;
        assert!(
            matches!(result, IngestResult::NotReplayable { inbox_id, .. } if inbox_id == target),
            "{result:?}"
        );
    }
}

/// A repeated idempotency key with the same body answers exactly as the first time.
pub async fn an_idempotency_key_answers_like_the_first_request(store: S) {
    setup(&store, &["acme"]).await;
    let first = ingest_one(&store, with_key(order_item("acme", example_with(|_| {})), "k-1", "h1")).await;
    let again = ingest_one(&store, with_key(order_item("acme", example_with(|_| {})), "k-1", "h1")).await;
    let (
        IngestResult::Applied {
            order_id: a,
            outcome: oa,
            inbox_id: ia,
            ..
        },
        IngestResult::Applied {
            order_id: b,
            outcome: ob,
            inbox_id: ib,
            idempotent_replay,
            ..
        },
    ) = (&first, &again)
    else {
        panic!("expected two applied results: {first:?} {again:?}");
    };
    assert_eq!((a, oa, ia), (b, ob, ib));
    assert_eq!(*ob, Outcome::Created, "the replay reports the first outcome");
    assert!(idempotent_replay);
}

/// A reused idempotency key with a different body is rejected, and the payload kept.
pub async fn a_reused_idempotency_key_with_another_body_is_rejected_and_kept(store: S) {
    setup(&store, &["acme"]).await;
    ingest_one(&store, with_key(order_item("acme", example_with(|_| {})), "k-1", "h1")).await;
    let other = example_with(|v| v["external_id"] = json!("W-2002"));
    let IngestResult::IdempotencyKeyReused { inbox_id } =
        ingest_one(&store, with_key(order_item("acme", other), "k-1", "h2")).await
    else {
        panic!("expected IdempotencyKeyReused");
    };
    let entry = store.get_inbox(&tenant("acme"), inbox_id).await.unwrap().unwrap();
    assert_eq!(entry.status, InboxStatus::Rejected);
    assert_eq!(entry.error.unwrap()["code"], "idempotency_key_reused");
    assert_eq!(
        store
            .search_orders(&tenant("acme"), &query(50))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

/// Orders and inbox entries of one tenant are invisible to another, and the same channel
/// order number in two tenants is two orders.
pub async fn tenants_never_see_each_others_orders_or_inbox(store: S) {
    setup(&store, &["acme", "globex"]).await;
    let (a, ..) = applied(&ingest_one(&store, order_item("acme", example_with(|_| {}))).await);
    let (b, outcome, ..) = applied(&ingest_one(&store, order_item("globex", example_with(|_| {}))).await);
    assert_ne!(a, b);
    assert_eq!(outcome, Outcome::Created);
    assert!(store.get_order(&tenant("globex"), a).await.unwrap().is_none());
    assert!(store.get_order(&tenant("acme"), b).await.unwrap().is_none());
    let IngestResult::FailedKept { inbox_id } = ingest_one(&store, failed_item("acme", b"x")).await else {
        panic!()
    };
    assert!(store.get_inbox(&tenant("globex"), inbox_id).await.unwrap().is_none());
    let all = InboxQuery {
        status: None,
        after: None,
        limit: 50,
    };
    assert!(
        store
            .list_inbox(&tenant("globex"), &all)
            .await
            .unwrap()
            .items
            .iter()
            .all(|e| e.id != inbox_id)
    );
    let acme_orders = store.search_orders(&tenant("acme"), &query(50)).await.unwrap();
    assert_eq!(acme_orders.items.iter().map(|o| o.id).collect::<Vec<_>>(), vec![a]);
}

fn token(tenant_name: &str, hash: &str) -> TokenRecord {
    TokenRecord {
        id: Uuid::now_v7(),
        tenant: tenant(tenant_name),
        role: Role::Operator,
        name: "ops".into(),
        token_hash: hash.into(),
        created_at: now(),
        revoked_at: None,
    }
}

/// Tokens are found by hash, listed per tenant, and stop working once revoked.
pub async fn tokens_are_found_by_hash_listed_and_revoked(store: S) {
    setup(&store, &["acme", "globex"]).await;
    let record = token("acme", "aa11");
    store.insert_token(&record).await.unwrap();
    store.insert_token(&token("globex", "bb22")).await.unwrap();
    assert_eq!(store.find_token("aa11").await.unwrap(), Some(record.clone()));
    assert_eq!(store.find_token("nope").await.unwrap(), None);
    assert_eq!(store.list_tokens(&tenant("acme")).await.unwrap().len(), 1);
    assert!(matches!(
        store.revoke_token(&tenant("globex"), record.id, now()).await,
        Err(StoreError::NotFound(_))
    ));
    store.revoke_token(&tenant("acme"), record.id, now()).await.unwrap();
    assert_eq!(store.find_token("aa11").await.unwrap(), None);
}

/// A token cannot be made for a tenant that does not exist.
pub async fn a_token_needs_an_existing_tenant(store: S) {
    assert!(matches!(
        store.insert_token(&token("ghost", "cc33")).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Creating a tenant twice is harmless.
pub async fn tenants_are_created_once(store: S) {
    setup(&store, &["acme", "acme"]).await;
    let tenants = store.list_tenants().await.unwrap();
    assert_eq!(tenants.iter().filter(|t| t.id.as_str() == "acme").count(), 1);
    assert!(store.tenant_exists(&tenant("acme")).await.unwrap());
    assert!(!store.tenant_exists(&tenant("nobody")).await.unwrap());
}

/// Every search filter narrows correctly and cursor pages cover all rows exactly once.
pub async fn search_filters_by_every_field_and_pages_without_gaps(store: S) {
    setup(&store, &["acme"]).await;
    let base: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let mut batch = Vec::new();
    for i in 0..23_i64 {
        let placed = base + Duration::hours(i / 2); // pairs share a placed_at: the id breaks ties
        batch.push(order_item(
            "acme",
            example_with(|v| {
                v["external_id"] = json!(format!("E-{i}"));
                v["channel"] = json!(if i % 3 == 0 { "taobao" } else { "web" });
                v["financial_status"] = json!(if i % 4 == 0 { "pending" } else { "paid" });
                v["buyer"]["id"] = json!(format!("buyer-{}", i % 5));
                v["placed_at"] = json!(placed.to_rfc3339());
            }),
        ));
    }
    store.ingest_batch(batch.into(), now()).await.unwrap();
    let t = tenant("acme");
    let count = |q: OrderQuery| {
        let store = store.clone();
        let t = t.clone();
        async move { store.search_orders(&t, &q).await.unwrap().items.len() }
    };
    let q = |f: fn(&mut OrderQuery)| {
        let mut q = query(100);
        f(&mut q);
        q
    };
    assert_eq!(
        count(q(|q| q.channel = Some(ChannelId::parse("taobao").unwrap()))).await,
        8
    );
    assert_eq!(count(q(|q| q.status = Some(OrderStatus::PendingPayment))).await, 6);
    assert_eq!(count(q(|q| q.external_id = Some("E-7".into()))).await, 1);
    assert_eq!(count(q(|q| q.buyer = Some("buyer-2".into()))).await, 5);
    assert_eq!(count(q(|q| q.buyer = Some("xm@example.com".into()))).await, 23);
    assert_eq!(
        count(q(|q| {
            q.placed_from = Some(Utc.with_ymd_and_hms(2026, 11, 1, 2, 0, 0).unwrap());
            q.placed_to = Some(Utc.with_ymd_and_hms(2026, 11, 1, 5, 0, 0).unwrap());
        }))
        .await,
        6
    );

    let mut seen = Vec::new();
    let mut page_query = query(5);
    loop {
        let page = store.search_orders(&t, &page_query).await.unwrap();
        assert!(page.items.len() <= 5);
        seen.extend(page.items.iter().map(|o| (o.placed_at, o.id)));
        match page.next {
            Some(next) => page_query.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 23);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    sorted.dedup();
    assert_eq!(seen, sorted, "pages come newest first with no repeats or gaps");
}

/// The inbox lists newest first, and cursor pages cover every entry once.
pub async fn the_inbox_pages_newest_first_without_gaps(store: S) {
    setup(&store, &["acme"]).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let IngestResult::FailedKept { inbox_id } =
            ingest_one(&store, failed_item("acme", format!("bad {i}").as_bytes())).await
        else {
            panic!()
        };
        ids.push(inbox_id);
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut q = InboxQuery {
        status: Some(InboxStatus::Failed),
        after: None,
        limit: 5,
    };
    loop {
        let page = store.list_inbox(&tenant("acme"), &q).await.unwrap();
        assert!(page.items.iter().all(|e| e.body.is_empty()), "listings carry no bodies");
        seen.extend(page.items.iter().map(|e| e.id));
        match page.next {
            Some(next) => q.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}
