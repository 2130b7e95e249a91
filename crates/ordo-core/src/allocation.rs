//! Which stock an order holds, and how that changes when the order does.
//!
//! An order's hold on inventory is its [`OrderStock`]: per (SKU, warehouse) how many units
//! are reserved, shipped and returned, plus per SKU how many units it wants but could not
//! get ([`Shortage`]). [`plan`] turns an [`StockAction`] into the movements that apply it,
//! against a [`Book`] of stock levels the store has locked; the store then writes the
//! movements, the levels and the new `OrderStock` in the transaction that holds the order.
//!
//! Invariant: for every (SKU, warehouse), the level's `reserved` equals the sum of
//! `reserved` over the orders' allocations there. Every function here keeps it, because
//! every change to an allocation goes through [`Book::apply`] with the matching movement.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::inventory::{Component, InventoryError, Movement, MovementKind, StockLevel, apply};
use crate::order::{Order, OrderStatus};

/// When an order's lines are reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReserveWhen {
    /// Once the channel says it is paid (the default: unpaid orders do not block stock).
    #[default]
    Paid,
    /// As soon as it is placed, paid or not (released again by the unpaid timeout).
    Placed,
    /// Never: stock is not managed for orders.
    Never,
}

/// What happens when there is not enough stock for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortStock {
    /// Reserve nothing more, hold the order with the reason, retry when stock arrives.
    #[default]
    Hold,
    /// Reserve what there is, keep the rest waiting, and fill it when stock arrives.
    Backorder,
}

/// The stock rules orders are ingested under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StockPolicy {
    /// When to reserve.
    pub reserve_when: ReserveWhen,
    /// What to do when short.
    pub on_short: ShortStock,
}

impl StockPolicy {
    /// Orders do not touch stock.
    pub const OFF: StockPolicy = StockPolicy {
        reserve_when: ReserveWhen::Never,
        on_short: ShortStock::Hold,
    };
}

/// An order's units of one SKU in one warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allocation {
    /// SKU code (a stocked SKU: bundles are held as their components).
    pub sku: String,
    /// Warehouse code.
    pub warehouse: String,
    /// Units reserved and not yet shipped.
    pub reserved: i64,
    /// Units shipped.
    pub shipped: i64,
    /// Shipped units that came back to stock.
    pub returned: i64,
}

/// Units of a SKU an order wants but does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shortage {
    /// SKU code (possibly one the catalogue does not know).
    pub sku: String,
    /// Units waiting.
    pub waiting: i64,
}

/// Everything an order holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderStock {
    /// By (sku, warehouse).
    pub allocations: Vec<Allocation>,
    /// By sku.
    pub shortages: Vec<Shortage>,
}

impl OrderStock {
    /// Whether it holds or waits for nothing.
    pub fn is_empty(&self) -> bool {
        self.allocations.iter().all(|a| a.reserved == 0 && a.shipped == 0) && self.shortages.is_empty()
    }

    /// Units reserved per SKU.
    pub fn reserved(&self) -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for a in &self.allocations {
            *out.entry(a.sku.clone()).or_insert(0) += a.reserved;
        }
        out.retain(|_, units| *units > 0);
        out
    }

    /// Every SKU it mentions.
    pub fn skus(&self) -> BTreeSet<String> {
        self.allocations
            .iter()
            .map(|a| a.sku.clone())
            .chain(self.shortages.iter().map(|s| s.sku.clone()))
            .collect()
    }

    fn allocation(&mut self, sku: &str, warehouse: &str) -> &mut Allocation {
        let at = match self
            .allocations
            .iter()
            .position(|a| a.sku == sku && a.warehouse == warehouse)
        {
            Some(at) => at,
            None => {
                self.allocations.push(Allocation {
                    sku: sku.to_owned(),
                    warehouse: warehouse.to_owned(),
                    reserved: 0,
                    shipped: 0,
                    returned: 0,
                });
                self.allocations.len() - 1
            }
        };
        &mut self.allocations[at]
    }

    fn tidy(&mut self) {
        self.allocations
            .retain(|a| a.reserved != 0 || a.shipped != 0 || a.returned != 0);
        self.allocations
            .sort_by(|a, b| (&a.sku, &a.warehouse).cmp(&(&b.sku, &b.warehouse)));
        self.shortages.retain(|s| s.waiting > 0);
        self.shortages.sort_by(|a, b| a.sku.cmp(&b.sku));
    }
}

/// What the catalogue says about a SKU an order line names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogueEntry {
    /// Stocked on its own.
    Stocked,
    /// A bundle of these components.
    Bundle(Vec<Component>),
}

/// SKU aliases: (channel, alias) → catalogue code; channel `""` applies to every channel.
pub type Aliases = BTreeMap<(String, String), String>;

/// The catalogue code a line's SKU stands for: itself if the catalogue has it, else its
/// alias for the order's channel, else its alias for every channel.
pub fn resolve<'a>(
    sku: &'a str,
    channel: &str,
    catalogue: &BTreeMap<String, CatalogueEntry>,
    aliases: &'a Aliases,
) -> &'a str {
    if catalogue.contains_key(sku) {
        return sku;
    }
    let alias = |c: &str| aliases.get(&(c.to_owned(), sku.to_owned()));
    alias(channel).or_else(|| alias("")).map_or(sku, String::as_str)
}

/// Units per stocked SKU an order needs, with aliases resolved and bundles expanded into
/// their components, or the SKUs the catalogue does not know.
pub fn demand(
    order: &Order,
    catalogue: &BTreeMap<String, CatalogueEntry>,
    aliases: &Aliases,
) -> Result<BTreeMap<String, i64>, Vec<Shortage>> {
    let mut needed = BTreeMap::new();
    let mut unknown: BTreeMap<String, i64> = BTreeMap::new();
    for line in &order.lines {
        let units = i64::from(line.quantity.get());
        let code = resolve(line.sku.as_str(), order.channel.as_str(), catalogue, aliases);
        match catalogue.get(code) {
            None => *unknown.entry(line.sku.as_str().to_owned()).or_insert(0) += units,
            Some(CatalogueEntry::Stocked) => *needed.entry(code.to_owned()).or_insert(0) += units,
            Some(CatalogueEntry::Bundle(components)) => {
                for c in components {
                    *needed.entry(c.sku.clone()).or_insert(0) += units * c.quantity;
                }
            }
        }
    }
    if unknown.is_empty() {
        Ok(needed)
    } else {
        Err(unknown
            .into_iter()
            .map(|(sku, waiting)| Shortage { sku, waiting })
            .collect())
    }
}

/// Stock levels locked for a transaction, with the warehouses that may be used.
#[derive(Debug, Clone, Default)]
pub struct Book {
    levels: BTreeMap<(String, String), StockLevel>,
    original: BTreeMap<(String, String), StockLevel>,
    touched: BTreeSet<(String, String)>,
}

impl Book {
    /// A book over these (sku, warehouse) levels.
    pub fn new(levels: impl IntoIterator<Item = ((String, String), StockLevel)>) -> Self {
        let levels: BTreeMap<_, _> = levels.into_iter().collect();
        Self {
            original: levels.clone(),
            levels,
            touched: BTreeSet::new(),
        }
    }

    /// The level as it was when the book was made.
    pub fn original(&self, sku: &str, warehouse: &str) -> StockLevel {
        self.original
            .get(&(sku.to_owned(), warehouse.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    /// Adds levels locked later (they count as unchanged).
    pub fn extend(&mut self, levels: impl IntoIterator<Item = ((String, String), StockLevel)>) {
        for (key, level) in levels {
            self.original.entry(key.clone()).or_insert(level);
            self.levels.entry(key).or_insert(level);
        }
    }

    /// The level of a SKU in a warehouse (zero if there is no row).
    pub fn level(&self, sku: &str, warehouse: &str) -> StockLevel {
        self.levels
            .get(&(sku.to_owned(), warehouse.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    /// Applies a movement to one level.
    pub fn apply(&mut self, sku: &str, warehouse: &str, movement: Movement) -> Result<StockLevel, InventoryError> {
        let key = (sku.to_owned(), warehouse.to_owned());
        let next = apply(self.levels.get(&key).copied().unwrap_or_default(), movement)?;
        self.levels.insert(key.clone(), next);
        self.touched.insert(key);
        Ok(next)
    }

    /// Sets a level outright (a stock change the store already checked).
    pub fn set(&mut self, sku: &str, warehouse: &str, level: StockLevel) {
        let key = (sku.to_owned(), warehouse.to_owned());
        self.levels.insert(key.clone(), level);
        self.touched.insert(key);
    }

    /// Marks every level of a SKU as changed, so that it is published again.
    pub fn touch(&mut self, sku: &str) {
        let keys: Vec<_> = self.levels.keys().filter(|(s, _)| s == sku).cloned().collect();
        self.touched.extend(keys);
    }

    /// Levels changed since the book was made, by (sku, warehouse).
    pub fn touched(&self) -> impl Iterator<Item = (&str, &str, StockLevel)> {
        self.touched
            .iter()
            .map(|(s, w)| (s.as_str(), w.as_str(), self.level(s, w)))
    }

    /// SKUs with a changed level.
    pub fn touched_skus(&self) -> BTreeSet<String> {
        self.touched.iter().map(|(s, _)| s.clone()).collect()
    }

    /// Every (warehouse, level) of a SKU.
    pub fn levels_of<'a>(&'a self, sku: &'a str) -> impl Iterator<Item = (&'a str, StockLevel)> + 'a {
        self.levels
            .iter()
            .filter(move |((s, _), _)| s == sku)
            .map(|((_, w), level)| (w.as_str(), *level))
    }
}

/// What to do to an order's stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockAction {
    /// Hold exactly this demand (SKU → units): reserve what is missing, release the excess.
    Reserve {
        /// Units per stocked SKU.
        demand: BTreeMap<String, i64>,
        /// What to do when short.
        on_short: ShortStock,
    },
    /// Wait for SKUs the catalogue does not know; nothing more is reserved.
    HoldUnknown(Vec<Shortage>),
    /// Let go of everything reserved or waiting (cancel, unpaid timeout).
    Release,
    /// Reserved units leave their warehouse: everything, or what one warehouse shipped
    /// (a split order's packages leave one warehouse at a time).
    Ship(ShipScope),
    /// A warehouse will not ship these units (SKU → units): they are released there and
    /// the order waits for them again, to be reserved elsewhere. When it shipped short
    /// they are also taken off its stock (`write_off`: it does not have them, whatever
    /// the book said); when it cancelled, its stock stays as it is.
    ShortShip {
        /// The warehouse.
        warehouse: String,
        /// Units it will not ship.
        units: BTreeMap<String, i64>,
        /// Whether the units are missing there (a count correction).
        write_off: bool,
    },
    /// Shipped units come back to stock: SKU → units, or every shipped unit.
    Return(Option<BTreeMap<String, i64>>),
}

/// One movement of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMove {
    /// SKU code.
    pub sku: String,
    /// Warehouse code.
    pub warehouse: String,
    /// The movement.
    pub movement: Movement,
    /// The level after it.
    pub after: StockLevel,
}

/// How a plan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanOutcome {
    /// Everything the order wants is reserved.
    Reserved,
    /// Some units are waiting; `held` when the order must wait on hold.
    Short {
        /// Held (true) or backordered (false).
        held: bool,
        /// Why: `insufficient_stock` or `unknown_sku`.
        reason: &'static str,
    },
    /// Everything was released.
    Released,
    /// Every reserved unit shipped and nothing is waiting.
    Shipped,
    /// Some units shipped; others are still reserved or waiting.
    PartlyShipped,
    /// A warehouse's short units were written off there and wait again.
    ShippedShort,
    /// Units returned to stock.
    Returned,
}

/// The result of [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Movements, already applied to the book.
    pub moves: Vec<PlannedMove>,
    /// What the order holds afterwards.
    pub stock: OrderStock,
    /// How it ended.
    pub outcome: PlanOutcome,
}

/// Why an action cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// Returning more than was shipped.
    #[error("{sku}: {requested} to return but only {returnable} shipped and not yet returned")]
    NotReturnable {
        /// SKU.
        sku: String,
        /// Units asked.
        requested: i64,
        /// Units that can come back.
        returnable: i64,
    },
    /// Shipping more than is reserved (at the warehouse).
    #[error("{sku}: {requested} to ship but only {reserved} reserved{}", warehouse.as_deref().map(|w| format!(" in {w}")).unwrap_or_default())]
    NotShippable {
        /// SKU.
        sku: String,
        /// The warehouse, when the shipment names one.
        warehouse: Option<String>,
        /// Units asked.
        requested: i64,
        /// Units reserved there.
        reserved: i64,
    },
    /// A level disagrees with the order's allocations (a bug or a manual database edit).
    #[error("stock of {sku} in {warehouse} disagrees with the order: {source}")]
    Inconsistent {
        /// SKU.
        sku: String,
        /// Warehouse.
        warehouse: String,
        /// The refused movement.
        source: InventoryError,
    },
}

/// What an order still wants reserved: its `demand` less what already left a warehouse
/// (a partly shipped order re-reserves only the rest).
pub fn unshipped(demand: BTreeMap<String, i64>, stock: &OrderStock) -> BTreeMap<String, i64> {
    let mut left = demand;
    for a in &stock.allocations {
        if let Some(units) = left.get_mut(&a.sku) {
            *units -= a.shipped;
        }
    }
    left.retain(|_, units| *units > 0);
    left
}

/// Plans an action on an order's stock. `warehouses` are the ones the order may reserve
/// from, best first. Releases take from the last-preferred warehouse first, reservations
/// prefer one warehouse that can cover everything missing, then fill in preference order.
pub fn plan(
    current: &OrderStock,
    action: &StockAction,
    warehouses: &[String],
    book: &mut Book,
) -> Result<Plan, PlanError> {
    let mut stock = current.clone();
    let mut moves = Vec::new();
    let outcome = match action {
        StockAction::Release => {
            for a in stock.allocations.iter_mut().filter(|a| a.reserved > 0) {
                moves.push(movement(book, &a.sku, &a.warehouse, MovementKind::Release, a.reserved)?);
                a.reserved = 0;
            }
            stock.shortages.clear();
            PlanOutcome::Released
        }
        StockAction::Ship(scope) => ship::ship(&mut stock, &mut moves, scope, book)?,
        StockAction::ShortShip {
            warehouse,
            units,
            write_off,
        } => ship::short(&mut stock, &mut moves, warehouse, units, *write_off, book)?,
        StockAction::Return(units) => {
            let wanted: BTreeMap<String, i64> = match units {
                Some(units) => units.clone(),
                None => returnable(&stock),
            };
            let can = returnable(&stock);
            for (sku, requested) in &wanted {
                let returnable = can.get(sku).copied().unwrap_or(0);
                if *requested > returnable || *requested < 0 {
                    return Err(PlanError::NotReturnable {
                        sku: sku.clone(),
                        requested: *requested,
                        returnable,
                    });
                }
                let mut left = *requested;
                for a in stock.allocations.iter_mut().filter(|a| &a.sku == sku) {
                    let take = left.min(a.shipped - a.returned);
                    if take > 0 {
                        moves.push(movement(book, &a.sku, &a.warehouse, MovementKind::Return, take)?);
                        a.returned += take;
                        left -= take;
                    }
                }
            }
            PlanOutcome::Returned
        }
        StockAction::HoldUnknown(unknown) => {
            stock.shortages = unknown.clone();
            PlanOutcome::Short {
                held: true,
                reason: "unknown_sku",
            }
        }
        StockAction::Reserve { demand, on_short } => {
            reserve(&mut stock, &mut moves, demand, *on_short, warehouses, book)?
        }
    };
    stock.tidy();
    Ok(Plan { moves, stock, outcome })
}

fn returnable(stock: &OrderStock) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for a in &stock.allocations {
        *out.entry(a.sku.clone()).or_insert(0) += a.shipped - a.returned;
    }
    out.retain(|_, units| *units > 0);
    out
}

fn movement(
    book: &mut Book,
    sku: &str,
    warehouse: &str,
    kind: MovementKind,
    quantity: i64,
) -> Result<PlannedMove, PlanError> {
    let movement = Movement { kind, quantity };
    let after = book
        .apply(sku, warehouse, movement)
        .map_err(|source| PlanError::Inconsistent {
            sku: sku.to_owned(),
            warehouse: warehouse.to_owned(),
            source,
        })?;
    Ok(PlannedMove {
        sku: sku.to_owned(),
        warehouse: warehouse.to_owned(),
        movement,
        after,
    })
}

fn reserve(
    stock: &mut OrderStock,
    moves: &mut Vec<PlannedMove>,
    demand: &BTreeMap<String, i64>,
    on_short: ShortStock,
    warehouses: &[String],
    book: &mut Book,
) -> Result<PlanOutcome, PlanError> {
    // Release what the order no longer wants (a line removed or reduced), least
    // preferred warehouse first, and units in warehouses it may no longer use.
    let rank = |w: &str| warehouses.iter().position(|x| x == w).unwrap_or(usize::MAX);
    let mut order: Vec<usize> = (0..stock.allocations.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(rank(&stock.allocations[*i].warehouse)));
    let mut held = stock.reserved();
    for i in order {
        let a = &mut stock.allocations[i];
        let want = demand.get(&a.sku).copied().unwrap_or(0);
        let have = held.get(&a.sku).copied().unwrap_or(0);
        let excess = (have - want).min(a.reserved);
        if excess > 0 {
            moves.push(movement(book, &a.sku, &a.warehouse, MovementKind::Release, excess)?);
            a.reserved -= excess;
            held.insert(a.sku.clone(), have - excess);
        }
    }
    let missing: BTreeMap<String, i64> = demand
        .iter()
        .map(|(sku, want)| (sku.clone(), want - held.get(sku).copied().unwrap_or(0)))
        .filter(|(_, units)| *units > 0)
        .collect();
    stock.shortages.clear();
    if missing.is_empty() {
        return Ok(PlanOutcome::Reserved);
    }
    // One warehouse for everything missing beats any split.
    let single = warehouses.iter().find(|w| {
        missing
            .iter()
            .all(|(sku, units)| book.level(sku, w).available() >= *units)
    });
    let mut takes: Vec<(String, String, i64)> = Vec::new();
    let mut short: Vec<Shortage> = Vec::new();
    match single {
        Some(w) => takes.extend(missing.iter().map(|(sku, units)| (sku.clone(), w.clone(), *units))),
        None => {
            for (sku, units) in &missing {
                let mut left = *units;
                for w in warehouses {
                    let take = left.min(book.level(sku, w).available());
                    if take > 0 {
                        takes.push((sku.clone(), w.clone(), take));
                        left -= take;
                    }
                }
                if left > 0 {
                    short.push(Shortage {
                        sku: sku.clone(),
                        waiting: left,
                    });
                }
            }
        }
    }
    if !short.is_empty() && on_short == ShortStock::Hold {
        // All or nothing: a held order does not sit on part of its stock.
        stock.shortages = missing
            .into_iter()
            .map(|(sku, waiting)| Shortage { sku, waiting })
            .collect();
        return Ok(PlanOutcome::Short {
            held: true,
            reason: "insufficient_stock",
        });
    }
    for (sku, warehouse, units) in takes {
        moves.push(movement(book, &sku, &warehouse, MovementKind::Reservation, units)?);
        stock.allocation(&sku, &warehouse).reserved += units;
    }
    if short.is_empty() {
        Ok(PlanOutcome::Reserved)
    } else {
        stock.shortages = short;
        Ok(PlanOutcome::Short {
            held: false,
            reason: "insufficient_stock",
        })
    }
}

/// What an order's new status asks of its stock, under a policy. `holds_stock` says
/// whether the order reserves or waits for anything now.
pub fn wanted_action(status: OrderStatus, policy: StockPolicy, holds_stock: bool) -> Option<StockActionKind> {
    match status {
        OrderStatus::Cancelled | OrderStatus::Refunded if holds_stock => Some(StockActionKind::Release),
        _ if policy.reserve_when == ReserveWhen::Never => None,
        OrderStatus::Paid | OrderStatus::Allocated => Some(StockActionKind::Reserve),
        OrderStatus::PendingPayment if policy.reserve_when == ReserveWhen::Placed => Some(StockActionKind::Reserve),
        // Held for stock (or an unknown SKU): try again with this version.
        OrderStatus::OnHold if holds_stock => Some(StockActionKind::Reserve),
        _ => None,
    }
}

/// The kind of action [`wanted_action`] asks for; the store fills in the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockActionKind {
    /// Reserve the order's lines.
    Reserve,
    /// Release everything.
    Release,
}

/// The order status after a plan: fully reserved paid orders are allocated, held ones on
/// hold; a backordered order stays paid until the rest arrives.
pub fn status_after(status: OrderStatus, outcome: &PlanOutcome) -> OrderStatus {
    match (status, outcome) {
        // Reserved before payment (policy `placed`): it stays unpaid either way.
        (OrderStatus::PendingPayment, _) => OrderStatus::PendingPayment,
        (_, PlanOutcome::Short { held: true, .. }) => OrderStatus::OnHold,
        (OrderStatus::Paid | OrderStatus::OnHold | OrderStatus::Allocated, PlanOutcome::Reserved) => {
            OrderStatus::Allocated
        }
        (OrderStatus::OnHold | OrderStatus::Allocated, PlanOutcome::Short { held: false, .. }) => OrderStatus::Paid,
        (_, PlanOutcome::Shipped) => OrderStatus::Shipped,
        (_, PlanOutcome::Returned) => OrderStatus::Returned,
        (s, _) => s,
    }
}

mod ship;
pub use ship::ShipScope;

#[cfg(test)]
mod tests;
