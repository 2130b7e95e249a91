//! US states and the District of Columbia: postal codes, names and centres of population.
//!
//! The table is `data/us_states.tsv` (see `data/PROVENANCE.md` for how the points were
//! derived).

use std::sync::LazyLock;

use crate::point::GeoPoint;
use crate::text;
use crate::tsv;

/// A state (or DC).
#[derive(Debug, Clone, PartialEq)]
pub struct UsState {
    /// USPS code, e.g. `CA`.
    pub code: &'static str,
    /// Name, e.g. `California`.
    pub name: &'static str,
    /// Approximate centre of population.
    pub point: GeoPoint,
}

static STATES: LazyLock<Vec<UsState>> = LazyLock::new(|| {
    tsv::rows(include_str!("../data/us_states.tsv"))
        .map(|row| UsState {
            code: row[0],
            name: row[1],
            point: tsv::point(row[2], row[3]).unwrap_or(GeoPoint { lat: 0.0, lng: 0.0 }),
        })
        .collect()
});

/// All 50 states and DC, sorted by code.
pub fn states() -> &'static [UsState] {
    &STATES
}

/// The state with this USPS code or name, case- and spacing-insensitive ("ca", "California",
/// "new  york", "D.C.").
pub fn state(text: &str) -> Option<&'static UsState> {
    let cleaned = text::clean(text);
    let wanted: String = cleaned
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    if wanted.is_empty() {
        return None;
    }
    STATES.iter().find(|s| {
        s.code.eq_ignore_ascii_case(&wanted)
            || s.name
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
                == wanted
    })
}

/// The USPS code of a state written as a code or a name.
pub fn normalise_state(text: &str) -> Option<&'static str> {
    state(text).map(|s| s.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_normalise_to_usps_codes() {
        assert_eq!(normalise_state("CA"), Some("CA"));
        assert_eq!(normalise_state("ca"), Some("CA"));
        assert_eq!(normalise_state("California"), Some("CA"));
        assert_eq!(normalise_state(" new  york "), Some("NY"));
        assert_eq!(normalise_state("D.C."), Some("DC"));
        assert_eq!(normalise_state("District of Columbia"), Some("DC"));
        assert_eq!(normalise_state("Calfornia"), None);
        assert_eq!(normalise_state(""), None);
    }

    #[test]
    fn table_has_fifty_states_and_dc_inside_the_country() {
        assert_eq!(states().len(), 51);
        for s in states() {
            assert!((18.0..72.0).contains(&s.point.lat), "{}", s.code);
            assert!((-170.0..-66.0).contains(&s.point.lng), "{}", s.code);
        }
    }
}
