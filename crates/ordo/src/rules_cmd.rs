//! `ordo rules` and `ordo workflow`: check configuration files, and see what a rules file
//! would do to recent orders before applying it.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use ordo_app::dry_run::dry_run;
use ordo_app::policies::{Policies, parse_rules};
use ordo_core::TenantId;
use ordo_workflow::Workflow;

use crate::config::Config;
use crate::server;

/// Review-rule tools.
#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Load rules files and report every problem with its line and column; exits 1 if
    /// any is invalid.
    Check {
        /// Rules files (TOML).
        files: Vec<PathBuf>,
    },
    /// Run a rules file over the newest paid, allocated and held orders of the configured
    /// store and list the orders it would hold, release or reject compared with the rules
    /// in force. Changes nothing.
    DryRun {
        /// The candidate rules file.
        file: PathBuf,
        /// Store URL (default: the configured one).
        #[arg(long)]
        db: Option<String>,
        /// Tenant.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// How many recent orders.
        #[arg(long, default_value_t = 200)]
        limit: u32,
    },
    /// Print the built-in rules, to start a rules file from.
    Default,
}

/// Workflow tools.
#[derive(Debug, clap::Subcommand)]
pub enum WorkflowCommand {
    /// Load workflow files and report every problem (unknown states or actions,
    /// unreachable states, dead ends) with its line; exits 1 if any is invalid.
    Check {
        /// Workflow files (TOML).
        files: Vec<PathBuf>,
    },
    /// Print the built-in workflow.
    Default,
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Runs a rules command; `Ok(false)` means a check failed (exit 1).
pub async fn rules(command: RulesCommand, config: Config) -> anyhow::Result<bool> {
    match command {
        RulesCommand::Check { files } => {
            let mut ok = true;
            for file in &files {
                match parse_rules(&read(file)?, &file.display().to_string()) {
                    Ok(rules) => println!("{}: ok ({} rules)", file.display(), rules.rules().len()),
                    Err(errors) => {
                        ok = false;
                        errors.iter().for_each(|e| println!("{e}"));
                    }
                }
            }
            Ok(ok)
        }
        RulesCommand::DryRun {
            file,
            db,
            tenant,
            limit,
        } => {
            let candidate = match parse_rules(&read(&file)?, &file.display().to_string()) {
                Ok(rules) => rules,
                Err(errors) => {
                    errors.iter().for_each(|e| println!("{e}"));
                    return Ok(false);
                }
            };
            let policies = Policies::load(config.review.workflow_file.clone(), config.review.rules_file.clone())
                .map_err(|e| anyhow::anyhow!(e.join("\n")))?;
            let tenant = TenantId::parse(&tenant).map_err(anyhow::Error::msg)?;
            let store = server::open_store(&db.unwrap_or(config.store.url), 2).await?;
            let current = policies.current().rules.clone();
            let report = dry_run(&store, &tenant, Arc::clone(&current), candidate, limit, Utc::now()).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            Ok(true)
        }
        RulesCommand::Default => {
            print!("{}", ordo_workflow::rules::DEFAULT_RULES_TOML);
            Ok(true)
        }
    }
}

/// Runs a workflow command; `Ok(false)` means a check failed (exit 1).
pub fn workflow(command: WorkflowCommand) -> anyhow::Result<bool> {
    match command {
        WorkflowCommand::Check { files } => {
            let mut ok = true;
            for file in &files {
                match Workflow::from_toml(&read(file)?, &file.display().to_string()) {
                    Ok(w) => println!("{}: ok ({} transitions)", file.display(), w.transitions().len()),
                    Err(errors) => {
                        ok = false;
                        errors.iter().for_each(|e| println!("{e}"));
                    }
                }
            }
            Ok(ok)
        }
        WorkflowCommand::Default => {
            print!("{}", ordo_workflow::workflow::DEFAULT_WORKFLOW_TOML);
            Ok(true)
        }
    }
}
