//! The policy editor: checked as typed, tried before saving, saved with a note, stale
//! saves refused, history and restore.

use crate::console::{Node, order};

/// The version the editor was opened on.
fn replaces(page: &str) -> String {
    page.split("name=\"replaces\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an editor")
        .to_owned()
}

#[tokio::test]
async fn the_editor_checks_as_you_type_refuses_a_stale_save_and_restores_a_version() {
    let node = Node::start().await;
    node.create_user("default", "boss", "admin", "en");
    let boss = node.sign_in("boss").await;

    let index = boss.page("/config").await;
    for kind in ["workflow", "rules", "routing", "consolidation", "inventory", "alerts"] {
        assert!(index.contains(&format!("data-kind=\"{kind}\"")), "{kind}");
    }
    let editor = boss.page("/config/inventory").await;
    assert!(editor.contains("hx-trigger=\"keyup changed delay:400ms\"") && editor.contains("reserve_when"));
    assert_eq!(replaces(&editor), "0", "the node's default is in force");

    // A bad value, then bad TOML: each problem at its line and column.
    let bad = "reserve_when = \"paid\"\non_short = \"sometimes\"\n";
    let checked = boss.post("/config/inventory/check", &[("body", bad)]).await;
    assert_eq!(checked.status(), 200);
    let checked = checked.text().await.unwrap();
    assert!(
        checked.contains("data-at=\"2:12\"") && checked.contains("(2:12)"),
        "{checked}"
    );
    let broken = boss
        .post(
            "/config/inventory/check",
            &[("body", "reserve_when = \"paid\"\nlow_stock_days = = 3\n")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(broken.contains("data-at=\"2:"), "{broken}");
    let fine = boss
        .post("/config/inventory/check", &[("body", "reserve_when = \"placed\"\n")])
        .await
        .text()
        .await
        .unwrap();
    assert!(fine.contains("data-check=\"ok\""), "{fine}");
    let refused = boss
        .post("/config/inventory/save", &[("body", bad), ("replaces", "0")])
        .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("data-at=\"2:12\""));

    // The diff against the version in force, before saving.
    let v1 = "reserve_when = \"placed\"\non_short = \"hold\"\nunpaid_timeout_minutes = 30\nlow_stock_days = 3\n";
    let diff = boss
        .post("/config/inventory/trial", &[("body", v1)])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        diff.contains("data-diff") && diff.contains("+reserve_when = &#34;placed&#34;"),
        "{diff}"
    );

    // Saved from version 0 twice: the second is stale.
    let saved = boss
        .post(
            "/config/inventory/save",
            &[("body", v1), ("replaces", "0"), ("note", "reserve early")],
        )
        .await;
    assert_eq!(saved.status(), 204);
    assert_eq!(saved.headers()["hx-redirect"], "/config/inventory?saved=1");
    let v2 = v1.replace("low_stock_days = 3", "low_stock_days = 5");
    let stale = boss
        .post("/config/inventory/save", &[("body", &v2), ("replaces", "0")])
        .await;
    assert_eq!(stale.status(), 409);
    let stale = stale.text().await.unwrap();
    assert!(
        stale.contains("data-code=\"policy_changed\"") && stale.contains("Reload"),
        "{stale}"
    );
    let editor = boss.page("/config/inventory?saved=1").await;
    assert_eq!(replaces(&editor), "1");
    assert!(editor.contains("data-saved=\"1\"") && editor.contains("reserve early"));
    let saved = boss
        .post("/config/inventory/save", &[("body", &v2), ("replaces", "1")])
        .await;
    assert_eq!(saved.status(), 204);

    // History: both versions with their diffs; version 1 restored as version 3.
    let editor = boss.page("/config/inventory").await;
    assert!(editor.contains("<li data-version=\"2\"") && editor.contains("<li data-version=\"1\""));
    assert!(editor.contains("+low_stock_days = 5"), "each version's diff");
    assert!(editor.contains("data-restore=\"1\"") && !editor.contains("data-restore=\"2\""));
    let restored = boss.post("/config/inventory/restore/1", &[]).await;
    assert_eq!(restored.status(), 204);
    assert_eq!(restored.headers()["hx-redirect"], "/config/inventory?saved=3");
    let editor = boss.page("/config/inventory").await;
    assert_eq!(replaces(&editor), "3");
    assert!(editor.contains("Restored from version v1") && editor.contains("low_stock_days = 3"));
    assert_eq!(boss.post("/config/inventory/restore/9", &[]).await.status(), 404);
    assert_eq!(boss.get("/config/nonsense").await.status(), 404);
}

#[tokio::test]
async fn rules_are_dry_run_and_routing_is_tried_over_recent_orders() {
    let node = Node::start().await;
    node.create_user("default", "ops", "operator", "zh-CN");
    for n in 0..3 {
        node.post_order(&order(&format!("DRY-{n}"))).await;
    }
    let ops = node.sign_in("ops").await;
    let editor = ops.page("/config/rules").await;
    assert!(editor.contains("<html lang=\"zh-CN\">") && editor.contains("用近期订单试运行"));
    assert!(!editor.contains("data-save"), "an operator tries but does not save");
    let rules = "[[rule]]\nname = \"everything\"\nkind = \"order_value_above\"\namount = \"0.01\"\ncurrency = \"CNY\"\noutcome = \"reject\"\n";
    let report = ops.post("/config/rules/trial", &[("body", rules)]).await;
    assert_eq!(report.status(), 200);
    let report = report.text().await.unwrap();
    assert!(
        report.contains("data-totals") && report.contains("检查的订单"),
        "{report}"
    );
    assert!(
        report.contains("DRY-0"),
        "each order the candidate would treat differently: {report}"
    );
    let broken = ops.post("/config/rules/trial", &[("body", "[[rule]\n")]).await;
    assert_eq!(broken.status(), 422);

    let routing = ops.page("/config/routing").await;
    let current = routing
        .split("aria-label=\"routing\"")
        .nth(1)
        .and_then(|rest| rest.split('>').nth(1))
        .and_then(|rest| rest.split("</textarea").next())
        .unwrap()
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let report = ops.post("/config/routing/trial", &[("body", &current)]).await;
    assert_eq!(report.status(), 200);
    assert!(report.text().await.unwrap().contains("data-totals"));
    let saved = ops
        .post("/config/routing/save", &[("body", &current), ("replaces", "0")])
        .await;
    assert_eq!(saved.status(), 403, "saving is for admins");
}

#[tokio::test]
async fn a_viewer_reads_policies_without_forms_and_another_tenant_sees_none_of_them() {
    let node = Node::start().await;
    node.create_user("default", "boss", "admin", "en");
    node.create_user("default", "vic", "viewer", "en");
    node.create_user("globex", "outsider", "admin", "zh-CN");
    let boss = node.sign_in("boss").await;
    let body = "window_minutes = 45\n";
    let saved = boss
        .post(
            "/config/consolidation/save",
            &[("body", body), ("replaces", "0"), ("note", "ours only")],
        )
        .await;
    assert_eq!(saved.status(), 204, "{}", saved.text().await.unwrap());

    let vic = node.sign_in("vic").await;
    let page = vic.page("/config/consolidation").await;
    assert!(page.contains("data-body") && page.contains("window_minutes = 45") && page.contains("ours only"));
    assert!(!page.contains("hx-post=\"/config"), "a viewer sees no forms");
    for path in [
        "/config/consolidation/check",
        "/config/consolidation/trial",
        "/config/consolidation/save",
        "/config/consolidation/restore/1",
    ] {
        assert_eq!(
            vic.post(path, &[("body", body), ("replaces", "1")]).await.status(),
            403,
            "{path}"
        );
    }

    let outsider = node.sign_in("outsider").await;
    let theirs = outsider.page("/config/consolidation").await;
    assert!(theirs.contains("<html lang=\"zh-CN\">") && theirs.contains("配置"));
    assert!(!theirs.contains("ours only") && !theirs.contains("window_minutes = 45"));
    assert!(theirs.contains("name=\"replaces\" value=\"0\""));
    assert_eq!(
        outsider.post("/config/consolidation/restore/1", &[]).await.status(),
        404
    );
}
