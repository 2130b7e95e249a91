//! The kinds of policy a tenant keeps, and the check every saved version passes: each
//! kind parses its TOML into what the node runs with, and every problem says where it is
//! (`{kind}:{line}:{column}: {path}: {message}`).

use std::fmt;

use ordo_core::allocation::{ReserveWhen, ShortStock, StockPolicy};
use ordo_mapping::Mapping;
use ordo_routing::RoutingConfig;
use ordo_workflow::{RuleSet, Workflow};
use serde::{Deserialize, Serialize};

use crate::consolidation::ConsolidationConfig;

/// What a tenant can keep its own version of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PolicyKind {
    /// The order workflow (states and transitions).
    Workflow,
    /// The review rules.
    Rules,
    /// Sourcing rules, cost lanes and carrier rules.
    Routing,
    /// Whose orders wait to ship together.
    Consolidation,
    /// When orders reserve stock and what happens when short.
    Inventory,
    /// Where alerts go.
    Alerts,
    /// How after-sale cases move, and the restocking fee.
    AfterSales,
    /// A platform payload mapping, by name (`mapping:shopify.order`).
    Mapping(String),
}

impl PolicyKind {
    /// The kinds every tenant has (mappings are named, so not listed).
    pub const FIXED: [PolicyKind; 7] = [
        Self::Workflow,
        Self::Rules,
        Self::Routing,
        Self::Consolidation,
        Self::Inventory,
        Self::Alerts,
        Self::AfterSales,
    ];

    /// From its name; `None` for an unknown one.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "workflow" => Self::Workflow,
            "rules" => Self::Rules,
            "routing" => Self::Routing,
            "consolidation" => Self::Consolidation,
            "inventory" => Self::Inventory,
            "alerts" => Self::Alerts,
            "aftersales" => Self::AfterSales,
            _ => {
                let mapping = name.strip_prefix("mapping:")?;
                let valid = !mapping.is_empty()
                    && mapping
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
                return valid.then(|| Self::Mapping(mapping.to_owned()));
            }
        })
    }

    /// As stored and in URLs.
    pub fn name(&self) -> String {
        match self {
            Self::Workflow => "workflow".into(),
            Self::Rules => "rules".into(),
            Self::Routing => "routing".into(),
            Self::Consolidation => "consolidation".into(),
            Self::Inventory => "inventory".into(),
            Self::Alerts => "alerts".into(),
            Self::AfterSales => "aftersales".into(),
            Self::Mapping(name) => format!("mapping:{name}"),
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// `[inventory]` as a tenant keeps it: when orders reserve stock, what happens when
/// short, and when unpaid orders give their stock back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InventoryPolicy {
    /// `placed`, `paid` or `never`.
    pub reserve_when: ReserveWhen,
    /// `hold` or `backorder`.
    pub on_short: ShortStock,
    /// Minutes an unpaid order keeps its stock (0: for ever).
    pub unpaid_timeout_minutes: u32,
    /// Days of cover below which a SKU is low.
    pub low_stock_days: u32,
}

impl Default for InventoryPolicy {
    fn default() -> Self {
        Self {
            reserve_when: ReserveWhen::Paid,
            on_short: ShortStock::Hold,
            unpaid_timeout_minutes: 30,
            low_stock_days: 3,
        }
    }
}

impl InventoryPolicy {
    /// The stock rules orders are ingested under.
    pub fn stock(&self) -> StockPolicy {
        StockPolicy {
            reserve_when: self.reserve_when,
            on_short: self.on_short,
        }
    }

    /// How long an unpaid order keeps its stock.
    pub fn unpaid_timeout(&self) -> Option<chrono::Duration> {
        (self.unpaid_timeout_minutes > 0).then(|| chrono::Duration::minutes(i64::from(self.unpaid_timeout_minutes)))
    }
}

/// Where a tenant's alerts (held orders, dead messages, low stock …) are posted.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertPolicy {
    /// Receiver URL; none keeps alerts in the outbox only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// HMAC-SHA256 key for `X-Ordo-Signature`. Saved sealed (`sealed:…`); the clear text
    /// is never stored or shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Attempts before a message is dead (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
}

impl fmt::Debug for AlertPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertPolicy")
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

/// `aftersales` as a tenant keeps it: which case action is allowed from which state
/// (`[[transition]]`, `to` left out where the case decides: approval waits for goods or
/// not, a receipt is partial or whole), and the restocking fee Ordo keeps back when it
/// computes a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AfterSalePolicy {
    /// Per mille of the goods refunded (0 to 1000).
    pub restocking_fee_permille: i64,
    /// The allowed moves.
    pub transition: Vec<ordo_core::aftersale::CaseTransition>,
}

impl Default for AfterSalePolicy {
    fn default() -> Self {
        Self {
            restocking_fee_permille: 0,
            transition: ordo_core::aftersale::CaseFlow::default().transitions,
        }
    }
}

impl AfterSalePolicy {
    /// The case flow in force.
    pub fn flow(&self) -> ordo_core::aftersale::CaseFlow {
        ordo_core::aftersale::CaseFlow {
            transitions: self.transition.clone(),
        }
    }
}

/// A checked policy body: what the node runs with.
#[derive(Debug)]
pub enum Checked {
    /// See [`PolicyKind::Workflow`].
    Workflow(Workflow),
    /// See [`PolicyKind::Rules`].
    Rules(RuleSet),
    /// See [`PolicyKind::Routing`].
    Routing(RoutingConfig),
    /// See [`PolicyKind::Consolidation`].
    Consolidation(ConsolidationConfig),
    /// See [`PolicyKind::Inventory`].
    Inventory(InventoryPolicy),
    /// See [`PolicyKind::Alerts`].
    Alerts(AlertPolicy),
    /// See [`PolicyKind::AfterSales`].
    AfterSales(AfterSalePolicy),
    /// See [`PolicyKind::Mapping`].
    Mapping(Box<Mapping>),
}

/// Parses and checks `text` as a `kind`; every problem as `{kind}:{line}:{column}: …`.
pub fn check(kind: &PolicyKind, text: &str) -> Result<Checked, Vec<String>> {
    let source = kind.name();
    let config_errors = |e: ordo_workflow::ConfigErrors| e.iter().map(ToString::to_string).collect::<Vec<_>>();
    match kind {
        PolicyKind::Workflow => Workflow::from_toml(text, &source)
            .map(Checked::Workflow)
            .map_err(config_errors),
        PolicyKind::Rules => RuleSet::from_toml(text, &source)
            .map(Checked::Rules)
            .map_err(config_errors),
        PolicyKind::Routing => RoutingConfig::from_toml(text, &source)
            .map(Checked::Routing)
            .map_err(|errors| errors.iter().map(ToString::to_string).collect()),
        PolicyKind::Consolidation => plain(text, &source).map(Checked::Consolidation),
        PolicyKind::Inventory => plain(text, &source).map(Checked::Inventory),
        PolicyKind::Alerts => {
            let alerts: AlertPolicy = plain(text, &source)?;
            if let Some(url) = &alerts.url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(vec![at(
                    text,
                    &source,
                    text.find(url.as_str()),
                    "url",
                    "is not an http(s) URL",
                )]);
            }
            Ok(Checked::Alerts(alerts))
        }
        PolicyKind::AfterSales => {
            let policy: AfterSalePolicy = plain(text, &source)?;
            if !(0..=1000).contains(&policy.restocking_fee_permille) {
                let offset = text.find("restocking_fee_permille");
                return Err(vec![at(
                    text,
                    &source,
                    offset,
                    "restocking_fee_permille",
                    "must be 0 to 1000",
                )]);
            }
            if !policy
                .transition
                .iter()
                .any(|t| t.action == ordo_core::aftersale::CaseAction::Approve)
            {
                return Err(vec![at(
                    text,
                    &source,
                    None,
                    "transition",
                    "no transition approves a case",
                )]);
            }
            Ok(Checked::AfterSales(policy))
        }
        PolicyKind::Mapping(name) => {
            let mapping = Mapping::load(&source, text).map_err(|e| vec![e.to_string()])?;
            if &mapping.name != name {
                let message = format!("is {:?}, but this is the mapping {name:?}", mapping.name);
                return Err(vec![at(text, &source, text.find("name"), "name", &message)]);
            }
            Ok(Checked::Mapping(Box::new(mapping)))
        }
    }
}

/// A TOML table read straight into `T`, with the place of the first problem.
fn plain<T: serde::de::DeserializeOwned>(text: &str, source: &str) -> Result<T, Vec<String>> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('\n', "; ");
        vec![at(text, source, e.span().map(|s| s.start), "", &message)]
    })
}

/// `source:line:column: path: message` for a byte offset (1:1 when unknown).
fn at(text: &str, source: &str, offset: Option<usize>, path: &str, message: &str) -> String {
    let mut offset = offset.unwrap_or(0).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..].chars().count() + 1;
    if path.is_empty() {
        format!("{source}:{line}:{column}: {message}")
    } else {
        format!("{source}:{line}:{column}: {path}: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_says_where_it_is() {
        let errors = check(
            &PolicyKind::Inventory,
            "reserve_when = \"paid\"\non_short = \"sometimes\"\n",
        )
        .unwrap_err();
        assert!(errors[0].starts_with("inventory:2:12: "), "{errors:?}");
        let errors = check(&PolicyKind::Rules, "[[rule]]\nname = \"x\"\nkind = \"nonsense\"\n").unwrap_err();
        assert!(errors[0].starts_with("rules:3:"), "{errors:?}");
        let errors = check(&PolicyKind::Alerts, "url = \"ftp://x\"\n").unwrap_err();
        assert_eq!(errors, ["alerts:1:8: url: is not an http(s) URL"]);
        let errors = check(
            &PolicyKind::AfterSales,
            "[[transition]]\naction = \"approve\"\nfrom = [\"requested\", \"shipped\"]\n",
        )
        .unwrap_err();
        assert!(errors[0].starts_with("aftersales:3:"), "{errors:?}");
        let errors = check(&PolicyKind::Consolidation, "window_minutes = 5\nchanels = []\n").unwrap_err();
        assert!(errors[0].starts_with("consolidation:2:1: unknown field"), "{errors:?}");
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in PolicyKind::FIXED
            .into_iter()
            .chain([PolicyKind::Mapping("shopify.order".into())])
        {
            assert_eq!(PolicyKind::parse(&kind.name()), Some(kind));
        }
        assert_eq!(PolicyKind::parse("mapping:"), None);
        assert_eq!(PolicyKind::parse("mapping:../x"), None);
        assert_eq!(PolicyKind::parse("secrets"), None);
    }
}
