//! What a merchant sees when a workflow file is wrong: every problem, with its line.

use ordo_core::OrderStatus::*;

use super::*;
use crate::config::ConfigError;

/// A small valid workflow that the tests break one way at a time.
const SMALL: &str = r#"initial = ["pending_payment"]
terminal = ["cancelled", "completed"]

[[transition]]
name = "pay"
from = ["pending_payment"]
to = "paid"

[[transition]]
name = "cancel"
from = ["pending_payment", "paid"]
to = "cancelled"

[[transition]]
name = "complete"
from = "paid"
to = "completed"
"#;

fn errors(text: &str) -> ConfigErrors {
    Workflow::from_toml(text, "wf.toml").expect_err("should not load")
}

/// The only error, which must have this code.
fn only(text: &str, code: &str) -> ConfigError {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "{errors}");
    let error = errors.0[0].clone();
    assert_eq!(error.code, code, "{error}");
    error
}

#[test]
fn the_small_workflow_loads() {
    let flow = Workflow::from_toml(SMALL, "wf.toml").unwrap();
    assert_eq!(flow.states(), vec![PendingPayment, Paid, Completed, Cancelled]);
    assert_eq!(flow.by_name("complete").unwrap().from, vec![Paid]);
    assert_eq!(
        flow.by_name("pay").unwrap().by,
        Actor::ALL.to_vec(),
        "by defaults to everyone"
    );
}

#[test]
fn a_syntax_error_is_reported_with_line_and_column() {
    let error = only("initial = [\"paid\"\nterminal = []\n", "syntax");
    assert_eq!(error.line, 2);
    assert!(error.message.starts_with("invalid TOML"), "{}", error.message);
    assert!(error.to_string().starts_with("wf.toml:2:"), "{error}");
}

#[test]
fn an_unknown_state_lists_the_known_ones() {
    let error = only(&SMALL.replace("to = \"paid\"", "to = \"payed\""), "unknown_state");
    assert_eq!((error.line, error.column), (7, 6));
    assert_eq!(error.path, "transition[0].to");
    assert!(error.message.contains("\"payed\"") && error.message.contains("pending_payment, paid, on_hold"));
    assert_eq!(
        error.to_string().split(" known").next().unwrap(),
        "wf.toml:7:6: transition[0].to: unknown state \"payed\";"
    );
}

#[test]
fn unknown_actions_guards_and_actors_list_the_catalogue() {
    let text = SMALL.replace(
        "to = \"paid\"\n",
        "to = \"paid\"\nactions = [\"notify\", \"launch\"]\nguards = [\"payed\"]\nby = [\"robot\"]\n",
    );
    let errors = errors(&text);
    let codes: Vec<_> = errors.iter().map(|e| (e.code, e.line, e.path.as_str())).collect();
    assert_eq!(
        codes,
        vec![
            ("unknown_action", 8, "transition[0].actions[1]"),
            ("unknown_guard", 9, "transition[0].guards[0]"),
            ("unknown_actor", 10, "transition[0].by[0]"),
        ]
    );
    assert!(
        errors.0[0]
            .message
            .ends_with("push_to_warehouse, ship, restock, refund, notify, write_back")
    );
    assert!(errors.0[1].message.contains("paid, stock_reserved, reviewed"));
    assert!(errors.0[2].message.contains("connector, user, rule, system"));
}

#[test]
fn a_duplicate_transition_name_points_at_both() {
    let error = only(
        &SMALL.replace("name = \"complete\"", "name = \"pay\""),
        "duplicate_name",
    );
    assert_eq!(
        (error.line, error.column, error.path.as_str()),
        (15, 8, "transition[2].name")
    );
    assert!(error.message.contains("already used on line 5"), "{}", error.message);
}

#[test]
fn a_state_no_initial_state_leads_to_is_unreachable() {
    let text = format!("{SMALL}\n[[transition]]\nname = \"return\"\nfrom = \"returned\"\nto = \"completed\"\n");
    let error = only(&text, "unreachable_state");
    assert_eq!((error.line, error.path.as_str()), (21, "transition[3].from"));
    assert!(
        error
            .message
            .contains("returned cannot be reached from any initial state (pending_payment)")
    );
}

#[test]
fn a_state_with_no_way_out_is_a_dead_end_unless_terminal() {
    let text = SMALL.replace(
        "terminal = [\"cancelled\", \"completed\"]",
        "terminal = [\"cancelled\"]",
    );
    let error = only(&text, "dead_end");
    assert_eq!(
        (error.line, error.column, error.path.as_str()),
        (17, 6, "transition[2].to")
    );
    assert!(error.message.contains("completed is a dead end"), "{}", error.message);
}

#[test]
fn terminal_states_may_have_outgoing_transitions() {
    let text = format!("{SMALL}\n[[transition]]\nname = \"reopen\"\nfrom = \"completed\"\nto = \"paid\"\n");
    let flow = Workflow::from_toml(&text, "wf.toml").unwrap();
    assert!(flow.is_terminal(Completed));
    assert_eq!(flow.allowed_from(Completed), vec![("reopen", Paid)]);
}

#[test]
fn a_transition_must_change_the_state_and_start_somewhere() {
    let error = only(
        &SMALL.replace("from = \"paid\"", "from = [\"paid\", \"completed\"]"),
        "self_transition",
    );
    assert_eq!((error.line, error.path.as_str()), (17, "transition[2].to"));
    let error = only(
        &SMALL.replace(
            "from = [\"pending_payment\"]\nto = \"paid\"",
            "from = []\nto = \"paid\"",
        ),
        "empty_from",
    );
    assert_eq!((error.line, error.path.as_str()), (6, "transition[0].from"));
}

#[test]
fn missing_and_unknown_fields_are_reported() {
    let text = SMALL
        .replace("name = \"pay\"\n", "")
        .replace("to = \"completed\"", "to = \"completed\"\ngaurds = [\"paid\"]");
    let errors = errors(&text);
    let codes: Vec<_> = errors
        .iter()
        .map(|e| (e.code, e.line, e.column, e.path.as_str()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("missing_field", 4, 1, "transition[0].name"),
            ("unknown_field", 17, 1, "transition[2].gaurds"),
        ]
    );
    assert!(
        errors.0[1]
            .message
            .contains("known fields: actions, by, description, from, guards, name, reason, to")
    );
}

#[test]
fn two_transitions_may_not_make_the_same_move_for_the_same_actor() {
    let text =
        format!("{SMALL}\n[[transition]]\nname = \"abort\"\nfrom = \"paid\"\nto = \"cancelled\"\nby = [\"system\"]\n");
    let error = only(&text, "ambiguous_transition");
    assert_eq!((error.line, error.path.as_str()), (19, "transition[3]"));
    assert!(
        error
            .message
            .contains("cancel and abort both move paid to cancelled for system")
    );
    let disjoint = text.replace(
        "from = [\"pending_payment\", \"paid\"]\n",
        "from = [\"pending_payment\", \"paid\"]\nby = [\"user\"]\n",
    );
    assert!(Workflow::from_toml(&disjoint, "wf.toml").is_ok());
}

#[test]
fn an_empty_by_list_and_a_bad_reason_policy_are_refused() {
    let text = SMALL.replace("to = \"paid\"\n", "to = \"paid\"\nby = []\nreason = \"sometimes\"\n");
    let codes: Vec<_> = errors(&text).iter().map(|e| (e.code, e.line)).collect();
    assert_eq!(codes, vec![("empty_by", 8), ("invalid_value", 9)]);
}

#[test]
fn an_entry_listed_twice_is_reported() {
    let text = SMALL.replace("to = \"paid\"\n", "to = \"paid\"\nguards = [\"paid\", \"paid\"]\n");
    let error = only(&text, "duplicate_entry");
    assert_eq!(
        (error.line, error.column, error.path.as_str()),
        (8, 19, "transition[0].guards[1]")
    );
}

#[test]
fn a_workflow_needs_initial_states() {
    let error = only(&SMALL.replace("initial = [\"pending_payment\"]\n", ""), "no_initial");
    assert_eq!((error.line, error.path.as_str()), (1, "initial"));
}

#[test]
fn every_problem_is_reported_at_once_in_document_order() {
    let text = SMALL
        .replace("to = \"paid\"", "to = \"payed\"")
        .replace("name = \"complete\"", "name = \"pay\"")
        .replace("to = \"cancelled\"", "to = \"cancelled\"\nactions = [\"explode\"]");
    let errors = errors(&text);
    let lines: Vec<_> = errors.iter().map(|e| (e.line, e.code)).collect();
    assert_eq!(
        lines,
        vec![(7, "unknown_state"), (13, "unknown_action"), (16, "duplicate_name")]
    );
    assert_eq!(errors.to_string().lines().count(), 3);
}

#[test]
fn wrong_value_types_are_reported() {
    let error = only(&SMALL.replace("to = \"paid\"", "to = 3"), "invalid_type");
    assert_eq!(
        (error.line, error.message.as_str()),
        (7, "expected a string, found an integer")
    );
}
