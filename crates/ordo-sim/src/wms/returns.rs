//! Goods coming back: the warehouse reports units of a shipped fulfilment it received
//! back, each with what it did with them, as its API's callback, signed like the others.
//!
//! - **Generic**: `{"event": "returned", "event_id": "R-00000001", "warehouse",
//!   "request_id", "fulfilment_id", "order_id", "case_id", "lines": [{"sku", "quantity",
//!   "disposition"}], "reason": null, "at"}`; `warehouse` is the code the request named,
//!   `case_id` the one given (else null), `disposition` one of `restock`, `quarantine`,
//!   `write_off`, `missing`.
//! - **ShipBob**: `return.completed` with a return order in the shape of ShipBob's
//!   documented `GET /return/{id}` (`id`, `reference_id` — the case id given, else
//!   `RMA-<id>` —, `status: "Completed"`, `store_order_id` — the order's `order_number` —,
//!   `original_shipment_id`, `fulfillment_center`, `inventory[]` with `name` = the SKU,
//!   `quantity` and `action_taken[]` of `Restock` / `Quarantine` / `Dispose`; missing units
//!   are expected units with no action taken), wrapped as `{"topic", "data"}` like the
//!   simulator's other webhooks.
//!
//! Each report has its own event id, the same on every retry of its delivery. Returns are
//! sent on request ([`super::WmsSim::send_return`], `POST /_sim/fulfilments/{id}/return`)
//! or, at the configured return rate, for a seeded share of fulfilments as they ship in
//! full: every unit that shipped, restocked.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::book::{SHIPBOB_SHIPMENT_BASE, public_id};
use super::callback::{Batch, Outgoing, wire_time, wms_callback_signature};
use super::config::WmsKind;
use super::fulfilment::Fulfilment;
use super::shared::Shared;
use super::tracking::unit;

/// Salt of the draw deciding whether a fulfilment comes back.
const RETURN_DRAW: u64 = 0x7265_7475_726e;
/// ShipBob return ids start here.
const SHIPBOB_RETURN_BASE: u64 = 5_000_000;

/// The dispositions a report may carry.
pub(crate) const DISPOSITIONS: [&str; 4] = ["restock", "quarantine", "write_off", "missing"];

/// The return rate and the numbering of reports.
pub(crate) struct Returns {
    rate: AtomicU64,
    next: AtomicU64,
}

impl Returns {
    pub fn new() -> Self {
        Returns {
            rate: AtomicU64::new(0f64.to_bits()),
            next: AtomicU64::new(1),
        }
    }

    /// Share of fulfilments, clamped to 0..=1, that come back once shipped in full.
    pub fn set_rate(&self, rate: f64) {
        let rate = if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) };
        self.rate.store(rate.to_bits(), Ordering::Relaxed);
    }

    pub fn rate(&self) -> f64 {
        f64::from_bits(self.rate.load(Ordering::Relaxed))
    }

    /// Whether fulfilment `seq` comes back, decided from the seed and `seq` alone.
    pub fn comes_back(&self, seed: u64, seq: u64) -> bool {
        let rate = self.rate();
        rate > 0.0 && unit(seed ^ RETURN_DRAW, seq) < rate
    }

    fn number(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }
}

/// One reported line: SKU, units, disposition.
pub(crate) type ReturnedLine = (String, u32, String);

/// Every unit that shipped, restocked.
pub(crate) fn all_restocked(fulfilment: &Fulfilment) -> Vec<ReturnedLine> {
    fulfilment
        .shipped
        .iter()
        .map(|line| (line.sku.clone(), line.quantity, "restock".to_owned()))
        .collect()
}

/// The signed callback reporting `lines` of `fulfilment` back, and where it goes; `None`
/// when there is nowhere to send it.
pub(crate) fn report(
    shared: &Shared,
    fulfilment: &Fulfilment,
    lines: &[ReturnedLine],
    case_id: Option<&str>,
    at: DateTime<Utc>,
) -> Option<(String, Outgoing, String)> {
    let kind = shared.kind();
    let url = match kind {
        WmsKind::Generic => fulfilment.request.callback_url.as_ref(),
        WmsKind::ShipBob => None,
    }
    .or(shared.config.callback_url.as_ref())?
    .clone();
    let n = shared.returns.number();
    let report_id = match kind {
        WmsKind::Generic => format!("R-{n:08}"),
        WmsKind::ShipBob => format!("return:{}", SHIPBOB_RETURN_BASE + n),
    };
    let (event, body, webhook_id) = match kind {
        WmsKind::Generic => (
            "returned".to_owned(),
            generic_body(fulfilment, n, lines, case_id, at),
            None,
        ),
        WmsKind::ShipBob => {
            let topic = "return.completed";
            let data = shipbob_return(fulfilment, n, lines, case_id, at);
            let webhook_id = format!("msg_return_{}", SHIPBOB_RETURN_BASE + n);
            (
                topic.to_owned(),
                json!({"topic": topic, "data": data}),
                Some(webhook_id),
            )
        }
    };
    let body = serde_json::to_vec(&body).unwrap_or_default();
    let signature = wms_callback_signature(&shared.config.secret, &body);
    Some((
        url,
        Outgoing {
            event,
            body,
            signature,
            webhook_id,
        },
        report_id,
    ))
}

/// A batch of one report, and the report's id (what Ordo keeps it by: the generic
/// `event_id`, or `return:<ShipBob return id>`).
pub(crate) fn batch(
    shared: &Shared,
    fulfilment: &Fulfilment,
    lines: &[ReturnedLine],
    case_id: Option<&str>,
    at: DateTime<Utc>,
) -> Option<(Batch, String)> {
    let (url, item, report_id) = report(shared, fulfilment, lines, case_id, at)?;
    shared.stats.returned.fetch_add(1, Ordering::Relaxed);
    let batch = Batch {
        url,
        fulfilment_id: public_id(shared.kind(), fulfilment.seq),
        request_id: fulfilment.request.request_id.clone(),
        queued_at: at,
        items: vec![item],
    };
    Some((batch, report_id))
}

fn generic_body(
    fulfilment: &Fulfilment,
    n: u64,
    lines: &[ReturnedLine],
    case_id: Option<&str>,
    at: DateTime<Utc>,
) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, quantity, disposition)| json!({"sku": sku, "quantity": quantity, "disposition": disposition}))
        .collect();
    json!({
        "event": "returned",
        "event_id": format!("R-{n:08}"),
        "warehouse": fulfilment.request.warehouse,
        "request_id": fulfilment.request.request_id,
        "fulfilment_id": public_id(WmsKind::Generic, fulfilment.seq),
        "order_id": fulfilment.request.order_id,
        "case_id": case_id,
        "lines": lines,
        "reason": null,
        "at": wire_time(at),
    })
}

/// ShipBob's return order, completed, as its documentation describes the model.
fn shipbob_return(
    fulfilment: &Fulfilment,
    n: u64,
    lines: &[ReturnedLine],
    case_id: Option<&str>,
    at: DateTime<Utc>,
) -> Value {
    let id = SHIPBOB_RETURN_BASE + n;
    // One inventory item per SKU, each action its own `action_taken` entry.
    let mut skus: Vec<&str> = Vec::new();
    for (sku, _, _) in lines {
        if !skus.contains(&sku.as_str()) {
            skus.push(sku);
        }
    }
    let inventory: Vec<Value> = skus
        .iter()
        .enumerate()
        .map(|(i, sku)| {
            let mine = lines.iter().filter(|(s, _, _)| s == sku);
            let expected: u32 = mine.clone().map(|(_, q, _)| q).sum();
            let taken: Vec<Value> = mine
                .filter_map(|(_, quantity, disposition)| {
                    let action = match disposition.as_str() {
                        "restock" => "Restock",
                        "quarantine" => "Quarantine",
                        "write_off" => "Dispose",
                        _ => return None,
                    };
                    Some(json!({"action": action, "action_reason": null, "image_url": null, "quantity_processed": quantity}))
                })
                .collect();
            json!({
                "action_requested": {"action": "Default", "action_type": "Default", "instructions": null},
                "action_taken": taken,
                "id": 30_000_000 + i as u64,
                "name": sku,
                "quantity": expected,
            })
        })
        .collect();
    json!({
        "channel": {"id": fulfilment.request.channel_id, "name": "Ordo"},
        "completed_date": wire_time(at),
        "customer_name": null,
        "fulfillment_center": {"id": 172, "name": "Cicero (IL)"},
        "id": id,
        "insert_date": wire_time(fulfilment.shipped_at.unwrap_or(at)),
        "inventory": inventory,
        "invoice_amount": null,
        "original_shipment_id": SHIPBOB_SHIPMENT_BASE + fulfilment.seq,
        "reference_id": case_id.map_or_else(|| format!("RMA-{id}"), str::to_owned),
        "return_type": "Regular",
        "status": "Completed",
        "store_order_id": fulfilment.request.order_id,
        "tracking_number": null,
        "transactions": [],
    })
}
