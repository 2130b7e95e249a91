//! Adding, changing and removing a tenant's channel and warehouse connections, through the
//! same service as `PUT /api/v1/channels/{code}` and a warehouse's `connector`. Credentials
//! are write-only: the form shows whether they are set and since when, never their value,
//! and a credential field left blank keeps the stored one (the API's "left out: kept").

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use ordo_app::connections::secret_keys;
use ordo_core::auth::Permission;
use ordo_store::ConnectionKind;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::screens::bulk::invalid;
use crate::screens::form_fields;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// A plain setting with a field of its own; the rest go in the JSON box.
pub struct Field {
    /// The setting's key.
    pub name: &'static str,
    /// Its label's word.
    pub label: &'static str,
    /// Its stored value as text.
    pub value: String,
    /// Written as a number.
    pub numeric: bool,
}

/// The settings each kind shows as fields: `(key, word, numeric)`.
fn plain_fields(kind: ConnectionKind) -> &'static [(&'static str, &'static str, bool)] {
    match kind {
        ConnectionKind::Channel => &[
            ("platform", "ch_platform", false),
            ("base_url", "ch_base_url", false),
            ("mapping", "ch_mapping", false),
            ("poll_interval_ms", "ch_poll_interval", true),
        ],
        ConnectionKind::Warehouse => &[
            ("kind", "ch_kind", false),
            ("base_url", "ch_base_url", false),
            ("channel_id", "ch_channel_id", false),
            ("shipping_method", "ch_shipping_method", false),
            ("timeout_ms", "ch_timeout", true),
        ],
    }
}

/// Suggestions for the first field; the service decides what is valid.
fn suggestions(kind: ConnectionKind) -> &'static [&'static str] {
    match kind {
        ConnectionKind::Channel => &[
            "shopify",
            "woocommerce",
            "amazon",
            "amazon-2026",
            "taobao",
            "jd",
            "douyin",
            "pinduoduo",
            "xiaohongshu",
        ],
        ConnectionKind::Warehouse => &["generic", "shipbob"],
    }
}

fn kind_of(name: &str) -> ScreenResult<ConnectionKind> {
    match name {
        "channel" => Ok(ConnectionKind::Channel),
        "warehouse" => Ok(ConnectionKind::Warehouse),
        _ => Err(invalid("kind", "channel or warehouse")),
    }
}

/// The connection form.
#[derive(Template)]
#[template(path = "channels_form.html")]
pub struct ConnectionForm {
    c: Chrome,
    kind: &'static str,
    /// Empty for a new connection.
    code: String,
    fields: Vec<Field>,
    suggest: &'static [&'static str],
    /// The other settings as JSON.
    extra: String,
    paused: bool,
    secrets: &'static [&'static str],
    secrets_set_at: Option<DateTime<Utc>>,
    secrets_set: bool,
    fingerprint: Option<String>,
    /// Warehouse codes, to pick from.
    warehouses: Vec<String>,
}

/// Which connection the form is for.
#[derive(Debug, Default, Deserialize)]
pub struct FormQuery {
    /// Its code; none for a new one.
    pub code: Option<String>,
}

/// `GET /channels/connection/{kind}?code=…`: the form, empty for a new connection.
pub async fn form(
    State(console): State<Console>,
    signed: Signed,
    Path(kind): Path<String>,
    Query(q): Query<FormQuery>,
) -> ScreenResult {
    let principal = signed.require(Permission::Administer)?;
    let connection_kind = kind_of(&kind)?;
    let store = &console.app.store;
    let code = q.code.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    let (stored, warehouses) = tokio::try_join!(
        async {
            match &code {
                Some(code) => store.get_connection(&principal.tenant, connection_kind, code).await,
                None => Ok(None),
            }
        },
        async {
            match connection_kind {
                ConnectionKind::Warehouse => store.list_warehouses(&principal.tenant).await,
                ConnectionKind::Channel => Ok(Vec::new()),
            }
        },
    )?;
    if let (Some(code), None) = (&code, &stored) {
        return Err(ordo_api::error::ApiError::NotFound(format!("no {kind} connection {code}")).into());
    }
    let mut settings = stored
        .as_ref()
        .and_then(|c| c.settings.as_object().cloned())
        .unwrap_or_default();
    let fields = plain_fields(connection_kind)
        .iter()
        .map(|(name, label, numeric)| Field {
            name,
            label,
            value: match settings.remove(*name) {
                Some(Value::String(s)) => s,
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            },
            numeric: *numeric,
        })
        .collect();
    let extra = if settings.is_empty() {
        String::new()
    } else {
        serde_json::to_string_pretty(&settings).unwrap_or_default()
    };
    let page = ConnectionForm {
        c: Chrome::new(&console, &signed, "channels"),
        kind: if connection_kind == ConnectionKind::Channel {
            "channel"
        } else {
            "warehouse"
        },
        code: code.unwrap_or_default(),
        fields,
        suggest: suggestions(connection_kind),
        extra,
        paused: stored.as_ref().is_some_and(|c| c.paused),
        secrets: secret_keys(connection_kind),
        secrets_set: stored.as_ref().is_some_and(|c| c.sealed.is_some()),
        secrets_set_at: stored.as_ref().and_then(|c| c.secrets_set_at),
        fingerprint: stored.and_then(|c| c.fingerprint),
        warehouses: warehouses.into_iter().map(|w| w.code).collect(),
    };
    Ok(Page(page).into_response())
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The connection as the API would be sent it: plain fields, the JSON box, `paused`, and
/// only the credentials typed in (left out: kept).
fn written(kind: ConnectionKind, fields: &[(String, String)]) -> ScreenResult<Map<String, Value>> {
    let mut written = match field(fields, "extra") {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(invalid("extra", "a JSON object, e.g. {\"page_size\": 50}")),
            Err(e) => {
                return Err(invalid(
                    "extra",
                    &format!("line {} column {}: {e}", e.line(), e.column()),
                ));
            }
        },
    };
    let secrets = secret_keys(kind);
    if let Some(key) = written.keys().find(|k| secrets.contains(&k.as_str()) || *k == "paused") {
        return Err(invalid("extra", &format!("{key} has a field of its own")));
    }
    for (name, _, numeric) in plain_fields(kind) {
        let Some(value) = field(fields, name) else { continue };
        if written.contains_key(*name) {
            return Err(invalid("extra", &format!("{name} has a field of its own")));
        }
        let value = if *numeric {
            Value::from(value.parse::<u64>().map_err(|_| invalid(name, "a whole number"))?)
        } else {
            Value::from(value)
        };
        written.insert((*name).to_owned(), value);
    }
    written.insert("paused".into(), Value::Bool(field(fields, "paused").is_some()));
    for key in secrets {
        if let Some(value) = field(fields, &format!("secret.{key}")) {
            written.insert((*key).to_owned(), Value::from(value));
        }
    }
    Ok(written)
}

/// `POST /channels/connection/{kind}`: `code`, the plain fields, `extra`, `paused`,
/// `check`, `secret.{key}`; saved as `PUT /api/v1/channels/{code}` saves.
pub async fn save(
    State(console): State<Console>,
    signed: Signed,
    Path(kind): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Administer)?;
    let kind = kind_of(&kind)?;
    let fields = form_fields(&body);
    let code = field(&fields, "code").ok_or_else(|| invalid("code", "is required"))?;
    let written = written(kind, &fields)?;
    let check = field(&fields, "check").is_some();
    let saved = ordo_api::routes::channels::connectors::save(
        &console.app,
        &principal.tenant,
        &principal.actor,
        kind,
        code,
        written,
        check,
    )
    .await?;
    Ok(to_list(Some(&saved.code)))
}

/// `POST /channels/connection/{kind}/delete`: `code`; as `DELETE /api/v1/channels/{code}`.
pub async fn remove(
    State(console): State<Console>,
    signed: Signed,
    Path(kind): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Administer)?;
    let kind = kind_of(&kind)?;
    let fields = form_fields(&body);
    let code = field(&fields, "code").ok_or_else(|| invalid("code", "is required"))?;
    if !console
        .app
        .store
        .delete_connection(&principal.tenant, kind, code)
        .await?
    {
        return Err(ordo_api::error::ApiError::NotFound(format!("no connection {code}")).into());
    }
    Ok(to_list(None))
}

/// Back to the list (htmx follows `HX-Redirect`), saying what was saved.
fn to_list(saved: Option<&str>) -> Response {
    let target = match saved {
        Some(code) => format!(
            "/channels?{}",
            serde_urlencoded::to_string([("saved", code)]).unwrap_or_default()
        ),
        None => "/channels".to_owned(),
    };
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&target) {
        response.headers_mut().insert("hx-redirect", value);
    }
    response
}
