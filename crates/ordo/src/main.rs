//! `ordo`: the one binary. Serves the API, migrates, runs the demo, mints tokens, prints
//! the default configuration and drives load benchmarks.

mod bench;
mod config;
mod demo;
mod fleet;
mod generator;
mod mapping_cmd;
mod routing_cmd;
mod rules_cmd;
mod seed_cmd;
mod server;
mod user_cmd;

use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand};
use ordo_app::TokenService;
use ordo_core::TenantId;
use ordo_core::auth::Role;

use crate::config::Config;

/// Ordo: a multi-channel order hub.
#[derive(Debug, Parser)]
#[command(name = "ordo", version, about)]
struct Cli {
    /// Configuration file (default: ./ordo.toml if present).
    #[arg(long, global = true, env = "ORDO_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a node.
    Serve {
        /// Store URL: sqlite://PATH or postgres://USER@HOST/DB.
        #[arg(long)]
        db: Option<String>,
        /// Address to listen on.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate {
        /// Store URL.
        #[arg(long)]
        db: Option<String>,
    },
    /// Run a demo on the embedded store with a steady stream of realistic orders.
    Demo(demo::DemoArgs),
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Fill a store with a realistic order history (`--orders 1000000` for the console's
    /// benchmark).
    Seed(seed_cmd::SeedArgs),
    /// Manage console users.
    User {
        #[command(subcommand)]
        command: user_cmd::UserCommand,
    },
    /// Show configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Inventory maintenance.
    Inventory {
        #[command(subcommand)]
        command: InventoryCommand,
    },
    /// Check mapping files and try them on platform payloads.
    Mapping {
        #[command(subcommand)]
        command: mapping_cmd::MappingCommand,
    },
    /// Check review-rule files and dry-run them over recent orders.
    Rules {
        #[command(subcommand)]
        command: rules_cmd::RulesCommand,
    },
    /// Check sourcing (routing) files and compare one with the configuration in force
    /// over recent orders.
    Routing {
        #[command(subcommand)]
        command: routing_cmd::RoutingCommand,
    },
    /// Check workflow files.
    Workflow {
        #[command(subcommand)]
        command: rules_cmd::WorkflowCommand,
    },
    /// Load benchmarks against a real server on 127.0.0.1.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Mint a token and print it (shown once).
    Create {
        /// Tenant the token acts for; created if it does not exist.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// admin, operator, integration or viewer.
        #[arg(long, default_value = "admin")]
        role: String,
        /// A label.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Store URL.
        #[arg(long)]
        db: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum InventoryCommand {
    /// Verify that every stock balance equals the sum of its movements; exits 1 if not.
    Check {
        /// Tenant to check.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// Store URL.
        #[arg(long)]
        db: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the default configuration as TOML.
    PrintDefault,
    /// Print the effective configuration (secrets redacted).
    Show,
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn install_metrics() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Config {
            command: ConfigCommand::PrintDefault,
        } => {
            print!("{}", Config::default_toml());
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            let mut shown = config.clone();
            for secret in [&mut shown.hooks.shopify_secret, &mut shown.hooks.woocommerce_secret] {
                if secret.is_some() {
                    *secret = Some("<redacted>".into());
                }
            }
            if shown.webhooks.secret.is_some() {
                shown.webhooks.secret = Some("<redacted>".into());
            }
            if shown.auth.admin_token.is_some() {
                shown.auth.admin_token = Some("<redacted>".into());
            }
            print!("{}", toml::to_string_pretty(&shown)?);
            Ok(())
        }
        Command::Serve { db, listen } => {
            init_logging(&config);
            config.store.url = db.unwrap_or(config.store.url);
            config.server.listen = listen.unwrap_or(config.server.listen);
            let store = server::open_store(&config.store.url, config.store.max_connections).await?;
            let node = server::start(&config, store, install_metrics()).await?;
            node.run_until_signal().await
        }
        Command::Migrate { db } => {
            init_logging(&config);
            let url = db.unwrap_or(config.store.url);
            server::open_store(&url, 2).await?;
            println!("migrations applied to {}", redact_url(&url));
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { tenant, role, name, db },
        } => {
            let tenant = TenantId::parse(tenant).map_err(anyhow::Error::msg)?;
            let role = Role::parse(&role)
                .with_context(|| format!("unknown role {role:?}; use admin, operator, integration or viewer"))?;
            let url = db.unwrap_or(config.store.url);
            let store = server::open_store(&url, 2).await?;
            store.ensure_tenant(&tenant, tenant.as_str(), Utc::now()).await?;
            let minted = TokenService::new(store)
                .create(&tenant, role, &name, Utc::now())
                .await?;
            println!("{}", minted.secret);
            eprintln!(
                "token {} for tenant {tenant} with role {}; it is shown only once",
                minted.record.id,
                role.as_str()
            );
            Ok(())
        }
        Command::Inventory {
            command: InventoryCommand::Check { tenant, db },
        } => {
            let tenant = TenantId::parse(tenant).map_err(anyhow::Error::msg)?;
            let store = server::open_store(&db.unwrap_or(config.store.url), 2).await?;
            let discrepancies = store.check_inventory(&tenant).await?;
            let levels = store.list_stock(&tenant, None).await?.len();
            if discrepancies.is_empty() {
                println!(
                    "inventory of tenant {tenant} is consistent: {levels} stock levels agree with their movements"
                );
                return Ok(());
            }
            for d in &discrepancies {
                println!(
                    "{} / {}: stored on hand {} reserved {}, movements say on hand {} reserved {}",
                    d.warehouse, d.sku, d.stored.on_hand, d.stored.reserved, d.from_movements.0, d.from_movements.1
                );
            }
            std::process::exit(1);
        }
        Command::User { command } => user_cmd::run(command, config).await,
        Command::Seed(args) => {
            init_logging(&config);
            seed_cmd::run(args, config).await
        }
        Command::Rules { command } => {
            if !rules_cmd::rules(command, config).await? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Routing { command } => {
            if !routing_cmd::run(command, config).await? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Workflow { command } => {
            if !rules_cmd::workflow(command)? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Mapping { command } => {
            if !mapping_cmd::run(command)? {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Demo(args) => {
            init_logging(&config);
            demo::run(args, config, install_metrics()).await
        }
        Command::Bench { command } => {
            config.log.level = "warn".into();
            init_logging(&config);
            bench::run(command, config).await
        }
    }
}

/// Hides a password in a store URL for printing.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
