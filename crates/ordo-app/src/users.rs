//! People who sign in to the console: creating them, checking a password, and sessions
//! with an idle timeout.
//!
//! Passwords are hashed with argon2id (the crate's defaults, the OWASP minimum), so a
//! stolen table costs an attacker real work per guess. A session is 32 random bytes in an
//! HttpOnly cookie; only its SHA-256 is stored (as for API tokens: the secret has full
//! entropy, so a fast hash is right). Each session carries its own CSRF token, which the
//! console sends with every change.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use ordo_core::TenantId;
use ordo_core::auth::Role;
use ordo_store::{Session, Store, StoreError, User, UserChange};
use rand::RngCore;
use uuid::Uuid;

use crate::tokens::hash_token;

/// The languages the console speaks.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];
/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 10;
/// How often a session's last-seen time is written: often enough for the idle timeout to
/// be exact to this, rarely enough that reading a page does not write.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// Why a user could not be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// The input is not acceptable; the text says which field and why.
    #[error("{0}")]
    Invalid(String),
    /// The store refused (a taken login is a `Conflict`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a new user needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Their tenant.
    pub tenant: TenantId,
    /// What they type to sign in.
    pub login: String,
    /// Their name.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// `zh-CN` or `en`.
    pub language: String,
    /// The password, in clear; hashed here and dropped.
    pub password: String,
}

/// A signed-in user, as the console sees them on each request.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The user.
    pub user: User,
    /// The session (its key and CSRF token).
    pub session: Session,
}

/// Users and their sessions.
#[derive(Clone)]
pub struct Users {
    store: Arc<dyn Store>,
    idle: Duration,
}

impl Users {
    /// A service over a store; sessions end after `idle` without a request.
    pub fn new(store: Arc<dyn Store>, idle: Duration) -> Self {
        Self { store, idle }
    }

    /// Creates a user.
    pub async fn create(&self, new: NewUser, now: DateTime<Utc>) -> Result<User, UserError> {
        let login = new.login.trim();
        if login.is_empty() || login.len() > 64 || login.chars().any(char::is_whitespace) {
            return Err(UserError::Invalid("login: 1 to 64 characters without spaces".into()));
        }
        check_language(&new.language)?;
        let user = User {
            id: Uuid::now_v7(),
            tenant: new.tenant,
            login: login.to_owned(),
            name: if new.name.trim().is_empty() {
                login.to_owned()
            } else {
                new.name.trim().to_owned()
            },
            role: new.role,
            language: new.language,
            password_hash: hash_password(&new.password)?,
            disabled: false,
            created_at: now,
        };
        self.store.create_user(&user).await?;
        Ok(user)
    }

    /// Changes a user; a new password is hashed here.
    pub async fn change(
        &self,
        tenant: &TenantId,
        id: Uuid,
        mut change: UserChange,
        password: Option<&str>,
    ) -> Result<User, UserError> {
        if let Some(language) = &change.language {
            check_language(language)?;
        }
        if let Some(password) = password {
            change.password_hash = Some(hash_password(password)?);
        }
        Ok(self.store.change_user(tenant, id, &change).await?)
    }

    /// Checks a login and password and starts a session, returning the cookie's secret.
    /// `None` for an unknown login, a wrong password or a disabled user alike, so the
    /// answer says nothing about which.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, SignedIn)>, StoreError> {
        let Some(user) = self.store.user_by_login(login.trim()).await? else {
            // Hash anyway, so an unknown login takes as long as a wrong password.
            let _ = hash_password(password);
            return Ok(None);
        };
        if user.disabled || !verify_password(&user.password_hash, password) {
            return Ok(None);
        }
        let secret = random_hex();
        let session = Session {
            key: hash_token(&secret),
            user_id: user.id,
            csrf: random_hex(),
            created_at: now,
            seen_at: now,
        };
        self.store.create_session(&session).await?;
        Ok(Some((secret, SignedIn { user, session })))
    }

    /// The user behind a cookie's secret, if the session is live; an idle one is ended.
    pub async fn session(&self, secret: &str, now: DateTime<Utc>) -> Result<Option<SignedIn>, StoreError> {
        let key = hash_token(secret);
        let Some((session, user)) = self.store.session(&key).await? else {
            return Ok(None);
        };
        if now - session.seen_at > self.idle {
            self.store.end_session(&key).await?;
            return Ok(None);
        }
        if now - session.seen_at > TOUCH_EVERY {
            self.store.touch_session(&key, now).await?;
        }
        Ok(Some(SignedIn { user, session }))
    }

    /// Ends a session.
    pub async fn sign_out(&self, secret: &str) -> Result<(), StoreError> {
        self.store.end_session(&hash_token(secret)).await
    }
}

fn check_language(language: &str) -> Result<(), UserError> {
    if LANGUAGES.contains(&language) {
        Ok(())
    } else {
        Err(UserError::Invalid(format!(
            "language: {language:?} is not one of zh-CN, en"
        )))
    }
}

fn hash_password(password: &str) -> Result<String, UserError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(UserError::Invalid(format!(
            "password: at least {MIN_PASSWORD} characters"
        )));
    }
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| UserError::Invalid(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| UserError::Invalid(format!("password: {e}")))
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse battery!"));
        assert!(!verify_password("not a hash", "correct horse battery"));
        assert!(matches!(hash_password("short"), Err(UserError::Invalid(_))));
    }
}
