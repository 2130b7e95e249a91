//! The state one simulator's endpoints and its handle share, and the small operations
//! over it that every platform needs: rendering with renames applied, charging a rate
//! limit, recording a write-back, pushing a webhook.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

use chrono::Utc;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::book::OrderBook;
use crate::config::{RateLimit, SimConfig};
use crate::faults::Faults;
use crate::generate::{self, SimOrder};
use crate::limit::{Admission, Buckets};
use crate::rename::{self, Rename};
use crate::webhook::{self, Event, Outgoing, WebhookDelivery};
use crate::writeback::{MAX_WRITEBACKS, WriteBack, WriteBackKind};
use crate::{Platform, Stats};

/// The published example payloads generated orders start from (see `templates/README.md`).
pub(crate) struct Templates {
    pub shopify_order: Value,
    pub shopify_refund: Value,
    pub woo_order: Value,
    pub amazon_v0_order: Value,
    pub amazon_v0_item: Value,
    pub amazon_2026_order: Value,
}

impl Templates {
    fn load() -> Self {
        fn parse(text: &str) -> Value {
            serde_json::from_str(text).expect("bundled templates are valid JSON")
        }
        let v0_orders = parse(include_str!("../templates/spapi_orders_v0_getOrders_example.json"));
        let v0_items = parse(include_str!("../templates/spapi_orders_v0_getOrderItems_example.json"));
        let search = parse(include_str!(
            "../templates/spapi_orders_2026-01-01_searchOrders_example.json"
        ));
        Templates {
            shopify_order: parse(include_str!("../templates/shopify_rest_order_single.json"))["order"].clone(),
            shopify_refund: parse(include_str!("../templates/shopify_webhook_2026-04_refunds_create.json")),
            woo_order: parse(include_str!("../templates/woocommerce_rest_v3_order_retrieve.json")),
            amazon_v0_order: v0_orders["payload"]["Orders"][0].clone(),
            // The second example item is the plain one (no COD, points or gift options).
            amazon_v0_item: v0_items["payload"]["OrderItems"][1].clone(),
            amazon_2026_order: search["orders"][0].clone(),
        }
    }
}

/// What a renderer needs besides the order.
pub(crate) struct RenderCtx {
    pub platform: Platform,
    pub currency: String,
    pub base_url: String,
    pub marketplace_id: String,
    pub templates: Templates,
}

/// Counters behind [`Stats`]; atomics so that endpoints never contend on them.
#[derive(Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    rate_limited: AtomicU64,
    failures_injected: AtomicU64,
    writebacks_rejected: AtomicU64,
    pub webhooks_sent: AtomicU64,
    pub webhooks_failed: AtomicU64,
}

impl Counters {
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_failure(&self) {
        self.failures_injected.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }
    pub fn snapshot(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            rate_limited: self.rate_limited.load(Ordering::Relaxed),
            failures_injected: self.failures_injected.load(Ordering::Relaxed),
            writebacks_rejected: self.writebacks_rejected.load(Ordering::Relaxed),
            webhooks_sent: self.webhooks_sent.load(Ordering::Relaxed),
            webhooks_failed: self.webhooks_failed.load(Ordering::Relaxed),
        }
    }
}

/// Everything behind one simulator. Locks are plain mutexes, never held across an await.
pub(crate) struct Shared {
    pub config: SimConfig,
    pub ctx: RenderCtx,
    pub book: Mutex<OrderBook>,
    pub renames: RwLock<Vec<Rename>>,
    pub faults: Mutex<Faults>,
    pub buckets: Mutex<Buckets>,
    pub stats: Counters,
    pub writebacks: Mutex<VecDeque<WriteBack>>,
    pub deliveries: Mutex<VecDeque<WebhookDelivery>>,
    pub webhook_tx: Option<mpsc::Sender<Outgoing>>,
    pub webhook_seq: AtomicU64,
    /// Login with Amazon access tokens handed out, with their expiry.
    pub tokens: Mutex<HashMap<String, Instant>>,
    /// Restricted Data Tokens handed out, with the one resource path each opens.
    pub restricted: Mutex<HashMap<String, String>>,
    /// Stock level per configured SKU, by index.
    pub stock: Mutex<Vec<i64>>,
    /// Of paid orders, how many in a thousand have an after-sale record (Taobao, Douyin,
    /// Pinduoduo).
    pub aftersale_permille: std::sync::atomic::AtomicU32,
    /// After-sale statuses the seller's decisions set, by order number (`seq`), in the
    /// platform's own words or codes.
    pub aftersale_decisions: Mutex<HashMap<u64, Value>>,
}

/// One paid order in twenty has an after-sale record unless told otherwise.
const DEFAULT_AFTERSALE_PERMILLE: u32 = 50;

impl Shared {
    pub fn new(config: SimConfig, base_url: String, webhook_tx: Option<mpsc::Sender<Outgoing>>) -> Self {
        let ctx = RenderCtx {
            platform: config.platform,
            currency: config.currency.clone(),
            base_url,
            marketplace_id: config.amazon.marketplace_id.clone(),
            templates: Templates::load(),
        };
        Shared {
            book: Mutex::new(OrderBook::new(config.seed, config.platform == Platform::Xiaohongshu)),
            faults: Mutex::new(Faults::new(config.seed)),
            stock: Mutex::new(vec![config.initial_stock; config.skus.len()]),
            ctx,
            config,
            renames: RwLock::new(Vec::new()),
            buckets: Mutex::new(Buckets::default()),
            stats: Counters::default(),
            writebacks: Mutex::new(VecDeque::new()),
            deliveries: Mutex::new(VecDeque::new()),
            webhook_tx,
            webhook_seq: AtomicU64::new(1),
            tokens: Mutex::new(HashMap::new()),
            restricted: Mutex::new(HashMap::new()),
            aftersale_permille: std::sync::atomic::AtomicU32::new(DEFAULT_AFTERSALE_PERMILLE),
            aftersale_decisions: Mutex::new(HashMap::new()),
        }
    }

    /// Of paid orders, how many in a thousand have an after-sale record.
    pub fn aftersale_permille(&self) -> u32 {
        self.aftersale_permille.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets the share of paid orders with an after-sale record (0.0..=1.0).
    pub fn set_aftersale_rate(&self, rate: f64) {
        let permille = (rate.clamp(0.0, 1.0) * 1000.0).round() as u32;
        self.aftersale_permille
            .store(permille, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn platform(&self) -> Platform {
        self.config.platform
    }

    /// The renames in force (cloned: renders happen outside the lock).
    pub fn renames(&self) -> Vec<Rename> {
        self.renames.read().expect("renames lock").clone()
    }

    /// Applies the renames in force to one order object.
    pub fn renamed(&self, mut value: Value) -> Value {
        rename::apply_all(&self.renames(), &mut value);
        value
    }

    /// The order's main document in the platform's shape, renames applied: what the
    /// single-order endpoint serves and what Ordo stores (Amazon: the v0 Order with its
    /// `OrderItems`; Xiaohongshu: the detail with `receiver`; BigCommerce: the order with
    /// its `products` and `shipping_addresses`).
    pub fn document(&self, order: &SimOrder) -> Value {
        let ctx = &self.ctx;
        let value = match ctx.platform {
            Platform::Shopify => generate::shopify::order(ctx, order),
            Platform::WooCommerce => generate::woo::order(ctx, order),
            Platform::BigCommerce => generate::bigcommerce::document(ctx, order),
            Platform::Magento => generate::magento::order(ctx, order),
            Platform::Amazon => {
                let mut doc = generate::amazon::v0_order(ctx, order);
                doc["OrderItems"] = generate::amazon::v0_items(ctx, order).into();
                doc
            }
            Platform::Xiaohongshu => {
                let mut doc = generate::china::xhs_detail(order);
                doc["receiver"] = generate::china::xhs_receiver(order);
                doc
            }
            Platform::Kuaishou => generate::kuaishou::order(order),
            Platform::Wechat => generate::wechat::order(order),
            other => generate::china::order(other, order),
        };
        self.renamed(value)
    }

    /// Charges one request to a bucket; a refusal is counted.
    pub fn admit(&self, bucket: &'static str, limit: Option<RateLimit>) -> Admission {
        let admission = self.buckets.lock().expect("buckets lock").admit(bucket, limit);
        if matches!(admission, Admission::Limited { .. }) {
            self.stats.count_rate_limited();
        }
        admission
    }

    /// Records an accepted write-back.
    pub fn record(&self, kind: WriteBackKind, external_id_or_sku: &str, body: Value) {
        let mut log = self.writebacks.lock().expect("writebacks lock");
        if log.len() >= MAX_WRITEBACKS {
            log.pop_front();
        }
        log.push_back(WriteBack {
            kind,
            external_id_or_sku: external_id_or_sku.to_owned(),
            body,
            at: Utc::now(),
        });
    }

    /// Counts a write-back refused for its body.
    pub fn reject(&self) {
        self.stats.writebacks_rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// Queues the webhook(s) the platform sends for `event` on `order`, if a target is
    /// configured and the platform pushes. Never waits: delivery is the worker's job.
    pub fn notify(&self, order: &SimOrder, event: Event) {
        let Some(tx) = &self.webhook_tx else {
            return;
        };
        for outgoing in webhook::outgoing(self, order, event) {
            let external_id = outgoing.external_id.clone();
            let topic = outgoing.topic.clone();
            if tx.try_send(outgoing).is_err() {
                webhook::record_dropped(self, &topic, &external_id);
            }
        }
    }
}
