//! Who is at the browser: sign in and out, the session cookie, and the CSRF check.
//!
//! The session secret lives in an HttpOnly, SameSite=Strict cookie, so scripts cannot read
//! it and other sites' requests do not carry it. On top of that every state-changing
//! request must send the session's CSRF token in `X-CSRF-Token` (the console's pages set
//! it on every htmx request); a request without it is refused before any handler runs.
//! The sign-in form itself has no session yet, so it is checked by its `Origin` instead.

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use chrono::Utc;
use ordo_app::Principal;
use ordo_app::users::SignedIn;
use ordo_core::auth::Permission;
use ordo_store::UserChange;
use serde::Deserialize;

use crate::error::ConsoleError;
use crate::i18n::Lang;
use crate::{Console, Page};

/// The cookie that carries the session secret.
pub const COOKIE: &str = "ordo_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in person, with the CSRF token checked when the request changes something.
#[derive(Debug, Clone)]
pub struct Signed {
    /// Who, and their session.
    pub who: SignedIn,
    /// As the application services see them.
    pub principal: Principal,
}

impl Signed {
    /// The user's language.
    pub fn lang(&self) -> Lang {
        Lang::of(&self.who.user.language)
    }

    /// Whether the user's role allows `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.principal.role.allows(permission)
    }

    /// Refuses unless the user's role allows `permission`: the screens hide what a role
    /// may not do, and this refuses it anyway.
    pub fn require(&self, permission: Permission) -> Result<&Principal, ConsoleError> {
        if self.may(permission) {
            Ok(&self.principal)
        } else {
            Err(ConsoleError::Forbidden(self.lang()))
        }
    }
}

impl FromRequestParts<Console> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        let who = match cookie(&parts.headers, COOKIE) {
            Some(secret) => console
                .users
                .session(secret, Utc::now())
                .await
                .map_err(|e| ConsoleError::from(e).into_response())?,
            None => None,
        };
        let Some(who) = who else {
            return Err(to_sign_in(parts));
        };
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(who.session.csrf.as_str()) {
                return Err((StatusCode::FORBIDDEN, "missing or wrong CSRF token").into_response());
            }
        }
        let principal = Principal {
            tenant: who.user.tenant.clone(),
            role: who.user.role,
            actor: format!("user:{}", who.user.login),
        };
        Ok(Signed { who, principal })
    }
}

/// Sends the browser to the sign-in page and back here afterwards; an htmx request is
/// told to do the same with the whole page.
fn to_sign_in(parts: &Parts) -> Response {
    let back = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let target = format!("/login?next={}", urlencode(&back));
    if parts.headers.contains_key("hx-request") {
        let mut response = StatusCode::NO_CONTENT.into_response();
        if let Ok(value) = HeaderValue::from_str(&target) {
            response.headers_mut().insert("hx-redirect", value);
        }
        return response;
    }
    Redirect::to(&target).into_response()
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).map_or_else(|_| "/".into(), |s| s[1..].to_owned())
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Where to go after signing in.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// A local path only, so the sign-in page cannot be used to send people elsewhere.
fn local(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path,
        _ => "/",
    }
}

/// The sign-in page.
pub async fn sign_in_page(State(console): State<Console>, Query(next): Query<Next>) -> Response {
    let page = crate::screens::users::SignInPage {
        lang: console.settings.default_lang,
        next: local(next.next.as_deref()).to_owned(),
        failed: false,
    };
    Page(page).into_response()
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct SignInForm {
    login: String,
    password: String,
    next: Option<String>,
}

/// Checks the password and starts a session.
pub async fn sign_in(State(console): State<Console>, headers: HeaderMap, Form(form): Form<SignInForm>) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site sign-in refused").into_response();
    }
    let signed = match console.users.sign_in(&form.login, &form.password, Utc::now()).await {
        Ok(signed) => signed,
        Err(e) => return ConsoleError::from(e).into_response(),
    };
    let Some((secret, who)) = signed else {
        tracing::info!(login = %form.login, "console sign-in refused");
        let page = crate::screens::users::SignInPage {
            lang: console.settings.default_lang,
            next: local(form.next.as_deref()).to_owned(),
            failed: true,
        };
        return (StatusCode::UNAUTHORIZED, Page(page)).into_response();
    };
    tracing::info!(login = %who.user.login, tenant = %who.user.tenant, "console sign-in");
    let mut response = Redirect::to(local(form.next.as_deref())).into_response();
    let secure = if console.settings.secure_cookie { "; Secure" } else { "" };
    let value = format!("{COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict{secure}");
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Whether a browser's request comes from this site: `Sec-Fetch-Site` and `Origin` are
/// set by the browser, not by the page, so another site cannot fake them.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, h)| h == host),
        // No Origin: not a cross-site browser form post.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// Ends the session.
pub async fn sign_out(State(console): State<Console>, signed: Signed, headers: HeaderMap) -> Response {
    if let Some(secret) = cookie(&headers, COOKIE)
        && let Err(e) = console.users.sign_out(secret).await
    {
        return ConsoleError::from(e).into_response();
    }
    let _ = signed;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("hx-redirect", HeaderValue::from_static("/login"));
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_static("ordo_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

/// The language switch.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    language: String,
}

/// Sets the signed-in user's language; the page reloads in it.
pub async fn set_language(
    State(console): State<Console>,
    signed: Signed,
    Form(form): Form<LanguageForm>,
) -> Result<Response, ConsoleError> {
    let change = UserChange {
        language: Some(form.language),
        ..UserChange::default()
    };
    console
        .users
        .change(&signed.principal.tenant, signed.who.user.id, change, None)
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert("hx-refresh", HeaderValue::from_static("true"));
    Ok(response)
}

/// Who is signed in, as JSON (for scripts and tests).
pub async fn me(signed: Signed) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "login": signed.who.user.login,
        "tenant": signed.who.user.tenant.as_str(),
        "role": signed.who.user.role.as_str(),
        "language": signed.who.user.language,
        // The page has it anyway; scripts driving the console need it for changes.
        "csrf": signed.who.session.csrf,
    }))
}
