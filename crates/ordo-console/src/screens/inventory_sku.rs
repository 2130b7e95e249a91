//! One SKU: its levels per warehouse, what each channel may sell of it under the
//! channel's stock rule (with the rule's editor), and its movements, newest first.
//!
//! Availability and each channel's sellable quantity are the API's
//! ([`sku_availability`], [`channel_availability`]), so `GET /api/v1/availability/{sku}`
//! and this page never disagree.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use ordo_api::routes::stock::levels::{
    AvailabilityView, LevelView, MovementView, channel_availability, sku_availability,
};
use ordo_core::ChannelId;
use ordo_core::auth::Permission;
use ordo_core::inventory::{ChannelPolicy, SkuOverride};
use ordo_store::settings::connections::ConnectionKind;
use ordo_store::stock::inventory::{MovementQuery, Warehouse};
use serde::Deserialize;

use crate::screens::bulk::invalid;
use crate::screens::inventory::segment;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Movements per page.
const MOVEMENT_ROWS: u32 = 50;

/// Where the movements start.
#[derive(Debug, Default, Deserialize)]
pub struct MovementPage {
    /// After this movement (they are listed newest first).
    #[serde(default)]
    pub cursor: Option<String>,
}

/// One channel as it sees the SKU.
pub struct ChannelRow {
    /// Channel code.
    pub channel: String,
    /// The active warehouses serving it.
    pub warehouses: String,
    /// Available over those.
    pub available: i64,
    /// What it may sell under its rule.
    pub sellable: i64,
    /// What it was last told, if anything.
    pub offered: Option<i64>,
    /// Its rule (the default, all of it, when it has none).
    pub policy: ChannelPolicy,
    /// This SKU's override: `fixed`, `cap`, or empty.
    pub mode: &'static str,
    /// The override's quantity.
    pub quantity: i64,
}

/// The SKU page.
#[derive(Template)]
#[template(path = "inventory_sku.html")]
pub struct SkuPage {
    c: Chrome,
    view: AvailabilityView,
    levels: Vec<(String, LevelView)>,
    low: bool,
    channels: Vec<ChannelRow>,
    movements: Vec<MovementView>,
    next: Option<String>,
    paged: bool,
    warehouses: Vec<Warehouse>,
    fixed_sku: String,
    href: String,
}

/// `GET /inventory/{sku}?cursor=…`: the availability read of the API, then one round of
/// six queries (warehouses, rules, alerts, published quantities, channel connections,
/// one page of movements).
pub async fn show(
    State(console): State<Console>,
    signed: Signed,
    Path(sku): Path<String>,
    Query(page): Query<MovementPage>,
) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let tenant = &principal.tenant;
    let store = &console.app.store;
    let view = sku_availability(&console.app, tenant, sku.clone()).await?;
    let after = page
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| uuid::Uuid::parse_str(c).map_err(|_| invalid("cursor", "not a movement id")))
        .transpose()?;
    let query = MovementQuery {
        sku: Some(sku.clone()),
        warehouse: None,
        after,
        limit: MOVEMENT_ROWS,
    };
    let (warehouses, rules, alerts, published, connections, movements) = tokio::try_join!(
        store.list_warehouses(tenant),
        store.list_channel_rules(tenant),
        store.list_alerts(tenant, true),
        store.list_published(tenant, Some(&sku)),
        store.list_connections(tenant, ConnectionKind::Channel),
        store.list_movements(tenant, &query),
    )?;
    // Every channel that has anything to do with stock: a connection, a rule, a quantity
    // it was told, or a warehouse that serves it by name.
    let offered: BTreeMap<&str, i64> = published.iter().map(|(c, _, q)| (c.as_str(), *q)).collect();
    let codes: BTreeSet<String> = connections
        .iter()
        .map(|c| c.code.clone())
        .chain(rules.iter().map(|r| r.channel.clone()))
        .chain(offered.keys().map(|c| (*c).to_owned()))
        .chain(warehouses.iter().flat_map(|w| w.channels.iter().cloned()))
        .collect();
    let channels = codes
        .into_iter()
        .filter_map(|code| ChannelId::parse(&code).ok())
        .map(|channel| {
            let seen = channel_availability(&view, &channel, &warehouses, &rules);
            let rule = rules.iter().find(|r| r.channel == channel.as_str());
            let (mode, quantity) = match rule.and_then(|r| r.overrides.get(&view.sku)) {
                Some(SkuOverride::Fixed(q)) => ("fixed", *q),
                Some(SkuOverride::Cap(q)) => ("cap", *q),
                None => ("", 0),
            };
            ChannelRow {
                offered: offered.get(channel.as_str()).copied(),
                policy: rule.map(|r| r.policy).unwrap_or_default(),
                mode,
                quantity,
                channel: seen.channel,
                warehouses: seen.warehouses.join(", "),
                available: seen.available,
                sellable: seen.sellable,
            }
        })
        .collect();
    let next = (movements.len() == MOVEMENT_ROWS as usize)
        .then(|| movements.last().map(|m| m.id.to_string()))
        .flatten();
    let mut view = view;
    let levels = std::mem::take(&mut view.levels).into_iter().collect();
    let page = SkuPage {
        c: Chrome::new(&console, &signed, "inventory"),
        low: alerts.iter().any(|a| a.sku == view.sku),
        href: format!("/inventory/{}", segment(&view.sku)),
        fixed_sku: view.sku.clone(),
        view,
        levels,
        channels,
        movements: movements.into_iter().map(MovementView::from).collect(),
        next,
        paged: after.is_some(),
        warehouses,
    };
    Ok(Page(page).into_response())
}
