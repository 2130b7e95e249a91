//! API tokens.
//!
//! A token is 32 random bytes shown once (`ordo_` + hex). Only its SHA-256 is stored. A
//! fast hash is right here, unlike for passwords: the secret has 256 bits of entropy, so
//! there is nothing to brute-force, and the hash is computed on every request.
//!
//! Lookups are cached for [`CACHE_TTL`] so the hot path does not query the database per
//! request; a revoked token therefore keeps working on a node for at most that long.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::auth::Role;
use ordo_store::{Store, StoreError, TokenRecord};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long a token lookup is trusted without asking the store again.
pub const CACHE_TTL: Duration = Duration::from_secs(30);
/// Cached tokens kept at most; the cache is cleared when full (simple, and tokens are few).
const CACHE_CAPACITY: usize = 10_000;
/// Prefix that makes Ordo tokens recognisable to secret scanners.
pub const TOKEN_PREFIX: &str = "ordo_";

/// Hex SHA-256 of a token secret.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Hex SHA-256 of a request body, for idempotency keys.
pub fn hash_body(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// A freshly minted token: the secret (show it once) and its record.
#[derive(Debug, Clone)]
pub struct MintedToken {
    /// The secret to hand to the client.
    pub secret: String,
    /// What is stored.
    pub record: TokenRecord,
}

/// Mints, stores and checks tokens.
#[derive(Clone)]
pub struct TokenService {
    store: Arc<dyn Store>,
    cache: Arc<RwLock<HashMap<String, (TokenRecord, Instant)>>>,
}

impl TokenService {
    /// A service over a store.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: Arc::default(),
        }
    }

    /// Mints and stores a new token for a tenant.
    pub async fn create(
        &self,
        tenant: &TenantId,
        role: Role,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<MintedToken, StoreError> {
        let mut bytes = [0_u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let record = self.store_secret(tenant, role, name, &secret, now).await?;
        Ok(MintedToken { secret, record })
    }

    /// Stores a given secret (the bootstrap `ORDO_ADMIN_TOKEN`) unless it is already stored.
    pub async fn ensure_secret(
        &self,
        tenant: &TenantId,
        role: Role,
        name: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenRecord, StoreError> {
        if let Some(existing) = self.store.find_token(&hash_token(secret)).await? {
            return Ok(existing);
        }
        match self.store_secret(tenant, role, name, secret, now).await {
            // Another node stored it at the same moment.
            Err(StoreError::Conflict(_)) => self
                .store
                .find_token(&hash_token(secret))
                .await?
                .ok_or_else(|| StoreError::Conflict("bootstrap token exists but is revoked".into())),
            other => other,
        }
    }

    async fn store_secret(
        &self,
        tenant: &TenantId,
        role: Role,
        name: &str,
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenRecord, StoreError> {
        let record = TokenRecord {
            id: Uuid::now_v7(),
            tenant: tenant.clone(),
            role,
            name: name.to_owned(),
            token_hash: hash_token(secret),
            created_at: now,
            revoked_at: None,
        };
        self.store.insert_token(&record).await?;
        Ok(record)
    }

    /// The live token with this secret, if any.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<TokenRecord>, StoreError> {
        let hash = hash_token(secret);
        if let Some((record, at)) = self.cache.read().unwrap_or_else(|e| e.into_inner()).get(&hash)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(Some(record.clone()));
        }
        let found = self.store.find_token(&hash).await?;
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        match &found {
            Some(record) => {
                if cache.len() >= CACHE_CAPACITY {
                    cache.clear();
                }
                cache.insert(hash, (record.clone(), Instant::now()));
            }
            None => {
                cache.remove(&hash);
            }
        }
        Ok(found)
    }

    /// Revokes a token and forgets it on this node at once.
    pub async fn revoke(&self, tenant: &TenantId, id: Uuid, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.store.revoke_token(tenant, id, now).await?;
        self.cache
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (record, _)| record.id != id);
        Ok(())
    }
}
