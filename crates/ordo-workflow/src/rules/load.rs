//! Reading a rules file. Each kind reads its own fields; whatever it did not read is
//! reported as unknown, which is how fields of one kind written on another are caught.

use std::ops::Range;

use ordo_core::{ChannelId, Currency, Money};

use super::text::{MIN_PHONE_DIGITS, digits, parse_offset, parse_time};
use super::{Outcome, PartyList, RULE_KINDS, Rule, RuleKind};
use crate::config::{ConfigErrors, Doc, Fields, Node, Text, Value, list};

/// Longest `minutes` setting: a year. Longer waits are a typo, and the bound keeps the
/// time arithmetic far from overflow.
const MAX_MINUTES: i64 = 366 * 24 * 60;

pub(super) fn load(text: &str, source: &str) -> Result<Vec<Rule>, ConfigErrors> {
    let (mut doc, root) = Doc::parse(text, source)?;
    let mut fields = Fields::new(&root, 0..0, String::new());
    let mut rules = Vec::new();
    // (name, line) of every rule read so far, for duplicate names.
    let mut names: Vec<(String, usize)> = Vec::new();
    match fields.get("rule").map(|node| &node.value) {
        Some(Value::Array(tables)) => {
            for (index, table) in tables.iter().enumerate() {
                let Some((rule, name_span)) = read_rule(&mut doc, table, format!("rule[{index}]")) else {
                    continue;
                };
                if let Some((_, line)) = names.iter().find(|(n, _)| *n == rule.name) {
                    let message = format!("rule name {:?} is already used on line {line}", rule.name);
                    doc.error(&name_span, format!("rule[{index}].name"), "duplicate_name", message);
                    continue;
                }
                names.push((rule.name.clone(), doc.line_column(table.span.start).0));
                rules.push(rule);
            }
        }
        Some(other) => {
            let message = format!("expected [[rule]] tables, found {}", other.kind());
            doc.error(&(0..0), "rule", "invalid_type", message);
        }
        // An empty file is a valid rule set that approves everything.
        None => {}
    }
    fields.finish(&mut doc, "at the top level");
    doc.finish(rules)
}

fn read_rule(doc: &mut Doc<'_>, node: &Node, path: String) -> Option<(Rule, Range<usize>)> {
    let mut fields = Fields::of(doc, node, path)?;
    let name = fields.required_text(doc, "name");
    if let Some(name) = &name
        && name.value.trim().is_empty()
    {
        doc.error(&name.span, name.path.clone(), "invalid_value", "name must not be empty");
    }
    let kind_text = fields.required_text(doc, "kind");
    let enabled = fields.boolean(doc, "enabled").unwrap_or(true);
    let description = fields.text(doc, "description").map(|t| t.value);
    let channels = fields
        .texts(doc, "channels")
        .unwrap_or_default()
        .into_iter()
        .filter_map(|text| {
            ChannelId::parse(text.value.trim())
                .map_err(|message| doc.error(&text.span, text.path.clone(), "invalid_channel", message))
                .ok()
        })
        .collect();
    let outcome_text = fields.text(doc, "outcome");
    let outcome = outcome_text.as_ref().and_then(|text| {
        let parsed = Outcome::parse(text.value.trim());
        if parsed.is_none() {
            let known = list(Outcome::ALL.iter().map(|o| o.as_str()));
            let message = format!("unknown outcome {:?}; known outcomes: {known}", text.value);
            doc.error(&text.span, text.path.clone(), "invalid_value", message);
        }
        parsed
    });
    let Some(kind_text) = kind_text else {
        // Without a kind the valid fields are unknown, so only the common ones are read.
        return None;
    };
    let kind_name = kind_text.value.trim();
    let deferral = matches!(kind_name, "review_window" | "paid_for");
    let outcome = match (deferral, outcome, &outcome_text) {
        (true, None | Some(Outcome::Hold), _) => Some(Outcome::Hold),
        (true, Some(other), Some(text)) => {
            let message = format!("{kind_name} defers the order, so its outcome can only be hold (not {other})");
            doc.error(&text.span, text.path.clone(), "invalid_outcome", message);
            None
        }
        (false, None, None) if RULE_KINDS.iter().any(|k| k.kind == kind_name) => {
            fields.missing(doc, "outcome", " (pass, hold, reject or flag)");
            None
        }
        (_, outcome, _) => outcome,
    };
    let kind = read_kind(doc, &mut fields, &kind_text);
    // Each kind reads all of its fields before giving up on a bad one, so whatever is left
    // is unknown even when a setting was invalid.
    if RULE_KINDS.iter().any(|k| k.kind == kind_name) {
        fields.finish(doc, &format!("for kind {kind_name}"));
    }
    let name = name?;
    let rule = Rule {
        name: name.value.trim().to_owned(),
        kind: kind?,
        outcome: outcome?,
        enabled,
        channels,
        description,
    };
    Some((rule, name.span))
}

fn read_kind(doc: &mut Doc<'_>, fields: &mut Fields<'_>, kind: &Text) -> Option<RuleKind> {
    let kind = match kind.value.trim() {
        "missing_address" => RuleKind::MissingAddress,
        "total_mismatch" => RuleKind::TotalMismatch,
        "unknown_sku" => RuleKind::UnknownSku,
        "bad_phone" => RuleKind::BadPhone,
        "sensitive_words" => RuleKind::SensitiveWords {
            words: required_list(doc, fields, "words")?,
        },
        "remark_present" => RuleKind::RemarkPresent,
        "order_value_above" => RuleKind::OrderValueAbove {
            amount: amount(doc, fields)?,
        },
        "line_price_below" => {
            let amount = amount(doc, fields);
            let skus = strings(fields.texts(doc, "skus").unwrap_or_default());
            RuleKind::LinePriceBelow { amount: amount?, skus }
        }
        "suspected_duplicate" => RuleKind::SuspectedDuplicate,
        "unpaid_too_long" => RuleKind::UnpaidTooLong {
            minutes: minutes(doc, fields)?,
        },
        "blocked" => RuleKind::Blocked(party_list(doc, fields)?),
        "buyer_list" => RuleKind::BuyerList(party_list(doc, fields)?),
        "sku_excluded" => RuleKind::SkuExcluded {
            skus: required_list(doc, fields, "skus")?,
        },
        "review_window" => review_window(doc, fields)?,
        "paid_for" => RuleKind::PaidFor {
            minutes: minutes(doc, fields)?,
        },
        other => {
            let known = list(RULE_KINDS.iter().map(|k| k.kind));
            let message = format!("unknown rule kind {other:?}; known kinds: {known}");
            doc.error(&kind.span, kind.path.clone(), "unknown_kind", message);
            return None;
        }
    };
    Some(kind)
}

fn strings(texts: Vec<Text>) -> Vec<String> {
    texts.into_iter().map(|t| t.value.trim().to_owned()).collect()
}

/// A list that must hold at least one non-blank entry.
fn required_list(doc: &mut Doc<'_>, fields: &mut Fields<'_>, key: &'static str) -> Option<Vec<String>> {
    if !fields.has(key) {
        fields.missing(doc, key, "");
        return None;
    }
    let texts = fields.texts(doc, key)?;
    for text in texts.iter().filter(|t| t.value.trim().is_empty()) {
        doc.error(
            &text.span,
            text.path.clone(),
            "invalid_value",
            "entries must not be empty",
        );
    }
    if texts.is_empty() {
        let span = fields.get(key).map_or(0..0, |n| n.span.clone());
        let message = format!("`{key}` must list at least one entry");
        doc.error(&span, fields.path_of(key), "empty_list", message);
        return None;
    }
    Some(strings(texts))
}

fn amount(doc: &mut Doc<'_>, fields: &mut Fields<'_>) -> Option<Money> {
    let amount = fields.required_text(doc, "amount");
    let currency = fields.required_text(doc, "currency");
    let currency = currency.and_then(|text| {
        Currency::parse(&text.value)
            .map_err(|message| doc.error(&text.span, text.path.clone(), "invalid_currency", message))
            .ok()
    })?;
    let text = amount?;
    match Money::parse(&text.value, currency) {
        Ok(money) if money.minor < 0 => {
            doc.error(
                &text.span,
                text.path.clone(),
                "invalid_amount",
                "the amount must not be negative",
            );
            None
        }
        Ok(money) => Some(money),
        Err(message) => {
            doc.error(&text.span, text.path.clone(), "invalid_amount", message);
            None
        }
    }
}

fn minutes(doc: &mut Doc<'_>, fields: &mut Fields<'_>) -> Option<u32> {
    if !fields.has("minutes") {
        fields.missing(doc, "minutes", "");
        return None;
    }
    let (value, span) = fields.integer(doc, "minutes")?;
    if !(1..=MAX_MINUTES).contains(&value) {
        let message = format!("minutes must be between 1 and {MAX_MINUTES} (got {value})");
        doc.error(&span, fields.path_of("minutes"), "invalid_value", message);
        return None;
    }
    u32::try_from(value).ok()
}

fn party_list(doc: &mut Doc<'_>, fields: &mut Fields<'_>) -> Option<PartyList> {
    let mut read = |key: &'static str| fields.texts(doc, key).unwrap_or_default();
    let (buyers, phones, addresses, names) = (read("buyers"), read("phones"), read("addresses"), read("names"));
    let mut valid = true;
    for text in buyers.iter().chain(&phones).chain(&addresses).chain(&names) {
        if text.value.trim().is_empty() {
            doc.error(
                &text.span,
                text.path.clone(),
                "invalid_value",
                "entries must not be empty",
            );
            valid = false;
        }
    }
    // A short number would match the tail of many unrelated phones.
    for text in &phones {
        if digits(&text.value).len() < MIN_PHONE_DIGITS {
            let message = format!("{:?} has fewer than {MIN_PHONE_DIGITS} digits", text.value);
            doc.error(&text.span, text.path.clone(), "invalid_phone", message);
            valid = false;
        }
    }
    let list = PartyList {
        buyers: strings(buyers),
        phones: strings(phones),
        addresses: strings(addresses),
        names: strings(names),
    };
    if [&list.buyers, &list.phones, &list.addresses, &list.names]
        .iter()
        .all(|l| l.is_empty())
    {
        let message = "list at least one entry in buyers, phones, addresses or names";
        doc.error(fields.span(), fields.path_of("buyers"), "empty_list", message);
        return None;
    }
    valid.then_some(list)
}

fn review_window(doc: &mut Doc<'_>, fields: &mut Fields<'_>) -> Option<RuleKind> {
    let mut time = |doc: &mut Doc<'_>, key: &'static str| {
        let text = fields.required_text(doc, key)?;
        let parsed = parse_time(&text.value);
        if parsed.is_none() {
            let message = format!(
                "{:?} is not a time such as \"09:00\" (use \"00:00\" for midnight)",
                text.value
            );
            doc.error(&text.span, text.path.clone(), "invalid_time", message);
        }
        parsed.map(|t| (t, text))
    };
    let start = time(doc, "start");
    let end = time(doc, "end");
    let offset = fields.required_text(doc, "utc_offset").and_then(|text| {
        let parsed = parse_offset(&text.value);
        if parsed.is_none() {
            let message = format!("{:?} is not a UTC offset such as \"+08:00\"", text.value);
            doc.error(&text.span, text.path.clone(), "invalid_offset", message);
        }
        parsed
    });
    let ((start, _), (end, end_text), utc_offset) = (start?, end?, offset?);
    if start == end {
        let message = "start and end are equal, so the window would be empty; leave the rule out to review at any time";
        doc.error(&end_text.span, end_text.path, "invalid_time", message);
        return None;
    }
    Some(RuleKind::ReviewWindow { start, end, utc_offset })
}
