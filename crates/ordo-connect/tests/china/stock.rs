//! Stock write-back on each router (the seller's code looked up, then the documented
//! update call, signed) and Taobao's trade close; platform refusals as push errors.

use ordo_connect::{Connector, Platform, PushError, WriteBack};
use serde_json::{Value, json};
use wiremock::MockServer;

use super::common::{MemorySink, config, requests_to, text};
use super::{ALL, id, serve};

const SKU: &str = "TEA-LJ-250G";

fn stock(quantity: i64) -> WriteBack {
    WriteBack::Stock {
        sku: SKU.into(),
        quantity,
    }
}

/// One attempt per call, so that a rate-limit envelope reaches the outbox as a retry.
fn connector(platform: Platform, server: &MockServer) -> Connector {
    let mut config = config(platform.as_str(), platform, &server.uri());
    config.backoff.max_attempts = 1;
    Connector::new(config, MemorySink::new()).unwrap()
}

/// The platform's lookup answer holding `SKU` with ids, or `None` where the update call
/// takes the seller's code itself (Douyin).
fn lookup_answer(platform: Platform) -> Option<Value> {
    Some(match platform {
        Platform::Taobao => json!({"skus_custom_get_response": {"skus": {"sku": [
            {"sku_id": 5000000000007u64, "num_iid": 600000000007u64, "outer_id": SKU}]}}}),
        Platform::Jd => json!({"jingdong_sku_read_searchSkuList_responce": {"code": "0", "page": {"data": [
            {"skuId": 100012000007u64, "outerId": format!("{SKU}-GIFT")},
            {"skuId": 100012000008u64, "outerId": SKU}]}}}),
        Platform::Douyin => return None,
        Platform::Pinduoduo => json!({"goods_list_get_response": {"goods_list": [
            {"goods_id": 300000000007u64, "sku_list": [{"sku_id": 1000000000007u64, "outer_id": SKU}]}]}}),
        _ => json!({"success": true, "data": {"total": 1, "data": [
            {"sku": {"id": "650000000000000000000000a8", "erpCode": SKU}}]}}),
    })
}

#[tokio::test]
async fn stock_goes_to_each_platforms_documented_call_with_the_ids_its_lookup_found() {
    for platform in ALL {
        let (server, router) = serve(platform).await;
        // Below zero is sent as zero: every platform refuses a negative full update.
        for quantity in [-2, 7] {
            // One lookup per message; the update is answered with the default success.
            if let Some(answer) = lookup_answer(platform) {
                router.script(answer);
            }
            connector(platform, &server).push(&stock(quantity)).await.unwrap();
        }

        assert_eq!(*router.bad_signatures.lock().unwrap(), 0, "{platform}");
        let calls = router.calls();
        let update = calls.last().unwrap();
        let (lookup, method, expected) = match platform {
            Platform::Taobao => (
                Some(("taobao.skus.custom.get", "outer_id")),
                "taobao.item.quantity.update",
                json!({"num_iid": 600000000007u64, "sku_id": 5000000000007u64, "quantity": 7}),
            ),
            Platform::Jd => (
                Some(("jingdong.sku.read.searchSkuList", "outId")),
                "jingdong.stock.write.updateSkuStock",
                json!({"skuId": 100012000008u64, "stockNum": 7}),
            ),
            Platform::Douyin => (
                None,
                "sku.syncStock",
                json!({"code": SKU, "stock_num": 7, "incremental": false}),
            ),
            Platform::Pinduoduo => (
                Some(("pdd.goods.list.get", "outer_id")),
                "pdd.goods.quantity.update",
                json!({"goods_id": 300000000007u64, "sku_id": 1000000000007u64, "quantity": 7, "update_type": 1}),
            ),
            _ => (
                Some(("product.getDetailSkuList", "")),
                "inventory.syncSkuStock",
                json!({"skuId": "650000000000000000000000a8", "qty": 7}),
            ),
        };
        assert_eq!(update.method, method, "{platform}");
        assert_eq!(Value::Object(update.business.clone()), expected, "{platform}");
        if platform == Platform::Taobao {
            // `type=1`, a full update (the stand-in files `type` with the system keys,
            // as it is Pinduoduo's method key).
            assert_eq!(update.params["type"], "1");
        }
        // The first message, sent as zero.
        let first_update = calls.iter().find(|c| c.method == method).unwrap();
        let zero = ["quantity", "stockNum", "stock_num", "qty"]
            .iter()
            .find_map(|k| first_update.business.get(*k))
            .unwrap();
        assert_eq!(text(zero), "0", "{platform}");
        match lookup {
            Some((lookup, key)) => {
                assert_eq!(calls[0].method, lookup, "{platform}");
                if !key.is_empty() {
                    assert_eq!(text(&calls[0].business[key]), SKU, "{platform}");
                }
            }
            None => {
                assert_eq!(calls.len(), 2, "Douyin needs no lookup");
                assert_eq!(requests_to(&server, "/sku/syncStock").await.len(), 2);
            }
        }
    }
}

#[tokio::test]
async fn a_sku_the_platform_does_not_know_is_refused_as_unknown_sku() {
    for platform in ALL.into_iter().filter(|p| *p != Platform::Douyin) {
        let (server, router) = serve(platform).await;
        let empty = match platform {
            Platform::Taobao => json!({"skus_custom_get_response": {}}),
            Platform::Jd => json!({"jingdong_sku_read_searchSkuList_responce": {"page": {"data": []}}}),
            Platform::Pinduoduo => json!({"goods_list_get_response": {"goods_list": [], "total_count": 0}}),
            _ => json!({"success": true, "data": {"total": 0, "data": []}}),
        };
        router.script(empty);
        let error = connector(platform, &server).push(&stock(3)).await.unwrap_err();
        assert!(
            matches!(&error, PushError::Permanent { code, .. } if code == "unknown_sku"),
            "{platform}: {error}"
        );
        assert_eq!(router.calls().len(), 1, "{platform}: nothing updated");
    }
}

#[tokio::test]
async fn platform_refusals_of_a_stock_update_become_the_matching_push_errors() {
    let refusals = [
        (
            Platform::Taobao,
            json!({"error_response": {"code": 15, "msg": "Remote service error", "sub_code": "isv.item-not-exist", "sub_msg": "no item"}}),
            "taobao_15",
        ),
        (
            Platform::Jd,
            json!({"error_response": {"code": "66", "zh_desc": "SKU不存在", "en_desc": "no sku"}}),
            "jd_66",
        ),
        (
            Platform::Douyin,
            json!({"code": 40004, "msg": "参数错误", "sub_msg": "stock_num must be at least 0"}),
            "douyin_40004",
        ),
        (
            Platform::Pinduoduo,
            json!({"error_response": {"error_code": 30000, "error_msg": "商品或SKU不存在"}}),
            "pinduoduo_30000",
        ),
        (
            Platform::Xiaohongshu,
            json!({"success": false, "error_code": 2001, "msg": "SKU不存在"}),
            "xiaohongshu_2001",
        ),
    ];
    for (platform, refusal, code) in refusals {
        let (server, router) = serve(platform).await;
        if let Some(answer) = lookup_answer(platform) {
            router.script(answer);
        }
        router.script(refusal);
        let error = connector(platform, &server).push(&stock(5)).await.unwrap_err();
        assert!(
            matches!(&error, PushError::Permanent { code: c, .. } if c == code),
            "{platform}: {error}"
        );
    }
    let limited = [
        (
            Platform::Taobao,
            json!({"error_response": {"code": 7, "msg": "App Call Limited", "sub_code": "accesscontrol.limited-by-app-access-count"}}),
        ),
        (
            Platform::Jd,
            json!({"error_response": {"code": "67", "zh_desc": "调用频率超限"}}),
        ),
        (
            Platform::Douyin,
            json!({"code": 50002, "msg": "请求频率过高，请稍后再试"}),
        ),
        (
            Platform::Pinduoduo,
            json!({"error_response": {"error_code": 70031, "error_msg": "调用过于频繁,请调整调用频率"}}),
        ),
        (
            Platform::Xiaohongshu,
            json!({"success": false, "error_code": 1009, "msg": "请求过于频繁"}),
        ),
    ];
    for (platform, answer) in limited {
        let (server, router) = serve(platform).await;
        if let Some(lookup) = lookup_answer(platform) {
            router.script(lookup);
        }
        router.script(answer);
        let error = connector(platform, &server).push(&stock(5)).await.unwrap_err();
        assert!(matches!(error, PushError::Retry { .. }), "{platform}: {error}");
    }
    let expired = [
        (
            Platform::Taobao,
            json!({"error_response": {"code": 26, "msg": "Invalid session", "sub_code": "isv.invalid-sessionkey"}}),
        ),
        (Platform::Douyin, json!({"code": 30002, "msg": "access_token无效"})),
    ];
    for (platform, answer) in expired {
        let (server, router) = serve(platform).await;
        if let Some(lookup) = lookup_answer(platform) {
            router.script(lookup);
        }
        router.script(answer);
        let error = connector(platform, &server).push(&stock(5)).await.unwrap_err();
        assert!(
            matches!(&error, PushError::Permanent { code, .. } if code == "auth"),
            "{platform}: {error}"
        );
    }
}

#[tokio::test]
async fn taobao_cancellation_closes_the_trade_and_a_repeat_finds_it_closed() {
    let (server, router) = serve(Platform::Taobao).await;
    let connector = connector(Platform::Taobao, &server);
    let cancel = WriteBack::Cancel {
        external_order_id: id(Platform::Taobao, 3),
        reason: Some("inventory".into()),
    };
    router.script(json!({"trade_close_response": {"trade": {"tid": 4012345678900000003u64}}}));
    connector.push(&cancel).await.unwrap();
    let call = router.calls().pop().unwrap();
    assert_eq!(call.method, "taobao.trade.close");
    assert_eq!(text(&call.business["tid"]), id(Platform::Taobao, 3));
    assert_eq!(text(&call.business["close_reason"]), "缺货");

    router.script(json!({"error_response": {"code": 15, "msg": "Remote service error",
        "sub_code": "isv.invalid-parameter", "sub_msg": "the trade is already closed"}}));
    connector.push(&cancel).await.unwrap();
    router.script(json!({"error_response": {"code": 15, "msg": "Remote service error",
        "sub_code": "isv.invalid-parameter", "sub_msg": "only a trade waiting for payment can be closed"}}));
    let error = connector.push(&cancel).await.unwrap_err();
    assert!(matches!(error, PushError::Permanent { .. }), "{error}");
}
