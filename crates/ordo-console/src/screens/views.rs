//! Saved views: a user's named filters per screen, kept in the store so they follow the
//! user to any browser and any node.

use axum::body::Bytes;
use axum::extract::{Path, State};
use chrono::Utc;
use ordo_core::auth::Permission;
use ordo_store::SavedView;

use crate::screens::bulk::invalid;
use crate::screens::{field, form_fields, refresh};
use crate::session::Signed;
use crate::{Console, ScreenResult};

/// Screens that have saved views.
const SCREENS: [&str; 2] = ["orders", "exceptions"];

/// `POST /views/{screen}`: `name`, `query`.
pub async fn save(
    State(console): State<Console>,
    signed: Signed,
    Path(screen): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    if !SCREENS.contains(&screen.as_str()) {
        return Err(invalid("screen", "orders or exceptions"));
    }
    let fields = form_fields(&body);
    let name = field(&fields, "name").unwrap_or_default();
    if name.is_empty() || name.chars().count() > 60 {
        return Err(invalid("name", "1 to 60 characters"));
    }
    let view = SavedView {
        screen,
        name,
        query: field(&fields, "query")
            .unwrap_or_default()
            .trim_start_matches('?')
            .to_owned(),
    };
    console
        .app
        .store
        .save_view(&principal.tenant, signed.who.user.id, &view, Utc::now())
        .await?;
    Ok(refresh())
}

/// `DELETE /views/{screen}` with `name`.
pub async fn remove(
    State(console): State<Console>,
    signed: Signed,
    Path(screen): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let name = field(&form_fields(&body), "name").unwrap_or_default();
    console
        .app
        .store
        .delete_view(&principal.tenant, signed.who.user.id, &screen, &name)
        .await?;
    Ok(refresh())
}
