//! `ordo routing`: check sourcing (routing) configuration files, print the built-in one,
//! and see what a candidate would change over recent orders before anyone switches to it.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use ordo_app::whatif::{DEFAULT_LAST, DEFAULT_TOML, MAX_LAST, Report, RoutingConfig, StockMode, current_config};
use ordo_core::{Currency, Money, TenantId};

use crate::config::Config;
use crate::server;

/// Routing-configuration tools.
#[derive(Debug, clap::Subcommand)]
pub enum RoutingCommand {
    /// Load routing files and report every problem with its line, column and field;
    /// exits 1 if any is invalid.
    Check {
        /// Routing files (TOML).
        files: Vec<PathBuf>,
    },
    /// Print the built-in routing configuration, to start a file from.
    Default,
    /// Replay the newest orders that ship (not pending payment, not cancelled) of the
    /// configured store under the configuration in force and under FILE, and compare
    /// orders routed, packages, split orders, distance and cost. Changes nothing.
    WhatIf(WhatIfArgs),
}

/// `ordo routing what-if` arguments.
#[derive(Debug, clap::Args)]
pub struct WhatIfArgs {
    /// The candidate routing file.
    pub file: PathBuf,
    /// How many of the newest orders (1 to 10,000).
    #[arg(long, default_value_t = DEFAULT_LAST, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_LAST as u64))]
    pub last: usize,
    /// `consume`: each order takes its units, as in production; `fixed`: every order sees
    /// the starting stock.
    #[arg(long, value_enum, default_value_t = Mode::Consume)]
    pub mode: Mode,
    /// Store URL (default: the configured one).
    #[arg(long)]
    pub db: Option<String>,
    /// Tenant.
    #[arg(long, default_value = "default")]
    pub tenant: String,
    /// Print the full report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// How stock moves between replayed orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Each order takes its units from what earlier ones left.
    Consume,
    /// Every order sees the starting stock.
    Fixed,
}

impl From<Mode> for StockMode {
    fn from(mode: Mode) -> Self {
        match mode {
            Mode::Consume => StockMode::Consume,
            Mode::Fixed => StockMode::Fixed,
        }
    }
}

fn load(path: &PathBuf) -> anyhow::Result<Result<RoutingConfig, Vec<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(RoutingConfig::from_toml(&text, &path.display().to_string())
        .map_err(|errors| errors.iter().map(ToString::to_string).collect()))
}

/// Runs a routing command; `Ok(false)` means a check failed (exit 1).
pub async fn run(command: RoutingCommand, config: Config) -> anyhow::Result<bool> {
    match command {
        RoutingCommand::Check { files } => {
            let mut ok = true;
            for file in &files {
                match load(file)? {
                    Ok(routing) => println!("{}: ok ({} rules)", file.display(), routing.rules.len()),
                    Err(errors) => {
                        ok = false;
                        errors.iter().for_each(|e| println!("{e}"));
                    }
                }
            }
            Ok(ok)
        }
        RoutingCommand::Default => {
            print!("{DEFAULT_TOML}");
            Ok(true)
        }
        RoutingCommand::WhatIf(args) => {
            let candidate = match load(&args.file)? {
                Ok(routing) => routing,
                Err(errors) => {
                    errors.iter().for_each(|e| println!("{e}"));
                    return Ok(false);
                }
            };
            let tenant = TenantId::parse(&args.tenant).map_err(anyhow::Error::msg)?;
            // The configuration in force: the node's `routing.file`, else the built-in one.
            config.routing.install()?;
            let store = server::open_store(&args.db.unwrap_or(config.store.url), 2).await?;
            let current = &current_config(&tenant).config;
            let report =
                ordo_app::whatif::what_if_recent(&store, &tenant, current, &candidate, args.last, args.mode.into())
                    .await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", table(&report, currency(current, &candidate)));
            }
            Ok(true)
        }
    }
}

/// The currency costs are in, when both configurations price in the same one.
fn currency(current: &RoutingConfig, candidate: &RoutingConfig) -> Option<Currency> {
    match (&current.currency, &candidate.currency) {
        (Some(a), Some(b)) if a == b => Currency::parse(a).ok(),
        _ => None,
    }
}

/// The report as a table (current, candidate, difference) and the changed orders.
fn table(report: &Report, currency: Option<Currency>) -> String {
    let (a, b, d) = (&report.what_if.current, &report.what_if.candidate, &report.delta);
    let cost = |minor: i64| match currency {
        Some(currency) => Money { minor, currency }.to_decimal_string(),
        None => minor.to_string(),
    };
    let cost_label = match currency {
        Some(c) => format!("cost ({c})"),
        None => "cost (minor units)".to_owned(),
    };
    let signed = |n: i64| if n > 0 { format!("+{n}") } else { n.to_string() };
    let rows: [(String, String, String, String); 7] = [
        (
            "orders".into(),
            a.orders.to_string(),
            b.orders.to_string(),
            String::new(),
        ),
        (
            "routed".into(),
            a.routed.to_string(),
            b.routed.to_string(),
            signed(d.routed),
        ),
        (
            "unroutable".into(),
            a.unroutable.to_string(),
            b.unroutable.to_string(),
            signed(d.unroutable),
        ),
        (
            "shipments".into(),
            a.shipments.to_string(),
            b.shipments.to_string(),
            signed(d.shipments),
        ),
        (
            "split orders".into(),
            a.split_orders.to_string(),
            b.split_orders.to_string(),
            signed(d.split_orders),
        ),
        (
            "distance km".into(),
            format!("{:.1}", a.total_distance_km),
            format!("{:.1}", b.total_distance_km),
            format!("{:+.1}", d.total_distance_km),
        ),
        (
            cost_label,
            cost(a.total_cost_minor),
            cost(b.total_cost_minor),
            match d.total_cost_minor {
                n if n > 0 => format!("+{}", cost(n)),
                n => cost(n),
            },
        ),
    ];
    let mut out = String::new();
    let mode = match report.mode {
        StockMode::Consume => "consume",
        StockMode::Fixed => "fixed",
    };
    let _ = writeln!(out, "stock mode: {mode}");
    let _ = writeln!(out, "{:<20}{:>14}{:>14}{:>14}", "", "current", "candidate", "change");
    for (label, current, candidate, change) in rows {
        let _ = writeln!(out, "{label:<20}{current:>14}{candidate:>14}{change:>14}");
    }
    let _ = writeln!(out, "\n{} order(s) would ship differently", report.changed.len());
    let plan = |p: &Option<Vec<String>>| p.as_ref().map_or("unroutable".to_owned(), |w| w.join(" + "));
    for order in &report.changed {
        let _ = writeln!(
            out,
            "  {} {}/{}: {} -> {}",
            order.order_id,
            order.channel,
            order.external_id,
            plan(&order.current),
            plan(&order.candidate)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        command: RoutingCommand,
    }

    fn what_if(args: &[&str]) -> Result<WhatIfArgs, clap::Error> {
        let argv = ["routing", "what-if"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            RoutingCommand::WhatIf(args) => Ok(args),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn what_if_defaults_to_the_last_500_orders_consuming_stock() {
        let args = what_if(&["new.toml"]).unwrap();
        assert_eq!((args.last, args.mode, args.json), (500, Mode::Consume, false));
        let args = what_if(&["new.toml", "--last", "20", "--mode", "fixed", "--json"]).unwrap();
        assert_eq!((args.last, args.mode, args.json), (20, Mode::Fixed, true));
    }

    #[test]
    fn what_if_refuses_a_window_outside_1_to_10000_and_unknown_modes() {
        for bad in [
            &["new.toml", "--last", "0"][..],
            &["new.toml", "--last", "10001"],
            &["new.toml", "--mode", "greedy"],
        ] {
            assert!(what_if(bad).is_err(), "{bad:?}");
        }
    }
}
