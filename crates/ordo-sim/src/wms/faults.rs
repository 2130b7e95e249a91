//! Failure injection for the warehouse: an outage (connections refused, or every answer a
//! `503`), a share of submits answered `503`, and added latency. The rates and latency are
//! atomics and the outage a watch channel, so the request path never waits on a lock for
//! them.
//!
//! Refusing connections is done by closing the listening socket and binding the same port
//! again when the outage ends; connections a client already holds get `503` with
//! `Connection: close`, so the next request of theirs is refused too.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

use super::shared::Shared;
use super::tracking::unit;

/// Pending connections the kernel queues: a burst of a thousand clients connecting at
/// once must not see resets.
const BACKLOG: u32 = 1024;
/// Wait before trying again after the port cannot be bound or a connection not accepted
/// (out of file descriptors, say), so a persistent error does not spin.
const RETRY_WAIT: Duration = Duration::from_millis(20);
/// Salt of the failure-rate draws, apart from the short-ship ones.
const FAIL_DRAW: u64 = 0xfa11_0503;

/// The kind of outage in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outage {
    None,
    /// Every warehouse request is answered `503`.
    Unavailable,
    /// New connections are refused.
    Refusing,
}

pub(crate) struct Faults {
    outage: watch::Sender<Outage>,
    /// `f64` bits.
    fail_rate: AtomicU64,
    /// `f64` bits.
    short_ship_rate: AtomicU64,
    latency_us: AtomicU64,
    draws: AtomicU64,
    seed: u64,
}

/// Clamped to [0, 1]; NaN counts as 0.
fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) }
}

impl Faults {
    pub fn new(fail_rate: f64, short_ship_rate: f64, latency: Duration, seed: u64) -> Self {
        let faults = Faults {
            outage: watch::Sender::new(Outage::None),
            fail_rate: AtomicU64::new(0),
            short_ship_rate: AtomicU64::new(0),
            latency_us: AtomicU64::new(0),
            draws: AtomicU64::new(0),
            seed,
        };
        faults.set_fail_rate(fail_rate);
        faults.set_short_ship_rate(short_ship_rate);
        faults.set_latency(latency);
        faults
    }

    pub fn set_outage(&self, outage: Outage) {
        self.outage.send_replace(outage);
    }

    pub fn outage(&self) -> Outage {
        *self.outage.borrow()
    }

    pub fn watch_outage(&self) -> watch::Receiver<Outage> {
        self.outage.subscribe()
    }

    pub fn set_fail_rate(&self, rate: f64) {
        self.fail_rate.store(clamp_rate(rate).to_bits(), Ordering::Relaxed);
    }

    pub fn fail_rate(&self) -> f64 {
        f64::from_bits(self.fail_rate.load(Ordering::Relaxed))
    }

    pub fn set_short_ship_rate(&self, rate: f64) {
        self.short_ship_rate
            .store(clamp_rate(rate).to_bits(), Ordering::Relaxed);
    }

    pub fn short_ship_rate(&self) -> f64 {
        f64::from_bits(self.short_ship_rate.load(Ordering::Relaxed))
    }

    pub fn set_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_us.store(micros, Ordering::Relaxed);
    }

    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_us.load(Ordering::Relaxed))
    }

    /// Whether this submit is answered `503`: seeded draws, so a run repeats.
    pub fn should_fail(&self) -> bool {
        let rate = self.fail_rate();
        rate > 0.0 && unit(self.seed ^ FAIL_DRAW, self.draws.fetch_add(1, Ordering::Relaxed)) < rate
    }
}

/// When a request reached the simulator, before any injected latency.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arrival {
    pub at: Instant,
    pub at_utc: DateTime<Utc>,
}

impl Arrival {
    pub fn now() -> Self {
        Arrival {
            at: Instant::now(),
            at_utc: Utc::now(),
        }
    }
}

/// In front of every warehouse endpoint (never `/_sim/`): stamps the arrival, counts the
/// request, waits the latency, then answers an outage's `503` or passes the request on.
pub(crate) async fn gate(State(shared): State<Arc<Shared>>, mut request: Request, next: Next) -> Response {
    let arrival = Arrival::now();
    shared.stats.requests.fetch_add(1, Ordering::Relaxed);
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if shared.faults.outage() != Outage::None {
        shared.stats.failures_injected.fetch_add(1, Ordering::Relaxed);
        let mut response = shared.unavailable();
        // So that a pooled connection is not reused: the client's next request connects
        // anew and, when refusing, is refused.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    request.extensions_mut().insert(arrival);
    next.run(request).await
}

/// Binds a listener on `addr` that can be bound again right after it is closed.
pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    // Connections closed during an outage leave TIME_WAIT entries on the port; without
    // this the port could not be bound again until they expire.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// A listener that closes its socket while the outage is [`Outage::Refusing`].
pub(crate) struct SwitchableListener {
    listener: Option<TcpListener>,
    addr: SocketAddr,
    outage: watch::Receiver<Outage>,
}

impl SwitchableListener {
    pub fn new(listener: TcpListener, addr: SocketAddr, outage: watch::Receiver<Outage>) -> Self {
        SwitchableListener {
            listener: Some(listener),
            addr,
            outage,
        }
    }
}

impl axum::serve::Listener for SwitchableListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            if *self.outage.borrow_and_update() == Outage::Refusing {
                self.listener = None;
                if self.outage.changed().await.is_err() {
                    // The simulator is gone; nothing will end the outage.
                    std::future::pending::<()>().await;
                }
                continue;
            }
            if self.listener.is_none() {
                match bind(self.addr) {
                    Ok(listener) => self.listener = Some(listener),
                    Err(error) => {
                        tracing::warn!(%error, addr = %self.addr, "warehouse simulator cannot listen again yet");
                        tokio::time::sleep(RETRY_WAIT).await;
                        continue;
                    }
                }
            }
            let Some(listener) = self.listener.as_ref() else {
                continue;
            };
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(connection) => return connection,
                    Err(error) => {
                        tracing::debug!(%error, "warehouse simulator accept failed");
                        tokio::time::sleep(RETRY_WAIT).await;
                    }
                },
                changed = self.outage.changed() => {
                    if changed.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_clamped_and_a_full_rate_always_fails() {
        let faults = Faults::new(2.0, f64::NAN, Duration::from_millis(3), 1);
        assert_eq!(faults.fail_rate(), 1.0);
        assert_eq!(faults.short_ship_rate(), 0.0);
        assert_eq!(faults.latency(), Duration::from_millis(3));
        assert!((0..100).all(|_| faults.should_fail()));
        faults.set_fail_rate(0.0);
        assert!((0..100).all(|_| !faults.should_fail()));
    }
}
