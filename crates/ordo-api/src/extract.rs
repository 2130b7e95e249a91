//! Request extractors whose failures become the API's own errors instead of axum's plain
//! text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// The raw request body, within the configured size limit.
pub struct RawBody(pub Vec<u8>);

impl FromRequest<AppState> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(RawBody(bytes.to_vec())),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::PayloadTooLarge(state.limits.body_limit_bytes))
            }
            Err(rejection) => Err(ApiError::InvalidParameter {
                parameter: "body".into(),
                message: rejection.body_text(),
            }),
        }
    }
}

/// Query parameters parsed into `T`, with a 400 `invalid_parameter` on failure.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded_like(query).map(QueryParams)
    }
}

fn serde_urlencoded_like<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(&format!("/?{query}").parse().map_err(|_| ApiError::InvalidParameter {
        parameter: "query".into(),
        message: "malformed query string".into(),
    })?)
    .map(|q| q.0)
    .map_err(|rejection| ApiError::InvalidParameter {
        parameter: "query".into(),
        message: rejection.body_text(),
    })
}
