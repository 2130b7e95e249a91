//! Channel connectors: each configured sales channel is polled for orders changed since its
//! durable cursor, every order is handed to Ordo through the [`ChannelSink`] port, and
//! tracking, cancellations and sellable quantities are written back ([`WriteBack`]).
//!
//! The contract with each platform (endpoints, auth, pagination, rate-limit answers) is
//! `docs/channel-apis.md`. Each channel runs in its own tokio task with its own HTTP
//! client and request budget ([`budget`]), so one failing or rate-limited channel never
//! delays another ([`ChannelRunner`]); a [`Connector`] can also be driven one poll at a
//! time ([`Connector::poll_once`]).
//!
//! Invariants: the cursor of a channel advances only after every order of a window has
//! been taken by the sink, and never past "now minus the safety lag"; a sink error stops
//! the poll without moving the cursor; secrets never reach logs or status.

pub mod breaker;
pub mod budget;
mod config;
mod cursor;
mod http;
mod platform;
mod runner;
pub mod tracking;
pub mod wms;
mod writeback;

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;

pub use config::{BackoffConfig, BudgetConfig, ChannelConfig, Platform};
pub use cursor::Cursor;
pub use platform::china::sign_router;
pub use platform::kuaishou::sign_kuaishou;
pub use runner::{ChannelHandle, ChannelRunner, ChannelStatus, Connector, StatusError};
pub use writeback::{AfterSaleDecision, PushError, TrackingLine, WriteBack};

/// Ordo as a connector sees it: where cursors are kept and where payloads go.
#[async_trait]
pub trait ChannelSink: Send + Sync + 'static {
    /// The cursor last saved for `channel`, if any.
    async fn load_cursor(&self, channel: &str) -> Result<Option<serde_json::Value>, SinkError>;
    /// Saves `channel`'s cursor durably.
    async fn save_cursor(&self, channel: &str, cursor: &serde_json::Value) -> Result<(), SinkError>;
    /// Stores the payload in the inbox and ingests it with `mapping`. A payload that fails
    /// mapping or validation is kept by Ordo (visible, replayable) and is NOT an error here;
    /// Err means the store could not take it, and the connector must not advance its cursor.
    async fn ingest(&self, channel: &str, mapping: &str, payload: serde_json::Value) -> Result<(), SinkError>;

    /// Whether this sink keeps after-sale records: only then are a platform's after-sales
    /// polled (beside its orders, with a cursor of their own).
    fn keeps_after_sales(&self) -> bool {
        false
    }

    /// Stores one after-sale record of `platform` (as its after-sale list wrote it) in the
    /// inbox, then applies it. Like [`ChannelSink::ingest`], a record that cannot be read
    /// or applied is kept by Ordo and is NOT an error; Err means the store could not take
    /// it, and the connector must not advance its after-sale cursor.
    async fn after_sale(&self, channel: &str, platform: &str, payload: serde_json::Value) -> Result<(), SinkError> {
        let _ = (channel, payload);
        Err(SinkError::new(format!(
            "this sink keeps no {platform} after-sale records"
        )))
    }
}

/// Ordo could not keep a cursor or a payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SinkError {
    /// What went wrong, for status and logs.
    pub message: String,
}

impl SinkError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Why a poll, fetch or write-back call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectError {
    /// The platform kept answering "too many requests" through every attempt.
    #[error("rate limited: {message}")]
    RateLimited {
        /// What the platform last asked to wait, if it said.
        retry_after: Option<Duration>,
        /// Details.
        message: String,
    },
    /// Server errors, timeouts or connection failures through every attempt.
    #[error("platform unavailable: {0}")]
    Transient(String),
    /// Credentials missing, wrong or expired.
    #[error("authentication refused: {0}")]
    Auth(String),
    /// The platform refused the request; sending it again would not help.
    #[error("refused by the platform ({code}): {message}")]
    Rejected {
        /// `http_<status>` or the platform's own error code.
        code: String,
        /// The platform's message.
        message: String,
    },
    /// An answer that does not have the documented shape.
    #[error("unexpected answer: {0}")]
    BadResponse(String),
    /// Ordo could not take a payload or a cursor.
    #[error("sink: {0}")]
    Sink(#[from] SinkError),
    /// The channel's configuration cannot work.
    #[error("configuration: {0}")]
    Config(String),
    /// The stored cursor cannot be read.
    #[error("cursor: {0}")]
    Cursor(String),
    /// The platform (or this connector) has no such operation.
    #[error("not supported: {0}")]
    Unsupported(String),
}

impl ConnectError {
    /// A stable code for status and APIs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::Transient(_) => "unavailable",
            Self::Auth(_) => "auth",
            Self::Rejected { .. } => "rejected",
            Self::BadResponse(_) => "bad_response",
            Self::Sink(_) => "sink",
            Self::Config(_) => "config",
            Self::Cursor(_) => "cursor",
            Self::Unsupported(_) => "unsupported",
        }
    }

    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Transient(_) | Self::Sink(_))
    }
}

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    /// Order documents handed to the sink.
    pub orders: u64,
    /// List pages read.
    pub pages: u64,
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Answers that were rate limits.
    pub rate_limited: u64,
    /// Requests sent again after a failure or rate limit.
    pub retries: u64,
}
