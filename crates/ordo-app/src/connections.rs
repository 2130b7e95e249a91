//! A tenant's connections at run time: converting what a person or `ordo.toml` writes
//! into what is stored (credentials sealed), and the supervisor that makes every node run
//! what is stored, within a second of a change.
//!
//! A connection as written is one flat object: the `[[channels]]` / `[[warehouses]]`
//! keys (without `code`, which names it), plus `paused` and, for channels,
//! `webhook_secret`. The credential keys ([`CHANNEL_SECRETS`], [`WAREHOUSE_SECRETS`]) are
//! sealed; the rest is stored as it is. On a change, credentials left out are kept and
//! `null` removes one, so a person can change a poll interval without the token.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ordo_connect::wms::WmsConfig;
use ordo_connect::{ChannelConfig, ChannelRunner, ChannelSink, SinkError};
use ordo_core::TenantId;
use ordo_store::settings::connections::{SOURCE_API, SOURCE_CONFIG};
use ordo_store::{Connection, ConnectionKind, ConnectionStamp, Store, StoreResult};
use serde_json::{Map, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::cluster::{Cluster, POLL_LEASE};
use crate::connectors::{Channels, KnownChannel, StoreSink};
use crate::fulfil::Warehouses;
use crate::secrets::SecretKeys;
use crate::service::IngestService;

/// Channel keys that are credentials: sealed, never shown.
pub const CHANNEL_SECRETS: &[&str] = &[
    "access_token",
    "consumer_key",
    "consumer_secret",
    "lwa_client_secret",
    "refresh_token",
    "app_secret",
    "session",
    "webhook_secret",
];

/// Warehouse keys that are credentials.
pub const WAREHOUSE_SECRETS: &[&str] = &["token", "secret"];

/// The credential keys of a kind.
pub fn secret_keys(kind: ConnectionKind) -> &'static [&'static str] {
    match kind {
        ConnectionKind::Channel => CHANNEL_SECRETS,
        ConnectionKind::Warehouse => WAREHOUSE_SECRETS,
    }
}

/// What a sealed value is bound to: it opens only on its own connection's row.
pub fn seal_context(tenant: &TenantId, kind: ConnectionKind, code: &str) -> String {
    format!("{tenant}/{}/{code}", kind.as_str())
}

/// A connection as it runs.
#[derive(Debug, Clone)]
pub enum Running {
    /// A channel and the secret its platform signs webhooks with.
    Channel(Box<ChannelConfig>, Option<String>),
    /// A warehouse connector.
    Warehouse(Box<WmsConfig>),
}

/// Why a connection cannot be saved or run; `field` names where, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionProblem {
    /// A stable code: `invalid_connection`, `secret_key_missing`, `secret_unreadable`.
    pub code: &'static str,
    /// The field at fault, as a path (`budget.burst`).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConnectionProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn invalid(field: Option<String>, message: impl Into<String>) -> ConnectionProblem {
    ConnectionProblem {
        code: "invalid_connection",
        field,
        message: message.into(),
    }
}

/// Reads a connection as written into what runs, checking it as `ordo.toml` would.
pub fn read(kind: ConnectionKind, code: &str, written: &Map<String, Value>) -> Result<Running, ConnectionProblem> {
    let mut object = written.clone();
    object.remove("paused");
    let webhook_secret = object.remove("webhook_secret");
    object.insert("code".into(), Value::from(code));
    let value = Value::Object(object);
    let path_error = |e: serde_path_to_error::Error<serde_json::Error>| {
        let field = e.path().to_string();
        invalid((field != ".").then_some(field), e.into_inner().to_string())
    };
    match kind {
        ConnectionKind::Channel => {
            let config: ChannelConfig = serde_path_to_error::deserialize(value).map_err(path_error)?;
            config.validate().map_err(|e| invalid(None, e.to_string()))?;
            let secret = match webhook_secret {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(_) => return Err(invalid(Some("webhook_secret".into()), "must be a string")),
            };
            Ok(Running::Channel(Box::new(config), secret))
        }
        ConnectionKind::Warehouse => {
            let config: WmsConfig = serde_path_to_error::deserialize(value).map_err(path_error)?;
            config.validate().map_err(|e| invalid(None, e))?;
            Ok(Running::Warehouse(Box::new(config)))
        }
    }
}

/// Splits a connection as written into settings and credentials (with `null`s: removals).
fn split(kind: ConnectionKind, written: &Map<String, Value>) -> (Map<String, Value>, Map<String, Value>) {
    let secrets = secret_keys(kind);
    written
        .iter()
        .filter(|(k, _)| k.as_str() != "paused")
        .map(|(k, v)| (k.clone(), v.clone()))
        .partition(|(k, _)| !secrets.contains(&k.as_str()))
}

/// The stored form of a connection as written over `previous` (the stored one, if any):
/// checked and its credentials sealed. A change through the API keeps the credentials it
/// leaves out (`null` removes one); a file says them all. The connection keeps its id, and
/// unchanged credentials keep their seal (sealing again would differ, by a fresh nonce,
/// without being a change).
#[allow(clippy::too_many_arguments)]
pub fn to_store(
    keys: Option<&SecretKeys>,
    tenant: &TenantId,
    kind: ConnectionKind,
    code: &str,
    written: &Map<String, Value>,
    previous: Option<&Connection>,
    source: &str,
    actor: &str,
) -> Result<(Connection, Running), ConnectionProblem> {
    let (settings, given) = split(kind, written);
    let mut secrets = match previous {
        Some(stored) if source == SOURCE_API => open_secrets(keys, tenant, stored)?.0,
        _ => Map::new(),
    };
    for (key, value) in given {
        if value.is_null() {
            secrets.remove(&key);
        } else {
            secrets.insert(key, value);
        }
    }
    let paused = match written.get("paused") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid(Some("paused".into()), "must be true or false")),
    };
    let mut whole = settings.clone();
    whole.extend(secrets.clone());
    let running = read(kind, code, &whole)?;
    let (sealed, fingerprint) = if secrets.is_empty() {
        (None, None)
    } else {
        let keys = keys.ok_or_else(|| ConnectionProblem {
            code: "secret_key_missing",
            field: None,
            message: "this node has no secret key to seal credentials with: set ORDO_SECRET_KEY".into(),
        })?;
        let secrets = Value::Object(secrets);
        (
            Some(keys.seal(&seal_context(tenant, kind, code), &secrets)),
            Some(keys.fingerprint(&secrets)),
        )
    };
    let unchanged = previous.filter(|stored| stored.fingerprint == fingerprint);
    let connection = Connection {
        id: previous.map_or_else(Uuid::now_v7, |stored| stored.id),
        kind,
        code: code.to_owned(),
        settings: Value::Object(settings),
        sealed: unchanged.map_or(sealed, |stored| stored.sealed.clone()),
        fingerprint,
        secrets_set_at: None,
        paused,
        version: 0,
        source: source.to_owned(),
        updated_by: actor.to_owned(),
        updated_at: Utc::now(),
    };
    Ok((connection, running))
}

/// A stored connection's credentials in clear (empty when it has none); the flag says
/// they were sealed under a previous key.
pub fn open_secrets(
    keys: Option<&SecretKeys>,
    tenant: &TenantId,
    connection: &Connection,
) -> Result<(Map<String, Value>, bool), ConnectionProblem> {
    let Some(sealed) = &connection.sealed else {
        return Ok((Map::new(), false));
    };
    let unreadable = |message: String| ConnectionProblem {
        code: "secret_unreadable",
        field: None,
        message,
    };
    let keys = keys.ok_or_else(|| unreadable("this node has no secret key: set ORDO_SECRET_KEY".into()))?;
    let (value, stale) = keys
        .open(&seal_context(tenant, connection.kind, &connection.code), sealed)
        .map_err(|e| unreadable(e.to_string()))?;
    match value {
        Value::Object(map) => Ok((map, stale)),
        _ => Err(unreadable("the sealed credentials are not an object".into())),
    }
}

/// A stored connection as it runs, with its credentials opened.
fn running(connection: &Connection, secrets: Map<String, Value>) -> Result<Running, ConnectionProblem> {
    let mut whole = connection.settings.as_object().cloned().unwrap_or_default();
    whole.extend(secrets);
    read(connection.kind, &connection.code, &whole)
}

/// Writes a node's `[[channels]]` and `[[warehouses]]` as the default tenant's
/// connections. A connection last saved through the API is left as it is.
pub async fn bootstrap(
    store: &dyn Store,
    keys: Option<&SecretKeys>,
    channels: &[ChannelConfig],
    warehouses: &[WmsConfig],
    hook_secrets: &BTreeMap<&'static str, String>,
) -> Result<(), String> {
    let tenant = TenantId::default_tenant();
    let as_object = |value: Value| value.as_object().cloned().unwrap_or_default();
    let mut written = Vec::new();
    for channel in channels {
        let mut object = as_object(serde_json::to_value(channel).map_err(|e| e.to_string())?);
        if let Some(secret) = hook_secrets.get(channel.platform.as_str()) {
            object.insert("webhook_secret".into(), Value::from(secret.clone()));
        }
        written.push((ConnectionKind::Channel, channel.code.clone(), object));
    }
    for warehouse in warehouses {
        let object = as_object(serde_json::to_value(warehouse).map_err(|e| e.to_string())?);
        written.push((ConnectionKind::Warehouse, warehouse.code.clone(), object));
    }
    for (kind, code, mut object) in written {
        object.remove("code");
        let stored = store
            .get_connection(&tenant, kind, &code)
            .await
            .map_err(|e| e.to_string())?;
        let (connection, _) = to_store(
            keys,
            &tenant,
            kind,
            &code,
            &object,
            stored.as_ref(),
            SOURCE_CONFIG,
            "ordo.toml",
        )
        .map_err(|e| format!("{} {code}: {e}", kind.as_str()))?;
        store
            .put_connection(&tenant, &connection, Utc::now())
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A channel sink that takes nothing: saving a connection polls one page through it, to
/// see that the platform answers and accepts the credentials.
struct ProbeSink;

/// What stops a probe after its first page: not a failure.
const PROBED: &str = "probe: first page read";

#[async_trait::async_trait]
impl ChannelSink for ProbeSink {
    async fn load_cursor(&self, _channel: &str) -> Result<Option<Value>, SinkError> {
        Ok(None)
    }
    async fn save_cursor(&self, _channel: &str, _cursor: &Value) -> Result<(), SinkError> {
        Ok(())
    }
    async fn ingest(&self, _channel: &str, _mapping: &str, _payload: Value) -> Result<(), SinkError> {
        Err(SinkError::new(PROBED))
    }
}

/// Calls the platform or warehouse once with a connection: `Err` says how it refused.
pub async fn check(running: &Running) -> Result<(), String> {
    match running {
        Running::Channel(config, _) => {
            let mut config = (**config).clone();
            // One attempt, quickly: a person is waiting for the answer.
            config.backoff.max_attempts = 1;
            config.request_timeout_ms = config.request_timeout_ms.min(10_000);
            let connector = ordo_connect::Connector::new(config, Arc::new(ProbeSink)).map_err(|e| e.to_string())?;
            match connector.poll_once().await {
                Ok(_) => Ok(()),
                Err(error) if error.to_string().contains(PROBED) => Ok(()),
                Err(error) => Err(error.to_string()),
            }
        }
        Running::Warehouse(config) => {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .map_err(|e| e.to_string())?;
            let mut request = http.get(&config.base_url);
            if let Some(token) = &config.token {
                request = request.bearer_auth(token);
            }
            let response = request
                .send()
                .await
                .map_err(|e| format!("cannot reach {}: {e}", config.base_url))?;
            match response.status().as_u16() {
                401 | 403 => Err(format!("{} refused the token ({})", config.base_url, response.status())),
                _ => Ok(()),
            }
        }
    }
}

/// A stored channel connection: its version, whether it is paused, and what it runs with
/// (or why it cannot run).
type Stored = (i64, bool, Result<ChannelConfig, String>);

/// Makes this node run what is stored: reloads connections when their stamps change,
/// keeps warehouse connectors current, and polls each channel connection whose lease it
/// holds (taking, renewing and giving up leases every second).
pub struct Supervisor {
    store: Arc<dyn Store>,
    keys: Option<SecretKeys>,
    cluster: Cluster,
    channels: Channels,
    warehouses: Warehouses,
    ingest: IngestService,
    stamps: Option<Vec<ConnectionStamp>>,
    /// Every channel connection: its stored version and what it runs with.
    known: BTreeMap<(String, String), Stored>,
    /// Pollers this node runs: their version and stop switch.
    pollers: BTreeMap<(String, String), (i64, watch::Sender<bool>)>,
}

impl Supervisor {
    /// A supervisor over `channels` and `warehouses`, which it keeps current.
    pub fn new(
        store: Arc<dyn Store>,
        keys: Option<SecretKeys>,
        cluster: Cluster,
        channels: Channels,
        warehouses: Warehouses,
        ingest: IngestService,
    ) -> Self {
        Self {
            store,
            keys,
            cluster,
            channels,
            warehouses,
            ingest,
            stamps: None,
            known: BTreeMap::new(),
            pollers: BTreeMap::new(),
        }
    }

    /// One round: reload if anything changed, then take, renew or give up poll leases.
    pub async fn tick(&mut self) -> StoreResult<()> {
        let stamps = self.store.connection_stamps().await?;
        if self.stamps.as_ref() != Some(&stamps) {
            self.reload().await?;
            self.stamps = Some(stamps);
        }
        let mut wanted = BTreeSet::new();
        for ((tenant, code), (version, paused, config)) in &self.known {
            let Ok(config) = config else { continue };
            if *paused {
                continue;
            }
            let tenant_id = TenantId::parse(tenant).map_err(ordo_store::StoreError::Other)?;
            let lease = poll_lease(tenant, code);
            if !self.cluster.hold(&lease, Some(&tenant_id), POLL_LEASE).await {
                continue;
            }
            let key = (tenant.clone(), code.clone());
            wanted.insert(key.clone());
            if self.pollers.get(&key).is_some_and(|(v, _)| v == version) {
                continue;
            }
            if let Some((_, stop)) = self.pollers.remove(&key) {
                let _ = stop.send(true);
            }
            let (stop, stopped) = watch::channel(false);
            let sink = Arc::new(StoreSink::new(self.ingest.clone(), self.store.clone(), tenant_id));
            match ChannelRunner::spawn(config.clone(), sink, stopped) {
                Ok(handle) => {
                    tracing::info!(tenant, code, "polling a channel connection");
                    self.channels.attach(tenant, code, handle);
                    self.pollers.insert(key, (*version, stop));
                }
                Err(error) => tracing::warn!(%error, tenant, code, "cannot start a channel connection"),
            }
        }
        let gone: Vec<_> = self.pollers.keys().filter(|k| !wanted.contains(*k)).cloned().collect();
        for key in gone {
            if let Some((_, stop)) = self.pollers.remove(&key) {
                let _ = stop.send(true);
            }
            self.channels.detach(&key.0, &key.1);
            self.cluster.release(&poll_lease(&key.0, &key.1)).await;
        }
        Ok(())
    }

    async fn reload(&mut self) -> StoreResult<()> {
        let mut channels = BTreeMap::new();
        let mut warehouses: BTreeMap<(String, String), (WmsConfig, bool, Option<Uuid>)> = BTreeMap::new();
        self.known.clear();
        for (tenant, connection) in self.store.all_connections().await? {
            let opened = open_secrets(self.keys.as_ref(), &tenant, &connection);
            if let Ok((secrets, true)) = &opened {
                self.reseal(&tenant, &connection, secrets).await;
            }
            let run = opened.and_then(|(secrets, _)| running(&connection, secrets));
            if let Err(problem) = &run {
                tracing::warn!(%problem, tenant = %tenant, code = connection.code, "a stored connection cannot run");
            }
            let key = (tenant.as_str().to_owned(), connection.code.clone());
            match connection.kind {
                ConnectionKind::Warehouse => {
                    if let Ok(Running::Warehouse(config)) = run {
                        warehouses.insert(key, (*config, connection.paused, Some(connection.id)));
                    }
                }
                ConnectionKind::Channel => {
                    // A channel that cannot run is still known, so its webhooks and
                    // write-backs are answered with the reason rather than as unknown.
                    let (config, webhook_secret) = match run {
                        Ok(Running::Channel(config, secret)) => (Ok(*config), secret),
                        Ok(Running::Warehouse(_)) => continue,
                        Err(problem) => (Err(problem.to_string()), None),
                    };
                    let platform = match &config {
                        Ok(config) => config.platform,
                        Err(_) => serde_json::from_value(connection.settings["platform"].clone())
                            .unwrap_or(ordo_connect::Platform::Shopify),
                    };
                    let known = KnownChannel {
                        id: connection.id,
                        platform,
                        webhook_secret,
                        problem: config.as_ref().err().cloned(),
                    };
                    channels.insert(key.clone(), known);
                    self.known.insert(key, (connection.version, connection.paused, config));
                }
            }
        }
        self.channels.set_known(channels);
        if let Err(error) = self.warehouses.replace(warehouses) {
            tracing::warn!(%error, "a warehouse connection cannot run");
        }
        Ok(())
    }

    /// Reseals credentials opened under a previous key with the current one.
    async fn reseal(&self, tenant: &TenantId, connection: &Connection, secrets: &Map<String, Value>) {
        let Some(keys) = &self.keys else { return };
        let sealed = keys.seal(
            &seal_context(tenant, connection.kind, &connection.code),
            &Value::Object(secrets.clone()),
        );
        match self
            .store
            .reseal_connection(tenant, connection.id, connection.version, &sealed)
            .await
        {
            Ok(true) => {
                tracing::info!(tenant = %tenant, code = connection.code, "resealed credentials under the current key")
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "resealing credentials failed"),
        }
    }

    /// Runs a round every second until `stop`; then stops this node's pollers and gives
    /// their leases up, so other nodes take them at once.
    pub fn spawn(mut self, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if let Err(error) = self.tick().await {
                    tracing::warn!(%error, "connection round failed");
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
                if *stop.borrow() {
                    break;
                }
            }
            for ((tenant, code), (_, stop)) in std::mem::take(&mut self.pollers) {
                let _ = stop.send(true);
                if let Some(handle) = self
                    .channels
                    .detach(&tenant, &code)
                    .and_then(|h| Arc::try_unwrap(h).ok())
                {
                    handle.join().await;
                }
                self.cluster.release(&poll_lease(&tenant, &code)).await;
            }
        })
    }
}

/// The lease of a channel connection's poller.
pub fn poll_lease(tenant: &str, code: &str) -> String {
    format!("poll:{tenant}:{code}")
}
