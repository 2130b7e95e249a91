//! Positions in the config text: byte offsets from the TOML parser turned into the line,
//! column and field path an operator can act on.

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The field path at a byte offset, worked out from the text because the TOML parser
/// reports only a position: the last table header before it (`[[rule]]` counted, so
/// `rule[1]`) and the key that starts the offset's line.
pub(super) fn path_at(text: &str, offset: usize) -> String {
    // Up to the end of the offset's line: a header or key on that line is the one meant.
    let offset = floor_char_boundary(text, offset);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let before = &text[..line_end];
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut table = String::new();
    for line in before.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_owned();
            let index = match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count - 1
                }
                None => {
                    counts.push((name.clone(), 1));
                    0
                }
            };
            table = format!("{name}[{index}]");
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            // `[rule.filters]` belongs to the latest `[[rule]]`.
            let name = name.trim();
            let (head, rest) = name.split_once('.').unwrap_or((name, ""));
            table = match counts.iter().find(|(n, _)| n == head) {
                Some((_, count)) if !rest.is_empty() => format!("{head}[{}].{rest}", count - 1),
                _ => name.to_owned(),
            };
        }
    }
    let current_line = before.rsplit('\n').next().unwrap_or("").trim();
    let key = current_line.split('=').next().map(str::trim).filter(|k| {
        current_line.contains('=') && !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    match (table.is_empty(), key) {
        (true, Some(key)) => key.to_owned(),
        (false, Some(key)) => format!("{table}.{key}"),
        (_, None) => table,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let text = "a = 1\nname = \"仓库\" x";
        let offset = text.find('x').unwrap();
        assert_eq!(line_column(text, offset), (2, 13));
        assert_eq!(line_column(text, offset + 100), (2, 14));
    }

    #[test]
    fn paths_count_array_tables_and_name_the_key() {
        let text = "top = 1\n[[rule]]\nname = \"a\"\n[[cost]]\nfrom = 1\n[[rule]]\nrank = 2\n";
        assert_eq!(path_at(text, 0), "top");
        assert_eq!(path_at(text, text.find("name").unwrap()), "rule[0].name");
        assert_eq!(path_at(text, text.find("from").unwrap()), "cost[0].from");
        assert_eq!(path_at(text, text.find("rank").unwrap()), "rule[1].rank");
        assert_eq!(path_at(text, text.rfind("[[rule]]").unwrap()), "rule[1]");
        let sub = "[[rule]]\nname = 1\n[[rule]]\n[rule.filters]\ncolour = 1\n";
        assert_eq!(path_at(sub, sub.find("colour").unwrap()), "rule[1].filters.colour");
    }
}
