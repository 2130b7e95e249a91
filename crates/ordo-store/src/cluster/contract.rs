//! The lease contract every store adapter must keep: one holder at a time however many
//! race, renewal by the holder, takeover only after expiry (naming whom it replaced),
//! release, and node heartbeats. Expanded per adapter by [`crate::cluster_contract_tests!`].

use std::sync::Arc;

use chrono::Duration;

use crate::Store;
use crate::cluster::leases::{LeaseTake, NodeBeat};
use crate::stock::contract::{acme, now};

/// Expands the lease contract into `#[tokio::test]`s for one adapter.
#[macro_export]
macro_rules! cluster_contract_tests {
    ($factory:path) => {
        $crate::cluster_contract_tests!(@each $factory;
            racing_takers_agree_on_one_holder,
            a_lease_is_taken_over_only_once_expired,
            node_heartbeats_are_listed_while_fresh
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
