//! Magento 2 / Adobe Commerce REST API `V1`, with an integration's access token
//! (`Authorization: Bearer`).
//!
//! `GET /rest/V1/orders` with search criteria answers whole orders (`items`, each one
//! `sales-order` as the `magento.order` mapping reads it) and `total_count`. Orders are
//! filtered by `updated_at >= window start`, sorted by `updated_at` ascending and paged
//! by number; the page count comes from `total_count`, because Magento answers a page
//! past the end with the last page again. An order modified while the poll pages moves
//! to the end, so the same [`PageShift`] as BigCommerce's holds the cursor back.
//!
//! Ordo knows an order by its increment id (the order number the shop shows); the
//! shipment and cancel calls take the entity id, so a write-back first finds the order
//! by its increment id. Shapes follow Adobe's REST reference and order tutorial; they
//! are tested against that documentation and the simulator, not a live shop.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};

use super::bigcommerce::PageShift;
use super::{Ctx, array_at, id_text};
use crate::ConnectError;
use crate::config::ChannelConfig;
use crate::cursor::Window;
use crate::http::{Reply, by_status, json_request};
use crate::writeback::{TrackingLine, WriteBack};

/// The REST prefix of the default store view.
const API: [&str; 2] = ["rest", "V1"];

/// One Magento shop.
#[derive(Debug)]
pub(crate) struct Magento {
    token: String,
}

/// The query of `GET /V1/orders`: one filter, one sort order, one page.
fn search_criteria(field: &str, condition: &str, value: String, page: u32, size: u32) -> Vec<(String, String)> {
    let filter = "searchCriteria[filter_groups][0][filters][0]";
    vec![
        (format!("{filter}[field]"), field.to_owned()),
        (format!("{filter}[value]"), value),
        (format!("{filter}[condition_type]"), condition.to_owned()),
        ("searchCriteria[sortOrders][0][field]".into(), "updated_at".into()),
        ("searchCriteria[sortOrders][0][direction]".into(), "ASC".into()),
        ("searchCriteria[pageSize]".into(), size.to_string()),
        ("searchCriteria[currentPage]".into(), page.to_string()),
    ]
}

impl Magento {
    pub fn new(config: &ChannelConfig) -> Self {
        Self {
            token: config.access_token.clone().unwrap_or_default(),
        }
    }

    fn url(ctx: &Ctx<'_>, segments: &[&str]) -> Result<String, ConnectError> {
        let all: Vec<&str> = API.iter().copied().chain(segments.iter().copied()).collect();
        Ok(ctx.url_segments(&all)?.to_string())
    }

    async fn call(
        &self,
        ctx: &Ctx<'_>,
        method: reqwest::Method,
        url: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Reply, ConnectError> {
        ctx.http
            .send(
                ctx.tally,
                |client| {
                    json_request(
                        client,
                        method.clone(),
                        url,
                        query,
                        ("authorization", &format!("Bearer {}", self.token)),
                        body,
                    )
                },
                by_status,
            )
            .await
    }

    pub async fn poll(&self, ctx: &Ctx<'_>, window: Window) -> Result<Option<DateTime<Utc>>, ConnectError> {
        let url = Self::url(ctx, &["orders"])?;
        let size = ctx.config.effective_page_size();
        let (mut newest, mut shift) = (None, PageShift::default());
        let (mut page, mut pages) = (1_u32, 0);
        loop {
            let query = search_criteria("updated_at", "gteq", magento_time(window.from), page, size);
            let body = self.call(ctx, reqwest::Method::GET, &url, &query, None).await?.json()?;
            ctx.page(&mut pages)?;
            let orders = array_at(&body, "/items")?;
            for order in orders {
                let updated = order
                    .get("updated_at")
                    .and_then(Value::as_str)
                    .and_then(parse_magento_time);
                newest = newest.max(updated);
                let id = external_id(order)?;
                shift.see(&id, updated, window.from);
                ctx.ingest(order.clone()).await?;
            }
            let total = body.get("total_count").and_then(Value::as_u64).unwrap_or(0);
            if orders.is_empty() || u64::from(page) * u64::from(size) >= total {
                return Ok(shift.vouched(newest, &ctx.config.code));
            }
            page += 1;
        }
    }

    /// The order whose increment id is `increment_id`.
    async fn find(&self, ctx: &Ctx<'_>, increment_id: &str) -> Result<Value, ConnectError> {
        let url = Self::url(ctx, &["orders"])?;
        let query = search_criteria("increment_id", "eq", increment_id.to_owned(), 1, 1);
        let body = self.call(ctx, reqwest::Method::GET, &url, &query, None).await?.json()?;
        array_at(&body, "/items")?
            .iter()
            .find(|o| o.get("increment_id").and_then(id_text).as_deref() == Some(increment_id))
            .cloned()
            .ok_or_else(|| ConnectError::Rejected {
                code: "unknown_order".into(),
                message: format!("no Magento order has increment id {increment_id:?}"),
            })
    }

    pub async fn fetch_order(&self, ctx: &Ctx<'_>, id: &str) -> Result<Value, ConnectError> {
        self.find(ctx, id).await
    }

    pub async fn push(&self, ctx: &Ctx<'_>, message: &WriteBack) -> Result<(), ConnectError> {
        match message {
            WriteBack::Tracking {
                external_order_id,
                carrier,
                tracking_number,
                lines,
                ..
            } => {
                let order = self.find(ctx, external_order_id).await?;
                let Some(items) = ship_items(&order, lines)? else {
                    // Everything asked for has shipped: a repeated delivery.
                    return Ok(());
                };
                let mut body = json!({
                    "notify": true,
                    "tracks": [{ "track_number": tracking_number, "title": carrier, "carrier_code": carrier }],
                });
                // Without items Magento ships whatever is left of the order.
                if !items.is_empty() {
                    body["items"] = Value::Array(items);
                }
                let url = Self::url(ctx, &["order", &entity_id(&order)?, "ship"])?;
                self.call(ctx, reqwest::Method::POST, &url, &[], Some(&body))
                    .await
                    .map(drop)
            }
            WriteBack::Cancel { external_order_id, .. } => {
                let order = self.find(ctx, external_order_id).await?;
                if order.get("state").and_then(Value::as_str) == Some("canceled") {
                    return Ok(());
                }
                let url = Self::url(ctx, &["orders", &entity_id(&order)?, "cancel"])?;
                let answer = self.call(ctx, reqwest::Method::POST, &url, &[], None).await?.json()?;
                if answer == Value::Bool(true) {
                    Ok(())
                } else {
                    Err(ConnectError::Rejected {
                        code: "not_cancellable".into(),
                        message: format!("Magento would not cancel order {external_order_id} ({answer})"),
                    })
                }
            }
            WriteBack::AfterSale { .. } => Err(ConnectError::Unsupported(
                "after-sale decisions on Magento: Ordo writes back only Taobao's and Douyin's".into(),
            )),
            WriteBack::Stock { sku, quantity } => {
                let url = Self::url(ctx, &["stockItems", sku])?;
                let stock_item = match self.call(ctx, reqwest::Method::GET, &url, &[], None).await {
                    Ok(reply) => reply.json()?,
                    Err(ConnectError::Rejected { code, .. }) if code == "http_404" => {
                        return Err(ConnectError::Rejected {
                            code: "unknown_sku".into(),
                            message: format!("no Magento product has SKU {sku:?}"),
                        });
                    }
                    Err(other) => return Err(other),
                };
                let item_id = stock_item
                    .get("item_id")
                    .and_then(id_text)
                    .ok_or_else(|| ConnectError::BadResponse("stock item without item_id".into()))?;
                let quantity = (*quantity).max(0);
                let body = json!({ "stockItem": { "qty": quantity, "is_in_stock": quantity > 0 } });
                let url = Self::url(ctx, &["products", sku, "stockItems", &item_id])?;
                self.call(ctx, reqwest::Method::PUT, &url, &[], Some(&body))
                    .await
                    .map(drop)
            }
        }
    }
}

/// The `items` of a shipment: empty for "the rest of the order", `None` when nothing
/// asked for is left to ship.
fn ship_items(order: &Value, lines: &[TrackingLine]) -> Result<Option<Vec<Value>>, ConnectError> {
    let number = |item: &Value, key: &str| item.get(key).and_then(Value::as_f64).unwrap_or(0.0);
    let left = |item: &Value| (number(item, "qty_ordered") - number(item, "qty_shipped")).max(0.0) as u32;
    let items = order
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if lines.is_empty() {
        // A child of a configurable or bundle ships with its parent; virtual items never do.
        let any_left = items.iter().any(|item| {
            item.get("parent_item_id").is_none_or(Value::is_null)
                && !item.get("is_virtual").is_some_and(truthy)
                && left(item) > 0
        });
        return Ok(any_left.then(Vec::new));
    }
    let mut wanted = Vec::new();
    for line in lines {
        let item = items
            .iter()
            .find(|i| i.get("item_id").and_then(id_text).as_deref() == Some(line.line_id.as_str()))
            .ok_or_else(|| ConnectError::Rejected {
                code: "unknown_line".into(),
                message: format!("the order has no item {:?} ({})", line.line_id, line.sku),
            })?;
        let quantity = left(item).min(line.quantity);
        if quantity > 0 {
            wanted.push(json!({ "order_item_id": item["item_id"], "qty": quantity }));
        }
    }
    Ok((!wanted.is_empty()).then_some(wanted))
}

/// Magento flags are `true`, `1` or `"1"` depending on the entity.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => s == "1" || s == "true",
        _ => false,
    }
}

fn external_id(order: &Value) -> Result<String, ConnectError> {
    ["increment_id", "entity_id"]
        .iter()
        .find_map(|key| order.get(*key).and_then(id_text))
        .ok_or_else(|| ConnectError::BadResponse("an order without increment_id or entity_id".into()))
}

fn entity_id(order: &Value) -> Result<String, ConnectError> {
    order
        .get("entity_id")
        .and_then(id_text)
        .ok_or_else(|| ConnectError::BadResponse("an order without entity_id".into()))
}

/// Magento's UTC time without an offset ("2017-08-21 22:22:19"), as filters take it.
fn magento_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn parse_magento_time(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_without_an_offset() {
        let at: DateTime<Utc> = "2017-08-21T22:22:19Z".parse().unwrap();
        assert_eq!(magento_time(at), "2017-08-21 22:22:19");
        assert_eq!(parse_magento_time("2017-08-21 22:22:19"), Some(at));
    }

    #[test]
    fn a_whole_order_ships_while_something_is_left() {
        let order = json!({"items": [
            {"item_id": 1, "qty_ordered": 2.0, "qty_shipped": 0.0},
            {"item_id": 2, "parent_item_id": 1, "qty_ordered": 2.0, "qty_shipped": 0.0},
            {"item_id": 3, "qty_ordered": 1.0, "qty_shipped": 0.0, "is_virtual": true},
        ]});
        assert_eq!(ship_items(&order, &[]).unwrap(), Some(vec![]));
        let shipped = json!({"items": [{"item_id": 1, "qty_ordered": 2.0, "qty_shipped": 2.0}]});
        assert_eq!(ship_items(&shipped, &[]).unwrap(), None);
        let line = TrackingLine {
            line_id: "1".into(),
            sku: "S".into(),
            quantity: 5,
        };
        assert_eq!(
            ship_items(&order, std::slice::from_ref(&line)).unwrap(),
            Some(vec![json!({"order_item_id": 1, "qty": 2})])
        );
        assert_eq!(ship_items(&shipped, &[line]).unwrap(), None);
    }
}
