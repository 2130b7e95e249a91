//! Starting a warehouse simulator and driving it: the [`WmsSim`] handle, and the ticker
//! that moves fulfilments through their steps.
//!
//! The handle is cheap to clone. The simulator stops when [`WmsSim::stop`] is called or
//! the last clone is dropped; its tasks hold only the shared state, never the handle.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::middleware;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::book::parse_id;
use super::callback::{self, QUEUE_CAPACITY};
use super::config::{WmsKind, WmsSimConfig};
use super::faults::{self, Outage, SwitchableListener};
use super::shared::Shared;
use super::{WmsArrival, WmsCallback, WmsFulfilment, WmsReceived, WmsSimError, WmsStats, control, generic, shipbob};

/// How often due steps are taken. Steps land up to this late, small against the
/// default delays of 50 ms and more; and one wake-up takes every step due by then, so
/// the cost does not grow with the number of fulfilments in flight.
const TICK: Duration = Duration::from_millis(5);

/// Starts warehouse simulators.
pub struct WmsSimulator;

impl WmsSimulator {
    /// Binds `127.0.0.1:0` and starts serving the configured API, the ticker that moves
    /// fulfilments along and the callback dispatcher.
    pub async fn start(config: WmsSimConfig) -> Result<WmsSim, WmsSimError> {
        config.validate()?;
        let listener = faults::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let (outbox, queue) = mpsc::channel(QUEUE_CAPACITY);
        let shared = Arc::new(Shared::new(config, format!("http://{addr}"), outbox));
        let listener = SwitchableListener::new(listener, addr, shared.faults.watch_outage());
        let app = router(shared.clone());
        let mut stop = stop_rx.clone();
        let server = tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            };
            if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stopped).await {
                tracing::error!(%error, "warehouse simulator server failed");
            }
        });
        let ticker = tokio::spawn(run_ticker(shared.clone(), stop_rx.clone()));
        let dispatcher = tokio::spawn(callback::run_dispatcher(shared.clone(), queue, stop_rx));
        Ok(WmsSim {
            shared,
            addr,
            guard: Arc::new(Guard {
                stop: stop_tx,
                tasks: Mutex::new(vec![server, ticker, dispatcher]),
            }),
        })
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let api = match shared.kind() {
        WmsKind::Generic => generic::routes(),
        WmsKind::ShipBob => shipbob::routes(),
    };
    api.route_layer(middleware::from_fn_with_state(shared.clone(), faults::gate))
        .merge(control::routes())
        .with_state(shared)
}

async fn run_ticker(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => return,
            _ = tick.tick() => shared.run_due(),
        }
    }
}

/// Stops the simulator when the last handle goes away.
struct Guard {
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A running warehouse simulator. Clones share it.
#[derive(Clone)]
pub struct WmsSim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    guard: Arc<Guard>,
}

impl std::fmt::Debug for WmsSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WmsSim")
            .field("kind", &self.shared.kind())
            .field("addr", &self.addr)
            .finish()
    }
}

impl WmsSim {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address (kept across outages).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &WmsSimConfig {
        &self.shared.config
    }

    /// While down, new connections are refused and requests on connections already open
    /// are answered `503` with `Connection: close`.
    pub fn set_down(&self, down: bool) {
        let outage = if down { Outage::Refusing } else { Outage::None };
        self.shared.faults.set_outage(outage);
    }

    /// While unavailable, connections are accepted but every warehouse request is
    /// answered `503` (`/_sim/` keeps working).
    pub fn set_unavailable(&self, unavailable: bool) {
        let outage = if unavailable { Outage::Unavailable } else { Outage::None };
        self.shared.faults.set_outage(outage);
    }

    /// Share of submits, 0 to 1, answered `503` from now on.
    pub fn set_fail_rate(&self, rate: f64) {
        self.shared.faults.set_fail_rate(rate);
    }

    /// Share of fulfilments, 0 to 1, that ship short from now on (decided when each ships).
    pub fn set_short_ship_rate(&self, rate: f64) {
        self.shared.faults.set_short_ship_rate(rate);
    }

    /// Every warehouse request waits this long before it is answered.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.faults.set_latency(latency);
    }

    /// The first receipt of every request id, in arrival order.
    pub fn received(&self) -> Vec<WmsReceived> {
        self.shared.book.lock().expect("book lock").received()
    }

    /// Every submit read by the generic API, repeats included, in arrival order.
    pub fn arrivals(&self) -> Vec<WmsArrival> {
        self.shared
            .arrivals
            .lock()
            .expect("arrivals lock")
            .iter()
            .cloned()
            .collect()
    }

    /// Every fulfilment as it is now, oldest first.
    pub fn fulfilments(&self) -> Vec<WmsFulfilment> {
        let kind = self.shared.kind();
        let book = self.shared.book.lock().expect("book lock");
        book.all().iter().map(|f| f.view(kind)).collect()
    }

    /// One fulfilment by its id (`F-…`, or the ShipBob order id).
    pub fn fulfilment(&self, id: &str) -> Option<WmsFulfilment> {
        let kind = self.shared.kind();
        let book = self.shared.book.lock().expect("book lock");
        parse_id(kind, id).and_then(|seq| book.get(seq)).map(|f| f.view(kind))
    }

    /// Every finished callback (delivered or given up), oldest first.
    pub fn callbacks(&self) -> Vec<WmsCallback> {
        self.shared
            .callbacks
            .lock()
            .expect("callbacks lock")
            .iter()
            .cloned()
            .collect()
    }

    /// Counters so far.
    pub fn stats(&self) -> WmsStats {
        self.shared.stats.snapshot()
    }

    /// Takes every remaining step of a fulfilment now, sending each step's callback in
    /// order; a shipped one is returned as it is.
    pub fn ship_now(&self, id: &str) -> Result<WmsFulfilment, WmsSimError> {
        let kind = self.shared.kind();
        let unknown = || WmsSimError::UnknownFulfilment(id.to_owned());
        let seq = parse_id(kind, id).ok_or_else(unknown)?;
        match self.shared.ship_now(seq, |f| f.view(kind)) {
            Some(Some(view)) => Ok(view),
            Some(None) => Err(WmsSimError::Cancelled(id.to_owned())),
            None => Err(unknown()),
        }
    }

    /// Share of fulfilments, 0 to 1, that come back (every unit restocked) right after
    /// they ship in full, from now on; decided per fulfilment from the seed.
    pub fn set_return_rate(&self, rate: f64) {
        self.shared.returns.set_rate(rate);
    }

    /// Reports goods of a shipped fulfilment back to Ordo, signed like every callback:
    /// `lines` as (SKU, units, disposition: `restock`, `quarantine`, `write_off` or
    /// `missing`), or every unit that shipped, restocked, when empty; `case_id` is Ordo's
    /// case id when the return was announced with one. Answers the report's id (generic
    /// `event_id`, or `return:<ShipBob return id>`); each call is a new report.
    pub fn send_return(
        &self,
        id: &str,
        lines: &[(String, u32, String)],
        case_id: Option<&str>,
    ) -> Result<String, WmsSimError> {
        let seq = parse_id(self.shared.kind(), id).ok_or_else(|| WmsSimError::UnknownFulfilment(id.to_owned()))?;
        self.shared.send_return(seq, lines, case_id)
    }

    /// Stops serving and waits for the server, the ticker and the dispatcher to finish.
    pub async fn stop(&self) {
        let _ = self.guard.stop.send(true);
        let tasks: Vec<JoinHandle<()>> = self.guard.tasks.lock().expect("tasks lock").drain(..).collect();
        for task in tasks {
            let _ = task.await;
        }
    }
}
