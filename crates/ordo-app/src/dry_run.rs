//! What a candidate rule set would do to recent orders, compared with the rules in force,
//! changing nothing: which orders it would hold that now pass, release that are now
//! held, or reject.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use ordo_core::{OrderStatus, TenantId};
use ordo_store::review::records::{ReviewDecision, ReviewFacts, Reviewer};
use ordo_store::{OrderQuery, Store, StoreError};
use ordo_workflow::RuleSet;
use serde::Serialize;

use crate::policies::RulesReviewer;

/// Most orders one dry run looks at; bounds its reads.
pub const MAX_DRY_RUN: u32 = 500;

/// One order whose decision would change.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    /// Ordo's id.
    pub order_id: String,
    /// Channel.
    pub channel: String,
    /// Channel's order number.
    pub external_id: String,
    /// Status now.
    pub status: OrderStatus,
    /// Decision under the rules in force.
    pub current: ReviewDecision,
    /// Decision under the candidate.
    pub candidate: ReviewDecision,
    /// The candidate's matching rules.
    pub hits: serde_json::Value,
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    /// Orders looked at (newest first, paid and not yet released to a warehouse).
    pub orders_checked: usize,
    /// Decisions under the rules in force: approve / hold / reject → count.
    pub current: BTreeMap<&'static str, usize>,
    /// Decisions under the candidate.
    pub candidate: BTreeMap<&'static str, usize>,
    /// Orders the candidate would hold that the current rules pass.
    pub would_hold: Vec<Changed>,
    /// Orders the candidate would let go that the current rules hold.
    pub would_release: Vec<Changed>,
    /// Orders the candidate would reject.
    pub would_reject: Vec<Changed>,
}

fn name(decision: ReviewDecision) -> &'static str {
    match decision {
        ReviewDecision::Approve => "approve",
        ReviewDecision::Hold => "hold",
        ReviewDecision::Reject => "reject",
    }
}

/// Runs both rule sets over the tenant's `limit` newest reviewable orders.
pub async fn dry_run(
    store: &Arc<dyn Store>,
    tenant: &TenantId,
    current: Arc<RuleSet>,
    candidate: RuleSet,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<DryRun, StoreError> {
    let current = RulesReviewer::new(current);
    let candidate = RulesReviewer::new(Arc::new(candidate));
    let mut report = DryRun {
        orders_checked: 0,
        current: BTreeMap::new(),
        candidate: BTreeMap::new(),
        would_hold: Vec::new(),
        would_release: Vec::new(),
        would_reject: Vec::new(),
    };
    let limit = limit.clamp(1, MAX_DRY_RUN);
    for status in [OrderStatus::Paid, OrderStatus::Allocated, OrderStatus::OnHold] {
        let query = OrderQuery {
            status: Some(status),
            limit,
            ..OrderQuery::default()
        };
        for summary in store.search_orders(tenant, &query).await?.items {
            if report.orders_checked >= limit as usize {
                break;
            }
            let Some(record) = store.get_order(tenant, summary.id).await? else {
                continue;
            };
            let matches = store.order_matches(tenant, summary.id, Duration::hours(72)).await?;
            let order = &record.state.order;
            let phone = order.destination().phone.as_deref();
            let facts = ReviewFacts {
                now,
                paid_at: Some(record.created_at),
                unknown_skus: Vec::new(),
                possible_duplicates: matches.possible_duplicates.iter().map(|o| o.id.to_string()).collect(),
                phone_valid: phone.map(|p| ordo_geo::phone::normalise(p, Some(&order.destination().country)).is_ok()),
            };
            let before = current.review(order, &facts);
            let after = candidate.review(order, &facts);
            report.orders_checked += 1;
            *report.current.entry(name(before.decision)).or_default() += 1;
            *report.candidate.entry(name(after.decision)).or_default() += 1;
            if before.decision == after.decision {
                continue;
            }
            let changed = Changed {
                order_id: summary.id.to_string(),
                channel: summary.channel.clone(),
                external_id: summary.external_id.clone(),
                status: summary.status,
                current: before.decision,
                candidate: after.decision,
                hits: after.hits,
            };
            match after.decision {
                ReviewDecision::Reject => report.would_reject.push(changed),
                ReviewDecision::Hold => report.would_hold.push(changed),
                ReviewDecision::Approve => report.would_release.push(changed),
            }
        }
    }
    Ok(report)
}
