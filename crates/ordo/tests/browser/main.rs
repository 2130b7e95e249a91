//! The console in a real browser: headless Chromium driven over WebDriver (chromedriver)
//! against the real binary. `.ci/run` installs Chromium and its driver; without them
//! these tests fail rather than pass vacuously, unless `ORDO_BROWSER=skip` says so.

#[path = "../common/server.rs"]
mod server;

#[path = "../common/console.rs"]
#[allow(dead_code)] // The browser signs in through the form, not with a bare session.
mod console;

mod aftersales;
mod flows;
mod screenshots;

use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A chromedriver and a headless Chromium session on it, both gone when dropped.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    _driver: Driver,
}

/// Killed when dropped with its whole process group, so a failing test leaves neither
/// chromedriver nor the Chromium it started behind.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Browser {
    /// Starts chromedriver and a 1440×900 headless Chromium; `None` when the machine has
    /// no browser and `ORDO_BROWSER=skip` allows that.
    pub async fn start() -> Option<Self> {
        let driver_path = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let Some(driver_path) = driver_path else {
            assert!(
                std::env::var("ORDO_BROWSER").as_deref() == Ok("skip"),
                "chromedriver is missing: install chromium and chromium-driver, or set ORDO_BROWSER=skip"
            );
            eprintln!("no chromedriver here; browser test skipped (ORDO_BROWSER=skip)");
            return None;
        };
        // Two TLS backends are linked in; the WebDriver client needs one named.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = server::free_port();
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            // Its own process group, so dropping the driver also ends its browsers.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1440,900", "--lang=en-US", "--force-device-scale-factor=1"]
            }),
        );
        let client = ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        client.set_window_size(1440, 900).await.expect("window size");
        Some(Self {
            client,
            _driver: Driver(driver),
        })
    }

    /// Signs in through the form and waits for the page it leads to.
    pub async fn sign_in(&self, base: &str, login: &str) {
        let c = &self.client;
        c.goto(&format!("{base}/login")).await.unwrap();
        c.find(Locator::Css("input[name=login]"))
            .await
            .unwrap()
            .send_keys(login)
            .await
            .unwrap();
        c.find(Locator::Css("input[name=password]"))
            .await
            .unwrap()
            .send_keys(console::PASSWORD)
            .await
            .unwrap();
        c.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        self.wait_for("header.top").await;
    }

    /// Waits for an element, at most 10 s.
    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
    }

    /// The text of the first element matching `css`; empty while there is none.
    pub async fn text_of(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until `done` says yes, asking every 100 ms for at most `limit`; fails with
    /// `what` otherwise.
    pub async fn eventually(&self, limit: Duration, what: &str, done: impl AsyncFn(&Self) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(self).await {
            assert!(Instant::now() < deadline, "{what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many elements match.
    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    /// Ends the session.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
