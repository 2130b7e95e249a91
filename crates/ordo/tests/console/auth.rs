//! Who may see and do what.

use crate::console::{Node, PASSWORD, order};

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_a_wrong_password_does_not() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "en");

    let anonymous = node
        .http
        .get(format!("{}/orders?status=paid", node.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    assert_eq!(anonymous.headers()["location"], "/login?next=%2Forders%3Fstatus%3Dpaid");

    let wrong = node
        .http
        .post(format!("{}/login", node.server.base))
        .form(&[("login", "ana"), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());

    let response = node
        .http
        .post(format!("{}/login", node.server.base))
        .form(&[("login", "ana"), ("password", PASSWORD), ("next", "//evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/", "only a local path is followed");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let cross_site = node
        .http
        .post(format!("{}/login", node.server.base))
        .header("sec-fetch-site", "cross-site")
        .form(&[("login", "ana"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);

    let session = node.sign_in("ana").await;
    let page = session.page("/orders").await;
    assert!(page.contains("<html lang=\"en\">") && page.contains("Orders"));

    let out = session.post("/logout", &[]).await;
    assert_eq!(out.status(), 204);
    assert_eq!(session.get("/orders").await.status(), 303, "signed out");
}

#[tokio::test]
async fn every_change_needs_the_sessions_csrf_token_and_a_viewer_may_change_nothing() {
    let node = Node::start().await;
    node.create_user("default", "vic", "viewer", "zh-CN");
    node.create_user("default", "ops", "operator", "zh-CN");
    let placed = node.post_order(&order("CSRF-1")).await;
    let id = placed["id"].as_str().unwrap().to_owned();

    let viewer = node.sign_in("vic").await;
    let page = viewer.page("/orders").await;
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("订单"));
    assert!(page.contains("CSRF-1"));
    assert!(!page.contains("value=\"approve\""), "a viewer sees no action buttons");
    let order_page = viewer.page(&format!("/orders/{id}")).await;
    assert!(!order_page.contains("data-actions"));
    let forged = viewer
        .post("/orders/bulk", &[("action", "cancel"), ("order_ids", &id)])
        .await;
    assert_eq!(forged.status(), 403, "the server refuses what the screen hides");

    let operator = node.sign_in("ops").await;
    let mut no_token = operator.clone();
    no_token.csrf = "not-the-token".into();
    let refused = no_token
        .post("/orders/bulk", &[("action", "hold"), ("order_ids", &id)])
        .await;
    assert_eq!(refused.status(), 403);
    // The example's SKU has no stock, so the order waits on hold for a person.
    let approved = operator
        .post("/orders/bulk", &[("action", "approve"), ("order_ids", &id)])
        .await;
    assert_eq!(approved.status(), 200);
    let results = approved.text().await.unwrap();
    assert!(
        results.contains("data-status=") && !results.contains("data-code="),
        "{results}"
    );
}

#[tokio::test]
async fn a_tenant_sees_only_its_own_orders_and_users() {
    let node = Node::start().await;
    node.create_user("default", "own", "admin", "en");
    node.create_user("globex", "other", "admin", "en");
    let placed = node.post_order(&order("MINE-1")).await;
    let id = placed["id"].as_str().unwrap().to_owned();

    let other = node.sign_in("other").await;
    assert!(!other.page("/orders").await.contains("MINE-1"));
    assert_eq!(other.get(&format!("/orders/{id}")).await.status(), 404);
    let users = other.page("/users").await;
    assert!(users.contains("data-user=\"other\"") && !users.contains("data-user=\"own\""));
    let csv = other.get("/orders.csv").await.text().await.unwrap();
    assert!(!csv.contains("MINE-1"));

    let own = node.sign_in("own").await;
    assert!(own.page("/orders").await.contains("MINE-1"));
}
