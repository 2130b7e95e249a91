//! Paths into JSON: dot-separated keys with bracketed steps, e.g. `shipping_lines[0].price`.
//!
//! A bracket is one of
//! - `[2]`: the element at that index;
//! - `[field=operand]`: a *join*, the first element whose `field` (a path inside the
//!   element) has the operand's value, compared as text so `7` matches `"7"`. The operand
//!   is `$.path` (read from the order), `@.path` (read from the current line; for
//!   order-level fields that is the order) or `'text'` (a literal). No match reads as a
//!   missing value, so the rule's `default` / `optional` apply;
//! - `[]`: every element, only inside `sum` (a sum adds the amounts of all of them).
//!
//! Joins exist because platforms normalise: an item says `address_id = 7` and the address
//! is in a sibling array (`addresses[id=@.address_id].city`), or an amount sits in a list
//! of typed entries (`breakdowns[type='SHIPPING'].amount`).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
struct Step {
    key: Option<String>,
    brackets: Vec<Bracket>,
}

#[derive(Debug, Clone, PartialEq)]
enum Bracket {
    At(usize),
    Each,
    Where { field: Vec<Step>, value: Operand },
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Order(Vec<Step>),
    Line(Vec<Step>),
    Literal(String),
}

/// Where relative paths start: the order, and the current line (the order itself when a
/// field is order-level).
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub order: &'a Value,
    pub line: &'a Value,
}

/// The value at `path` under `root` (no `$.` handling), if every step exists.
pub fn get<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let steps = parse(path).ok()?;
    first(
        root,
        &steps,
        Scope {
            order: root,
            line: root,
        },
    )
}

/// Every value a rule path reads: relative to the line, or to the order after `$.`.
/// More than one only through `[]`.
pub fn read_all<'a>(path: &str, scope: Scope<'a>) -> Vec<&'a Value> {
    let (start, rest) = match path.strip_prefix("$.") {
        Some(rest) => (scope.order, rest),
        None => (scope.line, path),
    };
    let mut found = Vec::new();
    if let Ok(steps) = parse(rest) {
        walk(start, &steps, scope, &mut found);
    }
    found
}

/// The first value a rule path reads, if any.
pub fn read<'a>(path: &str, scope: Scope<'a>) -> Option<&'a Value> {
    read_all(path, scope).into_iter().next()
}

fn walk<'a>(here: &'a Value, steps: &[Step], scope: Scope<'a>, found: &mut Vec<&'a Value>) {
    let Some((step, rest)) = steps.split_first() else {
        found.push(here);
        return;
    };
    let mut current = vec![here];
    if let Some(key) = &step.key {
        current = current.into_iter().filter_map(|v| v.get(key)).collect();
    }
    for bracket in &step.brackets {
        current = current.into_iter().flat_map(|v| select(v, bracket, scope)).collect();
    }
    for value in current {
        walk(value, rest, scope, found);
    }
}

fn select<'a>(here: &'a Value, bracket: &Bracket, scope: Scope<'a>) -> Vec<&'a Value> {
    match bracket {
        Bracket::At(n) => here.get(*n).into_iter().collect(),
        Bracket::Each => here.as_array().map(|a| a.iter().collect()).unwrap_or_default(),
        Bracket::Where { field, value } => {
            let wanted = match value {
                Operand::Literal(text) => Some(text.clone()),
                Operand::Order(steps) => first(scope.order, steps, scope).and_then(key_text),
                Operand::Line(steps) => first(scope.line, steps, scope).and_then(key_text),
            };
            let Some(wanted) = wanted else { return Vec::new() };
            here.as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .find(|item| first(item, field, scope).and_then(key_text).as_deref() == Some(&wanted))
                })
                .into_iter()
                .collect()
        }
    }
}

fn first<'a>(root: &'a Value, steps: &[Step], scope: Scope<'a>) -> Option<&'a Value> {
    let mut found = Vec::new();
    walk(root, steps, scope, &mut found);
    found.into_iter().next()
}

/// A join key as text; only scalars join (an object never equals an id).
fn key_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Whether a rule path is well formed (checked when a mapping loads). `[]` is accepted
/// only when `each` is allowed (inside `sum`).
pub fn check(path: &str, each: bool) -> Result<(), String> {
    let rest = path.strip_prefix("$.").unwrap_or(path);
    let steps = parse(rest).map_err(|m| format!("{path:?}: {m}"))?;
    if !each && uses_each(&steps) {
        return Err(format!("{path:?}: [] (every element) is only allowed in sum"));
    }
    Ok(())
}

fn uses_each(steps: &[Step]) -> bool {
    steps.iter().flat_map(|s| &s.brackets).any(|b| match b {
        Bracket::Each => true,
        Bracket::At(_) => false,
        Bracket::Where { field, value } => {
            uses_each(field) || matches!(value, Operand::Order(s) | Operand::Line(s) if uses_each(s))
        }
    })
}

/// The shape form of a rule path (`[…]` folded to `[]`), plus the paths its joins read:
/// the joined field inside the array and the operand in its own scope. `line` is the
/// shape prefix of the current line (`line_items[]`), empty for order-level fields.
pub fn shape_paths(path: &str, line: &str) -> Vec<String> {
    let (base, rest) = match path.strip_prefix("$.") {
        Some(rest) => ("", rest),
        None => (line, path),
    };
    let mut out = Vec::new();
    if let Ok(steps) = parse(rest) {
        let main = fold(&steps, base, line, &mut out);
        out.push(main);
    }
    out
}

fn fold(steps: &[Step], base: &str, line: &str, out: &mut Vec<String>) -> String {
    let mut here = base.to_owned();
    for step in steps {
        if let Some(key) = &step.key {
            if !here.is_empty() {
                here.push('.');
            }
            here.push_str(key);
        }
        for bracket in &step.brackets {
            here.push_str("[]");
            if let Bracket::Where { field, value } = bracket {
                let joined = fold(field, &here, line, out);
                out.push(joined);
                let operand = match value {
                    Operand::Order(s) => Some(fold(s, "", line, out)),
                    Operand::Line(s) => Some(fold(s, line, line, out)),
                    Operand::Literal(_) => None,
                };
                out.extend(operand);
            }
        }
    }
    here
}

/// Splits at `sep` outside brackets and quotes.
fn split_top(text: &str, sep: char) -> Vec<&str> {
    let (mut depth, mut quoted, mut start) = (0usize, false, 0usize);
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth = depth.saturating_sub(1),
            c if c == sep && !quoted && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse(path: &str) -> Result<Vec<Step>, String> {
    if path.trim().is_empty() {
        return Err("an empty path".into());
    }
    split_top(path, '.').into_iter().map(parse_step).collect()
}

fn parse_step(step: &str) -> Result<Step, String> {
    if step.is_empty() {
        return Err("has an empty step".into());
    }
    let open = step.find('[').unwrap_or(step.len());
    let key = (open > 0).then(|| step[..open].to_owned());
    if key.as_deref().is_some_and(|k| k.contains(['\'', '=', ']'])) {
        return Err(format!("{step:?} is not a key"));
    }
    let mut brackets = Vec::new();
    let mut rest = &step[open..];
    while !rest.is_empty() {
        let close = closing(rest).ok_or_else(|| format!("{step:?} has an unclosed ["))?;
        brackets.push(parse_bracket(&rest[1..close])?);
        rest = &rest[close + 1..];
    }
    Ok(Step { key, brackets })
}

/// The index of the `]` closing the `[` at the start of `text`.
fn closing(text: &str) -> Option<usize> {
    if !text.starts_with('[') {
        return None;
    }
    let (mut depth, mut quoted) = (0usize, false);
    for (i, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn parse_bracket(inner: &str) -> Result<Bracket, String> {
    if inner.is_empty() {
        return Ok(Bracket::Each);
    }
    if let Ok(n) = inner.parse::<usize>() {
        return Ok(Bracket::At(n));
    }
    let bad = || format!("[{inner}] is not an index like [0], [] or a join like [id=$.address_id]");
    let [field, value] = split_top(inner, '=')[..] else {
        return Err(bad());
    };
    let (field, value) = (field.trim(), value.trim());
    if field.is_empty() || field.starts_with(['$', '@', '\'']) {
        return Err(bad());
    }
    let value = if let Some(rest) = value.strip_prefix("$.") {
        Operand::Order(parse(rest)?)
    } else if let Some(rest) = value.strip_prefix("@.") {
        Operand::Line(parse(rest)?)
    } else if let Some(text) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Operand::Literal(text.to_owned())
    } else {
        return Err(format!("[{inner}]: the value must be $.path, @.path or 'text'"));
    };
    Ok(Bracket::Where {
        field: parse(field)?,
        value,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_and_indexes_are_followed() {
        let v = json!({"a": {"b": [{"c": 1}, {"c": 2}]}, "m": [[5, 6]]});
        assert_eq!(get(&v, "a.b[1].c"), Some(&json!(2)));
        assert_eq!(get(&v, "m[0][1]"), Some(&json!(6)));
        assert_eq!(get(&v, "a.x"), None);
        assert_eq!(get(&v, "a.b[9]"), None);
        assert!(check("a..b", false).is_err());
        assert!(check("a[x]", false).is_err());
        assert!(check("a.b[0].c", false).is_ok());
    }

    #[test]
    fn joins_match_by_text_against_the_order_the_line_or_a_literal() {
        let order = json!({"ship_to": 8, "addresses": [{"id": "7", "city": "杭州"}, {"id": 8, "city": "上海"}],
            "sums": [{"type": "TAX", "v": "1.00"}, {"type": "SHIPPING", "v": "5.00"}]});
        let line = json!({"address_id": 7});
        let scope = Scope {
            order: &order,
            line: &line,
        };
        assert_eq!(read("$.addresses[id=@.address_id].city", scope), Some(&json!("杭州")));
        assert_eq!(read("$.addresses[id=$.ship_to].city", scope), Some(&json!("上海")));
        assert_eq!(read("$.sums[type='SHIPPING'].v", scope), Some(&json!("5.00")));
        assert_eq!(read("$.sums[type='GIFT'].v", scope), None);
        assert_eq!(read("$.addresses[id=@.nope].city", scope), None);
        let all: Vec<&Value> = read_all("$.sums[].v", scope);
        assert_eq!(all, [&json!("1.00"), &json!("5.00")]);
    }

    #[test]
    fn malformed_joins_are_refused_at_load() {
        assert!(check("a[id=$.b].c", false).is_ok());
        assert!(check("a[id='x.y'].c", false).is_ok());
        assert!(
            check("a[id=b]", false)
                .unwrap_err()
                .contains("$.path, @.path or 'text'")
        );
        assert!(check("a[id=$.b", false).unwrap_err().contains("unclosed"));
        assert!(check("a[=$.b]", false).is_err());
        assert!(check("a[].b", false).unwrap_err().contains("only allowed in sum"));
        assert!(check("a[].b", true).is_ok());
    }

    #[test]
    fn shapes_fold_brackets_and_name_what_a_join_reads() {
        let mut paths = shape_paths("$.addresses[id=@.address_id].city", "items[]");
        paths.sort();
        assert_eq!(paths, ["addresses[].city", "addresses[].id", "items[].address_id"]);
        assert_eq!(shape_paths("sums[type='TAX'].v", ""), ["sums[].type", "sums[].v"]);
        assert_eq!(shape_paths("shipping_lines[0].price", ""), ["shipping_lines[].price"]);
    }
}
