//! Noticing that a platform changed its payloads: each mapping's payloads are compared
//! with the shape seen so far, and a change is recorded (counted, flagged on the order,
//! announced once per field on the feed and to webhook subscribers).
//!
//! The baseline of a mapping is how often each field was present in its payloads so far
//! (see [`DriftWatch::check`]). The store keeps the first sighting per field, so several
//! nodes and restarts announce it once.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use ordo_mapping::{Drift, Mapping, Shape};

/// What one mapping's payloads have looked like so far.
#[derive(Default)]
struct Baseline {
    /// Payloads seen.
    payloads: u64,
    /// In how many of them each field was present.
    fields: BTreeMap<String, u64>,
}

/// Baselines by mapping name; cheap to clone.
#[derive(Clone, Default)]
pub struct DriftWatch {
    baselines: Arc<Mutex<HashMap<String, Baseline>>>,
}

impl DriftWatch {
    /// Compares a payload with its mapping's baseline and learns its shape.
    ///
    /// A field appeared when no earlier payload had it; a field the mapping reads vanished
    /// when every earlier payload had it. Optional fields, present in some payloads only,
    /// are therefore never reported as vanishing, and a field is reported once, not on
    /// every payload after a change. The first payload a node sees only sets the baseline.
    pub fn check(&self, mapping: &Mapping, body: &[u8]) -> Drift {
        let Ok(payload) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Drift::default();
        };
        let shape = Shape::of(&payload);
        let mut baselines = self.baselines.lock().expect("drift baselines lock");
        let baseline = baselines.entry(mapping.name.clone()).or_default();
        let mut drift = Drift::default();
        if baseline.payloads > 0 {
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
        for field in shape.0 {
            *baseline.fields.entry(field).or_default() += 1;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_rename_is_reported_once_and_optional_fields_never_vanish() {
        let mapping = Mapping::load(
            "m.toml",
            "name = \"m\"\n[fields]\nexternal_id = { path = \"id\" }\n[lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n",
        )
        .unwrap();
        let watch = DriftWatch::default();
        let body = |v: serde_json::Value| serde_json::to_vec(&v).unwrap();
        assert!(
            watch
                .check(&mapping, &body(json!({"id": 1, "items": [{"sku": "A"}]})))
                .is_empty()
        );
        let renamed = body(json!({"id": 2, "items": [{"seller_sku": "A"}]}));
        let first = watch.check(&mapping, &renamed);
        assert_eq!(first.appeared, vec!["items[].seller_sku"]);
        assert_eq!(first.vanished, vec!["items[].sku"]);
        let second = watch.check(&mapping, &renamed);
        assert!(second.is_empty(), "reported once: {second:?}");
    }
}
