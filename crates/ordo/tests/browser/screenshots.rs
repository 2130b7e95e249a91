//! Screenshots of every screen at 1440×900 from the demo, for `docs/console/`. Runs only
//! when `ORDO_SCREENSHOTS=1` (they are committed, not checked).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::Browser;

const SCREENS: &[(&str, &str)] = &[
    ("dashboard", "/dashboard"),
    ("orders", "/orders"),
    ("exceptions", "/exceptions"),
    ("aftersales", "/aftersales?status=all"),
    ("inventory", "/inventory"),
    ("channels", "/channels"),
    ("config", "/config"),
    ("inbox", "/inbox"),
    ("users", "/users"),
];

#[tokio::test]
async fn screenshots_of_every_screen_from_the_demo() {
    if std::env::var("ORDO_SCREENSHOTS").is_err() {
        eprintln!("set ORDO_SCREENSHOTS=1 to write docs/console/*.png");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = crate::server::free_port();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_ordo"))
        .args([
            "demo",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--seconds",
            "120",
            "--rate",
            "30",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("ORDO_CONFIG")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut password = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("with password ").nth(1) {
            password = rest.split(';').next().map(str::to_owned);
            break;
        }
    }
    // Keep reading: a demo whose stdout is closed stops at its next line.
    std::thread::spawn(move || lines.for_each(drop));
    let password = password.expect("the demo prints the console password");
    // Let orders flow for a while, so the screens have something to show.
    tokio::time::sleep(Duration::from_secs(75)).await;
    let base = format!("http://127.0.0.1:{port}");
    let browser = Browser::start().await.expect("a browser");
    let c = &browser.client;
    c.goto(&format!("{base}/login")).await.unwrap();
    save(c, "login").await;
    let find = |css: &'static str| async move { c.find(fantoccini::Locator::Css(css)).await.unwrap() };
    find("input[name=login]").await.send_keys("admin").await.unwrap();
    find("input[name=password]").await.send_keys(&password).await.unwrap();
    find("button[type=submit]").await.click().await.unwrap();
    browser.wait_for("header.top").await;
    for (name, path) in SCREENS {
        c.goto(&format!("{base}{path}")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(800)).await;
        save(c, name).await;
    }
    c.goto(&format!("{base}/orders")).await.unwrap();
    if let Ok(link) = c.find(fantoccini::Locator::Css("tr[data-row] a")).await {
        link.click().await.unwrap();
        browser.wait_for("[data-timeline]").await;
        save(c, "order").await;
    }
    c.goto(&format!("{base}/aftersales?status=all")).await.unwrap();
    if let Ok(link) = c.find(fantoccini::Locator::Css("[data-case-link]")).await {
        link.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(800)).await;
        save(c, "aftersale_case").await;
    }
    browser.close().await;
    let _ = demo.kill();
    let _ = demo.wait();
}

async fn save(c: &fantoccini::Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let path = crate::console::docs_path(&format!("{name}.png"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, png).unwrap();
}
