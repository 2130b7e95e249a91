//! Distances and region patterns: the two ways the engine relates a warehouse to a
//! destination.

use std::borrow::Cow;

use crate::model::{Destination, GeoPoint};

/// Mean earth radius in kilometres (IUGG); the error against the ellipsoid, under 0.5 %,
/// is far below what separates one warehouse from another.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance between two points, in kilometres.
pub fn haversine_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat_a, lat_b) = (a.lat.to_radians(), b.lat.to_radians());
    let d_lat = lat_b - lat_a;
    let d_lng = (b.lng - a.lng).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat_a.cos() * lat_b.cos() * (d_lng / 2.0).sin().powi(2);
    // Clamped because rounding can push `h` a hair above 1 for antipodal points, and
    // `asin` of that is NaN.
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Whether a glob pattern matches a region code. `*` stands for any run of characters
/// (`CN-*`, `*`); everything else matches itself, ignoring ASCII case.
///
/// `{country}` and `{region}` are replaced by the destination's country and region first,
/// so one rule can say "same country as the order" (`{country}-*`) or "same region"
/// (`{region}`). A placeholder the destination cannot fill matches nothing.
pub fn region_matches(pattern: &str, region: &str, destination: Option<&Destination>) -> bool {
    expand(pattern, destination).is_some_and(|p| glob_matches(&p, region))
}

/// A pattern with `{country}` and `{region}` filled in from the destination; `None` when
/// it names one the destination cannot fill.
pub(crate) fn expand<'p>(pattern: &'p str, destination: Option<&Destination>) -> Option<Cow<'p, str>> {
    if !pattern.contains('{') {
        return Some(Cow::Borrowed(pattern));
    }
    let destination = destination?;
    let mut expanded = pattern.replace("{country}", &destination.country);
    if expanded.contains("{region}") {
        expanded = expanded.replace("{region}", destination.region.as_deref()?);
    }
    Some(Cow::Owned(expanded))
}

/// Whether an expanded pattern matches a region code.
pub(crate) fn glob_matches(pattern: &str, region: &str) -> bool {
    glob(pattern.as_bytes(), region.as_bytes())
}

/// Whether any of `patterns` matches `region`; a missing region matches only `*`.
pub fn any_region_matches(patterns: &[String], region: Option<&str>, destination: Option<&Destination>) -> bool {
    patterns.iter().any(|p| match region {
        Some(region) => region_matches(p, region, destination),
        None => p == "*",
    })
}

/// Checks a pattern's spelling; the message says what is wrong.
pub(crate) fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("a region pattern cannot be empty".into());
    }
    let without = pattern.replace("{country}", "").replace("{region}", "");
    if let Some(bad) = without
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*')))
    {
        return Err(format!(
            "{pattern:?}: unexpected {bad:?}; use letters, digits, '-', '*', {{country}} or {{region}}"
        ));
    }
    Ok(())
}

/// Iterative glob with backtracking to the last star: linear in practice and no
/// recursion, so a pathological pattern cannot blow the stack.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p].eq_ignore_ascii_case(&text[t]) {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(country: &str, region: Option<&str>) -> Destination {
        Destination {
            country: country.into(),
            region: region.map(Into::into),
            point: None,
        }
    }

    #[test]
    fn globs_match_prefixes_infixes_and_everything() {
        assert!(region_matches("CN-*", "CN-ZJ", None));
        assert!(region_matches("cn-zj", "CN-ZJ", None));
        assert!(region_matches("*", "US-CA", None));
        assert!(region_matches("*-CA", "US-CA", None));
        assert!(region_matches("U*-*A", "US-CA", None));
        assert!(!region_matches("CN-*", "US-CA", None));
        assert!(!region_matches("CN-ZJ", "CN-ZJX", None));
    }

    #[test]
    fn placeholders_take_the_destination() {
        let hangzhou = dest("CN", Some("CN-ZJ"));
        assert!(region_matches("{country}-*", "CN-SH", Some(&hangzhou)));
        assert!(region_matches("{region}", "CN-ZJ", Some(&hangzhou)));
        assert!(!region_matches("{region}", "CN-SH", Some(&hangzhou)));
        assert!(!region_matches("{region}", "CN-ZJ", Some(&dest("CN", None))));
        assert!(!region_matches("{country}-*", "CN-ZJ", None));
    }

    #[test]
    fn a_warehouse_without_region_matches_only_the_wildcard() {
        assert!(any_region_matches(&["*".into()], None, None));
        assert!(!any_region_matches(&["CN-*".into()], None, None));
    }

    #[test]
    fn haversine_gives_known_city_distances() {
        let shanghai = GeoPoint {
            lat: 31.2304,
            lng: 121.4737,
        };
        let hangzhou = GeoPoint {
            lat: 30.2741,
            lng: 120.1551,
        };
        let d = haversine_km(shanghai, hangzhou);
        assert!((160.0..170.0).contains(&d), "{d}");
        assert_eq!(haversine_km(shanghai, shanghai), 0.0);
        let antipode = GeoPoint {
            lat: -31.2304,
            lng: 121.4737 - 180.0,
        };
        assert!((haversine_km(shanghai, antipode) - 20_015.1).abs() < 1.0);
    }

    #[test]
    fn bad_patterns_are_named() {
        assert!(check_pattern("CN-*").is_ok());
        assert!(check_pattern("{country}-*").is_ok());
        assert!(check_pattern("").is_err());
        assert!(check_pattern("CN ZJ").unwrap_err().contains("' '"));
    }
}
