//! Webhooks sent by the platforms themselves, checked by their own signature schemes.
//!
//! - Shopify signs the raw body with the app's client secret:
//!   `X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(secret, body))`.
//! - WooCommerce signs it with the webhook's secret:
//!   `X-WC-Webhook-Signature: base64(HMAC-SHA256(secret, body))`.
//! - Douyin (抖店 消息推送) signs it with the app's key and secret:
//!   `event-sign: hex(MD5(app_key + body + app_secret))`, the key in `app-id`; one body
//!   is a JSON array of messages (see [`douyin`]).
//!
//! Comparison is constant-time (`Mac::verify_slice`, or a fold over every byte). A payload with a missing or wrong
//! signature is kept in the inbox as `rejected` and answered 401: it is evidence, not input.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A platform whose webhooks Ordo verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookPlatform {
    /// Shopify.
    Shopify,
    /// WooCommerce.
    WooCommerce,
    /// Douyin shop (抖店) message push.
    Douyin,
}

impl HookPlatform {
    /// By URL segment.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "shopify" => Some(Self::Shopify),
            "woocommerce" => Some(Self::WooCommerce),
            "douyin" => Some(Self::Douyin),
            _ => None,
        }
    }

    /// The channel code its orders carry.
    pub fn channel(self) -> &'static str {
        match self {
            Self::Shopify => "shopify",
            Self::WooCommerce => "woocommerce",
            Self::Douyin => "douyin",
        }
    }

    /// The header carrying the signature.
    pub fn signature_header(self) -> &'static str {
        match self {
            Self::Shopify => "x-shopify-hmac-sha256",
            Self::WooCommerce => "x-wc-webhook-signature",
            Self::Douyin => douyin::SIGNATURE_HEADER,
        }
    }

    /// The header naming the event, e.g. `orders/create` or `order.updated`. Douyin names
    /// no event in a header: each message of the body carries its own `tag`.
    pub fn topic_header(self) -> &'static str {
        match self {
            Self::Shopify => "x-shopify-topic",
            Self::WooCommerce => "x-wc-webhook-topic",
            Self::Douyin => "x-douyin-no-topic",
        }
    }

    /// Whether `signature` is this platform's signature of `body` under `secret`;
    /// `app_id` is the sender's `app-id` header, which Douyin signs along with the body.
    pub fn verify(self, secret: &str, body: &[u8], signature: &str, app_id: Option<&str>) -> bool {
        match self {
            Self::Shopify | Self::WooCommerce => verify(secret, body, signature),
            Self::Douyin => app_id.is_some_and(|key| douyin::verify(key, secret, body, signature)),
        }
    }

    /// The orders a verified body says changed and are to be fetched again: the one a
    /// Shopify refund, fulfilment or edit names, or every order a Douyin batch names.
    pub fn refetches(self, topic: &str, body: &[u8]) -> Vec<String> {
        match self {
            Self::Douyin => douyin::orders_named(body),
            _ => {
                let route = self.route(topic);
                match route {
                    HookRoute::Refetch(_) => route.order_id(body).into_iter().collect(),
                    _ => Vec::new(),
                }
            }
        }
    }

    /// The mapping for a topic, or `None` for a topic that carries no order.
    pub fn mapping_for(self, topic: &str) -> Option<&'static str> {
        match self.route(topic) {
            HookRoute::Order(mapping) => Some(mapping),
            _ => None,
        }
    }

    /// What a topic's body is, and so where it goes. Only topics whose body is the
    /// platform's order resource reach the order mapping: a deletion is `{"id": …}`, an
    /// edit is an order edit, a refund or fulfilment its own resource.
    pub fn route(self, topic: &str) -> HookRoute {
        match (self, topic) {
            (
                Self::Shopify,
                "orders/create"
                | "orders/updated"
                | "orders/paid"
                | "orders/cancelled"
                | "orders/fulfilled"
                | "orders/partially_fulfilled",
            ) => HookRoute::Order("shopify.order"),
            (Self::Shopify, "refunds/create" | "fulfillments/create" | "fulfillments/update") => {
                HookRoute::Refetch("/order_id")
            }
            (Self::Shopify, "orders/edited") => HookRoute::Refetch("/order_edit/order_id"),
            (Self::Shopify, "orders/delete") | (Self::WooCommerce, "order.deleted") => HookRoute::Deleted("/id"),
            (Self::WooCommerce, "order.created" | "order.updated" | "order.restored") => {
                HookRoute::Order("woocommerce.order")
            }
            _ => HookRoute::Other,
        }
    }
}

pub mod douyin;

/// Where a verified webhook goes, by its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookRoute {
    /// The body is an order: map it with this mapping.
    Order(&'static str),
    /// The body names an order at this JSON pointer, which changed: fetch it again.
    Refetch(&'static str),
    /// The platform deleted the order named at this pointer: kept and noted, nothing to map.
    Deleted(&'static str),
    /// Nothing for orders (app, product, customer topics): kept in the inbox only.
    Other,
}

impl HookRoute {
    /// The order id a refetch or deletion names in `body`, as text.
    pub fn order_id(self, body: &[u8]) -> Option<String> {
        let (Self::Refetch(pointer) | Self::Deleted(pointer)) = self else {
            return None;
        };
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let id = value.pointer(pointer)?;
        id.as_u64()
            .map(|n| n.to_string())
            .or_else(|| id.as_str().map(str::to_owned))
    }
}

/// HMAC-SHA256 of `body` under `secret`, ready to finish or verify (shared with the
/// signatures Ordo itself puts on its outgoing webhooks).
pub(crate) fn mac(secret: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac
}

/// Whether `signature` (base64) is the HMAC-SHA256 of `body` under `secret`.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    mac(secret, body).verify_slice(&expected).is_ok()
}

/// The signature a platform would send (for simulators and tests).
pub fn sign(secret: &str, body: &[u8]) -> String {
    STANDARD.encode(mac(secret, body).finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_and_secret() {
        let signature = sign("hush", b"{\"id\":1}");
        assert!(verify("hush", b"{\"id\":1}", &signature));
        assert!(!verify("hush", b"{\"id\":2}", &signature));
        assert!(!verify("other", b"{\"id\":1}", &signature));
        assert!(!verify("hush", b"{\"id\":1}", "not base64!"));
        // Known answer: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        assert_eq!(
            sign("key", b"The quick brown fox jumps over the lazy dog"),
            "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
        );
    }
}
