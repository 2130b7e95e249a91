//! Sending one request of a channel: a token from the channel's budget, the request, then a
//! [`Verdict`] on the answer, retried as the verdict says.
//!
//! The verdict starts from the HTTP status ([`by_status`]); platforms that answer errors
//! inside a `200` (the Chinese routers) add their own reading of the body. Rate limits wait
//! for `Retry-After` or back off, and pause the whole channel's bucket; transient failures
//! (5xx, 408, timeouts, connection errors) back off with jitter; everything else is final.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::ConnectError;
use crate::budget::{Backoff, TokenBucket, parse_call_limit, parse_retry_after};

/// The largest answer read; a platform page is far smaller, so more is a broken server.
const MAX_BODY_BYTES: usize = 32 << 20;

/// How much of an error body is kept in a message.
const SNIPPET_CHARS: usize = 300;

/// Counters of requests; one per poll (for its report) and one per channel (for status).
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub retries: AtomicU64,
    pub pages: AtomicU64,
    pub orders: AtomicU64,
}

impl Tally {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// An answer, read in full.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Result<Value, ConnectError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ConnectError::BadResponse(format!("answer is not JSON ({e}): {}", self.snippet())))
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The start of the body, for error messages.
    pub fn snippet(&self) -> String {
        String::from_utf8_lossy(&self.body)
            .chars()
            .take(SNIPPET_CHARS)
            .collect()
    }
}

/// What an answer means for the request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Use it.
    Ok,
    /// The platform wants fewer requests; wait this long if it said.
    RateLimited(Option<Duration>),
    /// Worth trying again after a backoff.
    Transient(String),
    /// Credentials refused.
    Auth(String),
    /// The platform refused the request itself; trying again gives the same answer.
    Permanent { code: String, message: String },
}

/// The verdict by HTTP status alone.
/// A JSON request with one credential header: what every token-authenticated REST
/// platform call is, whatever the platform names the header.
pub(crate) fn json_request(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    query: &(impl serde::Serialize + ?Sized),
    (header, credential): (&str, &str),
    body: Option<&Value>,
) -> reqwest::RequestBuilder {
    let request = client
        .request(method, url)
        .query(query)
        .header(header, credential)
        .header("accept", "application/json");
    match body {
        Some(body) => request.json(body),
        None => request,
    }
}

pub(crate) fn by_status(reply: &Reply) -> Verdict {
    match reply.status {
        200..=299 => Verdict::Ok,
        429 => Verdict::RateLimited(
            reply
                .header("retry-after")
                .and_then(|value| parse_retry_after(value, chrono::Utc::now())),
        ),
        401 | 403 => Verdict::Auth(format!("HTTP {}: {}", reply.status, reply.snippet())),
        408 | 500..=599 => Verdict::Transient(format!("HTTP {}: {}", reply.status, reply.snippet())),
        status => Verdict::Permanent {
            code: format!("http_{status}"),
            message: reply.snippet(),
        },
    }
}

/// One channel's HTTP client, budget and retry policy.
#[derive(Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    bucket: Arc<TokenBucket>,
    backoff: Backoff,
    channel: String,
    totals: Arc<Tally>,
}

impl Http {
    pub fn new(client: reqwest::Client, bucket: Arc<TokenBucket>, backoff: Backoff, channel: String) -> Self {
        Self {
            client,
            bucket,
            backoff,
            channel,
            totals: Arc::new(Tally::default()),
        }
    }

    /// Lifetime counters of this channel.
    pub fn totals(&self) -> &Tally {
        &self.totals
    }

    /// Sends the request `build` makes (once per attempt) until `judge` accepts the answer,
    /// the verdict is final, or the attempts run out.
    pub async fn send<B, J>(&self, tally: &Tally, build: B, judge: J) -> Result<Reply, ConnectError>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync,
        J: Fn(&Reply) -> Verdict + Sync,
    {
        self.send_inner(tally, true, &build, &judge).await
    }

    /// As [`Http::send`] but outside the channel's budget: for calls to another service
    /// (Login with Amazon) that the platform's quota does not count.
    pub async fn send_unbudgeted<B, J>(&self, tally: &Tally, build: B, judge: J) -> Result<Reply, ConnectError>
    where
        B: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync,
        J: Fn(&Reply) -> Verdict + Sync,
    {
        self.send_inner(tally, false, &build, &judge).await
    }

    async fn send_inner(
        &self,
        tally: &Tally,
        budgeted: bool,
        build: &(dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync),
        judge: &(dyn Fn(&Reply) -> Verdict + Sync),
    ) -> Result<Reply, ConnectError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            if budgeted {
                self.bucket.acquire().await;
            }
            self.count(tally, |t| &t.requests);
            let verdict = match self.attempt(build).await {
                Ok(reply) => {
                    if let Some((used, limit)) =
                        reply.header("x-shopify-shop-api-call-limit").and_then(parse_call_limit)
                    {
                        self.bucket.observe_usage(used, limit);
                    }
                    match judge(&reply) {
                        Verdict::Ok => {
                            self.outcome("ok");
                            return Ok(reply);
                        }
                        other => other,
                    }
                }
                Err(verdict) => verdict,
            };
            let wait = match verdict {
                Verdict::Ok => unreachable!("accepted answers returned above"),
                Verdict::RateLimited(after) => {
                    self.outcome("rate_limited");
                    self.count(tally, |t| &t.rate_limited);
                    metrics::counter!("ordo_channel_rate_limited_total", "channel" => self.channel.clone())
                        .increment(1);
                    if attempt >= self.backoff.max_attempts {
                        return Err(ConnectError::RateLimited {
                            retry_after: after,
                            message: format!("still rate limited after {attempt} attempts"),
                        });
                    }
                    let wait = after.unwrap_or_else(|| self.backoff.delay(attempt).max(self.backoff.base));
                    if budgeted {
                        self.bucket.pause_for(wait);
                    }
                    wait
                }
                Verdict::Transient(message) => {
                    self.outcome("transient");
                    if attempt >= self.backoff.max_attempts {
                        return Err(ConnectError::Transient(format!("{message} (after {attempt} attempts)")));
                    }
                    self.backoff.delay(attempt)
                }
                Verdict::Auth(message) => {
                    self.outcome("auth");
                    return Err(ConnectError::Auth(message));
                }
                Verdict::Permanent { code, message } => {
                    self.outcome("rejected");
                    return Err(ConnectError::Rejected { code, message });
                }
            };
            self.count(tally, |t| &t.retries);
            tracing::debug!(channel = %self.channel, attempt, wait_ms = wait.as_millis() as u64, "retrying request");
            tokio::time::sleep(wait).await;
        }
    }

    /// One request, read in full; a failure to get an answer is already a verdict.
    async fn attempt(
        &self,
        build: &(dyn Fn(&reqwest::Client) -> reqwest::RequestBuilder + Sync),
    ) -> Result<Reply, Verdict> {
        let mut response = build(&self.client).send().await.map_err(|e| transport_verdict(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport_verdict(&e))? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(Verdict::Permanent {
                    code: "answer_too_large".into(),
                    message: format!("answer larger than {MAX_BODY_BYTES} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply { status, headers, body })
    }

    fn count(&self, tally: &Tally, counter: impl Fn(&Tally) -> &AtomicU64) {
        Tally::add(counter(tally), 1);
        Tally::add(counter(&self.totals), 1);
    }

    fn outcome(&self, outcome: &'static str) {
        metrics::counter!("ordo_channel_requests_total", "channel" => self.channel.clone(), "outcome" => outcome)
            .increment(1);
    }
}

/// Why no answer came, as a verdict: a request that could not even be built is final,
/// anything on the way (timeout, refused connection, reset) is worth another try.
fn transport_verdict(error: &reqwest::Error) -> Verdict {
    if error.is_builder() {
        return Verdict::Permanent {
            code: "bad_request".into(),
            message: error.to_string(),
        };
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
    Verdict::Transient(message)
}
