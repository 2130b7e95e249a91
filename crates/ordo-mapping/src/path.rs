//! Paths into JSON: dot-separated keys with `[n]` indexes, e.g. `shipping_lines[0].price`.

use serde_json::Value;

/// The value at `path`, if every step exists.
pub fn get<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut here = root;
    for step in path.split('.').filter(|s| !s.is_empty()) {
        let (key, indexes) = match step.find('[') {
            Some(at) => (&step[..at], &step[at..]),
            None => (step, ""),
        };
        if !key.is_empty() {
            here = here.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let n: usize = index.strip_suffix(']')?.parse().ok()?;
            here = here.get(n)?;
        }
    }
    Some(here)
}

/// Whether a path is well formed (checked when a mapping loads).
pub fn check(path: &str) -> Result<(), String> {
    if path.trim().is_empty() {
        return Err("an empty path".into());
    }
    for step in path.split('.') {
        if step.is_empty() {
            return Err(format!("{path:?} has an empty step"));
        }
        if let Some(at) = step.find('[') {
            for index in step[at..].split('[').filter(|s| !s.is_empty()) {
                let ok = index.strip_suffix(']').is_some_and(|n| n.parse::<usize>().is_ok());
                if !ok {
                    return Err(format!("{path:?}: [{index} is not an index like [0]"));
                }
            }
        }
    }
    Ok(())
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
        assert!(check("a..b").is_err());
        assert!(check("a[x]").is_err());
        assert!(check("a.b[0].c").is_ok());
    }
}
