//! The real `ordo serve` binary as the crash tests start it: on a free port, with an admin
//! token, killed when dropped so a failing assertion never leaves it running.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free on 127.0.0.1 when asked.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `ordo serve`.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:{port}`.
    pub base: String,
}

impl Server {
    /// Starts `ordo serve --db {db}` in `dir` with `token` as the bootstrap admin token and
    /// `env` set (no configuration file unless `env` names one).
    pub fn start(db: &str, dir: &Path, token: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_ordo"))
            .args(["serve", "--db", db, "--listen", &format!("127.0.0.1:{port}")])
            .current_dir(dir)
            .env("ORDO_ADMIN_TOKEN", token)
            .env("RUST_LOG", "warn")
            .env_remove("ORDO_CONFIG")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting ordo serve");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Waits until `/healthz` answers 200, at most `limit`.
    pub async fn wait_healthy(&mut self, http: &reqwest::Client, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(response) = http.get(format!("{}/healthz", self.base)).send().await
                && response.status().is_success()
            {
                return;
            }
            assert!(self.child.try_wait().unwrap().is_none(), "ordo serve exited early");
            assert!(Instant::now() < deadline, "ordo serve did not become healthy");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An admin token of a new tenant, from `ordo token create`, which creates the tenant:
/// the API has no route that creates tenants.
#[allow(dead_code)] // Not every user of the harness has several tenants.
pub fn mint_token(db: &str, dir: &Path, tenant: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ordo"))
        .args(["token", "create", "--tenant", tenant, "--role", "admin", "--db", db])
        .current_dir(dir)
        .env_remove("ORDO_CONFIG")
        .output()
        .expect("running ordo token create");
    assert!(
        output.status.success(),
        "ordo token create --tenant {tenant}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}
