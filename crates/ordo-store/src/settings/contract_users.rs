//! The user contract: a login names one user across tenants, a tenant sees only its own
//! users and views, a session is found by its key only while its user is enabled, and a
//! new password or a disabled user ends every session.

use std::sync::Arc;

use chrono::Duration;
use ordo_core::TenantId;
use ordo_core::auth::Role;
use uuid::Uuid;

use crate::Store;
use crate::settings::users::{SavedView, Session, User, UserChange};
use crate::stock::contract::{acme, now};

fn user(tenant: &TenantId, login: &str, role: Role) -> User {
    User {
        id: Uuid::now_v7(),
        tenant: tenant.clone(),
        login: login.into(),
        name: format!("Name of {login}"),
        role,
        language: "zh-CN".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        disabled: false,
        created_at: now(),
    }
}

fn session(user: &User) -> Session {
    Session {
        key: format!("key-{}", Uuid::now_v7()),
        user_id: user.id,
        csrf: format!("csrf-{}", Uuid::now_v7()),
        created_at: now(),
        seen_at: now(),
    }
}

/// Users, sessions and views per tenant.
pub async fn users_sessions_and_views_belong_to_their_tenant(store: Arc<dyn Store>) {
    let other = TenantId::parse("globex").unwrap();
    // Logins are global; a shared database keeps them apart by a run-unique suffix.
    let run = Uuid::now_v7().simple().to_string();
    let ana = user(&acme(), &format!("ana-{run}"), Role::Operator);
    let bo = user(&other, &format!("bo-{run}"), Role::Viewer);
    store.create_user(&ana).await.unwrap();
    store.create_user(&bo).await.unwrap();

    let taken = user(&other, &ana.login, Role::Admin);
    assert!(matches!(
        store.create_user(&taken).await,
        Err(crate::StoreError::Conflict(_))
    ));

    assert_eq!(store.user_by_login(&ana.login).await.unwrap().unwrap(), ana);
    assert!(
        store.user(&other, ana.id).await.unwrap().is_none(),
        "another tenant's user"
    );
    assert!(
        store
            .list_users(&other)
            .await
            .unwrap()
            .iter()
            .all(|u| u.tenant == other)
    );

    let view = SavedView {
        screen: "orders".into(),
        name: "held on taobao".into(),
        query: "status=held&channel=taobao".into(),
    };
    store.save_view(&acme(), ana.id, &view, now()).await.unwrap();
    let replaced = SavedView {
        query: "status=held".into(),
        ..view.clone()
    };
    store.save_view(&acme(), ana.id, &replaced, now()).await.unwrap();
    assert_eq!(
        store.list_views(&acme(), ana.id, "orders").await.unwrap(),
        vec![replaced]
    );
    assert!(store.list_views(&other, ana.id, "orders").await.unwrap().is_empty());
    store.delete_view(&other, ana.id, "orders", &view.name).await.unwrap();
    assert_eq!(store.list_views(&acme(), ana.id, "orders").await.unwrap().len(), 1);
    store.delete_view(&acme(), ana.id, "orders", &view.name).await.unwrap();
    assert!(store.list_views(&acme(), ana.id, "orders").await.unwrap().is_empty());

    let err = store
        .change_user(
            &other,
            ana.id,
            &UserChange {
                role: Some(Role::Admin),
                ..UserChange::default()
            },
        )
        .await;
    assert!(matches!(err, Err(crate::StoreError::NotFound(_))), "{err:?}");
}

/// Sessions live while their user is enabled and the password unchanged.
pub async fn sessions_end_with_a_new_password_or_a_disabled_user(store: Arc<dyn Store>) {
    let run = Uuid::now_v7().simple().to_string();
    let ana = user(&acme(), &format!("ana-s-{run}"), Role::Operator);
    store.create_user(&ana).await.unwrap();

    let first = session(&ana);
    store.create_session(&first).await.unwrap();
    let (found, who) = store.session(&first.key).await.unwrap().unwrap();
    assert_eq!((found.csrf.as_str(), who.id), (first.csrf.as_str(), ana.id));
    store
        .touch_session(&first.key, now() + Duration::minutes(5))
        .await
        .unwrap();
    let (seen, _) = store.session(&first.key).await.unwrap().unwrap();
    assert_eq!(seen.seen_at, now() + Duration::minutes(5));

    let changed = store
        .change_user(
            &acme(),
            ana.id,
            &UserChange {
                password_hash: Some("$argon2id$v=19$new".into()),
                language: Some("en".into()),
                ..UserChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((changed.language.as_str(), changed.role), ("en", Role::Operator));
    assert!(
        store.session(&first.key).await.unwrap().is_none(),
        "a new password ends sessions"
    );

    let second = session(&ana);
    store.create_session(&second).await.unwrap();
    store
        .change_user(
            &acme(),
            ana.id,
            &UserChange {
                disabled: Some(true),
                ..UserChange::default()
            },
        )
        .await
        .unwrap();
    assert!(store.session(&second.key).await.unwrap().is_none());
    assert!(store.user_by_login(&ana.login).await.unwrap().unwrap().disabled);

    let third = session(&ana);
    store.create_session(&third).await.unwrap();
    assert!(
        store.session(&third.key).await.unwrap().is_none(),
        "a disabled user has no session"
    );
    store
        .change_user(
            &acme(),
            ana.id,
            &UserChange {
                disabled: Some(false),
                ..UserChange::default()
            },
        )
        .await
        .unwrap();
    assert!(store.session(&third.key).await.unwrap().is_some());
    store.end_session(&third.key).await.unwrap();
    assert!(store.session(&third.key).await.unwrap().is_none());
}
