//! What a policy change would do before it is saved: for `rules` the dry run over recent
//! orders (`POST /api/v1/rules/dry-run`), for `routing` the what-if
//! (`POST /api/v1/routing/what-if`), for every other kind the diff against the version in
//! force, made as a saved version's diff is made. Nothing is changed.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use ordo_api::routes::review::policies::rules_dry_run_text;
use ordo_api::routes::settings::policies::{kind_of, view};
use ordo_api::routes::stock::routing::what_if_text;
use ordo_app::policies::book::changes;
use ordo_app::policies::kinds::PolicyKind;
use ordo_core::auth::Permission;

use crate::screens::config::{field, refusal};
use crate::screens::form_fields;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Changed orders listed: one screenful.
const ROWS: usize = 50;

/// One order the candidate would treat differently.
pub struct TrialRow {
    /// Ordo's id.
    pub order_id: String,
    /// Channel and order number.
    pub label: String,
    /// Under the policy in force.
    pub before: String,
    /// Under the candidate.
    pub after: String,
}

/// The trial fragment.
#[derive(Template)]
#[template(path = "config_trial.html")]
pub struct Trial {
    c: Chrome,
    /// `(label, in force, candidate)`.
    totals: Vec<(String, String, String)>,
    rows: Vec<TrialRow>,
    more: usize,
    /// For kinds without a replay: the unified diff (empty: no change).
    diff: Option<String>,
}

fn decision(d: impl serde::Serialize) -> String {
    serde_json::to_value(d)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `POST /config/{kind}/trial`: `body`; the report for the candidate text.
pub async fn run(
    State(console): State<Console>,
    signed: Signed,
    Path(name): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let kind = kind_of(&name)?;
    let text = field(&form_fields(&body), "body").unwrap_or_default();
    let tenant = &principal.tenant;
    let mut trial = Trial {
        c: Chrome::new(&console, &signed, "config"),
        totals: Vec::new(),
        rows: Vec::new(),
        more: 0,
        diff: None,
    };
    match kind {
        PolicyKind::Rules => {
            let report = match rules_dry_run_text(&console.app, tenant, &text, None).await {
                Ok(report) => report,
                Err(error) => return Ok(refusal(&console, &signed, &kind, error)),
            };
            let n = report.orders_checked.to_string();
            trial.totals.push(("cfg_orders_checked".into(), n.clone(), n));
            for (outcome, word) in [("approve", "approve"), ("hold", "hold"), ("reject", "cfg_reject")] {
                let count = |m: &std::collections::BTreeMap<&'static str, usize>| {
                    m.get(outcome).copied().unwrap_or(0).to_string()
                };
                trial
                    .totals
                    .push((word.into(), count(&report.current), count(&report.candidate)));
            }
            let changed = report
                .would_hold
                .into_iter()
                .chain(report.would_release)
                .chain(report.would_reject);
            for c in changed {
                trial.rows.push(TrialRow {
                    label: format!("{} · {}", c.channel, c.external_id),
                    order_id: c.order_id,
                    before: decision(c.current),
                    after: decision(c.candidate),
                });
            }
        }
        PolicyKind::Routing => {
            let report = match what_if_text(&console.app, tenant, &text, None, None).await {
                Ok(report) => report,
                Err(error) => return Ok(refusal(&console, &signed, &kind, error)),
            };
            let (a, b) = (&report.what_if.current, &report.what_if.candidate);
            let rows: [(&str, String, String); 7] = [
                ("cfg_orders_checked", a.orders.to_string(), b.orders.to_string()),
                ("cfg_routed", a.routed.to_string(), b.routed.to_string()),
                ("cfg_unroutable", a.unroutable.to_string(), b.unroutable.to_string()),
                ("parcels", a.shipments.to_string(), b.shipments.to_string()),
                ("cfg_split", a.split_orders.to_string(), b.split_orders.to_string()),
                (
                    "cfg_km",
                    format!("{:.1}", a.total_distance_km),
                    format!("{:.1}", b.total_distance_km),
                ),
                (
                    "cfg_cost",
                    a.total_cost_minor.to_string(),
                    b.total_cost_minor.to_string(),
                ),
            ];
            trial.totals = rows.into_iter().map(|(l, x, y)| (l.to_owned(), x, y)).collect();
            let plan = |p: Option<Vec<String>>| p.map_or_else(|| "—".to_owned(), |w| w.join(" + "));
            for c in report.changed {
                trial.rows.push(TrialRow {
                    order_id: c.order_id.to_string(),
                    label: format!("{} · {}", c.channel, c.external_id),
                    before: plan(c.current),
                    after: plan(c.candidate),
                });
            }
        }
        _ => {
            if let Err(errors) = ordo_app::policies::kinds::check(&kind, &text) {
                let error = ordo_api::error::ApiError::InvalidConfig(errors);
                return Ok(refusal(&console, &signed, &kind, error));
            }
            let in_force = view(&console.app, tenant, &kind).await?;
            let before = in_force.body.unwrap_or_default();
            let diff = changes(&kind.name(), in_force.version, &before, &text);
            // A diff of identical texts is its two header lines only.
            trial.diff = Some(if before == text { String::new() } else { diff });
        }
    }
    trial.more = trial.rows.len().saturating_sub(ROWS);
    trial.rows.truncate(ROWS);
    Ok(Page(trial).into_response())
}
