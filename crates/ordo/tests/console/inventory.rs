//! Inventory: the SKU × warehouse grid, one SKU's page, stock changes, the CSV import and
//! the channel stock rules, roles and tenants.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::console::{Node, Session, TOKEN};

/// Calls the API as the default tenant's admin.
async fn api(node: &Node, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = node
        .http
        .request(method, format!("{}{path}", node.server.base))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Warehouses, and SKUs `SKU-000`… with a low-stock threshold of 5.
async fn catalogue(node: &Node, warehouses: &[&str], skus: usize) {
    for code in warehouses {
        let (status, body) = api(
            node,
            Method::PUT,
            &format!("/api/v1/warehouses/{code}"),
            Some(json!({"name": format!("仓 {code}")})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    for n in 0..skus {
        let (status, body) = api(
            node,
            Method::PUT,
            &format!("/api/v1/skus/SKU-{n:03}"),
            Some(json!({"name": format!("商品 {n}"), "low_stock_threshold": 5})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Sets on hand through the API.
async fn stock(node: &Node, changes: Value) {
    let (status, body) = api(node, Method::POST, "/api/v1/stock/changes", Some(changes)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.as_array().unwrap().iter().all(|r| r["ok"] == true), "{body}");
}

async fn import(session: &Session, csv: &str) -> reqwest::Response {
    let part = Part::bytes(csv.as_bytes().to_vec())
        .file_name("stock.csv")
        .mime_str("text/csv")
        .unwrap();
    session
        .post_multipart("/inventory/import", Form::new().part("file", part))
        .await
}

#[tokio::test]
async fn the_grid_pages_and_filters_in_both_languages_and_marks_low_stock() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "en");
    node.create_user("default", "li", "viewer", "zh-CN");
    catalogue(&node, &["HZ-01", "SH-02"], 30).await;
    let changes: Vec<Value> = (0..30)
        .flat_map(|n| {
            ["HZ-01", "SH-02"].map(|w| {
                // SKU-000 has 1 + 1 units, below its threshold of 5.
                let quantity = if n == 0 { 1 } else { 10 + n };
                json!({"warehouse": w, "sku": format!("SKU-{n:03}"), "op": "set", "quantity": quantity})
            })
        })
        .collect();
    stock(&node, Value::Array(changes)).await;

    let ana = node.sign_in("ana").await;
    let first = ana.page("/inventory").await;
    assert!(first.contains("<html lang=\"en\">") && first.contains("On hand"));
    assert_eq!(first.matches("data-row").count(), 50, "one page of rows");
    let next = first.split("data-next").next().unwrap();
    let href = next.rsplit("href=\"").next().unwrap().split('"').next().unwrap();
    assert!(
        href.contains("after_sku=SKU-024") && href.contains("after_warehouse=SH-02"),
        "{href}"
    );
    let second = ana.page(&href.replace("&#38;", "&")).await;
    assert_eq!(second.matches("data-row").count(), 10);
    assert!(second.contains("data-sku=\"SKU-025\" data-warehouse=\"HZ-01\"") && !second.contains("data-next"));

    let prefix = ana.page("/inventory?sku=SKU-01").await;
    assert_eq!(prefix.matches("data-row").count(), 20);
    assert!(prefix.contains("value=\"SKU-01\""), "the filter stays in the form");
    let one_warehouse = ana.page("/inventory?warehouse=SH-02&sku=SKU-00").await;
    assert_eq!(one_warehouse.matches("data-row").count(), 10);
    assert!(!one_warehouse.contains("data-warehouse=\"HZ-01\""));

    let low = ana.page("/inventory?sku=SKU-000").await;
    assert_eq!(low.matches("data-low").count(), 2, "{low}");
    let row = low
        .split("data-sku=\"SKU-000\" data-warehouse=\"HZ-01\"")
        .nth(1)
        .unwrap();
    assert!(row.contains("data-available>1<"), "{row}");
    assert!(!ana.page("/inventory?sku=SKU-001").await.contains("data-low"));
    assert!(first.contains("data-change-form") && first.contains("hx-encoding=\"multipart/form-data\""));

    let li = node.sign_in("li").await;
    let zh = li.page("/inventory?sku=SKU-02").await;
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("在库") && zh.contains("可用"));
    assert_eq!(zh.matches("data-row").count(), 20);
    assert!(
        !zh.contains("data-change-form") && !zh.contains("data-import-form"),
        "a viewer sees no forms"
    );
    let sku = li.page("/inventory/SKU-000").await;
    assert!(sku.contains("<html lang=\"zh-CN\">") && sku.contains("库存流水") && sku.contains("低库存"));
    assert!(!sku.contains("data-rule-form") && !sku.contains("data-change-form"));
}

#[tokio::test]
async fn a_csv_import_applies_the_good_rows_and_shows_each_refused_line() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "en");
    catalogue(&node, &["HZ-01"], 2).await;
    let session = node.sign_in("ana").await;

    let csv = "warehouse,sku,on_hand\nHZ-01,SKU-000,12\nHZ-01,SKU-001,lots\nHZ-01,NOPE,3\n\nHZ-01,SKU-001,7\n";
    let response = import(&session, csv).await;
    assert_eq!(response.status(), 200);
    let results = response.text().await.unwrap();
    assert!(results.contains("data-applied=\"2\""), "{results}");
    let line = |n: usize| -> String {
        let row = results.split(&format!("data-line=\"{n}\"")).nth(1).unwrap();
        row[..row.find("</tr>").unwrap()].to_owned()
    };
    assert!(line(2).contains("data-ok"));
    assert!(line(3).contains("data-refused") && line(3).contains("data-code=\"invalid\""));
    assert!(
        line(3).contains("lots") && line(3).contains("is not an integer"),
        "{}",
        line(3)
    );
    assert!(line(4).contains("data-code=\"unknown_sku\"") && line(4).contains("NOPE"));
    assert!(line(6).contains("data-ok"), "lines are the file's, blank ones counted");

    // The same numbering and reasons as the API's import of the same file.
    let api_results: Value = node
        .http
        .post(format!("{}/api/v1/stock/import", node.server.base))
        .bearer_auth(TOKEN)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused: Vec<(u64, &str)> = api_results
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ok"] == false)
        .map(|r| (r["row"].as_u64().unwrap(), r["error"]["code"].as_str().unwrap()))
        .collect();
    assert_eq!(refused, [(3, "invalid"), (4, "unknown_sku")]);

    let (_, availability) = api(&node, Method::GET, "/api/v1/availability/SKU-001", None).await;
    assert_eq!(availability["levels"]["HZ-01"]["on_hand"], 7);
    let grid = session.page("/inventory").await;
    let row = grid.split("data-sku=\"SKU-000\"").nth(1).unwrap();
    assert!(row.contains("data-on-hand>12<"), "{row}");

    let wrong = import(&session, "sku,on_hand\nSKU-000,1\n").await;
    assert_eq!(wrong.status(), 400);
    let wrong = wrong.text().await.unwrap();
    assert!(wrong.contains("warehouse,sku,on_hand"), "{wrong}");
}

#[tokio::test]
async fn a_skus_page_changes_stock_and_channel_rules_through_the_apis_rules() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "zh-CN");
    catalogue(&node, &["HZ-01"], 1).await;
    let session = node.sign_in("ana").await;

    let page = session.page("/inventory/SKU-000").await;
    assert!(page.contains("data-total-available>0<") && page.contains("data-change-form"));
    let change = |op: &'static str, quantity: &'static str| {
        let session = session.clone();
        async move {
            let form = [
                ("warehouse", "HZ-01"),
                ("sku", "SKU-000"),
                ("op", op),
                ("quantity", quantity),
                ("reason", "到货"),
                ("reference", "PO-9"),
            ];
            session.post("/inventory/changes", &form).await.text().await.unwrap()
        }
    };
    let received = change("receive", "21").await;
    assert!(
        received.contains("data-ok") && received.contains("data-applied=\"1\""),
        "{received}"
    );
    let refused = change("adjust", "-30").await;
    assert!(
        refused.contains("data-refused") && refused.contains("data-code=\"invalid\""),
        "{refused}"
    );
    let unknown = change("count", "1").await;
    assert!(
        unknown.contains("data-code=\"invalid\"") && unknown.contains("count"),
        "{unknown}"
    );

    let rule = session
        .post(
            "/inventory/rules",
            &[
                ("channel", "web"),
                ("sku", "SKU-000"),
                ("ratio_permille", "500"),
                ("buffer", "2"),
                ("mode", ""),
                ("quantity", "0"),
            ],
        )
        .await;
    assert_eq!(rule.status(), 204);
    let page = session.page("/inventory/SKU-000").await;
    assert!(page.contains("data-total-available>21<"), "{page}");
    let web = page
        .split("data-channel=\"web\"")
        .nth(1)
        .expect("the channel with a rule");
    let web = &web[..web.find("</tr>").unwrap()];
    let (_, seen) = api(&node, Method::GET, "/api/v1/availability/SKU-000?channel=web", None).await;
    assert_eq!(seen["channel"]["sellable"], 8, "⌊21 × 0.5⌋ − 2");
    assert!(web.contains("data-sellable>8<"), "{web}");
    assert!(page.contains("data-movement=\"receipt\"") && page.contains("PO-9"));
    assert!(page.contains("库存流水"));

    let capped = session
        .post(
            "/inventory/rules",
            &[
                ("channel", "web"),
                ("sku", "SKU-000"),
                ("ratio_permille", "500"),
                ("buffer", "2"),
                ("mode", "cap"),
                ("quantity", "3"),
            ],
        )
        .await;
    assert_eq!(capped.status(), 204);
    let (_, seen) = api(&node, Method::GET, "/api/v1/availability/SKU-000?channel=web", None).await;
    assert_eq!(seen["channel"]["sellable"], 3);
    let (_, rules) = api_rules(&node).await;
    assert_eq!(rules[0]["overrides"]["SKU-000"], json!({"mode": "cap", "quantity": 3}));

    let bad = session
        .post(
            "/inventory/rules",
            &[
                ("channel", "web"),
                ("sku", "SKU-000"),
                ("ratio_permille", "1500"),
                ("buffer", "0"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 400);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("ratio_permille 1500 is outside 0..=1000"), "{bad}");
    assert_eq!(session.get("/inventory/NOPE").await.status(), 404);
}

async fn api_rules(node: &Node) -> (u16, Value) {
    api(node, Method::GET, "/api/v1/channels/stock-rules", None).await
}

#[tokio::test]
async fn a_viewer_is_refused_every_change_and_another_tenant_sees_none_of_the_stock() {
    let node = Node::start().await;
    node.create_user("default", "vic", "viewer", "en");
    node.create_user("globex", "gus", "admin", "en");
    catalogue(&node, &["HZ-01"], 1).await;
    stock(
        &node,
        json!([{"warehouse": "HZ-01", "sku": "SKU-000", "op": "set", "quantity": 4}]),
    )
    .await;

    let viewer = node.sign_in("vic").await;
    let change = viewer
        .post(
            "/inventory/changes",
            &[
                ("warehouse", "HZ-01"),
                ("sku", "SKU-000"),
                ("op", "receive"),
                ("quantity", "1"),
            ],
        )
        .await;
    assert_eq!(change.status(), 403);
    let rule = viewer
        .post(
            "/inventory/rules",
            &[
                ("channel", "web"),
                ("sku", "SKU-000"),
                ("ratio_permille", "0"),
                ("buffer", "0"),
            ],
        )
        .await;
    assert_eq!(rule.status(), 403);
    assert_eq!(
        import(&viewer, "warehouse,sku,on_hand\nHZ-01,SKU-000,99\n")
            .await
            .status(),
        403
    );
    let (_, availability) = api(&node, Method::GET, "/api/v1/availability/SKU-000", None).await;
    assert_eq!(availability["available"], 4, "nothing changed");
    assert!(viewer.page("/inventory").await.contains("data-sku=\"SKU-000\""));

    let other = node.sign_in("gus").await;
    let grid = other.page("/inventory").await;
    assert!(!grid.contains("SKU-000") && !grid.contains("HZ-01"));
    assert_eq!(other.get("/inventory/SKU-000").await.status(), 404);
    let results = import(&other, "warehouse,sku,on_hand\nHZ-01,SKU-000,99\n")
        .await
        .text()
        .await
        .unwrap();
    assert!(results.contains("data-code=\"unknown_warehouse\""), "{results}");
    let (_, availability) = api(&node, Method::GET, "/api/v1/availability/SKU-000", None).await;
    assert_eq!(availability["available"], 4);
}
