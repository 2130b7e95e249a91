//! Checking moves against the default workflow, and finding paths through it.

use ordo_core::OrderStatus::{self, *};
use ordo_core::order::FinancialStatus;

use super::*;
use crate::test_support::at;

fn flow() -> Workflow {
    Workflow::default_flow()
}

fn ctx(actor: Actor) -> GuardContext<'static> {
    GuardContext::all_clear(actor)
}

fn names(path: &[&Transition]) -> Vec<String> {
    path.iter().map(|t| t.name.clone()).collect()
}

#[test]
fn the_default_workflow_loads_and_uses_every_status() {
    let flow = flow();
    assert_eq!(flow.states(), OrderStatus::ALL.to_vec());
    assert_eq!(flow.initial(), &[PendingPayment, Paid, Cancelled, Refunded]);
    assert!(flow.is_terminal(Completed) && flow.is_terminal(Cancelled) && flow.is_terminal(Refunded));
    assert!(!flow.is_terminal(Shipped));
}

#[test]
fn every_initial_state_of_ordo_core_is_an_initial_state_of_the_default_workflow() {
    let order = crate::test_support::example_order();
    assert!(flow().initial().contains(&OrderStatus::initial(&order)));
}

#[test]
fn a_legal_move_returns_its_transition_with_actions() {
    let flow = flow();
    let push = flow.check(Allocated, SentToWarehouse, &ctx(Actor::System)).unwrap();
    assert_eq!(push.name, "push");
    assert_eq!(push.actions, vec![Action::Route, Action::PushToWarehouse]);
    assert_eq!(push.guards, vec![Guard::Reviewed, Guard::StockReserved]);
    let ship = flow.check(Packed, Shipped, &ctx(Actor::Connector)).unwrap();
    assert_eq!(ship.actions, vec![Action::Ship, Action::Notify, Action::WriteBack]);
}

#[test]
fn an_illegal_move_names_the_states_that_are_allowed() {
    let error = flow().check(Paid, Shipped, &ctx(Actor::User)).unwrap_err();
    assert_eq!(error.code(), "illegal_transition");
    let TransitionError::Illegal { allowed, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(allowed, &vec![OnHold, Allocated, Cancelled]);
    assert_eq!(
        error.to_string(),
        "cannot move from paid to shipped; from paid an order can move to: on_hold, allocated, cancelled"
    );
}

#[test]
fn nothing_leaves_a_final_state_without_an_after_sales_move() {
    let error = flow().check(Cancelled, Paid, &ctx(Actor::User)).unwrap_err();
    assert_eq!(
        error.to_string().rsplit(": ").next(),
        Some("nothing (no move leaves this state)")
    );
    let TransitionError::Illegal { allowed, .. } = error else {
        panic!()
    };
    assert!(allowed.is_empty());
}

#[test]
fn shipping_can_skip_the_warehouse_scans() {
    let flow = flow();
    for from in [Allocated, SentToWarehouse, Picking, Packed] {
        assert_eq!(flow.check(from, Shipped, &ctx(Actor::Connector)).unwrap().name, "ship");
    }
}

#[test]
fn an_unpaid_order_cannot_be_allocated() {
    let mut unpaid = ctx(Actor::System);
    unpaid.financial_status = FinancialStatus::Authorized;
    let error = flow().check(Paid, Allocated, &unpaid).unwrap_err();
    assert_eq!(error.code(), "guard_failed");
    let TransitionError::Guard {
        transition,
        guard,
        message,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!((transition.as_str(), *guard), ("allocate", Guard::Paid));
    assert!(message.contains("authorized"), "{message}");
    let mut partly = ctx(Actor::System);
    partly.financial_status = FinancialStatus::PartiallyPaid;
    assert!(flow().check(Paid, Allocated, &partly).is_ok());
}

#[test]
fn each_guard_of_the_default_workflow_can_refuse_a_move() {
    let flow = flow();
    type Breaks = fn(&mut GuardContext<'static>);
    let cases: [(OrderStatus, OrderStatus, Breaks, Guard); 5] = [
        (Paid, Allocated, |c| c.open_review_hold = true, Guard::Reviewed),
        (Paid, Allocated, |c| c.shortage = true, Guard::NoShortage),
        (Paid, Allocated, |c| c.address_complete = false, Guard::AddressComplete),
        (
            Allocated,
            SentToWarehouse,
            |c| c.stock_reserved = false,
            Guard::StockReserved,
        ),
        (Packed, Shipped, |c| c.has_tracking = false, Guard::HasTracking),
    ];
    for (from, to, break_it, expected) in cases {
        let mut context = ctx(Actor::System);
        break_it(&mut context);
        match flow.check(from, to, &context) {
            Err(TransitionError::Guard { guard, .. }) => assert_eq!(guard, expected),
            other => panic!("{from:?} -> {to:?}: {other:?}"),
        }
    }
}

#[test]
fn guards_are_checked_in_the_order_the_configuration_lists_them() {
    let mut context = ctx(Actor::System);
    context.financial_status = FinancialStatus::Pending;
    context.shortage = true;
    let Err(TransitionError::Guard { guard, .. }) = flow().check(Paid, Allocated, &context) else {
        panic!()
    };
    assert_eq!(guard, Guard::Paid);
}

#[test]
fn a_connector_cannot_allocate() {
    let error = flow().check(Paid, Allocated, &ctx(Actor::Connector)).unwrap_err();
    assert_eq!(error.code(), "actor_not_allowed");
    let TransitionError::Actor {
        transition,
        actor,
        allowed,
    } = &error
    else {
        panic!()
    };
    assert_eq!((transition.as_str(), *actor), ("allocate", Actor::Connector));
    assert_eq!(allowed, &vec![Actor::User, Actor::Rule, Actor::System]);
    assert_eq!(
        error.to_string(),
        "allocate cannot be done by connector; allowed: user, rule, system"
    );
}

#[test]
fn the_same_move_is_expire_for_the_system_and_cancel_for_people() {
    let flow = flow();
    assert_eq!(
        flow.check(PendingPayment, Cancelled, &ctx(Actor::System)).unwrap().name,
        "expire"
    );
    assert_eq!(
        flow.check(PendingPayment, Cancelled, &ctx(Actor::Connector))
            .unwrap()
            .name,
        "cancel"
    );
    let error = flow.check(Paid, Cancelled, &ctx(Actor::System)).unwrap_err();
    let TransitionError::Actor { allowed, .. } = error else {
        panic!()
    };
    assert_eq!(allowed, vec![Actor::Connector, Actor::User, Actor::Rule]);
}

#[test]
fn people_must_say_why_they_cancel() {
    let flow = flow();
    let error = flow.check(Paid, Cancelled, &ctx(Actor::User)).unwrap_err();
    assert_eq!(error.code(), "reason_required");
    assert_eq!(
        error,
        TransitionError::ReasonRequired {
            transition: "cancel".into()
        }
    );
    let mut blank = ctx(Actor::User);
    blank.reason = Some("   ");
    assert_eq!(
        flow.check(Paid, Cancelled, &blank).unwrap_err().code(),
        "reason_required"
    );
    let mut with_reason = ctx(Actor::User);
    with_reason.reason = Some("buyer asked by phone");
    let cancel = flow.check(Paid, Cancelled, &with_reason).unwrap();
    assert_eq!(cancel.actions, vec![Action::Release, Action::Notify, Action::WriteBack]);
    assert!(
        flow.check(Paid, Cancelled, &ctx(Actor::Connector)).is_ok(),
        "the channel's event is the reason"
    );
}

#[test]
fn allowed_moves_are_listed_by_name_in_configuration_order() {
    let flow = flow();
    assert_eq!(
        flow.allowed_from(OnHold),
        vec![
            ("release", Paid),
            ("release_allocated", Allocated),
            ("cancel", Cancelled)
        ]
    );
    assert_eq!(flow.allowed_from(Completed), vec![("request_return", ReturnRequested)]);
    assert_eq!(flow.next_states(ReturnRequested), vec![Completed, Returned]);
}

#[test]
fn transitions_are_found_by_name() {
    let flow = flow();
    let refund = flow.by_name("refund").unwrap();
    assert_eq!((refund.from.as_slice(), refund.to), (&[Returned][..], Refunded));
    assert_eq!(refund.reason, ReasonPolicy::Optional);
    assert!(flow.by_name("teleport").is_none());
}

#[test]
fn the_shortest_path_from_allocated_to_completed_ships_delivers_and_completes() {
    let flow = flow();
    assert_eq!(
        names(&flow.path(Allocated, Completed).unwrap()),
        ["ship", "deliver", "complete"]
    );
    assert_eq!(names(&flow.path(Allocated, Delivered).unwrap()), ["ship", "deliver"]);
    assert_eq!(
        names(&flow.path(PendingPayment, Refunded).unwrap()),
        ["pay", "allocate", "ship", "request_return", "receive_return", "refund"]
    );
    assert_eq!(flow.path(Picking, Picking).unwrap().len(), 0);
    assert!(flow.path(Cancelled, Paid).is_none());
    assert!(
        flow.path(Shipped, Allocated).is_none(),
        "nothing moves an order back to the warehouse"
    );
}

#[test]
fn walking_a_path_passes_every_check_when_the_guards_hold() {
    let flow = flow();
    let mut state = Allocated;
    for transition in flow.path(Allocated, Completed).unwrap() {
        let checked = flow.check(state, transition.to, &ctx(Actor::System)).unwrap();
        assert_eq!(checked.name, transition.name);
        state = transition.to;
    }
    assert_eq!(state, Completed);
}

#[test]
fn a_transition_record_serialises_as_event_data() {
    let flow = flow();
    let cancel = flow.by_name("cancel").unwrap();
    let record = cancel.record(
        Paid,
        Actor::User,
        "u-7",
        Some(" buyer asked "),
        at("2026-11-22T03:00:00Z"),
    );
    assert_eq!(
        record.to_json(),
        serde_json::json!({
            "from": "paid", "to": "cancelled", "transition": "cancel", "actor": "user",
            "actor_id": "u-7", "reason": "buyer asked", "at": "2026-11-22T03:00:00Z"
        })
    );
    let back: TransitionRecord = serde_json::from_value(record.to_json()).unwrap();
    assert_eq!(back, record);
    let silent = cancel.record(Paid, Actor::Connector, "taobao", None, at("2026-11-22T03:00:00Z"));
    assert!(silent.to_json().get("reason").is_none());
}

#[test]
fn catalogue_names_round_trip() {
    for guard in Guard::ALL {
        assert_eq!(Guard::parse(guard.as_str()), Some(*guard));
        assert_eq!(serde_json::to_value(guard).unwrap(), serde_json::json!(guard.as_str()));
    }
    for action in Action::ALL {
        assert_eq!(Action::parse(action.as_str()), Some(*action));
    }
    assert_eq!(Actor::parse("rule"), Some(Actor::Rule));
    assert_eq!(Action::PushToWarehouse.to_string(), "push_to_warehouse");
}
