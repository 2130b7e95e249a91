//! The review contract every store adapter must keep: the review an order gets when it
//! becomes paid (hold, reject, defer, flag, likely duplicates), holds that outlast stock
//! changes, the exception queue, approvals, re-review, workflow moves and edits.
//! Expanded per adapter by [`crate::review_contract_tests!`].

use std::sync::Arc;

use chrono::Duration;
use ordo_core::{Order, OrderId, OrderStatus};
use serde_json::json;

use crate::review::records::{ExceptionQuery, ReviewDecision, ReviewFacts, ReviewVerdict, Reviewer};
use crate::stock::contract::{HOLD, acme, ingest, now, order, receive, setup};
use crate::*;

#[macro_export]
macro_rules! review_contract_tests {
    ($factory:path) => {
        $crate::review_contract_tests!(@each $factory;
            a_held_order_waits_with_its_reasons_and_goes_on_when_approved,
            a_rejected_order_is_cancelled_and_the_channel_told,
            a_deferred_review_comes_due_and_passes_when_run_again,
            stock_arriving_does_not_release_a_held_order,
            likely_duplicates_are_found_in_the_transaction,
            workflow_moves_check_the_status_and_open_holds,
            a_workflow_move_runs_the_actions_it_names,
            an_edit_is_recorded_and_rebalances_stock,
            repairs_are_recorded_as_an_event,
            reservations_prefer_one_package_then_the_nearest_warehouse
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::review::contract::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

/// Decides by the remark: `hold`, `reject`, `later` (defer ten minutes), `flag`; holds
/// likely duplicates.
#[derive(Debug)]
struct ByRemark;

impl Reviewer for ByRemark {
    fn wants_duplicates(&self) -> bool {
        true
    }

    fn review(&self, order: &Order, facts: &ReviewFacts) -> ReviewVerdict {
        let remark = order.remark.clone().unwrap_or_default();
        let hit = |code: &str| json!([{ "rule": code, "code": code, "message": format!("remark says {code}") }]);
        let verdict = |decision, hits, until| ReviewVerdict {
            decision,
            hits,
            flags: Vec::new(),
            until,
        };
        if !facts.possible_duplicates.is_empty() {
            return verdict(
                ReviewDecision::Hold,
                json!([{ "rule": "dup", "code": "suspected_duplicate", "duplicates": facts.possible_duplicates }]),
                None,
            );
        }
        if remark.contains("reject") {
            verdict(ReviewDecision::Reject, hit("reject"), None)
        } else if remark.contains("later") {
            verdict(
                ReviewDecision::Hold,
                hit("later"),
                Some(facts.now + Duration::minutes(10)),
            )
        } else if remark.contains("hold") {
            verdict(ReviewDecision::Hold, hit("hold"), None)
        } else if remark.contains("flag") {
            ReviewVerdict {
                decision: ReviewDecision::Approve,
                hits: hit("flag"),
                flags: vec!["flag".into()],
                until: None,
            }
        } else {
            verdict(ReviewDecision::Approve, json!([]), None)
        }
    }
}

/// Approves everything.
#[derive(Debug)]
struct Approver;

impl Reviewer for Approver {
    fn wants_duplicates(&self) -> bool {
        false
    }
    fn review(&self, _: &Order, _: &ReviewFacts) -> ReviewVerdict {
        ReviewVerdict {
            decision: ReviewDecision::Approve,
            hits: json!([]),
            flags: Vec::new(),
            until: None,
        }
    }
}

fn reviewed(id: &str, lines: &[(&str, u32)], remark: &str) -> IngestItem {
    let mut item = order(id, lines, |v| v["remark"] = json!(remark));
    if let IngestItem::Order { review, stock, .. } = &mut item {
        *stock = HOLD;
        *review = Review {
            reviewer: Some(Arc::new(ByRemark)),
            phone_valid: Some(true),
            ..Review::default()
        };
    }
    item
}

async fn act<T: Store>(
    store: &Arc<T>,
    id: OrderId,
    action: OrderAction,
) -> Result<OrderActionOutcome, OrderRequestError> {
    store
        .order_action(&acme(), id, &action, HOLD, "user:test", now())
        .await
        .unwrap()
}

async fn kinds<T: Store>(store: &Arc<T>, id: OrderId) -> Vec<String> {
    let record = store.get_order(&acme(), id).await.unwrap().unwrap();
    record.events.iter().map(|e| e.kind.clone()).collect()
}

pub async fn a_held_order_waits_with_its_reasons_and_goes_on_when_approved<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let (id, status) = ingest(&store, reviewed("V-1", &[("A", 2)], "please hold")).await;
    assert_eq!(status, OrderStatus::OnHold);
    // Stock is still reserved for it, so approving it is instant.
    assert_eq!(store.get_order_stock(&acme(), id).await.unwrap().reserved()["A"], 2);
    let queue = store
        .exceptions(&acme(), &ExceptionQuery { kind: None, limit: 10 })
        .await
        .unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(queue[0].order.id, id);
    assert_eq!(queue[0].holds[0].kind, "review");
    assert_eq!(queue[0].holds[0].hits[0]["code"], "hold");
    let only_stock = ExceptionQuery {
        kind: Some("stock".into()),
        limit: 10,
    };
    assert!(store.exceptions(&acme(), &only_stock).await.unwrap().is_empty());
    assert_eq!(
        kinds(&store, id).await,
        ["order.created", "order.allocated", "order.reviewed", "order.held"]
    );
    // A flagged order goes on, flagged.
    let (flagged, status) = ingest(&store, reviewed("V-2", &[("A", 1)], "flag me")).await;
    assert_eq!(status, OrderStatus::Allocated);
    let flags = store.order_flags(&acme(), flagged).await.unwrap();
    assert_eq!(flags[0].kind, "rule:flag");
    // Approved: the hold closes and the order is allocated again.
    let release = OrderAction::Release {
        resolution: "approved".into(),
        note: Some("called the buyer".into()),
    };
    let done = act(&store, id, release.clone()).await.unwrap();
    assert_eq!(done.status, OrderStatus::Allocated);
    assert!(done.holds.is_empty());
    let holds = store.order_holds(&acme(), id).await.unwrap();
    assert_eq!(holds[0].resolution.as_deref(), Some("approved"));
    assert_eq!(holds[0].closed_by.as_deref(), Some("user:test"));
    assert!(
        store
            .exceptions(&acme(), &ExceptionQuery { kind: None, limit: 10 })
            .await
            .unwrap()
            .is_empty()
    );
    // Approving again is refused, naming the status it needs.
    match act(&store, id, release).await {
        Err(OrderRequestError::IllegalState { allowed, .. }) => assert_eq!(allowed, ["on_hold"]),
        other => panic!("{other:?}"),
    }
}

pub async fn a_rejected_order_is_cancelled_and_the_channel_told<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let (id, status) = ingest(&store, reviewed("V-3", &[("A", 2)], "reject this")).await;
    assert_eq!(status, OrderStatus::Cancelled);
    assert_eq!(crate::stock::contract::level(&store, "HZ-01", "A").await.reserved, 0);
    let outbox = store
        .list_outbox(&acme(), Some("channel.cancel"), None, 10)
        .await
        .unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].payload["order_id"], json!(id));
}

pub async fn a_deferred_review_comes_due_and_passes_when_run_again<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let (id, status) = ingest(&store, reviewed("V-4", &[("A", 1)], "later")).await;
    assert_eq!(status, OrderStatus::OnHold);
    let holds = store.order_holds(&acme(), id).await.unwrap();
    assert_eq!(holds[0].until, Some(now() + Duration::minutes(10)));
    assert!(store.due_reviews(&acme(), now(), 10).await.unwrap().is_empty());
    let due = store
        .due_reviews(&acme(), now() + Duration::minutes(11), 10)
        .await
        .unwrap();
    assert_eq!(due, [id]);
    // Run again by an approving rule set: the hold closes as re-reviewed.
    let done = act(&store, id, OrderAction::Review(Arc::new(Approver))).await.unwrap();
    assert_eq!(done.status, OrderStatus::Allocated);
    let holds = store.order_holds(&acme(), id).await.unwrap();
    assert_eq!(holds[0].resolution.as_deref(), Some("re_reviewed"));
    assert!(
        store
            .due_reviews(&acme(), now() + Duration::minutes(11), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Run again on a rejecting rule set cancels and releases.
    let (other, _) = ingest(&store, reviewed("V-5", &[("A", 1)], "hold")).await;
    #[derive(Debug)]
    struct Rejecter;
    impl Reviewer for Rejecter {
        fn wants_duplicates(&self) -> bool {
            false
        }
        fn review(&self, _: &Order, _: &ReviewFacts) -> ReviewVerdict {
            ReviewVerdict {
                decision: ReviewDecision::Reject,
                hits: json!([{ "code": "blocked" }]),
                flags: Vec::new(),
                until: None,
            }
        }
    }
    let done = act(&store, other, OrderAction::Review(Arc::new(Rejecter)))
        .await
        .unwrap();
    assert_eq!(done.status, OrderStatus::Cancelled);
    // Only the first order's unit is still reserved.
    assert_eq!(crate::stock::contract::level(&store, "HZ-01", "A").await.reserved, 1);
}

pub async fn stock_arriving_does_not_release_a_held_order<T: Store>(store: Arc<T>) {
    setup(&store).await;
    // Short of stock and held by review: two reasons to wait.
    let (id, status) = ingest(&store, reviewed("V-6", &[("A", 2)], "hold")).await;
    assert_eq!(status, OrderStatus::OnHold);
    receive(&store, "HZ-01", "A", 5).await;
    let retried = store
        .order_request(&acme(), id, &OrderRequest::Retry, HOLD, "sweeper", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        retried.status,
        OrderStatus::OnHold,
        "the review hold must outlast the stock wait"
    );
    assert_eq!(retried.stock.reserved()["A"], 2);
    // A person's hold on an allocated order outlasts a channel update too.
    let (held, status) = ingest(&store, reviewed("V-7", &[("A", 1)], "fine")).await;
    assert_eq!(status, OrderStatus::Allocated);
    let done = act(
        &store,
        held,
        OrderAction::Hold {
            note: "check address".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(done.status, OrderStatus::OnHold);
    let mut update = reviewed("V-7", &[("A", 1)], "fine");
    if let IngestItem::Order { order, .. } = &mut update {
        order.updated_at = Some(now() + Duration::minutes(1));
        order.shipping_fee += 100;
    }
    let (_, status) = ingest(&store, update).await;
    assert_eq!(status, OrderStatus::OnHold);
    let manual = ExceptionQuery {
        kind: Some("manual".into()),
        limit: 10,
    };
    assert_eq!(store.exceptions(&acme(), &manual).await.unwrap()[0].order.id, held);
}

pub async fn likely_duplicates_are_found_in_the_transaction<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let (first, status) = ingest(&store, reviewed("D-1", &[("A", 1)], "")).await;
    assert_eq!(status, OrderStatus::Allocated);
    // The same buyer, address, goods and total under another number: held as a duplicate.
    let (second, status) = ingest(&store, reviewed("D-2", &[("A", 1)], "")).await;
    assert_eq!(status, OrderStatus::OnHold);
    let holds = store.order_holds(&acme(), second).await.unwrap();
    assert_eq!(holds[0].hits[0]["duplicates"], json!([first.to_string()]));
}

pub async fn workflow_moves_check_the_status_and_open_holds<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let (id, _) = ingest(&store, reviewed("W-1", &[("A", 1)], "")).await;
    let push = |from: Vec<OrderStatus>| OrderAction::Move {
        transition: "push".into(),
        to: OrderStatus::SentToWarehouse,
        from,
        reason: None,
        require_no_holds: true,
    };
    let done = act(&store, id, push(vec![OrderStatus::Allocated])).await.unwrap();
    assert_eq!(done.status, OrderStatus::SentToWarehouse);
    match act(&store, id, push(vec![OrderStatus::Allocated])).await {
        Err(OrderRequestError::IllegalState { status, allowed, .. }) => {
            assert_eq!(status, "sent_to_warehouse");
            assert_eq!(allowed, ["allocated"]);
        }
        other => panic!("{other:?}"),
    }
    let record = store.get_order(&acme(), id).await.unwrap().unwrap();
    let last = record.events.last().unwrap();
    assert_eq!(last.kind, "order.transitioned");
    assert_eq!(last.data["transition"], "push");
    assert_eq!(last.actor, "user:test");
    // A held order cannot be pushed.
    let (held, _) = ingest(&store, reviewed("W-2", &[("A", 1)], "hold")).await;
    let err = act(&store, held, push(vec![OrderStatus::OnHold])).await.unwrap_err();
    assert!(err.to_string().contains("no open hold"), "{err}");
}

pub async fn a_workflow_move_runs_the_actions_it_names<T: Store>(store: Arc<T>) {
    use crate::fulfilment::push::{FULFIL_TOPIC, PushTargets};
    use crate::workflow::effects::{Effect, Effects};
    setup(&store).await;
    // Different goods each, so that none is held as a likely duplicate of another.
    receive(&store, "HZ-01", "A", 10).await;
    let push = |targets: PushTargets, run: Vec<Effect>| OrderAction::Workflow {
        action: Box::new(OrderAction::Move {
            transition: "push".into(),
            to: OrderStatus::SentToWarehouse,
            from: vec![OrderStatus::Allocated],
            reason: None,
            require_no_holds: true,
        }),
        effects: Effects {
            transition: "push".into(),
            run,
            push: targets,
        },
    };
    let every = vec![
        Effect::Reserve,
        Effect::PushToWarehouse,
        Effect::Notify,
        Effect::WriteBack,
    ];
    // HZ-01 takes requests: the move sends it the order, tells the buyer and the channel.
    let (sent, _) = ingest(&store, reviewed("WA-1", &[("A", 1)], "")).await;
    let done = act(
        &store,
        sent,
        push(PushTargets::everywhere(["HZ-01".into()]), every.clone()),
    )
    .await
    .unwrap();
    assert_eq!(done.status, OrderStatus::SentToWarehouse);
    let requests = store.list_outbox(&acme(), Some(FULFIL_TOPIC), None, 10).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].destination, "HZ-01");
    assert_eq!(requests[0].payload["order_id"], sent.to_string());
    let record = store.get_order(&acme(), sent).await.unwrap().unwrap();
    let moved = record.events.last().unwrap();
    assert_eq!(
        (moved.kind.as_str(), &moved.data["transition"]),
        ("order.transitioned", &json!("push"))
    );
    assert_eq!(moved.data["requests"][0]["request_id"], json!(requests[0].id));
    assert_eq!(
        record.events.iter().filter(|e| e.kind == "order.transitioned").count(),
        1,
        "the push is the transition's move, not one more"
    );
    let status = store
        .list_outbox(&acme(), Some("channel.status"), None, 10)
        .await
        .unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].payload["status"], "sent_to_warehouse");
    let feed = store.read_feed(&acme(), 0, 500).await.unwrap();
    let told: Vec<_> = feed
        .iter()
        .filter(|e| e.kind == "customer.notification" && e.data["order_id"] == sent.to_string())
        .collect();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].data["transition"], "push");
    assert_eq!(done.holds, Vec::new());

    // Its warehouse served outside Ordo, or the actions left out: the move alone.
    let (by_hand, _) = ingest(&store, reviewed("WA-2", &[("A", 2)], "")).await;
    let done = act(&store, by_hand, push(PushTargets::default(), every)).await.unwrap();
    assert_eq!(done.status, OrderStatus::SentToWarehouse);
    let (bare, _) = ingest(&store, reviewed("WA-3", &[("A", 3)], "")).await;
    let targets = PushTargets::everywhere(["HZ-01".into()]);
    let done = act(&store, bare, push(targets, Vec::new())).await.unwrap();
    assert_eq!(done.status, OrderStatus::SentToWarehouse);
    assert_eq!(
        store
            .list_outbox(&acme(), Some(FULFIL_TOPIC), None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .list_outbox(&acme(), Some("channel.status"), None, 10)
            .await
            .unwrap()
            .len(),
        2,
        "WA-2 names write_back, WA-3 nothing"
    );
    let feed = store.read_feed(&acme(), 0, 500).await.unwrap();
    assert!(
        !feed
            .iter()
            .any(|e| e.kind == "customer.notification" && e.data["order_id"] == bare.to_string())
    );
}

pub async fn an_edit_is_recorded_and_rebalances_stock<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    receive(&store, "HZ-01", "B", 5).await;
    let (id, _) = ingest(&store, reviewed("E-1", &[("A", 1)], "hold")).await;
    let mut edited = store.get_order(&acme(), id).await.unwrap().unwrap().state.order;
    edited.shipping_address.as_mut().unwrap().line1 = "1 New Street".into();
    edited.lines[0].sku = ordo_core::Sku::parse("B").unwrap();
    let changes = json!({ "shipping_address.line1": { "after": "1 New Street" } });
    let done = act(
        &store,
        id,
        OrderAction::Edit {
            order: Box::new(edited),
            changes,
        },
    )
    .await
    .unwrap();
    // Still held (the review hold is open), but the stock follows the new line.
    assert_eq!(done.status, OrderStatus::OnHold);
    let reserved = store.get_order_stock(&acme(), id).await.unwrap().reserved();
    assert_eq!((reserved.get("A").copied().unwrap_or(0), reserved["B"]), (0, 1));
    let record = store.get_order(&acme(), id).await.unwrap().unwrap();
    assert_eq!(record.state.order.destination().line1, "1 New Street");
    assert!(record.events.iter().any(|e| e.kind == "order.edited"));
}

pub async fn repairs_are_recorded_as_an_event<T: Store>(store: Arc<T>) {
    setup(&store).await;
    let mut item = reviewed("P-1", &[("A", 1)], "");
    if let IngestItem::Order { review, .. } = &mut item {
        review.repairs = vec![
            json!({ "field": "buyer.phone", "kind": "phone", "before": "138 0013 8000", "after": "+8613800138000" }),
        ];
    }
    let (id, _) = ingest(&store, item).await;
    let record = store.get_order(&acme(), id).await.unwrap().unwrap();
    let repaired = record.events.iter().find(|e| e.kind == "order.repaired").unwrap();
    assert_eq!(repaired.data["repairs"][0]["after"], "+8613800138000");
}

pub async fn reservations_prefer_one_package_then_the_nearest_warehouse<T: Store>(store: Arc<T>) {
    use crate::stock::inventory::Warehouse;
    setup(&store).await;
    // Far (Shenzhen) comes first by priority; Near (Hangzhou) is where the buyer lives.
    for (code, priority, lat, lng) in [("FAR", 0, 22.54, 114.06), ("NEAR", 5, 30.27, 120.16)] {
        let w = Warehouse {
            code: code.into(),
            name: code.into(),
            latitude: Some(lat),
            longitude: Some(lng),
            region: Some("CN".into()),
            channels: vec![],
            daily_capacity: None,
            priority,
            active: true,
        };
        store.upsert_warehouse(&acme(), &w, now()).await.unwrap();
    }
    receive(&store, "FAR", "C", 5).await;
    receive(&store, "NEAR", "C", 5).await;
    receive(&store, "FAR", "A", 3).await;
    let at = |stock: ordo_core::allocation::OrderStock| -> Vec<(String, String)> {
        stock
            .allocations
            .iter()
            .filter(|a| a.reserved > 0)
            .map(|a| (a.sku.clone(), a.warehouse.clone()))
            .collect()
    };
    // The example order goes to Hangzhou: the nearer warehouse wins over priority.
    let (near, status) = ingest(&store, reviewed("S-1", &[("C", 2)], "")).await;
    assert_eq!(status, OrderStatus::Allocated);
    assert_eq!(
        at(store.get_order_stock(&acme(), near).await.unwrap()),
        [("C".into(), "NEAR".into())]
    );
    // One package from the far warehouse beats two with one from the near one.
    let (one, _) = ingest(&store, reviewed("S-2", &[("A", 1), ("C", 1)], "")).await;
    assert_eq!(
        at(store.get_order_stock(&acme(), one).await.unwrap()),
        [("A".into(), "FAR".into()), ("C".into(), "FAR".into())]
    );
}
