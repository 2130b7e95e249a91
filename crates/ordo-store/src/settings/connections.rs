//! Connections: a tenant's channel accounts (`kind = channel`) and warehouse connectors
//! (`kind = warehouse`), by code. Codes are the tenant's own: two tenants may both have a
//! `shopify` channel or an `HZ-01` warehouse, and nothing but the tenant tells them apart.
//!
//! Credentials are stored sealed (the store never sees them in clear) with a fingerprint
//! and the time they were set. Every change bumps `version`, so each node can see what
//! changed by listing `(tenant, kind, code, version)` once a second.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use uuid::Uuid;

use crate::columns::{Columns, Record};
use crate::sql::SqlRun;
use crate::{StoreError, StoreResult};

/// A channel account or a warehouse connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConnectionKind {
    /// A sales channel Ordo polls and writes back to.
    Channel,
    /// A warehouse Ordo sends fulfilment requests to.
    Warehouse,
}

impl ConnectionKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Warehouse => "warehouse",
        }
    }

    /// From its stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "channel" => Some(Self::Channel),
            "warehouse" => Some(Self::Warehouse),
            _ => None,
        }
    }
}

/// Who last wrote a connection: a node's configuration file (which may update it again
/// at start) or a person through the API (whose change no file overrides).
pub const SOURCE_CONFIG: &str = "config";
/// See [`SOURCE_CONFIG`].
pub const SOURCE_API: &str = "api";

/// One stored connection.
#[derive(Clone, PartialEq)]
pub struct Connection {
    /// Globally unique; webhook and callback URLs name it, so they resolve to one tenant.
    pub id: Uuid,
    /// Channel or warehouse.
    pub kind: ConnectionKind,
    /// The tenant's code for it.
    pub code: String,
    /// Everything but the credentials (platform, base URL, intervals, budget, …).
    pub settings: serde_json::Value,
    /// The credentials, sealed by the application; `None` when it has none.
    pub sealed: Option<String>,
    /// A short fingerprint of the credentials in clear, to tell versions apart.
    pub fingerprint: Option<String>,
    /// When the credentials were last changed.
    pub secrets_set_at: Option<DateTime<Utc>>,
    /// A paused connection is neither polled nor written to; its messages wait.
    pub paused: bool,
    /// Bumped by every change.
    pub version: i64,
    /// [`SOURCE_CONFIG`] or [`SOURCE_API`].
    pub source: String,
    /// Who made the last change.
    pub updated_by: String,
    /// When.
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("code", &self.code)
            .field("settings", &self.settings)
            .field("sealed", &self.sealed.as_ref().map(|_| "<sealed>"))
            .field("fingerprint", &self.fingerprint)
            .field("paused", &self.paused)
            .field("version", &self.version)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// What a node compares once a second to see which connections changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionStamp {
    /// Whose.
    pub tenant: TenantId,
    /// Channel or warehouse.
    pub kind: ConnectionKind,
    /// The tenant's code.
    pub code: String,
    /// Its version.
    pub version: i64,
    /// Its id.
    pub id: Uuid,
}

/// Connection operations of a store, written once below for every [`SqlRun`] store.
#[async_trait::async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Creates or replaces a tenant's connection (matched by kind and code; a new one keeps
    /// `connection.id`, an existing one its own), returning it as stored. A write from
    /// [`SOURCE_CONFIG`] changes nothing over a connection last written through the API,
    /// nor one that already says the same (its version stays).
    async fn put_connection(
        &self,
        tenant: &TenantId,
        connection: &Connection,
        now: DateTime<Utc>,
    ) -> StoreResult<Connection>;

    /// One connection of a tenant.
    async fn get_connection(
        &self,
        tenant: &TenantId,
        kind: ConnectionKind,
        code: &str,
    ) -> StoreResult<Option<Connection>>;

    /// A connection by its id, with its tenant (for webhooks, which name only the id).
    async fn connection_by_id(&self, id: Uuid) -> StoreResult<Option<(TenantId, Connection)>>;

    /// A tenant's connections of one kind, by code.
    async fn list_connections(&self, tenant: &TenantId, kind: ConnectionKind) -> StoreResult<Vec<Connection>>;

    /// Every connection of every tenant, by tenant, kind and code (for the nodes).
    async fn all_connections(&self) -> StoreResult<Vec<(TenantId, Connection)>>;

    /// What changed since a node last looked: every connection's stamp.
    async fn connection_stamps(&self) -> StoreResult<Vec<ConnectionStamp>>;

    /// Removes a connection; false if the tenant has none by that code.
    async fn delete_connection(&self, tenant: &TenantId, kind: ConnectionKind, code: &str) -> StoreResult<bool>;

    /// Replaces a connection's sealed credentials (same clear text, another key) without a
    /// new version; false if it changed meanwhile (`version` is no longer current).
    async fn reseal_connection(&self, tenant: &TenantId, id: Uuid, version: i64, sealed: &str) -> StoreResult<bool>;
}

/// What [`Connection`] reads.
const CONNECTION_COLUMNS: &str = "tenant_id, id, kind, code, settings, sealed, fingerprint, secrets_set_at, paused, version, source, updated_by, updated_at";

#[async_trait::async_trait]
impl<S: SqlRun> ConnectionStore for S {
    async fn put_connection(
        &self,
        tenant: &TenantId,
        connection: &Connection,
        now: DateTime<Utc>,
    ) -> StoreResult<Connection> {
        let c = connection;
        // One statement, so two nodes bootstrapping the same file at once, or a person
        // saving while a node starts, cannot interleave: the row lock decides.
        let sql = format!(
            "INSERT INTO connections ({CONNECTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12) \
             ON CONFLICT (tenant_id, kind, code) DO UPDATE SET settings = excluded.settings, sealed = excluded.sealed, \
             fingerprint = excluded.fingerprint, \
             secrets_set_at = CASE WHEN connections.fingerprint IS excluded.fingerprint THEN connections.secrets_set_at ELSE excluded.secrets_set_at END, \
             paused = excluded.paused, version = connections.version + 1, source = excluded.source, \
             updated_by = excluded.updated_by, updated_at = excluded.updated_at \
             WHERE NOT (excluded.source = '{SOURCE_CONFIG}' AND connections.source = '{SOURCE_API}') \
             AND NOT (connections.settings = excluded.settings AND connections.fingerprint IS excluded.fingerprint \
                      AND connections.paused = excluded.paused AND connections.source = excluded.source)"
        )
        .replace(" IS excluded.", &format!(" {} excluded.", is_same(self)));
        let kind = c.kind.as_str();
        self.run(
            &sql,
            &[
                tenant.into(),
                c.id.into(),
                kind.into(),
                (&c.code).into(),
                (&c.settings).into(),
                (&c.sealed).into(),
                (&c.fingerprint).into(),
                c.secrets_set_at.or(c.sealed.as_ref().map(|_| now)).into(),
                c.paused.into(),
                (&c.source).into(),
                (&c.updated_by).into(),
                now.into(),
            ],
        )
        .await?;
        self.get_connection(tenant, c.kind, &c.code)
            .await?
            .ok_or_else(|| StoreError::Other(format!("connection {} vanished after it was saved", c.code)))
    }

    async fn get_connection(
        &self,
        tenant: &TenantId,
        kind: ConnectionKind,
        code: &str,
    ) -> StoreResult<Option<Connection>> {
        let sql =
            format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE tenant_id = $1 AND kind = $2 AND code = $3");
        self.row(
            &sql,
            &[tenant.into(), kind.as_str().into(), code.into()],
            Connection::read,
        )
        .await
    }

    async fn connection_by_id(&self, id: Uuid) -> StoreResult<Option<(TenantId, Connection)>> {
        let sql = format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE id = $1");
        self.row(&sql, &[id.into()], with_tenant).await
    }

    async fn list_connections(&self, tenant: &TenantId, kind: ConnectionKind) -> StoreResult<Vec<Connection>> {
        let sql =
            format!("SELECT {CONNECTION_COLUMNS} FROM connections WHERE tenant_id = $1 AND kind = $2 ORDER BY code");
        self.rows(&sql, &[tenant.into(), kind.as_str().into()], Connection::read)
            .await
    }

    async fn all_connections(&self) -> StoreResult<Vec<(TenantId, Connection)>> {
        let sql = format!("SELECT {CONNECTION_COLUMNS} FROM connections ORDER BY tenant_id, kind, code");
        self.rows(&sql, &[], with_tenant).await
    }

    async fn connection_stamps(&self) -> StoreResult<Vec<ConnectionStamp>> {
        let sql = "SELECT tenant_id, kind, code, version, id FROM connections ORDER BY tenant_id, kind, code";
        self.rows(sql, &[], |row| {
            Ok(ConnectionStamp {
                tenant: TenantId::parse(row.text("tenant_id")?).map_err(StoreError::Other)?,
                kind: crate::columns::named(row, "kind", ConnectionKind::parse)?,
                code: row.text("code")?,
                version: row.int("version")?,
                id: row.id("id")?,
            })
        })
        .await
    }

    async fn delete_connection(&self, tenant: &TenantId, kind: ConnectionKind, code: &str) -> StoreResult<bool> {
        let sql = "DELETE FROM connections WHERE tenant_id = $1 AND kind = $2 AND code = $3";
        Ok(self
            .run(sql, &[tenant.into(), kind.as_str().into(), code.into()])
            .await?
            == 1)
    }

    async fn reseal_connection(&self, tenant: &TenantId, id: Uuid, version: i64, sealed: &str) -> StoreResult<bool> {
        let sql = "UPDATE connections SET sealed = $4 WHERE tenant_id = $1 AND id = $2 AND version = $3";
        Ok(self
            .run(sql, &[tenant.into(), id.into(), version.into(), sealed.into()])
            .await?
            == 1)
    }
}

/// The null-safe equality of the store's dialect.
fn is_same<S: SqlRun>(store: &S) -> &'static str {
    match store.dialect() {
        crate::sql::Dialect::Sqlite => "IS",
        crate::sql::Dialect::Postgres => "IS NOT DISTINCT FROM",
    }
}

fn with_tenant(row: &dyn Columns) -> StoreResult<(TenantId, Connection)> {
    let tenant = TenantId::parse(row.text("tenant_id")?).map_err(StoreError::Other)?;
    Ok((tenant, Connection::read(row)?))
}

impl Record for Connection {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            kind: crate::columns::named(row, "kind", ConnectionKind::parse)?,
            code: row.text("code")?,
            settings: row.json("settings")?,
            sealed: row.text_opt("sealed")?,
            fingerprint: row.text_opt("fingerprint")?,
            secrets_set_at: row.time_opt("secrets_set_at")?,
            paused: row.flag("paused")?,
            version: row.int("version")?,
            source: row.text("source")?,
            updated_by: row.text("updated_by")?,
            updated_at: row.time("updated_at")?,
        })
    }
}
