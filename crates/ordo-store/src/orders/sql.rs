//! Tenants and their tokens, written once for every SQL store (see [`crate::sql`]).

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use uuid::Uuid;

use crate::columns::{Columns, Record, unreadable};
use crate::orders::records::{Tenant, TokenRecord};
use crate::sql::SqlRun;
use crate::{StoreError, StoreResult};

/// The tenants and tokens of a store.
#[async_trait::async_trait]
pub trait TenantStore: Send + Sync {
    /// Creates a tenant; does nothing if it exists.
    async fn ensure_tenant(&self, tenant: &TenantId, name: &str, now: DateTime<Utc>) -> StoreResult<()>;

    /// Lists tenants.
    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>>;

    /// Whether a tenant exists (one keyed lookup: for paths that run per request).
    async fn tenant_exists(&self, tenant: &TenantId) -> StoreResult<bool>;

    /// Stores a token (by its hash). The tenant must exist.
    async fn insert_token(&self, token: &TokenRecord) -> StoreResult<()>;

    /// Finds a live (not revoked) token by its hash.
    async fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>>;

    /// Lists a tenant's tokens.
    async fn list_tokens(&self, tenant: &TenantId) -> StoreResult<Vec<TokenRecord>>;

    /// Revokes a token of a tenant.
    async fn revoke_token(&self, tenant: &TenantId, token_id: Uuid, now: DateTime<Utc>) -> StoreResult<()>;
}

const TOKEN_COLUMNS: &str = "tenant_id, id, role, name, token_hash, created_at, revoked_at";

impl Record for Tenant {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: TenantId::parse(row.text("id")?).map_err(|e| unreadable("id", e))?,
            name: row.text("name")?,
            created_at: row.time("created_at")?,
        })
    }
}

fn one(row: &dyn Columns) -> StoreResult<i64> {
    row.int("one")
}

#[async_trait::async_trait]
impl<S: SqlRun> TenantStore for S {
    async fn ensure_tenant(&self, tenant: &TenantId, name: &str, now: DateTime<Utc>) -> StoreResult<()> {
        let sql = "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";
        self.run(sql, &[tenant.into(), name.into(), now.into()]).await?;
        Ok(())
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        self.rows(
            "SELECT id, name, created_at FROM tenants ORDER BY id",
            &[],
            Tenant::read,
        )
        .await
    }

    async fn tenant_exists(&self, tenant: &TenantId) -> StoreResult<bool> {
        Ok(self
            .row("SELECT 1 AS one FROM tenants WHERE id = $1", &[tenant.into()], one)
            .await?
            .is_some())
    }

    async fn insert_token(&self, token: &TokenRecord) -> StoreResult<()> {
        // Tenants are never deleted, so a tenant found here is still there at the insert.
        if !self.tenant_exists(&token.tenant).await? {
            return Err(StoreError::NotFound(format!("tenant {}", token.tenant)));
        }
        let sql = format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
        let params = [
            (&token.tenant).into(),
            token.id.into(),
            token.role.as_str().into(),
            token.name.as_str().into(),
            token.token_hash.as_str().into(),
            token.created_at.into(),
            token.revoked_at.into(),
        ];
        self.run(&sql, &params).await?;
        Ok(())
    }

    async fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL");
        self.row(&sql, &[token_hash.into()], TokenRecord::read).await
    }

    async fn list_tokens(&self, tenant: &TenantId) -> StoreResult<Vec<TokenRecord>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE tenant_id = $1 ORDER BY created_at, id");
        self.rows(&sql, &[tenant.into()], TokenRecord::read).await
    }

    async fn revoke_token(&self, tenant: &TenantId, token_id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
        // Revoking twice keeps the first revocation time and succeeds.
        let sql = "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2";
        if self.run(sql, &[tenant.into(), token_id.into(), now.into()]).await? == 0 {
            return Err(StoreError::NotFound(format!("token {token_id} in tenant {tenant}")));
        }
        Ok(())
    }
}
