//! Signatures: the router platforms' request signature and the webhooks' body signature.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac(secret: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The router signature of `docs/channel-apis.md`: every parameter except `sign`, sorted
/// by key (byte order), concatenated as key then value with no separators, then
/// `upper(hex(HMAC-SHA256(app_secret, that string)))`.
///
/// The simulators verify requests with this function; connectors can test their own
/// signing against it.
///
/// ```
/// let sign = ordo_sim::sign_router("secret", [("method", "x.y"), ("app_key", "k"), ("sign", "ignored")]);
/// assert_eq!(sign, ordo_sim::sign_router("secret", [("app_key", "k"), ("method", "x.y")]));
/// assert_eq!(sign.len(), 64);
/// ```
pub fn sign_router<I, K, V>(app_secret: &str, params: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut pairs: Vec<(String, String)> = params
        .into_iter()
        .filter(|(k, _)| k.as_ref() != "sign")
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
        .collect();
    pairs.sort();
    let message: String = pairs.into_iter().map(|(k, v)| k + &v).collect();
    hex::encode_upper(hmac(app_secret.as_bytes(), message.as_bytes()))
}

/// `base64(HMAC-SHA256(secret, raw body))`, the value of `X-Shopify-Hmac-Sha256` and
/// `X-WC-Webhook-Signature`.
pub fn webhook_signature(secret: &str, body: &[u8]) -> String {
    STANDARD.encode(hmac(secret.as_bytes(), body))
}

/// Compares two signatures without leaking where they differ.
pub(crate) fn same_signature(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn router_signature_is_upper_hex_hmac_of_sorted_pairs() {
        let expected = hex::encode_upper(hmac(b"s3", b"app_keyAmethodm.x"));
        assert_eq!(sign_router("s3", [("method", "m.x"), ("app_key", "A")]), expected);
    }

    #[test]
    fn webhook_signature_matches_a_known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let sig = webhook_signature("Jefe", b"what do ya want for nothing?");
        let raw = STANDARD.decode(sig).unwrap();
        assert_eq!(
            hex::encode(raw),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
