//! The lease contract every store adapter must keep: one holder at a time however many
//! race, renewal by the holder, takeover only after expiry (naming whom it replaced),
//! release, and node heartbeats. Expanded per adapter by [`crate::cluster_contract_tests!`].

use std::sync::Arc;

use chrono::Duration;

use crate::Store;
use crate::cluster::gauges::TenantFigure;
use crate::cluster::leases::{LeaseTake, NodeBeat};
use crate::delivery::contract::{deliveries, other, subscription};
use crate::delivery::records::OutboxStatus;
use crate::delivery::subscriptions::SUBSCRIPTION_TOPIC;
use crate::stock::contract::{acme, now};

/// Expands the lease contract into `#[tokio::test]`s for one adapter.
#[macro_export]
macro_rules! cluster_contract_tests {
    ($factory:path) => {
        $crate::cluster_contract_tests!(@each $factory;
            racing_takers_agree_on_one_holder,
            a_lease_is_taken_over_only_once_expired,
            node_heartbeats_are_listed_while_fresh,
            operations_figures_are_counted_per_tenant,
            a_dead_message_is_queued_again_by_its_own_tenant
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::cluster::contract::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

pub async fn racing_takers_agree_on_one_holder(store: Arc<dyn Store>) {
    let takers: Vec<_> = (0..8)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let holder = format!("node-{n}");
                let take = store
                    .take_lease(
                        "poll:acme:shop",
                        Some(&acme()),
                        &holder,
                        now(),
                        now() + Duration::seconds(10),
                    )
                    .await
                    .unwrap();
                (holder, take)
            })
        })
        .collect();
    let mut results = Vec::new();
    for taker in takers {
        results.push(taker.await.unwrap());
    }
    let held: Vec<_> = results
        .into_iter()
        .filter(|(_, take)| matches!(take, LeaseTake::Held { .. }))
        .collect();
    assert_eq!(held.len(), 1, "exactly one of the racing takers holds it: {held:?}");
    let leases = store.list_leases().await.unwrap();
    assert_eq!(leases.len(), 1);
    assert_eq!(
        (leases[0].holder.clone(), leases[0].tenant.clone()),
        (held[0].0.clone(), Some(acme()))
    );
}

pub async fn a_lease_is_taken_over_only_once_expired(store: Arc<dyn Store>) {
    let t0 = now();
    let ttl = Duration::seconds(10);
    let first = store
        .take_lease("sweeper:stock", None, "a", t0, t0 + ttl)
        .await
        .unwrap();
    assert_eq!(
        first,
        LeaseTake::Held {
            taken_over: None,
            renewed: false
        }
    );
    let t1 = t0 + Duration::seconds(5);
    assert_eq!(
        store
            .take_lease("sweeper:stock", None, "b", t1, t1 + ttl)
            .await
            .unwrap(),
        LeaseTake::Busy
    );
    let renewed = store
        .take_lease("sweeper:stock", None, "a", t1, t1 + ttl)
        .await
        .unwrap();
    assert_eq!(
        renewed,
        LeaseTake::Held {
            taken_over: None,
            renewed: true
        }
    );
    let t2 = t0 + Duration::seconds(14);
    assert_eq!(
        store
            .take_lease("sweeper:stock", None, "b", t2, t2 + ttl)
            .await
            .unwrap(),
        LeaseTake::Busy,
        "the renewal moved the expiry"
    );
    let t3 = t1 + ttl;
    let taken = store
        .take_lease("sweeper:stock", None, "b", t3, t3 + ttl)
        .await
        .unwrap();
    assert_eq!(
        taken,
        LeaseTake::Held {
            taken_over: Some("a".into()),
            renewed: false
        }
    );
    assert!(
        !store.release_lease("sweeper:stock", "a").await.unwrap(),
        "a no longer holds it"
    );
    assert!(store.release_lease("sweeper:stock", "b").await.unwrap());
    let after_release = store
        .take_lease("sweeper:stock", None, "a", t3, t3 + ttl)
        .await
        .unwrap();
    assert_eq!(
        after_release,
        LeaseTake::Held {
            taken_over: Some("b".into()),
            renewed: false
        }
    );
}

pub async fn node_heartbeats_are_listed_while_fresh(store: Arc<dyn Store>) {
    let beat = |id: &str, seen| NodeBeat {
        id: id.into(),
        addr: format!("127.0.0.1:80{}", id.len()),
        started_at: now(),
        seen_at: seen,
    };
    store.beat(&beat("n1", now())).await.unwrap();
    store.beat(&beat("n2", now() - Duration::seconds(60))).await.unwrap();
    store.beat(&beat("n1", now() + Duration::seconds(1))).await.unwrap();
    let fresh = store.nodes_seen_since(now() - Duration::seconds(10)).await.unwrap();
    assert_eq!(fresh.len(), 1);
    assert_eq!(
        (fresh[0].id.as_str(), fresh[0].seen_at),
        ("n1", now() + Duration::seconds(1))
    );
}

/// Operations figures are counted per tenant (two tenants' never add up): outbox messages
/// by topic and status, open holds and failed inbox entries, each with its oldest time.
pub async fn operations_figures_are_counted_per_tenant(store: Arc<dyn Store>) {
    for (tenant, name) in [(acme(), "Acme"), (other(), "Other")] {
        store.ensure_tenant(&tenant, name, now()).await.unwrap();
    }
    let mut written = Vec::new();
    for (tenant, n) in [(acme(), 3), (other(), 2)] {
        let sub = subscription("https://example.test/hook", &["*"], 0);
        store.create_subscription(&tenant, &sub, now()).await.unwrap();
        let messages = deliveries(&sub, 1..=n);
        assert!(
            store
                .advance_subscription_cursor(&tenant, sub.id, 0, n, &messages, now())
                .await
                .unwrap()
        );
        written.push(messages);
    }
    let dead = written[0][0].id;
    store
        .finish_outbox(dead, OutboxStatus::Dead, now(), Some("gave up"))
        .await
        .unwrap();
    let mut figures: Vec<_> = store
        .outbox_figures()
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.tenant, f.topic, f.status, f.count))
        .collect();
    figures.sort();
    let topic = SUBSCRIPTION_TOPIC.to_owned();
    assert_eq!(
        figures,
        vec![
            ("acme".into(), topic.clone(), "dead".into(), 1),
            ("acme".into(), topic.clone(), "pending".into(), 2),
            ("other".into(), topic, "pending".into(), 2),
        ]
    );
    let empty: Vec<TenantFigure> = Vec::new();
    assert_eq!(store.exception_figures().await.unwrap(), empty);
    assert_eq!(store.inbox_figures().await.unwrap(), empty);

    // Acme: one order held by a person, and one payload that failed; Other: neither.
    let item = crate::stock::contract::order("G-1", &[("A", 1)], |_| {});
    let held = match &store.ingest_batch(Arc::new([item]), now()).await.unwrap()[0] {
        crate::IngestResult::Applied { order_id, .. } => *order_id,
        other => panic!("not applied: {other:?}"),
    };
    let hold = crate::OrderAction::Hold { note: "check".into() };
    let later = now() + Duration::minutes(1);
    let done = store
        .order_action(&acme(), held, &hold, Default::default(), "ann", later)
        .await;
    assert!(done.unwrap().is_ok());
    let failed = crate::IngestItem::Failed {
        inbox: crate::NewInbox {
            id: uuid::Uuid::now_v7(),
            tenant: acme(),
            source: "api".into(),
            received_at: later,
            body: b"{".to_vec(),
            channel: None,
            external_id: None,
            write: crate::InboxWrite::Insert,
        },
        error: serde_json::json!({"code": "invalid_json", "message": "EOF"}),
    };
    store.ingest_batch(Arc::new([failed]), later).await.unwrap();
    let seen = |figures: Vec<TenantFigure>| -> Vec<(String, String, i64, bool)> {
        figures
            .into_iter()
            .map(|f| (f.tenant, f.status, f.count, f.oldest == Some(later)))
            .collect()
    };
    assert_eq!(
        seen(store.exception_figures().await.unwrap()),
        [("acme".to_owned(), "open".to_owned(), 1, true)]
    );
    assert_eq!(
        seen(store.inbox_figures().await.unwrap()),
        [("acme".to_owned(), "failed".to_owned(), 1, true)]
    );
}

/// Putting a dead message back: only its own tenant can, and only while it is dead; it is
/// due at once with its attempts counted afresh.
pub async fn a_dead_message_is_queued_again_by_its_own_tenant(store: Arc<dyn Store>) {
    for (tenant, name) in [(acme(), "Acme"), (other(), "Other")] {
        store.ensure_tenant(&tenant, name, now()).await.unwrap();
    }
    let sub = subscription("https://example.test/hook", &["*"], 0);
    store.create_subscription(&acme(), &sub, now()).await.unwrap();
    let messages = deliveries(&sub, 1..=2);
    assert!(
        store
            .advance_subscription_cursor(&acme(), sub.id, 0, 2, &messages, now())
            .await
            .unwrap()
    );
    let (dead, pending) = (messages[0].id, messages[1].id);
    store
        .finish_outbox(dead, OutboxStatus::Dead, now(), Some("gave up"))
        .await
        .unwrap();
    let later = now() + Duration::minutes(5);
    assert!(
        !store.retry_dead(&other(), dead, later).await.unwrap(),
        "another tenant's"
    );
    assert!(!store.retry_dead(&acme(), pending, later).await.unwrap(), "not dead");
    assert!(store.retry_dead(&acme(), dead, later).await.unwrap());
    let listed = store
        .list_outbox(&acme(), None, Some(OutboxStatus::Pending), 10)
        .await
        .unwrap();
    let again = listed.iter().find(|m| m.id == dead).expect("pending again");
    assert_eq!((again.attempts, again.next_attempt_at), (0, later));
    assert_eq!(
        again.last_error.as_deref(),
        Some("gave up"),
        "kept until the next attempt"
    );
    assert!(!store.retry_dead(&acme(), dead, later).await.unwrap(), "no longer dead");
}
