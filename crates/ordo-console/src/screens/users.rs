//! Users of the tenant: who may sign in, with which role and language. Admins only.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use chrono::Utc;
use ordo_app::users::NewUser;
use ordo_core::auth::{Permission, Role};
use ordo_store::{User, UserChange};

use crate::i18n::Lang;
use crate::screens::bulk::invalid;
use crate::screens::{field, form_fields, refresh};
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct SignInPage {
    /// Language before anyone is known.
    pub lang: Lang,
    /// Where to go afterwards.
    pub next: String,
    /// The last try failed.
    pub failed: bool,
}

/// The users page.
#[derive(Template)]
#[template(path = "users.html")]
pub struct UsersPage {
    c: Chrome,
    users: Vec<User>,
    roles: Vec<&'static str>,
}

/// `GET /users`.
pub async fn list(State(console): State<Console>, signed: Signed) -> ScreenResult {
    let principal = signed.require(Permission::Administer)?;
    let users = console.app.store.list_users(&principal.tenant).await?;
    let page = UsersPage {
        c: Chrome::new(&console, &signed, "users"),
        users,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
    };
    Ok(Page(page).into_response())
}

fn role(text: Option<String>) -> ScreenResult<Option<Role>> {
    text.map(|r| Role::parse(&r).ok_or_else(|| invalid("role", "admin, operator, integration or viewer")))
        .transpose()
}

/// `POST /users`: `login`, `name`, `role`, `language`, `password`.
pub async fn create(State(console): State<Console>, signed: Signed, body: Bytes) -> ScreenResult {
    let principal = signed.require(Permission::Administer)?;
    let fields = form_fields(&body);
    let new = NewUser {
        tenant: principal.tenant.clone(),
        login: field(&fields, "login").unwrap_or_default(),
        name: field(&fields, "name").unwrap_or_default(),
        role: role(field(&fields, "role"))?.unwrap_or(Role::Viewer),
        language: field(&fields, "language").unwrap_or_else(|| "zh-CN".into()),
        password: field(&fields, "password").unwrap_or_default(),
    };
    console.users.create(new, Utc::now()).await?;
    Ok(refresh())
}

/// `POST /users/{id}`: any of `role`, `language`, `password`, `disabled` (`true`/`false`).
pub async fn change(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Administer)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| invalid("id", "not a user id"))?;
    let fields = form_fields(&body);
    let change = UserChange {
        role: role(field(&fields, "role"))?,
        language: field(&fields, "language"),
        password_hash: None,
        disabled: field(&fields, "disabled").map(|d| d == "true"),
    };
    if id == signed.who.user.id && (change.disabled == Some(true) || change.role.is_some_and(|r| r != Role::Admin)) {
        return Err(invalid("id", "an admin cannot lock themselves out"));
    }
    let password = field(&fields, "password");
    console
        .users
        .change(&principal.tenant, id, change, password.as_deref())
        .await?;
    Ok(refresh())
}
