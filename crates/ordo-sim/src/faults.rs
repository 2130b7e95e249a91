//! Failure injection: an outage, the next N answers failing, a random failure rate and
//! added latency, applied in front of every platform endpoint (never `/_sim/`), so that
//! connectors' retries, backoff and timeouts can be exercised on purpose.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::serve::failure_response;
use crate::state::Shared;

/// A status for an injected failure: any 4xx or 5xx; anything else becomes 500.
pub(crate) fn error_status(status: u16) -> StatusCode {
    StatusCode::from_u16(status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(crate) struct Faults {
    down: bool,
    fail_next: u32,
    fail_status: StatusCode,
    failure_rate: f64,
    latency: Duration,
    /// Its own generator, so that injected failures do not change the generated orders.
    rng: StdRng,
}

impl Faults {
    pub fn new(seed: u64) -> Self {
        Faults {
            down: false,
            fail_next: 0,
            fail_status: StatusCode::INTERNAL_SERVER_ERROR,
            failure_rate: 0.0,
            latency: Duration::ZERO,
            rng: StdRng::seed_from_u64(seed ^ 0x5eed_fa11),
        }
    }

    pub fn set_down(&mut self, down: bool) {
        self.down = down;
    }

    /// The next `count` requests fail with `status` (replacing an earlier setting).
    pub fn fail_next(&mut self, count: u32, status: StatusCode) {
        self.fail_next = count;
        self.fail_status = status;
    }

    /// Clamped to [0, 1]; NaN counts as 0.
    pub fn set_failure_rate(&mut self, rate: f64) {
        self.failure_rate = if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) };
    }

    pub fn set_latency(&mut self, latency: Duration) {
        self.latency = latency;
    }

    /// Decides the fate of one request: a failure status or `None`, and the delay.
    fn decide(&mut self) -> (Option<StatusCode>, Duration) {
        let failure = if self.down {
            Some(StatusCode::SERVICE_UNAVAILABLE)
        } else if self.fail_next > 0 {
            self.fail_next -= 1;
            Some(self.fail_status)
        } else if self.failure_rate > 0.0 && self.rng.random_bool(self.failure_rate) {
            Some(StatusCode::INTERNAL_SERVER_ERROR)
        } else {
            None
        };
        (failure, self.latency)
    }
}

/// The middleware: counts the request, waits the latency, then answers the injected
/// failure in the platform's error shape or passes the request on.
pub(crate) async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    shared.stats.count_request();
    let (failure, latency) = shared.faults.lock().expect("faults lock").decide();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match failure {
        Some(status) => {
            shared.stats.count_failure();
            failure_response(shared.config.platform, status)
        }
        None => next.run(request).await,
    }
}
