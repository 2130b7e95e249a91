//! Starting a simulator and driving it: the [`Sim`] handle.
//!
//! The handle is cheap to clone. The server stops when [`Sim::shutdown`] is called or the
//! last clone is dropped; the endpoints hold only the shared state, never the handle, so
//! dropping the handle is enough.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::book::MAX_ORDERS;
use crate::config::SimConfig;
use crate::generate::{self, GenInput, Status};
use crate::rename::Rename;
use crate::state::Shared;
use crate::webhook::{self, Event, WebhookDelivery};
use crate::writeback::WriteBack;
use crate::{Change, CreatedOrder, Platform, SimError, Stats};

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Binds `127.0.0.1:0`, starts serving the platform and, when a webhook target is
    /// configured, the webhook worker.
    pub async fn start(config: SimConfig) -> Result<Sim, SimError> {
        config.validate()?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let target = config.webhook.clone();
        let (webhook_tx, webhook_rx) = match target {
            Some(_) => {
                let (tx, rx) = mpsc::channel(webhook::QUEUE_CAPACITY);
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let shared = Arc::new(Shared::new(config, format!("http://{addr}"), webhook_tx));
        let mut tasks = Vec::new();
        if let (Some(target), Some(rx)) = (target, webhook_rx) {
            tasks.push(tokio::spawn(webhook::run_worker(
                shared.clone(),
                target,
                rx,
                stop_rx.clone(),
            )));
        }
        let app = crate::serve::router(shared.clone());
        let mut stop = stop_rx;
        tasks.push(tokio::spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            };
            if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(stopped).await {
                tracing::error!(%error, "simulator server failed");
            }
        }));
        Ok(Sim {
            shared,
            addr,
            guard: Arc::new(Guard {
                stop: stop_tx,
                tasks: Mutex::new(tasks),
            }),
        })
    }
}

/// Stops the server when the last handle goes away.
struct Guard {
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// A running simulator. Clones share it.
#[derive(Clone)]
pub struct Sim {
    shared: Arc<Shared>,
    addr: SocketAddr,
    guard: Arc<Guard>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("platform", &self.shared.platform())
            .field("addr", &self.addr)
            .finish()
    }
}

impl Sim {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.shared.ctx.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The platform it plays.
    pub fn platform(&self) -> Platform {
        self.shared.platform()
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Creates `n` paid orders now and pushes their `create` webhooks.
    pub fn create_orders(&self, n: usize) -> Vec<CreatedOrder> {
        self.shared.create_orders(n, true)
    }

    /// Creates `n` orders awaiting payment ([`Change::Pay`] pays them). JD and Pinduoduo
    /// list orders only once paid, as those platforms do.
    pub fn create_unpaid_orders(&self, n: usize) -> Vec<CreatedOrder> {
        self.shared.create_orders(n, false)
    }

    /// Changes an order as the buyer or platform would, bumps its updated time and pushes
    /// the matching webhook. Returns the new updated time.
    pub fn update_order(&self, external_id: &str, change: Change) -> Result<DateTime<Utc>, SimError> {
        self.shared.change_order(external_id, change)
    }

    /// From now on, every served or pushed order has the field at `from` moved to `to`
    /// (dotted paths; `line_items[].sku` addresses each line).
    pub fn rename_field(&self, from: &str, to: &str) -> Result<(), SimError> {
        let rename = Rename::parse(from, to)?;
        self.shared.renames.write().expect("renames lock").push(rename);
        Ok(())
    }

    /// Drops every rename.
    pub fn clear_renames(&self) {
        self.shared.renames.write().expect("renames lock").clear();
    }

    /// The renames in force, as `(from, to)`.
    pub fn renames(&self) -> Vec<(String, String)> {
        self.shared.renames().into_iter().map(|r| (r.from, r.to)).collect()
    }

    /// The next `n` platform requests are answered with `status` (any 4xx/5xx; others are
    /// treated as 500) in the platform's error shape.
    pub fn fail_next(&self, n: u32, status: u16) {
        let status = crate::faults::error_status(status);
        self.shared.faults.lock().expect("faults lock").fail_next(n, status);
    }

    /// Makes `rate` (0.0..=1.0) of paid Taobao, Douyin and Pinduoduo orders have an
    /// after-sale record in the platform's after-sale list (5 % by default).
    pub fn set_aftersale_rate(&self, rate: f64) {
        self.shared.set_aftersale_rate(rate);
    }

    /// The after-sale records the platform's after-sale list holds now (Taobao, Douyin,
    /// Pinduoduo; empty elsewhere), oldest change first, as the list writes them.
    pub fn aftersales(&self) -> Vec<serde_json::Value> {
        let platform = self.shared.platform();
        if !matches!(platform, Platform::Taobao | Platform::Douyin | Platform::Pinduoduo) {
            return Vec::new();
        }
        let permille = self.shared.aftersale_permille();
        let seed = self.shared.config.seed;
        let book = self.shared.book.lock().expect("book lock");
        book.all(|o| crate::serve::aftersale_of(platform, o, seed, permille))
            .into_iter()
            .map(|o| crate::serve::aftersale_decided(&self.shared, o))
            .collect()
    }

    /// Each platform request fails with a 500 with probability `p` (0 turns it off).
    pub fn set_failure_rate(&self, p: f64) {
        self.shared.faults.lock().expect("faults lock").set_failure_rate(p);
    }

    /// Every platform request waits `ms` milliseconds before it is answered.
    pub fn set_latency(&self, ms: u64) {
        self.shared
            .faults
            .lock()
            .expect("faults lock")
            .set_latency(Duration::from_millis(ms));
    }

    /// While down, every platform request is answered `503`.
    pub fn set_down(&self, down: bool) {
        self.shared.faults.lock().expect("faults lock").set_down(down);
    }

    /// Revokes every Login with Amazon access token handed out, so the next call gets the
    /// platform's 403 and the connector must refresh.
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens();
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    /// Every accepted write-back, oldest first.
    pub fn writebacks(&self) -> Vec<WriteBack> {
        self.shared
            .writebacks
            .lock()
            .expect("writebacks lock")
            .iter()
            .cloned()
            .collect()
    }

    /// Every finished webhook delivery (delivered or given up), oldest first.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared
            .deliveries
            .lock()
            .expect("deliveries lock")
            .iter()
            .cloned()
            .collect()
    }

    /// The order as the platform shows it now, renames applied (Amazon: the v0 Order with
    /// `OrderItems`; Xiaohongshu: the detail with `receiver`).
    pub fn order(&self, external_id: &str) -> Option<Value> {
        let book = self.shared.book.lock().expect("book lock");
        book.get(external_id).map(|o| self.shared.document(o))
    }

    /// External ids of every order, in creation order.
    pub fn order_ids(&self) -> Vec<String> {
        let book = self.shared.book.lock().expect("book lock");
        let mut orders: Vec<(u64, String)> = book
            .all(|_| true)
            .into_iter()
            .map(|o| (o.seq, o.external_id.clone()))
            .collect();
        orders.sort();
        orders.into_iter().map(|(_, id)| id).collect()
    }

    /// Stops serving and waits for the server and webhook worker to finish.
    pub async fn shutdown(&self) {
        let _ = self.guard.stop.send(true);
        let tasks: Vec<JoinHandle<()>> = self.guard.tasks.lock().expect("tasks lock").drain(..).collect();
        for task in tasks {
            let _ = task.await;
        }
    }
}

/// The operations behind both the handle and `/_sim/`.
impl Shared {
    pub(crate) fn create_orders(&self, n: usize, paid: bool) -> Vec<CreatedOrder> {
        let shared = self;
        let mut book = shared.book.lock().expect("book lock");
        let n = n.min(MAX_ORDERS.saturating_sub(book.len()));
        let mut created = Vec::with_capacity(n);
        for _ in 0..n {
            let now = Utc::now();
            let input = GenInput {
                platform: shared.platform(),
                skus: &shared.config.skus,
                seq: book.take_seq(),
                now,
                paid,
            };
            let order = generate::new_order(&input, &mut book.rng);
            let order = book.insert(order, now);
            shared.notify(order, Event::Created);
            created.push(CreatedOrder {
                external_id: order.external_id.clone(),
                created_at: order.created_at,
            });
        }
        created
    }

    pub(crate) fn change_order(&self, external_id: &str, change: Change) -> Result<DateTime<Utc>, SimError> {
        let shared = self;
        let mut book = shared.book.lock().expect("book lock");
        let order = book
            .get(external_id)
            .ok_or_else(|| SimError::UnknownOrder(external_id.to_owned()))?;
        let status = order.status();
        let refuse = |reason: &str| {
            Err(SimError::InvalidChange {
                external_id: external_id.to_owned(),
                change,
                reason: reason.to_owned(),
            })
        };
        let event = match (change, status) {
            (_, Status::Cancelled | Status::Refunded) => return refuse("the order is closed"),
            (Change::Cancel, _) => Event::Cancelled,
            (Change::Refund, Status::Unpaid) => return refuse("the order is not paid"),
            (Change::Refund, _) => Event::Refunded,
            (Change::Pay, Status::Unpaid) => Event::Updated,
            (Change::Pay, _) => return refuse("the order is already paid"),
            (Change::AddressChange, Status::Shipped | Status::Completed) => {
                return refuse("the order has shipped");
            }
            (Change::AddressChange, _) => Event::Updated,
        };
        let chinese = shared.platform().is_chinese();
        let address = (change == Change::AddressChange).then(|| generate::address(chinese, &mut book.rng));
        let now = Utc::now();
        let ((), order) = book
            .update(external_id, now, |order, at| match change {
                Change::Cancel => order.cancelled_at = Some(at),
                Change::Refund => order.refunded_at = Some(at),
                Change::Pay => order.paid_at = Some(at),
                Change::AddressChange => order.address = address.unwrap_or_else(|| order.address.clone()),
            })
            .ok_or_else(|| SimError::UnknownOrder(external_id.to_owned()))?;
        shared.notify(order, event);
        Ok(order.updated_at)
    }

    /// Makes every access token handed out expire now.
    pub(crate) fn expire_tokens(&self) {
        let now = std::time::Instant::now();
        for expiry in self.tokens.lock().expect("tokens lock").values_mut() {
            *expiry = now;
        }
    }
}
