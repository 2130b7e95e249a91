//! Scoring repair on a corpus: exact repairs, wrong repairs, and what was left for review.

use std::collections::BTreeMap;

use ordo_core::input::OrderInput;
use serde::Serialize;
use serde_json::Value;

use super::Case;
use crate::repair::{RepairOptions, repair};

/// How repair did on a corpus.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Score {
    /// Cases scored.
    pub total: usize,
    /// Cases that can be restored exactly.
    pub repairable: usize,
    /// Repairable cases whose repaired order equals the clean one field for field.
    pub repaired_exactly: usize,
    /// Cases where repair changed a field to something other than the clean value, or
    /// changed a field an unrepairable breakage had touched.
    pub wrong_repairs: usize,
    /// Cases for which repair reported at least one unresolved item.
    pub left_for_review: usize,
    /// Unrepairable cases that repair did not report (silently left broken).
    pub unrepairable_unreported: usize,
    /// Per breakage kind: (cases with it, cases handled). A repairable case is handled when
    /// repaired exactly; an unrepairable one when reported and not changed wrongly.
    pub by_kind: BTreeMap<&'static str, (usize, usize)>,
}

impl Score {
    /// Exact repairs over repairable cases; 1.0 for a corpus with none.
    pub fn repair_rate(&self) -> f64 {
        if self.repairable == 0 {
            1.0
        } else {
            self.repaired_exactly as f64 / self.repairable as f64
        }
    }
}

/// Every field of an order as a JSON path (`shipping_address.city`, `lines[0].sku`) and
/// its value; absent and null fields are left out, so the two compare equal.
pub(crate) fn fields(order: &OrderInput) -> BTreeMap<String, Value> {
    fn walk(path: String, value: Value, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Null => {}
            Value::Object(map) => {
                for (key, v) in map {
                    let child = if path.is_empty() { key } else { format!("{path}.{key}") };
                    walk(child, v, out);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.into_iter().enumerate() {
                    walk(format!("{path}[{i}]"), v, out);
                }
            }
            leaf => {
                out.insert(path, leaf);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        String::new(),
        serde_json::to_value(order).unwrap_or(Value::Null),
        &mut out,
    );
    out
}

/// How one case went.
pub(crate) struct Verdict {
    pub exact: bool,
    pub wrong_fields: Vec<String>,
    pub reported: bool,
}

pub(crate) fn judge(case: &Case, options: &RepairOptions) -> Verdict {
    let outcome = repair(&case.broken, options);
    let (clean, broken, repaired) = (fields(&case.clean), fields(&case.broken), fields(&outcome.input));
    let paths: std::collections::BTreeSet<&String> = clean.keys().chain(broken.keys()).chain(repaired.keys()).collect();
    let wrong_fields = paths
        .into_iter()
        .filter(|path| {
            let changed = repaired.get(*path) != broken.get(*path);
            let differs_from_clean = repaired.get(*path) != clean.get(*path);
            let was_broken = broken.get(*path) != clean.get(*path);
            changed && (differs_from_clean || (!case.repairable && was_broken))
        })
        .cloned()
        .collect();
    Verdict {
        exact: outcome.input == case.clean,
        wrong_fields,
        reported: !outcome.unresolved.is_empty(),
    }
}

/// Repairs every case's broken order with `options` and scores the result.
pub fn score(cases: &[Case], options: &RepairOptions) -> Score {
    let mut s = Score {
        total: cases.len(),
        ..Score::default()
    };
    for case in cases {
        let v = judge(case, options);
        let wrong = !v.wrong_fields.is_empty();
        s.repairable += usize::from(case.repairable);
        s.repaired_exactly += usize::from(case.repairable && v.exact);
        s.wrong_repairs += usize::from(wrong);
        s.left_for_review += usize::from(v.reported);
        s.unrepairable_unreported += usize::from(!case.repairable && !v.reported);
        let handled = if case.repairable { v.exact } else { v.reported && !wrong };
        for kind in std::iter::once(case.kind).chain(case.also) {
            let entry = s.by_kind.entry(kind).or_default();
            entry.0 += 1;
            entry.1 += usize::from(handled);
        }
    }
    s
}
