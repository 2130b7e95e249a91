//! How rules combine: order, short-circuits, accumulation, deferrals, and the defaults.

use chrono::Duration;
use serde_json::json;

use super::*;
use crate::rules::DEFAULT_RULES_TOML;
use crate::test_support::{at, example_order, plain_order};

const VIP: &str = "[[rule]]\nname = \"vip\"\nkind = \"buyer_list\"\nbuyers = [\"u-42\"]\noutcome = \"pass\"\n";
const REMARK: &str = "[[rule]]\nname = \"remark\"\nkind = \"remark_present\"\noutcome = \"hold\"\n";
const BIG: &str = "[[rule]]\nname = \"big\"\nkind = \"order_value_above\"\namount = \"100\"\ncurrency = \"CNY\"\noutcome = \"hold\"\n";
const MUG_FLAG: &str = "[[rule]]\nname = \"mug\"\nkind = \"sku_excluded\"\nskus = [\"MUG-01\"]\noutcome = \"flag\"\n";
const BLOCKED: &str = "[[rule]]\nname = \"blocked\"\nkind = \"blocked\"\nnames = [\"王小明\"]\noutcome = \"reject\"\n";
const COOL_OFF: &str = "[[rule]]\nname = \"cool-off\"\nkind = \"paid_for\"\nminutes = 30\n";
const HOURS: &str = "[[rule]]\nname = \"hours\"\nkind = \"review_window\"\nstart = \"09:00\"\nend = \"21:00\"\nutc_offset = \"+08:00\"\n";

fn evaluate(parts: &[&str], ctx: &RuleContext) -> Verdict {
    let text = parts.join("\n");
    let rules = RuleSet::from_toml(&text, "rules.toml").unwrap_or_else(|e| panic!("{e}"));
    rules.evaluate(&example_order(), ctx)
}

fn later() -> RuleContext {
    RuleContext::at(at("2026-11-23T04:00:00Z"))
}

fn hit_names(verdict: &Verdict) -> Vec<&str> {
    verdict.hits.iter().map(|h| h.rule.as_str()).collect()
}

#[test]
fn a_pass_approves_and_stops_when_nothing_was_held_before_it() {
    let verdict = evaluate(&[VIP, REMARK, BIG], &later());
    assert_eq!(verdict.decision, Decision::Approve);
    assert_eq!(hit_names(&verdict), ["vip"]);
}

#[test]
fn a_pass_after_a_hold_stops_but_does_not_approve() {
    let verdict = evaluate(&[REMARK, VIP, BIG], &later());
    assert_eq!(verdict.decision, Decision::Hold);
    assert_eq!(hit_names(&verdict), ["remark", "vip"]);
}

#[test]
fn a_reject_stops_evaluation() {
    let verdict = evaluate(&[REMARK, BLOCKED, BIG, VIP], &later());
    assert_eq!(verdict.decision, Decision::Reject);
    assert_eq!(hit_names(&verdict), ["remark", "blocked"]);
    assert_eq!(verdict.release_at, None);
}

#[test]
fn a_pass_before_a_reject_wins() {
    assert_eq!(evaluate(&[VIP, BLOCKED], &later()).decision, Decision::Approve);
}

#[test]
fn holds_and_flags_accumulate() {
    let verdict = evaluate(&[MUG_FLAG, REMARK, BIG], &later());
    assert_eq!(verdict.decision, Decision::Hold);
    assert_eq!(hit_names(&verdict), ["mug", "remark", "big"]);
    assert_eq!(verdict.flags, ["mug"]);
    assert_eq!(verdict.release_at, None, "a person must release these holds");
}

#[test]
fn flags_alone_approve() {
    let verdict = evaluate(&[MUG_FLAG], &later());
    assert_eq!((verdict.decision, verdict.flags.len()), (Decision::Approve, 1));
}

#[test]
fn no_rules_approve_everything() {
    let verdict = evaluate(&[], &later());
    assert_eq!((verdict.decision, verdict.hits.len()), (Decision::Approve, 0));
}

#[test]
fn when_only_deferrals_hold_the_order_it_is_released_at_the_latest_one() {
    // 22:50 in Beijing, paid at 22:40: the cool-off ends at 23:10, the window opens at 09:00.
    let now = at("2026-11-22T14:50:00Z");
    let ctx = RuleContext {
        paid_at: Some(now - Duration::minutes(10)),
        ..RuleContext::at(now)
    };
    let verdict = evaluate(&[COOL_OFF, HOURS], &ctx);
    assert_eq!(verdict.decision, Decision::Hold);
    assert_eq!(verdict.hits[0].until, Some(now + Duration::minutes(20)));
    assert_eq!(verdict.release_at, Some(at("2026-11-23T01:00:00Z")));
    let with_person = evaluate(&[COOL_OFF, REMARK], &ctx);
    assert_eq!((with_person.decision, with_person.release_at), (Decision::Hold, None));
}

#[test]
fn a_pass_after_a_deferral_does_not_skip_the_wait() {
    let now = at("2026-11-22T14:50:00Z");
    let ctx = RuleContext {
        paid_at: Some(now),
        ..RuleContext::at(now)
    };
    let verdict = evaluate(&[COOL_OFF, VIP], &ctx);
    assert_eq!(verdict.decision, Decision::Hold);
    assert_eq!(verdict.release_at, Some(now + Duration::minutes(30)));
}

#[test]
fn the_default_rules_load_and_hold_an_order_with_a_remark() {
    let rules = RuleSet::default_rules();
    assert!(rules.rules().iter().any(|r| !r.enabled), "examples ship disabled");
    let verdict = rules.evaluate(&example_order(), &later());
    assert_eq!(verdict.decision, Decision::Hold);
    assert_eq!(hit_names(&verdict), ["remark-needs-review"]);
}

#[test]
fn the_default_rules_approve_a_plain_order_at_once_and_the_cool_off_is_there_to_turn_on() {
    let rules = RuleSet::default_rules();
    let order = plain_order();
    // The cool-off ships disabled, so a plain order is approved as soon as it is paid.
    let fresh = RuleContext::at(order.placed_at + Duration::minutes(1));
    assert_eq!(rules.evaluate(&order, &fresh).decision, Decision::Approve);
    let enabled = DEFAULT_RULES_TOML.replace("minutes = 10\nenabled = false", "minutes = 10");
    assert_ne!(enabled, DEFAULT_RULES_TOML);
    let rules = RuleSet::from_toml(&enabled, "rules.toml").unwrap();
    let held = rules.evaluate(&order, &RuleContext::at(order.placed_at + Duration::minutes(4)));
    assert_eq!(held.decision, Decision::Hold);
    assert_eq!(held.release_at, Some(order.placed_at + Duration::minutes(10)));
    assert_eq!(rules.evaluate(&order, &later()).decision, Decision::Approve);
}

#[test]
fn a_verdict_serialises_for_an_event() {
    let verdict = evaluate(&[MUG_FLAG, REMARK], &later());
    assert_eq!(
        verdict.to_json(),
        json!({
            "decision": "hold",
            "hits": [
                {"rule": "mug", "kind": "sku_excluded", "outcome": "flag", "code": "sku_excluded",
                 "message": "MUG-01 always needs manual review", "field": "lines[1].sku",
                 "suggestion": "check the item (made to order, fragile, restricted) before releasing"},
                {"rule": "remark", "kind": "remark_present", "outcome": "hold", "code": "remark_present",
                 "message": "the buyer left a remark: 请尽快发货", "field": "remark",
                 "suggestion": "do what the remark asks (or note why not) before releasing the order"}
            ],
            "flags": ["mug"]
        })
    );
    let deferred = evaluate(&[HOURS], &RuleContext::at(at("2026-11-22T14:00:00Z"))).to_json();
    assert_eq!(deferred["release_at"], json!("2026-11-23T01:00:00Z"));
    assert_eq!(deferred["hits"][0]["until"], json!("2026-11-23T01:00:00Z"));
}
