//! Noticing that a platform changed its payloads: each mapping's payloads are compared
//! with the shape seen so far, and a change is recorded (counted, flagged on the order,
//! announced once per field on the feed and to webhook subscribers).
//!
//! The baseline of a tenant's mapping is how often each field was present in its payloads
//! so far (see [`DriftWatch::check`]). It is kept in the store, so a node started after a
//! platform renamed a field still compares with what came before; the store also keeps
//! the first sighting per field, so several nodes and restarts announce it once.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use ordo_core::TenantId;
use ordo_mapping::{Drift, Mapping, Shape};
use ordo_store::Store;
use ordo_store::channels::baselines::PAYLOADS;

/// Longest a node keeps counts it has not written to the store; anything new (the first
/// payload, a field never seen) is written at once.
const SAVE_EVERY: Duration = Duration::from_secs(5);

/// What one tenant's mapping's payloads have looked like so far.
struct Baseline {
    /// Payloads seen.
    payloads: u64,
    /// In how many of them each field was present.
    fields: BTreeMap<String, u64>,
    /// Counts not yet added to the store's.
    unsaved: BTreeMap<String, i64>,
    /// When counts were last written.
    saved_at: Instant,
}

impl Baseline {
    fn from_store(counts: BTreeMap<String, i64>) -> Self {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let payloads = counts.get(PAYLOADS).copied().map_or(0, count);
        Self {
            payloads,
            fields: counts
                .into_iter()
                .filter(|(f, _)| f != PAYLOADS)
                .map(|(f, n)| (f, count(n)))
                .collect(),
            unsaved: BTreeMap::new(),
            saved_at: Instant::now(),
        }
    }
}

/// Baselines by tenant and mapping, over the store's; cheap to clone.
#[derive(Clone)]
pub struct DriftWatch {
    store: Arc<dyn Store>,
    baselines: Arc<Mutex<HashMap<(TenantId, String), Baseline>>>,
}

impl DriftWatch {
    /// Baselines kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            baselines: Arc::default(),
        }
    }

    /// Compares a payload with its tenant's mapping's baseline and learns its shape.
    ///
    /// A field appeared when no earlier payload had it; a field the mapping reads vanished
    /// when every earlier payload had it. Optional fields, present in some payloads only,
    /// are therefore never reported as vanishing, and a field is reported once, not on
    /// every payload after a change. The very first payload only sets the baseline. A
    /// store that cannot be read or written costs the comparison, never the payload.
    pub async fn check(&self, tenant: &TenantId, mapping: &Mapping, body: &[u8]) -> Drift {
        let Ok(payload) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Drift::default();
        };
        let key = (tenant.clone(), mapping.name.clone());
        let known = self.baselines.lock().expect("drift baselines lock").contains_key(&key);
        if !known {
            let counts = match self.store.drift_baseline(tenant, &mapping.name).await {
                Ok(counts) => counts,
                Err(error) => {
                    tracing::warn!(%error, mapping = %mapping.name, "drift baseline not read; payload not compared");
                    return Drift::default();
                }
            };
            let mut baselines = self.baselines.lock().expect("drift baselines lock");
            baselines
                .entry(key.clone())
                .or_insert_with(|| Baseline::from_store(counts));
        }
        let shape = Shape::of(&payload);
        let (drift, save) = {
            let mut baselines = self.baselines.lock().expect("drift baselines lock");
            let baseline = baselines.get_mut(&key).expect("loaded above");
            let (drift, learned) = compare(baseline, mapping, shape);
            let save = (learned || baseline.saved_at.elapsed() >= SAVE_EVERY).then(|| {
                baseline.saved_at = Instant::now();
                std::mem::take(&mut baseline.unsaved)
            });
            (drift, save)
        };
        if let Some(counts) = save
            && let Err(error) = self
                .store
                .add_drift_counts(tenant, &mapping.name, &counts, Utc::now())
                .await
        {
            tracing::warn!(%error, mapping = %mapping.name, "drift baseline not saved; kept for the next payload");
            let mut baselines = self.baselines.lock().expect("drift baselines lock");
            if let Some(baseline) = baselines.get_mut(&key) {
                for (field, n) in counts {
                    *baseline.unsaved.entry(field).or_default() += n;
                }
            }
        }
        for field in &drift.appeared {
            metrics::counter!("ordo_mapping_drift_total", "mapping" => mapping.name.clone(), "change" => "appeared", "field" => field.clone()).increment(1);
        }
        for field in &drift.vanished {
            metrics::counter!("ordo_mapping_drift_total", "mapping" => mapping.name.clone(), "change" => "vanished", "field" => field.clone()).increment(1);
        }
        drift
    }
}

/// The drift of one payload's shape against a baseline, which then learns the shape;
/// also whether the baseline learned something new (its first payload, a new field).
fn compare(baseline: &mut Baseline, mapping: &Mapping, shape: Shape) -> (Drift, bool) {
    let mut drift = Drift::default();
    let first = baseline.payloads == 0;
    if !first {
        drift.appeared = shape
            .0
            .iter()
            .filter(|f| !baseline.fields.contains_key(*f))
            .cloned()
            .collect();
        // Fields every earlier payload had and this one lacks: almost always none, so
        // what the mapping reads is only worked out when there are some.
        let gone: Vec<&String> = baseline
            .fields
            .iter()
            .filter(|(f, n)| **n == baseline.payloads && !shape.0.contains(*f))
            .map(|(f, _)| f)
            .collect();
        if !gone.is_empty() {
            let read = mapping.read_shape();
            drift.vanished = gone.into_iter().filter(|f| read.contains(*f)).cloned().collect();
        }
    }
    baseline.payloads += 1;
    *baseline.unsaved.entry(PAYLOADS.to_owned()).or_default() += 1;
    for field in shape.0 {
        *baseline.unsaved.entry(field.clone()).or_default() += 1;
        *baseline.fields.entry(field).or_default() += 1;
    }
    let learned = first || !drift.appeared.is_empty();
    (drift, learned)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn a_rename_is_reported_once_even_by_a_node_started_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("ordo.db").display());
        let store = ordo_store_sqlite::SqliteStore::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let tenant = TenantId::default_tenant();
        store.ensure_tenant(&tenant, "Default", Utc::now()).await.unwrap();
        let mapping = Mapping::load(
            "m.toml",
            "name = \"m\"\n[fields]\nexternal_id = { path = \"id\" }\n[lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n",
        )
        .unwrap();
        let body = |v: serde_json::Value| serde_json::to_vec(&v).unwrap();
        let before = DriftWatch::new(store.clone());
        let drift = before
            .check(&tenant, &mapping, &body(json!({"id": 1, "items": [{"sku": "A"}]})))
            .await;
        assert!(drift.is_empty(), "the first payload sets the baseline");
        // The node stops; the platform renames a field; another node starts.
        let after = DriftWatch::new(store.clone());
        let renamed = body(json!({"id": 2, "items": [{"seller_sku": "A"}]}));
        let first = after.check(&tenant, &mapping, &renamed).await;
        assert_eq!(first.appeared, vec!["items[].seller_sku"]);
        assert_eq!(first.vanished, vec!["items[].sku"]);
        let second = after.check(&tenant, &mapping, &renamed).await;
        assert!(second.is_empty(), "reported once: {second:?}");
        // Another tenant's baseline is its own: its first payload only sets it.
        let other = TenantId::parse("globex").unwrap();
        store.ensure_tenant(&other, "Globex", Utc::now()).await.unwrap();
        assert!(after.check(&other, &mapping, &renamed).await.is_empty());
    }
}
