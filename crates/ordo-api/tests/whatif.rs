//! The routing what-if over HTTP, on both stores: three warehouses around China, a handful
//! of orders to Hangzhou, and a candidate configuration that ships every order in one
//! package, ranked by priority instead of distance.

mod common;

use common::{TestApp, example_with};
use ordo_routing::{GeoPoint, haversine_km};
use serde_json::{Value, json};

on_both_stores_with_stock!(
    a_candidate_is_compared_with_the_configuration_in_force_and_nothing_changes,
    the_window_counts_only_orders_that_ship,
    a_broken_candidate_or_window_is_refused_with_where,
    the_configuration_in_force_is_shown,
);

/// One package per order, lowest priority number first, everything priced at 10.00.
const CANDIDATE: &str = r#"
[[rule]]
name = "one-package-by-priority"
rank = ["priority", "distance", "cost", "stock_balance"]
max_shipments = 1

[[cost]]
from = "*"
to = "*"
first_kg = "10.00"
per_kg = "1.00"
currency = "CNY"
"#;

/// (code, latitude, longitude, region, priority)
const WAREHOUSES: [(&str, f64, f64, &str, i64); 3] = [
    ("SH", 31.2304, 121.4737, "CN-SH", 2),
    ("BJ", 39.9042, 116.4074, "CN-BJ", 1),
    ("GZ", 23.1291, 113.2644, "CN-GD", 3),
];

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn what_if(app: &TestApp, query: &str, toml: &str) -> (u16, Value) {
    send(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/routing/what-if{query}"),
        toml.to_owned(),
    )
    .await
}

/// SH and BJ stock mugs; GZ stocks tees and BJ has the one tee left elsewhere.
async fn stock(app: &TestApp) {
    for (code, lat, lng, region, priority) in WAREHOUSES {
        let body = json!({"name": code, "latitude": lat, "longitude": lng, "region": region, "priority": priority});
        let path = format!("/api/v1/warehouses/{code}");
        assert_eq!(send(app, reqwest::Method::PUT, &path, body.to_string()).await.0, 200);
    }
    for sku in ["MUG-01", "TEE-RED-M"] {
        let path = format!("/api/v1/skus/{sku}");
        let body = json!({"name": sku}).to_string();
        assert_eq!(send(app, reqwest::Method::PUT, &path, body).await.0, 200);
    }
    let changes = json!([
        {"warehouse": "SH", "sku": "MUG-01", "op": "receive", "quantity": 100},
        {"warehouse": "BJ", "sku": "MUG-01", "op": "receive", "quantity": 100},
        {"warehouse": "BJ", "sku": "TEE-RED-M", "op": "receive", "quantity": 1},
        {"warehouse": "GZ", "sku": "TEE-RED-M", "op": "receive", "quantity": 100},
    ]);
    let (status, body) = send(app, reqwest::Method::POST, "/api/v1/stock/changes", changes.to_string()).await;
    assert_eq!(status, 200, "{body}");
}

/// Posts an order to Hangzhou, placed `minute` minutes into the day; returns its id.
async fn order(app: &TestApp, minute: u32, lines: Value, financial_status: &str) -> String {
    let body = example_with(|v| {
        v["external_id"] = json!(format!("W-{minute}"));
        v["placed_at"] = json!(format!("2026-11-22T10:{minute:02}:00+08:00"));
        v["financial_status"] = json!(financial_status);
        v["lines"] = lines;
        v["shipping_address"]["line1"] = json!(format!("文三路 {minute} 号"));
    });
    let response = app.post_order(&app.admin, body).await;
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
}

fn line(sku: &str, quantity: u32) -> Value {
    json!({"sku": sku, "quantity": quantity, "unit_price": "10.00"})
}

/// Four orders that ship, oldest first: a mug; a mug and a tee (only BJ has both, and then
/// no tee left); the same again (now a split under the rules in force); two tees.
async fn orders(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    ids.push(order(app, 1, json!([line("MUG-01", 1)]), "paid").await);
    ids.push(order(app, 2, json!([line("MUG-01", 1), line("TEE-RED-M", 1)]), "paid").await);
    ids.push(order(app, 3, json!([line("MUG-01", 1), line("TEE-RED-M", 1)]), "paid").await);
    ids.push(order(app, 4, json!([line("TEE-RED-M", 2)]), "paid").await);
    ids
}

/// Every order's status and version, and every stock level.
async fn snapshot(app: &TestApp, ids: &[String]) -> Value {
    let mut orders = Vec::new();
    for id in ids {
        let (_, order) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
        orders.push(json!([order["status"], order["version"]]));
    }
    let mut stock = Vec::new();
    for sku in ["MUG-01", "TEE-RED-M"] {
        stock.push(app.get_json(&app.admin, &format!("/api/v1/availability/{sku}")).await.1);
    }
    json!({"orders": orders, "stock": stock})
}

/// Kilometres from a warehouse to the address of every order (Hangzhou, Xihu district).
fn km(code: &str) -> f64 {
    let hangzhou = ordo_geo::locate("CN", Some("浙江省"), Some("杭州市"), Some("西湖区")).unwrap();
    let (_, lat, lng, _, _) = WAREHOUSES.into_iter().find(|w| w.0 == code).unwrap();
    let to = GeoPoint {
        lat: hangzhou.point.lat,
        lng: hangzhou.point.lng,
    };
    haversine_km(GeoPoint { lat, lng }, to)
}

fn summary(report: &Value, side: &str) -> [i64; 6] {
    let s = &report[side];
    [
        "orders",
        "routed",
        "unroutable",
        "shipments",
        "split_orders",
        "total_cost_minor",
    ]
    .map(|k| s[k].as_i64().unwrap())
}

fn assert_km(actual: &Value, expected: f64) {
    let actual = actual.as_f64().unwrap();
    assert!((actual - expected).abs() < 1e-6, "{actual} km, expected {expected}");
}

async fn a_candidate_is_compared_with_the_configuration_in_force_and_nothing_changes(app: TestApp) {
    stock(&app).await;
    let ids = orders(&app).await;
    let before = snapshot(&app, &ids).await;

    let (status, report) = what_if(&app, "", CANDIDATE).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["mode"], "consume");
    // In force: SH (nearest); BJ (the only one with both); SH + GZ; GZ. At 8.00 a package.
    assert_eq!(summary(&report, "current"), [4, 4, 0, 5, 1, 4000]);
    assert_km(
        &report["current"]["total_distance_km"],
        km("SH") + km("BJ") + km("SH") + km("GZ") + km("GZ"),
    );
    // Candidate: BJ (priority); BJ; nothing ships in one package any more; GZ. At 10.00.
    assert_eq!(summary(&report, "candidate"), [4, 3, 1, 3, 0, 3000]);
    assert_km(
        &report["candidate"]["total_distance_km"],
        km("BJ") + km("BJ") + km("GZ"),
    );
    let delta = &report["delta"];
    assert_eq!(
        ["routed", "unroutable", "shipments", "split_orders", "total_cost_minor"].map(|k| delta[k].as_i64().unwrap()),
        [-1, 1, -2, -1, -1000]
    );
    assert_km(&delta["total_distance_km"], km("BJ") - 2.0 * km("SH") - km("GZ"));
    assert_eq!(report["changed_orders"], json!([ids[0], ids[2]]));
    let changed = &report["changed"];
    assert_eq!(changed[0]["order_id"], ids[0].as_str());
    assert_eq!(changed[0]["external_id"], "W-1");
    assert_eq!(
        (&changed[0]["current"], &changed[0]["candidate"]),
        (&json!(["SH"]), &json!(["BJ"]))
    );
    assert_eq!(
        (&changed[1]["current"], &changed[1]["candidate"]),
        (&json!(["GZ", "SH"]), &Value::Null)
    );

    // Every order sees the starting stock: BJ still has its tee for the third order, so
    // both ship it from BJ in one package and only the first order changes.
    let (status, fixed) = what_if(&app, "?mode=fixed", CANDIDATE).await;
    assert_eq!(status, 200, "{fixed}");
    assert_eq!(fixed["mode"], "fixed");
    assert_eq!(summary(&fixed, "current"), [4, 4, 0, 4, 0, 3200]);
    assert_eq!(summary(&fixed, "candidate"), [4, 4, 0, 4, 0, 4000]);
    assert_eq!(fixed["changed_orders"], json!([ids[0]]));

    // The configuration in force against itself changes nothing.
    let (_, shown) = app.get_json(&app.admin, "/api/v1/routing").await;
    let (status, same) = what_if(&app, "", shown["toml"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same["current"], same["candidate"]);
    assert_eq!(same["changed"], json!([]));

    assert_eq!(snapshot(&app, &ids).await, before, "a what-if changes nothing");
}

async fn the_window_counts_only_orders_that_ship(app: TestApp) {
    stock(&app).await;
    let ids = orders(&app).await;
    // Newer than all of them: one cancelled, one not paid. Neither is replayed.
    let cancelled = order(&app, 5, json!([line("MUG-01", 1)]), "paid").await;
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/orders/{cancelled}/cancel"),
        "",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    order(&app, 6, json!([line("MUG-01", 1)]), "pending").await;

    let (status, report) = what_if(&app, "?last=3", CANDIDATE).await;
    assert_eq!(status, 200, "{report}");
    // The second to fourth orders. In force: BJ; SH + GZ; GZ. Candidate: BJ; none; GZ.
    assert_eq!(summary(&report, "current"), [3, 3, 0, 4, 1, 3200]);
    assert_eq!(summary(&report, "candidate"), [3, 2, 1, 2, 0, 2000]);
    assert_eq!(report["changed_orders"], json!([ids[2]]));
}

async fn a_broken_candidate_or_window_is_refused_with_where(app: TestApp) {
    let broken = "[[rule]]\nname = \"a\"\nrank = [\"speed\"]\n";
    let (status, body) = what_if(&app, "", broken).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_config");
    let problem = body["error"]["details"][0]["message"].as_str().unwrap();
    assert!(problem.starts_with("body:3:"), "{problem}");
    assert!(problem.contains("rule[0].rank[0]"), "{problem}");

    let (status, body) = what_if(&app, "", "[[rule]\nname = 1\n").await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("body:1:"), "{body}");

    for query in ["?last=0", "?last=10001"] {
        let (status, body) = what_if(&app, query, CANDIDATE).await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (400, &json!("invalid_parameter")),
            "{query}"
        );
        assert!(
            body["error"]["message"].as_str().unwrap().starts_with("last: "),
            "{body}"
        );
    }
    let (status, body) = what_if(&app, "?mode=greedy", CANDIDATE).await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("invalid_parameter")));
}

async fn the_configuration_in_force_is_shown(app: TestApp) {
    let (status, shown) = app.get_json(&app.admin, "/api/v1/routing").await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["source"], "built-in");
    assert!(shown["toml"].as_str().unwrap().contains("[[rule]]"));
    assert_eq!(shown["config"]["rules"][0]["name"], "domestic-single");
    assert_eq!(shown["config"]["currency"], "CNY");
}
