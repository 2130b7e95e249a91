//! What Ordo tells a channel: tracking of a shipment, a cancellation, a sellable quantity,
//! the seller's decision on an after-sale the channel opened.
//!
//! These are the payloads of outbox messages (topics `channel.tracking`, `channel.cancel`,
//! `channel.stock`, `channel.aftersale`), serialised with a `type` tag. Delivery is at least once, so each
//! platform's write-back treats "already done" answers as success where it can tell.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ConnectError;

/// One write-back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum WriteBack {
    /// An order (or some of its lines) shipped.
    Tracking {
        /// The platform's order id.
        external_order_id: String,
        /// The carrier as the platform names it (Shopify company, WooCommerce provider,
        /// Amazon carrier code, the Chinese platforms' logistics company code or id).
        carrier: String,
        /// The tracking number.
        tracking_number: String,
        /// A tracking page, where the platform takes one (Shopify).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tracking_url: Option<String>,
        /// When the parcel left.
        shipped_at: DateTime<Utc>,
        /// The lines shipped; empty means the whole order. The Chinese platforms and
        /// WooCommerce ship whole orders.
        #[serde(default)]
        lines: Vec<TrackingLine>,
    },
    /// The order was cancelled in Ordo.
    Cancel {
        /// The platform's order id.
        external_order_id: String,
        /// Why (Shopify takes `customer`, `fraud`, `inventory`, `declined`, else `other`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The quantity the channel may sell of a SKU.
    Stock {
        /// The channel's SKU.
        sku: String,
        /// Sellable units; below zero is sent as zero.
        quantity: i64,
    },
    /// The seller decided on an after-sale the channel opened.
    #[serde(rename = "aftersale")]
    AfterSale {
        /// The channel's id of the after-sale (Taobao `refund_id`, Douyin `aftersale_id`).
        channel_case_id: String,
        /// The platform's order id.
        external_order_id: String,
        /// What the seller decided.
        decision: AfterSaleDecision,
        /// Why (a refusal's message to the buyer).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// A refund's amount, in minor units.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount: Option<i64>,
        /// Ordo's kind of the case (`refund_only`, `return_refund`, `exchange`, `reship`):
        /// the platforms review a refund and a return of goods with different calls.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
    },
}

/// The seller's decision on an after-sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AfterSaleDecision {
    /// Agreed: the refund goes ahead, or the buyer is to send the goods back.
    Approve,
    /// Refused.
    Refuse,
    /// The money was refunded: the platform is to pay it back.
    Refund,
}

impl AfterSaleDecision {
    /// The decision as the outbox message names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Refuse => "refuse",
            Self::Refund => "refund",
        }
    }

    /// Reads a message's decision.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "approve" => Some(Self::Approve),
            "refuse" => Some(Self::Refuse),
            "refund" => Some(Self::Refund),
            _ => None,
        }
    }
}

impl WriteBack {
    /// The outbox topic this message travels under.
    pub fn topic(&self) -> &'static str {
        match self {
            Self::Tracking { .. } => "channel.tracking",
            Self::Cancel { .. } => "channel.cancel",
            Self::Stock { .. } => "channel.stock",
            Self::AfterSale { .. } => "channel.aftersale",
        }
    }
}

/// One shipped line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingLine {
    /// The platform's line id (Shopify `line_items[].id`, Amazon `OrderItemId`).
    pub line_id: String,
    /// The SKU, for messages and platforms that address lines by SKU.
    pub sku: String,
    /// Units shipped.
    pub quantity: u32,
}

/// Why a write-back was not delivered, and what the outbox should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// Try again later (rate limit, platform down, Ordo's own retries exhausted).
    #[error("retry later: {message}")]
    Retry {
        /// How long the platform asked to wait, if it said.
        after: Option<Duration>,
        /// What happened, for the outbox record.
        message: String,
    },
    /// The platform refused it; sending it again would not help.
    #[error("refused ({code}): {message}")]
    Permanent {
        /// A stable code: `auth`, `config`, `unknown_sku`, `http_<status>`, a platform code…
        code: String,
        /// What the platform said.
        message: String,
    },
    /// The platform or connector cannot do this (e.g. Amazon cancellations).
    #[error("unsupported: {message}")]
    Unsupported {
        /// What is not supported, and why.
        message: String,
    },
}

impl From<ConnectError> for PushError {
    fn from(error: ConnectError) -> Self {
        match error {
            ConnectError::RateLimited { retry_after, message } => Self::Retry {
                after: retry_after,
                message,
            },
            ConnectError::Transient(message) => Self::Retry { after: None, message },
            ConnectError::Sink(e) => Self::Retry {
                after: None,
                message: e.message,
            },
            ConnectError::Unsupported(message) => Self::Unsupported { message },
            ConnectError::Rejected { code, message } => Self::Permanent { code, message },
            other => Self::Permanent {
                code: other.code().to_owned(),
                message: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_are_tagged_by_type() {
        let message = WriteBack::Tracking {
            external_order_id: "450789469".into(),
            carrier: "UPS".into(),
            tracking_number: "1Z999".into(),
            tracking_url: None,
            shipped_at: "2024-05-01T10:00:00Z".parse().unwrap(),
            lines: vec![TrackingLine {
                line_id: "466157049".into(),
                sku: "IPOD2008GREEN".into(),
                quantity: 1,
            }],
        };
        let stored = serde_json::to_value(&message).unwrap();
        assert_eq!(stored["type"], "tracking");
        assert_eq!(serde_json::from_value::<WriteBack>(stored).unwrap(), message);
        let stock: WriteBack = serde_json::from_value(json!({"type": "stock", "sku": "A", "quantity": 3})).unwrap();
        assert_eq!(stock.topic(), "channel.stock");
        let cancel: WriteBack = serde_json::from_value(json!({"type": "cancel", "external_order_id": "1"})).unwrap();
        assert_eq!(
            cancel,
            WriteBack::Cancel {
                external_order_id: "1".into(),
                reason: None
            }
        );
    }

    #[test]
    fn an_after_sale_decision_travels_tagged() {
        let message: WriteBack = serde_json::from_value(json!({
            "type": "aftersale", "channel_case_id": "120000000000000002",
            "external_order_id": "3000000000002", "decision": "refuse", "reason": "used",
        }))
        .unwrap();
        assert_eq!(message.topic(), "channel.aftersale");
        assert!(matches!(
            &message,
            WriteBack::AfterSale { decision: AfterSaleDecision::Refuse, reason: Some(r), amount: None, .. } if r == "used"
        ));
        let stored = serde_json::to_value(&message).unwrap();
        assert_eq!(serde_json::from_value::<WriteBack>(stored).unwrap(), message);
    }

    #[test]
    fn connect_errors_become_outbox_decisions() {
        let retry = PushError::from(ConnectError::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
            message: "x".into(),
        });
        assert!(matches!(retry, PushError::Retry { after: Some(d), .. } if d == Duration::from_secs(2)));
        let auth = PushError::from(ConnectError::Auth("401".into()));
        assert!(matches!(auth, PushError::Permanent { ref code, .. } if code == "auth"));
        assert!(matches!(
            PushError::from(ConnectError::Unsupported("x".into())),
            PushError::Unsupported { .. }
        ));
    }
}
