//! Reading the embedded tab-separated tables.
//!
//! The files are written by `data/build/build_data.py`; a malformed row is a build mistake,
//! caught by the tests that load every table, so rows are parsed strictly.

use crate::point::GeoPoint;

/// The data rows of a table (the header line is skipped), each split on tabs.
pub(crate) fn rows(table: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    table
        .lines()
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(|line| line.split('\t').collect())
}

/// A point from latitude and longitude columns; `None` when the source had no coordinates.
pub(crate) fn point(lat: &str, lng: &str) -> Option<GeoPoint> {
    let lat = lat.parse().ok()?;
    let lng = lng.parse().ok()?;
    Some(GeoPoint { lat, lng })
}
