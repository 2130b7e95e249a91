//! Countries: ISO 3166-1 codes, English and Chinese names, calling codes and centroids.
//!
//! The table is `data/countries.tsv` (from the `world-countries` package, see
//! `data/PROVENANCE.md`). [`normalise`] turns what buyers and channels type for a country
//! ("USA", "U.S.A.", "中华人民共和国", "Deutschland", "gbr") into its alpha-2 code.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use crate::point::GeoPoint;
use crate::text;
use crate::tsv;

/// One country or territory with an ISO 3166-1 code.
#[derive(Debug, Clone, PartialEq)]
pub struct Country {
    /// ISO 3166-1 alpha-2, e.g. `CN`.
    pub iso2: &'static str,
    /// ISO 3166-1 alpha-3, e.g. `CHN`.
    pub iso3: &'static str,
    /// International calling code without `+`, e.g. `86`; empty where there is none.
    pub calling_code: &'static str,
    /// English common name, e.g. `China`.
    pub name_en: &'static str,
    /// English official name, e.g. `People's Republic of China`.
    pub official_en: &'static str,
    /// Chinese common name, e.g. `中国`.
    pub name_zh: &'static str,
    /// Chinese official name, e.g. `中华人民共和国`.
    pub official_zh: &'static str,
    /// A representative point (the source's centroid).
    pub point: GeoPoint,
}

/// Names people use that the source lists under no single country, or not at all. Each is
/// unambiguous in shipping addresses.
const EXTRA_ALIASES: &[(&str, &str)] = &[
    ("USA", "US"),
    ("U.S.", "US"),
    ("United States of America", "US"),
    ("美國", "US"),
    ("UK", "GB"),
    ("Britain", "GB"),
    ("England", "GB"),
    ("Scotland", "GB"),
    ("Wales", "GB"),
    ("Northern Ireland", "GB"),
    ("PRC", "CN"),
    ("P.R. China", "CN"),
    ("PR China", "CN"),
    ("Mainland China", "CN"),
    ("China Mainland", "CN"),
    ("中國", "CN"),
    ("中国大陆", "CN"),
    ("台湾", "TW"),
    ("Hongkong", "HK"),
    ("Holland", "NL"),
    ("Korea", "KR"),
    ("Republic of Korea", "KR"),
    ("Russia", "RU"),
    ("Türkiye", "TR"),
    ("Turkey", "TR"),
    ("Czech Republic", "CZ"),
    ("Vietnam", "VN"),
    ("UAE", "AE"),
];

struct Table {
    countries: Vec<Country>,
    by_key: HashMap<String, usize>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut countries = Vec::new();
    let mut names: Vec<(String, usize)> = Vec::new();
    for row in tsv::rows(include_str!("../data/countries.tsv")) {
        let index = countries.len();
        countries.push(Country {
            iso2: row[0],
            iso3: row[1],
            calling_code: row[2],
            name_en: row[3],
            official_en: row[4],
            name_zh: row[5],
            official_zh: row[6],
            point: tsv::point(row[7], row[8]).unwrap_or(GeoPoint { lat: 0.0, lng: 0.0 }),
        });
        let aliases = row.get(9).map(|a| a.split('|').collect::<Vec<_>>()).unwrap_or_default();
        for name in [row[0], row[1], row[3], row[4], row[5], row[6]]
            .into_iter()
            .chain(aliases)
        {
            names.push((key(name), index));
        }
    }
    // A key two countries share names neither; it is left out rather than guessed.
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut shared: HashSet<String> = HashSet::new();
    for (k, index) in names {
        if k.is_empty() {
            continue;
        }
        match by_key.get(&k) {
            Some(existing) if *existing != index => {
                shared.insert(k);
            }
            _ => {
                by_key.insert(k, index);
            }
        }
    }
    for k in &shared {
        by_key.remove(k);
    }
    for (alias, iso2) in EXTRA_ALIASES {
        if let Some(index) = countries.iter().position(|c| c.iso2 == *iso2) {
            by_key.insert(key(alias), index);
        }
    }
    Table { countries, by_key }
});

/// The lookup key of a name: cleaned, lowercased, letters and digits only, so "U.S.A.",
/// "u s a" and "USA" meet, and a leading "the" is ignored.
fn key(name: &str) -> String {
    let cleaned = text::clean(name).to_lowercase();
    let without_article = cleaned.strip_prefix("the ").unwrap_or(&cleaned);
    without_article.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Every country in the table, sorted by alpha-2 code.
pub fn all() -> &'static [Country] {
    &TABLE.countries
}

/// The country with this alpha-2 code (any case).
pub fn by_iso2(code: &str) -> Option<&'static Country> {
    let code = code.trim();
    TABLE.countries.iter().find(|c| c.iso2.eq_ignore_ascii_case(code))
}

/// The ISO alpha-2 code for a country written as an alpha-2 or alpha-3 code, an English
/// or Chinese name, a native name or a common alias; case, spacing and dots do not matter.
pub fn normalise(text: &str) -> Option<&'static str> {
    let table = &*TABLE;
    table.by_key.get(&key(text)).map(|&i| table.countries[i].iso2)
}

/// The country whose name is one edit away from `text` ("Chnia", "Germny"), to suggest to
/// a person; `None` when nothing or more than one country is that close.
pub fn suggest(text: &str) -> Option<&'static str> {
    let wanted: Vec<char> = key(text).chars().collect();
    if wanted.len() < 4 {
        return None;
    }
    let table = &*TABLE;
    let mut found: Option<&'static str> = None;
    for (k, &index) in &table.by_key {
        let candidate: Vec<char> = k.chars().collect();
        if within_one_edit(&wanted, &candidate) {
            let iso2 = table.countries[index].iso2;
            if found.is_some_and(|f| f != iso2) {
                return None;
            }
            found = Some(iso2);
        }
    }
    found
}

/// Levenshtein distance ≤ 1, or one swap of neighbours (the commonest typo).
fn within_one_edit(a: &[char], b: &[char]) -> bool {
    if a == b {
        return true;
    }
    if a.len() == b.len() {
        let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        return diffs.len() == 1
            || (diffs.len() == 2
                && diffs[1] == diffs[0] + 1
                && a[diffs[0]] == b[diffs[1]]
                && a[diffs[1]] == b[diffs[0]]);
    }
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    if long.len() != short.len() + 1 {
        return false;
    }
    let first_diff = (0..short.len()).find(|&i| short[i] != long[i]).unwrap_or(short.len());
    short[first_diff..] == long[first_diff + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_and_aliases_normalise_to_alpha_2() {
        let cases = [
            ("CN", "CN"),
            ("cn", "CN"),
            ("CHN", "CN"),
            ("China", "CN"),
            ("中国", "CN"),
            ("中华人民共和国", "CN"),
            ("PRC", "CN"),
            ("People's Republic of China", "CN"),
            ("USA", "US"),
            ("U.S.A.", "US"),
            ("united states", "US"),
            ("United States of America", "US"),
            ("美国", "US"),
            ("UK", "GB"),
            ("Great Britain", "GB"),
            ("United Kingdom", "GB"),
            ("gbr", "GB"),
            ("Deutschland", "DE"),
            ("Germany", "DE"),
            ("DEU", "DE"),
            ("德国", "DE"),
            ("日本", "JP"),
            ("Japan", "JP"),
            ("  canada ", "CA"),
            ("The Netherlands", "NL"),
            ("Ｃｈｉｎａ", "CN"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalise(input), Some(expected), "{input}");
        }
    }

    #[test]
    fn unknown_names_are_not_guessed() {
        assert_eq!(normalise("Chnia"), None);
        assert_eq!(normalise(""), None);
        assert_eq!(normalise("Atlantis"), None);
    }

    #[test]
    fn a_one_letter_typo_gets_a_suggestion() {
        assert_eq!(suggest("Chnia"), Some("CN"));
        assert_eq!(suggest("Germny"), Some("DE"));
        assert_eq!(suggest("Atlantis"), None);
    }

    #[test]
    fn table_holds_every_iso_country_with_calling_codes() {
        assert!(all().len() >= 245);
        let china = by_iso2("cn").unwrap();
        assert_eq!((china.iso3, china.calling_code, china.name_zh), ("CHN", "86", "中国"));
        assert_eq!(by_iso2("US").unwrap().calling_code, "1");
        assert_eq!(by_iso2("GB").unwrap().calling_code, "44");
        // Every alpha-2 and alpha-3 code normalises to itself.
        for c in all() {
            assert_eq!(normalise(c.iso2), Some(c.iso2));
            assert_eq!(normalise(c.iso3), Some(c.iso2), "{}", c.iso3);
        }
    }
}
