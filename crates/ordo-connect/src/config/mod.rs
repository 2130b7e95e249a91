//! One `[[channels]]` entry of Ordo's configuration: which platform a channel is, where it
//! lives, its credentials, and how hard and how often Ordo may call it.
//!
//! Values that depend on the platform (mapping, page size, poll interval, request budget)
//! are optional in the file and resolved by the accessor methods, so an entry only needs
//! `code`, `platform`, `base_url` and the platform's credentials:
//!
//! ```toml
//! [[channels]]
//! code = "shopify-eu"
//! platform = "shopify"
//! base_url = "https://eu-shop.myshopify.com"
//! access_token = "shpat_…"
//! location_id = 655441491
//!
//! [[channels]]
//! code = "pdd"
//! platform = "pinduoduo"
//! base_url = "https://gw-api.pinduoduo.com"
//! app_key = "…"
//! app_secret = "…"
//! session = "…"
//! budget = { requests_per_second = 2.0, burst = 5 }
//! backoff = { base_ms = 1000, max_ms = 60000, max_attempts = 6 }
//! ```

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ConnectError;

mod platform;

pub use platform::Platform;

/// A channel's request budget: a token bucket refilled at `requests_per_second` holding at
/// most `burst` tokens. Unset fields take [`Platform::default_budget`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetConfig {
    /// Sustained rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_per_second: Option<f64>,
    /// Requests that may go at once after a quiet spell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<u32>,
}

/// Retries of one request: capped exponential backoff with full jitter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackoffConfig {
    /// The first retry waits up to this long.
    pub base_ms: u64,
    /// No wait is longer than this (a `Retry-After` is honoured up to ten minutes).
    pub max_ms: u64,
    /// Attempts of one request, the first included, before the call fails.
    pub max_attempts: u32,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            base_ms: 500,
            max_ms: 30_000,
            max_attempts: 5,
        }
    }
}

/// One sales channel: a platform account Ordo polls orders from and writes back to.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelConfig {
    /// The channel code orders carry, e.g. `shopify` or `shopify-eu`.
    pub code: String,
    /// Which API it speaks.
    pub platform: Platform,
    /// Scheme and host (and any path prefix) of the API, e.g. `https://shop.myshopify.com`.
    pub base_url: String,
    /// The mapping payloads are ingested with; defaults to [`Platform::default_mapping`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<String>,

    /// Access token: Shopify Admin API (`X-Shopify-Access-Token`), BigCommerce API
    /// account (`X-Auth-Token`), Magento integration (`Authorization: Bearer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// BigCommerce store hash, the `{store_hash}` of `/stores/{store_hash}/v2/…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_hash: Option<String>,
    /// WooCommerce consumer key (HTTP Basic user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer_key: Option<String>,
    /// WooCommerce consumer secret (HTTP Basic password).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer_secret: Option<String>,
    /// Login with Amazon client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lwa_client_id: Option<String>,
    /// Login with Amazon client secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lwa_client_secret: Option<String>,
    /// Login with Amazon refresh token of the seller's authorisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Login with Amazon token endpoint; defaults to `{base_url}/auth/o2/token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Amazon marketplace, e.g. `ATVPDKIKX0DER`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace_id: Option<String>,
    /// Amazon seller id (listings write-back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    /// Chinese platforms: app key (`client_id` on Pinduoduo, `appId` on Xiaohongshu).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_key: Option<String>,
    /// Chinese platforms: app secret, the signing key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_secret: Option<String>,
    /// Chinese platforms: the shop's session / access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,

    /// Milliseconds between polls; defaults to [`Platform::default_poll_interval_ms`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<u64>,
    /// Orders per page; defaults to, and is clamped to, [`Platform::max_page_size`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// A window starts this long before the cursor, so orders committed while the previous
    /// poll ran are read again rather than missed.
    #[serde(default = "default_overlap_seconds")]
    pub overlap_seconds: u64,
    /// With no cursor yet, the first window starts this long ago.
    #[serde(default = "default_initial_lookback_hours")]
    pub initial_lookback_hours: u64,
    /// The cursor never passes now minus this, because a platform may commit an order with
    /// an `updated_at` slightly in the past.
    #[serde(default = "default_safety_lag_seconds")]
    pub safety_lag_seconds: u64,
    /// Request budget.
    #[serde(default)]
    pub budget: BudgetConfig,
    /// Retries.
    #[serde(default)]
    pub backoff: BackoffConfig,
    /// Longest wait for one answer.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Shopify location whose `available` quantity stock write-back sets; BigCommerce
    /// inventory location (1, the store's default location, when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<i64>,
}

fn default_overlap_seconds() -> u64 {
    300
}
fn default_initial_lookback_hours() -> u64 {
    24
}
fn default_safety_lag_seconds() -> u64 {
    60
}
fn default_request_timeout_ms() -> u64 {
    30_000
}

impl ChannelConfig {
    /// An entry with every optional key at its default, for code and tests.
    pub fn new(code: impl Into<String>, platform: Platform, base_url: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            platform,
            base_url: base_url.into(),
            mapping: None,
            access_token: None,
            store_hash: None,
            consumer_key: None,
            consumer_secret: None,
            lwa_client_id: None,
            lwa_client_secret: None,
            refresh_token: None,
            token_url: None,
            marketplace_id: None,
            seller_id: None,
            app_key: None,
            app_secret: None,
            session: None,
            poll_interval_ms: None,
            page_size: None,
            overlap_seconds: default_overlap_seconds(),
            initial_lookback_hours: default_initial_lookback_hours(),
            safety_lag_seconds: default_safety_lag_seconds(),
            budget: BudgetConfig::default(),
            backoff: BackoffConfig::default(),
            request_timeout_ms: default_request_timeout_ms(),
            location_id: None,
        }
    }

    /// The mapping payloads are ingested with.
    pub fn mapping_name(&self) -> &str {
        self.mapping.as_deref().unwrap_or(self.platform.default_mapping())
    }

    /// Orders per page, within the platform's limit.
    pub fn effective_page_size(&self) -> u32 {
        let max = self.platform.max_page_size();
        self.page_size.unwrap_or(max).clamp(1, max)
    }

    /// Time between polls.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(
            self.poll_interval_ms
                .unwrap_or(self.platform.default_poll_interval_ms()),
        )
    }

    /// Requests per second and burst, defaults filled in.
    pub fn effective_budget(&self) -> (f64, u32) {
        let (rate, burst) = self.platform.default_budget();
        (
            self.budget.requests_per_second.unwrap_or(rate),
            self.budget.burst.unwrap_or(burst),
        )
    }

    /// The Login with Amazon token endpoint.
    pub fn effective_token_url(&self) -> String {
        self.token_url
            .clone()
            .unwrap_or_else(|| format!("{}/auth/o2/token", self.base_url.trim_end_matches('/')))
    }

    /// A copy whose secrets read `<redacted>`, for printing the effective configuration.
    pub fn redacted(&self) -> Self {
        let hide = |s: &Option<String>| s.as_ref().map(|_| "<redacted>".to_owned());
        Self {
            access_token: hide(&self.access_token),
            consumer_secret: hide(&self.consumer_secret),
            lwa_client_secret: hide(&self.lwa_client_secret),
            refresh_token: hide(&self.refresh_token),
            app_secret: hide(&self.app_secret),
            session: hide(&self.session),
            ..self.clone()
        }
    }

    /// Checks what deserialising cannot: the code's characters, the URL, the credentials the
    /// platform needs, and that budget and backoff numbers make sense.
    pub fn validate(&self) -> Result<(), ConnectError> {
        let bad = |why: String| Err(ConnectError::Config(format!("channel {:?}: {why}", self.code)));
        let code_ok = !self.code.is_empty()
            && self.code.len() <= 64
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !code_ok {
            return bad("code must be 1-64 characters of letters, digits, '-', '_' or '.'".into());
        }
        match reqwest::Url::parse(&self.base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => {}
            _ => return bad(format!("base_url {:?} is not an http(s) URL", self.base_url)),
        }
        let missing: Vec<&str> = self
            .required_credentials()
            .iter()
            .filter(|(_, value)| value.as_deref().is_none_or(str::is_empty))
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            return bad(format!("{} needs {}", self.platform, missing.join(", ")));
        }
        let (rate, burst) = self.effective_budget();
        if !(rate.is_finite() && rate > 0.0) || burst == 0 {
            return bad("budget needs requests_per_second > 0 and burst >= 1".into());
        }
        if self.backoff.max_attempts == 0 || self.backoff.base_ms == 0 || self.backoff.base_ms > self.backoff.max_ms {
            return bad("backoff needs max_attempts >= 1 and 0 < base_ms <= max_ms".into());
        }
        if self.request_timeout_ms == 0 || self.poll_interval().is_zero() {
            return bad("request_timeout_ms and poll_interval_ms must be positive".into());
        }
        Ok(())
    }

    fn required_credentials(&self) -> Vec<(&'static str, &Option<String>)> {
        match self.platform {
            Platform::Shopify | Platform::Magento => vec![("access_token", &self.access_token)],
            Platform::BigCommerce => vec![("store_hash", &self.store_hash), ("access_token", &self.access_token)],
            Platform::Woocommerce => {
                vec![
                    ("consumer_key", &self.consumer_key),
                    ("consumer_secret", &self.consumer_secret),
                ]
            }
            Platform::Amazon | Platform::Amazon2026 => vec![
                ("lwa_client_id", &self.lwa_client_id),
                ("lwa_client_secret", &self.lwa_client_secret),
                ("refresh_token", &self.refresh_token),
                ("marketplace_id", &self.marketplace_id),
            ],
            // The app's appid and secret buy the access token; there is no shop session.
            Platform::Wechat => vec![("app_key", &self.app_key), ("app_secret", &self.app_secret)],
            _ => vec![
                ("app_key", &self.app_key),
                ("app_secret", &self.app_secret),
                ("session", &self.session),
            ],
        }
    }
}

impl fmt::Debug for ChannelConfig {
    /// Secrets never reach logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.redacted();
        f.debug_struct("ChannelConfig")
            .field("code", &shown.code)
            .field("platform", &shown.platform)
            .field("base_url", &shown.base_url)
            .field("mapping", &shown.mapping_name())
            .field("access_token", &shown.access_token)
            .field("store_hash", &shown.store_hash)
            .field("consumer_key", &shown.consumer_key)
            .field("consumer_secret", &shown.consumer_secret)
            .field("lwa_client_id", &shown.lwa_client_id)
            .field("lwa_client_secret", &shown.lwa_client_secret)
            .field("refresh_token", &shown.refresh_token)
            .field("marketplace_id", &shown.marketplace_id)
            .field("seller_id", &shown.seller_id)
            .field("app_key", &shown.app_key)
            .field("app_secret", &shown.app_secret)
            .field("session", &shown.session)
            .field("poll_interval", &shown.poll_interval())
            .field("page_size", &shown.effective_page_size())
            .field("budget", &shown.effective_budget())
            .field("backoff", &shown.backoff)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_entry_takes_platform_defaults() {
        let config: ChannelConfig = toml::from_str(
            r#"
            code = "shopify-eu"
            platform = "shopify"
            base_url = "https://eu.myshopify.com"
            access_token = "shpat_x"
            "#,
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.mapping_name(), "shopify.order");
        assert_eq!(config.effective_page_size(), 250);
        assert_eq!(config.effective_budget(), (2.0, 40));
        assert_eq!(config.overlap_seconds, 300);
        assert_eq!(config.poll_interval(), Duration::from_secs(30));
        assert!(!format!("{config:?}").contains("shpat_x"));
    }

    #[test]
    fn unknown_keys_and_missing_credentials_are_refused() {
        let unknown = toml::from_str::<ChannelConfig>(
            r#"
            code = "a"
            platform = "amazon-2026"
            base_url = "http://127.0.0.1:1"
            colour = "red"
            "#,
        );
        assert!(unknown.is_err());
        let config = ChannelConfig::new("pdd", Platform::Pinduoduo, "http://127.0.0.1:1");
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("app_key, app_secret, session"), "{error}");
    }

    #[test]
    fn budget_and_backoff_are_tables_with_their_own_defaults() {
        let config: ChannelConfig = toml::from_str(
            r#"
            code = "pdd"
            platform = "pinduoduo"
            base_url = "http://127.0.0.1:9"
            app_key = "k"
            app_secret = "s"
            session = "t"
            budget = { burst = 3 }
            backoff = { max_attempts = 2 }
            "#,
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.effective_budget(), (5.0, 3));
        assert_eq!(
            config.backoff,
            BackoffConfig {
                max_attempts: 2,
                ..BackoffConfig::default()
            }
        );
        assert_eq!(config.mapping_name(), "pinduoduo.order");
        assert!(toml::from_str::<BudgetConfig>("rate = 1").is_err());
    }

    #[test]
    fn bigcommerce_needs_its_store_hash_and_magento_its_token() {
        let config: ChannelConfig = toml::from_str(
            r#"
            code = "bc"
            platform = "bigcommerce"
            base_url = "https://api.bigcommerce.com"
            access_token = "t"
            "#,
        )
        .unwrap();
        let error = config.validate().unwrap_err().to_string();
        assert!(error.contains("bigcommerce needs store_hash"), "{error}");
        assert_eq!(config.mapping_name(), "bigcommerce.order");
        assert_eq!(config.effective_page_size(), 250);
        let magento = ChannelConfig::new("m", Platform::Magento, "https://shop.example.com");
        let error = magento.validate().unwrap_err().to_string();
        assert!(error.contains("magento needs access_token"), "{error}");
        assert_eq!(magento.mapping_name(), "magento.order");
    }

    #[test]
    fn page_size_is_clamped_and_token_url_derived() {
        let mut config = ChannelConfig::new("a", Platform::Amazon, "http://127.0.0.1:9/");
        config.page_size = Some(1000);
        assert_eq!(config.effective_page_size(), 100);
        assert_eq!(config.effective_token_url(), "http://127.0.0.1:9/auth/o2/token");
        assert_eq!(config.mapping_name(), "amazon.order");
    }
}
