//! Shipping: an order's reserved units leave, all at once or one warehouse's package at a
//! time, and what a warehouse could not ship is written off there and waits again.

use std::collections::BTreeMap;

use super::Book;
use super::{OrderStock, PlanError, PlanOutcome, PlannedMove, Shortage, movement};
use crate::inventory::MovementKind;

/// Which reserved units a shipment takes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShipScope {
    /// Only units reserved in this warehouse; `None` for every warehouse.
    pub warehouse: Option<String>,
    /// SKU → units; `None` for every unit reserved in scope.
    pub units: Option<BTreeMap<String, i64>>,
}

impl ShipScope {
    /// Everything reserved, wherever it is.
    pub fn all() -> Self {
        Self::default()
    }

    /// Everything reserved in one warehouse.
    pub fn warehouse(code: impl Into<String>) -> Self {
        Self {
            warehouse: Some(code.into()),
            units: None,
        }
    }
}

pub(super) fn ship(
    stock: &mut OrderStock,
    moves: &mut Vec<PlannedMove>,
    scope: &ShipScope,
    book: &mut Book,
) -> Result<PlanOutcome, PlanError> {
    let in_scope = |warehouse: &str| scope.warehouse.as_deref().is_none_or(|w| w == warehouse);
    let wanted: BTreeMap<String, i64> = match &scope.units {
        Some(units) => units.clone(),
        None => {
            let mut all = BTreeMap::new();
            for a in stock.allocations.iter().filter(|a| in_scope(&a.warehouse)) {
                *all.entry(a.sku.clone()).or_insert(0) += a.reserved;
            }
            all
        }
    };
    for (sku, requested) in &wanted {
        let reserved: i64 = stock
            .allocations
            .iter()
            .filter(|a| &a.sku == sku && in_scope(&a.warehouse))
            .map(|a| a.reserved)
            .sum();
        if *requested < 0 || *requested > reserved {
            return Err(PlanError::NotShippable {
                sku: sku.clone(),
                warehouse: scope.warehouse.clone(),
                requested: *requested,
                reserved,
            });
        }
        let mut left = *requested;
        for a in stock
            .allocations
            .iter_mut()
            .filter(|a| &a.sku == sku && in_scope(&a.warehouse))
        {
            let take = left.min(a.reserved);
            if take > 0 {
                moves.push(movement(book, &a.sku, &a.warehouse, MovementKind::Shipment, take)?);
                a.shipped += take;
                a.reserved -= take;
                left -= take;
            }
        }
    }
    let rest = stock.allocations.iter().any(|a| a.reserved > 0) || stock.shortages.iter().any(|s| s.waiting > 0);
    Ok(if rest {
        PlanOutcome::PartlyShipped
    } else {
        PlanOutcome::Shipped
    })
}

pub(super) fn short(
    stock: &mut OrderStock,
    moves: &mut Vec<PlannedMove>,
    warehouse: &str,
    units: &BTreeMap<String, i64>,
    write_off: bool,
    book: &mut Book,
) -> Result<PlanOutcome, PlanError> {
    for (sku, short) in units.iter().filter(|(_, units)| **units != 0) {
        let reserved = stock
            .allocations
            .iter()
            .find(|a| &a.sku == sku && a.warehouse == warehouse)
            .map_or(0, |a| a.reserved);
        if *short < 0 || *short > reserved {
            return Err(PlanError::NotShippable {
                sku: sku.clone(),
                warehouse: Some(warehouse.to_owned()),
                requested: *short,
                reserved,
            });
        }
        moves.push(movement(book, sku, warehouse, MovementKind::Release, *short)?);
        if write_off {
            // The warehouse does not have them, whatever the book said: a count correction.
            moves.push(movement(book, sku, warehouse, MovementKind::Adjustment, -*short)?);
        }
        stock.allocation(sku, warehouse).reserved -= short;
        match stock.shortages.iter_mut().find(|s| &s.sku == sku) {
            Some(s) => s.waiting += short,
            None => stock.shortages.push(Shortage {
                sku: sku.clone(),
                waiting: *short,
            }),
        }
    }
    Ok(PlanOutcome::ShippedShort)
}
