//! Text-level breakages: what typing, copy-paste and mis-configured exports do to text.

use ordo_core::input::OrderInput;
use rand::Rng;
use rand::rngs::StdRng;

use super::{on_some_field, pick};
use crate::corpus::orders::Market;
use crate::text;

pub(super) fn whitespace(rng: &mut StdRng, _: Market, order: &mut OrderInput) -> bool {
    // Phones are left to phone_format; SKUs only get trimmed, so only padded.
    let fits = |name: &str, _: &str| !name.ends_with("phone");
    on_some_field(rng, order, fits, |rng, name, value| {
        let odd = pick(rng, &["  ", "\t", "\u{3000}", " \u{A0}"]);
        if value.contains(' ') && name != "sku" && rng.random_bool(0.5) {
            let spaces: Vec<usize> = value.match_indices(' ').map(|(i, _)| i).collect();
            let at = pick(rng, &spaces);
            format!("{}{odd}{}", &value[..at], &value[at + 1..])
        } else {
            let pad = pick(rng, &[" ", "  ", "\t", "\u{3000}", "\u{A0}"]);
            match rng.random_range(0..3) {
                0 => format!("{pad}{value}"),
                1 => format!("{value}{pad}"),
                _ => format!("{pad}{value}{pad}"),
            }
        }
    })
}

fn full_width_char(c: char) -> char {
    match c {
        ' ' => '\u{3000}',
        '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

pub(super) fn full_width(rng: &mut StdRng, _: Market, order: &mut OrderInput) -> bool {
    let fits = |_: &str, v: &str| v.chars().any(|c| c.is_ascii_alphanumeric());
    on_some_field(rng, order, fits, |rng, _, value| {
        // A Chinese IME in full-width mode turns everything typed; some buyers only have
        // digits that way (typed on the number row).
        let digits_only = rng.random_bool(0.5);
        value
            .chars()
            .map(|c| {
                if !digits_only || c.is_ascii_digit() {
                    full_width_char(c)
                } else {
                    c
                }
            })
            .collect()
    })
}

pub(super) fn zero_width(rng: &mut StdRng, _: Market, order: &mut OrderInput) -> bool {
    on_some_field(
        rng,
        order,
        |_, _| true,
        |rng, _, value| {
            let boundaries: Vec<usize> = value.char_indices().map(|(i, _)| i).chain([value.len()]).collect();
            let at = pick(rng, &boundaries);
            let invisible = pick(rng, &['\u{200B}', '\u{200C}', '\u{200D}', '\u{FEFF}', '\u{2060}']);
            format!("{}{invisible}{}", &value[..at], &value[at..])
        },
    )
}

pub(super) fn mojibake(rng: &mut StdRng, _: Market, order: &mut OrderInput) -> bool {
    // SKUs are codes: repair only trims and narrows them, and exports keep them ASCII.
    on_some_field(
        rng,
        order,
        |name, v| name != "sku" && !v.is_ascii(),
        |_, _, value| text::to_mojibake(value),
    )
}
