//! Request budgets as buckets: each admitted request adds one unit, the bucket drains at
//! the sustained rate, and a request that would overflow it is refused with the time to
//! wait. Shopify documents exactly this (a leaky bucket of 40 draining 2/s); Amazon's
//! token bucket (burst, restore rate) is the same arithmetic seen from the other side.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// The answer of a bucket to one request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Admission {
    /// Admitted; `used` units are in the bucket of `capacity` now.
    Allowed { used: u32, capacity: u32 },
    /// Refused; one unit frees up after `wait`.
    Limited { wait: Duration, capacity: u32 },
    /// No limit applies.
    Unlimited,
}

#[derive(Debug)]
struct Bucket {
    limit: RateLimit,
    level: f64,
    at: Instant,
}

impl Bucket {
    fn admit(&mut self, now: Instant) -> Admission {
        let drained = now.saturating_duration_since(self.at).as_secs_f64() * self.limit.per_second;
        self.level = (self.level - drained).max(0.0);
        self.at = now;
        let capacity = f64::from(self.limit.burst);
        if self.level + 1.0 <= capacity + 1e-9 {
            self.level += 1.0;
            Admission::Allowed {
                used: self.level.ceil() as u32,
                capacity: self.limit.burst,
            }
        } else {
            let wait_s = (self.level + 1.0 - capacity) / self.limit.per_second;
            Admission::Limited {
                wait: Duration::from_secs_f64(wait_s.max(0.001)),
                capacity: self.limit.burst,
            }
        }
    }
}

/// Named buckets, created on first use (`api`, `getOrders`, `searchOrders`,
/// `getOrderItems`).
#[derive(Debug, Default)]
pub(crate) struct Buckets {
    buckets: HashMap<&'static str, Bucket>,
}

impl Buckets {
    /// Charges one request to bucket `name` under `limit`.
    pub fn admit(&mut self, name: &'static str, limit: Option<RateLimit>) -> Admission {
        let Some(limit) = limit else {
            return Admission::Unlimited;
        };
        let now = Instant::now();
        self.buckets
            .entry(name)
            .or_insert(Bucket {
                limit,
                level: 0.0,
                at: now,
            })
            .admit(now)
    }
}

/// Seconds as Shopify writes `Retry-After`: fractional, rounded up to the millisecond so
/// that a client waiting exactly that long is admitted.
pub(crate) fn retry_after_fractional(wait: Duration) -> String {
    let millis = wait.as_secs_f64() * 1000.0;
    let text = format!("{:.3}", millis.ceil() / 1000.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Whole seconds, rounded up (WooCommerce and most HTTP servers).
pub(crate) fn retry_after_whole(wait: Duration) -> String {
    wait.as_secs_f64().ceil().max(1.0).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refuses_past_its_burst_and_says_how_long_to_wait() {
        let mut buckets = Buckets::default();
        let limit = Some(RateLimit {
            burst: 2,
            per_second: 2.0,
        });
        assert!(matches!(
            buckets.admit("api", limit),
            Admission::Allowed { used: 1, .. }
        ));
        assert!(matches!(
            buckets.admit("api", limit),
            Admission::Allowed { used: 2, .. }
        ));
        match buckets.admit("api", limit) {
            Admission::Limited { wait, capacity } => {
                assert_eq!(capacity, 2);
                assert!(wait <= Duration::from_millis(500) && wait > Duration::from_millis(400));
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(buckets.admit("other", None), Admission::Unlimited);
    }

    #[test]
    fn retry_after_is_rounded_up() {
        assert_eq!(retry_after_fractional(Duration::from_micros(499_100)), "0.5");
        assert_eq!(retry_after_fractional(Duration::from_secs(2)), "2");
        assert_eq!(retry_after_whole(Duration::from_millis(10)), "1");
    }
}
