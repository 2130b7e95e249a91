//! Correcting a held order from the queue: its address, phone and SKUs, through the same
//! edit as the API's `PATCH /api/v1/orders/{id}` ([`apply_edit`]): a merge patch of the
//! canonical order, validated the same way (text trimmed, lengths and characters
//! checked), after which its rules run again. A refusal shows the API's stable codes
//! next to the fields they are about.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use ordo_api::error::ApiError;
use ordo_api::routes::review::policies::apply_edit;
use ordo_core::OrderId;
use ordo_core::auth::Permission;
use ordo_core::input::OrderInput;
use serde_json::{Map, Value};

use crate::screens::bulk::invalid;
use crate::screens::form_fields;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// The address fields a person may correct, with their words, in the order shown.
const ADDRESS: [(&str, &str); 9] = [
    ("name", "exc_recipient"),
    ("phone", "phone"),
    ("country", "exc_country"),
    ("province", "exc_province"),
    ("city", "exc_city"),
    ("district", "exc_district"),
    ("line1", "exc_line1"),
    ("line2", "exc_line2"),
    ("postal_code", "exc_postal_code"),
];

/// One input of the form.
pub struct Input {
    /// Its name, the canonical field path (`shipping_address.phone`, `lines[0].sku`), which
    /// is also how validation names a field.
    pub name: String,
    /// Its word.
    pub label: &'static str,
    /// A note beside it (a line's title).
    pub note: String,
    /// Its value.
    pub value: String,
    /// `(code, message)` of each problem validation found in it.
    pub errors: Vec<(String, String)>,
}

/// What went wrong, as the API would have answered.
pub struct Refusal {
    /// The stable code.
    pub code: String,
    /// The message.
    pub message: String,
    /// Problems not about one of the inputs: `(field, code, message)`.
    pub other: Vec<(String, String, String)>,
}

/// The correction form, as a fragment.
#[derive(Template)]
#[template(path = "exceptions_edit.html")]
pub struct EditForm {
    c: Chrome,
    id: String,
    external_id: String,
    inputs: Vec<Input>,
    refusal: Option<Refusal>,
    saved: Option<String>,
}

/// The order's inputs as the canonical form has them (what the patch is taken against).
fn inputs_of(current: &Value) -> Vec<Input> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut inputs: Vec<Input> = ADDRESS
        .iter()
        .map(|(key, label)| Input {
            name: format!("shipping_address.{key}"),
            label,
            note: String::new(),
            value: text(&current["shipping_address"][key]),
            errors: Vec::new(),
        })
        .collect();
    for (i, line) in current["lines"].as_array().into_iter().flatten().enumerate() {
        inputs.push(Input {
            name: format!("lines[{i}].sku"),
            label: "sku",
            note: format!("{} × {}", text(&line["title"]), line["quantity"]),
            value: text(&line["sku"]),
            errors: Vec::new(),
        });
    }
    inputs
}

/// The merge patch of what the person changed: address fields as typed (validation trims
/// and checks them, as for the API), and the lines with their new SKUs (a merge patch
/// replaces an array whole, so every line goes, as it is but for its SKU).
fn patch_of(current: &Value, sent: &[(String, String)]) -> Value {
    let value = |name: &str| sent.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let mut address = Map::new();
    for (key, _) in ADDRESS {
        let was = current["shipping_address"][key].as_str().unwrap_or_default();
        if let Some(now) = value(&format!("shipping_address.{key}"))
            && now != was
        {
            address.insert(key.to_owned(), Value::from(now));
        }
    }
    let mut patch = Map::new();
    if !address.is_empty() {
        patch.insert("shipping_address".into(), Value::Object(address));
    }
    let mut lines = current["lines"].as_array().cloned().unwrap_or_default();
    let mut changed = false;
    for (i, line) in lines.iter_mut().enumerate() {
        if let Some(sku) = value(&format!("lines[{i}].sku"))
            && Some(sku) != line["sku"].as_str()
        {
            line["sku"] = Value::from(sku);
            changed = true;
        }
    }
    if changed {
        patch.insert("lines".into(), Value::Array(lines));
    }
    Value::Object(patch)
}

fn order_id(id: &str) -> ScreenResult<OrderId> {
    uuid::Uuid::parse_str(id)
        .map(OrderId)
        .map_err(|_| invalid("id", "not an order id"))
}

/// The order's canonical form, or 404.
async fn current(console: &Console, signed: &Signed, id: OrderId) -> ScreenResult<(String, Value)> {
    let record = console
        .app
        .store
        .get_order(&signed.principal.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {id} not found")))?;
    let canonical = serde_json::to_value(OrderInput::from_order(&record.state.order))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((record.state.order.external_id.to_string(), canonical))
}

/// `GET /exceptions/{id}/edit`: the form, filled in.
pub async fn form(State(console): State<Console>, signed: Signed, Path(id): Path<String>) -> ScreenResult {
    signed.require(Permission::Operate)?;
    let id = order_id(&id)?;
    let (external_id, canonical) = current(&console, &signed, id).await?;
    let page = EditForm {
        c: Chrome::new(&console, &signed, "exceptions"),
        id: id.to_string(),
        external_id,
        inputs: inputs_of(&canonical),
        refusal: None,
        saved: None,
    };
    Ok(Page(page).into_response())
}

/// `POST /exceptions/{id}/edit`: the form's fields by their canonical names.
pub async fn save(State(console): State<Console>, signed: Signed, Path(id): Path<String>, body: Bytes) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let id = order_id(&id)?;
    let sent = form_fields(&body);
    let (external_id, canonical) = current(&console, &signed, id).await?;
    let patch = patch_of(&canonical, &sent);
    let chrome = Chrome::new(&console, &signed, "exceptions");
    match apply_edit(&console.app, principal, id, &patch).await {
        Ok(done) => {
            // Shown as stored now: what validation made of what was typed.
            let (_, stored) = current(&console, &signed, id).await?;
            let page = EditForm {
                c: chrome,
                id: id.to_string(),
                external_id,
                inputs: inputs_of(&stored),
                refusal: None,
                saved: Some(done.status.as_str().to_owned()),
            };
            Ok(Page(page).into_response())
        }
        Err(error) => {
            let (code, status) = error.code_and_status();
            let message = error.message();
            let details = match error {
                ApiError::InvalidPayload { details, .. } => details,
                _ => Vec::new(),
            };
            // What was typed stays in the form, so it can be put right.
            let mut inputs = inputs_of(&canonical);
            for input in &mut inputs {
                if let Some((_, v)) = sent.iter().find(|(k, _)| *k == input.name) {
                    input.value.clone_from(v);
                }
            }
            let mut other = Vec::new();
            for d in details {
                match inputs.iter_mut().find(|i| i.name == d.field) {
                    Some(input) => input.errors.push((d.code.to_owned(), d.message)),
                    None => other.push((d.field, d.code.to_owned(), d.message)),
                }
            }
            let page = EditForm {
                c: chrome,
                id: id.to_string(),
                external_id,
                inputs,
                refusal: Some(Refusal {
                    code: code.to_owned(),
                    message,
                    other,
                }),
                saved: None,
            };
            let status = if status.is_success() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                status
            };
            Ok((status, Page(page)).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_what_changed_is_patched_and_lines_go_whole() {
        let current = json!({
            "shipping_address": {"name": "王小明", "phone": "13800138000", "line1": "文三路 100 号"},
            "lines": [{"sku": "TEE-RED-M", "quantity": 2}, {"sku": "MUG-01", "quantity": 1}],
        });
        let sent = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let same = sent(&[("shipping_address.phone", "13800138000"), ("lines[0].sku", "TEE-RED-M")]);
        assert_eq!(patch_of(&current, &same), json!({}));
        let changed = sent(&[
            ("shipping_address.phone", " 139 0013 9000 "),
            ("shipping_address.district", ""),
            ("lines[1].sku", "MUG-02"),
        ]);
        assert_eq!(
            patch_of(&current, &changed),
            json!({
                "shipping_address": {"phone": " 139 0013 9000 "},
                "lines": [{"sku": "TEE-RED-M", "quantity": 2}, {"sku": "MUG-02", "quantity": 1}],
            })
        );
    }
}
