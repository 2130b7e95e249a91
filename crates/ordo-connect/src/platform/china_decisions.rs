//! The seller's decision on an after-sale the platform opened, written back (outbox topic
//! `channel.aftersale`).
//!
//! We have no live access to these platforms: every call below is written from the
//! platforms' published API documentation and the public SDKs generated from it.
//!
//! | Platform | approve | refuse | refund recorded |
//! |---|---|---|---|
//! | Taobao | `taobao.rp.refunds.agree` (`refund_infos`: `refund_id\|amount`), a return: `taobao.rp.returngoods.agree` (`refund_id`) | `taobao.refund.refuse` (`refund_id`, `refuse_message`) | `taobao.rp.refunds.agree` with the amount in fen |
//! | Douyin | `afterSale/operate` `type` 201 (仅退款) or 101 (退货), `items[].aftersale_id` | `type` 202 or 102 | `type` 111 (退货后同意退款) for goods that came back, 201 otherwise |
//!
//! Pinduoduo's open platform documents no seller call that agrees to or refuses an
//! after-sale (they are handled in the merchant back office), nor do JD's POP order API and
//! Xiaohongshu's order API in what Ordo reads of them: their messages are dropped with why.
//!
//! Delivery is at least once: a repeated decision finds the after-sale already in the
//! state it asked for, which the platforms answer as success or as "status not allowed";
//! the latter is a permanent refusal that the outbox keeps with its message.

use serde_json::{Map, Value, json};

use super::china_spec::Kind;
use crate::writeback::AfterSaleDecision;

/// Whether Ordo's case kind sends goods back to the seller.
fn goods_back(kind: Option<&str>) -> bool {
    matches!(kind, Some("return_refund" | "exchange"))
}

impl Kind {
    /// The call that tells the platform the seller's decision on its after-sale
    /// `channel_case_id`, or why the platform has none.
    pub fn aftersale_call(
        self,
        channel_case_id: &str,
        decision: AfterSaleDecision,
        reason: Option<&str>,
        amount: Option<i64>,
        kind: Option<&str>,
    ) -> Result<(&'static str, Map<String, Value>), String> {
        let agree = |amount: Option<i64>| {
            let infos = match amount {
                Some(amount) => format!("{channel_case_id}|{amount}"),
                None => channel_case_id.to_owned(),
            };
            ("taobao.rp.refunds.agree", json!({ "refund_infos": infos }))
        };
        let (method, business) = match (self, decision) {
            (Self::Taobao, AfterSaleDecision::Approve) if goods_back(kind) => {
                ("taobao.rp.returngoods.agree", json!({ "refund_id": channel_case_id }))
            }
            (Self::Taobao, AfterSaleDecision::Approve) => agree(amount),
            (Self::Taobao, AfterSaleDecision::Refund) => agree(amount),
            (Self::Taobao, AfterSaleDecision::Refuse) => (
                "taobao.refund.refuse",
                json!({
                    "refund_id": channel_case_id,
                    "refuse_message": reason.filter(|r| !r.trim().is_empty()).unwrap_or("卖家拒绝退款"),
                }),
            ),
            (Self::Douyin, decision) => {
                let code = match (decision, goods_back(kind)) {
                    (AfterSaleDecision::Approve, true) => 101,
                    (AfterSaleDecision::Refuse, true) => 102,
                    (AfterSaleDecision::Refund, true) => 111,
                    (AfterSaleDecision::Approve | AfterSaleDecision::Refund, false) => 201,
                    (AfterSaleDecision::Refuse, false) => 202,
                };
                let mut item = json!({ "aftersale_id": channel_case_id });
                if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
                    item["remark"] = json!(reason);
                }
                ("afterSale.operate", json!({ "type": code, "items": [item] }))
            }
            (Self::Pinduoduo, _) => {
                return Err(why(
                    self,
                    "Pinduoduo's open platform has no seller call to agree to or refuse an after-sale",
                ));
            }
            (Self::Jd, _) => return Err(why(self, "JD's POP order API has no after-sale review call")),
            (Self::Xiaohongshu, _) => {
                return Err(why(self, "Xiaohongshu's after-sale review calls are not built"));
            }
        };
        match business {
            Value::Object(map) => Ok((method, map)),
            _ => Ok((method, Map::new())),
        }
    }
}

fn why(kind: Kind, reason: &str) -> String {
    format!("after-sale decisions on {} ({reason})", kind.platform())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_decision_has_its_documented_call() {
        let call = |kind: Kind, decision, case_kind| {
            kind.aftersale_call("120000000000000002", decision, Some("used"), Some(1990), case_kind)
                .map(|(method, business)| (method, Value::Object(business)))
        };
        assert_eq!(
            call(Kind::Taobao, AfterSaleDecision::Approve, Some("refund_only")).unwrap(),
            (
                "taobao.rp.refunds.agree",
                json!({"refund_infos": "120000000000000002|1990"})
            )
        );
        assert_eq!(
            call(Kind::Taobao, AfterSaleDecision::Approve, Some("return_refund"))
                .unwrap()
                .0,
            "taobao.rp.returngoods.agree"
        );
        assert_eq!(
            call(Kind::Taobao, AfterSaleDecision::Refuse, None).unwrap(),
            (
                "taobao.refund.refuse",
                json!({"refund_id": "120000000000000002", "refuse_message": "used"})
            )
        );
        assert_eq!(
            call(Kind::Douyin, AfterSaleDecision::Refuse, Some("refund_only")).unwrap(),
            (
                "afterSale.operate",
                json!({"type": 202, "items": [{"aftersale_id": "120000000000000002", "remark": "used"}]})
            )
        );
        assert_eq!(
            call(Kind::Douyin, AfterSaleDecision::Approve, Some("exchange"))
                .unwrap()
                .1["type"],
            101
        );
        for kind in [Kind::Pinduoduo, Kind::Jd, Kind::Xiaohongshu] {
            assert!(call(kind, AfterSaleDecision::Approve, None).is_err());
        }
    }
}
