//! Spawning a real API server on 127.0.0.1:0 over a fresh store, and talking to it.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::Utc;
use ordo_api::{AppState, HttpLimits};
use ordo_app::{FeedHub, IngestService, MappingRegistry, Pipeline, PipelineConfig, TokenService};
use ordo_core::TenantId;
use ordo_core::allocation::StockPolicy;
use ordo_core::auth::Role;
use ordo_store::Store;

/// The secret test apps expect platform webhooks to be signed with.
pub const HOOK_SECRET: &str = "test-webhook-secret";

/// Which store a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_url() -> String {
    std::env::var("ORDO_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh, migrated store: a new SQLite file, or a new PostgreSQL schema.
pub async fn fresh_store(backend: Backend) -> Arc<dyn Store> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir").keep();
            let store = ordo_store_sqlite::SqliteStore::open(&format!("sqlite://{}", dir.join("ordo.db").display()))
                .await
                .expect("open SQLite");
            store.migrate().await.expect("migrate");
            Arc::new(store)
        }
        Backend::Postgres => Arc::new(postgres_schema(&format!("api_{}", uuid::Uuid::now_v7().simple())).await),
    }
}

/// Connects to a PostgreSQL schema (created and migrated if new). Two calls with the same
/// schema are two nodes on one database.
pub async fn postgres_schema(schema: &str) -> ordo_store_postgres::PgStore {
    let url = postgres_url();
    let store = ordo_store_postgres::PgStore::connect_with_schema(&url, 8, schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} must be running for these tests: {e}"));
    store.migrate().await.expect("migrate");
    store
}

/// A running server.
pub struct TestApp {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    pub client: reqwest::Client,
    /// Admin token of tenant `default`.
    pub admin: String,
}

pub async fn spawn(backend: Backend) -> TestApp {
    spawn_on(fresh_store(backend).await, HttpLimits::default()).await
}

/// An app whose orders reserve stock under `policy`.
pub async fn spawn_with_stock(backend: Backend, policy: StockPolicy) -> TestApp {
    spawn_with(fresh_store(backend).await, HttpLimits::default(), policy).await
}

/// Orders ignore stock unless a test asks (most order tests use SKUs outside any catalogue).
pub async fn spawn_on(store: Arc<dyn Store>, limits: HttpLimits) -> TestApp {
    spawn_with(store, limits, StockPolicy::OFF).await
}

pub async fn spawn_with(store: Arc<dyn Store>, limits: HttpLimits, policy: StockPolicy) -> TestApp {
    spawn_full(
        store,
        limits,
        policy,
        MappingRegistry::load(None).expect("built-in mappings"),
    )
    .await
}

/// An app with a mapping registry of the test's own (e.g. over a directory it edits).
pub async fn spawn_full(
    store: Arc<dyn Store>,
    limits: HttpLimits,
    policy: StockPolicy,
    mappings: MappingRegistry,
) -> TestApp {
    spawn_reviewing(store, limits, policy, mappings, None).await
}

/// An app that repairs and reviews orders under `review` (when given) and stocks under
/// `policy`.
pub async fn spawn_reviewing(
    store: Arc<dyn Store>,
    limits: HttpLimits,
    policy: StockPolicy,
    mappings: MappingRegistry,
    review: Option<ordo_app::policies::Policies>,
) -> TestApp {
    store
        .ensure_tenant(&TenantId::default_tenant(), "Default", Utc::now())
        .await
        .unwrap();
    let feed = FeedHub::new();
    let (pipeline, _writers) = Pipeline::start(store.clone(), PipelineConfig::default(), feed.clone());
    let tokens = TokenService::new(store.clone());
    let mut ingest = IngestService::new(pipeline, store.clone(), policy, mappings).with_hook_secrets(
        [
            ("shopify", HOOK_SECRET.to_owned()),
            ("woocommerce", HOOK_SECRET.to_owned()),
            // Douyin's node-level secret stands for a connection's app secret.
            ("douyin", HOOK_SECRET.to_owned()),
        ]
        .into(),
    );
    let reviewing = review.is_some();
    let policies = review
        .unwrap_or_else(ordo_app::policies::Policies::built_in)
        .with_defaults(ordo_app::policies::Defaults {
            inventory: ordo_app::policies::kinds::InventoryPolicy {
                reserve_when: policy.reserve_when,
                on_short: policy.on_short,
                ..Default::default()
            },
            ..Default::default()
        });
    ingest = ingest.with_policies(policies.clone());
    if reviewing {
        ingest = ingest
            .with_review(policies.clone())
            .with_repair(ordo_app::prepare::RepairSettings::default());
    }
    let secrets = ordo_app::secrets::SecretKeys::new([7; 32], []);
    let state = AppState {
        store: store.clone(),
        ingest,
        tokens,
        metrics: None,
        limits,
        feed,
        matching: Default::default(),
        channels: Default::default(),
        actions: ordo_app::actions::OrderActions::new(store.clone(), policies.clone()),
        review: Default::default(),
        warehouses: ordo_app::fulfil::Warehouses::default().with_policies(policies.clone()),
        secrets: Some(secrets.clone()),
        cluster: None,
        policy_book: ordo_app::policies::book::PolicyBook::new(store.clone(), policies, Some(secrets)),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, ordo_api::router(state)).await });
    let mut app = TestApp {
        addr,
        store,
        client: reqwest::Client::new(),
        admin: String::new(),
    };
    app.admin = app.token("default", Role::Admin).await;
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Mints a token for a tenant (creating the tenant).
    pub async fn token(&self, tenant: &str, role: Role) -> String {
        let tenant = TenantId::parse(tenant).unwrap();
        self.store
            .ensure_tenant(&tenant, tenant.as_str(), Utc::now())
            .await
            .unwrap();
        TokenService::new(self.store.clone())
            .create(&tenant, role, "test", Utc::now())
            .await
            .unwrap()
            .secret
    }

    pub async fn post_order(&self, token: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/orders"))
            .bearer_auth(token)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn get_json(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let response = self.get(token, path).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }
}

/// The reference example with changes.
pub fn example_with(change: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut value: serde_json::Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
    change(&mut value);
    value.to_string()
}

/// Runs each named `async fn name(app: TestApp)` as a test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::spawn(super::common::Backend::Sqlite).await).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::common::spawn(super::common::Backend::Postgres).await).await;
                }
            )*
        }
    };
}

/// Like `on_both_stores!`, with orders reserving stock under the default policy (reserve
/// when paid, hold when short).
#[macro_export]
macro_rules! on_both_stores_with_stock {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::common::spawn_with_stock(super::common::Backend::Sqlite, Default::default()).await;
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::common::spawn_with_stock(super::common::Backend::Postgres, Default::default()).await;
                    super::$name(app).await;
                }
            )*
        }
    };
}
