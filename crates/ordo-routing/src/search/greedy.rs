//! Greedy covers: the search's upper bound, and its fallback when the exact search runs
//! out of budget.

use std::collections::BTreeSet;

use super::{Candidate, Problem};

/// Greedy set cover: take the warehouse that completes the most lines, then covers the
/// most units, until the order is covered. Ties go to the earlier candidate (search order).
pub(super) fn greedy_cover(p: &Problem<'_>) -> Vec<usize> {
    let mut unmet = p.demand.clone();
    let mut chosen = Vec::new();
    while unmet.iter().any(|&u| u > 0) {
        let gain = |c: &Candidate| {
            let completed = c.caps.iter().zip(&unmet).filter(|(cap, u)| **u > 0 && cap >= u).count();
            let units: u64 = c.caps.iter().zip(&unmet).map(|(&cap, &u)| u64::from(cap.min(u))).sum();
            (completed, units)
        };
        let Some((best, gained)) = (0..p.candidates.len())
            .filter(|c| !chosen.contains(c))
            .map(|c| (c, gain(&p.candidates[c])))
            .max_by(|(a, ga), (b, gb)| ga.cmp(gb).then(b.cmp(a)))
        else {
            break;
        };
        if gained.1 == 0 {
            break;
        }
        chosen.push(best);
        unmet
            .iter_mut()
            .zip(&p.candidates[best].caps)
            .for_each(|(u, &cap)| *u = u.saturating_sub(cap));
    }
    chosen.sort_unstable();
    chosen
}

/// The per-SKU cover of the baseline: each line from warehouses by priority until met.
pub(super) fn per_sku_cover(p: &Problem<'_>) -> Vec<usize> {
    let mut by_priority: Vec<usize> = (0..p.candidates.len()).collect();
    by_priority.sort_by_key(|&c| p.candidates[c].priority);
    let mut chosen = BTreeSet::new();
    for (s, &want) in p.demand.iter().enumerate() {
        let mut left = want;
        for &c in by_priority.iter().filter(|&&c| p.candidates[c].caps[s] > 0) {
            if left == 0 {
                break;
            }
            left = left.saturating_sub(p.candidates[c].caps[s]);
            chosen.insert(c);
        }
    }
    chosen.into_iter().collect()
}
