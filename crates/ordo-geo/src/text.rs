//! Text clean-up for names, address lines and remarks as marketplaces deliver them.
//!
//! [`clean`] undoes what copy-paste, input methods and mis-configured exports do to text:
//! invisible characters, full-width ASCII typed with a Chinese IME, runs of odd whitespace,
//! and UTF-8 that was decoded as Windows-1252 ("MÃ¼nchen"). Each change re-expresses the
//! same text; nothing is guessed. The clean-up runs to a fixed point, so cleaning clean
//! text changes nothing.

use std::borrow::Cow;

/// One kind of change [`clean`] makes; repairs report which ones happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Zero-width, bidi-control, control characters and soft hyphens removed.
    Invisible,
    /// Full-width ASCII turned into ASCII.
    FullWidth,
    /// UTF-8 mis-decoded as Windows-1252 or Latin-1 turned back into what was meant.
    Encoding,
    /// Whitespace collapsed to single spaces and trimmed.
    Whitespace,
}

/// Full-width punctuation that is correct Chinese punctuation next to Chinese text
/// ("收货人（王）"), so it is kept there and converted only among ASCII.
const CJK_PUNCTUATION: [char; 7] = ['！', '（', '）', '，', '：', '；', '？'];

/// Cleans one line of text: invisible characters removed, full-width ASCII made ASCII,
/// mojibake repaired, whitespace collapsed to single spaces and trimmed.
pub fn clean(text: &str) -> Cow<'_, str> {
    let cleaned = clean_traced(text, false, |_, _, _| {});
    if cleaned == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(cleaned)
    }
}

/// Like [`clean`], but keeps line breaks (for remarks): each line is cleaned, blank lines
/// at the ends are dropped and runs of blank lines become one.
pub fn clean_multiline(text: &str) -> Cow<'_, str> {
    let cleaned = clean_traced(text, true, |_, _, _| {});
    if cleaned == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(cleaned)
    }
}

/// One clean-up step: the changed text, or `None` when it has nothing to change.
type StepFn = fn(&str, bool) -> Option<String>;

/// Runs the clean-up to a fixed point, telling `trace` about every step that changed the
/// text (with the text before and after it).
pub(crate) fn clean_traced(text: &str, multiline: bool, mut trace: impl FnMut(Step, &str, &str)) -> String {
    let mut current = text.to_owned();
    // Each step either shortens the text or leaves it in a form no step changes again
    // (a tab becomes a space), so this ends within a few rounds; the bound only guards
    // against a future step that breaks that rule.
    for _ in 0..16 {
        let start = current.clone();
        let steps: [(Step, StepFn); 5] = [
            (Step::Invisible, |s, _| remove_chars(s, is_zero_width)),
            (Step::FullWidth, |s, _| to_half_width(s)),
            (Step::Encoding, |s, _| fix_mojibake(s)),
            (Step::Invisible, |s, _| remove_controls(s)),
            (Step::Whitespace, collapse_whitespace),
        ];
        for (step, apply) in steps {
            if let Some(next) = apply(&current, multiline).filter(|next| *next != current) {
                trace(step, &current, &next);
                current = next;
            }
        }
        if current == start {
            break;
        }
    }
    current
}

/// Zero-width and direction-control characters: invisible, and they break matching.
fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}')
}

/// C0 control characters other than whitespace. C1 controls (U+0080–U+009F) are kept:
/// in text they only come from mis-decoding, and removing them from mojibake that could not
/// be decoded would destroy what a person can still recover.
fn is_c0_control(c: char) -> bool {
    c.is_control() && !c.is_whitespace() && !('\u{80}'..='\u{9F}').contains(&c)
}

/// Removes C0 controls, and soft hyphens unless the text may be undecoded mojibake (it
/// holds a character that reads as a UTF-8 lead byte), where U+00AD is one of its bytes.
fn remove_controls(text: &str) -> Option<String> {
    let may_be_mojibake = text.contains(|c| ('\u{C2}'..='\u{F4}').contains(&c));
    remove_chars(
        text,
        if may_be_mojibake {
            is_c0_control
        } else {
            |c| is_c0_control(c) || c == '\u{AD}'
        },
    )
}

/// `text` without zero-width, control and soft-hyphen characters; `None` when it has none.
pub(crate) fn strip_invisible(text: &str) -> Option<String> {
    remove_chars(text, |c| is_zero_width(c) || is_c0_control(c) || c == '\u{AD}')
}

fn remove_chars(text: &str, remove: fn(char) -> bool) -> Option<String> {
    text.contains(remove)
        .then(|| text.chars().filter(|c| !remove(*c)).collect())
}

/// Whether `c` is written in CJK scripts (ideographs, kana, hangul or CJK punctuation).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303F}' | '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// Full-width ASCII (U+FF01–U+FF5E) as ASCII, except Chinese punctuation beside Chinese
/// text. `None` when there is nothing to convert.
pub(crate) fn to_half_width(text: &str) -> Option<String> {
    if !text.chars().any(|c| ('\u{FF01}'..='\u{FF5E}').contains(&c)) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let converted = chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if !('\u{FF01}'..='\u{FF5E}').contains(&c) {
                return c;
            }
            let beside_cjk = (i > 0 && is_cjk(chars[i - 1])) || chars.get(i + 1).is_some_and(|n| is_cjk(*n));
            if CJK_PUNCTUATION.contains(&c) && beside_cjk {
                c
            } else {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
        })
        .collect();
    Some(converted)
}

/// Windows-1252 characters for bytes 0x80–0x9F (WHATWG mapping; the five undefined bytes
/// decode to the C1 control with the same number).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘', '’',
    '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

fn cp1252_byte(c: char) -> Option<u8> {
    match c as u32 {
        0..=0x7F | 0xA0..=0xFF => Some(c as u8),
        _ => CP1252_HIGH.iter().position(|h| *h == c).map(|i| 0x80 + i as u8),
    }
}

fn latin1_byte(c: char) -> Option<u8> {
    u8::try_from(c as u32).ok()
}

/// Characters text in the markets Ordo serves is written in. Arbitrary Latin-1 text can
/// happen to be valid UTF-8 ("Weiß" and a no-break space decode to an N'Ko letter); a
/// decoding is only believed when every character it yields is one of these.
fn is_plausible(c: char) -> bool {
    c.is_ascii()
        || is_cjk(c)
        || matches!(c,
            '\u{A0}'..='\u{24F}'        // Latin-1 letters and symbols, Latin Extended-A/B
            | '\u{370}'..='\u{52F}'     // Greek, Cyrillic
            | '\u{590}'..='\u{6FF}'     // Hebrew, Arabic
            | '\u{E00}'..='\u{E7F}'     // Thai
            | '\u{1E00}'..='\u{1EFF}'   // Latin Extended Additional (Vietnamese)
            | '\u{2000}'..='\u{206F}'   // dashes, quotes, bullets, zero-width marks
            | '\u{FEFF}'                 // byte-order mark (removed afterwards)
            | '\u{20A0}'..='\u{20CF}'   // currency signs
            | '\u{2100}'..='\u{214F}'   // letterlike symbols (№, ™)
            | '\u{FF01}'..='\u{FFEF}'   // full-width and half-width forms
            | '\u{1F300}'..='\u{1FAFF}' // emoji
        )
}

fn decode_single_byte(bytes: &[u8], cp1252: bool) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F if cp1252 => CP1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// Repairs UTF-8 text that was decoded as Windows-1252 or Latin-1 ("MÃ¼nchen" → "München",
/// "å¹¿ä¸œ" → "广东"). Only when every character maps back to a byte, the bytes are valid
/// UTF-8, decoding them again the same wrong way gives exactly the input, and the result
/// is made of characters real text uses; otherwise `None`. Whitespace that cannot be a
/// mis-decoded byte (U+3000, padding around the text) is kept as it is and the pieces
/// between it are repaired one by one.
pub fn fix_mojibake(text: &str) -> Option<String> {
    if text.is_ascii() {
        return None;
    }
    if let Some(decoded) = decode_exactly(text) {
        return Some(decoded);
    }
    let core = text.trim_matches(char::is_whitespace);
    if core.len() != text.len() && !core.is_empty() {
        let start = text.len() - text.trim_start_matches(char::is_whitespace).len();
        if let Some(decoded) = decode_exactly(core) {
            return Some(format!("{}{decoded}{}", &text[..start], &text[start + core.len()..]));
        }
    }
    let foreign_space = |c: char| c.is_whitespace() && cp1252_byte(c).is_none() && latin1_byte(c).is_none();
    if !text.contains(foreign_space) {
        return None;
    }
    let mut changed = false;
    let mut out = String::with_capacity(text.len());
    let mut piece_start = 0;
    for (i, c) in text
        .char_indices()
        .filter(|(_, c)| foreign_space(*c))
        .chain([(text.len(), ' ')])
    {
        let piece = &text[piece_start..i];
        match decode_exactly(piece) {
            Some(decoded) => {
                out.push_str(&decoded);
                changed = true;
            }
            None => out.push_str(piece),
        }
        if i < text.len() {
            out.push(c);
        }
        piece_start = i + c.len_utf8();
    }
    changed.then_some(out)
}

fn decode_exactly(text: &str) -> Option<String> {
    if text.is_ascii() {
        return None;
    }
    for (to_byte, cp1252) in [(cp1252_byte as fn(char) -> Option<u8>, true), (latin1_byte, false)] {
        let Some(bytes) = text.chars().map(to_byte).collect::<Option<Vec<u8>>>() else {
            continue;
        };
        let Ok(decoded) = String::from_utf8(bytes) else {
            continue;
        };
        let exact = decode_single_byte(decoded.as_bytes(), cp1252) == text;
        let plausible = decoded.chars().all(is_plausible);
        if exact && plausible && decoded.chars().count() < text.chars().count() {
            return Some(decoded);
        }
    }
    None
}

/// Whitespace runs become one space and the ends are trimmed; with `multiline`, per line.
fn collapse_whitespace(text: &str, multiline: bool) -> Option<String> {
    let collapse = |line: &str| {
        line.split(char::is_whitespace)
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let result = if multiline {
        let mut lines: Vec<String> = Vec::new();
        for line in text.split(['\n', '\r', '\u{2028}', '\u{2029}']).map(collapse) {
            // Keep one blank line between paragraphs, none at the ends.
            if line.is_empty() && lines.last().is_none_or(|l| l.is_empty()) {
                continue;
            }
            lines.push(line);
        }
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines.join("\n")
    } else {
        collapse(text)
    };
    (result != text).then_some(result)
}

/// Text with the UTF-8 bytes of `text` decoded as Windows-1252: the mojibake [`clean`]
/// repairs. The corpus uses it to break orders the way mis-configured exports do.
pub fn to_mojibake(text: &str) -> String {
    decode_single_byte(text.as_bytes(), true)
}

#[cfg(test)]
mod tests;
