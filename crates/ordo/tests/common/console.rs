//! The console as a browser-less client sees it: a real `ordo serve` on SQLite, users made
//! with `ordo user create`, and sessions that carry their cookie and CSRF token.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::Value;

use crate::server::Server;

/// The bootstrap admin token of the default tenant.
pub const TOKEN: &str = "console-test-admin-token-0123456789abcdef";
/// Every test user's password.
pub const PASSWORD: &str = "a long enough password";

/// A node with its data directory.
pub struct Node {
    /// The server.
    pub server: Server,
    /// `sqlite://…`.
    pub db: String,
    /// Where it runs.
    pub dir: tempfile::TempDir,
    /// A client that follows no redirects, so tests see them.
    pub http: reqwest::Client,
}

impl Node {
    /// Starts a node on a new SQLite file.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("ordo.db").display());
        let mut server = Server::start(&db, dir.path(), TOKEN, &[]);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        server.wait_healthy(&http, Duration::from_secs(30)).await;
        Self { server, db, dir, http }
    }

    /// `ordo user create` (which also creates the tenant).
    pub fn create_user(&self, tenant: &str, login: &str, role: &str, language: &str) {
        create_user(&self.db, self.dir.path(), tenant, login, role, language);
    }

    /// Signs in and returns the session.
    pub async fn sign_in(&self, login: &str) -> Session {
        let response = self
            .http
            .post(format!("{}/login", self.server.base))
            .form(&[("login", login), ("password", PASSWORD), ("next", "/orders")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "signing in as {login}");
        let cookie = response
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("a session cookie")
            .to_owned();
        let mut session = Session {
            http: self.http.clone(),
            base: self.server.base.clone(),
            cookie,
            csrf: String::new(),
        };
        let me: Value = session.get("/me").await.json().await.unwrap();
        session.csrf = me["csrf"].as_str().unwrap().to_owned();
        session
    }

    /// Posts an order to the API as the default tenant's admin.
    pub async fn post_order(&self, order: &Value) -> Value {
        let response = self
            .http
            .post(format!("{}/api/v1/orders", self.server.base))
            .bearer_auth(TOKEN)
            .json(order)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "posting an order: {}",
            response.status()
        );
        response.json().await.unwrap()
    }
}

/// `ordo user create` against a store.
pub fn create_user(db: &str, dir: &Path, tenant: &str, login: &str, role: &str, language: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_ordo"))
        .args(["user", "create", "--tenant", tenant, "--login", login, "--role", role])
        .args(["--language", language, "--db", db])
        .current_dir(dir)
        .env_remove("ORDO_CONFIG")
        .env("ORDO_PASSWORD", PASSWORD)
        .output()
        .expect("running ordo user create");
    assert!(
        output.status.success(),
        "ordo user create {login}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A signed-in browser without the browser.
#[derive(Clone)]
pub struct Session {
    /// The client.
    pub http: reqwest::Client,
    /// The node.
    pub base: String,
    /// `ordo_session=…`.
    pub cookie: String,
    /// The session's CSRF token.
    pub csrf: String,
}

impl Session {
    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap()
    }

    /// `GET path`, expecting a page; returns its HTML.
    pub async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    /// `POST path` with a form, as htmx sends it (CSRF header included).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("hx-request", "true")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// `POST path` with a multipart body (file uploads), CSRF header included.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf)
            .header("hx-request", "true")
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

/// An order of the default example with its own number, buyer and SKU.
pub fn order(external_id: &str) -> Value {
    let mut order: Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
    order["external_id"] = Value::from(external_id);
    order
}

/// A path under the workspace's `docs/console/`, for screenshots.
#[allow(dead_code)]
pub fn docs_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/console")
        .join(name)
}
