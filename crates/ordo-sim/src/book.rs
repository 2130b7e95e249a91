//! The order book: every order in memory, kept in modification order.
//!
//! Each create or change stamps the order with the next modification number (`mseq`) and
//! an updated time that never goes backwards across the book and always moves forward by
//! at least one of the platform's time units for the order itself. So ordering by updated
//! time and ordering by `mseq` agree, and a listing can page by position: a snapshot-style
//! token holds the last `mseq` served and the query, and the next page starts after it.
//! Orders created or changed between two page requests get a larger `mseq` and are
//! served on a later page, never skipped, and nothing is served twice within one walk.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::generate::SimOrder;

/// How many orders one simulator holds at most. Creating more evicts nothing; it is
/// refused, so that a runaway demo cannot eat the machine's memory.
pub(crate) const MAX_ORDERS: usize = 1_000_000;

pub(crate) struct OrderBook {
    orders: HashMap<String, SimOrder>,
    by_mseq: BTreeMap<u64, String>,
    next_seq: u64,
    next_mseq: u64,
    /// The latest updated time handed out.
    high_water: DateTime<Utc>,
    /// Platforms with millisecond times (Xiaohongshu) tick by 1 ms, the others by 1 s.
    millis: bool,
    /// The generator of order contents, seeded from the configuration.
    pub rng: StdRng,
}

impl OrderBook {
    pub fn new(seed: u64, millis: bool) -> Self {
        OrderBook {
            orders: HashMap::new(),
            by_mseq: BTreeMap::new(),
            next_seq: 1,
            next_mseq: 1,
            high_water: DateTime::<Utc>::MIN_UTC,
            millis,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// The creation number the next order will get.
    pub fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// `now` cut to the platform's precision, so stored times equal served times and
    /// inclusive/exclusive bounds compare exactly as on the platform.
    pub fn truncate(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        if self.millis {
            now.trunc_subsecs(3)
        } else {
            now.trunc_subsecs(0)
        }
    }

    fn tick(&self) -> Duration {
        if self.millis {
            Duration::milliseconds(1)
        } else {
            Duration::seconds(1)
        }
    }

    fn stamp(&mut self, now: DateTime<Utc>, previous: Option<DateTime<Utc>>) -> (DateTime<Utc>, u64) {
        let mut at = self.truncate(now).max(self.high_water);
        if let Some(previous) = previous {
            at = at.max(previous + self.tick());
        }
        self.high_water = at;
        let mseq = self.next_mseq;
        self.next_mseq += 1;
        (at, mseq)
    }

    /// Adds a new order, stamping its updated time and position.
    pub fn insert(&mut self, mut order: SimOrder, now: DateTime<Utc>) -> &SimOrder {
        let (at, mseq) = self.stamp(now, None);
        order.created_at = self.truncate(order.created_at);
        order.updated_at = at;
        order.mseq = mseq;
        if let Some(paid_at) = order.paid_at.as_mut() {
            *paid_at = order.created_at;
        }
        let id = order.external_id.clone();
        self.by_mseq.insert(mseq, id.clone());
        self.orders.entry(id).insert_entry(order).into_mut()
    }

    pub fn get(&self, external_id: &str) -> Option<&SimOrder> {
        self.orders.get(external_id)
    }

    /// Finds an order by a predicate (e.g. a Shopify fulfillment order id).
    pub fn find(&self, keep: impl Fn(&SimOrder) -> bool) -> Option<&SimOrder> {
        self.orders.values().find(|o| keep(o))
    }

    /// Applies a change to an order and moves it to the end of the modification order
    /// with a later updated time. Returns `None` for an unknown order.
    pub fn update<R>(
        &mut self,
        external_id: &str,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut SimOrder, DateTime<Utc>) -> R,
    ) -> Option<(R, &SimOrder)> {
        let previous = self.orders.get(external_id)?.updated_at;
        let (at, mseq) = self.stamp(now, Some(previous));
        let order = self.orders.get_mut(external_id)?;
        self.by_mseq.remove(&order.mseq);
        self.by_mseq.insert(mseq, external_id.to_owned());
        order.updated_at = at;
        order.mseq = mseq;
        let result = change(order, at);
        Some((result, order))
    }

    /// The orders after position `after_mseq` that `keep` accepts, at most `limit`, and
    /// whether more accepted orders follow.
    pub fn page(&self, after_mseq: u64, limit: usize, keep: impl Fn(&SimOrder) -> bool) -> (Vec<&SimOrder>, bool) {
        let mut matching = self
            .by_mseq
            .range(after_mseq.saturating_add(1)..)
            .filter_map(|(_, id)| self.orders.get(id))
            .filter(|o| keep(o));
        let page: Vec<&SimOrder> = matching.by_ref().take(limit).collect();
        let more = matching.next().is_some();
        (page, more)
    }

    /// Every accepted order in ascending updated order, for offset pagination.
    pub fn all(&self, keep: impl Fn(&SimOrder) -> bool) -> Vec<&SimOrder> {
        self.by_mseq
            .values()
            .filter_map(|id| self.orders.get(id))
            .filter(|o| keep(o))
            .collect()
    }

    /// The latest updated time handed out (or `now` before the first order), used for
    /// Amazon's `LastUpdatedBefore` answer.
    pub fn high_water_or(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.high_water.max(self.truncate(now))
    }
}

/// Encodes a pagination token: the query and position as URL-safe base64 JSON, so it
/// needs no escaping in a query string or `Link` header.
pub(crate) fn encode_token<T: Serialize>(token: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(token).unwrap_or_default())
}

/// Decodes a token made by [`encode_token`]; `None` for anything else.
pub(crate) fn decode_token<T: DeserializeOwned>(text: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(text.trim().trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// One page of an offset-paginated listing, pages counted from 1 (WooCommerce, JD,
/// Taobao, Pinduoduo, Xiaohongshu) — callers turn Douyin's 0-based page into this.
pub(crate) fn offset_page<T: Copy>(all: &[T], page: usize, size: usize) -> Vec<T> {
    let start = page.saturating_sub(1).saturating_mul(size);
    all.iter().skip(start).take(size).copied().collect()
}
