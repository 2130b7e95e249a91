//! The Chinese region table: provinces, prefecture-level cities and districts/counties.
//!
//! Loaded once from `data/cn_regions.tsv`. Municipalities (北京, 天津, 上海, 重庆) have one
//! city of the same name, so every address has the same three levels; county-level cities
//! governed directly by a province (仙桃市, 石河子市 …) stand at city level with no districts,
//! as they do in marketplace address forms.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::point::GeoPoint;
use crate::tsv;

/// The level of a Chinese administrative region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CnLevel {
    /// Province, autonomous region, municipality or special administrative region.
    Province,
    /// Prefecture-level city, prefecture, league or autonomous prefecture.
    City,
    /// District, county, county-level city or banner.
    District,
}

impl CnLevel {
    /// 0, 1 or 2: the slot of this level in a province–city–district chain.
    pub fn index(self) -> usize {
        match self {
            Self::Province => 0,
            Self::City => 1,
            Self::District => 2,
        }
    }
}

/// One region.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    /// Six-digit administrative division code, e.g. `440305` for 南山区.
    pub code: u32,
    /// Its level.
    pub level: CnLevel,
    /// Code of the region it belongs to; `None` for provinces.
    pub parent: Option<u32>,
    /// Full official name, e.g. `广西壮族自治区`.
    pub name: &'static str,
    /// Short name, e.g. `广西`; `None` when the only short form would be one character.
    pub short: Option<&'static str>,
    /// Centroid; `None` for the few regions the source had no coordinates for.
    pub point: Option<GeoPoint>,
}

/// How a name in text refers to a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameForm {
    /// The full official name.
    Full,
    /// The short name ("广东", "深圳").
    Short,
    /// Short name plus the generic suffix people write for autonomous units ("恩施州",
    /// "长阳县"). Unambiguous like a full name because it ends in a level suffix.
    Colloquial,
}

struct Table {
    regions: Vec<Region>,
    by_code: HashMap<u32, usize>,
    children: HashMap<u32, Vec<usize>>,
    by_name: HashMap<String, Vec<(usize, NameForm)>>,
    longest_name_chars: usize,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut regions = Vec::new();
    for row in tsv::rows(include_str!("../../data/cn_regions.tsv")) {
        let level = match row[1] {
            "1" => CnLevel::Province,
            "2" => CnLevel::City,
            _ => CnLevel::District,
        };
        regions.push(Region {
            code: row[0].parse().unwrap_or_default(),
            level,
            parent: row[2].parse().ok(),
            name: row[3],
            short: Some(row[4]).filter(|s| !s.is_empty()),
            point: tsv::point(row[5], row[6]),
        });
    }
    let mut by_code = HashMap::new();
    let mut children: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut by_name: HashMap<String, Vec<(usize, NameForm)>> = HashMap::new();
    for (i, r) in regions.iter().enumerate() {
        by_code.insert(r.code, i);
        if let Some(parent) = r.parent {
            children.entry(parent).or_default().push(i);
        }
        by_name.entry(r.name.to_owned()).or_default().push((i, NameForm::Full));
        if let Some(short) = r.short {
            by_name.entry(short.to_owned()).or_default().push((i, NameForm::Short));
            for suffix in ["自治州", "自治县", "自治旗"] {
                if r.name.ends_with(suffix) {
                    let colloquial = format!("{short}{}", &suffix[suffix.len() - 3..]);
                    by_name.entry(colloquial).or_default().push((i, NameForm::Colloquial));
                }
            }
        }
    }
    let longest_name_chars = by_name.keys().map(|k| k.chars().count()).max().unwrap_or(0);
    Table {
        regions,
        by_code,
        children,
        by_name,
        longest_name_chars,
    }
});

/// Every region, sorted by code.
pub fn regions() -> &'static [Region] {
    &TABLE.regions
}

/// The region with this six-digit code.
pub fn region(code: u32) -> Option<&'static Region> {
    let table = &*TABLE;
    table.by_code.get(&code).map(|&i| &table.regions[i])
}

/// Regions at `level` called `name`, by full, short or colloquial name, sorted by code.
pub fn find(name: &str, level: CnLevel) -> Vec<&'static Region> {
    let mut found: Vec<&'static Region> = named(name)
        .into_iter()
        .filter(|(r, _)| r.level == level)
        .map(|(r, _)| r)
        .collect();
    found.dedup_by_key(|r| r.code);
    found
}

/// Every region one of whose names is exactly `name`, with the form that matched.
pub(crate) fn named(name: &str) -> Vec<(&'static Region, NameForm)> {
    let table = &*TABLE;
    table
        .by_name
        .get(name)
        .map(|hits| hits.iter().map(|&(i, form)| (&table.regions[i], form)).collect())
        .unwrap_or_default()
}

/// Length of the longest name in characters: how far a prefix search needs to look.
pub(crate) fn longest_name_chars() -> usize {
    TABLE.longest_name_chars
}

impl Region {
    /// The region this one belongs to.
    pub fn parent(&self) -> Option<&'static Region> {
        self.parent.and_then(region)
    }

    /// This region's ancestor at `level`, or itself when it is at that level.
    pub fn ancestor(&'static self, level: CnLevel) -> Option<&'static Region> {
        let mut current = self;
        // Three levels at most; the bound keeps a malformed table from looping.
        for _ in 0..3 {
            if current.level <= level {
                break;
            }
            current = current.parent().filter(|p| p.level < current.level)?;
        }
        (current.level == level).then_some(current)
    }

    /// The regions directly under this one, sorted by code.
    pub fn children(&self) -> impl Iterator<Item = &'static Region> {
        let table = &*TABLE;
        table
            .children
            .get(&self.code)
            .into_iter()
            .flatten()
            .map(|&i| &table.regions[i])
    }

    /// Whether this is 北京, 天津, 上海 or 重庆 (a province-level city).
    pub fn is_municipality(&self) -> bool {
        matches!(self.code, 110000 | 120000 | 310000 | 500000)
    }

    /// Whether an address here is shipped as country CN. Hong Kong, Macao and Taiwan have
    /// ISO codes of their own, so naming them implies no country.
    pub fn implies_cn(&self) -> bool {
        !matches!(self.code / 10000, 71 | 81 | 82)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_34_provinces_and_every_city_and_district_has_a_parent() {
        let provinces = regions().iter().filter(|r| r.level == CnLevel::Province).count();
        assert_eq!(provinces, 34);
        for r in regions().iter().filter(|r| r.level != CnLevel::Province) {
            let parent = r.parent().unwrap_or_else(|| panic!("{} has no parent", r.name));
            assert!(parent.level < r.level, "{}", r.name);
        }
        assert!(regions().len() > 3_000);
    }

    #[test]
    fn short_names_follow_official_usage() {
        let short = |code| region(code).and_then(|r| r.short);
        assert_eq!(short(440000), Some("广东"));
        assert_eq!(short(450000), Some("广西"));
        assert_eq!(short(150000), Some("内蒙古"));
        assert_eq!(short(810000), Some("香港"));
        assert_eq!(short(440300), Some("深圳"));
        assert_eq!(short(522600), Some("黔东南"));
        assert_eq!(short(653100), Some("喀什"));
        assert_eq!(short(152500), Some("锡林郭勒"));
        assert_eq!(short(429021), Some("神农架"));
        assert_eq!(short(140109), Some("万柏林"));
    }

    #[test]
    fn municipalities_have_one_city_of_the_same_name() {
        for code in [110000, 120000, 310000, 500000] {
            let province = region(code).unwrap();
            let cities: Vec<_> = province.children().collect();
            assert_eq!(cities.len(), 1, "{}", province.name);
            assert_eq!(cities[0].name, province.name);
            assert!(cities[0].children().count() > 10);
        }
    }

    #[test]
    fn names_find_regions_at_a_level() {
        assert_eq!(find("朝阳区", CnLevel::District).len(), 2);
        assert_eq!(find("朝阳", CnLevel::City)[0].name, "朝阳市");
        assert_eq!(find("恩施州", CnLevel::City)[0].name, "恩施土家族苗族自治州");
        assert_eq!(find("仙桃市", CnLevel::City)[0].parent().unwrap().name, "湖北省");
        let xihu = find("西湖区", CnLevel::District);
        let cities: Vec<_> = xihu.iter().map(|d| d.parent().unwrap().name).collect();
        assert_eq!(cities, ["杭州市", "南昌市"]);
        assert_eq!(xihu[0].ancestor(CnLevel::Province).unwrap().name, "浙江省");
    }
}
