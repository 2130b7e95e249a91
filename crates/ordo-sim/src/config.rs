//! What a simulator is started with: the platform, the credentials it accepts, where its
//! webhooks go, the SKUs its orders use and its rate limits. Defaults follow
//! `docs/channel-apis.md`; tests shrink the numbers so that limits are reached quickly.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Platform, SimError};

/// Everything [`crate::Simulator::start`] needs.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The platform to play.
    pub platform: Platform,
    /// The credentials the simulator accepts; requests carrying others are refused in the
    /// platform's own error shape.
    pub credentials: Credentials,
    /// Where Shopify and WooCommerce push signed webhooks (ignored by the other platforms,
    /// which Ordo polls).
    pub webhook: Option<WebhookTarget>,
    /// SKUs that order lines are drawn from; also the catalogue of products and listings.
    pub skus: Vec<String>,
    /// ISO 4217 currency of every generated order.
    pub currency: String,
    /// Seed of the generator: the same seed gives the same lines, prices and buyers.
    pub seed: u64,
    /// Request budgets the simulator enforces.
    pub rate_limits: RateLimits,
    /// Amazon marketplace, seller and page sizes.
    pub amazon: AmazonSettings,
    /// Shopify shop domain, sent as `X-Shopify-Shop-Domain`.
    pub shop_domain: String,
    /// Lifetime of a Login with Amazon access token (`expires_in`).
    pub token_ttl: Duration,
    /// Stock level every SKU starts with (Shopify `available`, WooCommerce `stock_quantity`).
    pub initial_stock: i64,
}

impl SimConfig {
    /// A configuration with the platform's default credentials (see
    /// [`Credentials::default_for`]), three SKUs, the platform's usual currency and the
    /// documented rate limits.
    pub fn new(platform: Platform) -> Self {
        let currency = if platform.is_chinese() { "CNY" } else { "USD" };
        SimConfig {
            platform,
            credentials: Credentials::default_for(platform),
            webhook: None,
            skus: vec!["SKU-RED-M".into(), "SKU-BLUE-L".into(), "SKU-MUG-01".into()],
            currency: currency.into(),
            seed: 1,
            rate_limits: RateLimits::defaults_for(platform),
            amazon: AmazonSettings::default(),
            shop_domain: "ordo-sim.myshopify.com".into(),
            token_ttl: Duration::from_secs(3600),
            initial_stock: 100,
        }
    }

    /// Checks that the configuration can be served.
    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let fits = matches!(
            (self.platform, &self.credentials),
            (
                Platform::Shopify | Platform::BigCommerce | Platform::Magento,
                Credentials::AccessToken(_)
            ) | (Platform::WooCommerce, Credentials::ConsumerKey { .. })
                | (Platform::Amazon, Credentials::Lwa { .. })
        ) || (self.platform.is_chinese() && matches!(self.credentials, Credentials::AppKey { .. }));
        if !fits {
            return Err(SimError::InvalidConfig(format!(
                "{} does not take {:?}-style credentials",
                self.platform, self.credentials
            )));
        }
        if self.skus.is_empty() || self.skus.iter().any(|s| s.trim().is_empty()) {
            return Err(SimError::InvalidConfig("skus must be non-empty strings".into()));
        }
        if self.currency.len() != 3 {
            return Err(SimError::InvalidConfig("currency must be an ISO 4217 code".into()));
        }
        for limit in [self.rate_limits.api, self.rate_limits.order_items]
            .into_iter()
            .flatten()
        {
            if limit.burst == 0 || !(limit.per_second > 0.0 && limit.per_second.is_finite()) {
                return Err(SimError::InvalidConfig(format!("bad rate limit {limit:?}")));
            }
        }
        if self.amazon.order_items_page_size == 0 {
            return Err(SimError::InvalidConfig("order_items_page_size must be > 0".into()));
        }
        Ok(())
    }
}

/// The credentials a simulator accepts, one kind per platform family.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Credentials {
    /// An access token: Shopify Admin API (`X-Shopify-Access-Token`), BigCommerce API
    /// account (`X-Auth-Token`), Magento integration (`Authorization: Bearer`).
    AccessToken(String),
    /// WooCommerce REST consumer key and secret, sent with HTTP Basic auth.
    ConsumerKey {
        /// `ck_…`
        key: String,
        /// `cs_…`
        secret: String,
    },
    /// Login with Amazon app credentials and the seller's refresh token, exchanged at
    /// `POST /auth/o2/token` for the `x-amz-access-token` the API calls carry.
    Lwa {
        /// LWA client id.
        client_id: String,
        /// LWA client secret.
        client_secret: String,
        /// The seller's refresh token.
        refresh_token: String,
    },
    /// A router platform's app key and secret (the secret signs every request). With
    /// `access_token`, every call must also carry that session token.
    AppKey {
        /// Taobao/JD/Douyin `app_key`, Pinduoduo `client_id`, Xiaohongshu `appId`.
        app_key: String,
        /// The signing secret.
        app_secret: String,
        /// Taobao `session`, JD/Douyin/Pinduoduo `access_token`, Xiaohongshu `accessToken`.
        access_token: Option<String>,
    },
}

impl std::fmt::Debug for Credentials {
    /// Names the kind only: secrets stay out of logs and panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::AccessToken(_) => "AccessToken",
            Credentials::ConsumerKey { .. } => "ConsumerKey",
            Credentials::Lwa { .. } => "Lwa",
            Credentials::AppKey { .. } => "AppKey",
        })
    }
}

impl Credentials {
    /// Fixed, documented sandbox credentials, so that `ordo demo` and tests agree without
    /// passing them around: Shopify `shpat_sim_token`; WooCommerce `ck_sim` / `cs_sim`;
    /// Amazon `amzn1.application-oa2-client.sim` / `sim-client-secret` / `Atzr|sim-refresh`;
    /// BigCommerce `sim-bigcommerce-token`; Magento `sim-magento-token`;
    /// router platforms and WeChat `sim-app-key` / `sim-app-secret` without a session
    /// token; Kuaishou the same with the access token `sim-kuaishou-token`.
    pub fn default_for(platform: Platform) -> Self {
        match platform {
            Platform::Shopify => Credentials::AccessToken("shpat_sim_token".into()),
            Platform::BigCommerce => Credentials::AccessToken("sim-bigcommerce-token".into()),
            Platform::Magento => Credentials::AccessToken("sim-magento-token".into()),
            Platform::WooCommerce => Credentials::ConsumerKey {
                key: "ck_sim".into(),
                secret: "cs_sim".into(),
            },
            Platform::Amazon => Credentials::Lwa {
                client_id: "amzn1.application-oa2-client.sim".into(),
                client_secret: "sim-client-secret".into(),
                refresh_token: "Atzr|sim-refresh".into(),
            },
            // Kuaishou calls always carry the shop's access token.
            Platform::Kuaishou => Credentials::AppKey {
                app_key: "sim-app-key".into(),
                app_secret: "sim-app-secret".into(),
                access_token: Some("sim-kuaishou-token".into()),
            },
            _ => Credentials::AppKey {
                app_key: "sim-app-key".into(),
                app_secret: "sim-app-secret".into(),
                access_token: None,
            },
        }
    }
}

/// Where webhooks are pushed and the secret they are signed with
/// (`base64(HMAC-SHA256(secret, raw body))`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookTarget {
    /// Full URL, e.g. `http://127.0.0.1:8080/api/v1/hooks/shopify/acme`.
    pub url: String,
    /// Shared signing secret.
    pub secret: String,
}

impl std::fmt::Debug for WebhookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookTarget")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// A bucket: `burst` requests at once, refilled (or drained) at `per_second`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Requests that may be made back to back from a full bucket.
    pub burst: u32,
    /// Sustained requests per second.
    pub per_second: f64,
}

/// The budgets a simulator enforces. `None` means unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateLimits {
    /// The platform's main budget: Shopify's leaky bucket shared by every Admin call;
    /// Amazon `getOrders` (and, separately, `searchOrders` with the same numbers);
    /// every router call of a Chinese platform; WooCommerce's optional limit.
    pub api: Option<RateLimit>,
    /// Amazon `getOrderItems`, which has its own budget.
    pub order_items: Option<RateLimit>,
}

impl RateLimits {
    /// The documented limits: Shopify 40 draining 2/s; Amazon getOrders burst 20 at
    /// 0.0167/s and getOrderItems burst 30 at 0.5/s; WooCommerce and Magento (which sets
    /// none of its own) none; BigCommerce its Standard plan's 150 per 30 s. The document gives
    /// no numbers for the router platforms; they get burst 40 at 10/s, in the range those
    /// platforms grant an ordinary app per API.
    pub fn defaults_for(platform: Platform) -> Self {
        let limit = |burst, per_second| Some(RateLimit { burst, per_second });
        match platform {
            Platform::Shopify => RateLimits {
                api: limit(40, 2.0),
                order_items: None,
            },
            Platform::WooCommerce | Platform::Magento => RateLimits::unlimited(),
            Platform::BigCommerce => RateLimits {
                api: limit(150, 5.0),
                order_items: None,
            },
            Platform::Amazon => RateLimits {
                api: limit(20, 0.0167),
                order_items: limit(30, 0.5),
            },
            _ => RateLimits {
                api: limit(40, 10.0),
                order_items: None,
            },
        }
    }

    /// No limits at all.
    pub fn unlimited() -> Self {
        RateLimits {
            api: None,
            order_items: None,
        }
    }
}

/// Amazon-specific settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmazonSettings {
    /// The marketplace every order belongs to; `MarketplaceIds` must name it.
    pub marketplace_id: String,
    /// The seller id the Listings API path must carry.
    pub seller_id: String,
    /// Items per `getOrderItems` page; small values make the connector follow `NextToken`.
    pub order_items_page_size: usize,
}

impl Default for AmazonSettings {
    fn default() -> Self {
        AmazonSettings {
            marketplace_id: "ATVPDKIKX0DER".into(),
            seller_id: "A2SIMSELLER0001".into(),
            order_items_page_size: 100,
        }
    }
}
