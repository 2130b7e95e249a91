//! Stock write-back on the five router platforms as a connector sees it: the lookup by
//! the seller's code, the documented update call refusing an unknown SKU or a negative
//! quantity in the platform's shape, and a right one setting the stock; Taobao's close.

use ordo_sim::{Platform, WriteBackKind};
use serde_json::{Value, json};

use crate::common::{bounded, start, unlimited};
use crate::router::{ROUTERS, error_code, signed};

/// The configured SKU written to (index 1 of the default configuration).
const SKU: &str = "SKU-BLUE-L";

/// The update call for SKU index `i` (a SKU the shop does not have for 99).
fn update(platform: Platform, i: u64, quantity: i64) -> (&'static str, Value) {
    match platform {
        Platform::Taobao => (
            "taobao.item.quantity.update",
            json!({"num_iid": (600_000_000_000u64 + 1).to_string(), "sku_id": (5_000_000_000_000 + i).to_string(),
                "quantity": quantity.to_string(), "type": "1"}),
        ),
        Platform::Jd => (
            "jingdong.stock.write.updateSkuStock",
            json!({"skuId": 100_012_000_000 + i, "stockNum": quantity}),
        ),
        Platform::Douyin => (
            "sku.syncStock",
            json!({"code": if i == 1 { SKU } else { "NO-SUCH-SKU" }, "stock_num": quantity, "incremental": false}),
        ),
        Platform::Pinduoduo => (
            "pdd.goods.quantity.update",
            json!({"goods_id": (300_000_000_000u64 + 1).to_string(), "sku_id": (1_000_000_000_000 + i).to_string(),
                "quantity": quantity.to_string(), "update_type": "1"}),
        ),
        _ => (
            "inventory.syncSkuStock",
            json!({"skuId": format!("65{:022x}", i + 1), "qty": quantity.to_string()}),
        ),
    }
}

/// The stock level of `SKU` as the platform's lookup call reports it (`None` for
/// Douyin, whose update takes the code and which has no lookup here).
async fn level(sim: &ordo_sim::Sim, platform: Platform) -> Option<i64> {
    let (method, biz, pointer) = match platform {
        Platform::Taobao => (
            "taobao.skus.custom.get",
            json!({"outer_id": SKU, "fields": "sku_id,num_iid,outer_id,quantity"}),
            "/skus_custom_get_response/skus/sku/0/quantity",
        ),
        Platform::Jd => (
            "jingdong.sku.read.searchSkuList",
            json!({"outId": SKU}),
            "/jingdong_sku_read_searchSkuList_responce/page/data/0/stockNum",
        ),
        Platform::Douyin => return None,
        Platform::Pinduoduo => (
            "pdd.goods.list.get",
            json!({"outer_id": SKU}),
            "/goods_list_get_response/goods_list/0/sku_list/0/sku_quantity",
        ),
        _ => (
            "product.getDetailSkuList",
            json!({"pageNo": "1", "pageSize": "100"}),
            "/data/data/1/sku/stock",
        ),
    };
    let body = signed(sim, method, biz).await;
    Some(
        body.pointer(pointer)
            .and_then(Value::as_i64)
            .unwrap_or_else(|| panic!("{platform}: {body}")),
    )
}

#[tokio::test]
async fn a_wrong_sku_or_negative_stock_is_refused_in_each_platforms_shape_and_a_right_one_sets_stock() {
    bounded(async {
        for platform in ROUTERS {
            let sim = start(unlimited(platform)).await;
            let initial = sim.config().initial_stock;
            assert_eq!(level(&sim, platform).await.unwrap_or(initial), initial);

            let (method, wrong) = update(platform, 99, 5);
            let refused = signed(&sim, method, wrong).await;
            let unknown = match platform {
                Platform::Taobao => "15",
                Platform::Jd => "66",
                Platform::Douyin => "40005",
                Platform::Pinduoduo => "30000",
                _ => "2001",
            };
            assert_eq!(error_code(platform, &refused), unknown, "{platform}: {refused}");
            if platform == Platform::Taobao {
                assert_eq!(refused["error_response"]["sub_code"], "isv.item-not-exist");
            }

            let (method, negative) = update(platform, 1, -1);
            let refused = signed(&sim, method, negative).await;
            let invalid = match platform {
                Platform::Taobao => "41",
                Platform::Jd => "61",
                Platform::Douyin => "40004",
                Platform::Pinduoduo => "10000",
                _ => "1005",
            };
            assert_eq!(error_code(platform, &refused), invalid, "{platform}: {refused}");
            assert_eq!(level(&sim, platform).await.unwrap_or(initial), initial, "{platform}");
            assert!(sim.writebacks().is_empty(), "{platform}: refusals leave no record");
            assert_eq!(sim.stats().writebacks_rejected, 2, "{platform}");

            let (method, right) = update(platform, 1, 42);
            let answer = signed(&sim, method, right).await;
            let accepted = match platform {
                Platform::Taobao => answer["item_quantity_update_response"]["item"]["num"] == 42,
                Platform::Jd => answer["jingdong_stock_write_updateSkuStock_responce"]["success"] == true,
                Platform::Douyin => answer["code"] == 10000,
                Platform::Pinduoduo => answer["goods_quantity_update_response"]["is_success"] == true,
                _ => answer["data"]["skuStock"]["available"] == 42,
            };
            assert!(accepted, "{platform}: {answer}");
            assert_eq!(level(&sim, platform).await.unwrap_or(42), 42, "{platform}");
            let log = sim.writebacks();
            assert_eq!(log.len(), 1, "{platform}");
            assert_eq!(
                (log[0].kind, log[0].external_id_or_sku.as_str()),
                (WriteBackKind::Stock, SKU)
            );
        }
    })
    .await;
}

#[tokio::test]
async fn douyin_refuses_incremental_stock_without_an_idempotent_id_and_unknown_warehouses() {
    bounded(async {
        let sim = start(unlimited(Platform::Douyin)).await;
        let missing_id = json!({"code": SKU, "stock_num": 3, "incremental": true});
        assert_eq!(
            error_code(Platform::Douyin, &signed(&sim, "sku.syncStock", missing_id).await),
            "40004"
        );
        let warehouse = json!({"code": SKU, "stock_num": 3, "incremental": false, "out_warehouse_id": "WH-EAST"});
        assert_eq!(
            error_code(Platform::Douyin, &signed(&sim, "sku.syncStock", warehouse).await),
            "40004"
        );
        let added = json!({"code": SKU, "stock_num": 3, "incremental": true, "idempotent_id": "msg-1"});
        assert_eq!(signed(&sim, "sku.syncStock", added).await["code"], 10000);
        assert_eq!(sim.writebacks().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn taobao_closes_only_unpaid_trades_and_records_the_cancellation() {
    bounded(async {
        let sim = start(unlimited(Platform::Taobao)).await;
        let unpaid = sim.create_unpaid_orders(1).remove(0).external_id;
        let paid = sim.create_orders(1).remove(0).external_id;
        let close = |tid: &str| json!({"tid": tid, "close_reason": "缺货"});

        let answer = signed(&sim, "taobao.trade.close", close(&unpaid)).await;
        assert_eq!(
            answer["trade_close_response"]["trade"]["tid"],
            unpaid.as_str(),
            "{answer}"
        );
        assert_eq!(sim.order(&unpaid).unwrap()["status"], "TRADE_CLOSED_BY_TAOBAO");
        let log = sim.writebacks();
        assert_eq!(
            (log[0].kind, log[0].external_id_or_sku.as_str()),
            (WriteBackKind::Cancel, unpaid.as_str())
        );

        let again = signed(&sim, "taobao.trade.close", close(&unpaid)).await;
        assert!(
            again["error_response"]["sub_msg"]
                .as_str()
                .unwrap()
                .contains("already closed")
        );
        let refused = signed(&sim, "taobao.trade.close", close(&paid)).await;
        assert_eq!(error_code(Platform::Taobao, &refused), "41", "{refused}");
        let bad_reason = signed(
            &sim,
            "taobao.trade.close",
            json!({"tid": unpaid, "close_reason": "why not"}),
        )
        .await;
        assert_eq!(error_code(Platform::Taobao, &bad_reason), "41");
        assert_eq!(sim.writebacks().len(), 1);
    })
    .await;
}
