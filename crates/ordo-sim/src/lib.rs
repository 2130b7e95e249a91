//! Simulators of the sales channels Ordo talks to.
//!
//! Each [`Sim`] is one platform's API on `127.0.0.1:<random port>`, serving the HTTP
//! contract of `docs/channel-apis.md`: the same endpoints, auth, pagination, rate-limit
//! answers, webhook headers and signatures, write-back endpoints and order field names as
//! the real platform. Ordo's connectors are pointed at it by `ordo demo` and by end-to-end
//! tests, so a connector that works against a simulator works against the platform.
//!
//! Orders live in memory. They are created, changed and broken on purpose through the
//! [`Sim`] handle or the same operations under `/_sim/` over HTTP: fields renamed (schema
//! drift), failures and latency injected, rate limits enforced. Every write-back call is
//! validated against the contract and recorded, so a test can assert what a connector sent.
//!
//! Beside the channels, [`WmsSimulator`] plays a warehouse (WMS / 3PL) that Ordo hands
//! orders to: a generic JSON API or ShipBob's, with signed callbacks as each order is
//! accepted, picked, packed and shipped (or shipped short), and the same kinds of faults.
//!
//! Layout: `sim` (the handle and its control operations), `state` (what the endpoints
//! share), `book` (the order book and snapshot pagination), `generate/*` (one order
//! rendered in each platform's shape, from published templates for Shopify, WooCommerce
//! and Amazon), `serve/*` (each platform's endpoints), `limit` (buckets), `faults`,
//! `rename`, `webhook`, `sign`, `control` (the `/_sim/` HTTP surface), `wms/*` (the
//! warehouse simulator).

#![recursion_limit = "256"]
#![warn(missing_docs)]

mod book;
mod config;
mod control;
mod faults;
mod generate;
mod limit;
mod rename;
mod serve;
mod sign;
mod sim;
mod state;
mod webhook;
mod wms;
mod writeback;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use config::{AmazonSettings, Credentials, RateLimit, RateLimits, SimConfig, WebhookTarget};
pub use sign::{sign_router, webhook_signature};
pub use sim::{Sim, Simulator};
pub use webhook::WebhookDelivery;
pub use wms::{
    FulfilmentState, WmsArrival, WmsCallback, WmsFulfilment, WmsKind, WmsLine, WmsReceived, WmsShipment, WmsSim,
    WmsSimConfig, WmsSimError, WmsSimulator, WmsStats, wms_callback_signature, wms_standard_webhook_signature,
};
pub use writeback::{WriteBack, WriteBackKind};

/// The Shopify location every simulated stock level belongs to
/// (`GET /admin/api/2024-10/locations.json` lists it).
pub const SHOPIFY_LOCATION_ID: u64 = 655_441_491;

/// The store hash of the simulated BigCommerce store: its API lives under
/// `/stores/{BIGCOMMERCE_STORE_HASH}/`.
pub const BIGCOMMERCE_STORE_HASH: &str = "simstore1";

/// A sales channel the simulator can play.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Shopify Admin REST API `2024-10`.
    Shopify,
    /// WooCommerce REST API `wc/v3`.
    #[serde(rename = "woocommerce")]
    WooCommerce,
    /// Amazon Selling Partner API: Orders v0 and Orders `2026-01-01` on one simulator.
    Amazon,
    /// Taobao / Tmall open platform router.
    Taobao,
    /// JD (Jingdong) open platform router.
    Jd,
    /// Douyin shop open platform.
    Douyin,
    /// Pinduoduo open platform router.
    Pinduoduo,
    /// Xiaohongshu (RED) open platform.
    Xiaohongshu,
    /// BigCommerce Management REST API: orders v2, inventory v3.
    BigCommerce,
    /// Magento 2 / Adobe Commerce REST API `V1`.
    Magento,
    /// Kuaishou shop (快手小店) open platform.
    Kuaishou,
    /// WeChat Channels shop (微信小店 / 视频号小店) API.
    Wechat,
}

impl Platform {
    /// Every platform, in a stable order.
    pub const ALL: [Platform; 12] = [
        Platform::Shopify,
        Platform::WooCommerce,
        Platform::Amazon,
        Platform::Taobao,
        Platform::Jd,
        Platform::Douyin,
        Platform::Pinduoduo,
        Platform::Xiaohongshu,
        Platform::BigCommerce,
        Platform::Magento,
        Platform::Kuaishou,
        Platform::Wechat,
    ];

    /// The short lower-case code Ordo uses for the platform in configuration and URLs.
    pub fn code(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::WooCommerce => "woocommerce",
            Platform::Amazon => "amazon",
            Platform::Taobao => "taobao",
            Platform::Jd => "jd",
            Platform::Douyin => "douyin",
            Platform::Pinduoduo => "pinduoduo",
            Platform::Xiaohongshu => "xiaohongshu",
            Platform::BigCommerce => "bigcommerce",
            Platform::Magento => "magento",
            Platform::Kuaishou => "kuaishou",
            Platform::Wechat => "wechat",
        }
    }

    /// The five platforms that use a signed "router" API.
    pub fn is_router(self) -> bool {
        matches!(
            self,
            Platform::Taobao | Platform::Jd | Platform::Douyin | Platform::Pinduoduo | Platform::Xiaohongshu
        )
    }

    /// The Chinese platforms: orders in CNY with Chinese buyers and addresses, and app
    /// key / secret credentials.
    pub fn is_chinese(self) -> bool {
        self.is_router() || matches!(self, Platform::Kuaishou | Platform::Wechat)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Platform {
    type Err = SimError;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .ok_or_else(|| SimError::InvalidConfig(format!("unknown platform {code:?}")))
    }
}

/// An order the simulator just created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedOrder {
    /// The platform's order id as Ordo stores it (Shopify `id`, Amazon `AmazonOrderId`,
    /// Taobao `tid_str`, JD `orderId`, Douyin `order_id`, Pinduoduo `order_sn`,
    /// Xiaohongshu `orderId`, Kuaishou `oid`, WeChat `order_id`, WooCommerce `id`,
    /// BigCommerce `id`, Magento `increment_id`),
    /// always as text.
    pub external_id: String,
    /// When the buyer placed it (also its first updated time).
    pub created_at: DateTime<Utc>,
}

/// A change to an existing order, as the buyer or the platform would make it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// The order is cancelled (Shopify `orders/cancelled`).
    Cancel,
    /// The whole order is refunded (Shopify `refunds/create` with a Refund body).
    Refund,
    /// An unpaid order is paid (Shopify `orders/updated`).
    Pay,
    /// The buyer changes the shipping address (Shopify `orders/updated`).
    AddressChange,
}

/// Counters of what the simulator did, for tests and the demo's display.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests received on the platform endpoints (not `/_sim/`), whatever the answer.
    pub requests: u64,
    /// Rate-limit answers: `429`s, or a router platform's "too many requests" error.
    pub rate_limited: u64,
    /// Answers replaced by an injected failure (`fail_next`, failure rate, down).
    pub failures_injected: u64,
    /// Write-back calls refused because their body broke the contract.
    pub writebacks_rejected: u64,
    /// Webhooks the receiver accepted with a 2xx.
    pub webhooks_sent: u64,
    /// Webhooks given up on after every attempt failed, or dropped on a full queue.
    pub webhooks_failed: u64,
}

/// Why a simulator operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The configuration cannot be served (wrong credential kind, no SKUs, bad numbers).
    #[error("invalid simulator configuration: {0}")]
    InvalidConfig(String),
    /// Binding the listener failed.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    /// No order has that external id.
    #[error("no order {0:?}")]
    UnknownOrder(String),
    /// The change does not apply to the order in its current state.
    #[error("cannot {change:?} order {external_id:?}: {reason}")]
    InvalidChange {
        /// The order.
        external_id: String,
        /// The refused change.
        change: Change,
        /// Why, in words.
        reason: String,
    },
    /// A rename path is malformed.
    #[error("invalid rename: {0}")]
    InvalidRename(String),
}
