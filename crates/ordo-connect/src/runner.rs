//! Running a channel: [`Connector`] does one poll, fetch or write-back at a time on demand;
//! [`ChannelRunner::spawn`] puts a connector in its own task that polls on its interval,
//! on a nudge, and stops on shutdown.
//!
//! Each connector owns its HTTP client (its own connection pool and timeouts) and its
//! request budget, and each runs in its own task, so a channel that is down, slow or rate
//! limited only ever waits on itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::budget::{Backoff, TokenBucket};
use crate::config::{ChannelConfig, Platform};
use crate::cursor::{Cursor, WindowRules, advance, split};
use crate::http::{Http, Tally};
use crate::platform::{Client, Ctx};
use crate::writeback::{PushError, WriteBack};
use crate::{ChannelSink, ConnectError, PollReport};

/// After failing polls, the next one waits up to this long (or the poll interval, if
/// longer): a channel with bad credentials should not be hammered.
const MAX_FAILURE_DELAY: Duration = Duration::from_secs(300);

/// A snapshot of a channel's health, for an API endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelStatus {
    /// The channel code.
    pub code: String,
    /// Its platform.
    pub platform: Platform,
    /// When the last poll began.
    pub last_poll_started: Option<DateTime<Utc>>,
    /// When the last poll ended, either way.
    pub last_poll_finished: Option<DateTime<Utc>>,
    /// When a poll last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// The last poll failure (kept after later successes; see `consecutive_failures`).
    pub last_error: Option<StatusError>,
    /// Polls failed in a row; 0 is healthy.
    pub consecutive_failures: u32,
    /// Order documents handed to Ordo since start.
    pub orders_ingested: u64,
    /// HTTP requests sent since start, retries included.
    pub requests: u64,
    /// Rate-limit answers since start.
    pub rate_limited: u64,
    /// The cursor as last loaded or saved.
    pub cursor: Option<Value>,
    /// The after-sale cursor as last loaded or saved (platforms whose after-sales are
    /// polled).
    pub aftersales_cursor: Option<Value>,
    /// Why after-sales were last not read, until they are again. It does not fail the
    /// order poll: orders keep arriving while a platform refuses its after-sale list.
    pub aftersales_error: Option<StatusError>,
}

/// A failure as status shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusError {
    /// A stable code ([`ConnectError::code`]).
    pub code: String,
    /// What happened.
    pub message: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// One channel's poller and write-back client.
pub struct Connector {
    config: ChannelConfig,
    sink: Arc<dyn ChannelSink>,
    http: Http,
    client: Client,
    rules: WindowRules,
    status: Mutex<ChannelStatus>,
    /// One poll at a time: the timer and a nudge may both ask for one.
    polling: tokio::sync::Mutex<()>,
    /// Fetches of pushed orders under way, to turn a burst into one poll.
    pushed_in_flight: std::sync::atomic::AtomicUsize,
}

/// Most fetches of pushed orders one channel runs at once. Beyond them a burst would only
/// queue behind the channel's request budget, one order per call, while one poll lists a
/// page of orders per call.
const PUSHED_FETCHES: usize = 4;

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Checks the configuration and builds the channel's client and budget.
    pub fn new(config: ChannelConfig, sink: Arc<dyn ChannelSink>) -> Result<Self, ConnectError> {
        config.validate()?;
        let timeout = Duration::from_millis(config.request_timeout_ms);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("ordo-connect/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConnectError::Config(format!("HTTP client: {e}")))?;
        let (rate, burst) = config.effective_budget();
        let backoff = Backoff {
            base: Duration::from_millis(config.backoff.base_ms),
            max: Duration::from_millis(config.backoff.max_ms),
            max_attempts: config.backoff.max_attempts,
        };
        let http = Http::new(
            client,
            Arc::new(TokenBucket::new(rate, burst)),
            backoff,
            config.code.clone(),
        );
        let seconds = |s: u64| TimeDelta::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000).min(i64::MAX / 1000));
        let rules = WindowRules {
            overlap: seconds(config.overlap_seconds),
            initial_lookback: seconds(config.initial_lookback_hours.saturating_mul(3600)),
            safety_lag: seconds(config.safety_lag_seconds),
        };
        let status = ChannelStatus {
            code: config.code.clone(),
            platform: config.platform,
            last_poll_started: None,
            last_poll_finished: None,
            last_success: None,
            last_error: None,
            consecutive_failures: 0,
            orders_ingested: 0,
            requests: 0,
            rate_limited: 0,
            cursor: None,
            aftersales_cursor: None,
            aftersales_error: None,
        };
        Ok(Self {
            client: Client::new(&config),
            config,
            sink,
            http,
            rules,
            status: Mutex::new(status),
            polling: tokio::sync::Mutex::new(()),
            pushed_in_flight: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The channel's configuration.
    pub fn config(&self) -> &ChannelConfig {
        &self.config
    }

    /// Reads every order changed since the cursor and advances it, window by window.
    pub async fn poll_once(&self) -> Result<PollReport, ConnectError> {
        let _one_at_a_time = self.polling.lock().await;
        let started = Utc::now();
        let clock = std::time::Instant::now();
        self.update(|s| s.last_poll_started = Some(started));
        let tally = Tally::default();
        let result = self.poll_windows(&tally).await;
        metrics::histogram!("ordo_channel_poll_seconds", "channel" => self.config.code.clone())
            .record(clock.elapsed().as_secs_f64());
        let report = PollReport {
            orders: Tally::get(&tally.orders),
            pages: Tally::get(&tally.pages),
            requests: Tally::get(&tally.requests),
            rate_limited: Tally::get(&tally.rate_limited),
            retries: Tally::get(&tally.retries),
        };
        let finished = Utc::now();
        self.update(|s| {
            s.last_poll_finished = Some(finished);
            s.orders_ingested += report.orders;
            match &result {
                Ok(()) => {
                    s.last_success = Some(finished);
                    s.consecutive_failures = 0;
                }
                Err(error) => {
                    s.consecutive_failures += 1;
                    s.last_error = Some(StatusError {
                        code: error.code().to_owned(),
                        message: error.to_string(),
                        at: finished,
                    });
                }
            }
        });
        match &result {
            Ok(()) if report.orders > 0 => tracing::debug!(channel = %self.config.code, ?report, "poll done"),
            Ok(()) => tracing::debug!(channel = %self.config.code, ?report, "poll done"),
            Err(error) => {
                tracing::warn!(channel = %self.config.code, code = error.code(), %error, ?report, "poll failed")
            }
        }
        result.map(|()| report)
    }

    async fn poll_windows(&self, tally: &Tally) -> Result<(), ConnectError> {
        let ctx = self.ctx(tally);
        let stored = self.sink.load_cursor(&self.config.code).await?;
        self.update(|s| s.cursor.clone_from(&stored));
        let mut cursor = stored.as_ref().map(Cursor::from_json).transpose()?;
        let Some(window) = self.rules.window(cursor, Utc::now()) else {
            return Ok(());
        };
        let pieces = match self.client.max_window() {
            Some(max) => split(window, max),
            None => vec![window],
        };
        for piece in pieces {
            let vouched = self.client.poll(&ctx, piece).await?;
            let next = advance(cursor, piece, vouched);
            if cursor != Some(next) {
                let stored = next.to_json();
                self.sink.save_cursor(&self.config.code, &stored).await?;
                self.update(|s| s.cursor = Some(stored));
                cursor = Some(next);
            }
        }
        if self.sink.keeps_after_sales() && self.client.polls_aftersales() {
            match self.poll_aftersale_windows(&ctx).await {
                Ok(()) => self.update(|s| s.aftersales_error = None),
                Err(error) => {
                    tracing::warn!(channel = %self.config.code, code = error.code(), %error, "after-sales not read");
                    let at = Utc::now();
                    self.update(|s| {
                        s.aftersales_error = Some(StatusError {
                            code: error.code().to_owned(),
                            message: error.to_string(),
                            at,
                        });
                    });
                }
            }
        }
        Ok(())
    }

    /// Where the after-sale cursor of `code` is kept: beside the order cursor, under its
    /// own key.
    pub fn aftersales_cursor_key(code: &str) -> String {
        format!("{code}:aftersales")
    }

    /// Reads every after-sale record modified since the after-sale cursor, window by
    /// window, with the order cursor's overlap and lag, and advances it after each window.
    async fn poll_aftersale_windows(&self, ctx: &Ctx<'_>) -> Result<(), ConnectError> {
        let key = Self::aftersales_cursor_key(&self.config.code);
        let stored = self.sink.load_cursor(&key).await?;
        self.update(|s| s.aftersales_cursor.clone_from(&stored));
        let mut cursor = stored.as_ref().map(Cursor::from_json).transpose()?;
        let Some(window) = self.rules.window(cursor, Utc::now()) else {
            return Ok(());
        };
        let pieces = match self.client.max_window() {
            Some(max) => split(window, max),
            None => vec![window],
        };
        for piece in pieces {
            if !self.client.poll_aftersales(ctx, piece).await? {
                return Ok(());
            }
            let next = advance(cursor, piece, Some(piece.to));
            if cursor != Some(next) {
                let stored = next.to_json();
                self.sink.save_cursor(&key, &stored).await?;
                self.update(|s| s.aftersales_cursor = Some(stored));
                cursor = Some(next);
            }
        }
        Ok(())
    }

    /// Fetches one order again and ingests it (after a Shopify `refunds/create` webhook,
    /// whose body is a refund, not the order).
    pub async fn fetch_order(&self, external_id: &str) -> Result<(), ConnectError> {
        let tally = Tally::default();
        let result = self.client.fetch_order(&self.ctx(&tally), external_id).await;
        self.update(|s| s.orders_ingested += Tally::get(&tally.orders));
        result
    }

    /// Delivers one write-back, within the channel's budget and retries.
    pub async fn push(&self, message: &WriteBack) -> Result<(), PushError> {
        let tally = Tally::default();
        let result = self
            .client
            .push(&self.ctx(&tally), message)
            .await
            .map_err(PushError::from);
        match &result {
            Ok(()) => tracing::debug!(channel = %self.config.code, topic = message.topic(), "write-back delivered"),
            Err(error) => {
                tracing::warn!(channel = %self.config.code, topic = message.topic(), %error, "write-back not delivered")
            }
        }
        result
    }

    /// A snapshot of the channel's health.
    pub fn status(&self) -> ChannelStatus {
        let mut status = self.lock().clone();
        status.requests = Tally::get(&self.http.totals().requests);
        status.rate_limited = Tally::get(&self.http.totals().rate_limited);
        status
    }

    fn ctx<'a>(&'a self, tally: &'a Tally) -> Ctx<'a> {
        Ctx {
            http: &self.http,
            tally,
            config: &self.config,
            sink: self.sink.as_ref(),
        }
    }

    fn update(&self, change: impl FnOnce(&mut ChannelStatus)) {
        change(&mut self.lock());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ChannelStatus> {
        // Status is plain data; a panic elsewhere cannot leave it half-written.
        self.status.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Starts channels.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChannelRunner;

impl ChannelRunner {
    /// Starts polling a channel in its own task until `shutdown` turns true (or its sender
    /// is dropped). A poll cut short by shutdown leaves the cursor where it was.
    pub fn spawn(
        config: ChannelConfig,
        sink: Arc<dyn ChannelSink>,
        shutdown: watch::Receiver<bool>,
    ) -> Result<ChannelHandle, ConnectError> {
        let connector = Arc::new(Connector::new(config, sink)?);
        let nudge = Arc::new(Notify::new());
        let task = tokio::spawn(run(Arc::clone(&connector), Arc::clone(&nudge), shutdown));
        Ok(ChannelHandle { connector, nudge, task })
    }
}

/// A running channel.
#[derive(Debug)]
pub struct ChannelHandle {
    connector: Arc<Connector>,
    nudge: Arc<Notify>,
    task: JoinHandle<()>,
}

impl ChannelHandle {
    /// The channel's connector, for direct calls.
    pub fn connector(&self) -> &Arc<Connector> {
        &self.connector
    }

    /// The channel code.
    pub fn code(&self) -> &str {
        &self.connector.config.code
    }

    /// Polls as soon as the current poll (if any) ends, without waiting for the interval.
    pub fn poll_now(&self) {
        self.nudge.notify_one();
    }

    /// Polls now, in the caller's task (waits for a running poll first).
    pub async fn poll_once(&self) -> Result<PollReport, ConnectError> {
        self.connector.poll_once().await
    }

    /// See [`Connector::fetch_order`].
    pub async fn fetch_order(&self, external_id: &str) -> Result<(), ConnectError> {
        self.connector.fetch_order(external_id).await
    }

    /// Brings in an order a platform's push named: fetched at once while few fetches are
    /// under way; in a burst, a poll is asked for instead, which lists the burst's orders a
    /// page per call rather than queueing a call per order behind the budget.
    pub async fn fetch_pushed(&self, external_id: &str) -> Result<(), ConnectError> {
        use std::sync::atomic::Ordering;
        let counter = &self.connector.pushed_in_flight;
        if counter.fetch_add(1, Ordering::SeqCst) >= PUSHED_FETCHES {
            counter.fetch_sub(1, Ordering::SeqCst);
            self.poll_now();
            return Ok(());
        }
        let result = self.connector.fetch_order(external_id).await;
        counter.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// See [`Connector::push`].
    pub async fn push(&self, message: &WriteBack) -> Result<(), PushError> {
        self.connector.push(message).await
    }

    /// See [`Connector::status`].
    pub fn status(&self) -> ChannelStatus {
        self.connector.status()
    }

    /// Whether the task has stopped.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the task to stop (after shutdown).
    pub async fn join(self) {
        if let Err(error) = self.task.await
            && error.is_panic()
        {
            tracing::error!(channel = %self.connector.config.code, %error, "channel task panicked");
        }
    }
}

async fn run(connector: Arc<Connector>, nudge: Arc<Notify>, mut shutdown: watch::Receiver<bool>) {
    let interval = connector.config.poll_interval();
    loop {
        let outcome = tokio::select! {
            outcome = connector.poll_once() => outcome,
            () = stopped(&mut shutdown) => return,
        };
        let delay = match outcome {
            Ok(_) => interval,
            Err(_) => failure_delay(interval, connector.status().consecutive_failures),
        };
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = nudge.notified() => {}
            () = stopped(&mut shutdown) => return,
        }
    }
}

/// Resolves once shutdown is asked for or nobody can ask any more.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    while !*shutdown.borrow_and_update() {
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

/// The poll interval doubled per failure in a row, up to [`MAX_FAILURE_DELAY`] (or the
/// interval itself when that is longer).
fn failure_delay(interval: Duration, failures: u32) -> Duration {
    let doubled = interval.saturating_mul(1 << failures.saturating_sub(1).min(8));
    doubled.min(MAX_FAILURE_DELAY.max(interval))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_channels_poll_less_often_within_a_bound() {
        let interval = Duration::from_secs(30);
        assert_eq!(failure_delay(interval, 1), interval);
        assert_eq!(failure_delay(interval, 2), Duration::from_secs(60));
        assert_eq!(failure_delay(interval, 50), MAX_FAILURE_DELAY);
        let slow = Duration::from_secs(900);
        assert_eq!(failure_delay(slow, 5), slow);
    }
}
