//! The dashboard: the rollups' figures, and a live stream that rings as orders arrive.

use std::time::Duration;

use futures_util::StreamExt;

use crate::console::{Node, order};

#[tokio::test]
async fn the_dashboard_counts_orders_per_channel_and_rings_when_one_arrives() {
    let node = Node::start().await;
    node.create_user("default", "ana", "viewer", "en");
    node.create_user("globex", "gus", "viewer", "en");
    for n in 0..3 {
        node.post_order(&order(&format!("DASH-{n}"))).await;
    }
    let session = node.sign_in("ana").await;
    let page = session.page("/dashboard").await;
    assert!(page.contains("data-kpi=\"orders_in\">3<"), "three orders in today");
    assert!(page.contains("data-kpi=\"oversold\">0<"), "oversold is always shown");
    assert!(page.contains("data-exception=\""), "the held orders, by reason");
    assert!(page.contains("sse-connect=\"/dashboard/live\""));
    let month = session.page("/dashboard?window=30d").await;
    assert!(month.contains("data-kpi=\"orders_in\">3<"));

    let other = node.sign_in("gus").await;
    assert!(
        other.page("/dashboard").await.contains("data-kpi=\"orders_in\">0<"),
        "tenants never mix"
    );

    // The live stream says "tick" after an order arrives.
    let live = session.get("/dashboard/live").await;
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    let mut body = live.bytes_stream();
    node.post_order(&order("DASH-LIVE")).await;
    let tick = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = String::new();
        while let Some(chunk) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            if seen.contains("event: tick") {
                return seen;
            }
        }
        seen
    })
    .await
    .expect("a tick within 10 s");
    assert!(tick.contains("event: tick"));
    let fragment = session.page("/dashboard/figures").await;
    assert!(fragment.contains("data-kpi=\"orders_in\">4<"));
}
