//! A circuit breaker for one outside service (a warehouse, a carrier API): after enough
//! failures in a row it stops calls for a while, then lets a few probes through and closes
//! again only when they succeed.
//!
//! The breaker is a pure state machine: it does no IO and reads no clock; every call takes
//! the time as an argument, so tests (and a simulation) drive it exactly. The caller asks
//! [`Breaker::allow`] before a call and reports its outcome with
//! [`Breaker::record_success`] or [`Breaker::record_failure`]; a caller sharing one breaker
//! between tasks keeps it behind a mutex.
//!
//! ```text
//! Closed --(failure_threshold failures in a row)--> Open{until}
//! Open --(allow at or after until)--> HalfOpen
//! HalfOpen --(half_open_probes successes)--> Closed
//! HalfOpen --(any failure)--> Open{until = now + open_for}
//! ```

use std::time::{Duration, Instant};

/// How a breaker trips and recovers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Failures in a row that open the breaker. Zero is taken as one.
    pub failure_threshold: u32,
    /// How long an open breaker refuses calls before it lets probes through.
    pub open_for: Duration,
    /// Calls let through while half open; all of them must succeed to close. Zero is taken
    /// as one, since a breaker with no probe could never close.
    pub half_open_probes: u32,
}

impl Default for BreakerConfig {
    /// Five failures in a row open it for ten seconds, then one probe decides: enough to
    /// ride out a single bad answer, short enough that a recovered warehouse is used again
    /// within one outbox retry interval.
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(10),
            half_open_probes: 1,
        }
    }
}

/// What a breaker is doing, as callers and status pages see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; failures are being counted.
    Closed,
    /// Calls are refused until `until`. The end is noticed by the next
    /// [`Breaker::allow`], which moves the breaker to half open.
    Open {
        /// When probes may start.
        until: Instant,
    },
    /// A limited number of probe calls may go through.
    HalfOpen,
}

/// One service's breaker.
#[derive(Debug, Clone)]
pub struct Breaker {
    config: BreakerConfig,
    state: Inner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inner {
    Closed {
        failures_in_a_row: u32,
    },
    Open {
        until: Instant,
    },
    HalfOpen {
        /// Probes let through whose outcome has not been reported.
        probes_in_flight: u32,
        /// Probes that succeeded since the breaker became half open.
        successes: u32,
        /// When the last probe was let through: a probe whose outcome never comes (its
        /// caller was cancelled) must not hold the breaker half open for ever, so after
        /// `open_for` without news the probes are counted as lost.
        last_probe_at: Option<Instant>,
    },
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config: BreakerConfig {
                failure_threshold: config.failure_threshold.max(1),
                open_for: config.open_for,
                half_open_probes: config.half_open_probes.max(1),
            },
            state: Inner::Closed { failures_in_a_row: 0 },
        }
    }

    /// The configuration in force (zeros raised to one).
    pub fn config(&self) -> BreakerConfig {
        self.config
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        match self.state {
            Inner::Closed { .. } => BreakerState::Closed,
            Inner::Open { until } => BreakerState::Open { until },
            Inner::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Whether a call may be made at `now`. A `true` while half open counts as a probe, so
    /// the caller must make the call and report its outcome.
    pub fn allow(&mut self, now: Instant) -> bool {
        if let Inner::Open { until } = self.state {
            if now < until {
                return false;
            }
            self.state = Inner::HalfOpen {
                probes_in_flight: 0,
                successes: 0,
                last_probe_at: None,
            };
        }
        match &mut self.state {
            Inner::Closed { .. } => true,
            Inner::Open { .. } => false,
            Inner::HalfOpen {
                probes_in_flight,
                successes,
                last_probe_at,
            } => {
                let stale = last_probe_at.is_some_and(|at| now.saturating_duration_since(at) >= self.config.open_for);
                if stale {
                    *probes_in_flight = 0;
                }
                if *probes_in_flight + *successes < self.config.half_open_probes {
                    *probes_in_flight += 1;
                    *last_probe_at = Some(now);
                    true
                } else {
                    false
                }
            }
        }
    }

    /// A call succeeded.
    pub fn record_success(&mut self, _now: Instant) {
        match &mut self.state {
            Inner::Closed { failures_in_a_row } => *failures_in_a_row = 0,
            // An answer to a call sent before the breaker opened says nothing about the
            // service now; the open period runs its course.
            Inner::Open { .. } => {}
            Inner::HalfOpen {
                probes_in_flight,
                successes,
                ..
            } => {
                *probes_in_flight = probes_in_flight.saturating_sub(1);
                *successes += 1;
                if *successes >= self.config.half_open_probes {
                    self.state = Inner::Closed { failures_in_a_row: 0 };
                }
            }
        }
    }

    /// A call failed in a way that counts against the service (timeouts, 5xx, 429), not a
    /// refusal of the request itself.
    pub fn record_failure(&mut self, now: Instant) {
        match &mut self.state {
            Inner::Closed { failures_in_a_row } => {
                *failures_in_a_row += 1;
                if *failures_in_a_row >= self.config.failure_threshold {
                    self.open(now);
                }
            }
            // Late failures of calls sent before opening do not extend the open period.
            Inner::Open { .. } => {}
            Inner::HalfOpen { .. } => self.open(now),
        }
    }

    fn open(&mut self, now: Instant) {
        self.state = Inner::Open {
            until: now + self.config.open_for,
        };
    }
}

impl Default for Breaker {
    fn default() -> Self {
        Self::new(BreakerConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn breaker(threshold: u32, probes: u32) -> Breaker {
        Breaker::new(BreakerConfig {
            failure_threshold: threshold,
            open_for: 10 * SECOND,
            half_open_probes: probes,
        })
    }

    #[test]
    fn the_default_is_five_failures_ten_seconds_one_probe() {
        let config = BreakerConfig::default();
        assert_eq!(
            (config.failure_threshold, config.open_for, config.half_open_probes),
            (5, 10 * SECOND, 1)
        );
        assert_eq!(Breaker::default().state(), BreakerState::Closed);
    }

    #[test]
    fn a_closed_breaker_opens_after_the_threshold_of_failures_in_a_row() {
        let t0 = Instant::now();
        let mut breaker = breaker(3, 1);
        for _ in 0..2 {
            assert!(breaker.allow(t0));
            breaker.record_failure(t0);
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.record_failure(t0);
        assert_eq!(
            breaker.state(),
            BreakerState::Open {
                until: t0 + 10 * SECOND
            }
        );
        assert!(!breaker.allow(t0 + 9 * SECOND));
    }

    #[test]
    fn a_success_resets_the_count_of_failures() {
        let t0 = Instant::now();
        let mut breaker = breaker(3, 1);
        breaker.record_failure(t0);
        breaker.record_failure(t0);
        breaker.record_success(t0);
        breaker.record_failure(t0);
        breaker.record_failure(t0);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn an_open_breaker_becomes_half_open_when_its_time_is_up() {
        let t0 = Instant::now();
        let mut breaker = breaker(1, 1);
        breaker.record_failure(t0);
        assert!(!breaker.allow(t0 + 10 * SECOND - Duration::from_millis(1)));
        assert!(breaker.allow(t0 + 10 * SECOND));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        // The one probe is out: nothing else goes until it reports.
        assert!(!breaker.allow(t0 + 10 * SECOND));
    }

    #[test]
    fn a_successful_probe_closes_the_breaker() {
        let t0 = Instant::now();
        let mut breaker = breaker(1, 1);
        breaker.record_failure(t0);
        assert!(breaker.allow(t0 + 10 * SECOND));
        breaker.record_success(t0 + 11 * SECOND);
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(breaker.allow(t0 + 11 * SECOND));
    }

    #[test]
    fn a_failed_probe_opens_the_breaker_again_from_then() {
        let t0 = Instant::now();
        let mut breaker = breaker(1, 1);
        breaker.record_failure(t0);
        assert!(breaker.allow(t0 + 10 * SECOND));
        breaker.record_failure(t0 + 12 * SECOND);
        assert_eq!(
            breaker.state(),
            BreakerState::Open {
                until: t0 + 22 * SECOND
            }
        );
    }

    #[test]
    fn every_probe_must_succeed_before_the_breaker_closes() {
        let t0 = Instant::now();
        let mut breaker = breaker(1, 2);
        breaker.record_failure(t0);
        let t1 = t0 + 10 * SECOND;
        assert!(breaker.allow(t1));
        assert!(breaker.allow(t1));
        assert!(!breaker.allow(t1));
        breaker.record_success(t1);
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        breaker.record_success(t1);
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn a_probe_that_never_reports_is_replaced_after_the_open_period() {
        let t0 = Instant::now();
        let mut breaker = breaker(1, 1);
        breaker.record_failure(t0);
        let t1 = t0 + 10 * SECOND;
        assert!(breaker.allow(t1));
        assert!(!breaker.allow(t1 + 9 * SECOND));
        assert!(breaker.allow(t1 + 10 * SECOND));
    }

    #[test]
    fn late_answers_do_not_change_an_open_breaker() {
        let t0 = Instant::now();
        let mut breaker = breaker(1, 1);
        breaker.record_failure(t0);
        breaker.record_success(t0 + SECOND);
        breaker.record_failure(t0 + 2 * SECOND);
        assert_eq!(
            breaker.state(),
            BreakerState::Open {
                until: t0 + 10 * SECOND
            }
        );
    }

    #[test]
    fn zero_thresholds_are_raised_to_one() {
        let t0 = Instant::now();
        let mut breaker = breaker(0, 0);
        assert_eq!(breaker.config().half_open_probes, 1);
        breaker.record_failure(t0);
        assert!(matches!(breaker.state(), BreakerState::Open { .. }));
    }
}
