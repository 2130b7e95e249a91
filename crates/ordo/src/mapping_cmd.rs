//! `ordo mapping`: check mapping files and try them on payloads, without a server.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ordo_core::input::OrderInput;
use ordo_mapping::{MapError, Mapping};
use serde_json::Value;

/// Mapping tools.
#[derive(Debug, clap::Subcommand)]
pub enum MappingCommand {
    /// Load mapping files and report every problem with its file, line and field; exits 1
    /// if any file is invalid.
    Check {
        /// Mapping files (TOML).
        files: Vec<PathBuf>,
    },
    /// Run the test vectors of mapping files (`[[tests]]`: a payload file and the canonical
    /// fields it must map to); exits 1 if any fails.
    Test {
        /// Mapping files (TOML).
        files: Vec<PathBuf>,
    },
    /// Map a payload file with a mapping, validate the result as an order, and print the
    /// canonical order (each order of a list response); exits 1 with the field at fault if
    /// either step fails.
    Apply {
        /// A built-in mapping by name (e.g. `shopify.order`) or a mapping file (TOML).
        mapping: String,
        /// Platform payload (JSON).
        payload: PathBuf,
        /// Report every problem: every field the mapping cannot map, then what the order
        /// validation finds in the rest; without it, the first problem only.
        #[arg(long)]
        all_errors: bool,
    },
}

/// An included fragment: beside the including file, else a built-in mapping by name.
fn built_in_text(name: &str) -> Option<String> {
    ordo_mapping::built_in(name).map(|(_, text)| text.to_owned())
}

/// A mapping file, with its includes; `Err` inside is the load problem to report.
fn load(path: &Path) -> anyhow::Result<Result<Mapping, String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let loaded = Mapping::load_with(&path.display().to_string(), &text, |name| {
        ordo_app::mappings::fragment(&dir, name)
    });
    Ok(loaded.map_err(|e| e.to_string()))
}

/// A mapping file when `name` is one, else the built-in mapping of that name.
fn load_named(name: &str) -> anyhow::Result<Result<Mapping, String>> {
    let path = Path::new(name);
    if path.is_file() {
        return load(path);
    }
    let Some((file, text)) = ordo_mapping::built_in(name) else {
        let known: Vec<&str> = ordo_mapping::BUILT_IN
            .iter()
            .map(|(file, _)| file.trim_end_matches(".toml"))
            .collect();
        anyhow::bail!(
            "{name} is neither a mapping file nor a built-in mapping ({})",
            known.join(", ")
        );
    };
    Ok(Mapping::load_with(file, text, built_in_text).map_err(|e| e.to_string()))
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// A mapping problem with where its rule is written.
fn describe(error: &MapError) -> String {
    match &error.at {
        Some(at) => format!("{error} (mapping {at})"),
        None => error.to_string(),
    }
}

/// What `mapping apply` prints for a payload, and whether every order in it is valid.
/// `label` names the payload in problem lines.
fn apply_report(
    mapping: &Mapping,
    payload: &Value,
    label: &str,
    all_errors: bool,
) -> anyhow::Result<(bool, Vec<String>)> {
    let orders = match mapping.orders(payload) {
        Ok(orders) => orders,
        Err(error) => return Ok((false, vec![format!("{label}: {}", describe(&error))])),
    };
    let mut ok = true;
    let mut out = Vec::new();
    let several = orders.len() != 1;
    for (i, order) in orders.into_iter().enumerate() {
        let label = if several {
            format!("{label}: order {i}")
        } else {
            label.to_owned()
        };
        ok &= apply_order(mapping, order, &label, all_errors, &mut out)?;
    }
    Ok((ok, out))
}

/// One order: its canonical form when valid, else its problems.
fn apply_order(
    mapping: &Mapping,
    order: &Value,
    label: &str,
    all_errors: bool,
    out: &mut Vec<String>,
) -> anyhow::Result<bool> {
    let (mapped, errors) = mapping.map_order(order);
    let shown = if all_errors { errors.len() } else { errors.len().min(1) };
    out.extend(errors[..shown].iter().map(|e| format!("{label}: {}", describe(e))));
    if !errors.is_empty() && !all_errors {
        return Ok(false);
    }
    let input: OrderInput = match serde_json::from_value(mapped.clone()) {
        Ok(input) => input,
        Err(e) => {
            out.push(format!("{label}: mapped order has the wrong shape: {e}"));
            return Ok(false);
        }
    };
    match input.validate() {
        Ok(order) if errors.is_empty() => {
            out.push(serde_json::to_string_pretty(&OrderInput::from_order(&order))?);
            Ok(true)
        }
        Ok(_) => Ok(false),
        Err(problems) if all_errors => {
            // A field the mapping could not map is also missing to the validation: say it once.
            let reported: BTreeSet<&str> = errors.iter().map(|e| e.field.as_str()).collect();
            let fresh = problems.0.iter().filter(|p| !reported.contains(p.field.as_str()));
            out.extend(fresh.map(|p| format!("{label}: not a valid order: {}: {}", p.field, p.message)));
            Ok(false)
        }
        Err(problems) => {
            out.push(serde_json::to_string_pretty(&mapped)?);
            out.push(format!("{label}: not a valid order: {problems}"));
            Ok(false)
        }
    }
}

/// Runs a mapping command; `Ok(false)` means the check failed (exit 1).
pub fn run(command: MappingCommand) -> anyhow::Result<bool> {
    match command {
        MappingCommand::Check { files } => {
            let mut ok = true;
            for file in &files {
                match load(file)? {
                    Ok(mapping) => println!("{}: ok ({})", file.display(), mapping.name),
                    Err(problem) => {
                        ok = false;
                        println!("{problem}");
                    }
                }
            }
            Ok(ok)
        }
        MappingCommand::Test { files } => {
            let mut ok = true;
            for file in &files {
                let mapping = match load(file)? {
                    Ok(mapping) => mapping,
                    Err(problem) => {
                        ok = false;
                        println!("{problem}");
                        continue;
                    }
                };
                if mapping.tests.is_empty() {
                    println!("{}: no test vectors", file.display());
                }
                let dir = file.parent().map(PathBuf::from).unwrap_or_default();
                for vector in &mapping.tests {
                    let value = read_json(&dir.join(&vector.payload))?;
                    match vector.run(&mapping, &value) {
                        Ok(()) => println!("{}: {}: ok", file.display(), vector.payload),
                        Err(problems) => {
                            ok = false;
                            for problem in problems {
                                println!("{}: {}: {problem}", file.display(), vector.payload);
                            }
                        }
                    }
                }
            }
            Ok(ok)
        }
        MappingCommand::Apply {
            mapping,
            payload,
            all_errors,
        } => {
            let mapping = match load_named(&mapping)? {
                Ok(mapping) => mapping,
                Err(problem) => {
                    println!("{problem}");
                    return Ok(false);
                }
            };
            let value = read_json(&payload)?;
            let (ok, report) = apply_report(&mapping, &value, &payload.display().to_string(), all_errors)?;
            for line in report {
                println!("{line}");
            }
            Ok(ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn shopify_payload() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../ordo-mapping/tests/fixtures/shopify_webhook_2026-04_orders_create.json"
        );
        read_json(Path::new(path)).unwrap()
    }

    #[test]
    fn mapping_apply_takes_a_built_in_name_and_prints_the_canonical_order() {
        let mapping = load_named("shopify.order").unwrap().unwrap();
        let (ok, report) = apply_report(&mapping, &shopify_payload(), "p.json", false).unwrap();
        assert!(ok, "{report:?}");
        let order: Value = serde_json::from_str(&report.concat()).unwrap();
        assert_eq!(order["external_id"], "820982911946154508");
        let error = load_named("nope.order").unwrap_err().to_string();
        assert!(
            error.contains("neither a mapping file nor a built-in mapping (shopify.order, "),
            "{error}"
        );
    }

    #[test]
    fn mapping_apply_with_all_errors_reports_every_mapping_problem_then_the_validation() {
        let mapping = load_named("shopify.order").unwrap().unwrap();
        let mut payload = shopify_payload();
        payload["created_at"] = json!(null);
        payload["line_items"][0]["quantity"] = json!(1.5);
        payload["line_items"][1]["price"] = json!(1.999);
        payload["currency"] = json!("XXQ");
        let (ok, first) = apply_report(&mapping, &payload, "p.json", false).unwrap();
        assert!(!ok);
        assert_eq!(first.len(), 1, "{first:?}");
        assert!(
            first[0].starts_with("p.json: placed_at: created_at is missing (mapping shopify.order.toml:"),
            "{first:?}"
        );
        let (ok, all) = apply_report(&mapping, &payload, "p.json", true).unwrap();
        assert!(!ok);
        let fields: Vec<&str> = all.iter().map(|l| l.split(": ").nth(1).unwrap()).collect();
        assert_eq!(
            fields[..3],
            ["placed_at", "lines[0].quantity", "lines[1].unit_price"],
            "{all:#?}"
        );
        assert!(all[1].contains("1.5 is not a whole number"), "{all:#?}");
        assert!(all.last().unwrap().contains("not a valid order: currency"), "{all:#?}");
        assert!(
            !all.iter().any(|l| l.contains("not a valid order: placed_at")),
            "said once: {all:#?}"
        );
    }

    #[test]
    fn mapping_files_find_their_includes_beside_them_or_built_in() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("common.toml"),
            "[fields]\nchannel = { const = \"acme\" }\n",
        )
        .unwrap();
        let file = dir.path().join("acme.order.toml");
        let text = "name = \"acme.order\"\ninclude = [\"common.toml\"]\n[fields]\nid = { path = \"id\" }\n\
            [lines]\neach = \"items\"\n[lines.fields]\nsku = { path = \"sku\" }\n";
        std::fs::write(&file, text).unwrap();
        let mapping = load_named(file.to_str().unwrap()).unwrap().unwrap();
        assert_eq!(
            mapping.apply(&json!({"id": 1, "items": []})).unwrap()["channel"],
            "acme"
        );
        std::fs::write(&file, text.replace("common.toml", "missing.toml")).unwrap();
        let problem = load(&file).unwrap().unwrap_err();
        assert!(problem.contains("acme.order.toml:2:"), "{problem}");
        assert!(
            problem.contains("include \"missing.toml\": no such fragment"),
            "{problem}"
        );
    }
}
