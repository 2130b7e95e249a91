//! Write-backs received: what connectors sent to the platform, kept for assertions.
//!
//! A call is recorded only after its body passed the contract's checks; a refused call is
//! counted in [`crate::Stats::writebacks_rejected`] and leaves no record, as the platform
//! would have done nothing with it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a write-back asked the platform to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteBackKind {
    /// Shipment and tracking number (Shopify fulfillment, WooCommerce shipment tracking,
    /// Amazon shipment confirmation, each router platform's "send" method).
    Tracking,
    /// Order cancellation (Shopify cancel, WooCommerce `status: cancelled`).
    Cancel,
    /// Sellable quantity of a SKU (Shopify inventory level, WooCommerce product stock,
    /// Amazon listings patch).
    Stock,
    /// Another order status change: WooCommerce `status: completed` after tracking.
    Status,
    /// The seller's decision on an after-sale (Taobao agree or refuse, Douyin
    /// `afterSale.operate`).
    AfterSale,
}

/// One recorded write-back call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WriteBack {
    /// What it asked for.
    pub kind: WriteBackKind,
    /// The order's external id (tracking, cancel, status) or the SKU (stock).
    pub external_id_or_sku: String,
    /// The request body as received (router platforms: their business parameters).
    pub body: serde_json::Value,
    /// When it was received.
    pub at: DateTime<Utc>,
}

/// At most this many write-backs are kept; older ones are dropped first.
pub(crate) const MAX_WRITEBACKS: usize = 100_000;
