//! What happens when an order arrives: new, a duplicate, a newer version, or a stale one.
//!
//! [`decide`] is the single place that rule lives; every store calls it inside the
//! transaction that holds the order's row, so the decision and its effects commit together.

use serde_json::json;

use crate::ids::OrderId;
use crate::order::{FinancialStatus, Order, OrderStatus};

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    /// Ordo's id.
    pub id: OrderId,
    /// The current version of the order.
    pub order: Order,
    /// Where it is in its life.
    pub status: OrderStatus,
    /// Increases by one with every change.
    pub version: i64,
}

/// Kinds of order events. The string form is stable and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// First seen.
    Created,
    /// A later version changed some fields.
    Updated,
    /// Payment arrived.
    Paid,
    /// The channel cancelled it.
    Cancelled,
    /// The channel refunded it in full.
    Refunded,
    /// A delivery older than what is stored arrived and was ignored.
    StaleUpdateIgnored,
    /// Stock was reserved for every line.
    Allocated,
    /// Put on hold, with the reason.
    Held,
    /// Accepted short: part reserved, the rest waits for stock.
    Backordered,
    /// Its reserved stock went back (cancelled, timed out).
    StockReleased,
    /// Left the warehouse; stock deducted.
    Shipped,
    /// Goods came back to stock.
    Returned,
    /// Cancelled by Ordo because it stayed unpaid too long.
    PaymentExpired,
    /// Fields were repaired on the way in (before and after of each).
    Repaired,
    /// The review rules decided it (approve, hold or reject, with the rules that matched).
    Reviewed,
    /// Its holds were closed and it went on.
    Released,
    /// A person corrected fields.
    Edited,
    /// A workflow step with no stock effect (picking, packed, in transit, delivered …).
    Transitioned,
    /// One warehouse's package left; other units are still reserved or waiting.
    PartlyShipped,
    /// A warehouse could not ship some units: written off there, reserved again elsewhere
    /// or waiting for stock.
    ShippedShort,
    /// A carrier reported where a package is.
    Tracked,
    /// A carrier reported a delivery problem (exception, failed attempt, return to sender).
    DeliveryException,
}

impl EventKind {
    /// The stable name, e.g. `order.created`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "order.created",
            Self::Updated => "order.updated",
            Self::Paid => "order.paid",
            Self::Cancelled => "order.cancelled",
            Self::Refunded => "order.refunded",
            Self::StaleUpdateIgnored => "order.stale_update_ignored",
            Self::Allocated => "order.allocated",
            Self::Held => "order.held",
            Self::Backordered => "order.backordered",
            Self::StockReleased => "order.stock_released",
            Self::Shipped => "order.shipped",
            Self::Returned => "order.returned",
            Self::PaymentExpired => "order.payment_expired",
            Self::Repaired => "order.repaired",
            Self::Reviewed => "order.reviewed",
            Self::Released => "order.released",
            Self::Edited => "order.edited",
            Self::Transitioned => "order.transitioned",
            Self::PartlyShipped => "order.partly_shipped",
            Self::ShippedShort => "order.shipped_short",
            Self::Tracked => "order.tracked",
            Self::DeliveryException => "order.delivery_exception",
        }
    }
}

/// An event to append to an order's history.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// Details, e.g. the changed fields or the status move.
    pub data: serde_json::Value,
}

/// How an arrival was handled; also what the API reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// A new order was stored.
    Created,
    /// An existing order changed.
    Updated,
    /// Same content as stored: a duplicate delivery.
    Unchanged,
    /// Older than what is stored; ignored.
    Stale,
}

impl Outcome {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Stale => "stale",
        }
    }

    /// Parses the stable name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Created, Self::Updated, Self::Unchanged, Self::Stale]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// What to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// How the arrival was handled.
    pub outcome: Outcome,
    /// The status to store (unchanged for duplicates and stale deliveries).
    pub status: OrderStatus,
    /// Events to append, in order.
    pub events: Vec<NewEvent>,
}

/// Decides what an arriving order does, given what is stored for its (channel, external id).
pub fn decide(existing: Option<&OrderState>, incoming: &Order) -> Decision {
    let Some(existing) = existing else {
        let status = OrderStatus::initial(incoming);
        let totals = incoming.totals();
        return Decision {
            outcome: Outcome::Created,
            status,
            events: vec![NewEvent {
                kind: EventKind::Created,
                data: json!({
                    "status": status.as_str(),
                    "total": incoming.money(totals.total).to_decimal_string(),
                    "currency": incoming.currency.code(),
                    "lines": incoming.lines.len(),
                }),
            }],
        };
    };
    if existing.order == *incoming {
        return Decision {
            outcome: Outcome::Unchanged,
            status: existing.status,
            events: Vec::new(),
        };
    }
    if let (Some(stored), Some(arrived)) = (existing.order.updated_at, incoming.updated_at)
        && arrived < stored
    {
        return Decision {
            outcome: Outcome::Stale,
            status: existing.status,
            events: vec![NewEvent {
                kind: EventKind::StaleUpdateIgnored,
                data: json!({ "stored_updated_at": stored.to_rfc3339(), "arrived_updated_at": arrived.to_rfc3339() }),
            }],
        };
    }
    let changed = incoming.changed_fields(&existing.order);
    let mut events = vec![NewEvent {
        kind: EventKind::Updated,
        data: json!({ "changed": changed }),
    }];
    let status = next_status(existing.status, incoming);
    if status != existing.status {
        let kind = match status {
            OrderStatus::Paid => EventKind::Paid,
            OrderStatus::Cancelled => EventKind::Cancelled,
            _ => EventKind::Refunded,
        };
        events.push(NewEvent {
            kind,
            data: json!({ "from": existing.status.as_str(), "to": status.as_str() }),
        });
    }
    Decision {
        outcome: Outcome::Updated,
        status,
        events,
    }
}

/// The status moves a channel update may cause on its own. Everything else belongs to the
/// workflow; a channel cannot, for example, un-cancel an order or cancel a shipped one.
fn next_status(current: OrderStatus, incoming: &Order) -> OrderStatus {
    let cancelled = incoming.cancelled_at.is_some() || incoming.financial_status == FinancialStatus::Voided;
    let refunded = incoming.financial_status == FinancialStatus::Refunded;
    let paid = matches!(
        incoming.financial_status,
        FinancialStatus::Paid | FinancialStatus::PartiallyPaid | FinancialStatus::PartiallyRefunded
    );
    match current {
        OrderStatus::Cancelled | OrderStatus::Refunded => current,
        _ if refunded => OrderStatus::Refunded,
        s if cancelled && !s.is_past_shipment() => OrderStatus::Cancelled,
        OrderStatus::PendingPayment if paid => OrderStatus::Paid,
        s => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::OrderInput;

    fn example() -> Order {
        let json = crate::input::EXAMPLE_JSON;
        serde_json::from_str::<OrderInput>(json).unwrap().validate().unwrap()
    }

    fn stored(order: Order, status: OrderStatus) -> OrderState {
        OrderState {
            id: OrderId(uuid::Uuid::nil()),
            order,
            status,
            version: 1,
        }
    }

    #[test]
    fn a_new_order_is_created_paid_with_one_event() {
        let decision = decide(None, &example());
        assert_eq!(decision.outcome, Outcome::Created);
        assert_eq!(decision.status, OrderStatus::Paid);
        assert_eq!(decision.events.len(), 1);
        assert_eq!(decision.events[0].data["total"], "198.00");
    }

    #[test]
    fn the_same_content_again_is_unchanged_and_records_nothing() {
        let order = example();
        let decision = decide(Some(&stored(order.clone(), OrderStatus::Paid)), &order);
        assert_eq!(decision.outcome, Outcome::Unchanged);
        assert!(decision.events.is_empty());
    }

    #[test]
    fn a_changed_version_is_an_update_naming_the_fields() {
        let order = example();
        let mut newer = order.clone();
        newer.remark = Some("改地址".into());
        let decision = decide(Some(&stored(order, OrderStatus::Paid)), &newer);
        assert_eq!(decision.outcome, Outcome::Updated);
        assert_eq!(decision.events[0].data["changed"], json!(["remark"]));
    }

    #[test]
    fn payment_moves_a_pending_order_to_paid() {
        let mut pending = example();
        pending.financial_status = FinancialStatus::Pending;
        let decision = decide(Some(&stored(pending, OrderStatus::PendingPayment)), &example());
        assert_eq!(decision.status, OrderStatus::Paid);
        assert_eq!(decision.events[1].kind, EventKind::Paid);
    }

    #[test]
    fn an_older_delivery_is_ignored_as_stale() {
        let mut newer = example();
        newer.updated_at = Some(newer.placed_at + chrono::Duration::minutes(10));
        let mut older = newer.clone();
        older.updated_at = Some(newer.placed_at + chrono::Duration::minutes(5));
        older.remark = None;
        let decision = decide(Some(&stored(newer, OrderStatus::Paid)), &older);
        assert_eq!(decision.outcome, Outcome::Stale);
        assert_eq!(decision.status, OrderStatus::Paid);
    }

    #[test]
    fn a_channel_cannot_cancel_a_shipped_order_or_revive_a_cancelled_one() {
        let mut cancelled = example();
        cancelled.cancelled_at = Some(cancelled.placed_at);
        assert_eq!(
            decide(Some(&stored(example(), OrderStatus::Shipped)), &cancelled).status,
            OrderStatus::Shipped
        );
        assert_eq!(
            decide(Some(&stored(cancelled.clone(), OrderStatus::Cancelled)), &example()).status,
            OrderStatus::Cancelled
        );
        assert_eq!(
            decide(Some(&stored(example(), OrderStatus::Paid)), &cancelled).status,
            OrderStatus::Cancelled
        );
    }
}
