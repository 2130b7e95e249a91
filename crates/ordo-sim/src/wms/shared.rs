//! What the warehouse endpoints, the ticker and the handle share, and the operations
//! they all use: submitting, cancelling, shipping at once and taking due steps, each
//! turning the steps taken into queued callbacks after the book's lock is released.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::mpsc;

use super::book::{Book, Cancelled, Submitted, public_id};
use super::callback::{self, Batch};
use super::config::{WmsKind, WmsSimConfig};
use super::faults::{Arrival, Faults};
use super::fulfilment::{Fulfilment, Timing};
use super::input::NewFulfilment;
use super::returns::{self, ReturnedLine, Returns};
use super::{FulfilmentState, WmsArrival, WmsCallback, WmsSimError, WmsStats, shipbob};
use crate::serve::json_response;

/// At most this many arrivals are kept; older ones are dropped first.
const MAX_ARRIVALS: usize = 200_000;

/// Counters behind [`WmsStats`]; atomics so that endpoints never contend on them.
#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub created: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected: AtomicU64,
    pub unauthorized: AtomicU64,
    pub failures_injected: AtomicU64,
    pub cancelled: AtomicU64,
    pub shipped: AtomicU64,
    pub short_shipped: AtomicU64,
    pub callbacks_sent: AtomicU64,
    pub callbacks_failed: AtomicU64,
    pub returned: AtomicU64,
}

impl Counters {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> WmsStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        WmsStats {
            requests: read(&self.requests),
            created: read(&self.created),
            duplicates: read(&self.duplicates),
            rejected: read(&self.rejected),
            unauthorized: read(&self.unauthorized),
            failures_injected: read(&self.failures_injected),
            cancelled: read(&self.cancelled),
            shipped: read(&self.shipped),
            short_shipped: read(&self.short_shipped),
            callbacks_sent: read(&self.callbacks_sent),
            callbacks_failed: read(&self.callbacks_failed),
            returned: read(&self.returned),
        }
    }
}

/// Everything behind one warehouse simulator. Locks are plain mutexes, never held across
/// an await, and callbacks are rendered under the book's lock but sent after it.
pub(crate) struct Shared {
    pub config: WmsSimConfig,
    pub base_url: String,
    /// `Bearer <token>`, built once.
    pub bearer: String,
    pub book: Mutex<Book>,
    pub faults: Faults,
    pub stats: Counters,
    pub callbacks: Mutex<VecDeque<WmsCallback>>,
    pub arrivals: Mutex<VecDeque<WmsArrival>>,
    /// The return rate and the reports sent.
    pub returns: Returns,
    outbox: mpsc::Sender<Batch>,
}

impl Shared {
    pub fn new(config: WmsSimConfig, base_url: String, outbox: mpsc::Sender<Batch>) -> Self {
        let timing = Timing {
            accept: config.accept_delay,
            pick: config.pick_delay,
            pack: config.pack_delay,
            ship: config.ship_delay,
        };
        Shared {
            bearer: format!("Bearer {}", config.token),
            book: Mutex::new(Book::new(config.seed, timing)),
            faults: Faults::new(config.fail_rate, config.short_ship_rate, config.latency, config.seed),
            stats: Counters::default(),
            callbacks: Mutex::new(VecDeque::new()),
            arrivals: Mutex::new(VecDeque::new()),
            returns: Returns::new(),
            outbox,
            base_url,
            config,
        }
    }

    pub fn kind(&self) -> WmsKind {
        self.config.kind
    }

    /// Whether the `Authorization` header carries the configured token.
    pub fn authorized(&self, headers: &axum::http::HeaderMap) -> bool {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let authorized = given.is_some_and(|given| crate::sign::same_signature(given, &self.bearer));
        if !authorized {
            Counters::count(&self.stats.unauthorized);
        }
        authorized
    }

    /// The API's own `503`.
    pub fn unavailable(&self) -> Response {
        let status = StatusCode::SERVICE_UNAVAILABLE;
        match self.kind() {
            WmsKind::Generic => json_response(status, &json!({"error": "warehouse unavailable", "field": null})),
            WmsKind::ShipBob => shipbob::problem(status, "Service Unavailable", None),
        }
    }

    /// Records a submit that was read, first or repeated.
    pub fn arrived(&self, arrival: WmsArrival) {
        let mut arrivals = self.arrivals.lock().expect("arrivals lock");
        if arrivals.len() >= MAX_ARRIVALS {
            arrivals.pop_front();
        }
        arrivals.push_back(arrival);
    }

    /// Stores a request (or finds its earlier fulfilment) and renders it with `view`
    /// under the same lock.
    pub fn submit<R>(
        &self,
        request: NewFulfilment,
        arrival: Arrival,
        view: impl FnOnce(&Fulfilment) -> R,
    ) -> (Submitted, Option<R>) {
        let mut book = self.book.lock().expect("book lock");
        let submitted = book.submit(request, &self.config.carriers, arrival.at, arrival.at_utc);
        let counter = match submitted {
            Submitted::Created(_) => &self.stats.created,
            Submitted::Existing(_) => &self.stats.duplicates,
            Submitted::Full => &self.stats.rejected,
        };
        Counters::count(counter);
        let rendered = match submitted {
            Submitted::Created(seq) | Submitted::Existing(seq) => book.get(seq).map(view),
            Submitted::Full => None,
        };
        (submitted, rendered)
    }

    /// Cancels a fulfilment and queues its callback; renders it with `view` afterwards.
    pub fn cancel<R>(&self, seq: u64, view: impl FnOnce(&Fulfilment) -> R) -> Option<(Cancelled, R)> {
        let at = Utc::now();
        let (outcome, rendered, batch) = {
            let mut book = self.book.lock().expect("book lock");
            let outcome = book.cancel(seq, at)?;
            let fulfilment = book.get(seq)?;
            let batch = match outcome {
                Cancelled::Now => self.steps_taken(fulfilment, &[FulfilmentState::Cancelled], at),
                _ => None,
            };
            (outcome, view(fulfilment), batch)
        };
        self.send(batch);
        Some((outcome, rendered))
    }

    /// Takes every remaining step of a fulfilment now. `None` if unknown; `Some(None)`
    /// if cancelled.
    pub fn ship_now<R>(&self, seq: u64, view: impl FnOnce(&Fulfilment) -> R) -> Option<Option<R>> {
        let at = Utc::now();
        let rate = self.faults.short_ship_rate();
        let (rendered, batch) = {
            let mut book = self.book.lock().expect("book lock");
            let steps = book.ship_now(seq, at, rate);
            let fulfilment = book.get(seq)?;
            match steps {
                None => (None, None),
                Some(steps) => (Some(view(fulfilment)), self.steps_taken(fulfilment, &steps, at)),
            }
        };
        self.send(batch);
        Some(rendered)
    }

    /// Takes every step due by now; the ticker calls this.
    pub fn run_due(&self) {
        let (now, at) = (Instant::now(), Utc::now());
        let rate = self.faults.short_ship_rate();
        let batches: Vec<Batch> = {
            let mut book = self.book.lock().expect("book lock");
            let due = book.run_due(now, at, rate);
            due.into_iter()
                .filter_map(|(seq, steps)| {
                    let fulfilment = book.get(seq)?;
                    self.steps_taken(fulfilment, &steps, at)
                })
                .collect()
        };
        for batch in batches {
            self.send(Some(batch));
        }
    }

    /// Counts the steps and renders their callbacks, if there is anywhere to send them.
    fn steps_taken(&self, fulfilment: &Fulfilment, steps: &[FulfilmentState], at: DateTime<Utc>) -> Option<Batch> {
        for step in steps {
            match step {
                FulfilmentState::Shipped => Counters::count(&self.stats.shipped),
                FulfilmentState::ShortShipped => Counters::count(&self.stats.short_shipped),
                FulfilmentState::Cancelled => Counters::count(&self.stats.cancelled),
                _ => {}
            }
        }
        let mut batch = callback::batch(self, fulfilment, steps, at);
        // A seeded share of what ships in full comes back, reported right after shipping.
        if steps.contains(&FulfilmentState::Shipped) && self.returns.comes_back(self.config.seed, fulfilment.seq) {
            let lines = returns::all_restocked(fulfilment);
            if let (Some(batch), Some((_, item, _))) =
                (batch.as_mut(), returns::report(self, fulfilment, &lines, None, at))
            {
                Counters::count(&self.stats.returned);
                batch.items.push(item);
            }
        }
        batch
    }

    /// Reports units of a shipped fulfilment back (every unit that shipped, restocked,
    /// when `lines` is empty) and queues the callback; answers the report's id.
    pub fn send_return(&self, seq: u64, lines: &[ReturnedLine], case_id: Option<&str>) -> Result<String, WmsSimError> {
        let kind = self.kind();
        let id = public_id(kind, seq);
        let at = Utc::now();
        let (batch, report_id) = {
            let book = self.book.lock().expect("book lock");
            let fulfilment = book
                .get(seq)
                .ok_or_else(|| WmsSimError::UnknownFulfilment(id.clone()))?;
            if !fulfilment.state.has_shipped() || fulfilment.shipped.is_empty() {
                return Err(WmsSimError::NotShipped(id));
            }
            let lines = if lines.is_empty() {
                returns::all_restocked(fulfilment)
            } else {
                lines.to_vec()
            };
            returns::batch(self, fulfilment, &lines, case_id, at)
                .ok_or_else(|| WmsSimError::InvalidConfig("no callback URL to send the return to".into()))?
        };
        self.send(Some(batch));
        Ok(report_id)
    }

    /// Queues callbacks without waiting; a full queue drops them, recorded as failed, so a
    /// receiver that is down for long cannot make the simulator grow without bound.
    fn send(&self, batch: Option<Batch>) {
        let Some(batch) = batch else { return };
        if let Err(error) = self.outbox.try_send(batch) {
            let batch = match error {
                mpsc::error::TrySendError::Full(batch) | mpsc::error::TrySendError::Closed(batch) => batch,
            };
            callback::record_dropped(self, batch);
        }
    }
}
