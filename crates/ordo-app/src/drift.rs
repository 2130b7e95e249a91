//! Noticing that a platform changed its payloads: each mapping's payloads are compared
//! with the shape seen so far, and a change is recorded (counted, flagged on the order,
//! announced once per field on the feed and to webhook subscribers).
//!
//! The baseline of a mapping starts as the fields it reads plus the first payload's
//! fields, and grows with every payload, so a field is reported the first time it appears
//! and a field the mapping reads is reported every time it is missing. The store keeps
//! the first sighting per field, so several nodes and restarts announce it once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ordo_mapping::{Drift, Mapping, Shape};

/// Baselines by mapping name; cheap to clone.
#[derive(Clone, Default)]
pub struct DriftWatch {
    baselines: Arc<Mutex<HashMap<String, Shape>>>,
}

impl DriftWatch {
    /// Compares a payload with its mapping's baseline and learns its shape.
    pub fn check(&self, mapping: &Mapping, body: &[u8]) -> Drift {
        let Ok(payload) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Drift::default();
        };
        let shape = Shape::of(&payload);
        let mut baselines = self.baselines.lock().expect("drift baselines lock");
        let baseline = baselines.entry(mapping.name.clone()).or_insert_with(|| {
            let mut first = Shape(mapping.read_shape());
            first.merge(&shape);
            first
        });
        let drift = mapping.drift(baseline, &payload);
        baseline.merge(&shape);
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
    fn a_rename_is_reported_once_as_appeared_and_every_time_as_vanished() {
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
        assert!(second.appeared.is_empty());
        assert_eq!(second.vanished, vec!["items[].sku"], "still missing, still reported");
    }
}
