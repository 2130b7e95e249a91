//! A seeded corpus of broken orders, and the score of [`repair`](crate::repair()) on it.
//!
//! [`generate`] starts from realistic valid orders (Chinese addresses drawn from the
//! embedded region table, and real addresses in the US, UK, Germany, Canada and Japan with
//! their correct postal codes) and breaks each in one or two of the ways marketplace feeds
//! do. About one case in ten is broken beyond repair on purpose (an ambiguous district
//! without its city, a truncated phone number, a missing street …): for those the right
//! answer is to change nothing and report. [`score`] measures exact repairs and, above
//! all, wrong ones. The same seed always gives the same corpus.

mod breaks;
mod orders;
mod samples;
mod score;
mod unrepairable;

use ordo_core::input::OrderInput;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use breaks::{Breakage, CONFLICTS, REPAIRABLE};
use orders::{CN_PLACES, Market};
use unrepairable::UNREPAIRABLE;

pub use score::{Score, score};

/// One in this many cases is broken beyond repair.
const UNREPAIRABLE_ONE_IN: u32 = 10;

/// One broken order and the clean order it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The (first) breakage applied, e.g. `address_in_line1` or `truncated_phone`.
    pub kind: &'static str,
    /// A second breakage applied on top, if any.
    pub also: Option<&'static str>,
    /// The valid order.
    pub clean: OrderInput,
    /// The same order as a channel delivered it.
    pub broken: OrderInput,
    /// Whether the broken order still holds everything needed to restore `clean`.
    pub repairable: bool,
}

/// `count` cases from `seed`.
pub fn generate(seed: u64, count: usize) -> Vec<Case> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count).map(|index| one_case(&mut rng, index)).collect()
}

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for item in items {
        if roll < weight(item) {
            return item;
        }
        roll -= weight(item);
    }
    &items[items.len() - 1]
}

fn one_case(rng: &mut StdRng, index: usize) -> Case {
    if rng.random_range(0..UNREPAIRABLE_ONE_IN) == 0 {
        // Bounded: every builder succeeds on almost every draw.
        for _ in 0..16 {
            let kind = weighted(rng, UNREPAIRABLE, |u| u.weight);
            if let Some((clean, broken)) = (kind.build)(rng, index) {
                return Case {
                    kind: kind.name,
                    also: None,
                    clean,
                    broken,
                    repairable: false,
                };
            }
        }
    }
    repairable_case(rng, index)
}

fn clashes(a: &str, b: &str) -> bool {
    a == b
        || CONFLICTS
            .iter()
            .any(|(x, y)| (*x == a && *y == b) || (*y == a && *x == b))
}

fn market(rng: &mut StdRng) -> Market {
    // Weighted as a cross-border seller in China sees its orders.
    const MARKETS: &[(Market, u32)] = &[
        (Market::Cn, 60),
        (Market::Us, 12),
        (Market::Gb, 8),
        (Market::De, 8),
        (Market::Ca, 6),
        (Market::Jp, 6),
    ];
    weighted(rng, MARKETS, |(_, w)| *w).0
}

fn repairable_case(rng: &mut StdRng, index: usize) -> Case {
    let market = market(rng);
    let clean = match market {
        Market::Cn => {
            let all = &CN_PLACES.all;
            let place = all[rng.random_range(0..all.len())];
            orders::cn_order(rng, index, place)
        }
        other => orders::abroad_order(rng, index, other),
    };
    let wanted = if rng.random_bool(0.3) { 2 } else { 1 };
    let fitting: Vec<&Breakage> = REPAIRABLE
        .iter()
        .filter(|b| b.markets.is_empty() || b.markets.contains(&market))
        .collect();
    let mut broken = clean.clone();
    let mut applied: Vec<&'static str> = Vec::new();
    // Bounded: a draw fails only when the order lacks what the breakage needs (mojibake
    // needs non-ASCII text), so a few draws always succeed.
    for _ in 0..16 {
        let mut chosen: Vec<&Breakage> = Vec::new();
        for _ in 0..8 {
            if chosen.len() == wanted {
                break;
            }
            let candidate = *weighted(rng, &fitting, |b| b.weight);
            if !chosen.iter().any(|c| clashes(c.name, candidate.name)) {
                chosen.push(candidate);
            }
        }
        chosen.sort_by_key(|b| b.stage);
        broken = clean.clone();
        applied.clear();
        for breakage in chosen {
            if (breakage.apply)(rng, market, &mut broken) {
                applied.push(breakage.name);
            }
        }
        if !applied.is_empty() {
            break;
        }
    }
    Case {
        kind: applied.first().copied().unwrap_or("none"),
        also: applied.get(1).copied(),
        clean,
        broken,
        repairable: true,
    }
}

#[cfg(test)]
mod tests;
