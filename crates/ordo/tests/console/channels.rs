//! Channels and warehouses: connections saved through the screen, credentials write-only,
//! health and "poll now".

use std::time::{Duration, Instant};

use crate::console::{Node, TOKEN};

const SECRET: &str = "shpat-never-shown-again-4711";

#[tokio::test]
async fn a_connection_saved_through_the_screen_never_shows_its_secret_back() {
    let node = Node::start().await;
    node.create_user("default", "boss", "admin", "en");
    node.create_user("default", "ops", "operator", "zh-CN");
    let boss = node.sign_in("boss").await;

    let empty = boss.page("/channels").await;
    assert!(empty.contains("<html lang=\"en\">") && empty.contains("No channel connections yet."));
    let form = boss.page("/channels/connection/channel").await;
    assert!(form.contains("name=\"secret.access_token\"") && form.contains("data-secret-state=\"none\""));

    // Nothing answers on this port, so the test call is left out; the node polls it anyway.
    let closed = format!("http://127.0.0.1:{}", crate::server::free_port());
    let saved = boss
        .post(
            "/channels/connection/channel",
            &[
                ("code", "shop-eu"),
                ("platform", "shopify"),
                ("base_url", &closed),
                ("poll_interval_ms", "60000"),
                ("extra", "{\"page_size\": 50}"),
                ("secret.access_token", SECRET),
            ],
        )
        .await;
    assert_eq!(saved.status(), 204, "{}", saved.text().await.unwrap());
    assert_eq!(saved.headers()["hx-redirect"], "/channels?saved=shop-eu");

    let list = boss.page("/channels?saved=shop-eu").await;
    assert!(list.contains("data-channel=\"shop-eu\"") && list.contains("data-saved=\"shop-eu\""));
    let form = boss.page("/channels/connection/channel?code=shop-eu").await;
    assert!(
        !list.contains(SECRET) && !form.contains(SECRET),
        "a stored secret is never shown"
    );
    assert!(
        form.contains("data-secret-state=\"set\"") && form.contains("&#34;page_size&#34;: 50"),
        "{form}"
    );
    assert!(form.contains("name=\"secret.access_token\" value=\"\""));

    // Saved again with the secret left blank: the stored one stays.
    let (_, before) = api(&node, "/api/v1/channels/shop-eu").await;
    let again = boss
        .post(
            "/channels/connection/channel",
            &[
                ("code", "shop-eu"),
                ("platform", "shopify"),
                ("base_url", &closed),
                ("paused", "true"),
            ],
        )
        .await;
    assert_eq!(again.status(), 204);
    let (_, after) = api(&node, "/api/v1/channels/shop-eu").await;
    assert_eq!(after["paused"], true);
    assert_eq!(after["credentials"]["set"], true);
    assert_eq!(
        after["credentials"]["fingerprint"],
        before["credentials"]["fingerprint"]
    );
    assert_eq!(
        after["settings"]["page_size"],
        serde_json::Value::Null,
        "settings are as written"
    );

    // A wrong field is refused with the service's own message.
    let refused = boss
        .post(
            "/channels/connection/channel",
            &[("code", "bad"), ("platform", "nowhere"), ("base_url", &closed)],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("invalid_connection"));
    let refused = boss
        .post(
            "/channels/connection/channel",
            &[
                ("code", "bad"),
                ("platform", "shopify"),
                ("base_url", &closed),
                ("extra", "{\"access_token\": \"x\"}"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 400, "credentials only go in their own fields");

    // A warehouse connection, the same way.
    let warehouse = boss
        .post(
            "/channels/connection/warehouse",
            &[
                ("code", "HZ-01"),
                ("kind", "generic"),
                ("base_url", &closed),
                ("secret.token", SECRET),
                ("secret.secret", "callback-signing-key"),
            ],
        )
        .await;
    assert_eq!(warehouse.status(), 204, "{}", warehouse.text().await.unwrap());
    let started = Instant::now();
    let list = loop {
        let list = boss.page("/channels").await;
        if list.contains("data-breaker=\"closed\"") || started.elapsed() > Duration::from_secs(5) {
            break list;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(list.contains("data-warehouse=\"HZ-01\"") && !list.contains(SECRET));
    assert!(
        list.contains("data-breaker=\"closed\""),
        "the node runs it within a second: {list}"
    );
    let form = boss.page("/channels/connection/warehouse?code=HZ-01").await;
    assert!(!form.contains(SECRET) && !form.contains("callback-signing-key"));

    // Chinese, and an operator may poll but not edit.
    let ops = node.sign_in("ops").await;
    let page = ops.page("/channels").await;
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("仓库连接"));
    assert!(page.contains("data-poll") && !page.contains("/channels/connection/"));
    let polled = ops.post("/channels/poll/shop-eu", &[]).await;
    let status = polled.status();
    let text = polled.text().await.unwrap();
    assert!(
        (status == 409 && text.contains("polled_elsewhere")) || (status == 200 && text.contains("data-polled")),
        "paused, so not polled: {status} {text}"
    );
    assert_eq!(ops.get("/channels/connection/channel").await.status(), 403);
    let forged = ops
        .post(
            "/channels/connection/channel",
            &[("code", "x"), ("platform", "shopify"), ("base_url", &closed)],
        )
        .await;
    assert_eq!(forged.status(), 403);

    let removed = boss
        .post("/channels/connection/channel/delete", &[("code", "shop-eu")])
        .await;
    assert_eq!(removed.status(), 204);
    assert!(!boss.page("/channels").await.contains("data-channel=\"shop-eu\""));
}

/// `GET path` of the API as the default tenant's admin.
async fn api(node: &Node, path: &str) -> (u16, serde_json::Value) {
    let response = node
        .http
        .get(format!("{}{path}", node.server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_viewer_sees_health_without_forms_and_another_tenant_sees_none_of_it() {
    let node = Node::start().await;
    node.create_user("default", "boss", "admin", "en");
    node.create_user("default", "vic", "viewer", "en");
    node.create_user("globex", "outsider", "admin", "en");
    let boss = node.sign_in("boss").await;
    let closed = format!("http://127.0.0.1:{}", crate::server::free_port());
    let saved = boss
        .post(
            "/channels/connection/channel",
            &[
                ("code", "shop"),
                ("platform", "shopify"),
                ("base_url", &closed),
                ("secret.access_token", SECRET),
            ],
        )
        .await;
    assert_eq!(saved.status(), 204);

    let vic = node.sign_in("vic").await;
    let page = vic.page("/channels").await;
    assert!(page.contains("data-channel=\"shop\"") && !page.contains(SECRET));
    assert!(
        !page.contains("hx-post=\"/channels") && !page.contains("/channels/connection/"),
        "no forms for a viewer"
    );
    for (path, form) in [
        ("/channels/poll/shop", vec![]),
        (
            "/channels/connection/channel",
            vec![("code", "shop"), ("platform", "shopify")],
        ),
        ("/channels/connection/channel/delete", vec![("code", "shop")]),
        ("/channels/connection/warehouse", vec![("code", "HZ-01")]),
    ] {
        assert_eq!(vic.post(path, &form).await.status(), 403, "{path}");
    }

    let outsider = node.sign_in("outsider").await;
    let theirs = outsider.page("/channels").await;
    assert!(!theirs.contains("data-channel=\"shop\""));
    assert_eq!(
        outsider.get("/channels/connection/channel?code=shop").await.status(),
        404
    );
    let poll = outsider.post("/channels/poll/shop", &[]).await;
    assert_eq!(poll.status(), 404);
    let removed = outsider
        .post("/channels/connection/channel/delete", &[("code", "shop")])
        .await;
    assert_eq!(removed.status(), 404);
    assert!(boss.page("/channels").await.contains("data-channel=\"shop\""));
}
