//! Sealing connection credentials before they reach the store.
//!
//! Credentials are sealed with XChaCha20-Poly1305 under the node's secret key, bound to
//! the connection they belong to (tenant, kind and code are the associated data, so a
//! sealed value copied onto another row does not open). A sealed value reads
//! `v1.{key id}.{base64(nonce ‖ ciphertext)}`; the key id (the first four bytes of the
//! key's SHA-256) says which key opens it, so keys can be rotated: the new key becomes
//! current, the old one stays as previous until every value is resealed (nodes reseal
//! what they open under a previous key).
//!
//! Every node of a fleet needs the same keys. The key comes from `ORDO_SECRET_KEY` (or a
//! file named by `ORDO_SECRET_KEY_FILE`), the previous one from `ORDO_SECRET_KEY_PREVIOUS`
//! (`_FILE`): 32 bytes as 64 hex digits or base64. Without one, an embedded node keeps a
//! generated key in a file next to its database.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::Mac;
use sha2::{Digest, Sha256};

/// One key and its id.
#[derive(Clone)]
struct Key {
    id: String,
    bytes: [u8; 32],
}

impl Key {
    fn new(bytes: [u8; 32]) -> Self {
        let id = hex::encode(&Sha256::digest(bytes)[..4]);
        Self { id, bytes }
    }
}

/// The keys credentials are sealed and opened with.
#[derive(Clone)]
pub struct SecretKeys {
    current: Key,
    previous: Vec<Key>,
}

impl std::fmt::Debug for SecretKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKeys")
            .field("current", &self.current.id)
            .field("previous", &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>())
            .finish()
    }
}

/// Why credentials cannot be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// A key is not 32 bytes of hex or base64.
    #[error("{0}")]
    BadKey(String),
    /// No key this node has opens the value (sealed under a key it was not given).
    #[error("sealed under key {0}, which this node does not have (set ORDO_SECRET_KEY_PREVIOUS?)")]
    UnknownKey(String),
    /// The value is damaged or was sealed for another connection.
    #[error("the sealed credentials do not open: damaged, or sealed for another connection")]
    Damaged,
}

/// Reads a key: 64 hex digits or base64 of 32 bytes, surrounding whitespace ignored.
pub fn parse_key(text: &str) -> Result<[u8; 32], SecretError> {
    let text = text.trim();
    let bytes = hex::decode(text)
        .ok()
        .or_else(|| STANDARD.decode(text).ok())
        .ok_or_else(|| SecretError::BadKey("a secret key must be 32 bytes as 64 hex digits or base64".into()))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| SecretError::BadKey(format!("a secret key must be 32 bytes, not {}", b.len())))
}

impl SecretKeys {
    /// Keys from their 32 bytes: the current one and any previous ones.
    pub fn new(current: [u8; 32], previous: impl IntoIterator<Item = [u8; 32]>) -> Self {
        Self {
            current: Key::new(current),
            previous: previous.into_iter().map(Key::new).collect(),
        }
    }

    /// A fresh random key (for an embedded node's key file, and tests).
    pub fn generate_key() -> [u8; 32] {
        rand::random()
    }

    /// The id of the key values are sealed under now.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `secrets` for the connection named by `context`.
    pub fn seal(&self, context: &str, secrets: &serde_json::Value) -> String {
        let cipher = XChaCha20Poly1305::new((&self.current.bytes).into());
        let nonce_bytes: [u8; 24] = rand::random();
        let plain = serde_json::to_vec(secrets).expect("JSON values serialise");
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce_bytes),
                Payload {
                    msg: &plain,
                    aad: context.as_bytes(),
                },
            )
            .expect("encryption of a bounded message cannot fail");
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        format!("v1.{}.{}", self.current.id, STANDARD.encode(out))
    }

    /// Opens a sealed value of the connection named by `context`; also says whether it was
    /// sealed under a previous key (and should be resealed).
    pub fn open(&self, context: &str, sealed: &str) -> Result<(serde_json::Value, bool), SecretError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SecretError::Damaged);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| SecretError::UnknownKey(id.to_owned()))?;
        let bytes = STANDARD.decode(body).map_err(|_| SecretError::Damaged)?;
        if bytes.len() < 24 {
            return Err(SecretError::Damaged);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let plain = XChaCha20Poly1305::new((&key.bytes).into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SecretError::Damaged)?;
        let value = serde_json::from_slice(&plain).map_err(|_| SecretError::Damaged)?;
        Ok((value, key.id != self.current.id))
    }

    /// A short fingerprint of credentials in clear, to tell versions apart without showing
    /// them: keyed, so it cannot be used to guess a short secret without the key.
    pub fn fingerprint(&self, secrets: &serde_json::Value) -> String {
        let key = Sha256::new_with_prefix(b"ordo-fingerprint")
            .chain_update(self.current.bytes)
            .finalize();
        let mut mac = <hmac::Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes keys of any length");
        mac.update(&serde_json::to_vec(secrets).expect("JSON values serialise"));
        format!("fp_{}", hex::encode(&mac.finalize().into_bytes()[..8]))
    }

    /// The keys from the environment (`ORDO_SECRET_KEY` / `_FILE`, and
    /// `ORDO_SECRET_KEY_PREVIOUS` / `_FILE`), or, without one, from `fallback`: a key file
    /// created on first use (mode 0600). `None` when neither is available.
    pub fn from_env(fallback: Option<&std::path::Path>) -> Result<Option<Self>, SecretError> {
        let read = |name: &str| -> Result<Option<[u8; 32]>, SecretError> {
            if let Ok(text) = std::env::var(name) {
                return parse_key(&text).map(Some);
            }
            if let Ok(path) = std::env::var(format!("{name}_FILE")) {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| SecretError::BadKey(format!("{name}_FILE {path}: {e}")))?;
                return parse_key(&text).map(Some);
            }
            Ok(None)
        };
        let previous = read("ORDO_SECRET_KEY_PREVIOUS")?;
        let current = match (read("ORDO_SECRET_KEY")?, fallback) {
            (Some(key), _) => key,
            (None, Some(path)) => key_file(path)?,
            (None, None) => return Ok(None),
        };
        Ok(Some(Self::new(current, previous)))
    }
}

/// The key kept in `path`, made on first use. Where there is no such folder (a store
/// opened elsewhere), a key for this process only: credentials from `ordo.toml` are sealed
/// again at each start, but ones saved through the API would not open after a restart.
fn key_file(path: &std::path::Path) -> Result<[u8; 32], SecretError> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return parse_key(&text);
    }
    if path
        .parent()
        .is_some_and(|dir| !dir.as_os_str().is_empty() && !dir.is_dir())
    {
        tracing::warn!(path = %path.display(), "no folder for a secret key file: credentials are sealed with a key for this process only; set ORDO_SECRET_KEY");
        return Ok(SecretKeys::generate_key());
    }
    let key = SecretKeys::generate_key();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(path)
        .and_then(|mut file| std::io::Write::write_all(&mut file, hex::encode(key).as_bytes()));
    match written {
        Ok(()) => {
            tracing::warn!(path = %path.display(), "generated a secret key for connection credentials; keep it with the database, and set ORDO_SECRET_KEY on every node of a fleet");
            Ok(key)
        }
        // Another process made it first: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            parse_key(&std::fs::read_to_string(path).map_err(|e| SecretError::BadKey(e.to_string()))?)
        }
        Err(error) => Err(SecretError::BadKey(format!("writing {}: {error}", path.display()))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sealed_credentials_open_only_for_their_connection_and_survive_rotation() {
        let old = SecretKeys::new([1; 32], []);
        let secrets = json!({"access_token": "shpat_123"});
        let sealed = old.seal("acme/channel/shopify", &secrets);
        assert!(!sealed.contains("shpat"), "{sealed}");
        assert_eq!(old.open("acme/channel/shopify", &sealed), Ok((secrets.clone(), false)));
        assert_eq!(old.open("globex/channel/shopify", &sealed), Err(SecretError::Damaged));
        let rotated = SecretKeys::new([2; 32], [[1; 32]]);
        assert_eq!(
            rotated.open("acme/channel/shopify", &sealed),
            Ok((secrets.clone(), true))
        );
        let resealed = rotated.seal("acme/channel/shopify", &secrets);
        assert_eq!(
            rotated.open("acme/channel/shopify", &resealed),
            Ok((secrets.clone(), false))
        );
        let new_only = SecretKeys::new([2; 32], []);
        assert!(matches!(
            new_only.open("acme/channel/shopify", &sealed),
            Err(SecretError::UnknownKey(_))
        ));
        assert_ne!(
            sealed,
            old.seal("acme/channel/shopify", &secrets),
            "a fresh nonce each time"
        );
        assert_eq!(old.fingerprint(&secrets), old.fingerprint(&secrets));
        assert_ne!(
            old.fingerprint(&secrets),
            old.fingerprint(&json!({"access_token": "other"}))
        );
    }

    #[test]
    fn keys_are_read_as_hex_or_base64() {
        assert_eq!(parse_key(&"ab".repeat(32)), Ok([0xab; 32]));
        assert_eq!(parse_key(&STANDARD.encode([7u8; 32])), Ok([7; 32]));
        assert!(parse_key("short").is_err());
    }
}
