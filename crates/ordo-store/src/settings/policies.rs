//! Policies: a tenant's workflow, review rules, routing, consolidation, inventory policy,
//! alert webhook and mappings, as versioned text. The store neither parses nor checks a
//! body (the application does, before saving); it keeps every version, who saved it, when
//! and what changed, and says which version is in force: the highest.
//!
//! Versions are append-only. Saving names the version it replaces, so two people editing
//! at once cannot silently overwrite each other: the second save is a conflict.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;

use crate::columns::{Columns, Record};
use crate::sql::SqlRun;
use crate::{StoreError, StoreResult};

/// One saved version of a tenant's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// `workflow`, `rules`, `mapping:{name}` … (the application's names).
    pub kind: String,
    /// 1, 2, … per tenant and kind.
    pub version: i64,
    /// The text; `None` when this version returned to the node's default.
    pub body: Option<String>,
    /// What changed from the version before (a line diff).
    pub changes: String,
    /// Why, in the author's words.
    pub note: Option<String>,
    /// The version this one restored, if it was a restore.
    pub restored_from: Option<i64>,
    /// Who saved it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The version in force of one tenant's policy kind, for nodes to see what changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PolicyStamp {
    /// The tenant.
    pub tenant: TenantId,
    /// The kind.
    pub kind: String,
    /// Its highest version.
    pub version: i64,
}

/// Policy operations of a store, written once below for every [`SqlRun`] store.
#[async_trait::async_trait]
pub trait PolicyStore: Send + Sync {
    /// Saves `policy` as the next version after `replaces` (0 for the first), returning it
    /// as stored; [`StoreError::Conflict`] if another version was saved meanwhile.
    async fn save_policy(
        &self,
        tenant: &TenantId,
        policy: &PolicyVersion,
        replaces: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<PolicyVersion>;

    /// One version of a tenant's policy kind, the one in force when `version` is `None`.
    async fn policy_version(
        &self,
        tenant: &TenantId,
        kind: &str,
        version: Option<i64>,
    ) -> StoreResult<Option<PolicyVersion>>;

    /// Every version of a tenant's policy kind, newest first.
    async fn policy_history(&self, tenant: &TenantId, kind: &str) -> StoreResult<Vec<PolicyVersion>>;

    /// The versions in force of every tenant's policies, for the nodes.
    async fn policies_in_force(&self) -> StoreResult<Vec<(TenantId, PolicyVersion)>>;

    /// What changed since a node last looked: the version in force per tenant and kind.
    async fn policy_stamps(&self) -> StoreResult<Vec<PolicyStamp>>;
}

const COLUMNS: &str = "tenant_id, kind, version, body, changes, note, restored_from, created_by, created_at";
/// The highest version per tenant and kind.
const IN_FORCE: &str = "SELECT tenant_id, kind, MAX(version) AS version FROM policy_versions GROUP BY tenant_id, kind";

#[async_trait::async_trait]
impl<S: SqlRun> PolicyStore for S {
    async fn save_policy(
        &self,
        tenant: &TenantId,
        policy: &PolicyVersion,
        replaces: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<PolicyVersion> {
        // One statement: it inserts only while `replaces` is still the highest version,
        // and two saves racing past that check collide on the primary key.
        let sql = format!(
            "INSERT INTO policy_versions ({COLUMNS}) \
             SELECT $1, $2, COALESCE(MAX(version), 0) + 1, $3, $4, $5, $6, $7, $8 FROM policy_versions \
             WHERE tenant_id = $1 AND kind = $2 HAVING COALESCE(MAX(version), 0) = $9"
        );
        let saved = self
            .run(
                &sql,
                &[
                    tenant.into(),
                    (&policy.kind).into(),
                    (&policy.body).into(),
                    (&policy.changes).into(),
                    (&policy.note).into(),
                    policy.restored_from.into(),
                    (&policy.created_by).into(),
                    now.into(),
                    replaces.into(),
                ],
            )
            .await?;
        let conflict = || StoreError::Conflict(format!("{} changed after version {replaces}", policy.kind));
        if saved != 1 {
            return Err(conflict());
        }
        self.policy_version(tenant, &policy.kind, Some(replaces + 1))
            .await?
            .ok_or_else(conflict)
    }

    async fn policy_version(
        &self,
        tenant: &TenantId,
        kind: &str,
        version: Option<i64>,
    ) -> StoreResult<Option<PolicyVersion>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM policy_versions WHERE tenant_id = $1 AND kind = $2 \
             AND ($3 IS NULL OR version = $3) ORDER BY version DESC LIMIT 1"
        );
        let sql = match self.dialect() {
            crate::sql::Dialect::Sqlite => sql,
            crate::sql::Dialect::Postgres => sql.replace("$3 IS NULL", "$3::BIGINT IS NULL"),
        };
        self.row(&sql, &[tenant.into(), kind.into(), version.into()], PolicyVersion::read)
            .await
    }

    async fn policy_history(&self, tenant: &TenantId, kind: &str) -> StoreResult<Vec<PolicyVersion>> {
        let sql =
            format!("SELECT {COLUMNS} FROM policy_versions WHERE tenant_id = $1 AND kind = $2 ORDER BY version DESC");
        self.rows(&sql, &[tenant.into(), kind.into()], PolicyVersion::read)
            .await
    }

    async fn policies_in_force(&self) -> StoreResult<Vec<(TenantId, PolicyVersion)>> {
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM policy_versions p JOIN ({IN_FORCE}) f \
             ON p.tenant_id = f.tenant_id AND p.kind = f.kind AND p.version = f.version \
             ORDER BY p.tenant_id, p.kind"
        );
        self.rows(&sql, &[], |row| Ok((tenant_of(row)?, PolicyVersion::read(row)?)))
            .await
    }

    async fn policy_stamps(&self) -> StoreResult<Vec<PolicyStamp>> {
        let sql = format!("{IN_FORCE} ORDER BY tenant_id, kind");
        self.rows(&sql, &[], |row| {
            Ok(PolicyStamp {
                tenant: tenant_of(row)?,
                kind: row.text("kind")?,
                version: row.int("version")?,
            })
        })
        .await
    }
}

fn tenant_of(row: &dyn Columns) -> StoreResult<TenantId> {
    TenantId::parse(row.text("tenant_id")?).map_err(StoreError::Other)
}

impl Record for PolicyVersion {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            kind: row.text("kind")?,
            version: row.int("version")?,
            body: row.text_opt("body")?,
            changes: row.text("changes")?,
            note: row.text_opt("note")?,
            restored_from: row.int_opt("restored_from")?,
            created_by: row.text("created_by")?,
            created_at: row.time("created_at")?,
        })
    }
}
