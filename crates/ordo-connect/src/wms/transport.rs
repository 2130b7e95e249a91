//! One request to a warehouse, read in full, and what its status means.
//!
//! No retries here: a warehouse call is made from the outbox, which owns attempts, backoff
//! and the breaker. This only sorts outcomes into "may work later" (timeouts, connection
//! failures, 408, 429, 5xx) and "will not" (everything else that is not a success).

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::WmsError;
use crate::budget::parse_retry_after;

/// The largest answer read. A ShipBob order view is about 6 KB; a megabyte is a broken or
/// hostile server, not a bigger order.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// How much of an answer's body an error message keeps.
const SNIPPET_CHARS: usize = 300;

/// An answer, read in full.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON; an answer that is not JSON cannot be used and is permanent.
    pub fn json(&self) -> Result<Value, WmsError> {
        serde_json::from_slice(&self.body).map_err(|e| WmsError::Permanent {
            status: Some(self.status),
            message: format!("answer is not JSON ({e}): {}", self.snippet()),
        })
    }

    /// The start of the body, for messages.
    pub fn snippet(&self) -> String {
        String::from_utf8_lossy(&self.body)
            .chars()
            .take(SNIPPET_CHARS)
            .collect()
    }

    /// The error a non-success answer stands for.
    pub fn failure(&self) -> WmsError {
        let message = format!("HTTP {}: {}", self.status, self.snippet());
        match self.status {
            408 | 429 | 500..=599 => WmsError::Retryable {
                status: Some(self.status),
                message,
                retry_after: self.retry_after(),
            },
            status => WmsError::Permanent {
                status: Some(status),
                message,
            },
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
        parse_retry_after(value, chrono::Utc::now())
    }
}

/// Sends the request with the warehouse's timeout and reads the answer.
pub(crate) async fn send(request: reqwest::RequestBuilder, timeout: Duration) -> Result<Reply, WmsError> {
    let mut response = request.timeout(timeout).send().await.map_err(|e| transport_error(&e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(WmsError::Permanent {
                status: Some(status),
                message: format!("answer larger than {MAX_ANSWER_BYTES} bytes"),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply { status, headers, body })
}

/// Why no answer came: a request that could not be built is permanent; anything on the way
/// (timeout, refused connection, reset) may work later.
fn transport_error(error: &reqwest::Error) -> WmsError {
    if error.is_builder() {
        return WmsError::permanent(format!("request could not be built: {error}"));
    }
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "transport error"
    };
    let mut message = format!("{kind}: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    WmsError::Retryable {
        status: None,
        message,
        retry_after: None,
    }
}
