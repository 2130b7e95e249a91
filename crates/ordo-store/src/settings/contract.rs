//! The connection contract every store adapter must keep: connections per tenant (two
//! tenants may use the same code), versions bumped by each change and only by a change,
//! a file never overriding what a person saved, lookup by global id, and resealing that
//! loses to a concurrent change. Expanded per adapter by
//! [`crate::settings_contract_tests!`].

use std::sync::Arc;

use chrono::Duration;
use ordo_core::TenantId;
use serde_json::json;
use uuid::Uuid;

pub use super::contract_users::*;
use crate::Store;
use crate::settings::connections::{Connection, ConnectionKind, SOURCE_API, SOURCE_CONFIG};
use crate::stock::contract::{acme, now};

/// Expands the connection contract into `#[tokio::test]`s for one adapter.
#[macro_export]
macro_rules! settings_contract_tests {
    ($factory:path) => {
        $crate::settings_contract_tests!(@each $factory;
            connections_are_kept_per_tenant_under_the_same_code,
            a_connection_version_moves_only_when_something_changed,
            a_file_never_overrides_a_connection_saved_through_the_api,
            resealing_loses_to_a_concurrent_change,
            policies_are_versioned_per_tenant_and_a_stale_save_is_a_conflict,
            drift_baselines_add_up_per_tenant_and_mapping,
            users_sessions_and_views_belong_to_their_tenant,
            sessions_end_with_a_new_password_or_a_disabled_user
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::settings::contract::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

fn globex() -> TenantId {
    TenantId::parse("globex").unwrap()
}

fn channel(code: &str, url: &str, source: &str) -> Connection {
    Connection {
        id: Uuid::now_v7(),
        kind: ConnectionKind::Channel,
        code: code.into(),
        settings: json!({"platform": "shopify", "base_url": url}),
        sealed: Some(format!("sealed-for-{url}")),
        fingerprint: Some(format!("fp-{url}")),
        secrets_set_at: None,
        paused: false,
        version: 0,
        source: source.into(),
        updated_by: "tester".into(),
        updated_at: now(),
    }
}

async fn tenants(store: &dyn Store) {
    store.ensure_tenant(&acme(), "Acme", now()).await.unwrap();
    store.ensure_tenant(&globex(), "Globex", now()).await.unwrap();
}

pub async fn connections_are_kept_per_tenant_under_the_same_code(store: Arc<dyn Store>) {
    tenants(store.as_ref()).await;
    let a = store
        .put_connection(&acme(), &channel("shopify", "http://a", SOURCE_API), now())
        .await
        .unwrap();
    let g = store
        .put_connection(&globex(), &channel("shopify", "http://g", SOURCE_API), now())
        .await
        .unwrap();
    assert_ne!(a.id, g.id);
    assert_eq!(a.version, 1);
    assert_eq!(a.secrets_set_at, Some(now()), "credentials given now were set now");
    let listed = store.list_connections(&acme(), ConnectionKind::Channel).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].settings["base_url"], "http://a");
    assert!(
        store
            .list_connections(&acme(), ConnectionKind::Warehouse)
            .await
            .unwrap()
            .is_empty()
    );
    let (tenant, found) = store.connection_by_id(g.id).await.unwrap().unwrap();
    assert_eq!(
        (tenant, found.settings["base_url"].clone()),
        (globex(), json!("http://g"))
    );
    assert_eq!(store.all_connections().await.unwrap().len(), 2);
    assert_eq!(store.connection_stamps().await.unwrap().len(), 2);
    assert!(
        store
            .delete_connection(&acme(), ConnectionKind::Channel, "shopify")
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_connection(&acme(), ConnectionKind::Channel, "shopify")
            .await
            .unwrap()
    );
    let left = store
        .get_connection(&globex(), ConnectionKind::Channel, "shopify")
        .await;
    assert_eq!(
        left.unwrap().unwrap().id,
        g.id,
        "deleting one tenant's leaves the other's"
    );
}

pub async fn a_connection_version_moves_only_when_something_changed(store: Arc<dyn Store>) {
    tenants(store.as_ref()).await;
    let first = store
        .put_connection(&acme(), &channel("shop", "http://a", SOURCE_CONFIG), now())
        .await
        .unwrap();
    let same = store
        .put_connection(
            &acme(),
            &channel("shop", "http://a", SOURCE_CONFIG),
            now() + Duration::seconds(5),
        )
        .await
        .unwrap();
    assert_eq!(same.version, 1, "the same connection again is no change");
    assert_eq!(same.id, first.id, "an existing connection keeps its id");
    let mut paused = channel("shop", "http://a", SOURCE_CONFIG);
    paused.paused = true;
    let later = now() + Duration::seconds(10);
    let changed = store.put_connection(&acme(), &paused, later).await.unwrap();
    assert_eq!((changed.version, changed.paused), (2, true));
    assert_eq!(changed.secrets_set_at, Some(now()), "the credentials did not change");
    let rekeyed = store
        .put_connection(&acme(), &channel("shop", "http://b", SOURCE_CONFIG), later)
        .await
        .unwrap();
    assert_eq!(rekeyed.version, 3);
    assert_eq!(rekeyed.secrets_set_at, Some(later), "new credentials, new time");
}

pub async fn a_file_never_overrides_a_connection_saved_through_the_api(store: Arc<dyn Store>) {
    tenants(store.as_ref()).await;
    store
        .put_connection(&acme(), &channel("shop", "http://file", SOURCE_CONFIG), now())
        .await
        .unwrap();
    let saved = store
        .put_connection(&acme(), &channel("shop", "http://person", SOURCE_API), now())
        .await
        .unwrap();
    assert_eq!((saved.version, saved.source.as_str()), (2, SOURCE_API));
    let after = store
        .put_connection(&acme(), &channel("shop", "http://file", SOURCE_CONFIG), now())
        .await
        .unwrap();
    assert_eq!(after.settings["base_url"], "http://person");
    assert_eq!(after.version, 2);
}

pub async fn resealing_loses_to_a_concurrent_change(store: Arc<dyn Store>) {
    tenants(store.as_ref()).await;
    let c = store
        .put_connection(&acme(), &channel("shop", "http://a", SOURCE_API), now())
        .await
        .unwrap();
    assert!(
        store
            .reseal_connection(&acme(), c.id, c.version, "resealed")
            .await
            .unwrap()
    );
    let got = store
        .get_connection(&acme(), ConnectionKind::Channel, "shop")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.sealed.as_deref(), got.version), (Some("resealed"), 1));
    assert!(
        !store.reseal_connection(&globex(), c.id, c.version, "x").await.unwrap(),
        "another tenant's"
    );
    assert!(
        !store
            .reseal_connection(&acme(), c.id, c.version + 1, "x")
            .await
            .unwrap(),
        "a stale version"
    );
}

pub async fn policies_are_versioned_per_tenant_and_a_stale_save_is_a_conflict(store: Arc<dyn Store>) {
    use crate::settings::policies::PolicyVersion;
    tenants(store.as_ref()).await;
    let version = |body: Option<&str>, by: &str| PolicyVersion {
        kind: "rules".into(),
        version: 0,
        body: body.map(str::to_owned),
        changes: format!("+{body:?}"),
        note: Some("why".into()),
        restored_from: None,
        created_by: by.into(),
        created_at: now(),
    };
    assert!(store.policy_version(&acme(), "rules", None).await.unwrap().is_none());
    let first = store
        .save_policy(&acme(), &version(Some("a = 1"), "ann"), 0, now())
        .await
        .unwrap();
    assert_eq!(
        (first.version, first.body.as_deref(), first.created_by.as_str()),
        (1, Some("a = 1"), "ann")
    );
    let later = now() + Duration::seconds(1);
    let second = store
        .save_policy(&acme(), &version(None, "bob"), 1, later)
        .await
        .unwrap();
    assert_eq!((second.version, second.body, second.created_at), (2, None, later));
    // A save made from version 1 after version 2 exists would undo it unseen.
    let stale = store
        .save_policy(&acme(), &version(Some("a = 3"), "cy"), 1, later)
        .await;
    assert!(matches!(stale, Err(crate::StoreError::Conflict(_))), "{stale:?}");
    let mut restore = version(Some("a = 1"), "cy");
    restore.restored_from = Some(1);
    let third = store.save_policy(&acme(), &restore, 2, later).await.unwrap();
    assert_eq!((third.version, third.restored_from), (3, Some(1)));
    // Another tenant's policy of the same kind is its own.
    store
        .save_policy(&globex(), &version(Some("g = 1"), "gil"), 0, now())
        .await
        .unwrap();
    let history: Vec<i64> = store
        .policy_history(&acme(), "rules")
        .await
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(history, [3, 2, 1]);
    let old = store.policy_version(&acme(), "rules", Some(2)).await.unwrap().unwrap();
    assert_eq!(old.created_by, "bob");
    let current = store.policy_version(&acme(), "rules", None).await.unwrap().unwrap();
    assert_eq!(current.version, 3);
    let in_force: Vec<(String, i64)> = store
        .policies_in_force()
        .await
        .unwrap()
        .into_iter()
        .map(|(t, v)| (t.as_str().to_owned(), v.version))
        .collect();
    assert_eq!(in_force, [("acme".to_owned(), 3), ("globex".to_owned(), 1)]);
    let stamps: Vec<i64> = store.policy_stamps().await.unwrap().iter().map(|s| s.version).collect();
    assert_eq!(stamps, [3, 1]);
}

pub async fn drift_baselines_add_up_per_tenant_and_mapping(store: Arc<dyn Store>) {
    use crate::channels::baselines::PAYLOADS;
    use std::collections::BTreeMap;
    tenants(store.as_ref()).await;
    let counts =
        |pairs: &[(&str, i64)]| -> BTreeMap<String, i64> { pairs.iter().map(|(f, n)| ((*f).to_owned(), *n)).collect() };
    assert!(store.drift_baseline(&acme(), "shopify").await.unwrap().is_empty());
    store
        .add_drift_counts(
            &acme(),
            "shopify",
            &counts(&[(PAYLOADS, 2), ("id", 2), ("note", 1)]),
            now(),
        )
        .await
        .unwrap();
    // A second node adds what it saw; nothing is overwritten.
    store
        .add_drift_counts(&acme(), "shopify", &counts(&[(PAYLOADS, 1), ("id", 1)]), now())
        .await
        .unwrap();
    store
        .add_drift_counts(&globex(), "shopify", &counts(&[(PAYLOADS, 1), ("sku", 1)]), now())
        .await
        .unwrap();
    assert_eq!(
        store.drift_baseline(&acme(), "shopify").await.unwrap(),
        counts(&[(PAYLOADS, 3), ("id", 3), ("note", 1)])
    );
    assert_eq!(
        store.drift_baseline(&globex(), "shopify").await.unwrap(),
        counts(&[(PAYLOADS, 1), ("sku", 1)])
    );
    assert!(store.drift_baseline(&acme(), "woo").await.unwrap().is_empty());
}
