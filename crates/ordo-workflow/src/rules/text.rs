//! Text and time functions for matching: forgiving comparisons of what buyers type, and
//! the arithmetic of local review hours.

use chrono::{DateTime, FixedOffset, NaiveTime, TimeZone, Utc};

/// Shortest phone entry that is matched as a suffix. Shorter entries would match too many
/// unrelated numbers; Chinese landlines without area code have 7 or 8 digits.
pub(crate) const MIN_PHONE_DIGITS: usize = 6;

/// Folds full-width forms to ASCII (Chinese keyboards type `ＡＢＣ１２３` and the
/// ideographic space) and lower-cases, so matching ignores how the buyer typed.
pub(crate) fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// [`fold`] without any whitespace, for names and addresses where spacing varies.
pub(crate) fn compact(text: &str) -> String {
    fold(text).chars().filter(|c| !c.is_whitespace()).collect()
}

/// The digits of a phone number, full-width digits included.
pub(crate) fn digits(text: &str) -> String {
    fold(text).chars().filter(char::is_ascii_digit).collect()
}

/// True when two phone numbers are the same line: their digits are equal, or one ends
/// with the other (a country code such as `+86` written on one side only).
pub(crate) fn same_phone(a: &str, b: &str) -> bool {
    let (a, b) = (digits(a), digits(b));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= MIN_PHONE_DIGITS && long.ends_with(&short)
}

/// Parses `HH:MM` or `HH:MM:SS`.
pub(crate) fn parse_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .ok()
}

/// Parses a UTC offset such as `+08:00`, `-05:30` or `Z`.
pub(crate) fn parse_offset(text: &str) -> Option<FixedOffset> {
    let text = text.trim();
    if text == "Z" {
        return FixedOffset::east_opt(0);
    }
    let sign = match text.get(..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let (hours, minutes) = text.get(1..)?.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 14 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// `None` when `now` is inside the daily window `[start, end)` in local time; otherwise
/// the next time the window opens, in UTC. A window with `end` before `start` crosses
/// midnight (`22:00`–`06:00`).
pub(crate) fn next_window_start(
    now: DateTime<Utc>,
    start: NaiveTime,
    end: NaiveTime,
    offset: FixedOffset,
) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&offset);
    let time = local.time();
    let inside = if start < end {
        start <= time && time < end
    } else {
        time >= start || time < end
    };
    if inside {
        return None;
    }
    let today = local.date_naive();
    // Outside a crossing window, `time` lies between `end` and `start`, so the next
    // opening is later today; outside a plain window it is today only before `start`.
    let day = if time < start { today } else { today.succ_opt()? };
    offset
        .from_local_datetime(&day.and_time(start))
        .single()
        .map(|opening| opening.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case_are_folded() {
        assert_eq!(fold("ＡＢＣ１２３\u{3000}Xy"), "abc123 xy");
        assert_eq!(compact(" 文三路 100 号 "), "文三路100号");
    }

    #[test]
    fn phones_match_on_digits_with_or_without_country_code() {
        assert!(same_phone("+86 138 0013 8000", "13800138000"));
        assert!(same_phone("１３８００１３８０００", "138-0013-8000"));
        assert!(!same_phone("13800138000", "13800138001"));
        assert!(!same_phone("8000", "13800138000"), "short entries do not match");
    }

    #[test]
    fn times_and_offsets_parse() {
        assert_eq!(parse_time("09:00"), NaiveTime::from_hms_opt(9, 0, 0));
        assert_eq!(parse_time("21:30:15"), NaiveTime::from_hms_opt(21, 30, 15));
        assert_eq!(parse_time("25:00"), None);
        assert_eq!(parse_offset("+08:00"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(parse_offset("-05:30"), FixedOffset::east_opt(-(5 * 3600 + 1800)));
        assert_eq!(parse_offset("Z"), FixedOffset::east_opt(0));
        for bad in ["08:00", "+8", "+15:00", "UTC"] {
            assert_eq!(parse_offset(bad), None, "{bad}");
        }
    }
}
