//! A simulator per platform, and the connector configuration that points Ordo at each:
//! what `ordo demo`, `ordo bench channels` and the end-to-end tests run on one machine.
//!
//! Shopify and WooCommerce push signed webhooks to the node (and are polled as well, as a
//! merchant would configure them, so a lost webhook is still caught); Amazon and the
//! Chinese platforms are polled. Every simulator keeps the platform's documented limits,
//! except Amazon's getOrders (one request a minute after a burst of 20), which is raised
//! to two a second so a short run shows Amazon orders within seconds.

use anyhow::Context;
use ordo_connect::ChannelConfig;
use ordo_sim::{Credentials, Platform, RateLimit, RateLimits, Sim, SimConfig, Simulator, WebhookTarget};
use serde_json::{Value, json};

/// The secret simulated platforms sign webhooks with.
pub const HOOK_SECRET: &str = "sim-webhook-secret";

/// The secret simulated warehouses sign callbacks with, and their token.
pub const WMS_SECRET: &str = "sim-wms-secret";
const WMS_TOKEN: &str = "sim-wms-token";

/// The running simulators.
pub struct Fleet {
    /// One per platform, in [`Platform::ALL`] order.
    pub sims: Vec<Sim>,
    /// One warehouse simulator per demo warehouse, by warehouse code.
    pub warehouses: Vec<(String, ordo_sim::WmsSim)>,
}

impl Fleet {
    /// Starts one simulator per platform. Orders use `skus`; webhooks go to the node at
    /// `node_base` for tenant `default`.
    pub async fn start(node_base: &str, skus: &[String], seed: u64) -> anyhow::Result<Self> {
        let mut sims = Vec::new();
        for (n, platform) in Platform::ALL.into_iter().enumerate() {
            let mut config = SimConfig::new(platform);
            config.skus = skus.to_vec();
            config.seed = seed + n as u64;
            if matches!(platform, Platform::Shopify | Platform::WooCommerce) {
                config.webhook = Some(WebhookTarget {
                    url: format!("{node_base}/api/v1/hooks/{}/default", platform.code()),
                    secret: HOOK_SECRET.into(),
                });
            }
            if let Credentials::AppKey { access_token, .. } = &mut config.credentials {
                // A shop's session token, as the router platforms issue on authorisation.
                *access_token = Some(format!("sim-session-{}", platform.code()));
            }
            if platform == Platform::Amazon {
                config.rate_limits = RateLimits {
                    api: Some(RateLimit {
                        burst: 20,
                        per_second: 2.0,
                    }),
                    ..RateLimits::defaults_for(platform)
                };
            }
            let sim = Simulator::start(config)
                .await
                .with_context(|| format!("starting the {} simulator", platform.code()))?;
            sims.push(sim);
        }
        let mut warehouses = Vec::new();
        for (n, w) in crate::generator::warehouses().iter().enumerate() {
            let mut config = ordo_sim::WmsSimConfig::new(ordo_sim::WmsKind::Generic);
            config.token = WMS_TOKEN.into();
            config.secret = WMS_SECRET.into();
            config.seed = seed + 100 + n as u64;
            if w.country == "CN" {
                config.carriers = vec!["SF".into(), "YTO".into(), "ZTO".into()];
            }
            let sim = ordo_sim::WmsSimulator::start(config)
                .await
                .map_err(|e| anyhow::anyhow!("starting the warehouse simulator of {}: {e}", w.code))?;
            warehouses.push((w.code.to_owned(), sim));
        }
        Ok(Self { sims, warehouses })
    }

    /// A warehouse connector per warehouse simulator.
    pub fn warehouse_connectors(&self) -> anyhow::Result<Vec<ordo_connect::wms::WmsConfig>> {
        self.warehouses
            .iter()
            .map(|(code, sim)| {
                serde_json::from_value(json!({
                    "code": code, "kind": "generic", "base_url": sim.url(),
                    "token": WMS_TOKEN, "secret": WMS_SECRET, "timeout_ms": 2000,
                }))
                .with_context(|| format!("warehouse connector {code}"))
            })
            .collect()
    }

    /// The simulator of a warehouse.
    #[cfg(test)]
    pub fn warehouse(&self, code: &str) -> &ordo_sim::WmsSim {
        &self
            .warehouses
            .iter()
            .find(|(c, _)| c == code)
            .expect("a simulator runs for every demo warehouse")
            .1
    }

    /// A connector per simulator, polling every `poll_ms`.
    pub fn channels(&self, poll_ms: u64) -> anyhow::Result<Vec<ChannelConfig>> {
        self.sims.iter().map(|sim| channel_for(sim, poll_ms)).collect()
    }

    /// The simulator of a platform.
    pub fn sim(&self, platform: Platform) -> &Sim {
        self.sims
            .iter()
            .find(|s| s.platform() == platform)
            .expect("the fleet runs every platform")
    }
}

/// The connector configuration for one simulator, with the credentials it accepts.
pub(crate) fn channel_for(sim: &Sim, poll_ms: u64) -> anyhow::Result<ChannelConfig> {
    let platform = sim.platform();
    // Amazon is read through Orders 2026-01-01, whose searchOrders answers carry the items:
    // one request per page instead of one more per order under a tight getOrderItems quota.
    let api = if platform == Platform::Amazon {
        "amazon-2026"
    } else {
        platform.code()
    };
    let mut config = json!({
        "code": platform.code(),
        "platform": api,
        "base_url": sim.base_url(),
        "poll_interval_ms": poll_ms,
        // Short overlap and lag: the simulator commits instantly, unlike a real platform.
        "overlap_seconds": 5,
        "safety_lag_seconds": 0,
        "initial_lookback_hours": 1,
        "backoff": { "base_ms": 100, "max_ms": 2000, "max_attempts": 4 },
        "request_timeout_ms": 5000,
    });
    let fields: Value = match &sim.config().credentials {
        Credentials::AccessToken(token) => match platform {
            Platform::BigCommerce => json!({ "access_token": token, "store_hash": ordo_sim::BIGCOMMERCE_STORE_HASH }),
            Platform::Magento => json!({ "access_token": token }),
            _ => json!({ "access_token": token, "location_id": ordo_sim::SHOPIFY_LOCATION_ID }),
        },
        Credentials::ConsumerKey { key, secret } => json!({ "consumer_key": key, "consumer_secret": secret }),
        Credentials::Lwa {
            client_id,
            client_secret,
            refresh_token,
        } => json!({
            "lwa_client_id": client_id,
            "lwa_client_secret": client_secret,
            "refresh_token": refresh_token,
            "marketplace_id": sim.config().amazon.marketplace_id,
            "seller_id": sim.config().amazon.seller_id,
        }),
        Credentials::AppKey {
            app_key,
            app_secret,
            access_token,
        } => json!({ "app_key": app_key, "app_secret": app_secret, "session": access_token }),
    };
    if let (Some(target), Some(extra)) = (config.as_object_mut(), fields.as_object()) {
        target.extend(
            extra
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    serde_json::from_value(config).with_context(|| format!("connector settings for {}", platform.code()))
}

/// Starts the simulators and a node polling them (and receiving their webhooks) on
/// `listen` (`127.0.0.1:0` for any free port).
pub async fn start_with_node(
    mut config: crate::config::Config,
    store: std::sync::Arc<dyn ordo_store::Store>,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    listen: &str,
    skus: &[String],
    poll_ms: u64,
) -> anyhow::Result<(crate::server::Node, Fleet)> {
    // The simulators need the node's address for their webhooks, and the node needs
    // theirs for its connectors: the node's socket is bound first, its address handed
    // over, and the node serves on that very socket.
    let socket = std::net::TcpListener::bind(listen)
        .or_else(|_| std::net::TcpListener::bind("127.0.0.1:0"))
        .context("finding a port for the node")?;
    let addr = socket.local_addr()?;
    let fleet = Fleet::start(&format!("http://{addr}"), skus, 7).await?;
    config.server.listen = addr.to_string();
    config.channels = fleet.channels(poll_ms)?;
    config.warehouses = fleet.warehouse_connectors()?;
    config.hooks.shopify_secret = Some(HOOK_SECRET.into());
    config.hooks.woocommerce_secret = Some(HOOK_SECRET.into());
    let node = crate::server::start_on(&config, store, metrics, Some(socket)).await?;
    Ok((node, fleet))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod warehouse_tests;

#[cfg(test)]
mod shipment_tests;

#[cfg(test)]
mod tenant_tests;
