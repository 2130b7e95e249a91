//! Points on the Earth and the distance between them.

use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), in kilometres. The sphere is off by at most ~0.5 % against the
/// ellipsoid, far below the error of using a region's centroid for an address.
const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// A WGS 84 position in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Latitude, −90 to 90, north positive.
    pub lat: f64,
    /// Longitude, −180 to 180, east positive.
    pub lng: f64,
}

/// Great-circle distance between two points, in kilometres (haversine formula, which stays
/// accurate for short distances where the spherical law of cosines loses precision).
pub fn haversine_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat_a, lat_b) = (a.lat.to_radians(), b.lat.to_radians());
    let d_lat = lat_b - lat_a;
    let d_lng = (b.lng - a.lng).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat_a.cos() * lat_b.cos() * (d_lng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEIJING: GeoPoint = GeoPoint {
        lat: 39.9042,
        lng: 116.4074,
    };
    const SHANGHAI: GeoPoint = GeoPoint {
        lat: 31.2304,
        lng: 121.4737,
    };

    #[test]
    fn beijing_to_shanghai_is_about_1070_km() {
        let km = haversine_km(BEIJING, SHANGHAI);
        assert!((1_060.0..1_075.0).contains(&km), "{km}");
    }

    #[test]
    fn distance_is_symmetric_and_zero_to_itself() {
        assert_eq!(haversine_km(BEIJING, BEIJING), 0.0);
        assert!((haversine_km(BEIJING, SHANGHAI) - haversine_km(SHANGHAI, BEIJING)).abs() < 1e-9);
    }

    #[test]
    fn antipodes_are_half_the_circumference_apart() {
        let km = haversine_km(GeoPoint { lat: 0.0, lng: 0.0 }, GeoPoint { lat: 0.0, lng: 180.0 });
        assert!((km - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
    }
}
