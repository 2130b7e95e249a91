//! The most precise known point for an address: district, city, province, state or country.

use serde::{Deserialize, Serialize};

use crate::cn::{self, CnLevel, Region, Status};
use crate::point::GeoPoint;
use crate::{country, us};

/// How precise a [`Located`] point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Centroid of a Chinese district or county.
    District,
    /// Centroid of a Chinese prefecture-level city.
    City,
    /// Centroid of a Chinese province.
    Province,
    /// Centre of population of a US state.
    State,
    /// Centroid of the country.
    Country,
}

/// A point and what it is the centre of.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Located {
    /// The point.
    pub point: GeoPoint,
    /// Which region it is the centre of.
    pub level: Level,
}

/// The centroid of the most precise region the address identifies: for China district,
/// then city, then province; for the US the state; otherwise the country. `country` may be
/// an ISO code or a name ("CN", "CHN", "China", "中国"); region names may be full or short,
/// US states codes or names. `None` when the country is not recognised.
pub fn locate(country: &str, province: Option<&str>, city: Option<&str>, district: Option<&str>) -> Option<Located> {
    let iso2 = country::normalise(country)?;
    let country_point = Located {
        point: country::by_iso2(iso2)?.point,
        level: Level::Country,
    };
    let precise = match iso2 {
        "CN" => locate_cn(province, city, district),
        "US" => province.and_then(us::state).map(|s| Located {
            point: s.point,
            level: Level::State,
        }),
        _ => None,
    };
    Some(precise.unwrap_or(country_point))
}

fn locate_cn(province: Option<&str>, city: Option<&str>, district: Option<&str>) -> Option<Located> {
    // Less precise names are tried when a more precise one is unknown or ambiguous, so a
    // misspelt district still finds its city.
    let attempts = [
        (province, city, district),
        (province, city, None),
        (province, None, None),
    ];
    for (p, c, d) in attempts {
        let r = cn::reconcile(p, c, d);
        if matches!(
            r.status,
            Status::Empty | Status::Unrecognised(_) | Status::Conflicting(_)
        ) {
            continue;
        }
        let levels = [
            (r.district, CnLevel::District, Level::District),
            (r.city, CnLevel::City, Level::City),
            (r.province, CnLevel::Province, Level::Province),
        ];
        for (name, cn_level, level) in levels {
            let Some(name) = name else { continue };
            if let Some(point) = point_of(name, cn_level, &r) {
                return Some(Located { point, level });
            }
        }
    }
    None
}

/// The point of the region called `name` at `level` that lies inside the reconciled place.
fn point_of(name: &str, level: CnLevel, reconciled: &cn::Reconciled) -> Option<GeoPoint> {
    let inside = |region: &&'static Region| {
        [
            (reconciled.province, CnLevel::Province),
            (reconciled.city, CnLevel::City),
        ]
        .iter()
        .all(|(n, l)| n.is_none_or(|n| *l >= level || region.ancestor(*l).is_some_and(|a| a.name == n)))
    };
    let candidates: Vec<&'static Region> = cn::regions::find(name, level)
        .into_iter()
        .filter(|r| inside(r))
        .collect();
    match candidates.as_slice() {
        [one] => one.point,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level_of(country: &str, p: Option<&str>, c: Option<&str>, d: Option<&str>) -> Option<Level> {
        locate(country, p, c, d).map(|l| l.level)
    }

    #[test]
    fn chinese_addresses_locate_to_the_district() {
        let l = locate("CN", Some("广东"), Some("深圳"), Some("南山区")).unwrap();
        assert_eq!(l.level, Level::District);
        assert!(
            (l.point.lat - 22.53).abs() < 0.1 && (l.point.lng - 113.93).abs() < 0.1,
            "{l:?}"
        );
        assert_eq!(
            level_of("中国", Some("浙江省"), Some("杭州市"), Some("西湖区")),
            Some(Level::District)
        );
    }

    #[test]
    fn ambiguous_or_unknown_districts_fall_back_to_the_city_or_province() {
        assert_eq!(
            level_of("CHN", Some("江苏省"), None, Some("鼓楼区")),
            Some(Level::Province)
        );
        assert_eq!(
            level_of("China", Some("北京"), None, Some("朝阳区")),
            Some(Level::District)
        );
        assert_eq!(
            level_of("CN", Some("广东省"), Some("深圳市"), Some("不存在区")),
            Some(Level::City)
        );
        assert_eq!(level_of("CN", None, None, Some("朝阳区")), Some(Level::Country));
        assert_eq!(level_of("CN", Some("香港"), None, None), Some(Level::Province));
    }

    #[test]
    fn us_states_by_code_or_name_and_other_countries() {
        assert_eq!(level_of("US", Some("CA"), None, None), Some(Level::State));
        assert_eq!(level_of("USA", Some("California"), None, None), Some(Level::State));
        assert_eq!(level_of("US", Some("Atlantis"), None, None), Some(Level::Country));
        let berlin = locate("Deutschland", Some("Berlin"), None, None).unwrap();
        assert_eq!(berlin.level, Level::Country);
        assert_eq!(locate("Atlantis", None, None, None), None);
    }
}
