//! The API's errors. Each has a stable `code` clients can rely on, an HTTP status, and a
//! message that names what was wrong. Server-side details of 5xx errors are logged, not
//! returned.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ordo_core::FieldError;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Every error the API returns.
#[derive(Debug)]
pub enum ApiError {
    /// 401 `unauthorized`: no token, or not a live one.
    Unauthorized(&'static str),
    /// 401 `bad_signature` / `signature_missing` / `webhook_not_configured`: a platform
    /// webhook that did not verify; kept in the inbox as rejected.
    BadSignature {
        /// The code.
        reason: &'static str,
        /// Where the payload was kept.
        inbox_id: Uuid,
    },
    /// 403 `forbidden`: the token's role may not do this.
    Forbidden(String),
    /// 404 `not_found`.
    NotFound(String),
    /// 400 `invalid_json` / 422 `invalid_field` / 422 `validation_failed`: the body was
    /// kept in the inbox as failed.
    InvalidPayload {
        /// Stable code from the parser.
        code: &'static str,
        /// Summary.
        message: String,
        /// Every problem.
        details: Vec<FieldError>,
        /// Where the payload was kept.
        inbox_id: Option<Uuid>,
    },
    /// 400 `invalid_parameter`: a query or path parameter.
    InvalidParameter {
        /// Which parameter.
        parameter: String,
        /// What is wrong.
        message: String,
    },
    /// 400 `invalid_header`.
    InvalidHeader(String),
    /// 422 `idempotency_key_reused`.
    IdempotencyKeyReused {
        /// The rejected payload's inbox entry.
        inbox_id: Uuid,
    },
    /// 409 `not_replayable`.
    NotReplayable(String),
    /// 409 `conflict`.
    Conflict(String),
    /// 409 `illegal_transition`: not allowed from the order's status (the message names
    /// the statuses that allow it).
    IllegalTransition(String),
    /// 409 `illegal_transition` / `guard_failed` / `actor_not_allowed` /
    /// `reason_required`: the workflow in force does not allow the move.
    Workflow {
        /// The code.
        code: &'static str,
        /// Names the allowed moves.
        message: String,
    },
    /// 409 with a code of its own (`not_mergeable`, `different_destination`,
    /// `already_merged`): the orders named cannot do this together.
    Refused {
        /// The code.
        code: &'static str,
        /// Names the order and why.
        message: String,
    },
    /// 422 with a code of its own (`quantity_exceeded`, `refund_exceeds_paid`,
    /// `unknown_sku`, …): the request breaks a rule of what it asks for.
    Rejected {
        /// The code.
        code: &'static str,
        /// Names the field and why.
        message: String,
    },
    /// 422 `invalid_config`: a workflow or rules file with errors, each with its location.
    InvalidConfig(Vec<String>),
    /// 422 `stock_refused`: the stock does not allow it (e.g. returning more than shipped).
    StockRefused(String),
    /// 413 `payload_too_large`.
    PayloadTooLarge(usize),
    /// 503 `unavailable`: try again later.
    Unavailable(String),
    /// 500 `internal`.
    Internal(String),
}

/// The JSON body of every error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// An error's fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code, e.g. `validation_failed`.
    pub code: String,
    /// Human-readable message naming what was wrong.
    pub message: String,
    /// Per-field problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
    /// Inbox entry where the offending payload was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inbox_id: Option<Uuid>,
}

impl ApiError {
    /// The error for a payload that was kept in the inbox as failed, with its reason.
    pub fn kept_as_failed(inbox_id: Uuid, problem: Option<ordo_app::payload::PayloadError>) -> Self {
        match problem {
            Some(problem) => Self::InvalidPayload {
                code: problem.code,
                message: problem.message,
                details: problem.details,
                inbox_id: Some(inbox_id),
            },
            None => Self::Internal(format!("inbox entry {inbox_id} failed without a reason")),
        }
    }

    /// The message the body would carry (without logging).
    pub fn message(&self) -> String {
        match self {
            Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::NotReplayable(m)
            | Self::Conflict(m)
            | Self::IllegalTransition(m)
            | Self::StockRefused(m)
            | Self::Workflow { message: m, .. }
            | Self::Refused { message: m, .. }
            | Self::Rejected { message: m, .. } => m.clone(),
            Self::InvalidPayload { message, .. } => message.clone(),
            Self::InvalidParameter { parameter, message } => format!("{parameter}: {message}"),
            Self::InvalidHeader(m) => m.clone(),
            other => other.code_and_status().0.to_owned(),
        }
    }

    /// The stable code and status.
    pub fn code_and_status(&self) -> (&'static str, StatusCode) {
        match self {
            Self::Unauthorized(_) => ("unauthorized", StatusCode::UNAUTHORIZED),
            Self::BadSignature { reason, .. } => (reason, StatusCode::UNAUTHORIZED),
            Self::Forbidden(_) => ("forbidden", StatusCode::FORBIDDEN),
            Self::NotFound(_) => ("not_found", StatusCode::NOT_FOUND),
            Self::InvalidPayload {
                code: "invalid_json", ..
            } => ("invalid_json", StatusCode::BAD_REQUEST),
            Self::InvalidPayload { code, .. } => (code, StatusCode::UNPROCESSABLE_ENTITY),
            Self::InvalidParameter { .. } => ("invalid_parameter", StatusCode::BAD_REQUEST),
            Self::InvalidHeader(_) => ("invalid_header", StatusCode::BAD_REQUEST),
            Self::IdempotencyKeyReused { .. } => ("idempotency_key_reused", StatusCode::UNPROCESSABLE_ENTITY),
            Self::NotReplayable(_) => ("not_replayable", StatusCode::CONFLICT),
            Self::Conflict(_) => ("conflict", StatusCode::CONFLICT),
            Self::IllegalTransition(_) => ("illegal_transition", StatusCode::CONFLICT),
            Self::Workflow { code, .. } | Self::Refused { code, .. } => (code, StatusCode::CONFLICT),
            Self::Rejected { code, .. } => (code, StatusCode::UNPROCESSABLE_ENTITY),
            Self::InvalidConfig(_) => ("invalid_config", StatusCode::UNPROCESSABLE_ENTITY),
            Self::StockRefused(_) => ("stock_refused", StatusCode::UNPROCESSABLE_ENTITY),
            Self::PayloadTooLarge(_) => ("payload_too_large", StatusCode::PAYLOAD_TOO_LARGE),
            Self::Unavailable(_) => ("unavailable", StatusCode::SERVICE_UNAVAILABLE),
            Self::Internal(_) => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, status) = self.code_and_status();
        let mut detail = ErrorDetail {
            code: code.to_owned(),
            message: String::new(),
            details: Vec::new(),
            inbox_id: None,
        };
        detail.message = match self {
            Self::Unauthorized(m) => m.to_owned(),
            Self::BadSignature { inbox_id, .. } => {
                detail.inbox_id = Some(inbox_id);
                "the webhook signature did not verify; the payload is kept as rejected".to_owned()
            }
            Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::InvalidHeader(m)
            | Self::NotReplayable(m)
            | Self::Conflict(m)
            | Self::IllegalTransition(m)
            | Self::StockRefused(m)
            | Self::Workflow { message: m, .. }
            | Self::Refused { message: m, .. }
            | Self::Rejected { message: m, .. } => m,
            Self::InvalidConfig(errors) => {
                detail.details = errors
                    .iter()
                    .map(|e| FieldError::new(e.split(": ").next().unwrap_or_default(), "invalid_config", e.clone()))
                    .collect();
                format!(
                    "{} problem(s); the first: {}",
                    errors.len(),
                    errors.first().cloned().unwrap_or_default()
                )
            }
            Self::InvalidPayload {
                message,
                details,
                inbox_id,
                ..
            } => {
                detail.details = details;
                detail.inbox_id = inbox_id;
                message
            }
            Self::InvalidParameter { parameter, message } => format!("{parameter}: {message}"),
            Self::IdempotencyKeyReused { inbox_id } => {
                detail.inbox_id = Some(inbox_id);
                "this Idempotency-Key was first used with a different body".to_owned()
            }
            Self::PayloadTooLarge(limit) => format!("request body is larger than {limit} bytes"),
            Self::Unavailable(reason) => {
                tracing::warn!(%reason, "store unavailable");
                "the store is unavailable; retry later".to_owned()
            }
            Self::Internal(reason) => {
                tracing::error!(%reason, "internal error");
                "internal error; it has been logged".to_owned()
            }
        };
        let mut response = (status, Json(ErrorBody { error: detail })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<ordo_store::StoreError> for ApiError {
    fn from(error: ordo_store::StoreError) -> Self {
        use ordo_store::StoreError as E;
        match error {
            E::NotFound(m) => Self::NotFound(m),
            E::Conflict(m) => Self::Conflict(m),
            E::Unavailable(m) | E::Retryable(m) => Self::Unavailable(m),
            E::Other(m) => Self::Internal(m),
        }
    }
}

impl From<ordo_app::IngestError> for ApiError {
    fn from(error: ordo_app::IngestError) -> Self {
        match error {
            ordo_app::IngestError::Unavailable(m) => Self::Unavailable(m),
            ordo_app::IngestError::ShuttingDown => Self::Unavailable("shutting down".into()),
            ordo_app::IngestError::Internal(m) => Self::Internal(m),
        }
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
