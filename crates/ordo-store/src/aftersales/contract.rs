//! The after-sales contract every store adapter must keep: a refund needs no return and
//! never exceeds what was paid; stock moves only on receipt, per disposition; a channel's
//! case or refund delivered twice is one; a case takes no more than the order can give
//! back; a full return marks the order returned; tenants never see each other's cases.
//! Expanded per adapter by [`crate::aftersale_contract_tests!`].

use std::collections::BTreeMap;
use std::sync::Arc;

use ordo_core::aftersale::{CaseFlow, CaseKind, CaseStatus, Disposition, Receipt};
use ordo_core::inventory::MovementKind;
use ordo_core::{OrderId, OrderStatus, TenantId};

use crate::aftersales::records::{CaseCommand, CaseQuery, CaseRecord, NewCase, NewRefund};
use crate::stock::contract::{HOLD, acme, ingest, level, now, order, receive, setup};
use crate::stock::inventory::MovementQuery;
use crate::*;

#[macro_export]
macro_rules! aftersale_contract_tests {
    ($factory:path) => {
        $crate::aftersale_contract_tests!(@each $factory;
            a_refund_needs_no_return_and_never_exceeds_what_was_paid,
            a_split_order_comes_back_one_unit_restocked_and_one_written_off,
            a_channel_case_or_refund_delivered_twice_is_one,
            a_case_takes_no_more_than_shipped_and_is_cancelled_only_before_receipt,
            a_full_return_marks_the_order_returned,
            tenants_never_see_each_others_cases,
            racing_refunds_never_pay_back_more_than_was_paid,
            a_channel_case_decided_in_ordo_is_written_back_once
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::aftersales::contract::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

fn new_case(order_id: OrderId, kind: CaseKind, lines: &[(&str, i64)]) -> NewCase {
    NewCase {
        order_id,
        kind,
        reason: Some("changed mind".into()),
        lines: lines.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect(),
        exchange_lines: Vec::new(),
        channel_case_id: None,
        channel_status: None,
    }
}

fn refund(order_id: OrderId, case_id: Option<uuid::Uuid>, amount: Option<i64>) -> NewRefund {
    NewRefund {
        order_id,
        case_id,
        channel_refund_id: None,
        units: BTreeMap::new(),
        shipping: 0,
        amount,
        restocking_fee_permille: 0,
        source: "ordo".into(),
        stated_amount: None,
        note: None,
    }
}

async fn open<T: Store>(store: &Arc<T>, new: NewCase) -> CaseRecord {
    store.open_case(&acme(), &new, "test", now()).await.unwrap().unwrap()
}

async fn command<T: Store>(store: &Arc<T>, case: &CaseRecord, command: CaseCommand) -> CaseRecord {
    store
        .case_command(&acme(), case.id, &command, &CaseFlow::default(), "test", now())
        .await
        .unwrap()
        .unwrap()
}

async fn ship<T: Store>(store: &Arc<T>, id: OrderId) {
    store
        .order_request(
            &acme(),
            id,
            &OrderRequest::Ship(Shipment::default()),
            HOLD,
            "test",
            now(),
        )
        .await
        .unwrap()
        .unwrap();
}

fn receipt(sku: &str, quantity: i64, disposition: Disposition) -> Receipt {
    Receipt {
        sku: sku.into(),
        quantity,
        disposition,
        warehouse: None,
    }
}

/// A refund-only case pays back without any stock moving; Ordo computes the amount from
/// the line; no refund goes past what was paid.
pub async fn a_refund_needs_no_return_and_never_exceeds_what_was_paid<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    // 2 × 10.00 and 10.00 shipping: 30.00 paid.
    let (id, _) = ingest(&store, order("R-1", &[("A", 2)], |_| {})).await;
    let case = open(&store, new_case(id, CaseKind::RefundOnly, &[("A", 1)])).await;
    let case = command(&store, &case, CaseCommand::Approve).await;
    assert_eq!(case.status, CaseStatus::Approved);
    let before = level(&store, "HZ-01", "A").await;
    let flow = CaseFlow::default();
    let (first, new) = store
        .record_refund(&acme(), &refund(id, Some(case.id), None), &flow, "test", now())
        .await
        .unwrap()
        .unwrap();
    assert!(new);
    assert_eq!((first.amount, first.currency.as_str()), (1000, "CNY"));
    assert_eq!(level(&store, "HZ-01", "A").await, before, "no stock moves for money");
    let detail = store.get_case(&acme(), case.id).await.unwrap().unwrap();
    assert_eq!(detail.case.status, CaseStatus::Refunded);
    assert_eq!(detail.refunds.len(), 1);
    let kinds: Vec<&str> = detail.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["requested", "approved", "refunded"]);
    let too_much = store
        .record_refund(&acme(), &refund(id, None, Some(2001)), &flow, "test", now())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(too_much.code(), "refund_exceeds_paid");
    store
        .record_refund(&acme(), &refund(id, None, Some(2000)), &flow, "test", now())
        .await
        .unwrap()
        .unwrap();
    let refunds = store.order_refunds(&acme(), id).await.unwrap();
    assert_eq!(refunds.iter().map(|r| r.amount).sum::<i64>(), 3000);
    let order = store.get_order(&acme(), id).await.unwrap().unwrap();
    assert_eq!(
        order.events.iter().filter(|e| e.kind == "order.refunded").count(),
        2,
        "each refund is an order event"
    );
}

/// Goods of a split order come back: one unit restocked where it left from (on hand +1),
/// one damaged and written off (a movement, on hand unchanged); the refund is computed
/// from what came back.
pub async fn a_split_order_comes_back_one_unit_restocked_and_one_written_off<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 1).await;
    receive(&store, "SZ-01", "A", 1).await;
    receive(&store, "HZ-01", "B", 1).await;
    let (id, _) = ingest(&store, order("R-2", &[("A", 2), ("B", 1)], |_| {})).await;
    let held = store.get_order_stock(&acme(), id).await.unwrap();
    assert_eq!(
        held.allocations.iter().filter(|a| a.sku == "A").count(),
        2,
        "split over two warehouses"
    );
    ship(&store, id).await;
    let case = open(&store, new_case(id, CaseKind::ReturnRefund, &[("A", 2)])).await;
    let case = command(&store, &case, CaseCommand::Approve).await;
    assert_eq!(case.status, CaseStatus::AwaitingReturn);
    let hz = level(&store, "HZ-01", "A").await.on_hand;
    let sz = level(&store, "SZ-01", "A").await.on_hand;
    let case = command(
        &store,
        &case,
        CaseCommand::Receive(vec![
            receipt("A", 1, Disposition::Restock),
            Receipt {
                warehouse: Some("SZ-01".into()),
                ..receipt("A", 1, Disposition::WriteOff)
            },
        ]),
    )
    .await;
    assert_eq!(case.status, CaseStatus::Received);
    assert_eq!((case.lines[0].restocked, case.lines[0].written_off), (1, 1));
    let after = (
        level(&store, "HZ-01", "A").await.on_hand,
        level(&store, "SZ-01", "A").await.on_hand,
    );
    assert_eq!(after.0 + after.1, hz + sz + 1, "one unit back on hand");
    let moves = store
        .list_movements(
            &acme(),
            &MovementQuery {
                sku: Some("A".into()),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(moves.iter().filter(|m| m.kind == MovementKind::WriteOff).count(), 1);
    assert_eq!(moves.iter().filter(|m| m.kind == MovementKind::Return).count(), 1);
    assert!(store.check_inventory(&acme()).await.unwrap().is_empty());
    // B never came back: the order is not returned.
    let order = store.get_order(&acme(), id).await.unwrap().unwrap();
    assert_eq!(order.state.status, OrderStatus::Shipped);
    let again = store
        .case_command(
            &acme(),
            case.id,
            &CaseCommand::Receive(vec![receipt("A", 1, Disposition::Restock)]),
            &CaseFlow::default(),
            "test",
            now(),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(again.code(), "illegal_case_transition");
    let (money, _) = store
        .record_refund(
            &acme(),
            &refund(id, Some(case.id), None),
            &CaseFlow::default(),
            "test",
            now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(money.amount, 2000);
    assert_eq!(money.lines[0].quantity, 2);
}

/// A channel sends the same case or refund again: the first is returned, the channel's
/// new status kept verbatim, and nothing is counted twice.
pub async fn a_channel_case_or_refund_delivered_twice_is_one<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let (id, _) = ingest(&store, order("R-3", &[("A", 2)], |_| {})).await;
    ship(&store, id).await;
    let mut new = new_case(id, CaseKind::ReturnRefund, &[("A", 1)]);
    new.channel_case_id = Some("RET-9".into());
    new.channel_status = Some("REQUESTED".into());
    let first = open(&store, new.clone()).await;
    new.channel_status = Some("OPEN".into());
    let second = open(&store, new).await;
    assert_eq!(second.id, first.id);
    assert_eq!(second.channel_status.as_deref(), Some("OPEN"));
    assert_eq!(
        second.status,
        CaseStatus::Requested,
        "the channel's status is kept beside Ordo's"
    );
    let cases = store
        .list_cases(
            &acme(),
            &CaseQuery {
                order_id: Some(id),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cases.len(), 1);
    let mut money = refund(id, None, Some(700));
    money.channel_refund_id = Some("RF-1".into());
    money.source = "channel".into();
    let flow = CaseFlow::default();
    let (a, new_a) = store
        .record_refund(&acme(), &money, &flow, "test", now())
        .await
        .unwrap()
        .unwrap();
    let (b, new_b) = store
        .record_refund(&acme(), &money, &flow, "test", now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((a.id, new_a, new_b), (b.id, true, false));
    assert_eq!(store.order_refunds(&acme(), id).await.unwrap().len(), 1);
}

/// Goods can come back only once they left, and no more units than left; a case
/// withdrawn before receipt gives its units back.
pub async fn a_case_takes_no_more_than_shipped_and_is_cancelled_only_before_receipt<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let (id, _) = ingest(&store, order("R-4", &[("A", 2)], |_| {})).await;
    let early = store
        .open_case(
            &acme(),
            &new_case(id, CaseKind::ReturnRefund, &[("A", 1)]),
            "test",
            now(),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(early.code(), "quantity_exceeded");
    ship(&store, id).await;
    let first = open(&store, new_case(id, CaseKind::ReturnRefund, &[("A", 2)])).await;
    let over = store
        .open_case(&acme(), &new_case(id, CaseKind::Exchange, &[("A", 1)]), "test", now())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(over.code(), "quantity_exceeded");
    let first = command(&store, &first, CaseCommand::Cancel(Some("buyer kept it".into()))).await;
    assert_eq!(first.status, CaseStatus::Cancelled);
    let mut exchange = new_case(id, CaseKind::Exchange, &[("A", 1)]);
    exchange.exchange_lines = vec![("B".into(), 1)];
    let second = open(&store, exchange).await;
    let second = command(&store, &second, CaseCommand::Approve).await;
    let second = command(
        &store,
        &second,
        CaseCommand::Receive(vec![receipt("A", 1, Disposition::Quarantine)]),
    )
    .await;
    let late = store
        .case_command(
            &acme(),
            second.id,
            &CaseCommand::Cancel(None),
            &CaseFlow::default(),
            "test",
            now(),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(late.code(), "illegal_case_transition");
}

/// Once every unit that left came back, the order is `returned`.
pub async fn a_full_return_marks_the_order_returned<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let (id, _) = ingest(&store, order("R-5", &[("A", 2)], |_| {})).await;
    ship(&store, id).await;
    let one = open(&store, new_case(id, CaseKind::ReturnRefund, &[("A", 1)])).await;
    let one = command(&store, &one, CaseCommand::Approve).await;
    command(
        &store,
        &one,
        CaseCommand::Receive(vec![receipt("A", 1, Disposition::Restock)]),
    )
    .await;
    let status = |store: Arc<T>| async move { store.get_order(&acme(), id).await.unwrap().unwrap().state.status };
    assert_eq!(status(store.clone()).await, OrderStatus::Shipped);
    let two = open(&store, new_case(id, CaseKind::ReturnRefund, &[("A", 1)])).await;
    let two = command(&store, &two, CaseCommand::Approve).await;
    command(
        &store,
        &two,
        CaseCommand::Receive(vec![receipt("A", 1, Disposition::WriteOff)]),
    )
    .await;
    assert_eq!(status(store.clone()).await, OrderStatus::Returned);
    assert_eq!(level(&store, "HZ-01", "A").await.on_hand, 4);
    assert!(store.check_inventory(&acme()).await.unwrap().is_empty());
}

/// A case of one tenant is invisible to another, by id and in every listing.
pub async fn tenants_never_see_each_others_cases<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 5).await;
    let other = TenantId::parse("other").unwrap();
    store.ensure_tenant(&other, "Other", now()).await.unwrap();
    let (id, _) = ingest(&store, order("R-6", &[("A", 1)], |_| {})).await;
    let case = open(&store, new_case(id, CaseKind::RefundOnly, &[("A", 1)])).await;
    assert!(store.get_case(&other, case.id).await.unwrap().is_none());
    let query = CaseQuery {
        limit: 10,
        ..Default::default()
    };
    assert!(store.list_cases(&other, &query).await.unwrap().is_empty());
    assert!(store.case_counts(&other).await.unwrap().is_empty());
    let refused = store
        .open_case(&other, &new_case(id, CaseKind::RefundOnly, &[("A", 1)]), "test", now())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.code(), "not_found");
    let command = store
        .case_command(
            &other,
            case.id,
            &CaseCommand::Approve,
            &CaseFlow::default(),
            "test",
            now(),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(command.code(), "not_found");
    assert_eq!(store.list_cases(&acme(), &query).await.unwrap().len(), 1);
}

/// Refunds racing on one order, each for more than half of what was paid: exactly one
/// is recorded, whatever the store's concurrency.
pub async fn racing_refunds_never_pay_back_more_than_was_paid<T: Store>(store: Arc<T>) {
    setup(&store).await;
    // 2 × 10.00 and 10.00 shipping: 30.00 paid.
    let (id, _) = ingest(&store, order("R-7", &[("A", 2)], |_| {})).await;
    let racers: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let flow = CaseFlow::default();
                loop {
                    match store
                        .record_refund(&acme(), &refund(id, None, Some(1501)), &flow, "race", now())
                        .await
                    {
                        Err(StoreError::Retryable(_)) => continue,
                        other => return other.unwrap(),
                    }
                }
            })
        })
        .collect();
    let mut recorded = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Ok(_) => recorded += 1,
            Err(e) => assert_eq!(e.code(), "refund_exceeds_paid"),
        }
    }
    assert_eq!(recorded, 1);
    let refunds = store.order_refunds(&acme(), id).await.unwrap();
    assert_eq!(refunds.iter().map(|r| r.amount).sum::<i64>(), 1501);
}

/// Approving or declining a case the channel opened queues one `channel.aftersale`
/// message for that channel with the decision, in the same commit; a refund Ordo records
/// on it queues its amount; a move the channel made itself, and a case of Ordo's own,
/// queue nothing.
pub async fn a_channel_case_decided_in_ordo_is_written_back_once<T: Store>(store: Arc<T>) {
    setup(&store).await;
    receive(&store, "HZ-01", "A", 10).await;
    let flow = CaseFlow::default();
    let written = |store: Arc<T>| async move {
        store
            .list_outbox(&acme(), Some("channel.aftersale"), None, 100)
            .await
            .unwrap()
    };
    let channel_case = |id, channel_id: &str| {
        let mut new = new_case(id, CaseKind::RefundOnly, &[("A", 1)]);
        new.channel_case_id = Some(channel_id.into());
        new.channel_status = Some("WAIT_SELLER_AGREE".into());
        new
    };
    // Approved in Ordo: one message with the decision.
    let (first, _) = ingest(&store, order("W-1", &[("A", 2)], |_| {})).await;
    let approved = open(&store, channel_case(first, "RF-1")).await;
    let approved = command(&store, &approved, CaseCommand::Approve).await;
    let messages = written(store.clone()).await;
    assert_eq!(messages.len(), 1, "one write-back per decision");
    assert_eq!(messages[0].destination, approved.channel);
    let p = &messages[0].payload;
    assert_eq!(
        (
            p["type"].as_str(),
            p["decision"].as_str(),
            p["channel_case_id"].as_str()
        ),
        (Some("aftersale"), Some("approve"), Some("RF-1"))
    );
    assert_eq!(p["external_order_id"].as_str(), Some("W-1"));

    // Moved by the channel itself: nothing goes back to it.
    let (second, _) = ingest(&store, order("W-2", &[("A", 2)], |_| {})).await;
    let by_channel = open(&store, channel_case(second, "RF-2")).await;
    store
        .case_command(
            &acme(),
            by_channel.id,
            &CaseCommand::Decline(Some("buyer withdrew".into())),
            &flow,
            "channel",
            now(),
        )
        .await
        .unwrap()
        .unwrap();
    // A case of Ordo's own has nobody to tell.
    let own = open(&store, new_case(second, CaseKind::RefundOnly, &[("A", 1)])).await;
    command(&store, &own, CaseCommand::Approve).await;
    assert_eq!(
        written(store.clone()).await.len(),
        1,
        "no write-back for the channel's own moves"
    );

    // Declined in Ordo: a refusal with its reason.
    let (third, _) = ingest(&store, order("W-3", &[("A", 2)], |_| {})).await;
    let declined = open(&store, channel_case(third, "RF-3")).await;
    command(&store, &declined, CaseCommand::Decline(Some("used".into()))).await;
    let messages = written(store.clone()).await;
    assert_eq!(messages.len(), 2);
    let refusal = messages
        .iter()
        .find(|m| m.payload["channel_case_id"] == "RF-3")
        .expect("the refusal");
    assert_eq!(
        (refusal.payload["decision"].as_str(), refusal.payload["reason"].as_str()),
        (Some("refuse"), Some("used"))
    );

    // A refund Ordo records on the approved case: its amount and currency.
    store
        .record_refund(&acme(), &refund(first, Some(approved.id), None), &flow, "test", now())
        .await
        .unwrap()
        .unwrap();
    let messages = written(store.clone()).await;
    assert_eq!(messages.len(), 3);
    let money = messages
        .iter()
        .find(|m| m.payload["decision"] == "refund")
        .expect("the refund");
    assert_eq!(
        (
            money.payload["channel_case_id"].as_str(),
            money.payload["amount"].as_i64(),
            money.payload["currency"].as_str()
        ),
        (Some("RF-1"), Some(1000), Some("CNY"))
    );
}
