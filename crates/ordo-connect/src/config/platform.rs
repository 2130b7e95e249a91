//! The platforms a channel can be, and what each one's defaults are.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The platform API a channel speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// Shopify Admin REST API `2024-10`.
    Shopify,
    /// WooCommerce REST API `wc/v3`.
    Woocommerce,
    /// Amazon Selling Partner API, Orders v0.
    Amazon,
    /// Amazon Selling Partner API, Orders `2026-01-01`.
    #[serde(rename = "amazon-2026")]
    Amazon2026,
    /// Taobao / Tmall open platform (TOP).
    Taobao,
    /// JD open platform.
    Jd,
    /// Douyin shop open platform.
    Douyin,
    /// Pinduoduo open platform.
    Pinduoduo,
    /// Xiaohongshu (ark) open platform.
    Xiaohongshu,
    /// BigCommerce Management REST API, orders `v2` (catalogue and inventory `v3`).
    #[serde(rename = "bigcommerce")]
    BigCommerce,
    /// Magento 2 / Adobe Commerce REST API `V1`.
    Magento,
    /// Kuaishou shop (快手小店) open platform.
    Kuaishou,
    /// WeChat Channels shop (微信小店 / 视频号小店) API.
    Wechat,
}

impl Platform {
    /// The name used in configuration and status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shopify => "shopify",
            Self::Woocommerce => "woocommerce",
            Self::Amazon => "amazon",
            Self::Amazon2026 => "amazon-2026",
            Self::Taobao => "taobao",
            Self::Jd => "jd",
            Self::Douyin => "douyin",
            Self::Pinduoduo => "pinduoduo",
            Self::Xiaohongshu => "xiaohongshu",
            Self::BigCommerce => "bigcommerce",
            Self::Magento => "magento",
            Self::Kuaishou => "kuaishou",
            Self::Wechat => "wechat",
        }
    }

    /// The built-in mapping that reads the documents this platform's connector stores.
    pub fn default_mapping(self) -> &'static str {
        match self {
            Self::Shopify => "shopify.order",
            Self::Woocommerce => "woocommerce.order",
            Self::Amazon => "amazon.order",
            Self::Amazon2026 => "amazon.order.2026",
            Self::Taobao => "taobao.order",
            Self::Jd => "jd.order",
            Self::Douyin => "douyin.order",
            Self::Pinduoduo => "pinduoduo.order",
            Self::Xiaohongshu => "xiaohongshu.order",
            Self::BigCommerce => "bigcommerce.order",
            Self::Magento => "magento.order",
            Self::Kuaishou => "kuaishou.order",
            Self::Wechat => "wechat.order",
        }
    }

    /// The largest page the platform's list call accepts; larger configured sizes are clamped.
    pub fn max_page_size(self) -> u32 {
        match self {
            Self::Shopify | Self::BigCommerce => 250,
            Self::Xiaohongshu => 50,
            _ => 100,
        }
    }

    /// Requests per second and burst when the entry sets none. Shopify's are its leaky
    /// bucket (40, draining 2/s); Amazon's are getOrderItems' quota (getOrders is slower
    /// still and answers 429, which backs off); the others are conservative app limits
    /// (5/s is also BigCommerce's Standard and Plus store quota, 150 per 30 s, which every
    /// app of the store shares).
    pub fn default_budget(self) -> (f64, u32) {
        match self {
            Self::Shopify => (2.0, 40),
            Self::Woocommerce => (10.0, 20),
            Self::Amazon | Self::Amazon2026 => (0.5, 20),
            _ => (5.0, 10),
        }
    }

    /// Milliseconds between polls when the entry sets none. Amazon's getOrders quota is
    /// about one call a minute, so polling it faster only collects 429s.
    pub fn default_poll_interval_ms(self) -> u64 {
        match self {
            Self::Amazon | Self::Amazon2026 => 60_000,
            _ => 30_000,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
