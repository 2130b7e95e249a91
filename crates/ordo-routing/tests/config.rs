//! The TOML format: the embedded default, defaults of omitted settings, and errors that
//! point at the line, column and field.

use ordo_routing::{CarrierPick, ConfigError, DEFAULT_TOML, Filters, RankKey, RoutingConfig};

fn errors(text: &str) -> Vec<ConfigError> {
    RoutingConfig::from_toml(text, "routing.toml").expect_err("the config should be refused")
}

/// `(line, column, path)` of each error, for compact assertions.
fn places(text: &str) -> Vec<(usize, usize, String)> {
    errors(text).into_iter().map(|e| (e.line, e.column, e.path)).collect()
}

#[test]
fn the_embedded_default_parses_with_its_rules_in_order() {
    let config = RoutingConfig::from_toml(DEFAULT_TOML, "config/routing.toml").unwrap();
    let names: Vec<&str> = config.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["domestic-single", "fewest-packages"]);
    assert_eq!(config.rules[0].max_shipments, Some(1));
    assert_eq!(config.currency.as_deref(), Some("CNY"));
    assert_eq!(config.costs[1].tariff.first_kg_minor, 800);
    assert_eq!(RoutingConfig::embedded_default(), config);
}

#[test]
fn omitted_settings_take_the_safe_defaults_and_every_rank_key_is_kept() {
    let config = RoutingConfig::from_toml("[[rule]]\nname = \"r\"\nrank = [\"distance\"]\n", "r.toml").unwrap();
    let rule = &config.rules[0];
    assert_eq!(rule.filters, Filters::default());
    assert!(rule.filters.above_safety_stock && rule.filters.within_capacity && rule.filters.attributes);
    assert!(rule.split_lines && rule.max_shipments.is_none());
    assert_eq!(
        rule.rank,
        [
            RankKey::Distance,
            RankKey::Cost,
            RankKey::Priority,
            RankKey::StockBalance
        ]
    );
    assert_eq!(config.carriers.pick, CarrierPick::First);
}

#[test]
fn an_unknown_field_is_an_error_at_its_line() {
    let text = "[[rule]]\nname = \"a\"\nfilters = { serves_channel = true, colour = 1 }\n";
    let found = errors(text);
    assert_eq!(
        (found[0].line, found[0].column, found[0].path.as_str()),
        (3, 36, "rule[0].filters")
    );
    assert!(
        found[0].message.contains("unknown field `colour`"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].to_string().split(": ").next(), Some("routing.toml:3:36"));

    assert_eq!(places("speed = 1\n[[rule]]\nname = \"a\"\n"), [(1, 1, "speed".into())]);
    assert_eq!(
        places("[[rule]]\nname = \"a\"\nwhen = { channel = [] }\n"),
        [(3, 10, "rule[0].when".into())]
    );
}

#[test]
fn type_errors_and_missing_fields_name_the_right_table() {
    let text = "[[rule]]\nname = \"a\"\n[[rule]]\nname = \"b\"\nmax_shipments = \"one\"\n";
    assert_eq!(places(text), [(5, 17, "rule[1].max_shipments".into())]);
    let text = "[[rule]]\nname = \"a\"\n\n[[rule]]\nfilters = {}\n";
    let found = errors(text);
    assert_eq!((found[0].line, found[0].path.as_str()), (4, "rule[1]"));
    assert!(found[0].message.contains("missing field `name`"));
    assert!(
        errors("carrier_pick = \"fastest\"\n[[rule]]\nname = \"a\"\n")[0]
            .message
            .contains("fastest")
    );
}

#[test]
fn every_semantic_problem_is_reported_at_once_with_its_place() {
    let text = r#"[[rule]]
name = "a"
[[rule]]
name = "a"
rank = ["cost", "shipments", "speed", "cost"]
max_shipments = 0
filters = { regions = ["CN ZJ"] }
[[cost]]
from = "CN-*"
to = "*"
first_kg = "8.001"
per_kg = "1"
currency = "CNY"
[[cost]]
from = "*"
to = "*"
first_kg = "8"
per_kg = "1"
currency = "USD"
"#;
    let found = errors(text);
    let summary: Vec<(usize, &str)> = found.iter().map(|e| (e.line, e.path.as_str())).collect();
    assert_eq!(
        summary,
        [
            (4, "rule[1].name"),
            (5, "rule[1].rank[1]"),
            (5, "rule[1].rank[2]"),
            (5, "rule[1].rank[3]"),
            (6, "rule[1].max_shipments"),
            (7, "rule[1].filters.regions[0]"),
            (11, "cost[0].first_kg"),
            (19, "cost[1].currency"),
        ]
    );
    assert!(found[1].message.contains("always ranks first"));
    assert!(found[2].message.contains("unknown ranking \"speed\""));
    assert!(found[6].message.contains("more than 2 decimals"));
    assert!(found[7].message.contains("one currency"));
}

#[test]
fn a_config_needs_a_rule_and_priced_carriers_need_a_currency() {
    assert_eq!(errors("")[0].message, "at least one [[rule]] is needed");
    let text =
        "[[rule]]\nname = \"a\"\n[[carrier]]\nname = \"x\"\ncarrier = \"SF\"\nservice = \"s\"\nfirst_kg = \"1\"\n";
    assert_eq!(places(text), [(4, 8, "carrier[0].currency".into())]);
}
