//! The subscription contract every store adapter must keep: subscriptions per tenant,
//! the dispatch cursor as a compare-and-set that writes its deliveries with it, racing
//! dispatchers handing each event over once, the delivery history per subscription, and
//! outbox claims: each due message goes to one of several racing deliverers.
//! Expanded per adapter by [`crate::subscription_contract_tests!`].

use std::sync::Arc;

use chrono::Duration;
use ordo_core::TenantId;
use serde_json::json;
use uuid::Uuid;

use crate::delivery::subscriptions::{SUBSCRIPTION_TOPIC, Subscription};
use crate::stock::contract::{acme, now};
use crate::{NewOutbox, OutboxStatus, Store, StoreError};

/// Expands the subscription contract into `#[tokio::test]`s for one adapter.
#[macro_export]
macro_rules! subscription_contract_tests {
    ($factory:path) => {
        $crate::subscription_contract_tests!(@each $factory;
            subscriptions_are_kept_per_tenant,
            a_subscription_cursor_moves_only_from_where_it_was_with_its_deliveries,
            racing_dispatchers_hand_each_event_to_a_subscription_once,
            deliveries_are_listed_per_subscription_newest_first,
            active_subscriptions_span_tenants_and_skip_deleted_ones,
            racing_claims_take_each_due_message_once_and_an_expired_claim_is_due_again
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::delivery::contract::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

pub(crate) fn other() -> TenantId {
    TenantId::parse("other").unwrap()
}

pub(crate) fn subscription(url: &str, events: &[&str], cursor: i64) -> Subscription {
    Subscription {
        id: Uuid::now_v7(),
        url: url.into(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
        secret: "s3cret".into(),
        active: true,
        description: Some(format!("to {url}")),
        cursor,
        created_at: now(),
    }
}

/// One delivery per feed number, as a dispatcher would write them.
pub(crate) fn deliveries(to: &Subscription, seqs: std::ops::RangeInclusive<i64>) -> Vec<NewOutbox> {
    seqs.map(|seq| NewOutbox {
        id: Uuid::now_v7(),
        topic: SUBSCRIPTION_TOPIC.into(),
        destination: to.id.to_string(),
        payload: json!({ "seq": seq, "type": "order.created", "data": { "n": seq } }),
    })
    .collect()
}

async fn two_tenants<T: Store>(store: &Arc<T>) {
    store.ensure_tenant(&acme(), "Acme", now()).await.unwrap();
    store.ensure_tenant(&other(), "Other", now()).await.unwrap();
}

/// A subscription is stored whole, seen only by its tenant, and deleting it keeps it
/// listed as inactive.
pub async fn subscriptions_are_kept_per_tenant<T: Store>(store: Arc<T>) {
    two_tenants(&store).await;
    let first = subscription("https://a.example/hook", &["order.*", "stock.low"], 7);
    let second = subscription("http://b.example/", &["*"], 0);
    store.create_subscription(&acme(), &first, now()).await.unwrap();
    store.create_subscription(&acme(), &second, now()).await.unwrap();
    let again = store.create_subscription(&acme(), &first, now()).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    assert_eq!(
        store.get_subscription(&acme(), first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.list_subscriptions(&acme()).await.unwrap(),
        [first.clone(), second.clone()]
    );
    assert_eq!(store.get_subscription(&other(), first.id).await.unwrap(), None);
    assert!(store.list_subscriptions(&other()).await.unwrap().is_empty());

    assert!(
        !store.deactivate_subscription(&other(), first.id, now()).await.unwrap(),
        "another tenant cannot delete it"
    );
    assert!(store.deactivate_subscription(&acme(), first.id, now()).await.unwrap());
    assert!(
        !store.deactivate_subscription(&acme(), first.id, now()).await.unwrap(),
        "already deleted"
    );
    let listed = store.list_subscriptions(&acme()).await.unwrap();
    assert_eq!(
        listed.iter().map(|s| (s.id, s.active)).collect::<Vec<_>>(),
        [(first.id, false), (second.id, true)]
    );
    assert_eq!(listed[0].secret, first.secret, "the secret stays for the history");
}

/// The cursor moves only from the number the dispatcher read, and the deliveries commit
/// with it or not at all; a deleted subscription's cursor no longer moves.
pub async fn a_subscription_cursor_moves_only_from_where_it_was_with_its_deliveries<T: Store>(store: Arc<T>) {
    two_tenants(&store).await;
    let sub = subscription("https://a.example/hook", &["*"], 0);
    store.create_subscription(&acme(), &sub, now()).await.unwrap();
    let moved = store
        .advance_subscription_cursor(&acme(), sub.id, 0, 3, &deliveries(&sub, 1..=3), now())
        .await
        .unwrap();
    assert!(moved);
    let stale = store
        .advance_subscription_cursor(&acme(), sub.id, 0, 5, &deliveries(&sub, 1..=5), now())
        .await
        .unwrap();
    assert!(!stale, "the cursor is at 3, not 0");
    let wrong_tenant = store
        .advance_subscription_cursor(&other(), sub.id, 3, 5, &deliveries(&sub, 4..=5), now())
        .await
        .unwrap();
    assert!(!wrong_tenant);
    assert_eq!(store.list_deliveries(&acme(), sub.id, 100).await.unwrap().len(), 3);
    assert_eq!(
        store.get_subscription(&acme(), sub.id).await.unwrap().unwrap().cursor,
        3
    );

    // Events that match nothing still move the cursor, with no deliveries.
    assert!(
        store
            .advance_subscription_cursor(&acme(), sub.id, 3, 9, &[], now())
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_subscription(&acme(), sub.id).await.unwrap().unwrap().cursor,
        9
    );

    let due = store.due_outbox(SUBSCRIPTION_TOPIC, now(), 100).await.unwrap();
    assert_eq!(due.len(), 3, "deliveries are due at once");
    assert!(
        due.iter()
            .all(|m| m.destination == sub.id.to_string() && m.tenant == "acme")
    );
    assert!(due.iter().all(|m| m.status == OutboxStatus::Pending && m.attempts == 0));

    store.deactivate_subscription(&acme(), sub.id, now()).await.unwrap();
    let after_delete = store
        .advance_subscription_cursor(&acme(), sub.id, 9, 10, &deliveries(&sub, 10..=10), now())
        .await
        .unwrap();
    assert!(!after_delete, "a deleted subscription receives nothing more");
    assert_eq!(store.list_deliveries(&acme(), sub.id, 100).await.unwrap().len(), 3);
}

/// Dispatchers racing from the same cursor: exactly one hands the events over.
pub async fn racing_dispatchers_hand_each_event_to_a_subscription_once<T: Store>(store: Arc<T>) {
    two_tenants(&store).await;
    let sub = subscription("https://a.example/hook", &["*"], 0);
    store.create_subscription(&acme(), &sub, now()).await.unwrap();
    let mut racers = Vec::new();
    for _ in 0..8 {
        let (store, sub) = (store.clone(), sub.clone());
        racers.push(tokio::spawn(async move {
            // A store may ask for a retry when it loses a race; a dispatcher would just try
            // again on its next round, from the cursor it then reads.
            match store
                .advance_subscription_cursor(&acme(), sub.id, 0, 4, &deliveries(&sub, 1..=4), now())
                .await
            {
                Ok(moved) => moved,
                Err(StoreError::Retryable(_)) => false,
                Err(e) => panic!("{e}"),
            }
        }));
    }
    let mut winners = 0;
    for racer in racers {
        winners += usize::from(racer.await.unwrap());
    }
    assert_eq!(winners, 1);
    let handed_over = store.list_deliveries(&acme(), sub.id, 100).await.unwrap();
    let mut seqs: Vec<i64> = handed_over.iter().map(|m| m.payload["seq"].as_i64().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, [1, 2, 3, 4]);
}

/// Each subscription sees its own deliveries, newest first, with their attempts.
pub async fn deliveries_are_listed_per_subscription_newest_first<T: Store>(store: Arc<T>) {
    two_tenants(&store).await;
    let first = subscription("https://a.example/hook", &["*"], 0);
    let second = subscription("https://b.example/hook", &["*"], 0);
    for sub in [&first, &second] {
        store.create_subscription(&acme(), sub, now()).await.unwrap();
        store
            .advance_subscription_cursor(&acme(), sub.id, 0, 2, &deliveries(sub, 1..=2), now())
            .await
            .unwrap();
    }
    let listed = store.list_deliveries(&acme(), first.id, 100).await.unwrap();
    let seqs: Vec<i64> = listed.iter().map(|m| m.payload["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [2, 1]);
    assert!(listed.iter().all(|m| m.destination == first.id.to_string()));
    assert_eq!(store.list_deliveries(&acme(), first.id, 1).await.unwrap().len(), 1);
    assert!(store.list_deliveries(&other(), first.id, 100).await.unwrap().is_empty());

    let later = now() + Duration::seconds(2);
    store
        .finish_outbox(
            listed[0].id,
            OutboxStatus::Pending,
            later,
            Some("receiver answered 500"),
        )
        .await
        .unwrap();
    let retried = &store.list_deliveries(&acme(), first.id, 100).await.unwrap()[0];
    assert_eq!(
        (retried.attempts, retried.last_error.as_deref(), retried.next_attempt_at),
        (1, Some("receiver answered 500"), later)
    );
}

/// The dispatcher's list spans tenants and leaves deleted subscriptions out.
pub async fn active_subscriptions_span_tenants_and_skip_deleted_ones<T: Store>(store: Arc<T>) {
    two_tenants(&store).await;
    let kept = subscription("https://a.example/hook", &["*"], 0);
    let deleted = subscription("https://b.example/hook", &["*"], 0);
    let elsewhere = subscription("https://c.example/hook", &["order.*"], 4);
    store.create_subscription(&acme(), &kept, now()).await.unwrap();
    store.create_subscription(&acme(), &deleted, now()).await.unwrap();
    store.create_subscription(&other(), &elsewhere, now()).await.unwrap();
    store.deactivate_subscription(&acme(), deleted.id, now()).await.unwrap();
    let active = store.active_subscriptions().await.unwrap();
    assert_eq!(
        active
            .iter()
            .map(|(t, s)| (t.as_str().to_owned(), s.id, s.cursor))
            .collect::<Vec<_>>(),
        [("acme".to_owned(), kept.id, 0), ("other".to_owned(), elsewhere.id, 4)]
    );
}

/// However many deliverers claim the same due messages at once, each message goes to one
/// of them; a claimed message is not due until its lease ends, then it is due again (a
/// deliverer that died loses nothing); a finished one is never claimed again.
pub async fn racing_claims_take_each_due_message_once_and_an_expired_claim_is_due_again<T: Store>(store: Arc<T>) {
    two_tenants(&store).await;
    let sub = subscription("https://a.example/hook", &["*"], 0);
    store.create_subscription(&acme(), &sub, now()).await.unwrap();
    assert!(
        store
            .advance_subscription_cursor(&acme(), sub.id, 0, 40, &deliveries(&sub, 1..=40), now())
            .await
            .unwrap()
    );
    let at = now() + Duration::seconds(1);
    let lease = at + Duration::seconds(60);
    let due: Vec<Uuid> = store
        .due_outbox(SUBSCRIPTION_TOPIC, at, 100)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(due.len(), 40);
    let claims = (0..4).map(|_| {
        let (store, due) = (store.clone(), due.clone());
        tokio::spawn(async move { store.claim_outbox(&due, at, lease).await.unwrap() })
    });
    let mut taken: Vec<Uuid> = Vec::new();
    for claim in claims {
        taken.extend(claim.await.unwrap());
    }
    taken.sort();
    let mut expected = due.clone();
    expected.sort();
    assert_eq!(taken, expected, "every message claimed exactly once");
    assert!(
        store
            .claim_due(SUBSCRIPTION_TOPIC, at, lease, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // One is finished; the others' lease ends and they are due again, once.
    store
        .finish_outbox(due[0], OutboxStatus::Delivered, lease, None)
        .await
        .unwrap();
    let after = lease + Duration::seconds(1);
    let again = store
        .claim_due(SUBSCRIPTION_TOPIC, after, after + Duration::seconds(60), 100)
        .await
        .unwrap();
    assert_eq!(again.len(), 39);
    assert!(again.iter().all(|m| m.id != due[0]));
    assert!(
        store
            .claim_due(SUBSCRIPTION_TOPIC, after, after + Duration::seconds(60), 100)
            .await
            .unwrap()
            .is_empty()
    );
}
