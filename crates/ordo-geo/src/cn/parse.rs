//! Splitting one Chinese address line into province, city, district and the rest.
//!
//! Marketplaces often deliver "广东深圳南山区科技园路1号" in one field. The parser tries every
//! way of reading region names off the front of the line (full, short or colloquial names,
//! with or without separators), keeps the readings that explain the most text, prefers
//! those whose regions nest (city inside province), and reports a level only when all
//! remaining readings agree on it.

use super::regions::{self, CnLevel, NameForm, Region};
use crate::text;

/// A Chinese address line split into its parts. Names are full official names where the
/// text identified the region, otherwise the text as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CnAddress {
    /// Province-level region, e.g. `广东省`.
    pub province: Option<String>,
    /// Prefecture-level city, e.g. `深圳市`; for municipalities the municipality itself.
    pub city: Option<String>,
    /// District or county, e.g. `南山区`.
    pub district: Option<String>,
    /// What follows the region names: street, number, building.
    pub rest: String,
}

/// Characters that end a region name ("广东省", "南山区"): a short name directly followed by
/// one of them is part of a longer name, not a name of its own.
const LEVEL_SUFFIXES: &[char] = &['省', '市', '区', '县', '州', '盟', '旗'];

/// Prefixes naming the country, skipped before the regions.
const COUNTRY_PREFIXES: &[&str] = &["中华人民共和国", "中国大陆", "中国"];

type Chain = [Option<&'static Region>; 3];

#[derive(Clone, Copy)]
struct Reading {
    end: usize,
    chain: Chain,
    nested: bool,
    short_names: u8,
}

/// Whether text right after a short name continues a street name ("北京路", "朝阳北路",
/// "上海西街", "朝阳门"): streets are named after places everywhere in China.
fn continues_street(after: &str) -> bool {
    let rest = after.trim_start_matches(|c| "东西南北中前后新老大小".contains(c));
    // At most two qualifier characters ("北大街"); more means it was not a qualifier.
    if after.chars().count() - rest.chars().count() > 2 {
        return false;
    }
    rest.starts_with(|c| "路街道巷弄门桥".contains(c))
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '，' | '、' | '/' | '|' | ';' | '；' | ':' | '：')
}

fn skip_separators(text: &str, pos: usize) -> usize {
    text[pos..]
        .find(|c| !is_separator(c))
        .map_or(text.len(), |offset| pos + offset)
}

/// Whether a full (or colloquial) region name starts at `pos`.
fn full_name_at(text: &str, pos: usize) -> bool {
    let ends = text[pos..].char_indices().map(|(i, c)| pos + i + c.len_utf8());
    ends.take(regions::longest_name_chars()).any(|end| {
        regions::named(&text[pos..end])
            .iter()
            .any(|(_, form)| *form != NameForm::Short)
    })
}

/// Region names that start at `pos`: (end of the name, region, how it was named).
fn names_at(text: &str, pos: usize) -> Vec<(usize, &'static Region, NameForm)> {
    let mut found = Vec::new();
    let ends = text[pos..].char_indices().map(|(i, c)| pos + i + c.len_utf8());
    for end in ends.take(regions::longest_name_chars()) {
        let next = text[end..].chars().next();
        let hits = regions::named(&text[pos..end]);
        if hits.is_empty() {
            continue;
        }
        // "济南市中区", "石家庄桥西区", "唐山路南区": a short name followed by a full name is a
        // short name, whatever the next character looks like.
        let before_full_name = hits.iter().any(|(_, form)| *form == NameForm::Short) && full_name_at(text, end);
        for (region, form) in hits {
            let accepted = match form {
                NameForm::Full | NameForm::Colloquial => true,
                // "深圳南山区" reads 深圳 as a city, but in "朝阳区" 朝阳 is no city. A
                // district's short name is taken only when set apart: "南山" in
                // "朝阳门外大街" is a street, not a district.
                NameForm::Short if region.level == CnLevel::District => next.is_none_or(is_separator),
                NameForm::Short => {
                    before_full_name
                        || next.is_none_or(|c| !LEVEL_SUFFIXES.contains(&c)) && !continues_street(&text[end..])
                }
            };
            if accepted {
                found.push((end, region, form));
            }
        }
    }
    found
}

fn explore(text: &str, pos: usize, reading: Reading, out: &mut Vec<Reading>) {
    let start = skip_separators(text, pos);
    let deepest = reading.chain.iter().rposition(Option::is_some);
    let mut extended = false;
    for (end, region, form) in names_at(text, start) {
        let slot = region.level.index();
        if deepest.is_some_and(|d| slot <= d) {
            continue;
        }
        let nests = reading.chain[..slot]
            .iter()
            .enumerate()
            .all(|(level, set)| set.is_none_or(|s| region_at(region, level).is_some_and(|a| a.code == s.code)));
        let mut chain = reading.chain;
        chain[slot] = Some(region);
        extended = true;
        explore(
            text,
            end,
            Reading {
                end,
                chain,
                nested: reading.nested && nests,
                short_names: reading.short_names + u8::from(form == NameForm::Short),
            },
            out,
        );
    }
    if !extended {
        out.push(reading);
    }
}

fn region_at(region: &'static Region, slot: usize) -> Option<&'static Region> {
    let level = [CnLevel::Province, CnLevel::City, CnLevel::District][slot];
    region.ancestor(level)
}

/// Fills the levels above the deepest region, and the city of a municipality.
pub(crate) fn complete(chain: Chain) -> Chain {
    let mut full = chain;
    if let Some(deepest) = chain.iter().rev().flatten().next() {
        for (slot, cell) in full.iter_mut().enumerate().take(deepest.level.index()) {
            *cell = region_at(deepest, slot);
        }
    }
    if let (Some(province), None) = (full[0], full[1])
        && province.is_municipality()
    {
        full[1] = province.children().next();
    }
    full
}

/// Splits one address line. Short names are expanded ("广东" → `广东省`); a province is
/// inferred from a city or district that exists in only one place; for municipalities the
/// city is the municipality ("北京朝阳区…" gives 北京市, 北京市, 朝阳区). When the line can
/// be read in several ways ("朝阳区…" is in Beijing and in Changchun) only the levels all
/// readings share are filled.
pub fn parse_address(line: &str) -> CnAddress {
    let cleaned = text::clean(line);
    let text = cleaned.as_ref();
    let mut start = skip_separators(text, 0);
    for prefix in COUNTRY_PREFIXES {
        if text[start..].starts_with(prefix) {
            start = skip_separators(text, start + prefix.len());
            break;
        }
    }
    let mut readings = Vec::new();
    let empty = Reading {
        end: start,
        chain: [None; 3],
        nested: true,
        short_names: 0,
    };
    explore(text, start, empty, &mut readings);
    let rest_of = |end: usize| text[skip_separators(text, end)..].to_owned();

    let best_end = readings.iter().map(|r| r.end).max().unwrap_or(start);
    readings.retain(|r| r.end == best_end);
    if readings.iter().any(|r| r.nested) {
        readings.retain(|r| r.nested);
    }
    let fewest_short = readings.iter().map(|r| r.short_names).min().unwrap_or(0);
    readings.retain(|r| r.short_names == fewest_short);

    let chains: Vec<Chain> = readings
        .iter()
        .map(|r| if r.nested { complete(r.chain) } else { r.chain })
        .collect();
    let agreed = |slot: usize| -> Option<String> {
        let first = chains.first()?[slot]?.name;
        chains
            .iter()
            .all(|c| c[slot].is_some_and(|r| r.name == first))
            .then(|| first.to_owned())
    };
    if chains.iter().all(|c| c.iter().all(Option::is_none)) {
        return CnAddress {
            rest: rest_of(start),
            ..CnAddress::default()
        };
    }
    CnAddress {
        province: agreed(0),
        city: agreed(1),
        district: agreed(2),
        rest: rest_of(best_end),
    }
}

#[cfg(test)]
mod tests;
