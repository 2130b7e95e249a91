//! Douyin (抖店) message push at `/api/v1/hooks/douyin/{connection}`: the signature
//! (`event-sign` = MD5 of app key, body and app secret) opens it, a refused batch is kept
//! as rejected, and every verified batch is kept and answered with Douyin's own success
//! body. Fetching the orders a batch names is shown end to end with the simulator in
//! `ordo bench douyin-push`'s test.

mod common;

use common::{Backend, TestApp};
use ordo_app::channel_hooks::douyin::sign;
use serde_json::{Value, json};

const APP_KEY: &str = "7112345678901234567";

/// An app whose node-level Douyin secret (`default` hook path) is [`common::HOOK_SECRET`],
/// standing for a connection's app secret.
async fn spawn_douyin() -> TestApp {
    common::spawn(Backend::Sqlite).await
}

/// Posts a batch signed with `secret`; the status, the answer's text and its inbox entry.
async fn push(app: &TestApp, secret: Option<&str>, body: &Value) -> (u16, String, Option<Value>) {
    let body = serde_json::to_vec(body).unwrap();
    let mut request = app
        .client
        .post(app.url("/api/v1/hooks/douyin/default"))
        .header("app-id", APP_KEY)
        .header("content-type", "application/json");
    if let Some(secret) = secret {
        request = request.header("event-sign", sign(APP_KEY, secret, &body));
    }
    let response = request.body(body).send().await.unwrap();
    let status = response.status().as_u16();
    let inbox = response
        .headers()
        .get("x-ordo-inbox-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.unwrap();
    let inbox_id = inbox.or_else(|| {
        serde_json::from_str::<Value>(&text).ok()?["error"]["inbox_id"]
            .as_str()
            .map(str::to_owned)
    });
    let entry = match inbox_id {
        Some(id) => Some(app.get_json(&app.admin, &format!("/api/v1/inbox/{id}")).await.1),
        None => None,
    };
    (status, text, entry)
}

fn batch(messages: &[(&str, Value)]) -> Value {
    Value::Array(
        messages
            .iter()
            .enumerate()
            .map(|(n, (tag, data))| json!({"tag": tag, "msg_id": format!("70{n}"), "data": data.to_string()}))
            .collect(),
    )
}

#[tokio::test]
async fn a_signed_batch_is_kept_and_answered_with_douyins_success_body() {
    let app = spawn_douyin().await;
    let body = batch(&[
        ("100", json!({"p_id": 6920000000000000010_u64, "shop_id": 1})),
        ("101", json!({"p_id": 6920000000000000020_u64, "shop_id": 1})),
    ]);
    let (status, text, entry) = push(&app, Some(common::HOOK_SECRET), &body).await;
    assert_eq!((status, text.as_str()), (200, r#"{"code":0,"msg":"success"}"#));
    let entry = entry.expect("the batch is in the inbox");
    assert_ne!(entry["status"], "rejected", "{entry}");
    assert_ne!(entry["status"], "failed", "a batch is not an order to fix: {entry}");
}

#[tokio::test]
async fn a_batch_signed_with_another_secret_or_unsigned_is_kept_rejected_and_answered_401() {
    let app = spawn_douyin().await;
    let body = batch(&[("100", json!({"p_id": 1}))]);
    let (status, text, entry) = push(&app, Some("not-the-app-secret"), &body).await;
    assert_eq!(status, 401, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["error"]["code"], "bad_signature", "{answer}");
    assert_eq!(entry.expect("kept")["status"], "rejected");
    let (status, text, _) = push(&app, None, &body).await;
    assert_eq!(status, 401, "no signature: {text}");
    // The app key is signed too: the same signature under another `app-id` is refused.
    let bytes = serde_json::to_vec(&body).unwrap();
    let response = app
        .client
        .post(app.url("/api/v1/hooks/douyin/default"))
        .header("app-id", "another-app")
        .header("event-sign", sign(APP_KEY, common::HOOK_SECRET, &bytes))
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

#[tokio::test]
async fn an_unknown_tag_and_the_registration_check_are_kept_as_noted() {
    let app = spawn_douyin().await;
    for body in [batch(&[("9999", json!({"product_id": 3}))]), batch(&[("0", json!({}))])] {
        let (status, text, entry) = push(&app, Some(common::HOOK_SECRET), &body).await;
        assert_eq!(
            (status, text.as_str()),
            (200, r#"{"code":0,"msg":"success"}"#),
            "{body}"
        );
        // Kept as noted (the inbox shows it processed, with nothing to map or fix).
        assert_eq!(entry.expect("kept")["status"], "processed", "{body}");
    }
}
