//! Ordo's console: the screens operators, customer service and merchants use, served by
//! the `ordo` binary at `/`, in Simplified Chinese or English.
//!
//! Pages are rendered on the server (askama templates compiled into the binary) and made
//! live with htmx; charts use uPlot. Every asset is inside the binary (see
//! `THIRD-PARTY.md`), so the console needs no network at build or run time.
//!
//! Invariants: every screen reads and writes through the same application services and
//! store queries as the API (no second copy of a rule); every route but sign-in and the
//! assets takes [`session::Signed`], which also checks the CSRF token on every change;
//! every read is scoped by the signed-in user's tenant.

pub mod assets;
pub mod error;
pub mod format;
pub mod i18n;
pub mod screens;
pub mod session;

use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono_tz::Tz;
use ordo_api::AppState;
use ordo_app::users::Users;
use ordo_core::auth::Permission;

use crate::error::ConsoleError;
use crate::i18n::Lang;
use crate::session::Signed;

/// Console settings of a node.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    /// Sessions end after this long without a request.
    pub idle: Duration,
    /// Mark the cookie `Secure` (the node is reached over HTTPS).
    pub secure_cookie: bool,
    /// Times are shown in this zone.
    pub time_zone: Tz,
    /// The sign-in page's language, before anyone is known.
    pub default_lang: Lang,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(30 * 60),
            secure_cookie: false,
            time_zone: chrono_tz::Asia::Shanghai,
            default_lang: Lang::Zh,
        }
    }
}

/// What every screen can reach.
#[derive(Clone)]
pub struct Console {
    /// The API's state: store, services, feed.
    pub app: AppState,
    /// Users and sessions.
    pub users: Users,
    /// Settings.
    pub settings: ConsoleSettings,
}

impl Console {
    /// A console over the API's state.
    pub fn new(app: AppState, settings: ConsoleSettings) -> Self {
        let idle = chrono::Duration::from_std(settings.idle).unwrap_or(chrono::Duration::minutes(30));
        let users = Users::new(app.store.clone(), idle);
        Self { app, users, settings }
    }
}

/// The page frame every screen shares: who is signed in, in which language, and which
/// screen is open.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The user's language.
    pub lang: Lang,
    /// Their name.
    pub name: String,
    /// Their tenant.
    pub tenant: String,
    /// Their role's name.
    pub role: &'static str,
    /// Sent with every change.
    pub csrf: String,
    /// The open screen, for the menu.
    pub nav: &'static str,
    /// May change orders and stock.
    pub can_operate: bool,
    /// May manage users and settings.
    pub can_admin: bool,
    /// The tenant's time zone.
    pub tz: Tz,
}

impl Chrome {
    /// The frame for `signed` on screen `nav`.
    pub fn new(console: &Console, signed: &Signed, nav: &'static str) -> Self {
        Self {
            lang: signed.lang(),
            name: signed.who.user.name.clone(),
            tenant: signed.principal.tenant.as_str().to_owned(),
            role: signed.principal.role.as_str(),
            csrf: signed.who.session.csrf.clone(),
            nav,
            can_operate: signed.may(Permission::Operate),
            can_admin: signed.may(Permission::Administer),
            tz: console.settings.time_zone,
        }
    }

    /// A word in the user's language.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.lang.t(key)
    }

    /// A status in the user's language.
    pub fn status<'a>(&self, status: &'a str) -> &'a str {
        i18n::status_word(self.lang, status)
    }

    /// An after-sale name (case state, kind, action, disposition) in the user's language.
    pub fn aftersale<'a>(&self, name: &'a str) -> &'a str {
        screens::aftersales::word(self.lang, name)
    }

    /// A time in the tenant's zone.
    pub fn time(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        format::time(*at, self.tz)
    }

    /// A time to the second in the tenant's zone.
    pub fn time_exact(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        format::time_exact(*at, self.tz)
    }

    /// An amount.
    pub fn money(&self, minor: &i64, currency: &str) -> String {
        format::money(*minor, currency)
    }

    /// The CSRF header as htmx's `hx-headers` JSON.
    pub fn hx_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }
}

/// A rendered template as a response.
pub struct Page<T>(pub T);

impl<T: Template> IntoResponse for Page<T> {
    fn into_response(self) -> Response {
        match self.0.render() {
            Ok(html) => Html(html).into_response(),
            Err(e) => ConsoleError::from(e).into_response(),
        }
    }
}

/// A screen's result.
pub type ScreenResult<T = Response> = Result<T, ConsoleError>;

/// Every console route, with its state applied, to sit beside the API.
pub fn router(console: Console) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/login", get(session::sign_in_page).post(session::sign_in))
        .route("/logout", post(session::sign_out))
        .route("/me", get(session::me))
        .route("/me/language", post(session::set_language))
        .route("/assets/{name}", get(assets::serve))
        .merge(screens::routes())
        .layer(middleware::from_fn(security_headers))
        .with_state(console)
}

/// Pages may load only what this node serves, may not be framed, and are never cached
/// (they hold a tenant's data); the assets set their own caching.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}
