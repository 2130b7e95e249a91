//! How plans compare: the score of an assignment and the order between scores.

use std::cmp::Ordering;
use std::hash::Hasher;

use super::{Search, package_attributes, package_dims_mm, package_weight_g};
use crate::carrier::select_rule;
use crate::config::RankKey;

/// An assignment's measures, each smaller-is-better; `(unknown, total)` pairs put plans
/// with unknown values after fully known ones.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Score {
    pub(super) packages: usize,
    pub(super) split_lines: usize,
    pub(super) cost: (usize, i64),
    pub(super) distance_m: (usize, i64),
    pub(super) priority: i64,
    pub(super) balance: i128,
}

/// FNV-1a: the memo keys are a few small integers, for which SipHash's protection
/// against crafted keys buys nothing and costs a third of the scoring time.
pub(super) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl Search<'_, '_> {
    /// Scores one assignment: its packages as `(candidate, units per SKU)`.
    pub(super) fn score<'s>(
        &mut self,
        packages: impl Iterator<Item = (usize, &'s [u32])>,
        split_lines: usize,
    ) -> Score {
        let p = self.p;
        let (cost, distance_m) = ((0, 0), (0, 0));
        let mut score = Score {
            packages: 0,
            split_lines,
            cost,
            distance_m,
            priority: 0,
            balance: 0,
        };
        for (c, alloc) in packages {
            score.packages += 1;
            let candidate = &p.candidates[c];
            let weight_g = package_weight_g(p, alloc);
            let carrier_tariff = match self.carrier_memo.get(alloc) {
                Some(&t) => t,
                None => {
                    let (dims, attributes) = (package_dims_mm(p, alloc), package_attributes(p, alloc));
                    let t = select_rule(p.carriers, p.destination, weight_g, dims, &attributes).and_then(|r| r.tariff);
                    self.carrier_memo.insert(alloc.to_vec(), t);
                    t
                }
            };
            match carrier_tariff.or(candidate.lane) {
                Some(t) => score.cost.1 = score.cost.1.saturating_add(t.price_minor(weight_g)),
                None => score.cost.0 += 1,
            }
            match candidate.distance_km {
                // Whole metres, so float noise never outranks the next key.
                Some(km) => score.distance_m.1 += (km * 1000.0).round() as i64,
                None => score.distance_m.0 += 1,
            }
            score.priority = score.priority.saturating_add(candidate.priority);
            for (s, &q) in alloc.iter().enumerate() {
                // Taking q of r changes the sum of squares of what remains by q² − 2rq;
                // the demand is the same for every plan, so this ranks evenness.
                let (q, r) = (i128::from(q), i128::from(candidate.shippable[s]));
                score.balance += q * q - 2 * r * q;
            }
        }
        score
    }
}

/// Orders two scores: packages, split lines, then the rule's ranking keys.
pub(super) fn compare(a: &Score, b: &Score, rank: &[RankKey]) -> Ordering {
    let by_key = |key: &RankKey| match key {
        RankKey::Cost => a.cost.cmp(&b.cost),
        RankKey::Distance => a.distance_m.cmp(&b.distance_m),
        RankKey::Priority => a.priority.cmp(&b.priority),
        RankKey::StockBalance => a.balance.cmp(&b.balance),
    };
    a.packages
        .cmp(&b.packages)
        .then(a.split_lines.cmp(&b.split_lines))
        .then_with(|| rank.iter().map(by_key).find(|o| o.is_ne()).unwrap_or(Ordering::Equal))
}
