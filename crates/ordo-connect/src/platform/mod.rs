//! The platforms: how each one lists orders in a window, fetches one order and takes
//! write-backs. Everything generic (cursor, budget, retries, status) lives outside.

pub(crate) mod amazon;
pub(crate) mod bigcommerce;
pub mod china;
mod china_aftersales;
mod china_decisions;
mod china_spec;
mod china_stock;
pub mod kuaishou;
pub(crate) mod magento;
pub(crate) mod shopify;
pub(crate) mod wechat;
pub(crate) mod woo;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::config::{ChannelConfig, Platform};
use crate::cursor::Window;
use crate::http::{Http, Tally};
use crate::writeback::WriteBack;
use crate::{ChannelSink, ConnectError};

/// Most pages read for one window; a platform that keeps saying "more" beyond this is
/// looping, and the poll fails rather than spinning forever.
pub(crate) const MAX_PAGES_PER_WINDOW: u64 = 10_000;

/// What a platform call needs from its channel.
pub(crate) struct Ctx<'a> {
    pub http: &'a Http,
    pub tally: &'a Tally,
    pub config: &'a ChannelConfig,
    pub sink: &'a dyn ChannelSink,
}

impl Ctx<'_> {
    /// Hands one order document to Ordo.
    pub async fn ingest(&self, payload: Value) -> Result<(), ConnectError> {
        self.sink
            .ingest(&self.config.code, self.config.mapping_name(), payload)
            .await?;
        Tally::add(&self.tally.orders, 1);
        metrics::counter!("ordo_channel_orders_total", "channel" => self.config.code.clone()).increment(1);
        Ok(())
    }

    /// Counts a list page read; fails once a window has taken implausibly many.
    pub fn page(&self, pages_in_window: &mut u64) -> Result<(), ConnectError> {
        Tally::add(&self.tally.pages, 1);
        *pages_in_window += 1;
        if *pages_in_window > MAX_PAGES_PER_WINDOW {
            return Err(ConnectError::BadResponse(format!(
                "more than {MAX_PAGES_PER_WINDOW} pages in one window; the platform keeps announcing more"
            )));
        }
        Ok(())
    }

    /// `base_url` joined with an absolute path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// `base_url` joined with path segments, each percent-encoded (SKUs may hold `/`).
    pub fn url_segments(&self, segments: &[&str]) -> Result<reqwest::Url, ConnectError> {
        let mut url = reqwest::Url::parse(self.config.base_url.trim_end_matches('/'))
            .map_err(|e| ConnectError::Config(format!("base_url: {e}")))?;
        url.path_segments_mut()
            .map_err(|()| ConnectError::Config("base_url cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }
}

/// A platform client; one per channel.
#[derive(Debug)]
pub(crate) enum Client {
    Shopify(shopify::Shopify),
    Woo(woo::Woo),
    Amazon(amazon::Amazon),
    Router(china::Router),
    BigCommerce(bigcommerce::BigCommerce),
    Magento(magento::Magento),
    Kuaishou(kuaishou::Kuaishou),
    Wechat(wechat::Wechat),
}

impl Client {
    pub fn new(config: &ChannelConfig) -> Self {
        match config.platform {
            Platform::Shopify => Self::Shopify(shopify::Shopify::new(config)),
            Platform::Woocommerce => Self::Woo(woo::Woo::new(config)),
            Platform::Amazon | Platform::Amazon2026 => Self::Amazon(amazon::Amazon::new(config)),
            Platform::Taobao | Platform::Jd | Platform::Douyin | Platform::Pinduoduo | Platform::Xiaohongshu => {
                Self::Router(china::Router::new(config))
            }
            Platform::BigCommerce => Self::BigCommerce(bigcommerce::BigCommerce::new(config)),
            Platform::Magento => Self::Magento(magento::Magento::new(config)),
            Platform::Kuaishou => Self::Kuaishou(kuaishou::Kuaishou::new(config)),
            Platform::Wechat => Self::Wechat(wechat::Wechat::new(config)),
        }
    }

    /// The longest window one list call may cover; `None` for APIs that take only a start.
    pub fn max_window(&self) -> Option<TimeDelta> {
        match self {
            Self::Router(router) => Some(router.max_window()),
            Self::Kuaishou(kuaishou) => Some(kuaishou.max_window()),
            Self::Wechat(wechat) => Some(wechat.max_window()),
            _ => None,
        }
    }

    /// Ingests every order updated in `window`; returns the newest instant the platform
    /// vouched for (see [`crate::cursor::advance`]).
    pub async fn poll(&self, ctx: &Ctx<'_>, window: Window) -> Result<Option<DateTime<Utc>>, ConnectError> {
        match self {
            Self::Shopify(shopify) => shopify.poll(ctx, window).await,
            Self::Woo(woo) => woo.poll(ctx, window).await,
            Self::Amazon(amazon) => amazon.poll(ctx, window).await,
            Self::Router(router) => router.poll(ctx, window).await.map(|()| Some(window.to)),
            Self::BigCommerce(bigcommerce) => bigcommerce.poll(ctx, window).await,
            Self::Magento(magento) => magento.poll(ctx, window).await,
            Self::Kuaishou(kuaishou) => kuaishou.poll(ctx, window).await.map(|()| Some(window.to)),
            Self::Wechat(wechat) => wechat.poll(ctx, window).await.map(|()| Some(window.to)),
        }
    }

    /// Whether the platform's after-sales are polled.
    pub fn polls_aftersales(&self) -> bool {
        match self {
            Self::Router(router) => china_aftersales::list_method(router.kind()).is_some(),
            _ => false,
        }
    }

    /// Hands every after-sale record modified in `window` to the sink; `Ok(false)` for a
    /// platform whose after-sales are not polled.
    pub async fn poll_aftersales(&self, ctx: &Ctx<'_>, window: Window) -> Result<bool, ConnectError> {
        match self {
            Self::Router(router) => router.poll_aftersales(ctx, window).await,
            _ => Ok(false),
        }
    }

    /// Fetches one order again and ingests it.
    pub async fn fetch_order(&self, ctx: &Ctx<'_>, external_id: &str) -> Result<(), ConnectError> {
        let order = match self {
            Self::Shopify(shopify) => shopify.fetch_order(ctx, external_id).await?,
            Self::Woo(woo) => woo.fetch_order(ctx, external_id).await?,
            Self::Amazon(amazon) => amazon.fetch_order(ctx, external_id).await?,
            Self::BigCommerce(bigcommerce) => bigcommerce.fetch_order(ctx, external_id).await?,
            Self::Magento(magento) => magento.fetch_order(ctx, external_id).await?,
            Self::Router(router) => router.fetch_order(ctx, external_id).await?,
            Self::Kuaishou(kuaishou) => kuaishou.fetch_order(ctx, external_id).await?,
            Self::Wechat(wechat) => wechat.fetch_order(ctx, external_id).await?,
        };
        ctx.ingest(order).await
    }

    /// Delivers one write-back.
    pub async fn push(&self, ctx: &Ctx<'_>, message: &WriteBack) -> Result<(), ConnectError> {
        match self {
            Self::Shopify(shopify) => shopify.push(ctx, message).await,
            Self::Woo(woo) => woo.push(ctx, message).await,
            Self::Amazon(amazon) => amazon.push(ctx, message).await,
            Self::Router(router) => router.push(ctx, message).await,
            Self::BigCommerce(bigcommerce) => bigcommerce.push(ctx, message).await,
            Self::Magento(magento) => magento.push(ctx, message).await,
            Self::Kuaishou(kuaishou) => kuaishou.push(ctx, message).await,
            Self::Wechat(wechat) => wechat.push(ctx, message).await,
        }
    }
}

/// The text of an id that may be a JSON number or string.
pub(crate) fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The array at `key` of an answer, or a shape error naming it.
pub(crate) fn array_at<'v>(body: &'v Value, pointer: &str) -> Result<&'v Vec<Value>, ConnectError> {
    body.pointer(pointer)
        .and_then(Value::as_array)
        .ok_or_else(|| ConnectError::BadResponse(format!("no array at {pointer}")))
}
