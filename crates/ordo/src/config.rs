//! Configuration: built-in defaults, then `ordo.toml` (or `--config FILE`), then the
//! environment (`ORDO_SECTION__KEY`, e.g. `ORDO_SERVER__LISTEN`), environment last.
//! Secrets come from the environment or a `*_FILE`, and are never printed.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            body_limit_bytes: 1024 * 1024,
            request_timeout_ms: 10_000,
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
}

impl Default for IngestConfig {
    fn default() -> Self {
        let defaults = ordo_app::PipelineConfig::default();
        Self {
            max_batch: defaults.max_batch,
            queue_capacity: defaults.queue_capacity,
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
}
