//! Amazon order reads: Orders v0 (`getOrders` paged by `NextToken`, `getOrder`,
//! `getOrderItems` with its own budget and `NextToken`) and Orders 2026-01-01
//! (`searchOrders` paged by `paginationToken`, `getOrder`). A token holds the query and
//! the position, so orders created between pages are served later, never skipped.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::amazon::{finish, gate, invalid, order_not_found};
use super::{json_response, pairs_to_map};
use crate::book::{decode_token, encode_token};
use crate::generate::{self, SimOrder, amazon as render};
use crate::state::Shared;

/// The query behind a listing, carried in `NextToken` / `paginationToken`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ListQuery {
    version: u16,
    updated_after: Option<DateTime<Utc>>,
    updated_before: Option<DateTime<Utc>>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    max: usize,
    after: u64,
}

impl ListQuery {
    /// Amazon's bounds are inclusive on both ends.
    fn keeps(&self, o: &SimOrder) -> bool {
        self.updated_after.is_none_or(|t| o.updated_at >= t)
            && self.updated_before.is_none_or(|t| o.updated_at <= t)
            && self.created_after.is_none_or(|t| o.created_at >= t)
            && self.created_before.is_none_or(|t| o.created_at <= t)
    }

    /// Parses a first-page request; `names` are the version's parameter names in the
    /// order updated-after, updated-before, created-after, created-before, page size.
    fn parse(q: &HashMap<String, String>, version: u16, names: [&str; 5]) -> Result<Self, Response> {
        let time = |name: &str| -> Result<Option<DateTime<Utc>>, Response> {
            q.get(name)
                .map(|t| {
                    generate::parse_iso(t, 0)
                        .ok_or_else(|| invalid(&format!("{name} is not a valid ISO 8601 date time")))
                })
                .transpose()
        };
        let query = ListQuery {
            version,
            updated_after: time(names[0])?,
            updated_before: time(names[1])?,
            created_after: time(names[2])?,
            created_before: time(names[3])?,
            max: match q.get(names[4]).map(|m| m.parse::<usize>()) {
                None => 100,
                Some(Ok(n)) if (1..=100).contains(&n) => n,
                Some(_) => return Err(invalid(&format!("{} must be between 1 and 100", names[4]))),
            },
            after: 0,
        };
        match (query.updated_after.is_some(), query.created_after.is_some()) {
            (true, true) => Err(invalid(&format!(
                "Only one of {} or {} may be specified",
                names[2], names[0]
            ))),
            (false, false) => Err(invalid(&format!(
                "Either {} or {} must be specified",
                names[2], names[0]
            ))),
            _ => Ok(query),
        }
    }

    /// The upper bound the answer reports: the one asked for, or the latest update so far.
    fn bound(&self, shared: &Shared) -> (bool, DateTime<Utc>) {
        let by_update = self.updated_after.is_some();
        let asked = if by_update {
            self.updated_before
        } else {
            self.created_before
        };
        let latest = shared.book.lock().expect("book lock").high_water_or(Utc::now());
        (by_update, asked.unwrap_or(latest))
    }
}

fn check_marketplace(shared: &Shared, q: &HashMap<String, String>, name: &str) -> Result<(), Response> {
    match q.get(name) {
        None => Err(invalid(&format!("Missing required parameter {name}"))),
        Some(ids) if ids.split(',').any(|id| id.trim() == shared.ctx.marketplace_id) => Ok(()),
        Some(_) => Err(invalid("Invalid Marketplace ID")),
    }
}

/// The listing shared by both versions: the page and the token for the next one.
fn list(
    shared: &Shared,
    q: &HashMap<String, String>,
    version: u16,
    token: &str,
    names: [&str; 5],
) -> Result<(ListQuery, Vec<Value>, Option<String>), Response> {
    let query = match q.get(token) {
        Some(t) => decode_token::<ListQuery>(t)
            .filter(|query| query.version == version)
            .ok_or_else(|| invalid(&format!("Invalid {token}")))?,
        None => ListQuery::parse(q, version, names)?,
    };
    let book = shared.book.lock().expect("book lock");
    let (page, more) = book.page(query.after, query.max, |o| query.keeps(o));
    let orders = page
        .iter()
        .map(|o| {
            let order = if version == 0 {
                render::v0_order(&shared.ctx, o)
            } else {
                render::order_2026(&shared.ctx, o)
            };
            shared.renamed(order)
        })
        .collect();
    let next = match (more, page.last()) {
        (true, Some(last)) => Some(encode_token(&ListQuery {
            after: last.mseq,
            ..query.clone()
        })),
        _ => None,
    };
    Ok((query, orders, next))
}

pub(super) async fn v0_list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let rate = match gate(&shared, &headers, "getOrders", shared.config.rate_limits.api) {
        Ok(rate) => rate,
        Err(refused) => return refused,
    };
    let q = pairs_to_map(pairs);
    let names = [
        "LastUpdatedAfter",
        "LastUpdatedBefore",
        "CreatedAfter",
        "CreatedBefore",
        "MaxResultsPerPage",
    ];
    let answer =
        check_marketplace(&shared, &q, "MarketplaceIds").and_then(|()| list(&shared, &q, 0, "NextToken", names));
    finish(
        match answer {
            Ok((query, orders, next)) => {
                let mut payload = json!({ "Orders": orders });
                if let Some(next) = next {
                    payload["NextToken"] = json!(next);
                }
                let (by_update, bound) = query.bound(&shared);
                payload[if by_update {
                    "LastUpdatedBefore"
                } else {
                    "CreatedBefore"
                }] = json!(generate::utc_z(bound));
                json_response(StatusCode::OK, &json!({ "payload": payload }))
            }
            Err(refused) => refused,
        },
        rate,
    )
}

pub(super) async fn search_orders(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let rate = match gate(&shared, &headers, "searchOrders", shared.config.rate_limits.api) {
        Ok(rate) => rate,
        Err(refused) => return refused,
    };
    let q = pairs_to_map(pairs);
    let names = [
        "lastUpdatedAfter",
        "lastUpdatedBefore",
        "createdAfter",
        "createdBefore",
        "maxResultsPerPage",
    ];
    let answer = check_marketplace(&shared, &q, "marketplaceIds")
        .and_then(|()| list(&shared, &q, 2026, "paginationToken", names));
    finish(
        match answer {
            Ok((query, orders, next)) => {
                let pagination = next.map_or_else(|| json!({}), |t| json!({ "nextToken": t }));
                let mut body = json!({ "orders": orders, "pagination": pagination });
                let (by_update, bound) = query.bound(&shared);
                body[if by_update {
                    "lastUpdatedBefore"
                } else {
                    "createdBefore"
                }] = json!(generate::utc_z(bound));
                json_response(StatusCode::OK, &body)
            }
            Err(refused) => refused,
        },
        rate,
    )
}

pub(super) async fn v0_get(State(shared): State<Arc<Shared>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let rate = match gate(&shared, &headers, "getOrder", shared.config.rate_limits.order_items) {
        Ok(rate) => rate,
        Err(refused) => return refused,
    };
    let book = shared.book.lock().expect("book lock");
    finish(
        match book.get(&id) {
            Some(o) => json_response(
                StatusCode::OK,
                &json!({"payload": shared.renamed(render::v0_order(&shared.ctx, o))}),
            ),
            None => order_not_found(),
        },
        rate,
    )
}

pub(super) async fn get_order_2026(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let rate = match gate(&shared, &headers, "getOrder", shared.config.rate_limits.order_items) {
        Ok(rate) => rate,
        Err(refused) => return refused,
    };
    let book = shared.book.lock().expect("book lock");
    finish(
        match book.get(&id) {
            Some(o) => json_response(
                StatusCode::OK,
                &json!({"order": shared.renamed(render::order_2026(&shared.ctx, o))}),
            ),
            None => order_not_found(),
        },
        rate,
    )
}

#[derive(Serialize, Deserialize)]
struct ItemsToken {
    order: String,
    offset: usize,
}

pub(super) async fn v0_items(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let rate = match gate(
        &shared,
        &headers,
        "getOrderItems",
        shared.config.rate_limits.order_items,
    ) {
        Ok(rate) => rate,
        Err(refused) => return refused,
    };
    let q = pairs_to_map(pairs);
    let offset = match q.get("NextToken") {
        None => 0,
        Some(t) => match decode_token::<ItemsToken>(t).filter(|t| t.order == id) {
            Some(token) => token.offset,
            None => return finish(invalid("Invalid NextToken"), rate),
        },
    };
    let book = shared.book.lock().expect("book lock");
    let Some(order) = book.get(&id) else {
        return finish(order_not_found(), rate);
    };
    let renames: Vec<_> = shared.renames().iter().filter_map(|r| r.within("OrderItems")).collect();
    let size = shared.config.amazon.order_items_page_size;
    let all = render::v0_items(&shared.ctx, order);
    let items: Vec<Value> = all
        .iter()
        .skip(offset)
        .take(size)
        .cloned()
        .map(|mut item| {
            crate::rename::apply_all(&renames, &mut item);
            item
        })
        .collect();
    let mut payload = json!({"AmazonOrderId": order.external_id, "OrderItems": items});
    if offset + size < all.len() {
        payload["NextToken"] = json!(encode_token(&ItemsToken {
            order: id.clone(),
            offset: offset + size
        }));
    }
    finish(json_response(StatusCode::OK, &json!({ "payload": payload })), rate)
}
