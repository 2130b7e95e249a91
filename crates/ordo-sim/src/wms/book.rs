//! The fulfilment book: every fulfilment, the request-id index that makes submits
//! idempotent, and the due-time queue that moves fulfilments through the warehouse's
//! steps. Nothing here does IO or reads a clock; the time is passed in, so the whole state
//! machine is tested synchronously.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::fulfilment::{Fulfilment, Timing};
use super::input::NewFulfilment;
use super::tracking::choose_carrier;
use super::{FulfilmentState, WmsKind, WmsReceived};

/// Fulfilments kept; submits beyond are refused. At 1,000 submits a second this is over
/// three minutes of traffic, longer than any benchmark run, at well under 1 KiB each.
pub(crate) const MAX_FULFILMENTS: usize = 200_000;
/// ShipBob order ids are this plus the sequence number, so they look like ShipBob's
/// nine-digit ids and never collide with shipment ids.
pub(crate) const SHIPBOB_ORDER_BASE: u64 = 300_000_000;
/// ShipBob shipment ids, likewise.
pub(crate) const SHIPBOB_SHIPMENT_BASE: u64 = 600_000_000;

/// The answer to a submit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Submitted {
    Created(u64),
    Existing(u64),
    Full,
}

/// The answer to a cancel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cancelled {
    Now,
    Already,
    Shipped,
}

/// Steps one fulfilment went through at one time, oldest first.
pub(crate) type Steps = (u64, Vec<FulfilmentState>);

pub(crate) struct Book {
    /// Index `seq - 1`.
    fulfilments: Vec<Fulfilment>,
    by_request: HashMap<String, u64>,
    queue: BinaryHeap<Reverse<(Instant, u64)>>,
    seed: u64,
    timing: Timing,
}

impl Book {
    pub fn new(seed: u64, timing: Timing) -> Self {
        Book {
            fulfilments: Vec::new(),
            by_request: HashMap::new(),
            queue: BinaryHeap::new(),
            seed,
            timing,
        }
    }

    pub fn get(&self, seq: u64) -> Option<&Fulfilment> {
        self.fulfilments.get(usize::try_from(seq).ok()?.checked_sub(1)?)
    }

    fn get_mut(&mut self, seq: u64) -> Option<&mut Fulfilment> {
        self.fulfilments.get_mut(usize::try_from(seq).ok()?.checked_sub(1)?)
    }

    pub fn all(&self) -> &[Fulfilment] {
        &self.fulfilments
    }

    /// Stores a new request, or finds the fulfilment its request id already made.
    pub fn submit(
        &mut self,
        request: NewFulfilment,
        carriers: &[String],
        now: Instant,
        at: DateTime<Utc>,
    ) -> Submitted {
        if let Some(&seq) = self.by_request.get(&request.request_id) {
            return Submitted::Existing(seq);
        }
        if self.fulfilments.len() >= MAX_FULFILMENTS {
            return Submitted::Full;
        }
        let seq = self.fulfilments.len() as u64 + 1;
        let due = now + self.timing.accept;
        self.by_request.insert(request.request_id.clone(), seq);
        self.fulfilments.push(Fulfilment {
            seq,
            carrier: choose_carrier(carriers, request.carrier.as_deref(), seq),
            request,
            state: FulfilmentState::Received,
            received: now,
            received_at: at,
            updated_at: at,
            shipped_at: None,
            shipped: Vec::new(),
            short: Vec::new(),
            tracking_number: None,
            next_due: Some(due),
        });
        self.queue.push(Reverse((due, seq)));
        Submitted::Created(seq)
    }

    /// Takes every step due by `now`. A fulfilment whose following step is also due by
    /// then takes it in the same batch, so its callbacks keep their order.
    pub fn run_due(&mut self, now: Instant, at: DateTime<Utc>, short_ship_rate: f64) -> Vec<Steps> {
        let mut batches = Vec::new();
        while let Some(&Reverse((due, seq))) = self.queue.peek() {
            if due > now {
                break;
            }
            self.queue.pop();
            let (seed, timing) = (self.seed, self.timing);
            let Some(fulfilment) = self.get_mut(seq).filter(|f| f.next_due == Some(due)) else {
                continue;
            };
            let mut steps = Vec::new();
            let mut due = due;
            fulfilment.next_due = None;
            while due <= now {
                let state = fulfilment.advance(seed, short_ship_rate, at);
                steps.push(state);
                match timing.after(state) {
                    Some(wait) => due += wait,
                    None => break,
                }
            }
            if !fulfilment.state.is_final() {
                fulfilment.next_due = Some(due);
                self.queue.push(Reverse((due, seq)));
            }
            batches.push((seq, steps));
        }
        batches
    }

    /// Takes every remaining step now. `None` for an unknown or cancelled fulfilment.
    pub fn ship_now(&mut self, seq: u64, at: DateTime<Utc>, short_ship_rate: f64) -> Option<Vec<FulfilmentState>> {
        let seed = self.seed;
        let fulfilment = self.get_mut(seq)?;
        if fulfilment.state == FulfilmentState::Cancelled {
            return None;
        }
        fulfilment.next_due = None;
        let mut steps = Vec::new();
        while !fulfilment.state.is_final() {
            steps.push(fulfilment.advance(seed, short_ship_rate, at));
        }
        Some(steps)
    }

    /// Cancels a fulfilment that has not shipped. `None` when unknown.
    pub fn cancel(&mut self, seq: u64, at: DateTime<Utc>) -> Option<Cancelled> {
        let fulfilment = self.get_mut(seq)?;
        Some(match fulfilment.state {
            FulfilmentState::Cancelled => Cancelled::Already,
            state if state.has_shipped() => Cancelled::Shipped,
            _ => {
                fulfilment.state = FulfilmentState::Cancelled;
                fulfilment.updated_at = at;
                fulfilment.next_due = None;
                Cancelled::Now
            }
        })
    }

    pub fn received(&self) -> Vec<WmsReceived> {
        let received = self.fulfilments.iter().map(|f| WmsReceived {
            request_id: f.request.request_id.clone(),
            order_id: f.request.order_id.clone(),
            at: f.received,
            at_utc: f.received_at,
            lines: f.lines(),
        });
        received.collect()
    }
}

/// The id a client sees: `F-00000001`, or ShipBob's numeric order id.
pub(crate) fn public_id(kind: WmsKind, seq: u64) -> String {
    match kind {
        WmsKind::Generic => format!("F-{seq:08}"),
        WmsKind::ShipBob => (SHIPBOB_ORDER_BASE + seq).to_string(),
    }
}

/// The sequence number behind a public id.
pub(crate) fn parse_id(kind: WmsKind, id: &str) -> Option<u64> {
    match kind {
        WmsKind::Generic => id.strip_prefix("F-")?.parse().ok(),
        WmsKind::ShipBob => id.parse::<u64>().ok()?.checked_sub(SHIPBOB_ORDER_BASE),
    }
    .filter(|seq| *seq > 0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::wms::input::{Line, ShipTo};

    const MS: Duration = Duration::from_millis(1);

    fn book() -> Book {
        let timing = Timing {
            accept: 10 * MS,
            pick: 10 * MS,
            pack: 10 * MS,
            ship: 10 * MS,
        };
        Book::new(7, timing)
    }

    fn request(id: &str, quantities: &[u32]) -> NewFulfilment {
        let lines = quantities.iter().enumerate().map(|(i, q)| Line {
            line_id: None,
            sku: format!("SKU-{i}"),
            quantity: *q,
        });
        NewFulfilment {
            request_id: id.into(),
            order_id: format!("order-{id}"),
            channel: None,
            external_order_id: None,
            warehouse: None,
            ship_to: ShipTo::default(),
            carrier: None,
            service: None,
            lines: lines.collect(),
            callback_url: None,
            channel_id: None,
        }
    }

    #[test]
    fn a_request_id_makes_one_fulfilment() {
        let (mut book, now, at) = (book(), Instant::now(), Utc::now());
        let carriers = ["SF".to_owned()];
        assert_eq!(
            book.submit(request("a", &[1]), &carriers, now, at),
            Submitted::Created(1)
        );
        assert_eq!(
            book.submit(request("a", &[5]), &carriers, now, at),
            Submitted::Existing(1)
        );
        assert_eq!(book.all().len(), 1);
        assert_eq!(book.get(1).unwrap().request.lines[0].quantity, 1);
    }

    #[test]
    fn steps_happen_on_their_delays_and_late_ticks_take_them_together() {
        let (mut book, now, at) = (book(), Instant::now(), Utc::now());
        book.submit(request("a", &[2]), &[], now, at);
        assert!(book.run_due(now + 9 * MS, at, 0.0).is_empty());
        assert_eq!(
            book.run_due(now + 10 * MS, at, 0.0),
            vec![(1, vec![FulfilmentState::Accepted])]
        );
        let late = book.run_due(now + 45 * MS, at, 0.0);
        let steps = vec![
            FulfilmentState::Picked,
            FulfilmentState::Packed,
            FulfilmentState::Shipped,
        ];
        assert_eq!(late, vec![(1, steps)]);
        let shipped = book.get(1).unwrap();
        assert_eq!(shipped.shipments()[0].lines, shipped.lines());
        assert!(book.run_due(now + 500 * MS, at, 0.0).is_empty());
    }

    #[test]
    fn short_shipments_miss_units_of_one_line_but_ship_part_of_a_multi_unit_order() {
        for seed in 0..200 {
            let mut book = Book::new(seed, book().timing);
            let (now, at) = (Instant::now(), Utc::now());
            book.submit(request("many", &[3, 1]), &[], now, at);
            book.submit(request("single", &[2]), &[], now, at);
            book.submit(request("one", &[1]), &[], now, at);
            book.run_due(now + 40 * MS, at, 1.0);
            for fulfilment in book.all() {
                assert_eq!(fulfilment.state, FulfilmentState::ShortShipped);
                assert_eq!(fulfilment.short.len(), 1);
                let ordered: u32 = fulfilment.request.lines.iter().map(|l| l.quantity).sum();
                let shipped: u32 = fulfilment.shipped.iter().map(|l| l.quantity).sum();
                let short: u32 = fulfilment.short.iter().map(|l| l.quantity).sum();
                assert_eq!(shipped + short, ordered);
                assert!(short >= 1);
                assert_eq!(shipped == 0, ordered == 1, "only a one-unit order ships nothing");
                assert_eq!(fulfilment.shipments().is_empty(), shipped == 0);
            }
        }
    }

    #[test]
    fn cancelling_stops_the_steps_until_it_ships() {
        let (mut book, now, at) = (book(), Instant::now(), Utc::now());
        book.submit(request("a", &[1]), &[], now, at);
        book.submit(request("b", &[1]), &[], now, at);
        assert_eq!(book.cancel(1, at), Some(Cancelled::Now));
        assert_eq!(book.cancel(1, at), Some(Cancelled::Already));
        assert_eq!(book.ship_now(1, at, 0.0), None);
        let steps = book.ship_now(2, at, 0.0).unwrap();
        assert_eq!(steps.len(), 4);
        assert_eq!(book.cancel(2, at), Some(Cancelled::Shipped));
        assert_eq!(book.cancel(3, at), None);
        assert!(book.run_due(now + 500 * MS, at, 0.0).is_empty());
    }

    #[test]
    fn public_ids_round_trip() {
        assert_eq!(public_id(WmsKind::Generic, 12), "F-00000012");
        assert_eq!(parse_id(WmsKind::Generic, "F-00000012"), Some(12));
        assert_eq!(parse_id(WmsKind::ShipBob, &public_id(WmsKind::ShipBob, 3)), Some(3));
        assert_eq!(parse_id(WmsKind::Generic, "F-0"), None);
        assert_eq!(parse_id(WmsKind::ShipBob, "12"), None);
    }
}
