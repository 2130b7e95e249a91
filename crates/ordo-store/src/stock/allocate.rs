//! Orders and stock in one transaction, written once for every store.
//!
//! Lock order, which every transaction keeps so that several nodes on one PostgreSQL
//! cannot deadlock: first every stock level of the SKUs involved, in (sku, warehouse)
//! order ([`AllocTx::lock_skus`]); then order rows, in (tenant, channel, external id) order;
//! feed events last ([`AllocTx::append_feed`]). Which SKUs to lock is read
//! before anything is locked; if an order turns out to hold a SKU that was not locked (it
//! changed in between), the transaction fails as retryable and runs again.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use chrono::{DateTime, Utc};
use ordo_core::allocation::{
    Aliases, Book, CatalogueEntry, OrderStock, PlanError, PlanOutcome, StockAction, StockActionKind, StockPolicy,
    demand, plan, status_after, unshipped, wanted_action,
};
use ordo_core::ingest::{EventKind, NewEvent, OrderState};
use ordo_core::{ChannelId, ExternalOrderId, Order, OrderId, OrderStatus, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::delivery::records::{NewFeedEvent, NewOutbox};
use crate::orders::kpis::KpiTally;
use crate::orders::rows::IngestTx;
use crate::stock::inventory::{MovementRecord, StockRow, StockTx, Warehouse};
use crate::stock::publish::publish;
use crate::stock::records::{CatalogueRow, ChannelRule, SkuAlias, StockAlert};
use crate::{StoreError, StoreResult};

/// The row operations that tie orders to stock; implemented by each adapter over its own
/// transaction type, used only generically.
pub trait AllocTx: IngestTx + StockTx {
    /// Locks these SKUs (sorted, unique) and every stock level they have, in (sku,
    /// warehouse) order, and returns the levels. The lock must cover levels created
    /// later by others (a row-locking store takes a per-SKU lock first), so that what is
    /// published from the returned levels is exact.
    fn lock_skus(
        &mut self,
        tenant: &TenantId,
        skus: &[String],
    ) -> impl Future<Output = StoreResult<Vec<StockRow>>> + Send;
    /// Catalogue facts for these codes; unknown codes are left out.
    fn catalogue(
        &mut self,
        tenant: &TenantId,
        skus: &[String],
    ) -> impl Future<Output = StoreResult<Vec<CatalogueRow>>> + Send;
    /// Aliases of these names, for any channel.
    fn aliases(
        &mut self,
        tenant: &TenantId,
        names: &[String],
    ) -> impl Future<Output = StoreResult<Vec<SkuAlias>>> + Send;
    /// Bundles with any of these SKUs among their components.
    fn bundles_containing(
        &mut self,
        tenant: &TenantId,
        skus: &[String],
    ) -> impl Future<Output = StoreResult<Vec<CatalogueRow>>> + Send;
    /// Every warehouse of the tenant.
    fn warehouses(&mut self, tenant: &TenantId) -> impl Future<Output = StoreResult<Vec<Warehouse>>> + Send;
    /// Every catalogue code of the tenant.
    fn all_skus(&mut self, tenant: &TenantId) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Creates or replaces a channel rule.
    fn write_channel_rule(
        &mut self,
        tenant: &TenantId,
        rule: &ChannelRule,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Every channel rule of the tenant.
    fn channel_rules(&mut self, tenant: &TenantId) -> impl Future<Output = StoreResult<Vec<ChannelRule>>> + Send;
    /// SKUs these orders hold or wait for, read without locking.
    fn held_skus(
        &mut self,
        tenant: &TenantId,
        orders: &[(&ChannelId, &ExternalOrderId)],
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// An order by id, read without locking.
    fn peek_order(
        &mut self,
        tenant: &TenantId,
        id: OrderId,
    ) -> impl Future<Output = StoreResult<Option<OrderState>>> + Send;
    /// What an order holds.
    fn order_stock(
        &mut self,
        tenant: &TenantId,
        order: OrderId,
    ) -> impl Future<Output = StoreResult<OrderStock>> + Send;
    /// Replaces what an order holds.
    fn write_order_stock(
        &mut self,
        tenant: &TenantId,
        order: OrderId,
        stock: &OrderStock,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Quantities last offered to channels, as (channel, sku, quantity).
    fn published(
        &mut self,
        tenant: &TenantId,
        skus: &[String],
    ) -> impl Future<Output = StoreResult<Vec<(String, String, i64)>>> + Send;
    /// Records the quantity offered to a channel.
    fn write_published(
        &mut self,
        tenant: &TenantId,
        channel: &str,
        sku: &str,
        quantity: i64,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// SKUs among these with an open low-stock alert.
    fn open_alerts(
        &mut self,
        tenant: &TenantId,
        skus: &[String],
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Opens an alert.
    fn open_alert(&mut self, tenant: &TenantId, alert: &StockAlert) -> impl Future<Output = StoreResult<()>> + Send;
    /// Closes a SKU's open alert.
    fn close_alert(
        &mut self,
        tenant: &TenantId,
        sku: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Queues a message for an outside system.
    fn insert_outbox(
        &mut self,
        tenant: &TenantId,
        message: &NewOutbox,
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Appends events to the tenant's feed. Feed numbers must never go back: a reader that
    /// resumed after number N must never find a later commit numbered below N. A store
    /// either numbers under a per-tenant lock held until commit (SQLite's one writer) or
    /// stages events and numbers them after commit (PostgreSQL). Call it last.
    fn append_feed(
        &mut self,
        tenant: &TenantId,
        events: &[NewFeedEvent],
        now: DateTime<Utc>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}

/// The stock one tenant's part of a transaction works with.
#[derive(Debug)]
pub struct TenantStock {
    /// Whose stock it is.
    pub tenant: TenantId,
    /// Catalogue facts of every SKU involved (bundles included).
    pub catalogue: BTreeMap<String, CatalogueRow>,
    /// SKUs whose levels are locked.
    pub locked: BTreeSet<String>,
    /// The locked levels.
    pub book: Book,
    /// Warehouses, best first.
    pub warehouses: Vec<Warehouse>,
    /// Channel rules.
    pub channels: Vec<ChannelRule>,
    /// Feed events to append at the end.
    pub feed: Vec<NewFeedEvent>,
    /// Aliases of the names involved that the catalogue does not know.
    pub aliases: Aliases,
    /// Dashboard figures to add at the end.
    pub kpis: KpiTally,
}

impl TenantStock {
    /// Nothing locked: for a tenant whose orders touch no stock.
    pub fn empty(tenant: &TenantId) -> Self {
        Self {
            tenant: tenant.clone(),
            catalogue: BTreeMap::new(),
            locked: BTreeSet::new(),
            book: Book::default(),
            warehouses: Vec::new(),
            channels: Vec::new(),
            feed: Vec::new(),
            aliases: Aliases::new(),
            kpis: KpiTally::default(),
        }
    }

    /// Reads what the SKUs involve and locks their levels (and those of every bundle
    /// sharing a component with them, so that bundle availability is published right).
    pub async fn load<T: AllocTx>(tx: &mut T, tenant: &TenantId, skus: BTreeSet<String>) -> StoreResult<Self> {
        let mut catalogue: BTreeMap<String, CatalogueRow> = BTreeMap::new();
        if skus.is_empty() {
            return Ok(Self::empty(tenant));
        }
        let mut named: Vec<String> = skus.iter().cloned().collect();
        let mut rows = tx.catalogue(tenant, &named).await?;
        // Names the catalogue does not know may be aliases of SKUs it does.
        let unknown: Vec<String> = named
            .iter()
            .filter(|n| !rows.iter().any(|r| &r.code == *n))
            .cloned()
            .collect();
        let mut aliases = Aliases::new();
        if !unknown.is_empty() {
            for alias in tx.aliases(tenant, &unknown).await? {
                aliases.insert((alias.channel, alias.alias), alias.sku);
            }
            let targets: Vec<String> = aliases.values().filter(|s| !named.contains(s)).cloned().collect();
            if !targets.is_empty() {
                rows.extend(tx.catalogue(tenant, &targets).await?);
                named.extend(targets);
            }
        }
        let mut stocked: BTreeSet<String> = BTreeSet::new();
        for row in rows {
            if row.components.is_empty() {
                stocked.insert(row.code.clone());
            } else {
                stocked.extend(row.components.iter().map(|c| c.sku.clone()));
            }
            catalogue.insert(row.code.clone(), row);
        }
        // A held SKU may have left the catalogue; it is still locked to be released.
        stocked.extend(
            skus.into_iter()
                .filter(|s| !catalogue.contains_key(s) && !aliases.keys().any(|(_, a)| a == s)),
        );
        let direct: Vec<String> = stocked.iter().cloned().collect();
        for bundle in tx.bundles_containing(tenant, &direct).await? {
            stocked.extend(bundle.components.iter().map(|c| c.sku.clone()));
            catalogue.insert(bundle.code.clone(), bundle);
        }
        let missing: Vec<String> = stocked
            .iter()
            .filter(|s| !catalogue.contains_key(*s))
            .cloned()
            .collect();
        if !missing.is_empty() {
            for row in tx.catalogue(tenant, &missing).await? {
                catalogue.insert(row.code.clone(), row);
            }
        }
        let locked: Vec<String> = stocked.iter().cloned().collect();
        let rows = tx.lock_skus(tenant, &locked).await?;
        let book = Book::new(rows.into_iter().map(|r| ((r.sku, r.warehouse), r.level)));
        let mut warehouses = tx.warehouses(tenant).await?;
        warehouses.sort_by(|a, b| (a.priority, &a.code).cmp(&(b.priority, &b.code)));
        let channels = tx.channel_rules(tenant).await?;
        Ok(Self {
            tenant: tenant.clone(),
            catalogue,
            locked: stocked,
            book,
            warehouses,
            channels,
            feed: Vec::new(),
            aliases,
            kpis: KpiTally::default(),
        })
    }

    fn entries(&self) -> BTreeMap<String, CatalogueEntry> {
        self.catalogue
            .iter()
            .map(|(code, row)| {
                let entry = if row.components.is_empty() {
                    CatalogueEntry::Stocked
                } else {
                    CatalogueEntry::Bundle(row.components.clone())
                };
                (code.clone(), entry)
            })
            .collect()
    }

    /// Warehouses an order of this channel may reserve from, best first.
    pub fn serving(&self, channel: &str) -> Vec<String> {
        self.warehouses
            .iter()
            .filter(|w| w.serves(channel))
            .map(|w| w.code.clone())
            .collect()
    }

    /// Writes changed levels, publishes availability, adds the dashboard figures, and
    /// appends the feed.
    pub async fn finish<T: AllocTx>(&mut self, tx: &mut T, tenant: &TenantId, now: DateTime<Utc>) -> StoreResult<()> {
        let changed: Vec<_> = self
            .book
            .touched()
            .map(|(s, w, l)| (s.to_owned(), w.to_owned(), l))
            .collect();
        for (sku, warehouse, level) in changed {
            tx.write_level(tenant, &warehouse, &sku, &level, now).await?;
        }
        self.publish(tx, tenant, now).await?;
        if !self.kpis.is_empty() {
            tx.add_kpis(self.kpis.take()).await?;
        }
        self.append_feed(tx, tenant, now).await
    }

    /// Publishes availability of touched SKUs (levels already written).
    pub async fn publish<T: AllocTx>(&mut self, tx: &mut T, tenant: &TenantId, now: DateTime<Utc>) -> StoreResult<()> {
        publish(tx, tenant, self, now).await
    }

    /// Appends the collected feed events.
    pub async fn append_feed<T: AllocTx>(
        &mut self,
        tx: &mut T,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        if !self.feed.is_empty() {
            let events = std::mem::take(&mut self.feed);
            tx.append_feed(tenant, &events, now).await?;
        }
        Ok(())
    }
}

/// What the stock step decided for an order.
#[derive(Debug, Clone, PartialEq)]
pub struct StockStep {
    /// The status to store.
    pub status: OrderStatus,
    /// Events to append after the order's own.
    pub events: Vec<NewEvent>,
    /// What the order holds afterwards, when the step planned anything.
    pub stock: Option<OrderStock>,
}

/// Brings an arriving order's stock in line with its status, inside the ingest
/// transaction that holds the order's row.
#[allow(clippy::too_many_arguments)]
pub async fn order_stock_step<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &mut TenantStock,
    state: &OrderState,
    existing: bool,
    policy: StockPolicy,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<StockStep> {
    let current = if existing {
        tx.order_stock(tenant, state.id).await?
    } else {
        OrderStock::default()
    };
    let Some(kind) = wanted_action(state.status, policy, !current.is_empty()) else {
        return Ok(StockStep {
            status: state.status,
            events: Vec::new(),
            stock: None,
        });
    };
    let action = match kind {
        StockActionKind::Release => StockAction::Release,
        StockActionKind::Reserve => reserve_action(ctx, &state.order, &current, policy),
    };
    let reason = match kind {
        StockActionKind::Release => "order cancelled",
        StockActionKind::Reserve => "order",
    };
    apply_action(tx, tenant, ctx, state, &current, &action, reason, actor, now)
        .await?
        // A plan refused on ingestion means the stored stock disagrees with the order.
        .map_err(|e| StoreError::Other(format!("order {}: {e}", state.id)))
}

/// Reserve what the order wants and has not shipped yet (a partly shipped order that
/// waits again re-reserves only the rest).
pub(crate) fn reserve_action(ctx: &TenantStock, order: &Order, stock: &OrderStock, policy: StockPolicy) -> StockAction {
    match demand(order, &ctx.entries(), &ctx.aliases) {
        Ok(demand) => StockAction::Reserve {
            demand: unshipped(demand, stock),
            on_short: policy.on_short,
        },
        Err(unknown) => StockAction::HoldUnknown(unknown),
    }
}

/// SKUs of an order that neither the locked catalogue nor an alias knows.
pub fn unknown_skus(ctx: &TenantStock, order: &Order) -> Vec<String> {
    if ctx.catalogue.is_empty() && ctx.locked.is_empty() {
        // Nothing was loaded (stock is not kept): nothing can be called unknown.
        return Vec::new();
    }
    match demand(order, &ctx.entries(), &ctx.aliases) {
        Ok(_) => Vec::new(),
        Err(unknown) => unknown.into_iter().map(|s| s.sku).collect(),
    }
}

/// Plans an action, writes its movements and the order's holdings, and says what the
/// order's status and events become. Fails as retryable if the order involves a SKU
/// whose levels were not locked; a refused plan (`Ok(Err)`) has written nothing.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_action<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &mut TenantStock,
    state: &OrderState,
    current: &OrderStock,
    action: &StockAction,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<StockStep, PlanError>> {
    let mut involved = current.skus();
    if let StockAction::Reserve { demand, .. } = action {
        involved.extend(demand.keys().cloned());
    }
    if let Some(sku) = involved.iter().find(|s| !ctx.locked.contains(*s)) {
        return Err(StoreError::Retryable(format!(
            "order {} came to involve {sku} while its stock was being locked",
            state.id
        )));
    }
    let warehouses = match action {
        StockAction::Reserve { demand, .. } => crate::stock::sourcing::ranked(ctx, &state.order, demand),
        _ => ctx.serving(state.order.channel.as_str()),
    };
    let plan = match plan(current, action, &warehouses, &mut ctx.book) {
        Ok(plan) => plan,
        Err(refused) => return Ok(Err(refused)),
    };
    let reference = format!("{}/{}", state.order.channel, state.order.external_id);
    for m in &plan.moves {
        let record = MovementRecord {
            id: Uuid::now_v7(),
            warehouse: m.warehouse.clone(),
            sku: m.sku.clone(),
            kind: m.movement.kind,
            quantity: m.movement.quantity,
            on_hand_after: m.after.on_hand,
            reserved_after: m.after.reserved,
            reason: reason.to_owned(),
            reference: Some(reference.clone()),
            actor: actor.to_owned(),
            at: now,
        };
        tx.insert_movement(tenant, &record).await?;
    }
    if plan.stock != *current {
        tx.write_order_stock(tenant, state.id, &plan.stock, now).await?;
    }
    if matches!(action, StockAction::Reserve { .. }) && plan.outcome == PlanOutcome::Reserved {
        ctx.kpis
            .allocation(tenant, state, (current, &plan.stock), &warehouses, now);
    }
    let status = status_after(state.status, &plan.outcome);
    let mut events = Vec::new();
    let changed = plan.stock != *current || status != state.status;
    if changed {
        let allocations: Vec<_> = plan
            .stock
            .allocations
            .iter()
            .filter(|a| a.reserved > 0)
            .map(|a| json!({ "sku": a.sku, "warehouse": a.warehouse, "reserved": a.reserved }))
            .collect();
        let waiting: Vec<_> = plan
            .stock
            .shortages
            .iter()
            .map(|s| json!({ "sku": s.sku, "waiting": s.waiting }))
            .collect();
        let event = match &plan.outcome {
            PlanOutcome::Reserved => (!allocations.is_empty()).then(|| NewEvent {
                kind: EventKind::Allocated,
                data: json!({ "allocations": allocations }),
            }),
            PlanOutcome::Short { held: true, reason } => Some(NewEvent {
                kind: EventKind::Held,
                data: json!({ "reason": reason, "waiting": waiting }),
            }),
            PlanOutcome::Short { held: false, reason } => Some(NewEvent {
                kind: EventKind::Backordered,
                data: json!({ "reason": reason, "waiting": waiting, "allocations": allocations }),
            }),
            PlanOutcome::Released => (!plan.moves.is_empty()).then(|| NewEvent {
                kind: EventKind::StockReleased,
                data: json!({ "released": moved(&plan.moves) }),
            }),
            PlanOutcome::Shipped => Some(NewEvent {
                kind: EventKind::Shipped,
                data: json!({ "shipped": moved(&plan.moves) }),
            }),
            PlanOutcome::PartlyShipped => (!plan.moves.is_empty()).then(|| NewEvent {
                kind: EventKind::PartlyShipped,
                data: json!({ "shipped": moved(&plan.moves), "still_reserved": allocations, "waiting": waiting }),
            }),
            // The caller's event names the warehouse and why; the movements say the rest.
            PlanOutcome::ShippedShort => None,
            PlanOutcome::Returned => Some(NewEvent {
                kind: EventKind::Returned,
                data: json!({ "returned": moved(&plan.moves) }),
            }),
        };
        events.extend(event);
    }
    Ok(Ok(StockStep {
        status,
        events,
        stock: Some(plan.stock),
    }))
}

fn moved(moves: &[ordo_core::allocation::PlannedMove]) -> Vec<serde_json::Value> {
    moves
        .iter()
        .map(|m| json!({ "sku": m.sku, "warehouse": m.warehouse, "quantity": m.movement.quantity }))
        .collect()
}

/// A feed event for an order event.
pub fn order_feed_event(state: &OrderState, event: &NewEvent) -> NewFeedEvent {
    NewFeedEvent {
        kind: event.kind.as_str().to_owned(),
        data: json!({
            "order_id": state.id.to_string(),
            "channel": state.order.channel.as_str(),
            "external_id": state.order.external_id.as_str(),
            "status": state.status.as_str(),
            "version": state.version,
            "data": event.data,
        }),
    }
}

/// Stores a channel rule and offers that channel every SKU again under it, inside an
/// open transaction.
pub async fn put_channel_rule<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    rule: &ChannelRule,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let skus: BTreeSet<String> = tx.all_skus(tenant).await?.into_iter().collect();
    let mut ctx = TenantStock::load(tx, tenant, skus.clone()).await?;
    tx.write_channel_rule(tenant, rule, now).await?;
    ctx.channels.retain(|r| r.channel != rule.channel);
    ctx.channels.push(rule.clone());
    for sku in &skus {
        ctx.book.touch(sku);
    }
    ctx.publish(tx, tenant, now).await?;
    ctx.append_feed(tx, tenant, now).await
}
