//! A tenant's policies over HTTP, on both stores: checked on save with their line and
//! column, versioned with who and what changed, refused over a newer version, restorable,
//! in force at once for the tenant that saved them and for no other.

mod common;

use common::{Backend, TestApp, example_with, fresh_store};
use ordo_app::MappingRegistry;
use ordo_app::policies::Policies;
use ordo_core::allocation::StockPolicy;
use ordo_core::auth::Role;
use serde_json::{Value, json};

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::spawn(super::Backend::Sqlite).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::spawn(super::Backend::Postgres).await).await;
                }
            )*
        }
    };
}

on_both_stores!(
    a_policy_is_checked_versioned_and_restored,
    each_tenant_runs_under_its_own_policies,
);

/// Review rules that hold only orders without an address: a remark no longer holds.
const ADDRESS_ONLY: &str = "[[rule]]\nname = \"missing-address\"\nkind = \"missing_address\"\noutcome = \"hold\"\n";

/// An app reviewing under the built-in rules, the example order's SKUs in stock.
async fn spawn(backend: Backend) -> TestApp {
    let app = common::spawn_reviewing(
        fresh_store(backend).await,
        Default::default(),
        StockPolicy::default(),
        MappingRegistry::load(None).unwrap(),
        Some(Policies::built_in()),
    )
    .await;
    let admin = app.admin.clone();
    stock(&app, &admin).await;
    app
}

/// The example order's SKUs in stock at HZ-01, for the tenant of `token`.
async fn stock(app: &TestApp, token: &str) {
    let json = |v: Value| v.to_string();
    assert_eq!(
        put(
            app,
            token,
            "/api/v1/warehouses/HZ-01",
            &json(json!({"name": "Hangzhou"}))
        )
        .await
        .0,
        200
    );
    for sku in ["TEE-RED-M", "MUG-01"] {
        let path = format!("/api/v1/skus/{sku}");
        assert_eq!(put(app, token, &path, &json(json!({"name": sku}))).await.0, 200);
    }
    let changes = json!([
        {"warehouse": "HZ-01", "sku": "TEE-RED-M", "op": "receive", "quantity": 100},
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "receive", "quantity": 100},
    ]);
    let (code, _) = send(
        app,
        token,
        reqwest::Method::POST,
        "/api/v1/stock/changes",
        &json(changes),
    )
    .await;
    assert_eq!(code, 200);
}

async fn send(app: &TestApp, token: &str, method: reqwest::Method, path: &str, body: &str) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(token)
        // Policies are TOML; the stock set-up is JSON.
        .header(
            "content-type",
            if body.starts_with(['{', '[']) {
                "application/json"
            } else {
                "application/toml"
            },
        )
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn put(app: &TestApp, token: &str, path: &str, body: &str) -> (u16, Value) {
    send(app, token, reqwest::Method::PUT, path, body).await
}

/// The status of the example order (it carries a remark) posted as `id`.
async fn remark_order(app: &TestApp, token: &str, id: &str) -> String {
    let body = example_with(|v| v["external_id"] = json!(id));
    let response = app.post_order(token, body.to_string()).await;
    let body: Value = response.json().await.unwrap();
    body["status"].as_str().unwrap_or_default().to_owned()
}

async fn a_policy_is_checked_versioned_and_restored(app: TestApp) {
    let admin = app.admin.clone();
    let (code, list) = app.get_json(&admin, "/api/v1/policies").await;
    assert_eq!(code, 200);
    let kinds: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "workflow",
            "rules",
            "routing",
            "consolidation",
            "inventory",
            "alerts",
            "aftersales"
        ]
    );
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|p| p["version"] == 0 && p["in_force"] == "default")
    );
    let (_, rules) = app.get_json(&admin, "/api/v1/policies/rules").await;
    assert!(
        rules["body"].as_str().unwrap().contains("remark-needs-review"),
        "{rules}"
    );
    assert_eq!(remark_order(&app, &admin, "P-1").await, "on_hold");

    // Every problem with where it is; nothing saved.
    let (code, refused) = put(
        &app,
        &admin,
        "/api/v1/policies/rules",
        "[[rule]]\nname = \"x\"\nkind = \"nonsense\"\n",
    )
    .await;
    assert_eq!(code, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "invalid_config");
    assert!(
        refused["error"]["details"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("rules:3:"),
        "{refused}"
    );
    let (code, refused) = put(
        &app,
        &admin,
        "/api/v1/policies/inventory",
        "reserve_when = \"someday\"\n",
    )
    .await;
    assert_eq!(code, 422);
    assert!(
        refused["error"]["message"].as_str().unwrap().contains("inventory:1:16"),
        "{refused}"
    );
    assert_eq!(put(&app, &admin, "/api/v1/policies/secrets", "").await.0, 404);

    let (code, saved) = put(
        &app,
        &admin,
        "/api/v1/policies/rules?note=remarks%20are%20fine",
        ADDRESS_ONLY,
    )
    .await;
    assert_eq!(code, 200, "{saved}");
    assert_eq!(
        (saved["version"].as_i64(), saved["in_force"].as_str()),
        (Some(1), Some("saved"))
    );
    assert_eq!(saved["note"], "remarks are fine");
    assert_eq!(remark_order(&app, &admin, "P-2").await, "allocated", "in force at once");
    // A change made from version 0 would undo version 1 unseen.
    let (code, stale) = put(&app, &admin, "/api/v1/policies/rules?replaces=0", ADDRESS_ONLY).await;
    assert_eq!((code, stale["error"]["code"].as_str()), (409, Some("policy_changed")));

    // Back to the default, then version 1 again: every step is a version.
    let (code, reset) = send(
        &app,
        &admin,
        reqwest::Method::DELETE,
        "/api/v1/policies/rules?replaces=1",
        "",
    )
    .await;
    assert_eq!(
        (code, reset["version"].as_i64(), reset["in_force"].as_str()),
        (200, Some(2), Some("default"))
    );
    assert_eq!(remark_order(&app, &admin, "P-3").await, "on_hold");
    let (code, restored) = send(
        &app,
        &admin,
        reqwest::Method::POST,
        "/api/v1/policies/rules/versions/1/restore",
        "",
    )
    .await;
    assert_eq!((code, restored["version"].as_i64()), (200, Some(3)), "{restored}");
    assert_eq!(remark_order(&app, &admin, "P-4").await, "allocated");
    let (_, history) = app.get_json(&admin, "/api/v1/policies/rules/versions").await;
    let history = history.as_array().unwrap();
    let versions: Vec<i64> = history.iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [3, 2, 1]);
    assert_eq!(history[0]["restored_from"], 1);
    assert_eq!(history[1]["default"], true);
    assert!(history[2]["saved_by"].as_str().is_some_and(|s| !s.is_empty()));
    // What changed, line by line, from the default text.
    let changes = history[2]["changes"].as_str().unwrap();
    assert!(changes.contains("-name = \"remark-needs-review\""), "{changes}");
    assert!(
        changes.contains("rules v0") && changes.contains("rules v1"),
        "{changes}"
    );
    let (_, one) = app.get_json(&admin, "/api/v1/policies/rules/versions/1").await;
    assert_eq!(one["body"], ADDRESS_ONLY);
    assert_eq!(app.get_json(&admin, "/api/v1/policies/rules/versions/9").await.0, 404);
    // Reading is for everyone; changing is for administrators.
    let viewer = app.token("default", Role::Viewer).await;
    assert_eq!(app.get_json(&viewer, "/api/v1/policies/rules").await.0, 200);
    assert_eq!(put(&app, &viewer, "/api/v1/policies/rules", ADDRESS_ONLY).await.0, 403);
}

async fn each_tenant_runs_under_its_own_policies(app: TestApp) {
    let globex = app.token("globex", Role::Admin).await;
    stock(&app, &globex).await;
    let (code, _) = put(&app, &globex, "/api/v1/policies/rules", ADDRESS_ONLY).await;
    assert_eq!(code, 200);
    assert_eq!(remark_order(&app, &globex, "T-1").await, "allocated");
    assert_eq!(
        remark_order(&app, &app.admin, "T-1").await,
        "on_hold",
        "the default tenant's rules are its own"
    );
    let (_, mine) = app.get_json(&app.admin, "/api/v1/policies/rules").await;
    assert_eq!(mine["version"], 0);
    let (_, theirs) = app.get_json(&globex, "/api/v1/rules").await;
    assert_eq!(theirs["source"], "rules v1");
    assert_eq!(theirs["rules"].as_array().unwrap().len(), 1);

    // Routing: the tenant's own configuration is the one its orders are sourced with.
    let (code, _) = put(
        &app,
        &globex,
        "/api/v1/policies/routing",
        ordo_app::whatif::DEFAULT_TOML,
    )
    .await;
    assert_eq!(code, 200);
    let (_, routing) = app.get_json(&globex, "/api/v1/routing").await;
    assert_eq!(routing["source"], "routing v1");
    let (_, routing) = app.get_json(&app.admin, "/api/v1/routing").await;
    assert_eq!(routing["source"], "built-in");

    // An alert secret is sealed before it is kept, and never shown.
    let alerts = "url = \"https://alerts.globex.example/ordo\"\nsecret = \"globex-alert-secret\"\n";
    let (code, saved) = put(&app, &globex, "/api/v1/policies/alerts", alerts).await;
    assert_eq!(code, 200, "{saved}");
    let shown = saved["body"].as_str().unwrap();
    assert!(
        shown.contains("sealed:") && !shown.contains("globex-alert-secret"),
        "{shown}"
    );
    let (_, history) = app.get_json(&globex, "/api/v1/policies/alerts/versions").await;
    assert!(!history.to_string().contains("globex-alert-secret"));
    // Saved again unchanged (the seal as shown), it stays the same version.
    let (_, again) = put(&app, &globex, "/api/v1/policies/alerts", shown).await;
    assert_eq!(again["version"], 1);
    let (_, list) = app.get_json(&app.admin, "/api/v1/policies").await;
    assert!(list.as_array().unwrap().iter().all(|p| p["version"] == 0), "{list}");
}
