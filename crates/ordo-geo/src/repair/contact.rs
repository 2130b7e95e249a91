//! Recipient name and phone pasted into the address line.
//!
//! Chinese buyers paste "王小明 13800138000 广东省深圳市…" from a messaging app into the
//! address box. When the pasted name and number are the ones the address already holds,
//! removing them from the line loses nothing; anything else in the line stays.

use ordo_core::input::AddressInput;

use super::{Journal, RepairKind};
use crate::phone;

const LINE1: &str = "shipping_address.line1";

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '，' | ';' | '；' | '、')
}

/// Removes the recipient's name and phone number from the start or the end of line 1
/// when they repeat the address's own name and phone fields.
pub(super) fn strip_duplicate_contact(journal: &mut Journal, a: &mut AddressInput, region: Option<&str>) {
    let Some(line) = a.line1.as_deref() else { return };
    let name = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let phone = a.phone.as_deref().and_then(|p| phone::normalise(p, region).ok());
    if name.is_none() && phone.is_none() {
        return;
    }
    let is_phone = |tokens: &[&str]| {
        let joined: String = tokens.concat();
        joined.chars().all(|c| c.is_ascii_digit() || "+-()".contains(c))
            && joined.chars().filter(char::is_ascii_digit).count() >= 7
            && phone
                .as_ref()
                .is_some_and(|p| phone::normalise(&joined, region).is_ok_and(|t| t.e164 == p.e164))
    };
    // How many tokens at the front of `tokens` are the name and the number ("138 0013
    // 8000" is three tokens), in either order. `backwards` reads the line from its end.
    let contact_tokens = |tokens: &[&str], backwards: bool| -> usize {
        let mut used = 0;
        for _ in 0..2 {
            if name.is_some_and(|n| tokens.get(used) == Some(&n)) {
                used += 1;
                continue;
            }
            let fits = |k: usize| {
                let mut group = tokens[used..used + k].to_vec();
                if backwards {
                    group.reverse();
                }
                is_phone(&group)
            };
            match (1..=4).rev().find(|&k| used + k <= tokens.len() && fits(k)) {
                Some(k) => used += k,
                None => break,
            }
        }
        used
    };
    let tokens: Vec<&str> = line.split(is_separator).filter(|t| !t.is_empty()).collect();
    let leading = contact_tokens(&tokens, false);
    let reversed: Vec<&str> = tokens.iter().rev().copied().collect();
    let trailing = contact_tokens(&reversed, true);
    if leading + trailing == 0 || leading + trailing >= tokens.len() {
        return;
    }
    // Cut by position so the street keeps its own spacing and punctuation.
    let mut start = 0;
    for token in &tokens[..leading] {
        start = line[start..].find(token).map_or(start, |at| start + at + token.len());
    }
    let mut end = line.len();
    for token in tokens.iter().rev().take(trailing) {
        end = line[..end].rfind(token).unwrap_or(end);
    }
    let street = line[start..end].trim_matches(is_separator).to_owned();
    journal.set(LINE1, RepairKind::DuplicateContact, &mut a.line1, Some(street));
}
