//! End-to-end tests of the simulators over real HTTP on 127.0.0.1: each platform's auth,
//! pagination, rate limits, failures, renames, webhooks and write-backs, driven with
//! reqwest as a connector would. Every test is bounded in time.

mod amazon;
mod bigcommerce;
mod china;
mod china_stock;
mod common;
mod control;
mod magento;
mod router;
mod shopify;
mod wechat_kuaishou;
mod woocommerce;
