//! The after-sale list calls of Taobao, Douyin and Pinduoduo, polled beside their orders
//! with a cursor of their own (`{code}:aftersales`): each record modified in a window is
//! handed to the sink ([`crate::ChannelSink::after_sale`]) one by one, as the platform
//! wrote it. Written from the platforms' documentation (no live access):
//!
//! | Platform | method | window | pages | records |
//! |---|---|---|---|---|
//! | Taobao | `taobao.refunds.receive.get` | `start_modified`, `end_modified` (Beijing time) | `page_no` from 1, `page_size`, `use_has_next` | `refunds_receive_get_response.refunds.refund`, `has_next` |
//! | Douyin | `afterSale.List` (path `/afterSale/List`) | `update_start_time`, `update_end_time` (epoch s) | `page` from 0, `size` | `data.items`, `has_more` |
//! | Pinduoduo | `pdd.refund.list.increment.get` | `start_updated_at`, `end_updated_at` (epoch s, ≤ 30 min) | `page` from 1, `page_size` | `refund_increment_get_response.refund_list`, `total_count` |
//!
//! The lists are paged by number; a record modified while its window is read may move
//! out of it, and the next poll's overlap reads it again. JD and Xiaohongshu are not
//! polled for after-sales yet.

use serde_json::{Map, Value, json};

use super::Ctx;
use super::china::Router;
use super::china_spec::{Kind, beijing};
use crate::ConnectError;
use crate::cursor::Window;

/// The platform's after-sale list method, where Ordo polls one.
pub(crate) fn list_method(kind: Kind) -> Option<&'static str> {
    match kind {
        Kind::Taobao => Some("taobao.refunds.receive.get"),
        Kind::Douyin => Some("afterSale.List"),
        Kind::Pinduoduo => Some("pdd.refund.list.increment.get"),
        Kind::Jd | Kind::Xiaohongshu => None,
    }
}

/// Taobao refund fields asked for: what the after-sale reader takes.
const TAOBAO_REFUND_FIELDS: &str = "refund_id,tid,oid,status,refund_fee,total_fee,has_good_return,good_status,created,modified,num,outer_id,sku,reason,desc";

fn params(kind: Kind, window: Window, page: u64, size: u32) -> Map<String, Value> {
    let (from, to) = (window.from, window.to);
    let value = match kind {
        Kind::Taobao => json!({
            "fields": TAOBAO_REFUND_FIELDS, "start_modified": beijing(from), "end_modified": beijing(to),
            "page_no": page, "page_size": size, "use_has_next": true,
        }),
        Kind::Douyin => json!({
            "update_start_time": from.timestamp(), "update_end_time": to.timestamp(),
            "page": page, "size": size, "order_by": ["update_time asc"],
        }),
        _ => json!({
            "start_updated_at": from.timestamp(), "end_updated_at": to.timestamp(),
            "page": page, "page_size": size, "after_sales_status": 1, "after_sales_type": 1,
        }),
    };
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// One page: its records and whether more follow.
fn read(kind: Kind, body: &Value, page: u64, size: u32) -> Result<(Vec<Value>, bool), ConnectError> {
    let (root, list) = match kind {
        Kind::Taobao => ("/refunds_receive_get_response", "/refunds/refund"),
        Kind::Douyin => ("/data", "/items"),
        _ => ("/refund_increment_get_response", "/refund_list"),
    };
    let r = body
        .pointer(root)
        .ok_or_else(|| ConnectError::BadResponse(format!("no {root} in the answer")))?;
    // An empty result often omits the list altogether.
    let records = r.pointer(list).and_then(Value::as_array).cloned().unwrap_or_default();
    let flag = |v: Option<&Value>| matches!(v, Some(Value::Bool(true))) || v.and_then(Value::as_str) == Some("true");
    let more = match kind {
        Kind::Taobao => flag(r.get("has_next")),
        Kind::Douyin => flag(r.get("has_more")),
        _ => {
            let total = r
                .get("total_count")
                .and_then(|t| t.as_u64().or_else(|| t.as_str().and_then(|s| s.trim().parse().ok())));
            total.is_some_and(|total| page * u64::from(size) < total)
        }
    };
    let more = more && !records.is_empty();
    Ok((records, more))
}

impl Router {
    /// Hands every after-sale record modified in `window` to the sink; `Ok(false)` when the
    /// platform has no after-sale list Ordo polls.
    pub async fn poll_aftersales(&self, ctx: &Ctx<'_>, window: Window) -> Result<bool, ConnectError> {
        let kind = self.kind();
        let Some(method) = list_method(kind) else {
            return Ok(false);
        };
        let size = ctx.config.effective_page_size();
        let mut number = kind.first_page();
        let mut pages = 0;
        loop {
            let body = self.call(ctx, method, &params(kind, window, number, size)).await?;
            ctx.page(&mut pages)?;
            let (records, more) = read(kind, &body, number, size)?;
            for record in records {
                ctx.sink
                    .after_sale(&ctx.config.code, kind.platform().as_str(), record)
                    .await?;
            }
            if !more {
                return Ok(true);
            }
            number += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_say_whether_more_follow() {
        let taobao =
            json!({"refunds_receive_get_response": {"refunds": {"refund": [{"refund_id": 1}]}, "has_next": true}});
        assert!(read(Kind::Taobao, &taobao, 1, 10).unwrap().1);
        let douyin = json!({"code": 10000, "data": {"items": [], "has_more": true}});
        assert_eq!(read(Kind::Douyin, &douyin, 0, 10).unwrap(), (vec![], false));
        let pdd = json!({"refund_increment_get_response": {"refund_list": [{"id": 1}], "total_count": 11}});
        assert!(read(Kind::Pinduoduo, &pdd, 1, 10).unwrap().1);
        assert!(!read(Kind::Pinduoduo, &pdd, 2, 10).unwrap().1);
        assert!(read(Kind::Taobao, &json!({}), 1, 10).is_err());
        assert_eq!(list_method(Kind::Jd), None);
    }
}
