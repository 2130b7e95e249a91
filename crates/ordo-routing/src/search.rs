//! The exact search for the plan with the fewest packages, on numbers only: the engine
//! turns a request and one rule's warehouses into a [`Problem`] and the winning
//! [`Allocation`] back into a plan.
//!
//! Warehouse subsets are enumerated by increasing size; the first size with any subset
//! that can cover the order is the minimum number of packages, and every subset of that
//! size is scored to find the best plan. A subset is only extended by a warehouse that
//! adds something still missing (otherwise a smaller subset would work too), and a branch
//! is cut when the slots left, each filled with the best remaining warehouse, could not
//! cover what is missing.

mod greedy;
mod package;
mod score;

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasherDefault;

use crate::config::{CarrierTable, RankKey, Tariff};
use crate::model::Destination;
use greedy::{greedy_cover, per_sku_cover};
pub(crate) use package::{package_attributes, package_dims_mm, package_weight_g};
use score::{Fnv, Score, compare};

/// Work allowed per rule: one unit per search node, plus one per package of every
/// assignment scored and one per warehouse and line when a subset is set up. Measured at
/// about 30 ns a unit on a 2-vCPU server, a rule that uses it all takes about 6 ms. That
/// searches every pair of 50 warehouses, and every triple of 50 when each of three lines
/// is held by a different third of them (about 1 ms); a fourth such line is past it.
/// Past it the plans seen so far are kept (their package count is already the minimum,
/// since every smaller size was searched in full), or a greedy cover when none was seen.
pub const WORK_BUDGET: u64 = 200_000;

/// Assignments of whole lines to a subset's warehouses scored one by one; past it each
/// line goes to the warehouse holding the most of it. 3 lines over 4 warehouses is 64.
const ASSIGNMENTS_PER_SUBSET: usize = 256;

/// A warehouse as the search sees it.
pub(crate) struct Candidate {
    /// Units of each SKU it may ship, at most the demand (0 where a filter says no).
    pub caps: Vec<u32>,
    /// Units of each SKU it holds for this rule, for the stock-balance ranking.
    pub shippable: Vec<u32>,
    pub distance_km: Option<f64>,
    pub priority: i64,
    /// The cost lane's tariff from this warehouse to the destination.
    pub lane: Option<Tariff>,
    /// Position of the warehouse's code among the candidates', the last tie-break.
    pub code_rank: usize,
}

/// One rule's search. Candidates come in search order: the rule's first ranking key
/// first, so that when the budget runs out the plans already seen are the likely best.
pub(crate) struct Problem<'a> {
    pub demand: Vec<u32>,
    pub unit_weight_g: Vec<u32>,
    /// Each SKU's unit size, longest side first.
    pub unit_dims_mm: Vec<Option<[u32; 3]>>,
    pub attributes: Vec<&'a BTreeSet<String>>,
    pub candidates: Vec<Candidate>,
    pub carriers: &'a CarrierTable,
    pub destination: &'a Destination,
    pub rank: &'a [RankKey],
    pub max_packages: usize,
}

/// A scored plan: `alloc[i][sku]` units ship from candidate `warehouses[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Allocation {
    pub warehouses: Vec<usize>,
    pub alloc: Vec<Vec<u32>>,
    score: Score,
}

pub(crate) enum Outcome {
    Found {
        plan: Allocation,
        exhaustive: bool,
    },
    /// Covering the order needs more packages than the rule allows; `exhaustive` is false
    /// when the work budget ran out before that was certain.
    TooManyPackages {
        exhaustive: bool,
    },
    /// Even every candidate together cannot cover the order.
    Short,
}

/// Work counter and carrier memo for one search.
struct Search<'p, 'a> {
    p: &'p Problem<'a>,
    work: u64,
    carrier_memo: HashMap<Vec<u32>, Option<Tariff>, BuildHasherDefault<Fnv>>,
    best: Option<Allocation>,
    scratch: Scratch,
}

/// Buffers reused by every `assign`, which runs once per covering subset: the search
/// should not allocate per subset.
#[derive(Default)]
struct Scratch {
    /// Per SKU, the range of `whole` listing the slots that can ship the line whole;
    /// an empty range means the line is split as in `pieces`.
    ranges: Vec<(usize, usize)>,
    whole: Vec<usize>,
    /// Slot-major (`slot * skus + sku`) units of the lines that must split.
    pieces: Vec<u32>,
    order: Vec<(Reverse<u32>, usize)>,
    alloc: Vec<u32>,
    pick: Vec<usize>,
}

pub(crate) fn solve(p: &Problem<'_>) -> Outcome {
    let total = |s: usize| p.candidates.iter().map(|c| u64::from(c.caps[s])).sum::<u64>();
    if (0..p.demand.len()).any(|s| total(s) < u64::from(p.demand[s])) {
        return Outcome::Short;
    }
    let mut search = Search {
        p,
        work: 0,
        carrier_memo: HashMap::default(),
        best: None,
        scratch: Scratch::default(),
    };
    let greedy = greedy_cover(p);
    let limit = greedy.len().min(p.max_packages);
    let bounds = Bounds::new(p);
    let k = p.demand.len();
    for size in 1..=limit {
        let mut chosen = Vec::with_capacity(size);
        // What is still missing at each depth of the search, level by level.
        let mut levels = vec![0_u32; (size + 1) * k];
        levels[..k].copy_from_slice(&p.demand);
        let finished = search.subsets(0, size, &mut levels, &mut chosen, &bounds);
        if let Some(plan) = search.best.take() {
            return Outcome::Found {
                plan,
                exhaustive: finished,
            };
        }
        if !finished {
            break;
        }
    }
    if search.work <= WORK_BUDGET {
        // Every size up to the limit was searched in full and nothing fitted.
        return Outcome::TooManyPackages { exhaustive: true };
    }
    // Out of budget before any cover was found: the greedy cover, or the per-SKU one when
    // that needs fewer packages, so the fallback is never worse than the baseline.
    let mut fallback: Vec<Allocation> = Vec::new();
    for subset in [greedy, per_sku_cover(p)] {
        if subset.len() <= p.max_packages {
            search.assign(&subset);
            fallback.extend(search.best.take());
        }
    }
    match fallback.into_iter().min_by(|a, b| compare(&a.score, &b.score, p.rank)) {
        Some(plan) => Outcome::Found {
            plan,
            exhaustive: false,
        },
        None => Outcome::TooManyPackages { exhaustive: false },
    }
}

/// The sorted code ranks of a plan's warehouses, compared when all else is equal.
fn code_ranks(p: &Problem<'_>, warehouses: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut ranks: Vec<usize> = warehouses.map(|c| p.candidates[c].code_rank).collect();
    ranks.sort_unstable();
    ranks
}

/// What the candidates from an index on can still add, to cut branches that cannot
/// finish: `per_sku[i][s]` is the most of SKU `s` one candidate from `i` on ships, and
/// `units[i]` the most units of the order one candidate from `i` on ships.
struct Bounds {
    per_sku: Vec<Vec<u32>>,
    units: Vec<u64>,
}

impl Bounds {
    fn new(p: &Problem<'_>) -> Self {
        let n = p.candidates.len();
        let mut per_sku = vec![vec![0_u32; p.demand.len()]; n + 1];
        let mut units = vec![0_u64; n + 1];
        for i in (0..n).rev() {
            let caps = &p.candidates[i].caps;
            for s in 0..p.demand.len() {
                per_sku[i][s] = per_sku[i + 1][s].max(caps[s]);
            }
            units[i] = units[i + 1].max(caps.iter().map(|&c| u64::from(c)).sum());
        }
        Self { per_sku, units }
    }

    /// Whether `slots` candidates from `from` on could possibly cover `unmet`.
    fn reachable(&self, unmet: &[u32], from: usize, slots: usize) -> bool {
        let slots = slots as u64;
        let total: u64 = unmet.iter().map(|&u| u64::from(u)).sum();
        total <= slots * self.units[from]
            && unmet
                .iter()
                .zip(&self.per_sku[from])
                .all(|(&u, &most)| u64::from(u) <= slots * u64::from(most))
    }
}

impl Search<'_, '_> {
    /// Visits every subset of `slots` more candidates from `start` on that covers what is
    /// missing (`levels[..skus]`; the rest is room for deeper levels), scoring each; false
    /// when the work budget ran out first.
    fn subsets(
        &mut self,
        start: usize,
        slots: usize,
        levels: &mut [u32],
        chosen: &mut Vec<usize>,
        bounds: &Bounds,
    ) -> bool {
        let k = self.p.demand.len();
        if levels[..k].iter().all(|&u| u == 0) {
            if slots == 0 {
                let subset = chosen.clone();
                self.assign(&subset);
            }
            return true;
        }
        if slots == 0 {
            return true;
        }
        let candidates = &self.p.candidates;
        let Some(last) = candidates.len().checked_sub(slots) else {
            return true;
        };
        // Only up to `last`: a branch needs `slots` candidates from `c` on.
        for (c, candidate) in candidates.iter().enumerate().take(last + 1).skip(start) {
            self.work += 1;
            if self.work > WORK_BUDGET {
                return false;
            }
            let (unmet, deeper) = levels.split_at_mut(k);
            let caps = &candidate.caps;
            if !caps.iter().zip(unmet.iter()).any(|(&cap, &u)| cap > 0 && u > 0) {
                continue;
            }
            for ((after, &u), &cap) in deeper[..k].iter_mut().zip(unmet.iter()).zip(caps) {
                *after = u.saturating_sub(cap);
            }
            if !bounds.reachable(&deeper[..k], c + 1, slots - 1) {
                continue;
            }
            chosen.push(c);
            let finished = self.subsets(c + 1, slots - 1, deeper, chosen, bounds);
            chosen.pop();
            if !finished {
                return false;
            }
        }
        true
    }

    /// Scores the ways to spread the order over `subset` and keeps the best in `self.best`.
    fn assign(&mut self, subset: &[usize]) {
        let p = self.p;
        let (n, k) = (subset.len(), p.demand.len());
        // Finding each line's options (and sorting for splits) touches every slot and SKU.
        self.work += (n * k) as u64;
        let mut sc = std::mem::take(&mut self.scratch);
        let cap = |slot: usize, s: usize| p.candidates[subset[slot]].caps[s];
        sc.ranges.clear();
        sc.whole.clear();
        sc.pieces.clear();
        sc.pieces.resize(n * k, 0);
        let mut split_lines = 0;
        for (s, &want) in p.demand.iter().enumerate() {
            // The slots that can ship the whole line; a line is split only when none can,
            // filling the fullest warehouses first (then slot order) to keep pieces few.
            let start = sc.whole.len();
            sc.whole.extend((0..n).filter(|&i| cap(i, s) >= want));
            if sc.whole.len() == start {
                split_lines += 1;
                sc.order.clear();
                sc.order.extend((0..n).map(|i| (Reverse(cap(i, s)), i)));
                sc.order.sort_unstable();
                let mut left = want;
                for &(Reverse(units), i) in &sc.order {
                    let take = left.min(units);
                    sc.pieces[i * k + s] = take;
                    left -= take;
                    if left == 0 {
                        break;
                    }
                }
            }
            sc.ranges.push((start, sc.whole.len()));
        }
        let combinations = sc
            .ranges
            .iter()
            .try_fold(1_usize, |acc, &(a, b)| acc.checked_mul((b - a).max(1)));
        if combinations.is_none_or(|c| c > ASSIGNMENTS_PER_SUBSET) {
            // Too many to score: each line to the slot holding the most of it, which is
            // also what the stock-balance ranking prefers.
            for (s, range) in sc.ranges.iter_mut().enumerate() {
                let most =
                    (range.0..range.1).max_by_key(|&at| (p.candidates[subset[sc.whole[at]]].shippable[s], Reverse(at)));
                if let Some(at) = most {
                    *range = (at, at + 1);
                }
            }
        }
        sc.pick.clear();
        sc.pick.resize(k, 0);
        sc.alloc.resize(n * k, 0);
        loop {
            // Scoring costs about one node's work per package.
            self.work += n as u64;
            sc.alloc.copy_from_slice(&sc.pieces);
            for (s, &(a, b)) in sc.ranges.iter().enumerate() {
                if a < b {
                    sc.alloc[sc.whole[a + sc.pick[s]] * k + s] = p.demand[s];
                }
            }
            let packages = || {
                let slots = sc.alloc.chunks(k.max(1)).enumerate();
                slots
                    .filter(|(_, a)| a.iter().any(|&q| q > 0))
                    .map(|(i, a)| (subset[i], a))
            };
            let score = self.score(packages(), split_lines);
            let better = self
                .best
                .as_ref()
                .is_none_or(|b| match compare(&score, &b.score, p.rank) {
                    Ordering::Less => true,
                    Ordering::Equal => {
                        code_ranks(p, packages().map(|(c, _)| c)) < code_ranks(p, b.warehouses.iter().copied())
                    }
                    Ordering::Greater => false,
                });
            if better {
                let warehouses = packages().map(|(c, _)| c).collect();
                let alloc = packages().map(|(_, a)| a.to_vec()).collect();
                self.best = Some(Allocation {
                    warehouses,
                    alloc,
                    score,
                });
            }
            // Next combination, odometer style.
            let next = (0..k).find(|&s| sc.pick[s] + 1 < sc.ranges[s].1 - sc.ranges[s].0);
            let Some(s) = next else { break };
            sc.pick[s] += 1;
            sc.pick[..s].iter_mut().for_each(|o| *o = 0);
        }
        self.scratch = sc;
    }
}
