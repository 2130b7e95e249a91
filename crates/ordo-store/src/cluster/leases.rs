//! Leases and node heartbeats.
//!
//! Taking a lease is one upsert that succeeds only if the lease is free, expired, or
//! already the taker's: the database's row lock makes racing takers agree on one holder.
//! Time comes from the caller (each node's clock); leases last several seconds, so
//! ordinary clock skew between nodes only shortens or lengthens a takeover a little.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;

use crate::StoreResult;
use crate::columns::{Columns, Record};
use crate::sql::SqlRun;

/// One lease as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// What it guards, e.g. `poll:acme:shopify` or `sweeper:stock`.
    pub name: String,
    /// The tenant whose work it guards; `None` for work over every tenant.
    pub tenant: Option<TenantId>,
    /// The node holding it.
    pub holder: String,
    /// When the holder took it.
    pub acquired_at: DateTime<Utc>,
    /// Until when it holds without renewal.
    pub expires_at: DateTime<Utc>,
}

/// What taking a lease came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseTake {
    /// The taker holds it until the expiry it asked for. `taken_over` names the node
    /// whose expired lease it replaced, if it was another's.
    Held {
        /// The previous, expired holder.
        taken_over: Option<String>,
        /// Whether the taker already held it (a renewal).
        renewed: bool,
    },
    /// Another node holds it.
    Busy,
}

/// A node as it last reported itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBeat {
    /// The node's id.
    pub id: String,
    /// Where its API listens.
    pub addr: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its last heartbeat.
    pub seen_at: DateTime<Utc>,
}

/// Lease and heartbeat operations, written once below for every [`SqlRun`] store.
#[async_trait::async_trait]
pub trait LeaseStore: Send + Sync {
    /// Takes or renews `name` for `holder` until `until`, if it is free, expired (at
    /// `now`) or the holder's already.
    async fn take_lease(
        &self,
        name: &str,
        tenant: Option<&TenantId>,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<LeaseTake>;

    /// Gives a lease up (so another node need not wait for its expiry); false if the
    /// holder did not hold it.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<bool>;

    /// Every lease, by name (expired ones included: they show who held what last).
    async fn list_leases(&self) -> StoreResult<Vec<Lease>>;

    /// Records a node's heartbeat.
    async fn beat(&self, node: &NodeBeat) -> StoreResult<()>;

    /// Every node that beat since `since`, by id.
    async fn nodes_seen_since(&self, since: DateTime<Utc>) -> StoreResult<Vec<NodeBeat>>;
}

#[async_trait::async_trait]
impl<S: SqlRun> LeaseStore for S {
    async fn take_lease(
        &self,
        name: &str,
        tenant: Option<&TenantId>,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<LeaseTake> {
        // `previous_holder` keeps who held it before this holder took it, so a takeover
        // can be told from a first take or a renewal.
        let sql = "INSERT INTO leases (name, tenant_id, holder, previous_holder, acquired_at, expires_at) \
                   VALUES ($1, $2, $3, NULL, $4, $5) \
                   ON CONFLICT (name) DO UPDATE SET \
                   previous_holder = CASE WHEN leases.holder = excluded.holder THEN leases.previous_holder ELSE leases.holder END, \
                   acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END, \
                   holder = excluded.holder, expires_at = excluded.expires_at, tenant_id = excluded.tenant_id \
                   WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at \
                   RETURNING previous_holder, acquired_at";
        let tenant = tenant.map(TenantId::as_str);
        let taken = self
            .write_rows(
                sql,
                &[name.into(), tenant.into(), holder.into(), now.into(), until.into()],
                |row| Ok((row.text_opt("previous_holder")?, row.time("acquired_at")?)),
            )
            .await?;
        Ok(match taken.into_iter().next() {
            None => LeaseTake::Busy,
            Some((previous, acquired_at)) => {
                let renewed = acquired_at < now;
                LeaseTake::Held {
                    taken_over: previous.filter(|p| !renewed && p != holder),
                    renewed,
                }
            }
        })
    }

    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<bool> {
        // Expired, not deleted: the next taker sees whom it follows.
        let sql = "UPDATE leases SET expires_at = acquired_at WHERE name = $1 AND holder = $2";
        Ok(self.run(sql, &[name.into(), holder.into()]).await? == 1)
    }

    async fn list_leases(&self) -> StoreResult<Vec<Lease>> {
        let sql = "SELECT name, tenant_id, holder, acquired_at, expires_at FROM leases ORDER BY name";
        self.rows(sql, &[], Lease::read).await
    }

    async fn beat(&self, node: &NodeBeat) -> StoreResult<()> {
        let sql = "INSERT INTO nodes (id, addr, started_at, seen_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (id) DO UPDATE SET addr = excluded.addr, started_at = excluded.started_at, seen_at = excluded.seen_at";
        self.run(
            sql,
            &[
                (&node.id).into(),
                (&node.addr).into(),
                node.started_at.into(),
                node.seen_at.into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn nodes_seen_since(&self, since: DateTime<Utc>) -> StoreResult<Vec<NodeBeat>> {
        let sql = "SELECT id, addr, started_at, seen_at FROM nodes WHERE seen_at >= $1 ORDER BY id";
        self.rows(sql, &[since.into()], |row| {
            Ok(NodeBeat {
                id: row.text("id")?,
                addr: row.text("addr")?,
                started_at: row.time("started_at")?,
                seen_at: row.time("seen_at")?,
            })
        })
        .await
    }
}

impl Record for Lease {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            name: row.text("name")?,
            tenant: row
                .text_opt("tenant_id")?
                .map(|t| TenantId::parse(&t).map_err(crate::StoreError::Other))
                .transpose()?,
            holder: row.text("holder")?,
            acquired_at: row.time("acquired_at")?,
            expires_at: row.time("expires_at")?,
        })
    }
}
