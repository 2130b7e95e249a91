//! `ordo mapping`: check mapping files and try them on payloads, without a server.

use std::path::PathBuf;

use anyhow::Context;
use ordo_core::input::OrderInput;
use ordo_mapping::Mapping;

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
    /// canonical order; exits 1 with the field at fault if either step fails.
    Apply {
        /// Mapping file (TOML).
        mapping: PathBuf,
        /// Platform payload (JSON).
        payload: PathBuf,
    },
}

fn load(path: &PathBuf) -> anyhow::Result<Result<Mapping, String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Mapping::load(&path.display().to_string(), &text).map_err(|e| e.to_string()))
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
                    let path = dir.join(&vector.payload);
                    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                    let value: serde_json::Value =
                        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
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
        MappingCommand::Apply { mapping, payload } => {
            let mapping = match load(&mapping)? {
                Ok(mapping) => mapping,
                Err(problem) => {
                    println!("{problem}");
                    return Ok(false);
                }
            };
            let text = std::fs::read_to_string(&payload).with_context(|| format!("reading {}", payload.display()))?;
            let value: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{} is not JSON", payload.display()))?;
            let mapped = match mapping.apply(&value) {
                Ok(mapped) => mapped,
                Err(error) => {
                    println!("{}: {error}", payload.display());
                    return Ok(false);
                }
            };
            let input: OrderInput =
                serde_json::from_value(mapped.clone()).context("mapped order has the wrong shape")?;
            match input.validate() {
                Ok(order) => {
                    println!("{}", serde_json::to_string_pretty(&OrderInput::from_order(&order))?);
                    Ok(true)
                }
                Err(errors) => {
                    println!("{}", serde_json::to_string_pretty(&mapped)?);
                    println!("{}: not a valid order: {errors}", payload.display());
                    Ok(false)
                }
            }
        }
    }
}
