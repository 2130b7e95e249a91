//! Configuration: built-in defaults, then `ordo.toml` (or `--config FILE`), then the
//! environment (`ORDO_SECTION__KEY`, e.g. `ORDO_SERVER__LISTEN`), environment last.
//! Secrets come from the environment or a `*_FILE`, and are never printed.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ordo_app::policies::kinds::{AlertPolicy, InventoryPolicy};
use ordo_app::{MatchSettings, StockSettings};
use ordo_connect::ChannelConfig;
use ordo_core::allocation::{ReserveWhen, ShortStock, StockPolicy};
use serde::{Deserialize, Serialize};

/// Everything Ordo can be configured with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// HTTP server.
    pub server: ServerConfig,
    /// Database.
    pub store: StoreConfig,
    /// Ingestion pipeline.
    pub ingest: IngestConfig,
    /// Authentication.
    pub auth: AuthConfig,
    /// Logging.
    pub log: LogConfig,
    /// Reservations, unpaid timeout, low-stock alerts.
    pub inventory: InventoryConfig,
    /// Alert webhooks.
    pub webhooks: WebhookConfig,
    /// Platform payload mappings.
    pub mappings: MappingsConfig,
    /// Secrets of webhooks the platforms send (`POST /api/v1/hooks/{platform}/{tenant}`).
    pub hooks: HooksConfig,
    /// Likely duplicates and merges.
    pub orders: OrdersConfig,
    /// B2B consolidation: whose orders wait in a per-customer pool to ship together.
    pub consolidation: ordo_app::consolidation::ConsolidationConfig,
    /// Sourcing: which warehouses ship an order, and with which carrier.
    pub routing: RoutingFileConfig,
    /// Channel connectors (`[[channels]]`), polling each platform into the default tenant.
    pub channels: Vec<ChannelConfig>,
    /// Workflow, review rules, repair and the exception queue.
    pub review: ReviewConfig,
    /// Warehouse connectors (`[[warehouses]]`: code, kind `generic` | `shipbob`,
    /// base_url, token, secret); allocated orders of these warehouses are sent to them.
    pub warehouses: Vec<ordo_connect::wms::WmsConfig>,
    /// The console at `/`: sessions and how times are shown.
    pub console: ConsoleConfig,
}

/// Console settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleConfig {
    /// A session ends after this many minutes without a request.
    pub idle_minutes: u32,
    /// IANA time zone the console shows times in, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// Language of the sign-in page (`zh-CN` or `en`); each user then has their own.
    pub language: String,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            idle_minutes: 30,
            time_zone: "Asia/Shanghai".into(),
            language: "zh-CN".into(),
        }
    }
}

impl ConsoleConfig {
    /// The console's settings; an unknown time zone is an error naming it.
    pub fn settings(&self, secure_cookie: bool) -> anyhow::Result<ordo_console::ConsoleSettings> {
        let time_zone = self
            .time_zone
            .parse()
            .map_err(|_| anyhow::anyhow!("console.time_zone: {:?} is not an IANA time zone", self.time_zone))?;
        Ok(ordo_console::ConsoleSettings {
            idle: std::time::Duration::from_secs(u64::from(self.idle_minutes.max(1)) * 60),
            secure_cookie,
            time_zone,
            default_lang: ordo_console::i18n::Lang::of(&self.language),
        })
    }
}

/// Where the sourcing configuration comes from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingFileConfig {
    /// A routing file (rules, cost lanes, carrier rules) replacing the built-in one; read
    /// at start (`ordo routing check FILE` first, `ordo routing what-if FILE` to see what it
    /// would change). A file with errors stops the node with their locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<std::path::PathBuf>,
}

impl RoutingFileConfig {
    /// Puts the configured file in force for this process; nothing without one.
    pub fn install(&self) -> anyhow::Result<()> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("routing.file {}: {e}", path.display()))?;
        let source = path.display().to_string();
        let config = ordo_app::whatif::RoutingConfig::from_toml(&text, &source).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("routing configuration:\n{}", lines.join("\n"))
        })?;
        ordo_store::stock::sourcing::install(config, source, text).map_err(anyhow::Error::msg)
    }
}

/// How orders are repaired, reviewed and moved along.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewConfig {
    /// Review orders when they become paid (rules hold, reject or flag them).
    pub enabled: bool,
    /// A rules file replacing the built-in rules; reloaded within a second of a change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules_file: Option<std::path::PathBuf>,
    /// A workflow file replacing the built-in workflow; reloaded likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_file: Option<std::path::PathBuf>,
    /// Repair inputs (whitespace, full width, mojibake, countries, postal codes, phones,
    /// Chinese addresses) before validating them.
    pub repair: bool,
    /// ISO country assumed for phones and addresses that name none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_country: Option<String>,
    /// Minutes a held order may wait before the exception queue calls it overdue.
    pub sla_minutes: u32,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            rules_file: None,
            workflow_file: None,
            repair: true,
            default_country: None,
            sla_minutes: 240,
        }
    }
}

/// How orders of one buyer are matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OrdersConfig {
    /// Orders of one buyer to one address placed within this many minutes may ship together.
    pub merge_window_minutes: u32,
    /// Whether the sweeper merges such orders by itself (else they are listed for a person).
    pub auto_merge: bool,
    /// Orders alike (buyer, address, goods, amount) within this many hours are flagged as
    /// likely duplicates.
    pub duplicate_window_hours: u32,
}

impl Default for OrdersConfig {
    fn default() -> Self {
        Self {
            merge_window_minutes: 60,
            auto_merge: false,
            duplicate_window_hours: 24,
        }
    }
}

impl OrdersConfig {
    /// The settings the application runs with.
    pub fn settings(&self) -> MatchSettings {
        MatchSettings {
            merge_window: chrono::Duration::minutes(i64::from(self.merge_window_minutes)),
            duplicate_window: chrono::Duration::hours(i64::from(self.duplicate_window_hours.max(1))),
            auto_merge: self.auto_merge,
        }
    }
}

/// Webhook secrets per platform (prefer `ORDO_HOOKS__SHOPIFY_SECRET` and friends).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HooksConfig {
    /// The Shopify app's client secret (`X-Shopify-Hmac-Sha256`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shopify_secret: Option<String>,
    /// The WooCommerce webhook secret (`X-WC-Webhook-Signature`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub woocommerce_secret: Option<String>,
}

impl fmt::Debug for HooksConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HooksConfig")
            .field("shopify_secret", &self.shopify_secret.as_ref().map(|_| "<redacted>"))
            .field(
                "woocommerce_secret",
                &self.woocommerce_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl HooksConfig {
    /// Secrets by channel.
    pub fn secrets(&self) -> std::collections::BTreeMap<&'static str, String> {
        let mut secrets = std::collections::BTreeMap::new();
        if let Some(s) = &self.shopify_secret {
            secrets.insert("shopify", s.clone());
        }
        if let Some(s) = &self.woocommerce_secret {
            secrets.insert("woocommerce", s.clone());
        }
        secrets
    }
}

/// Where mapping files are read from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MappingsConfig {
    /// A directory of `*.toml` mappings (added to the built-in ones, replacing those of the
    /// same name), reloaded within a second of a change; unset uses the built-in ones only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<std::path::PathBuf>,
}

/// How orders use stock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InventoryConfig {
    /// `paid` (reserve once paid), `placed` (reserve at once) or `never`.
    pub reserve_when: ReserveWhen,
    /// `hold` (reserve nothing, hold the order) or `backorder` (reserve what there is).
    pub on_short: ShortStock,
    /// With `reserve_when = placed`: cancel orders still unpaid this many minutes after they
    /// were placed, releasing their stock; 0 never does.
    pub unpaid_timeout_minutes: u32,
    /// Alert when available covers fewer than this many days of average sales.
    pub low_stock_days: u32,
    /// Days of sales the average is taken over.
    pub sales_window_days: u32,
    /// Milliseconds between sweeps for expired and waiting orders.
    pub sweep_interval_ms: u64,
    /// Hours the live feed keeps events for resuming subscribers.
    pub feed_retention_hours: u32,
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self {
            reserve_when: ReserveWhen::Paid,
            on_short: ShortStock::Hold,
            unpaid_timeout_minutes: 30,
            low_stock_days: 3,
            sales_window_days: 28,
            sweep_interval_ms: 1000,
            feed_retention_hours: 168,
        }
    }
}

impl InventoryConfig {
    /// What a tenant's orders run under until it saves its own inventory policy.
    pub fn policy(&self) -> InventoryPolicy {
        InventoryPolicy {
            reserve_when: self.reserve_when,
            on_short: self.on_short,
            unpaid_timeout_minutes: self.unpaid_timeout_minutes,
            low_stock_days: self.low_stock_days,
        }
    }

    /// The settings the application runs with.
    pub fn settings(&self) -> StockSettings {
        StockSettings {
            policy: StockPolicy {
                reserve_when: self.reserve_when,
                on_short: self.on_short,
            },
            unpaid_timeout: (self.unpaid_timeout_minutes > 0)
                .then(|| chrono::Duration::minutes(i64::from(self.unpaid_timeout_minutes))),
            low_stock_days: self.low_stock_days,
            sales_window_days: self.sales_window_days.max(1),
            sweep_interval: std::time::Duration::from_millis(self.sweep_interval_ms.max(10)),
            feed_retention: chrono::Duration::hours(i64::from(self.feed_retention_hours.max(1))),
            ..StockSettings::default()
        }
    }
}

/// Where alert webhooks go.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Receiver URL; unset drops alert messages (they stay listed in the outbox).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// HMAC-SHA256 key for `X-Ordo-Signature` (prefer `ORDO_WEBHOOKS__SECRET`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Attempts before a message is marked dead.
    pub max_attempts: u32,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            url: None,
            secret: None,
            max_attempts: 10,
        }
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

impl WebhookConfig {
    /// The default tenant's alert policy until it saves its own.
    pub fn alerts(&self) -> AlertPolicy {
        AlertPolicy {
            url: self.url.clone(),
            secret: self.secret.clone(),
            max_attempts: Some(self.max_attempts.max(1)),
        }
    }
}

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// Largest request body, bytes.
    pub body_limit_bytes: usize,
    /// Request timeout, milliseconds.
    pub request_timeout_ms: u64,
    /// The URL warehouses call back on (`https://ordo.example.com`: the load balancer in
    /// front of every node). Unset, each node names its own address, and callbacks sent
    /// while that node is down are lost once the warehouse stops retrying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_ms: 10_000,
            public_url: None,
        }
    }
}

/// Database settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://PATH` (embedded) or `postgres://USER@HOST/DB` (several nodes).
    pub url: String,
    /// PostgreSQL pool size per node. 16 keeps four writer batches and the API's reads
    /// busy without crowding the server's `max_connections` when several nodes share it.
    pub max_connections: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://ordo-data/ordo.db".into(),
            max_connections: 16,
        }
    }
}

/// Ingestion pipeline settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Most arrivals committed in one transaction.
    pub max_batch: usize,
    /// Arrivals waiting for a writer.
    pub queue_capacity: usize,
    /// Writer tasks, each with its own transaction; 0 lets the store choose (1 for
    /// SQLite, 4 for PostgreSQL).
    pub writers: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        let defaults = ordo_app::PipelineConfig::default();
        Self {
            max_batch: defaults.max_batch,
            queue_capacity: defaults.queue_capacity,
            writers: 0,
        }
    }
}

/// Authentication settings.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// A bootstrap admin token for the default tenant (prefer `ORDO_ADMIN_TOKEN` or
    /// `ORDO_ADMIN_TOKEN_FILE` to writing it in a file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admin_token: Option<String>,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Logging settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `tracing` filter, e.g. `info` or `ordo=debug,sqlx=warn`.
    pub level: String,
    /// `text` or `json`.
    pub format: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info,sqlx=warn".into(),
            format: "text".into(),
        }
    }
}

impl Config {
    /// Loads defaults → file → environment. A missing default `ordo.toml` is fine; a
    /// missing file named with `--config` is an error.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(path.exists(), "configuration file {} does not exist", path.display());
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("ordo.toml")),
        }
        // Only ORDO_<SECTION>__<KEY> names are configuration. Other ORDO_ variables
        // (ORDO_CONFIG, ORDO_ADMIN_TOKEN, a test run's ORDO_TEST_POSTGRES_URL) are not, and
        // must not trip the unknown-key check.
        figment = figment.merge(
            Env::prefixed("ORDO_")
                .filter(|key| key.as_str().contains("__"))
                .split("__"),
        );
        let mut config: Config = figment.extract().context("invalid configuration")?;
        if let Ok(token) = std::env::var("ORDO_ADMIN_TOKEN") {
            config.auth.admin_token = Some(token);
        } else if let Ok(path) = std::env::var("ORDO_ADMIN_TOKEN_FILE") {
            let token =
                std::fs::read_to_string(&path).with_context(|| format!("reading ORDO_ADMIN_TOKEN_FILE {path}"))?;
            config.auth.admin_token = Some(token.trim().to_owned());
        }
        Ok(config)
    }

    /// The defaults as TOML, for `ordo config print-default`.
    pub fn default_toml() -> String {
        let body = toml::to_string_pretty(&Config::default()).unwrap_or_default();
        format!(
            "# Ordo configuration. Every key can also be set in the environment as\n\
             # ORDO_<SECTION>__<KEY>, e.g. ORDO_SERVER__LISTEN=0.0.0.0:8080.\n\
             # The bootstrap admin token comes from ORDO_ADMIN_TOKEN or ORDO_ADMIN_TOKEN_FILE.\n\n{body}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_default_loads_back_to_the_default() {
        let parsed: Config = toml::from_str(&Config::default_toml()).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn a_file_overrides_defaults_and_unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ordo.toml");
        std::fs::write(&path, "[server]\nlisten = \"0.0.0.0:9000\"\n").unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.server.listen, "0.0.0.0:9000");
        assert_eq!(config.store, StoreConfig::default());
        std::fs::write(&path, "[server]\nlisen = \"0.0.0.0:9000\"\n").unwrap();
        assert!(format!("{:#}", Config::load(Some(&path)).unwrap_err()).contains("lisen"));
    }

    #[test]
    fn secrets_are_not_printed() {
        let config = Config {
            auth: AuthConfig {
                admin_token: Some("ordo_secret".into()),
            },
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("ordo_secret"));
    }

    #[test]
    fn a_routing_file_is_checked_then_put_in_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("routing.toml");
        std::fs::write(&path, "[[rule]]\nname = \"r\"\nrank = [\"nonsense\"]\n").unwrap();
        let routing = RoutingFileConfig {
            file: Some(path.clone()),
        };
        let refused = format!("{:#}", routing.install().unwrap_err());
        assert!(refused.contains("routing.toml:3:"), "{refused}");
        // The built-in text from a file: in force, named by its file, routing as before.
        std::fs::write(&path, ordo_app::whatif::DEFAULT_TOML).unwrap();
        routing.install().unwrap();
        let installed = ordo_store::stock::sourcing::installed();
        assert_eq!(installed.source, path.display().to_string());
        assert_eq!(installed.config, ordo_app::whatif::RoutingConfig::embedded_default());
        // Another configuration cannot replace it while the process runs.
        std::fs::write(&path, ordo_app::whatif::DEFAULT_TOML.replace("\n", "\n\n")).unwrap();
        assert!(routing.install().is_err());
    }
}
