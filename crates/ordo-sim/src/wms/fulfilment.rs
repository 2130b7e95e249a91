//! One fulfilment: what was asked for, where it is, and what left in its parcel. How a
//! parcel ships short is decided here, from the seed and the sequence number alone, so a
//! run can be repeated exactly.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::book::public_id;
use super::input::NewFulfilment;
use super::tracking::{mix, tracking_number, tracking_url, unit};
use super::{FulfilmentState, WmsFulfilment, WmsKind, WmsLine, WmsShipment};

/// Salts that keep the short-ship draws independent of the tracking-number digits.
const SHORT_DRAW: u64 = 0x5407_75a1;
const SHORT_LINE: u64 = 0x5407_11e5;
const SHORT_UNITS: u64 = 0x5407_0a17;

/// How long each step takes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub accept: Duration,
    pub pick: Duration,
    pub pack: Duration,
    pub ship: Duration,
}

impl Timing {
    /// The wait before the step that follows `state`.
    pub fn after(&self, state: FulfilmentState) -> Option<Duration> {
        match state {
            FulfilmentState::Received => Some(self.accept),
            FulfilmentState::Accepted => Some(self.pick),
            FulfilmentState::Picked => Some(self.pack),
            FulfilmentState::Packed => Some(self.ship),
            _ => None,
        }
    }
}

/// One fulfilment.
#[derive(Clone, Debug)]
pub(crate) struct Fulfilment {
    pub seq: u64,
    pub request: NewFulfilment,
    pub carrier: String,
    pub state: FulfilmentState,
    pub received: Instant,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    /// Units that left, per requested line (lines with none left out).
    pub shipped: Vec<WmsLine>,
    pub short: Vec<WmsLine>,
    pub tracking_number: Option<String>,
    /// When its next step is due; a queue entry for any other time is stale.
    pub next_due: Option<Instant>,
}

impl Fulfilment {
    pub fn lines(&self) -> Vec<WmsLine> {
        let lines = self.request.lines.iter();
        lines
            .map(|l| WmsLine {
                sku: l.sku.clone(),
                quantity: l.quantity,
            })
            .collect()
    }

    pub fn shipments(&self) -> Vec<WmsShipment> {
        match (&self.tracking_number, self.shipped_at) {
            (Some(number), Some(shipped_at)) => vec![WmsShipment {
                carrier: self.carrier.clone(),
                tracking_number: number.clone(),
                tracking_url: tracking_url(&self.carrier, number),
                lines: self.shipped.clone(),
                shipped_at,
            }],
            _ => Vec::new(),
        }
    }

    pub fn view(&self, kind: WmsKind) -> WmsFulfilment {
        WmsFulfilment {
            id: public_id(kind, self.seq),
            request_id: self.request.request_id.clone(),
            order_id: self.request.order_id.clone(),
            state: self.state,
            carrier: self.carrier.clone(),
            lines: self.lines(),
            shipments: self.shipments(),
            short: self.short.clone(),
            received_at: self.received_at,
        }
    }

    /// Enters the next state; the parcel's contents are decided when it ships.
    pub fn advance(&mut self, seed: u64, short_ship_rate: f64, now: DateTime<Utc>) -> FulfilmentState {
        self.state = match self.state {
            FulfilmentState::Received => FulfilmentState::Accepted,
            FulfilmentState::Accepted => FulfilmentState::Picked,
            FulfilmentState::Picked => FulfilmentState::Packed,
            FulfilmentState::Packed => self.ship(seed, short_ship_rate, now),
            done => done,
        };
        self.updated_at = now;
        self.state
    }

    /// Decides, from the seed and the sequence number alone, whether the parcel ships
    /// short, which line loses units and how many: one line loses 1 to all of its units,
    /// but never every unit of an order that has more than one.
    fn ship(&mut self, seed: u64, short_ship_rate: f64, now: DateTime<Utc>) -> FulfilmentState {
        let lines = &self.request.lines;
        let mut shortage = vec![0u32; lines.len()];
        let short = short_ship_rate > 0.0 && unit(seed ^ SHORT_DRAW, self.seq) < short_ship_rate;
        if short {
            let index = (mix(seed ^ SHORT_LINE, self.seq) % lines.len() as u64) as usize;
            let quantity = lines[index].quantity;
            let others: u64 = lines.iter().map(|l| u64::from(l.quantity)).sum::<u64>() - u64::from(quantity);
            let most = if others == 0 && quantity > 1 {
                quantity - 1
            } else {
                quantity
            };
            shortage[index] = 1 + (mix(seed ^ SHORT_UNITS, self.seq) % u64::from(most)) as u32;
        }
        let pair = |sku: &str, quantity: u32| WmsLine {
            sku: sku.to_owned(),
            quantity,
        };
        self.shipped = lines
            .iter()
            .zip(&shortage)
            .filter(|(l, s)| l.quantity > **s)
            .map(|(l, s)| pair(&l.sku, l.quantity - s))
            .collect();
        self.short = lines
            .iter()
            .zip(&shortage)
            .filter(|(_, s)| **s > 0)
            .map(|(l, s)| pair(&l.sku, *s))
            .collect();
        if !self.shipped.is_empty() {
            self.tracking_number = Some(tracking_number(&self.carrier, seed, self.seq));
            self.shipped_at = Some(now);
        }
        if short {
            FulfilmentState::ShortShipped
        } else {
            FulfilmentState::Shipped
        }
    }
}
