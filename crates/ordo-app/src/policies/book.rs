//! A tenant's policies as saved versions: checked before saving (every problem with its
//! line and column), kept with who saved them, when and what changed, restorable, and
//! put in force on every node within a second (each node looks at the versions in force
//! once every [`RELOAD_EVERY`], and the node that saved applies at once).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_store::{PolicyStamp, PolicyVersion, Store, StoreError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::kinds::{AlertPolicy, Checked, PolicyKind, check};
use super::{Opened, Policies};
use crate::secrets::SecretKeys;

/// How often each node looks for versions saved elsewhere.
pub const RELOAD_EVERY: Duration = Duration::from_millis(250);

/// A stored alert secret starts with this; anything else is a secret in clear, sealed
/// before it is saved.
const SEALED: &str = "sealed:";

/// Why a save or restore was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The body does not check: each problem as `kind:line:column: path: message`.
    #[error("invalid policy: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// Another version was saved after the one the change was made from.
    #[error("{0}")]
    Conflict(String),
    /// No such version.
    #[error("{0} has no version {1}")]
    NoVersion(String, i64),
    /// An alert secret cannot be sealed without `ORDO_SECRET_KEY`.
    #[error("an alert secret needs ORDO_SECRET_KEY to be saved sealed")]
    SecretKeyMissing,
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for PolicyError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => Self::Conflict(message),
            other => Self::Store(other),
        }
    }
}

/// Saves, restores and loads tenants' policies; cheap to clone.
#[derive(Clone)]
pub struct PolicyBook {
    store: Arc<dyn Store>,
    policies: Policies,
    keys: Option<SecretKeys>,
    seen: Arc<Mutex<Option<Vec<PolicyStamp>>>>,
}

impl PolicyBook {
    /// A book over `store` putting versions in force in `policies`; alert secrets are
    /// sealed with `keys`.
    pub fn new(store: Arc<dyn Store>, policies: Policies, keys: Option<SecretKeys>) -> Self {
        Self {
            store,
            policies,
            keys,
            seen: Arc::default(),
        }
    }

    /// The policies it keeps in force.
    pub fn policies(&self) -> &Policies {
        &self.policies
    }

    /// The text a tenant without its own version starts from: the node's file or
    /// built-in text (`None` for a mapping, whose text is the node's).
    pub fn default_text(&self, kind: &PolicyKind) -> Option<String> {
        let current = self.policies.current();
        let file_or = |path: &Option<std::path::PathBuf>, built_in: &str| {
            path.as_ref()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .unwrap_or_else(|| built_in.to_owned())
        };
        Some(match kind {
            PolicyKind::Workflow => file_or(
                &self.policies.workflow_file,
                ordo_workflow::workflow::DEFAULT_WORKFLOW_TOML,
            ),
            PolicyKind::Rules => file_or(&self.policies.rules_file, ordo_workflow::rules::DEFAULT_RULES_TOML),
            PolicyKind::Routing => ordo_store::stock::sourcing::installed().toml.clone(),
            PolicyKind::Consolidation => toml_text(&current.consolidation),
            PolicyKind::Inventory => toml_text(&current.inventory),
            // The node's receiver is the default tenant's; nobody else starts from it.
            PolicyKind::Alerts => toml_text(&AlertPolicy::default()),
            PolicyKind::AfterSales => toml_text(&current.aftersales),
            PolicyKind::Mapping(_) => return None,
        })
    }

    /// Checks and saves `body` (`None`: back to the default) as the next version of
    /// `tenant`'s `kind`, made from version `replaces` (the one in force when not given),
    /// and puts it in force here at once. Saving what is already in force saves nothing.
    #[allow(clippy::too_many_arguments)]
    pub async fn save(
        &self,
        tenant: &TenantId,
        kind: &PolicyKind,
        body: Option<&str>,
        note: Option<&str>,
        replaces: Option<i64>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<PolicyVersion, PolicyError> {
        let body = match body {
            Some(text) => Some(self.sealed(tenant, kind, text)?),
            None => None,
        };
        self.write(tenant, kind, body, note, replaces, None, actor, now).await
    }

    /// Saves an earlier version's body as the next version.
    pub async fn restore(
        &self,
        tenant: &TenantId,
        kind: &PolicyKind,
        version: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<PolicyVersion, PolicyError> {
        let old = self
            .store
            .policy_version(tenant, &kind.name(), Some(version))
            .await?
            .ok_or_else(|| PolicyError::NoVersion(kind.name(), version))?;
        if let Some(text) = &old.body {
            // A version checked when it was saved may not check now (a mapping's engine
            // grew stricter): restoring it must not put something broken in force.
            check(kind, text).map_err(PolicyError::Invalid)?;
        }
        let note = format!("restored version {version}");
        self.write(tenant, kind, old.body, Some(&note), None, Some(version), actor, now)
            .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn write(
        &self,
        tenant: &TenantId,
        kind: &PolicyKind,
        body: Option<String>,
        note: Option<&str>,
        replaces: Option<i64>,
        restored_from: Option<i64>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<PolicyVersion, PolicyError> {
        let name = kind.name();
        let current = self.store.policy_version(tenant, &name, None).await?;
        let in_force = current.as_ref().map_or(0, |v| v.version);
        if let Some(replaces) = replaces
            && replaces != in_force
        {
            return Err(PolicyError::Conflict(format!(
                "{name} is at version {in_force}, not {replaces}: reload it and make the change again"
            )));
        }
        if let Some(current) = &current
            && current.body == body
        {
            return Ok(current.clone());
        }
        let default = self.default_text(kind).unwrap_or_default();
        let before = current.as_ref().and_then(|v| v.body.clone()).unwrap_or(default.clone());
        let after = body.clone().unwrap_or(default);
        let changes = changes(&name, in_force, &before, &after);
        let version = PolicyVersion {
            kind: name,
            version: 0,
            body,
            changes,
            note: note.map(str::to_owned),
            restored_from,
            created_by: actor.to_owned(),
            created_at: now,
        };
        let saved = self.store.save_policy(tenant, &version, in_force, now).await?;
        metrics::counter!("ordo_policy_versions_saved_total", "kind" => kind_label(kind)).increment(1);
        // In force here now; the other nodes follow within a second.
        if let Err(error) = self.refresh().await {
            tracing::warn!(%error, "policies saved but not reloaded; the next round will");
        }
        Ok(saved)
    }

    /// Checks a body, sealing an alert secret given in clear; the text to store.
    fn sealed(&self, tenant: &TenantId, kind: &PolicyKind, text: &str) -> Result<String, PolicyError> {
        let checked = check(kind, text).map_err(PolicyError::Invalid)?;
        let Checked::Alerts(mut alerts) = checked else {
            return Ok(text.to_owned());
        };
        match alerts.secret.take() {
            Some(secret) if !secret.starts_with(SEALED) => {
                let keys = self.keys.as_ref().ok_or(PolicyError::SecretKeyMissing)?;
                alerts.secret = Some(format!(
                    "{SEALED}{}",
                    keys.seal(&alert_context(tenant), &serde_json::Value::String(secret))
                ));
                Ok(toml::to_string(&alerts).map_err(|e| PolicyError::Invalid(vec![e.to_string()]))?)
            }
            _ => Ok(text.to_owned()),
        }
    }

    /// Loads the versions in force if any changed since the last look; whether they did.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let stamps = self.store.policy_stamps().await?;
        if self.seen.lock().expect("policy stamps lock").as_ref() == Some(&stamps) {
            return Ok(false);
        }
        let mut opened = Vec::new();
        for (tenant, version) in self.store.policies_in_force().await? {
            let Some(kind) = PolicyKind::parse(&version.kind) else {
                tracing::warn!(tenant = %tenant, kind = %version.kind, "unknown policy kind left out");
                continue;
            };
            let body = match &version.body {
                None => None,
                Some(text) => match self.open(&tenant, &kind, text) {
                    Ok(checked) => Some((text.clone(), Arc::new(checked))),
                    Err(errors) => {
                        // Checked when saved; a node that cannot read it now (another key,
                        // an older build) keeps the default rather than guess.
                        tracing::error!(tenant = %tenant, kind = %kind, ?errors, "saved policy left out");
                        continue;
                    }
                },
            };
            opened.push((
                tenant,
                Opened {
                    kind,
                    version: version.version,
                    body,
                },
            ));
        }
        self.policies.apply(opened);
        *self.seen.lock().expect("policy stamps lock") = Some(stamps);
        Ok(true)
    }

    /// Checks a stored body and opens its alert secret.
    fn open(&self, tenant: &TenantId, kind: &PolicyKind, text: &str) -> Result<Checked, Vec<String>> {
        let mut checked = check(kind, text)?;
        if let Checked::Alerts(alerts) = &mut checked
            && let Some(sealed) = alerts.secret.as_deref().and_then(|s| s.strip_prefix(SEALED))
        {
            let keys = self
                .keys
                .as_ref()
                .ok_or_else(|| vec!["no ORDO_SECRET_KEY to open the alert secret".to_owned()])?;
            let (secret, _) = keys
                .open(&alert_context(tenant), sealed)
                .map_err(|e| vec![format!("alert secret: {e}")])?;
            alerts.secret = secret.as_str().map(str::to_owned);
        }
        Ok(checked)
    }

    /// Looks for versions saved elsewhere every [`RELOAD_EVERY`] until `stop`.
    pub fn spawn(self, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if let Err(error) = self.refresh().await {
                    tracing::warn!(%error, "policies not reloaded; trying again");
                }
                tokio::select! {
                    () = tokio::time::sleep(RELOAD_EVERY) => {}
                    _ = stop.changed() => return,
                }
                if *stop.borrow() {
                    return;
                }
            }
        })
    }
}

/// What changes from version `in_force` of policy `name` (text `before`) to `after`, as
/// the unified diff a saved version keeps; the console previews a change with it.
pub fn changes(name: &str, in_force: i64, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header(&format!("{name} v{in_force}"), &format!("{name} v{}", in_force + 1))
        .to_string()
}

/// What an alert secret is sealed to: its tenant, so it opens nowhere else.
fn alert_context(tenant: &TenantId) -> String {
    format!("{tenant}/policy/alerts")
}

/// A bounded metrics label: mappings are many, so they share one.
fn kind_label(kind: &PolicyKind) -> &'static str {
    match kind {
        PolicyKind::Workflow => "workflow",
        PolicyKind::Rules => "rules",
        PolicyKind::Routing => "routing",
        PolicyKind::Consolidation => "consolidation",
        PolicyKind::Inventory => "inventory",
        PolicyKind::Alerts => "alerts",
        PolicyKind::AfterSales => "aftersales",
        PolicyKind::Mapping(_) => "mapping",
    }
}

/// A setting written as TOML (they are plain tables, which always serialise).
fn toml_text<T: serde::Serialize>(value: &T) -> String {
    toml::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use ordo_core::allocation::ReserveWhen;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_version_saved_on_one_node_is_in_force_on_another_within_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("ordo.db").display());
        let store = ordo_store_sqlite::SqliteStore::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let tenant = TenantId::parse("globex").unwrap();
        store.ensure_tenant(&tenant, "Globex", Utc::now()).await.unwrap();
        let keys = SecretKeys::new([3; 32], []);
        let here = PolicyBook::new(store.clone(), Policies::built_in(), Some(keys.clone()));
        let there = PolicyBook::new(store.clone(), Policies::built_in(), Some(keys));
        let (stop, stopped) = watch::channel(false);
        let job = there.clone().spawn(stopped);
        here.save(
            &tenant,
            &PolicyKind::Inventory,
            Some("reserve_when = \"placed\"\n"),
            None,
            None,
            "ann",
            Utc::now(),
        )
        .await
        .unwrap();
        let alerts = "url = \"http://127.0.0.1:9/alerts\"\nsecret = \"s3cret\"\n";
        here.save(
            &tenant,
            &PolicyKind::Alerts,
            Some(alerts),
            None,
            None,
            "ann",
            Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(
            here.policies().for_tenant(&tenant).inventory.reserve_when,
            ReserveWhen::Placed,
            "in force at once where it was saved"
        );
        let started = Instant::now();
        loop {
            let active = there.policies().for_tenant(&tenant);
            if active.inventory.reserve_when == ReserveWhen::Placed && active.alerts.url.is_some() {
                // The other node opened the sealed secret with the shared key.
                assert_eq!(active.alerts.secret.as_deref(), Some("s3cret"));
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "not in force elsewhere within a second"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Another tenant is untouched, and never gets the node's alert receiver.
        let default = there.policies().for_tenant(&TenantId::default_tenant());
        assert_eq!(default.inventory.reserve_when, ReserveWhen::Paid);
        stop.send(true).unwrap();
        job.await.unwrap();
    }
}
