//! The inventory screens' changes: one stock change (receive, adjust, set, safety stock),
//! a CSV import of counts, and a channel's stock rule. Each goes through the code behind
//! the API's route (`POST /api/v1/stock/changes`, `POST /api/v1/stock/import`,
//! `PUT /api/v1/channels/{channel}/stock-rule`), so the rules and the row-by-row
//! results are the API's.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use ordo_api::routes::delivery::live::{ChannelRuleBody, channel_rule};
use ordo_api::routes::stock::levels::{StockChangeBody, StockChangeResult, apply_rows, parse_stock_csv, to_change};
use ordo_core::auth::Permission;
use ordo_core::inventory::SkuOverride;

use crate::screens::bulk::invalid;
use crate::screens::{field, form_fields};
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Every row's result, as a fragment.
#[derive(Template)]
#[template(path = "inventory_results.html")]
pub struct StockResults {
    c: Chrome,
    /// `line` for a CSV (rows are its line numbers), else `row`.
    numbered_by: &'static str,
    rows: Vec<StockChangeResult>,
    applied: usize,
}

fn number(fields: &[(String, String)], name: &str) -> ScreenResult<i64> {
    field(fields, name)
        .unwrap_or_else(|| "0".into())
        .parse()
        .map_err(|_| invalid(name, "a whole number"))
}

fn results(
    console: &Console,
    signed: &Signed,
    numbered_by: &'static str,
    rows: Vec<StockChangeResult>,
) -> Page<StockResults> {
    Page(StockResults {
        c: Chrome::new(console, signed, "inventory"),
        numbered_by,
        applied: rows.iter().filter(|r| r.ok).count(),
        rows,
    })
}

/// `POST /inventory/changes`: `warehouse`, `sku`, `op` (`receive`, `adjust`, `set`,
/// `safety_stock`), `quantity`, `reason`, `reference`.
pub async fn change(State(console): State<Console>, signed: Signed, body: Bytes) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let fields = form_fields(&body);
    let body = StockChangeBody {
        warehouse: field(&fields, "warehouse").unwrap_or_default(),
        sku: field(&fields, "sku").unwrap_or_default(),
        op: field(&fields, "op").unwrap_or_default(),
        quantity: number(&fields, "quantity")?,
        expected_on_hand: None,
        reason: field(&fields, "reason"),
        reference: field(&fields, "reference"),
    };
    let rows = vec![(0, to_change(body, &principal.actor))];
    let rows = apply_rows(&console.app, principal, rows).await?;
    Ok(results(&console, &signed, "row", rows).into_response())
}

/// `POST /inventory/import`: a multipart form whose `file` is the CSV. The rows and their
/// line numbers are the API's import's.
pub async fn import(State(console): State<Console>, signed: Signed, headers: HeaderMap, body: Bytes) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let file = multipart_field(content_type, &body, "file")
        .ok_or_else(|| invalid("file", "a multipart form with a CSV file named file"))?;
    let rows = parse_stock_csv(file.to_vec(), &principal.actor)?;
    let rows = apply_rows(&console.app, principal, rows).await?;
    Ok(results(&console, &signed, "line", rows).into_response())
}

/// `POST /inventory/rules`: `channel`, `ratio_permille`, `buffer`, and this `sku`'s
/// override: `mode` (`fixed`, `cap`, or empty for none) with its `quantity`. The channel's
/// other overrides are kept.
pub async fn rule(State(console): State<Console>, signed: Signed, body: Bytes) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let fields = form_fields(&body);
    let channel = field(&fields, "channel").ok_or_else(|| invalid("channel", "a channel code"))?;
    let sku = field(&fields, "sku").ok_or_else(|| invalid("sku", "a SKU code"))?;
    let store = &console.app.store;
    let mut overrides = store
        .list_channel_rules(&principal.tenant)
        .await?
        .into_iter()
        .find(|r| r.channel == channel)
        .map(|r| r.overrides)
        .unwrap_or_default();
    let quantity = number(&fields, "quantity")?;
    match field(&fields, "mode").as_deref() {
        None => overrides.remove(&sku),
        Some("fixed") => overrides.insert(sku, SkuOverride::Fixed(quantity)),
        Some("cap") => overrides.insert(sku, SkuOverride::Cap(quantity)),
        Some(_) => return Err(invalid("mode", "fixed, cap, or none")),
    };
    let body = ChannelRuleBody {
        channel: None,
        ratio_permille: number(&fields, "ratio_permille")?,
        buffer: number(&fields, "buffer")?,
        overrides,
    };
    let rule = channel_rule(channel, body)?;
    store
        .put_channel_rule(&principal.tenant, &rule, chrono::Utc::now())
        .await?;
    console.app.feed.bump();
    // The page shows every channel's quantity, which the rule just changed.
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert("hx-refresh", HeaderValue::from_static("true"));
    Ok(response)
}

/// The content of the field `name` of a `multipart/form-data` body (RFC 7578): the parts
/// sit between `--boundary` lines, each with its headers, a blank line, then its bytes.
fn multipart_field<'a>(content_type: &str, body: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    let boundary = params
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"'))?;
    let delimiter = format!("--{boundary}");
    let mut rest = &body[find(body, delimiter.as_bytes())? + delimiter.len()..];
    loop {
        if rest.starts_with(b"--") {
            return None;
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let end = find(rest, format!("\r\n{delimiter}").as_bytes())?;
        let part = &rest[..end];
        rest = &rest[end + 2 + delimiter.len()..];
        let split = find(part, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&part[..split]);
        let named = head.lines().any(|line| {
            let Some((key, value)) = line.split_once(':') else {
                return false;
            };
            key.trim().eq_ignore_ascii_case("content-disposition")
                && value
                    .split(';')
                    .filter_map(|p| p.trim().split_once('='))
                    .any(|(k, v)| k.eq_ignore_ascii_case("name") && v.trim_matches('"') == name)
        });
        if named {
            return Some(&part[split + 4..]);
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_part_of_a_multipart_body_is_found() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n\
                     --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n\
                     Content-Type: text/csv\r\n\r\nwarehouse,sku,on_hand\r\nHZ,A,1\r\n\r\n--XyZ--\r\n";
        let content_type = "multipart/form-data; boundary=XyZ";
        assert_eq!(
            multipart_field(content_type, body, "file"),
            Some(&b"warehouse,sku,on_hand\r\nHZ,A,1\r\n"[..])
        );
        assert_eq!(multipart_field(content_type, body, "note"), Some(&b"hello"[..]));
        assert_eq!(multipart_field(content_type, body, "other"), None);
        assert_eq!(multipart_field("text/csv", body, "file"), None);
    }
}
