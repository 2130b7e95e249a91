//! How fast one channel may call its platform, and how long it waits before trying again.
//!
//! Every channel owns one [`TokenBucket`]: a request takes a token, tokens come back at the
//! configured rate up to the burst. A `429` pauses the whole bucket (not just the request
//! that got it), because the platform counts every request of the app, and Shopify's
//! `X-Shopify-Shop-Api-Call-Limit` lets the bucket follow the platform's own count.
//! Failed requests wait [`Backoff::delay`]: capped exponential with full jitter, so many
//! channels recovering at once do not retry in lockstep. Time is tokio's, so tests run it
//! paused.

use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::time::Instant;

/// The longest `Retry-After` honoured; a platform asking for more is asked again then.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// A token bucket shared by everything one channel sends.
#[derive(Debug)]
pub struct TokenBucket {
    rate_per_second: f64,
    burst: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    refilled_at: Instant,
    paused_until: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket: a fresh channel may send `burst` requests at once.
    pub fn new(rate_per_second: f64, burst: u32) -> Self {
        let burst = f64::from(burst.max(1));
        Self {
            rate_per_second: rate_per_second.max(f64::MIN_POSITIVE),
            burst,
            state: Mutex::new(BucketState {
                tokens: burst,
                refilled_at: Instant::now(),
                paused_until: None,
            }),
        }
    }

    /// Waits for a token and takes it; returns how long it waited.
    pub async fn acquire(&self) -> Duration {
        let started = Instant::now();
        loop {
            match self.try_take(Instant::now()) {
                Ok(()) => return started.elapsed(),
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Takes a token now, or says how long until one is due.
    fn try_take(&self, now: Instant) -> Result<(), Duration> {
        let mut state = self.lock();
        if let Some(until) = state.paused_until {
            if until > now {
                return Err(until - now);
            }
            state.paused_until = None;
        }
        self.refill(&mut state, now);
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - state.tokens) / self.rate_per_second))
        }
    }

    /// After a rate-limit answer: nothing of this channel is sent for `wait`, and the bucket
    /// starts empty afterwards so the burst does not hit the platform again at once.
    pub fn pause_for(&self, wait: Duration) {
        let now = Instant::now();
        let mut state = self.lock();
        let until = state.paused_until.map_or(now + wait, |current| current.max(now + wait));
        state.paused_until = Some(until);
        state.tokens = 0.0;
        state.refilled_at = until;
    }

    /// Follows the platform's own count (`used` of `limit`, Shopify's call-limit header):
    /// once the platform's bucket is 80 % full, ours holds no more than the room left there
    /// minus a tenth of the limit as a margin for webhooks-triggered calls and clock drift.
    pub fn observe_usage(&self, used: u32, limit: u32) {
        if limit == 0 || f64::from(used) < 0.8 * f64::from(limit) {
            return;
        }
        let margin = (f64::from(limit) / 10.0).max(1.0);
        let room = (f64::from(limit.saturating_sub(used)) - margin).max(0.0);
        let mut state = self.lock();
        self.refill(&mut state, Instant::now());
        state.tokens = state.tokens.min(room);
    }

    /// Tokens available now (for status and tests).
    pub fn available(&self) -> f64 {
        let mut state = self.lock();
        self.refill(&mut state, Instant::now());
        state.tokens
    }

    fn refill(&self, state: &mut BucketState, now: Instant) {
        if now > state.refilled_at {
            let earned = (now - state.refilled_at).as_secs_f64() * self.rate_per_second;
            state.tokens = (state.tokens + earned).min(self.burst);
            state.refilled_at = now;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BucketState> {
        // The state is a few numbers updated without panicking code in between; a poisoned
        // lock still holds consistent values.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Waits between attempts of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling of the first retry's wait.
    pub base: Duration,
    /// The largest ceiling.
    pub max: Duration,
    /// Attempts, the first included.
    pub max_attempts: u32,
}

impl Backoff {
    /// The ceiling before retry `retry` (1 = the first retry): `base · 2^(retry-1)`, capped.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let doubling = 2_u32.saturating_pow(retry.saturating_sub(1).min(30));
        self.base.saturating_mul(doubling).min(self.max)
    }

    /// A random wait in `[0, ceiling(retry)]` ("full jitter").
    pub fn delay(&self, retry: u32) -> Duration {
        self.delay_at(retry, rand::rng().random::<f64>())
    }

    /// The wait for a given uniform sample `unit` in `[0, 1)`; deterministic for tests.
    pub fn delay_at(&self, retry: u32, unit: f64) -> Duration {
        self.ceiling(retry).mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// Reads a `Retry-After` value: seconds (fractional ones too, as Shopify sends) or an HTTP
/// date. A date in the past means "now"; anything else unreadable is `None`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds).min(MAX_RETRY_AFTER));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER))
}

/// Reads Shopify's `X-Shopify-Shop-Api-Call-Limit: used/limit`.
pub fn parse_call_limit(value: &str) -> Option<(u32, u32)> {
    let (used, limit) = value.trim().split_once('/')?;
    Some((used.trim().parse().ok()?, limit.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn burst_goes_at_once_then_the_rate_applies() {
        let bucket = TokenBucket::new(2.0, 3);
        for _ in 0..3 {
            assert_eq!(bucket.acquire().await, Duration::ZERO);
        }
        let waited = bucket.acquire().await;
        assert_eq!(waited, Duration::from_millis(500));
        let waited = bucket.acquire().await;
        assert_eq!(waited, Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_refill_up_to_the_burst_only() {
        let bucket = TokenBucket::new(10.0, 2);
        bucket.acquire().await;
        bucket.acquire().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!((bucket.available() - 2.0).abs() < 1e-9);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_and_empties_the_bucket() {
        let bucket = TokenBucket::new(1.0, 5);
        bucket.pause_for(Duration::from_secs(3));
        assert_eq!(bucket.acquire().await, Duration::from_secs(4));
        // A shorter pause does not shorten a longer one.
        bucket.pause_for(Duration::from_secs(10));
        bucket.pause_for(Duration::from_secs(1));
        assert_eq!(bucket.acquire().await, Duration::from_secs(11));
    }

    #[tokio::test(start_paused = true)]
    async fn a_nearly_full_platform_bucket_slows_ours() {
        let bucket = TokenBucket::new(2.0, 40);
        bucket.observe_usage(10, 40);
        assert!((bucket.available() - 40.0).abs() < 1e-9, "far from full: untouched");
        bucket.observe_usage(38, 40);
        assert!(bucket.available() < 1e-9);
        assert_eq!(bucket.acquire().await, Duration::from_millis(500));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
            max_attempts: 8,
        };
        let ceilings: Vec<u64> = (1..=6).map(|r| backoff.ceiling(r).as_millis() as u64).collect();
        assert_eq!(ceilings, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff.ceiling(u32::MAX), Duration::from_secs(1));
        assert_eq!(backoff.delay_at(3, 0.0), Duration::ZERO);
        assert_eq!(backoff.delay_at(3, 0.5), Duration::from_millis(200));
        for retry in 1..10 {
            assert!(backoff.delay(retry) <= backoff.ceiling(retry));
        }
    }

    #[test]
    fn retry_after_reads_seconds_fractions_and_dates() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after(" 0.25 ", now), Some(Duration::from_millis(250)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("99999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn call_limit_header_is_read() {
        assert_eq!(parse_call_limit("32/40"), Some((32, 40)));
        assert_eq!(parse_call_limit("x"), None);
    }
}
