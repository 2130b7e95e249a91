//! The domains of the storage port depend on each other in one direction only: a domain
//! module may use the domains listed before it in `DOMAINS`, never one after it, and names
//! what it uses by its domain path (`crate::stock::…`), so that the dependency shows.
//! Contract suites (`contract*.rs`) drive a whole store and are exempt.

use std::path::Path;

/// Lowest first; the same order as the `pub mod` lines of `src/lib.rs` and the table in
/// ARCHITECTURE.md.
const DOMAINS: &[&str] = &[
    "orders",
    "delivery",
    "stock",
    "channels",
    "review",
    "fulfilment",
    "workflow",
    "settings",
    "cluster",
    "aftersales",
];

/// Items of the crate root a domain may name directly (`columns` and `sql` read and
/// run rows for all).
const ROOT: &[&str] = &["StoreError", "StoreResult", "columns", "sql"];

#[test]
fn each_domain_uses_only_the_domains_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    let mut seen = 0;
    for (rank, domain) in DOMAINS.iter().enumerate() {
        for entry in std::fs::read_dir(src.join(domain)).expect("domain folder") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
            if !name.ends_with(".rs") || name.starts_with("contract") {
                continue;
            }
            seen += 1;
            let text = std::fs::read_to_string(&path).expect("readable");
            for (line_no, line) in text.lines().enumerate() {
                for used in crate_paths(line) {
                    let ok = match DOMAINS.iter().position(|d| *d == used) {
                        Some(r) => r <= rank,
                        None => ROOT.contains(&used.as_str()),
                    };
                    if !ok {
                        problems.push(format!("{domain}/{name}:{}: uses crate::{used}", line_no + 1));
                    }
                }
            }
        }
    }
    assert!(seen > 20, "only {seen} domain files found");
    assert!(
        problems.is_empty(),
        "upward or hidden dependencies:\n{}",
        problems.join("\n")
    );
}

/// The first segment of every `crate::` path on a line, including each name of a
/// `crate::{a, b}` group.
fn crate_paths(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or_default();
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            out.extend(
                group[..end]
                    .split(',')
                    .map(|s| segment(s.trim()))
                    .filter(|s| !s.is_empty()),
            );
        } else {
            out.push(segment(rest));
        }
    }
    out
}

fn segment(path: &str) -> String {
    path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
}

#[test]
fn the_shared_modules_name_no_domain() {
    // `columns` and `sql` sit below every domain: each domain may use them.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for module in ["columns", "sql"] {
        let text = std::fs::read_to_string(src.join(format!("{module}.rs"))).expect("readable");
        for (line_no, line) in text.lines().enumerate() {
            for used in crate_paths(line) {
                assert!(
                    !DOMAINS.contains(&used.as_str()),
                    "{module}.rs:{}: uses crate::{used}",
                    line_no + 1
                );
            }
        }
    }
}

#[test]
fn the_list_matches_the_crate_root() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).expect("lib.rs");
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
        .filter(|m| !ROOT.contains(m))
        .collect();
    assert_eq!(declared, DOMAINS);
}
