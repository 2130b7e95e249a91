//! What a merchant sees when a rules file is wrong: every problem, with its line.

use super::*;
use crate::config::ConfigError;

fn errors(text: &str) -> ConfigErrors {
    RuleSet::from_toml(text, "rules.toml").expect_err("should not load")
}

/// (code, line, column, path) of every problem.
fn summary(text: &str) -> Vec<(&'static str, usize, usize, String)> {
    errors(text)
        .iter()
        .map(|e| (e.code, e.line, e.column, e.path.clone()))
        .collect()
}

fn only(text: &str) -> ConfigError {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "{errors}");
    errors.0[0].clone()
}

#[test]
fn an_empty_file_is_a_rule_set_that_approves_everything() {
    assert_eq!(RuleSet::from_toml("", "rules.toml").unwrap().rules().len(), 0);
}

#[test]
fn a_syntax_error_is_reported_with_its_line() {
    let error = only("[[rule]]\nname = \"a\nkind = \"remark_present\"\n");
    assert_eq!((error.code, error.line), ("syntax", 2));
    assert!(error.to_string().starts_with("rules.toml:2:"), "{error}");
}

#[test]
fn an_unknown_kind_lists_the_known_ones() {
    let error = only("[[rule]]\nname = \"a\"\nkind = \"remark\"\noutcome = \"hold\"\nwords = [\"x\"]\n");
    assert_eq!((error.code, error.line, error.column), ("unknown_kind", 3, 8));
    assert_eq!(error.path, "rule[0].kind");
    assert!(
        error
            .message
            .contains("known kinds: missing_address, total_mismatch, unknown_sku"),
        "{}",
        error.message
    );
}

#[test]
fn missing_fields_point_at_the_rule() {
    let text = "[[rule]]\nname = \"ok\"\nkind = \"remark_present\"\noutcome = \"hold\"\n\n[[rule]]\nname = \"big\"\nkind = \"order_value_above\"\namount = \"10\"\noutcome = \"hold\"\n";
    let error = only(text);
    assert_eq!(
        (error.code, error.line, error.path.as_str()),
        ("missing_field", 6, "rule[1].currency")
    );
    assert_eq!(error.message, "missing required field `currency`");
    let no_kind = summary("[[rule]]\nname = \"a\"\noutcome = \"hold\"\n");
    assert_eq!(no_kind, vec![("missing_field", 1, 1, "rule[0].kind".to_owned())]);
}

#[test]
fn fields_of_another_kind_are_unknown() {
    let error = only("[[rule]]\nname = \"a\"\nkind = \"remark_present\"\noutcome = \"hold\"\n  minutes = 5\n");
    assert_eq!((error.code, error.line, error.column), ("unknown_field", 5, 3));
    assert_eq!(error.path, "rule[0].minutes");
    assert_eq!(
        error.message,
        "unknown field `minutes` for kind remark_present; known fields: channels, description, enabled, kind, name, outcome"
    );
}

#[test]
fn bad_amounts_and_currencies_are_reported() {
    let rule = |amount: &str, currency: &str| {
        format!(
            "[[rule]]\nname = \"a\"\nkind = \"order_value_above\"\noutcome = \"hold\"\namount = \"{amount}\"\ncurrency = \"{currency}\"\n"
        )
    };
    assert_eq!(
        summary(&rule("5,000", "CNY")),
        vec![("invalid_amount", 5, 10, "rule[0].amount".to_owned())]
    );
    assert_eq!(only(&rule("1.005", "CNY")).code, "invalid_amount");
    assert_eq!(only(&rule("-1", "CNY")).message, "the amount must not be negative");
    assert_eq!(
        summary(&rule("10", "RMB")),
        vec![("invalid_currency", 6, 12, "rule[0].currency".to_owned())]
    );
}

#[test]
fn bad_times_offsets_and_empty_windows_are_reported() {
    let rule = |start: &str, end: &str, offset: &str| {
        format!(
            "[[rule]]\nname = \"w\"\nkind = \"review_window\"\nstart = \"{start}\"\nend = \"{end}\"\nutc_offset = \"{offset}\"\n"
        )
    };
    let codes: Vec<_> = summary(&rule("9am", "21:00", "+8"))
        .into_iter()
        .map(|e| (e.0, e.1))
        .collect();
    assert_eq!(codes, vec![("invalid_time", 4), ("invalid_offset", 6)]);
    let error = only(&rule("09:00", "09:00", "+08:00"));
    assert_eq!((error.code, error.line), ("invalid_time", 5));
    // An unquoted TOML local time is accepted too.
    let unquoted =
        "[[rule]]\nname = \"w\"\nkind = \"review_window\"\nstart = 09:00:00\nend = 18:00:00\nutc_offset = \"+08:00\"\n";
    assert!(RuleSet::from_toml(unquoted, "rules.toml").is_ok());
}

#[test]
fn minutes_must_be_a_positive_bounded_integer() {
    let rule = |minutes: &str| format!("[[rule]]\nname = \"p\"\nkind = \"paid_for\"\nminutes = {minutes}\n");
    assert_eq!(
        summary(&rule("0")),
        vec![("invalid_value", 4, 11, "rule[0].minutes".to_owned())]
    );
    assert_eq!(only(&rule("600000")).code, "invalid_value");
    assert_eq!(only(&rule("\"10\"")).message, "expected an integer, found a string");
    assert_eq!(only(&rule("1.5")).message, "expected an integer, found a number");
}

#[test]
fn a_duplicate_rule_name_names_the_first_line() {
    let text = "[[rule]]\nname = \"a\"\nkind = \"remark_present\"\noutcome = \"hold\"\n\n[[rule]]\nname = \"a\"\nkind = \"unknown_sku\"\noutcome = \"hold\"\n";
    let error = only(text);
    assert_eq!(
        (error.code, error.line, error.path.as_str()),
        ("duplicate_name", 7, "rule[1].name")
    );
    assert_eq!(error.message, "rule name \"a\" is already used on line 1");
}

#[test]
fn outcomes_are_required_checked_and_fixed_for_deferrals() {
    let missing = only("[[rule]]\nname = \"a\"\nkind = \"remark_present\"\n");
    assert_eq!(
        (missing.code, missing.line, missing.path.as_str()),
        ("missing_field", 1, "rule[0].outcome")
    );
    let unknown = only("[[rule]]\nname = \"a\"\nkind = \"remark_present\"\noutcome = \"approve\"\n");
    assert_eq!((unknown.code, unknown.line), ("invalid_value", 4));
    assert!(unknown.message.contains("known outcomes: pass, hold, reject, flag"));
    let deferral = only("[[rule]]\nname = \"p\"\nkind = \"paid_for\"\nminutes = 5\noutcome = \"pass\"\n");
    assert_eq!((deferral.code, deferral.line), ("invalid_outcome", 5));
    let explicit = "[[rule]]\nname = \"p\"\nkind = \"paid_for\"\nminutes = 5\noutcome = \"hold\"\n";
    assert_eq!(
        RuleSet::from_toml(explicit, "rules.toml").unwrap().rules()[0].outcome,
        Outcome::Hold
    );
}

#[test]
fn lists_must_hold_valid_entries() {
    let words = only("[[rule]]\nname = \"a\"\nkind = \"sensitive_words\"\nwords = []\noutcome = \"hold\"\n");
    assert_eq!((words.code, words.line), ("empty_list", 4));
    let nobody = only("[[rule]]\nname = \"a\"\nkind = \"blocked\"\noutcome = \"reject\"\n");
    assert_eq!(
        (nobody.code, nobody.line, nobody.path.as_str()),
        ("empty_list", 1, "rule[0].buyers")
    );
    let short =
        only("[[rule]]\nname = \"a\"\nkind = \"blocked\"\noutcome = \"reject\"\nphones = [\"13800138000\", \"110\"]\n");
    assert_eq!(
        (short.code, short.line, short.path.as_str()),
        ("invalid_phone", 5, "rule[0].phones[1]")
    );
    let channel =
        only("[[rule]]\nname = \"a\"\nkind = \"unknown_sku\"\noutcome = \"hold\"\nchannels = [\"my shop\"]\n");
    assert_eq!(
        (channel.code, channel.path.as_str()),
        ("invalid_channel", "rule[0].channels[0]")
    );
}

#[test]
fn every_problem_in_a_file_is_reported_at_once() {
    let text = r#"[[rule]]
name = "a"
kind = "remark_present"
outcome = "hold"

[[rule]]
name = "a"
kind = "unknown_sku"
outcome = "hold"

[[rule]]
name = "c"
kind = "paid_for"
minutes = -1
colour = "red"

[[rule]]
name = "d"
kind = "nonsense"
outcome = "hold"

[typo]
x = 1
"#;
    let codes: Vec<_> = summary(text).into_iter().map(|e| (e.0, e.1)).collect();
    assert_eq!(
        codes,
        vec![
            ("duplicate_name", 7),
            ("invalid_value", 14),
            ("unknown_field", 15),
            ("unknown_kind", 19),
            ("unknown_field", 22),
        ]
    );
    assert_eq!(errors(text).0[4].column, 2, "points at the [typo] header");
    let shown = errors(text).to_string();
    assert!(
        shown
            .lines()
            .next()
            .unwrap()
            .starts_with("rules.toml:7:8: rule[1].name: rule name"),
        "{shown}"
    );
}

#[test]
fn the_default_rules_file_validates() {
    let rules = RuleSet::from_toml(DEFAULT_RULES_TOML, "rules.toml").unwrap();
    let names: Vec<_> = rules.rules().iter().map(|r| r.name.as_str()).collect();
    assert!(names.contains(&"remark-needs-review") && names.contains(&"cool-off-after-payment"));
}
