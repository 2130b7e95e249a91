//! What every connector test needs: an in-memory Ordo, channel configurations pointed at a
//! local stand-in platform, and the fixtures.

#![allow(dead_code)]

pub mod mapped;
pub mod router;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ordo_connect::{ChannelConfig, ChannelSink, Platform, SinkError};
use serde_json::Value;
use wiremock::{Match, Request};

/// One payload as the sink received it.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub channel: String,
    pub mapping: String,
    pub payload: Value,
}

/// Ordo in memory: cursors in a map, payloads in a list, and a switch that makes the store
/// refuse payloads from the n-th one on.
#[derive(Debug, Default)]
pub struct MemorySink {
    cursors: Mutex<HashMap<String, Value>>,
    saves: Mutex<Vec<(String, Value)>>,
    ingested: Mutex<Vec<Ingested>>,
    refuse_from: Mutex<Option<usize>>,
}

impl MemorySink {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// From now on, ingest call number `n` (counting all calls so far, from 0) and later fail.
    pub fn refuse_from(&self, n: usize) {
        *self.refuse_from.lock().unwrap() = Some(n);
    }

    pub fn accept_all(&self) {
        *self.refuse_from.lock().unwrap() = None;
    }

    pub fn ingested(&self) -> Vec<Ingested> {
        self.ingested.lock().unwrap().clone()
    }

    pub fn payloads(&self) -> Vec<Value> {
        self.ingested().into_iter().map(|i| i.payload).collect()
    }

    /// The value at `key` of every payload, as text.
    pub fn ids(&self, key: &str) -> Vec<String> {
        self.payloads().iter().map(|p| text(&p[key])).collect()
    }

    pub fn cursor(&self, channel: &str) -> Option<Value> {
        self.cursors.lock().unwrap().get(channel).cloned()
    }

    pub fn set_cursor(&self, channel: &str, cursor: Value) {
        self.cursors.lock().unwrap().insert(channel.to_owned(), cursor);
    }

    /// Every cursor saved, in order.
    pub fn saves(&self) -> Vec<(String, Value)> {
        self.saves.lock().unwrap().clone()
    }
}

#[async_trait]
impl ChannelSink for MemorySink {
    async fn load_cursor(&self, channel: &str) -> Result<Option<Value>, SinkError> {
        Ok(self.cursor(channel))
    }

    async fn save_cursor(&self, channel: &str, cursor: &Value) -> Result<(), SinkError> {
        self.cursors.lock().unwrap().insert(channel.to_owned(), cursor.clone());
        self.saves.lock().unwrap().push((channel.to_owned(), cursor.clone()));
        Ok(())
    }

    async fn ingest(&self, channel: &str, mapping: &str, payload: Value) -> Result<(), SinkError> {
        let mut ingested = self.ingested.lock().unwrap();
        let calls = ingested.len();
        if self.refuse_from.lock().unwrap().is_some_and(|n| calls >= n) {
            return Err(SinkError::new("store unavailable"));
        }
        ingested.push(Ingested {
            channel: channel.to_owned(),
            mapping: mapping.to_owned(),
            payload,
        });
        Ok(())
    }
}

/// A channel of `platform` at `base_url` with test credentials, a generous budget and
/// short backoff, so tests wait on what they test and nothing else.
pub fn config(code: &str, platform: Platform, base_url: &str) -> ChannelConfig {
    let mut config = ChannelConfig::new(code, platform, base_url);
    config.access_token = Some("shpat_test".into());
    config.consumer_key = Some("ck_test".into());
    config.consumer_secret = Some("cs_test".into());
    config.lwa_client_id = Some("amzn1.application-oa2-client.test".into());
    config.lwa_client_secret = Some("lwa-secret".into());
    config.refresh_token = Some("Atzr|refresh".into());
    config.marketplace_id = Some("ATVPDKIKX0DER".into());
    config.seller_id = Some("A2SELLER".into());
    config.app_key = Some("app-key".into());
    config.app_secret = Some(APP_SECRET.into());
    config.session = Some("session-token".into());
    config.budget.requests_per_second = Some(1000.0);
    config.budget.burst = Some(1000);
    config.backoff.base_ms = 20;
    config.backoff.max_ms = 60;
    config.backoff.max_attempts = 4;
    config.request_timeout_ms = 3_000;
    config
}

/// The app secret test channels of the Chinese platforms sign with.
pub const APP_SECRET: &str = "app-secret";

/// A fixture of this crate's `tests/fixtures`.
pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A JSON id or string as text.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The query parameters of a request.
pub fn query(request: &Request) -> HashMap<String, String> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The form-encoded body of a request.
pub fn form(request: &Request) -> HashMap<String, String> {
    let mut url = reqwest::Url::parse("http://form.invalid/").unwrap();
    url.set_query(Some(&String::from_utf8_lossy(&request.body)));
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Matches requests whose query has exactly these keys.
pub struct QueryKeys(pub &'static [&'static str]);

impl Match for QueryKeys {
    fn matches(&self, request: &Request) -> bool {
        let mut keys: Vec<String> = query(request).into_keys().collect();
        keys.sort();
        let mut want: Vec<&str> = self.0.to_vec();
        want.sort_unstable();
        keys == want
    }
}

/// The requests a server received to a path.
pub async fn requests_to(server: &wiremock::MockServer, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}
