//! `ordo user create`: people who sign in to the console.

use std::io::Read;

use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use ordo_app::users::{NewUser, Users};
use ordo_core::TenantId;
use ordo_core::auth::Role;

use crate::config::Config;
use crate::server;

/// Console users.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user who signs in to the console with a password.
    Create {
        /// Tenant the user works for; created if it does not exist.
        #[arg(long, default_value = "default")]
        tenant: String,
        /// What the user types to sign in (unique across tenants).
        #[arg(long)]
        login: String,
        /// Their name, as the console shows it.
        #[arg(long, default_value = "")]
        name: String,
        /// admin, operator, integration or viewer.
        #[arg(long, default_value = "operator")]
        role: String,
        /// zh-CN or en.
        #[arg(long, default_value = "zh-CN")]
        language: String,
        /// Read the password from standard input instead of `ORDO_PASSWORD`, so it never
        /// sits in the shell history or the process list.
        #[arg(long)]
        password_stdin: bool,
        /// Store URL.
        #[arg(long)]
        db: Option<String>,
    },
}

/// Runs a user command.
pub async fn run(command: UserCommand, config: Config) -> anyhow::Result<()> {
    let UserCommand::Create {
        tenant,
        login,
        name,
        role,
        language,
        password_stdin,
        db,
    } = command;
    let tenant = TenantId::parse(tenant).map_err(anyhow::Error::msg)?;
    let role = Role::parse(&role)
        .with_context(|| format!("unknown role {role:?}; use admin, operator, integration or viewer"))?;
    let password = if password_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        text.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        std::env::var("ORDO_PASSWORD").context("set ORDO_PASSWORD or pass --password-stdin")?
    };
    let store = server::open_store(&db.unwrap_or(config.store.url), 2).await?;
    store.ensure_tenant(&tenant, tenant.as_str(), Utc::now()).await?;
    let users = Users::new(store, chrono::Duration::minutes(i64::from(config.console.idle_minutes)));
    let new = NewUser {
        tenant: tenant.clone(),
        login,
        name,
        role,
        language,
        password,
    };
    let user = users.create(new, Utc::now()).await?;
    eprintln!(
        "user {} ({}) of tenant {tenant} with role {} can now sign in",
        user.login,
        user.id,
        role.as_str()
    );
    Ok(())
}
