//! Making province, city and district agree, or saying why they cannot.
//!
//! A buyer picks the province from one drop-down and types the city; channels map fields
//! loosely. [`reconcile`] accepts full or short names, fills levels the others imply, and
//! corrects the province when the city (or district) identifies one place. It never picks
//! between two places: 朝阳区 without a city is in Beijing or Changchun, and that is reported.

use super::parse::complete;
use super::regions::{self, CnLevel, Region};
use crate::text;

/// One place a set of names could mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Province-level region.
    pub province: &'static str,
    /// City, when the names reach that level.
    pub city: Option<&'static str>,
    /// District, when one was named.
    pub district: Option<&'static str>,
}

/// What [`reconcile`] concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Nothing was named.
    Empty,
    /// The names describe one place; short names were expanded and implied levels filled.
    Consistent,
    /// The province did not contain the city (or district), which identifies one place;
    /// the province was replaced by the right one.
    ProvinceCorrected,
    /// The names fit several places; nothing was chosen.
    Ambiguous(Vec<Place>),
    /// City and district contradict each other; these are the places each points to.
    Conflicting(Vec<Place>),
    /// A name matches no region at its level.
    Unrecognised(CnLevel),
}

/// The outcome of [`reconcile`]: full names where they are certain, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// Province, full name.
    pub province: Option<&'static str>,
    /// City, full name.
    pub city: Option<&'static str>,
    /// District, full name.
    pub district: Option<&'static str>,
    /// How the names fit together.
    pub status: Status,
}

type Chain = [Option<&'static Region>; 3];

/// Reconciles a province, city and district as written (full, short or colloquial names,
/// any may be missing). See [`Status`] for the possible outcomes; on `Ambiguous`,
/// `Conflicting` and `Unrecognised` the fields hold only what every candidate shares.
pub fn reconcile(province: Option<&str>, city: Option<&str>, district: Option<&str>) -> Reconciled {
    let names = [province, city, district].map(|n| n.map(|n| text::clean(n).into_owned()).filter(|n| !n.is_empty()));
    let mut candidates: [Option<Vec<&'static Region>>; 3] = [None, None, None];
    for (slot, level) in [CnLevel::Province, CnLevel::City, CnLevel::District]
        .into_iter()
        .enumerate()
    {
        let Some(name) = &names[slot] else { continue };
        let mut found = regions::find(name, level);
        if found.is_empty() && level == CnLevel::City {
            found = municipality_city(name, candidates[0].as_deref());
        }
        if found.is_empty() {
            return outcome(&[], Status::Unrecognised(level));
        }
        candidates[slot] = Some(found);
    }
    let Some(deepest) = candidates.iter().rposition(Option::is_some) else {
        return outcome(&[], Status::Empty);
    };
    let all_chains = |slot: usize| -> Vec<Chain> {
        candidates[slot]
            .iter()
            .flatten()
            .map(|r| complete(chain_of(r)))
            .collect()
    };
    let fits = |chain: &Chain, slots: &[usize]| {
        slots.iter().all(|&s| {
            candidates[s]
                .as_ref()
                .is_none_or(|c| chain[s].is_some_and(|r| c.iter().any(|x| x.code == r.code)))
        })
    };

    let chains = all_chains(deepest);
    let every: Vec<Chain> = chains.iter().filter(|c| fits(c, &[0, 1, 2])).copied().collect();
    match every.len() {
        1 => return outcome(&every, Status::Consistent),
        n if n > 1 => return outcome(&every, Status::Ambiguous(places(&every))),
        _ => {}
    }
    // No place fits every name. Trust the more specific names over the province.
    let without_province: Vec<Chain> = chains.iter().filter(|c| fits(c, &[1, 2])).copied().collect();
    match without_province.len() {
        1 => outcome(&without_province, Status::ProvinceCorrected),
        n if n > 1 => outcome(&without_province, Status::Ambiguous(places(&without_province))),
        _ => {
            // City and district disagree: list where each of them points.
            let mut pointed: Vec<Chain> = all_chains(1).into_iter().filter(|c| fits(c, &[0])).collect();
            pointed.extend(all_chains(2).into_iter().filter(|c| fits(c, &[0])));
            if pointed.is_empty() {
                pointed = all_chains(1).into_iter().chain(all_chains(2)).collect();
            }
            outcome(&[], Status::Conflicting(places(&pointed)))
        }
    }
}

/// "市辖区" and "县" are what old exports put in the city field of a municipality.
fn municipality_city(name: &str, provinces: Option<&[&'static Region]>) -> Vec<&'static Region> {
    match (name, provinces) {
        ("市辖区" | "县", Some([province])) if province.is_municipality() => province.children().collect(),
        _ => Vec::new(),
    }
}

fn chain_of(region: &'static Region) -> Chain {
    let mut chain = [None; 3];
    chain[region.level.index()] = Some(region);
    chain
}

fn places(chains: &[Chain]) -> Vec<Place> {
    let mut places: Vec<(u32, Place)> = chains
        .iter()
        .filter_map(|c| {
            let deepest = c.iter().rev().flatten().next()?;
            Some((
                deepest.code,
                Place {
                    province: c[0]?.name,
                    city: c[1].map(|r| r.name),
                    district: c[2].map(|r| r.name),
                },
            ))
        })
        .collect();
    places.sort_by_key(|(code, _)| *code);
    places.dedup();
    places.into_iter().map(|(_, p)| p).collect()
}

/// Fields shared by every chain (so a unique chain gives all of them).
fn outcome(chains: &[Chain], status: Status) -> Reconciled {
    let shared = |slot: usize| -> Option<&'static str> {
        let first = chains.first()?[slot]?.name;
        chains
            .iter()
            .all(|c| c[slot].is_some_and(|r| r.name == first))
            .then_some(first)
    };
    Reconciled {
        province: shared(0),
        city: shared(1),
        district: shared(2),
        status,
    }
}

#[cfg(test)]
mod tests;
