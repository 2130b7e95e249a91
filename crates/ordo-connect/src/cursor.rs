//! A channel's durable cursor and the poll windows it leads to.
//!
//! The cursor is one instant, stored by Ordo as `{"updated_after": "<RFC 3339, UTC>"}`:
//! every order updated up to it has been handed to the sink. A poll reads the window
//! `[cursor − overlap, now − safety lag]` (or `[now − initial lookback, …]` without a
//! cursor). Re-reading the overlap is harmless because ingestion is idempotent, and it
//! catches orders the platform committed with a slightly older `updated_at`.
//!
//! After a window is read in full the cursor moves to the newest instant the platform has
//! vouched for — the largest `updated_at` seen, the end of a window the platform was asked
//! about explicitly, or a `LastUpdatedBefore` it answered with — but never past the
//! window's end and never backwards.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::ConnectError;

/// Where a channel's polling has got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    /// Every order updated at or before this instant has been ingested.
    pub updated_after: DateTime<Utc>,
}

impl Cursor {
    /// Reads a stored cursor.
    pub fn from_json(value: &Value) -> Result<Self, ConnectError> {
        let text = value.get("updated_after").and_then(Value::as_str).ok_or_else(|| {
            ConnectError::Cursor(format!("expected {{\"updated_after\": \"<RFC 3339>\"}}, got {value}"))
        })?;
        let at = DateTime::parse_from_rfc3339(text)
            .map_err(|e| ConnectError::Cursor(format!("updated_after {text:?}: {e}")))?;
        Ok(Self {
            updated_after: at.with_timezone(&Utc),
        })
    }

    /// The stored form.
    pub fn to_json(&self) -> Value {
        json!({ "updated_after": self.updated_after.to_rfc3339_opts(SecondsFormat::Millis, true) })
    }
}

/// One span of time to read orders from, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// How windows are laid out; the channel's configuration in time units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowRules {
    pub overlap: TimeDelta,
    pub initial_lookback: TimeDelta,
    pub safety_lag: TimeDelta,
}

impl WindowRules {
    /// The window a poll at `now` reads, or `None` when it would be empty.
    pub fn window(&self, cursor: Option<Cursor>, now: DateTime<Utc>) -> Option<Window> {
        let to = now - self.safety_lag;
        let from = match cursor {
            Some(cursor) => cursor.updated_after - self.overlap,
            None => now - self.initial_lookback,
        };
        (from < to).then_some(Window { from, to })
    }
}

/// Cuts a window into consecutive windows no longer than `max` (Pinduoduo accepts 30
/// minutes at most). The pieces share their boundary instants, so nothing falls between.
pub(crate) fn split(window: Window, max: TimeDelta) -> Vec<Window> {
    let mut pieces = Vec::new();
    let mut from = window.from;
    while from < window.to {
        let to = (from + max).min(window.to);
        pieces.push(Window { from, to });
        from = to;
    }
    pieces
}

/// The cursor after `window` was read in full, given the newest instant the platform
/// vouched for (`None`: it said nothing, e.g. no orders came back).
pub(crate) fn advance(old: Option<Cursor>, window: Window, vouched: Option<DateTime<Utc>>) -> Cursor {
    let candidate = match (vouched, old) {
        (Some(at), _) => at.min(window.to),
        // Nothing learnt: keep a fresh channel's first window start, so a quiet shop does
        // not let its lookback slide past orders that arrive later with older timestamps.
        (None, Some(old)) => old.updated_after,
        (None, None) => window.from,
    };
    let candidate = Cursor {
        updated_after: candidate,
    };
    old.map_or(candidate, |old| old.max(candidate))
}

/// Reads a platform time: RFC 3339, or a naive `YYYY-MM-DDTHH:MM:SS` taken as UTC (what
/// WooCommerce's `*_gmt` fields look like).
pub(crate) fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|naive| naive.and_utc())
}

/// RFC 3339 in UTC with whole seconds, the form query parameters take.
pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        parse_utc(text).unwrap()
    }

    fn rules() -> WindowRules {
        WindowRules {
            overlap: TimeDelta::seconds(300),
            initial_lookback: TimeDelta::hours(24),
            safety_lag: TimeDelta::seconds(60),
        }
    }

    #[test]
    fn the_cursor_round_trips_through_json() {
        let cursor = Cursor {
            updated_after: at("2024-05-01T10:00:00.250Z"),
        };
        let stored = cursor.to_json();
        assert_eq!(stored, json!({"updated_after": "2024-05-01T10:00:00.250Z"}));
        assert_eq!(Cursor::from_json(&stored).unwrap(), cursor);
        assert!(Cursor::from_json(&json!({"since": 1})).is_err());
        assert!(Cursor::from_json(&json!({"updated_after": "yesterday"})).is_err());
    }

    #[test]
    fn a_window_starts_before_the_cursor_and_ends_before_now() {
        let now = at("2024-05-01T12:00:00Z");
        let cursor = Cursor {
            updated_after: at("2024-05-01T11:00:00Z"),
        };
        let window = rules().window(Some(cursor), now).unwrap();
        assert_eq!(window.from, at("2024-05-01T10:55:00Z"));
        assert_eq!(window.to, at("2024-05-01T11:59:00Z"));
        let first = rules().window(None, now).unwrap();
        assert_eq!(first.from, at("2024-04-30T12:00:00Z"));
    }

    #[test]
    fn the_cursor_never_passes_the_window_end_nor_goes_back() {
        let window = Window {
            from: at("2024-05-01T10:55:00Z"),
            to: at("2024-05-01T11:59:00Z"),
        };
        let before = Cursor {
            updated_after: at("2024-05-01T11:00:00Z"),
        };
        let old = Some(before);
        let late = advance(old, window, Some(at("2024-05-01T11:59:30Z")));
        assert_eq!(late.updated_after, window.to);
        let seen = advance(old, window, Some(at("2024-05-01T11:30:00Z")));
        assert_eq!(seen.updated_after, at("2024-05-01T11:30:00Z"));
        let overlap_only = advance(old, window, Some(at("2024-05-01T10:56:00Z")));
        assert_eq!(overlap_only, before);
        assert_eq!(advance(old, window, None), before);
        assert_eq!(advance(None, window, None).updated_after, window.from);
    }

    #[test]
    fn long_windows_are_cut_into_pieces_that_touch() {
        let window = Window {
            from: at("2024-05-01T10:00:00Z"),
            to: at("2024-05-01T11:10:00Z"),
        };
        let pieces = split(window, TimeDelta::minutes(30));
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[0].to, pieces[1].from);
        assert_eq!(pieces[2].to, window.to);
        assert!(pieces.iter().all(|p| p.to - p.from <= TimeDelta::minutes(30)));
    }

    #[test]
    fn woocommerce_gmt_times_without_offset_are_utc() {
        assert_eq!(at("2017-03-22T19:28:08"), at("2017-03-22T19:28:08Z"));
        assert_eq!(at("2008-01-10T11:00:00-05:00"), at("2008-01-10T16:00:00Z"));
        assert!(parse_utc("22/03/2017").is_none());
    }
}
