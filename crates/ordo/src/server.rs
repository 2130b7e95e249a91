//! Assembling and running a node: store, pipeline, API, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use metrics_exporter_prometheus::PrometheusHandle;
use ordo_api::{AppState, HttpLimits, ReviewSettings};
use ordo_app::actions::{OrderActions, spawn_due_reviews};
use ordo_app::connectors::{self, Channels};
use ordo_app::fulfil::{self, Warehouses};
use ordo_app::policies::book::PolicyBook;
use ordo_app::policies::{Defaults, Policies};
use ordo_app::prepare::RepairSettings;
use ordo_app::{
    FeedHub, IngestService, MappingRegistry, Pipeline, PipelineConfig, StockSettings, TokenService, jobs, webhooks,
};
use ordo_core::TenantId;
use ordo_core::auth::Role;
use ordo_store::Store;
use ordo_store_postgres::PgStore;
use ordo_store_sqlite::SqliteStore;
use tokio::sync::{oneshot, watch};

use crate::config::Config;

/// Opens the store named by the URL's scheme and applies its migrations.
pub async fn open_store(url: &str, max_connections: u32) -> anyhow::Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> =
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if let Some(parent) = std::path::Path::new(path)
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            let store = SqliteStore::open(url).await.with_context(|| format!("opening {url}"))?;
            store.migrate().await?;
            Arc::new(store)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = PgStore::connect(url, max_connections)
                .await
                .context("connecting to PostgreSQL")?;
            store.migrate().await?;
            Arc::new(store)
        } else {
            anyhow::bail!("store URL must start with sqlite:// or postgres:// (got {url:?})");
        };
    store
        .ensure_tenant(&TenantId::default_tenant(), "Default", Utc::now())
        .await?;
    Ok(store)
}

/// A running node.
pub struct Node {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The store it uses.
    pub store: Arc<dyn Store>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Node {
    /// Stops accepting requests, finishes those in flight and commits what is queued.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task.await.context("server task panicked")?
    }

    /// Runs until Ctrl-C or SIGTERM, then stops gracefully.
    pub async fn run_until_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await
    }
}

/// Starts a node on an open store.
pub async fn start(config: &Config, store: Arc<dyn Store>, metrics: Option<PrometheusHandle>) -> anyhow::Result<Node> {
    start_on(config, store, metrics, None).await
}

/// Like [`start`], on a socket the caller already bound (so no other process can take the
/// port between choosing it and serving on it).
pub async fn start_on(
    config: &Config,
    store: Arc<dyn Store>,
    metrics: Option<PrometheusHandle>,
    bound: Option<std::net::TcpListener>,
) -> anyhow::Result<Node> {
    let tokens = TokenService::new(store.clone());
    if let Some(secret) = &config.auth.admin_token {
        anyhow::ensure!(
            secret.len() >= 16,
            "the bootstrap admin token must be at least 16 characters"
        );
        tokens
            .ensure_secret(
                &TenantId::default_tenant(),
                Role::Admin,
                "bootstrap admin",
                secret,
                Utc::now(),
            )
            .await?;
    }
    // Connection credentials are sealed with this key. Without ORDO_SECRET_KEY an embedded
    // node keeps a generated one next to its database file.
    let key_file = config
        .store
        .url
        .strip_prefix("sqlite://")
        .or_else(|| config.store.url.strip_prefix("sqlite:"))
        .filter(|path| !path.starts_with(':') && !path.contains("mode=memory"))
        .map(|path| std::path::PathBuf::from(format!("{}.key", path.split('?').next().unwrap_or(path))));
    let secrets =
        ordo_app::secrets::SecretKeys::from_env(key_file.as_deref()).map_err(|e| anyhow::anyhow!("secret key: {e}"))?;
    let cluster = ordo_app::cluster::Cluster::new(store.clone(), ordo_app::cluster::Cluster::fresh_id());
    let pipeline_config = PipelineConfig {
        max_batch: config.ingest.max_batch,
        queue_capacity: config.ingest.queue_capacity,
        writers: (config.ingest.writers > 0).then_some(config.ingest.writers),
    };
    let feed = FeedHub::new();
    let (pipeline, writers) = Pipeline::start(store.clone(), pipeline_config, feed.clone());
    let stock = StockSettings {
        matching: config.orders.settings(),
        ..config.inventory.settings()
    };
    let (stop_jobs, jobs_stopped) = watch::channel(false);
    // The node's files and ordo.toml are the defaults; each tenant's saved versions go
    // over them, on every node, within a second.
    let policies = Policies::load(config.review.workflow_file.clone(), config.review.rules_file.clone())
        .map_err(|errors| anyhow::anyhow!("workflow/rules configuration:\n{}", errors.join("\n")))?
        .with_defaults(Defaults {
            consolidation: config.consolidation.clone(),
            inventory: config.inventory.policy(),
            alerts: config.webhooks.alerts(),
        });
    let policy_book = PolicyBook::new(store.clone(), policies.clone(), secrets.clone());
    policy_book.refresh().await?;
    let jobs = vec![
        jobs::spawn_sweeper(
            store.clone(),
            cluster.clone(),
            stock,
            policies.clone(),
            feed.clone(),
            jobs_stopped.clone(),
        ),
        webhooks::spawn_webhooks(
            store.clone(),
            Default::default(),
            policies.clone(),
            jobs_stopped.clone(),
        ),
        policy_book.clone().spawn(jobs_stopped.clone()),
        ordo_app::subscriptions::spawn_subscriptions(store.clone(), Default::default(), jobs_stopped.clone()),
    ];
    if let Some(wakeups) = store.feed_wakeups().await? {
        // Commits of other nodes on the same database ring this node's subscribers too.
        tokio::spawn(relay_wakeups(wakeups, feed.clone()));
    }
    let mappings = MappingRegistry::load(config.mappings.dir.clone()).map_err(anyhow::Error::msg)?;
    let mut jobs = jobs;
    jobs.extend(mappings.spawn_reloader(Duration::from_secs(1), jobs_stopped.clone()));
    config.routing.install()?;
    jobs.extend(policies.spawn_reloader(Duration::from_secs(1), jobs_stopped.clone()));
    let mut ingest = IngestService::new(pipeline, store.clone(), stock.policy, mappings)
        .with_hook_secrets(config.hooks.secrets())
        .with_policies(policies.clone());
    if config.review.enabled {
        ingest = ingest.with_review(policies.clone());
    }
    if config.review.repair {
        ingest = ingest.with_repair(RepairSettings {
            default_country: config.review.default_country.clone(),
        });
    }
    let listener = match bound {
        Some(socket) => {
            socket.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(socket)?
        }
        None => tokio::net::TcpListener::bind(&config.server.listen)
            .await
            .with_context(|| format!("binding {}", config.server.listen))?,
    };
    let addr = listener.local_addr()?;
    // Connections live in the store: the node's `[[channels]]` and `[[warehouses]]` are
    // written there as the default tenant's, then every tenant's run alike.
    ordo_app::connections::bootstrap(
        store.as_ref(),
        secrets.as_ref(),
        &config.channels,
        &config.warehouses,
        &config.hooks.secrets(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("[[channels]] / [[warehouses]]: {e}"))?;
    let callback_base = match &config.server.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{addr}"),
    };
    let warehouses = Warehouses::empty(Some(callback_base))
        .map_err(anyhow::Error::msg)?
        .with_policies(policies.clone());
    // Which warehouses take requests; the pool rule is each order's tenant's (the service
    // takes it from the policies).
    ingest = ingest.with_push(warehouses.push_policy(&TenantId::default_tenant()));
    jobs.push(fulfil::spawn(
        store.clone(),
        cluster.clone(),
        warehouses.clone(),
        feed.clone(),
        Duration::from_millis(50),
        jobs_stopped.clone(),
    ));
    jobs.push(ordo_app::consolidation::spawn(
        store.clone(),
        cluster.clone(),
        warehouses.clone(),
        feed.clone(),
        Duration::from_secs(1),
        jobs_stopped.clone(),
    ));
    // Transitions that name `push_to_warehouse` send to the same connected warehouses.
    let actions = OrderActions::new(store.clone(), policies)
        .with_push(warehouses.push_policy(&TenantId::default_tenant()).warehouses);
    jobs.push(spawn_due_reviews(
        actions.clone(),
        cluster.clone(),
        jobs_stopped.clone(),
    ));
    let channels = Channels::default();
    let mut supervisor = ordo_app::connections::Supervisor::new(
        store.clone(),
        secrets.clone(),
        cluster.clone(),
        channels.clone(),
        warehouses.clone(),
        ingest.clone(),
    );
    // Connections run from the first request on.
    supervisor.tick().await?;
    jobs.push(supervisor.spawn(jobs_stopped.clone()));
    jobs.push(cluster.spawn_heartbeat(addr.to_string(), jobs_stopped.clone()));
    jobs.push(ordo_app::ops::spawn_gauges(
        store.clone(),
        Duration::from_secs(5),
        jobs_stopped.clone(),
    ));
    jobs.push(connectors::spawn_write_backs(
        store.clone(),
        channels.clone(),
        Duration::from_millis(200),
        jobs_stopped.clone(),
    ));
    let state = AppState {
        store: store.clone(),
        ingest,
        tokens,
        metrics,
        limits: HttpLimits {
            body_limit_bytes: config.server.body_limit_bytes,
            request_timeout: Duration::from_millis(config.server.request_timeout_ms),
        },
        feed,
        matching: stock.matching,
        channels,
        actions,
        review: ReviewSettings {
            sla_minutes: i64::from(config.review.sla_minutes),
        },
        warehouses,
        secrets,
        cluster: Some(cluster),
        policy_book,
    };
    let secure_cookie = config
        .server
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    let console_settings = config.console.settings(secure_cookie)?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let console = ordo_console::Console::new(state.clone(), console_settings);
        let app = ordo_api::router_with(state, ordo_console::router(console));
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
            .context("HTTP server failed")?;
        // Background work stops next: the connectors hold pipeline handles too, and a
        // connector cut short leaves its cursor where it was, so nothing is skipped.
        let _ = stop_jobs.send(true);
        for job in jobs {
            let _ = job.await;
        }
        // The router and the connectors (and with them every pipeline handle) are gone:
        // writers drain the queue and end, so everything acknowledged or queued is
        // committed before we return.
        writers.join().await;
        Ok(())
    });
    tracing::info!(%addr, store = store.backend(), "Ordo is listening");
    Ok(Node {
        addr,
        store,
        stop,
        task,
    })
}

async fn relay_wakeups(mut wakeups: tokio::sync::broadcast::Receiver<String>, feed: FeedHub) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match wakeups.recv().await {
            Ok(_) | Err(RecvError::Lagged(_)) => feed.bump(),
            Err(RecvError::Closed) => return,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
