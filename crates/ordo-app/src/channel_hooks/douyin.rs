//! Douyin shop (抖店) message push (消息推送): the platform POSTs batches of messages to
//! the URL the app registered.
//!
//! What this module follows, and where it comes from. None of it was checked against a
//! live shop; it is read from Douyin's developer documentation as quoted by two client
//! libraries that implement it (the `doudian` Python SDK's `callback`, and the
//! `SKIT.FlurlHttpClient.ByteDance` DouyinShop event models, both citing
//! `op.jinritemai.com/docs/guide-docs/153/99` and `/docs/message-docs/30/*`):
//!
//! - headers `app-id` (the app key) and `event-sign`, the lower-case hex of
//!   `MD5(app_key + raw body + app_secret)`;
//! - the body is a JSON array (one request may carry several messages), each
//!   `{"tag": "100", "msg_id": "…", "data": "{\"p_id\": …, \"shop_id\": …}"}`: `data` is a
//!   JSON document in a string (an object is read as well);
//! - tag `0` is the check Douyin sends when the URL is registered; the trade messages
//!   (`doudian_trade_*`: created `100`, paid `101`, seller shipped `102`, cancelled `106`
//!   …) name the shop order in `data.p_id`;
//! - the receiver answers `{"code":0,"msg":"success"}` within a few seconds, or Douyin
//!   sends the batch again.
//!
//! Documentation only, not followed: the `sign-method` header for a SHA-256 variant of
//! the signature (no source found here states its exact form, so a body signed that way
//! is refused rather than guessed at), and the exact retry schedule.

use md5::{Digest, Md5};
use serde_json::Value;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "event-sign";
/// The header carrying the app key, which is signed along with the body.
pub const APP_ID_HEADER: &str = "app-id";
/// The answer Douyin expects for a batch it need not send again.
pub const SUCCESS: &str = r#"{"code":0,"msg":"success"}"#;
/// The tag of the check Douyin sends when the push URL is registered.
pub const TAG_VERIFY: &str = "0";
/// Order ids fetched again for one body at most: Douyin batches a shop's messages, and a
/// burst must not start unbounded fetches (the rest arrive by the next poll).
pub const MAX_REFETCHES_PER_BODY: usize = 100;

/// `hex(MD5(app_key + body + app_secret))`, as Douyin signs a push (for simulators and
/// tests).
pub fn sign(app_key: &str, app_secret: &str, body: &[u8]) -> String {
    let mut md5 = Md5::new();
    md5.update(app_key.as_bytes());
    md5.update(body);
    md5.update(app_secret.as_bytes());
    hex::encode(md5.finalize())
}

/// Whether `signature` is Douyin's signature of `body` for this app. Case is ignored (the
/// documentation shows lower case; a client library compares without case) and the
/// comparison takes the same time wherever the first difference lies.
pub fn verify(app_key: &str, app_secret: &str, body: &[u8], signature: &str) -> bool {
    let expected = sign(app_key, app_secret, body);
    let given = signature.trim().to_ascii_lowercase();
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// What a message is, by its tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The registration check (tag `0`): nothing to do but answer success.
    Verify,
    /// A message naming a shop order (`data.p_id`), which changed.
    Order(String),
    /// Anything else (product, refund without an order, unknown tags): kept only.
    Other,
}

/// One message of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The tag, as text (`"100"`); Douyin sends a string, a number is read as well.
    pub tag: String,
    /// The message id (`msg_id`, or `msgId` as one client library spells it).
    pub msg_id: Option<String>,
    /// What it is.
    pub kind: Kind,
}

/// The messages of a body; `None` when the body is not a batch (neither an array nor,
/// as one client library also accepts, a single message object).
pub fn messages(body: &[u8]) -> Option<Vec<Message>> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => return None,
    };
    Some(items.iter().map(message).collect())
}

fn message(item: &Value) -> Message {
    let tag = item.get("tag").and_then(text).unwrap_or_default();
    let msg_id = item.get("msg_id").or_else(|| item.get("msgId")).and_then(text);
    // `data` is a JSON document inside a string; an object is taken as it is.
    let data = match item.get("data") {
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let kind = if tag == TAG_VERIFY {
        Kind::Verify
    } else if is_trade_tag(&tag) {
        // Every trade message documented names its shop order in `p_id`; one without it
        // is kept like an unknown tag.
        data.get("p_id").and_then(text).map_or(Kind::Other, Kind::Order)
    } else {
        Kind::Other
    };
    Message { tag, msg_id, kind }
}

/// The trade (`doudian_trade_*`) tags, 100–199: created 100, paid 101, seller shipped 102,
/// completed 103, logistics changed 104, address changed 105, cancelled 106, partly
/// shipped 108, and the later amount, memo and appointment messages. All of them change
/// what Ordo holds of the order, so each is a reason to fetch it again.
fn is_trade_tag(tag: &str) -> bool {
    tag.parse::<u16>().is_ok_and(|n| (100..200).contains(&n))
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The shop orders a body names, each once, in order of first mention, at most
/// [`MAX_REFETCHES_PER_BODY`].
pub fn orders_named(body: &[u8]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for message in messages(body).unwrap_or_default() {
        if let Kind::Order(id) = message.kind
            && !ids.contains(&id)
        {
            if ids.len() == MAX_REFETCHES_PER_BODY {
                tracing::warn!(
                    limit = MAX_REFETCHES_PER_BODY,
                    "a Douyin push names more orders than are fetched at once; the rest wait for the next poll"
                );
                break;
            }
            ids.push(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_md5_of_key_body_and_secret() {
        // Known answer: MD5("The quick brown fox jumps over the lazy dog").
        assert_eq!(
            sign("The quick ", "lazy dog", b"brown fox jumps over the "),
            "9e107d9d372bb6826bd81d3542a419d6"
        );
        let body = br#"[{"tag":"100","msg_id":"1","data":"{}"}]"#;
        let signature = sign("key", "secret", body);
        assert!(verify("key", "secret", body, &signature));
        assert!(verify("key", "secret", body, &signature.to_uppercase()));
        assert!(!verify("key", "other", body, &signature));
        assert!(!verify("other", "secret", body, &signature));
        assert!(!verify("key", "secret", b"[]", &signature));
        assert!(!verify("key", "secret", body, ""));
    }

    #[test]
    fn a_batch_names_each_order_once_and_keeps_other_tags_apart() {
        let body = serde_json::json!([
            {"tag": "100", "msg_id": "a", "data": r#"{"p_id": 4781320682406083640, "shop_id": 1}"#},
            {"tag": "101", "msg_id": "b", "data": r#"{"p_id": "4781320682406083641"}"#},
            {"tag": 106, "msgId": "c", "data": {"p_id": 4781320682406083640_u64}},
            {"tag": "0", "msg_id": "d", "data": "{}"},
            {"tag": "9999", "msg_id": "e", "data": r#"{"p_id": 1}"#},
            {"tag": "102", "msg_id": "f", "data": "not json"},
        ]);
        let body = serde_json::to_vec(&body).unwrap();
        assert_eq!(
            orders_named(&body),
            vec!["4781320682406083640".to_owned(), "4781320682406083641".to_owned()]
        );
        let kinds: Vec<Kind> = messages(&body).unwrap().into_iter().map(|m| m.kind).collect();
        assert_eq!(kinds[2], Kind::Order("4781320682406083640".into()));
        assert_eq!(kinds[3], Kind::Verify);
        assert_eq!(kinds[4], Kind::Other, "an unknown tag is not an order");
        assert_eq!(kinds[5], Kind::Other, "a trade tag without p_id is kept only");
        assert!(messages(b"\"text\"").is_none());
        assert!(orders_named(b"not json").is_empty());
    }

    #[test]
    fn a_burst_is_cut_at_the_limit() {
        let items: Vec<_> = (0..MAX_REFETCHES_PER_BODY + 5)
            .map(|n| serde_json::json!({"tag": "101", "msg_id": n.to_string(), "data": format!("{{\"p_id\": {n}}}")}))
            .collect();
        let body = serde_json::to_vec(&items).unwrap();
        assert_eq!(orders_named(&body).len(), MAX_REFETCHES_PER_BODY);
    }
}
