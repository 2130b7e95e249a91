//! People who sign in to the console: users of a tenant with a role, a language and a
//! password hash (the application hashes; the store never sees a password), their
//! sessions, and the views each saved.
//!
//! A login names one user across all tenants, so the sign-in form needs no tenant. A
//! session is kept under the hash of its secret, so a copy of the database signs no one
//! in, and every node sees it: a person signed in on one node is signed in on all.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::auth::Role;
use uuid::Uuid;

use crate::columns::{Columns, Record, named};
use crate::sql::SqlRun;
use crate::{StoreError, StoreResult};

/// A person who may sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Stable id.
    pub id: Uuid,
    /// The tenant the user works for.
    pub tenant: TenantId,
    /// What the user types to sign in; unique across tenants.
    pub login: String,
    /// Shown in the console and in the audit of what they did.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// `en` or `zh-CN`.
    pub language: String,
    /// The PHC string of the password hash.
    pub password_hash: String,
    /// A disabled user cannot sign in; their sessions end.
    pub disabled: bool,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
}

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie's secret, hex.
    pub key: String,
    /// Who.
    pub user_id: Uuid,
    /// Sent back with every change, so another site cannot make one.
    pub csrf: String,
    /// Signed in at.
    pub created_at: DateTime<Utc>,
    /// Last seen at; the idle timeout counts from here.
    pub seen_at: DateTime<Utc>,
}

/// A filter a user saved under a name, for one screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    /// `orders`, `exceptions` …
    pub screen: String,
    /// The user's name for it.
    pub name: String,
    /// The URL query string of the filter.
    pub query: String,
}

/// What may change on a user; `None` keeps it.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    /// New role.
    pub role: Option<Role>,
    /// New language.
    pub language: Option<String>,
    /// New password hash.
    pub password_hash: Option<String>,
    /// Disable or enable.
    pub disabled: Option<bool>,
}

/// User, session and saved-view operations, written once below for every [`SqlRun`] store.
#[async_trait::async_trait]
pub trait UserStore: Send + Sync {
    /// Adds a user; [`StoreError::Conflict`] if the login is taken.
    async fn create_user(&self, user: &User) -> StoreResult<()>;

    /// The user who signs in with `login`, in whichever tenant.
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>>;

    /// One user of a tenant.
    async fn user(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<User>>;

    /// A tenant's users, by login.
    async fn list_users(&self, tenant: &TenantId) -> StoreResult<Vec<User>>;

    /// Changes a user of a tenant; a disabled user's sessions end with it.
    async fn change_user(&self, tenant: &TenantId, id: Uuid, change: &UserChange) -> StoreResult<User>;

    /// Starts a session.
    async fn create_session(&self, session: &Session) -> StoreResult<()>;

    /// The session under `key` and its user, if the user is still enabled.
    async fn session(&self, key: &str) -> StoreResult<Option<(Session, User)>>;

    /// Marks a session as seen.
    async fn touch_session(&self, key: &str, now: DateTime<Utc>) -> StoreResult<()>;

    /// Ends a session (sign out or idle timeout).
    async fn end_session(&self, key: &str) -> StoreResult<()>;

    /// Saves (or replaces) a user's view.
    async fn save_view(&self, tenant: &TenantId, user: Uuid, view: &SavedView, now: DateTime<Utc>) -> StoreResult<()>;

    /// A user's views of one screen, by name.
    async fn list_views(&self, tenant: &TenantId, user: Uuid, screen: &str) -> StoreResult<Vec<SavedView>>;

    /// Removes a user's view.
    async fn delete_view(&self, tenant: &TenantId, user: Uuid, screen: &str, name: &str) -> StoreResult<()>;
}

const USER_COLUMNS: &str = "id, tenant_id, login, name, role, language, password_hash, disabled, created_at";

#[async_trait::async_trait]
impl<S: SqlRun> UserStore for S {
    async fn create_user(&self, user: &User) -> StoreResult<()> {
        let sql = format!("INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
        self.run(
            &sql,
            &[
                user.id.into(),
                (&user.tenant).into(),
                (&user.login).into(),
                (&user.name).into(),
                user.role.as_str().into(),
                (&user.language).into(),
                (&user.password_hash).into(),
                user.disabled.into(),
                user.created_at.into(),
            ],
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => StoreError::Conflict(format!("login {} is taken", user.login)),
            other => other,
        })?;
        Ok(())
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE login = $1");
        self.row(&sql, &[login.into()], User::read).await
    }

    async fn user(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2");
        self.row(&sql, &[tenant.into(), id.into()], User::read).await
    }

    async fn list_users(&self, tenant: &TenantId) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY login");
        self.rows(&sql, &[tenant.into()], User::read).await
    }

    async fn change_user(&self, tenant: &TenantId, id: Uuid, change: &UserChange) -> StoreResult<User> {
        let sql = "UPDATE users SET role = COALESCE($3, role), language = COALESCE($4, language), \
                   password_hash = COALESCE($5, password_hash) WHERE tenant_id = $1 AND id = $2";
        let changed = self
            .run(
                sql,
                &[
                    tenant.into(),
                    id.into(),
                    change.role.map(Role::as_str).into(),
                    change.language.as_deref().into(),
                    change.password_hash.as_deref().into(),
                ],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("user {id}")));
        }
        if let Some(disabled) = change.disabled {
            self.run(
                "UPDATE users SET disabled = $3 WHERE tenant_id = $1 AND id = $2",
                &[tenant.into(), id.into(), disabled.into()],
            )
            .await?;
        }
        if change.disabled == Some(true) || change.password_hash.is_some() {
            self.run("DELETE FROM sessions WHERE user_id = $1", &[id.into()])
                .await?;
        }
        self.user(tenant, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))
    }

    async fn create_session(&self, session: &Session) -> StoreResult<()> {
        self.run(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, seen_at) VALUES ($1, $2, $3, $4, $5)",
            &[
                (&session.key).into(),
                session.user_id.into(),
                (&session.csrf).into(),
                session.created_at.into(),
                session.seen_at.into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn session(&self, key: &str) -> StoreResult<Option<(Session, User)>> {
        let columns = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT s.token_hash, s.user_id, s.csrf, s.created_at AS session_created_at, s.seen_at, {columns} \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled = $2"
        );
        self.row(&sql, &[key.into(), false.into()], |row| {
            let session = Session {
                key: row.text("token_hash")?,
                user_id: row.id("user_id")?,
                csrf: row.text("csrf")?,
                created_at: row.time("session_created_at")?,
                seen_at: row.time("seen_at")?,
            };
            Ok((session, User::read(row)?))
        })
        .await
    }

    async fn touch_session(&self, key: &str, now: DateTime<Utc>) -> StoreResult<()> {
        self.run(
            "UPDATE sessions SET seen_at = $2 WHERE token_hash = $1",
            &[key.into(), now.into()],
        )
        .await?;
        Ok(())
    }

    async fn end_session(&self, key: &str) -> StoreResult<()> {
        self.run("DELETE FROM sessions WHERE token_hash = $1", &[key.into()])
            .await?;
        Ok(())
    }

    async fn save_view(&self, tenant: &TenantId, user: Uuid, view: &SavedView, now: DateTime<Utc>) -> StoreResult<()> {
        self.run(
            "INSERT INTO saved_views (tenant_id, user_id, screen, name, query, saved_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, user_id, screen, name) DO UPDATE SET query = excluded.query, saved_at = excluded.saved_at",
            &[
                tenant.into(),
                user.into(),
                (&view.screen).into(),
                (&view.name).into(),
                (&view.query).into(),
                now.into(),
            ],
        )
        .await?;
        Ok(())
    }

    async fn list_views(&self, tenant: &TenantId, user: Uuid, screen: &str) -> StoreResult<Vec<SavedView>> {
        self.rows(
            "SELECT screen, name, query FROM saved_views WHERE tenant_id = $1 AND user_id = $2 AND screen = $3 ORDER BY name",
            &[tenant.into(), user.into(), screen.into()],
            |row| {
                Ok(SavedView {
                    screen: row.text("screen")?,
                    name: row.text("name")?,
                    query: row.text("query")?,
                })
            },
        )
        .await
    }

    async fn delete_view(&self, tenant: &TenantId, user: Uuid, screen: &str, name: &str) -> StoreResult<()> {
        self.run(
            "DELETE FROM saved_views WHERE tenant_id = $1 AND user_id = $2 AND screen = $3 AND name = $4",
            &[tenant.into(), user.into(), screen.into(), name.into()],
        )
        .await?;
        Ok(())
    }
}

impl Record for User {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            tenant: TenantId::parse(row.text("tenant_id")?).map_err(StoreError::Other)?,
            login: row.text("login")?,
            name: row.text("name")?,
            role: named(row, "role", Role::parse)?,
            language: row.text("language")?,
            password_hash: row.text("password_hash")?,
            disabled: row.flag("disabled")?,
            created_at: row.time("created_at")?,
        })
    }
}
