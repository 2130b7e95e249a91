//! Route handlers, one folder per domain (the same names as `ordo_store`'s), one module
//! per resource.

pub mod aftersales;
pub mod channels;
pub mod delivery;
pub mod fulfilment;
pub mod orders;
pub mod review;
pub mod settings;
pub mod stock;
pub mod system;

use crate::error::ApiError;

/// Parses an RFC 3339 query parameter.
pub(crate) fn parse_time(parameter: &str, value: &str) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| t.to_utc())
        .map_err(|_| ApiError::InvalidParameter {
            parameter: parameter.into(),
            message: format!("{value:?} is not an RFC 3339 time such as 2026-11-22T10:15:00+08:00"),
        })
}

/// Parses a page size: 1..=500, default 50.
pub(crate) fn parse_limit(value: Option<u32>) -> Result<u32, ApiError> {
    match value {
        None => Ok(50),
        Some(n) if (1..=ordo_store::MAX_PAGE).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::InvalidParameter {
            parameter: "limit".into(),
            message: format!("{n} is outside 1..={}", ordo_store::MAX_PAGE),
        }),
    }
}

/// Parses a UUID path or query parameter.
/// A JSON body read as `T`, or `T::default()` when the body is empty (the optional bodies
/// of actions such as ship, cancel, approve).
pub(crate) fn body_or_default<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        stock::catalogue::parse_body(body)
    }
}

pub(crate) fn parse_uuid(parameter: &str, value: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(value).map_err(|_| ApiError::InvalidParameter {
        parameter: parameter.into(),
        message: format!("{value:?} is not a UUID"),
    })
}
