//! Review rules: the automatic review (审单) an order goes through before fulfilment.
//!
//! A [`RuleSet`] is an ordered list of rules loaded from TOML (see `config/rules.toml` for
//! the default and [`RuleSet::from_toml`] for the format). Each rule has a kind (what it
//! looks at) and an outcome (`pass`, `hold`, `reject` or `flag`); [`RuleSet::evaluate`]
//! runs them in order and returns a [`Verdict`] that says which matched and why, with a
//! suggested fix for a person where there is one.

mod check;
mod kinds;
mod load;
mod text;

use chrono::{DateTime, Utc};
use ordo_core::{ChannelId, Order};
use serde::Serialize;

pub use kinds::{PartyList, RULE_KINDS, RuleKind, RuleKindInfo};

use crate::config::ConfigErrors;

/// The rules shipped with Ordo.
pub const DEFAULT_RULES_TOML: &str = include_str!("../../config/rules.toml");

wire_enum!(
    /// What a matching rule does.
    Outcome {
        /// Approve at once and stop, unless an earlier rule already held the order.
        Pass = "pass",
        /// Hold for a person (or, for deferral kinds, until a time); keep evaluating.
        Hold = "hold",
        /// Reject and stop.
        Reject = "reject",
        /// Tag the order and keep evaluating; does not change the decision.
        Flag = "flag",
    }
);

wire_enum!(
    /// The result of a review.
    Decision {
        /// The order may go on to allocation.
        Approve = "approve",
        /// The order waits for a person, or until `release_at`.
        Hold = "hold",
        /// The order should not be fulfilled.
        Reject = "reject",
    }
);

/// Facts about an order that only the caller can know, and the current time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleContext {
    /// Now.
    pub now: DateTime<Utc>,
    /// When the order was paid, if known. Without it, a paid order counts as paid when
    /// placed, which is how most channels behave.
    pub paid_at: Option<DateTime<Utc>>,
    /// SKUs of the order that the catalogue does not know.
    pub unknown_skus: Vec<String>,
    /// References of other orders that look like this one.
    pub possible_duplicates: Vec<String>,
    /// Whether the recipient's (or buyer's) phone passed the caller's check; `None` when
    /// not checked, which never fires `bad_phone`.
    pub phone_valid: Option<bool>,
}

impl RuleContext {
    /// A context at `now` with nothing unusual known.
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            now,
            paid_at: None,
            unknown_skus: Vec::new(),
            possible_duplicates: Vec::new(),
            phone_valid: None,
        }
    }
}

/// One configured rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique name; what hits and flags are called.
    pub name: String,
    /// What it checks.
    pub kind: RuleKind,
    /// What it does when it matches. Always `hold` for deferral kinds.
    pub outcome: Outcome,
    /// Disabled rules are kept (and checked) but skipped.
    pub enabled: bool,
    /// The channels it applies to; empty means all.
    pub channels: Vec<ChannelId>,
    /// What it is for, for people.
    pub description: Option<String>,
}

/// One rule that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The rule's name.
    pub rule: String,
    /// The rule's kind.
    pub kind: &'static str,
    /// The rule's outcome.
    pub outcome: Outcome,
    /// Stable code of what was found, e.g. `remark_present`, `blocked_phone`.
    pub code: &'static str,
    /// What was found, for people.
    pub message: String,
    /// The order field it is about, e.g. `remark` or `lines[2].unit_price`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What a person could do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// For deferrals: when the hold ends by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
}

/// The result of evaluating a rule set against one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// What happens to the order.
    pub decision: Decision,
    /// Every rule that matched, in evaluation order.
    pub hits: Vec<Hit>,
    /// Names of matching `flag` rules.
    pub flags: Vec<String>,
    /// When every hold is a deferral: the time the last one ends, after which the order
    /// can be reviewed again without a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_at: Option<DateTime<Utc>>,
}

impl Verdict {
    /// The JSON stored as the data of a review event.
    pub fn to_json(&self) -> serde_json::Value {
        // Every field serialises to plain JSON, so this cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// An ordered, checked list of review rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// Loads and checks rules, reporting every problem with its location in `source`.
    ///
    /// ```toml
    /// [[rule]]
    /// name = "high-value"              # unique
    /// kind = "order_value_above"       # see RULE_KINDS
    /// amount = "5000.00"               # the kind's own fields
    /// currency = "CNY"
    /// outcome = "hold"                 # pass | hold | reject | flag (deferrals: hold)
    /// enabled = true                   # default true
    /// channels = ["taobao", "jd"]      # default: every channel
    /// description = "Big orders are checked by a person."
    /// ```
    ///
    /// Fields that the kind does not have are errors, so a misspelt setting is never
    /// silently ignored.
    pub fn from_toml(text: &str, source: &str) -> Result<RuleSet, ConfigErrors> {
        load::load(text, source).map(|rules| RuleSet { rules })
    }

    /// The rules shipped with Ordo (`config/rules.toml`).
    pub fn default_rules() -> RuleSet {
        match Self::from_toml(DEFAULT_RULES_TOML, "rules.toml") {
            Ok(rules) => rules,
            // A test loads the embedded file, so this cannot happen in a released build.
            Err(errors) => panic!("the embedded default rules are invalid:\n{errors}"),
        }
    }

    /// Every rule kind with a one-line description.
    pub fn rule_kinds() -> &'static [RuleKindInfo] {
        RULE_KINDS
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Runs the rules in order against an order.
    ///
    /// A matching `pass` stops evaluation; it approves unless a `hold` matched before it.
    /// A matching `reject` stops evaluation and rejects. `hold` and `flag` accumulate.
    /// Disabled rules and rules for other channels are skipped.
    pub fn evaluate(&self, order: &Order, ctx: &RuleContext) -> Verdict {
        let mut hits = Vec::new();
        let mut flags = Vec::new();
        let mut rejected = false;
        for rule in &self.rules {
            if !rule.enabled || !(rule.channels.is_empty() || rule.channels.contains(&order.channel)) {
                continue;
            }
            let Some(finding) = check::check(&rule.kind, order, ctx) else {
                continue;
            };
            hits.push(Hit {
                rule: rule.name.clone(),
                kind: rule.kind.name(),
                outcome: rule.outcome,
                code: finding.code,
                message: finding.message,
                field: finding.field,
                suggestion: finding.suggestion,
                until: finding.until,
            });
            match rule.outcome {
                Outcome::Pass => break,
                Outcome::Reject => {
                    rejected = true;
                    break;
                }
                Outcome::Hold => {}
                Outcome::Flag => flags.push(rule.name.clone()),
            }
        }
        // No warehouse can ship without a destination, so an order that ships with none is
        // held whatever the rules say (a `pass` above, or no `missing_address` rule).
        let held_for_address = hits
            .iter()
            .any(|h| h.kind == RuleKind::MissingAddress.name() && h.outcome == Outcome::Hold);
        let unusable = order
            .shipping_address
            .as_ref()
            .is_none_or(|a| a.line1.trim().is_empty() || a.country.is_empty());
        if !rejected
            && !held_for_address
            && unusable
            && let Some(finding) = check::missing_address(order)
        {
            hits.push(Hit {
                rule: "address-required".to_owned(),
                kind: RuleKind::MissingAddress.name(),
                outcome: Outcome::Hold,
                code: finding.code,
                message: finding.message,
                field: finding.field,
                suggestion: finding.suggestion,
                until: None,
            });
        }
        let holds: Vec<&Hit> = hits.iter().filter(|h| h.outcome == Outcome::Hold).collect();
        let decision = match (rejected, holds.is_empty()) {
            (true, _) => Decision::Reject,
            (false, false) => Decision::Hold,
            (false, true) => Decision::Approve,
        };
        let release_at = match decision {
            Decision::Hold if holds.iter().all(|h| h.until.is_some()) => holds.iter().filter_map(|h| h.until).max(),
            _ => None,
        };
        Verdict {
            decision,
            hits,
            flags,
            release_at,
        }
    }
}

#[cfg(test)]
mod tests_config;
#[cfg(test)]
mod tests_kinds;
#[cfg(test)]
mod tests_semantics;
