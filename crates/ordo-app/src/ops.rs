//! Operations gauges, refreshed every few seconds from the store (so every node of a
//! fleet shows the same figures; dashboards and alert rules in `deploy/` take the
//! highest across nodes):
//!
//! - `ordo_outbox_messages{tenant,topic,status}` and `ordo_outbox_oldest_pending_seconds`;
//! - `ordo_exceptions_open{tenant}` and `ordo_exceptions_oldest_seconds{tenant}`;
//! - `ordo_inbox_failed{tenant}`;
//! - `ordo_store_up` and `ordo_store_round_trip_seconds`;
//! - `ordo_leases_held{node,kind}`: live leases by holder and kind (`poll`, `sweeper`).
//!
//! And the one operations action on the outbox: putting a dead message back in the queue
//! once its receiver is fixed ([`retry_dead`]), for the API and the console alike.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ordo_store::{Store, StoreResult};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Label sets set last round, so a figure that went to nothing is set to 0, not left.
#[derive(Default)]
struct Seen(BTreeSet<(&'static str, Vec<(&'static str, String)>)>);

impl Seen {
    fn set(&mut self, now: &mut Self, name: &'static str, labels: Vec<(&'static str, String)>, value: f64) {
        let owned: Vec<(String, String)> = labels.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        metrics::gauge!(name, &owned).set(value);
        self.0.remove(&(name, labels.clone()));
        now.0.insert((name, labels));
    }

    fn zero_rest(&self) {
        for (name, labels) in &self.0 {
            let owned: Vec<(String, String)> = labels.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
            metrics::gauge!(*name, &owned).set(0.0);
        }
    }
}

/// Reads every figure once and sets the gauges.
async fn refresh(store: &dyn Store, last: &mut Seen) -> StoreResult<()> {
    let mut now_seen = Seen::default();
    let started = Instant::now();
    let up = store.ping().await.is_ok();
    metrics::gauge!("ordo_store_up").set(if up { 1.0 } else { 0.0 });
    metrics::gauge!("ordo_store_round_trip_seconds").set(started.elapsed().as_secs_f64());
    if !up {
        return Ok(());
    }
    let now = Utc::now();
    let age = |t: Option<chrono::DateTime<Utc>>| t.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
    for f in store.outbox_figures().await? {
        let labels = vec![("tenant", f.tenant.clone()), ("topic", f.topic.clone())];
        let mut with_status = labels.clone();
        with_status.push(("status", f.status.clone()));
        last.set(&mut now_seen, "ordo_outbox_messages", with_status, f.count as f64);
        if f.status == "pending" {
            last.set(
                &mut now_seen,
                "ordo_outbox_oldest_pending_seconds",
                labels,
                age(f.oldest),
            );
        }
    }
    for f in store.exception_figures().await? {
        let labels = vec![("tenant", f.tenant.clone())];
        last.set(&mut now_seen, "ordo_exceptions_open", labels.clone(), f.count as f64);
        last.set(&mut now_seen, "ordo_exceptions_oldest_seconds", labels, age(f.oldest));
    }
    for f in store.inbox_figures().await? {
        last.set(
            &mut now_seen,
            "ordo_inbox_failed",
            vec![("tenant", f.tenant.clone())],
            f.count as f64,
        );
    }
    let mut held: BTreeMap<(String, String), u32> = BTreeMap::new();
    for lease in store.list_leases().await?.into_iter().filter(|l| l.expires_at > now) {
        let kind = lease.name.split(':').next().unwrap_or_default().to_owned();
        *held.entry((lease.holder, kind)).or_default() += 1;
    }
    for ((node, kind), n) in held {
        last.set(
            &mut now_seen,
            "ordo_leases_held",
            vec![("node", node), ("kind", kind)],
            f64::from(n),
        );
    }
    last.zero_rest();
    *last = now_seen;
    Ok(())
}

/// Refreshes the gauges every `every` until `stop`.
pub fn spawn_gauges(store: Arc<dyn Store>, every: Duration, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = Seen::default();
        loop {
            if let Err(error) = refresh(store.as_ref(), &mut last).await {
                tracing::warn!(%error, "refreshing the operations gauges failed");
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    })
}

/// Puts a tenant's dead outbox message back in the queue, due now, with the whole retry
/// schedule ahead of it; whichever worker delivers its topic picks it up on its next round.
/// False when the tenant has no dead message with that id.
pub async fn retry_dead(
    store: &dyn Store,
    tenant: &ordo_core::TenantId,
    id: uuid::Uuid,
    actor: &str,
) -> StoreResult<bool> {
    let retried = store.retry_dead(tenant, id, Utc::now()).await?;
    if retried {
        tracing::info!(tenant = %tenant, %id, actor, "dead outbox message queued again");
        metrics::counter!("ordo_outbox_retried_total").increment(1);
    }
    Ok(retried)
}
