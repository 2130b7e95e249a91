//! The command line of the real binary: configuration, tokens and the demo.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use ordo_core::TenantId;
use ordo_store::InventoryStore;
use ordo_store::{OrderQuery, Store};
use ordo_store_sqlite::SqliteStore;

/// Runs `ordo ARGS` in `dir`, killing it if it outlives `limit`.
fn ordo(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ordo"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env_remove("ORDO_CONFIG")
        .env_remove("ORDO_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting ordo");
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "ordo {args:?} ran longer than {limit:?}; stdout: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn config_print_default_prints_toml_that_parses() {
    let dir = tempfile::tempdir().unwrap();
    let output = ordo(dir.path(), &["config", "print-default"], Duration::from_secs(20));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let parsed: toml::Table = toml::from_str(&text(&output.stdout)).expect("valid TOML");
    for section in ["server", "store", "ingest", "log"] {
        assert!(parsed.contains_key(section), "no [{section}] in {parsed:?}");
    }
}

#[test]
fn token_create_prints_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tokens.db", dir.path().display());
    let args = ["token", "create", "--tenant", "acme", "--role", "viewer", "--db", &db];
    let output = ordo(dir.path(), &args, Duration::from_secs(20));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let token = text(&output.stdout);
    assert!(token.trim().starts_with("ordo_"), "{token:?}");
    assert_eq!(
        token.trim().lines().count(),
        1,
        "only the token goes to stdout: {token:?}"
    );
}

#[test]
fn an_unknown_role_is_refused_with_the_allowed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/tokens.db", dir.path().display());
    let output = ordo(
        dir.path(),
        &["token", "create", "--role", "boss", "--db", &db],
        Duration::from_secs(20),
    );
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("unknown role \"boss\"") && stderr.contains("viewer"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn the_demo_runs_for_a_bounded_time_and_leaves_orders_behind() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let args = [
        "demo",
        "--data-dir",
        data.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--rate",
        "50",
        "--seconds",
        "3",
        "--channel-rate",
        "8",
    ];
    let output = ordo(dir.path(), &args, Duration::from_secs(60));
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "stdout: {stdout}\nstderr: {}",
        text(&output.stderr)
    );
    assert!(stdout.contains("Ordo demo is running"), "{stdout}");
    assert!(stdout.contains("Authorization: Bearer ordo_"), "{stdout}");
    assert!(
        stdout.contains("http://127.0.0.1:") && !stdout.contains("127.0.0.1:0 "),
        "{stdout}"
    );
    assert!(stdout.contains("HZ-01") && stdout.contains("TEE-RED-M"), "{stdout}");
    assert!(stdout.contains("created"), "no status line: {stdout}");
    assert!(
        stdout.contains("Simulated channels") && stdout.contains("xiaohongshu"),
        "{stdout}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (orders, stock_levels) = runtime.block_on(async {
        let url = format!("sqlite://{}", data.join("ordo.db").display());
        let store = SqliteStore::open(&url).await.expect("the demo's database opens");
        let stock_levels = store.list_stock(&TenantId::default_tenant(), None).await.unwrap().len();
        let query = OrderQuery {
            limit: 500,
            ..OrderQuery::default()
        };
        let found = store
            .search_orders(&TenantId::default_tenant(), &query)
            .await
            .unwrap()
            .items;
        let channels: std::collections::BTreeSet<String> = found.iter().map(|o| o.channel.clone()).collect();
        // Orders placed on the simulated platforms arrived by webhook or by polling.
        for platform in ["shopify", "woocommerce", "amazon", "douyin"] {
            assert!(channels.contains(platform), "no {platform} order arrived: {channels:?}");
        }
        (found.len(), stock_levels)
    });
    // 50 orders a second for 3 s, less broken payloads and re-deliveries.
    assert!(orders >= 50, "only {orders} orders in the demo's database");
    assert!(
        stock_levels >= 20,
        "the demo stocked only {stock_levels} (warehouse, SKU) pairs"
    );

    let url = format!("sqlite://{}", data.join("ordo.db").display());
    let check = ordo(
        dir.path(),
        &["inventory", "check", "--db", &url],
        Duration::from_secs(30),
    );
    assert!(check.status.success(), "{}{}", text(&check.stdout), text(&check.stderr));
    assert!(text(&check.stdout).contains("consistent"), "{}", text(&check.stdout));
}

#[test]
fn only_section_keys_in_the_environment_are_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let show = |vars: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ordo"));
        command.args(["config", "show"]).current_dir(dir.path());
        for (key, value) in vars {
            command.env(key, value);
        }
        command.output().unwrap()
    };
    let output = show(&[
        ("ORDO_TEST_POSTGRES_URL", "postgres://x"),
        ("ORDO_SERVER__LISTEN", "127.0.0.1:9999"),
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("listen = \"127.0.0.1:9999\""),
        "{}",
        text(&output.stdout)
    );
    let typo = show(&[("ORDO_SERVER__LISEN", "127.0.0.1:9999")]);
    assert!(!typo.status.success());
    assert!(text(&typo.stderr).contains("lisen"), "{}", text(&typo.stderr));
}

#[test]
fn mapping_apply_prints_the_canonical_order_and_check_names_the_line_at_fault() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ordo-mapping");
    let mapping = root.join("mappings/shopify.order.toml");
    let payload = root.join("tests/fixtures/shopify_webhook_2026-04_orders_create.json");
    let dir = tempfile::tempdir().unwrap();
    let args = ["mapping", "apply", mapping.to_str().unwrap(), payload.to_str().unwrap()];
    let output = ordo(dir.path(), &args, Duration::from_secs(20));
    assert!(
        output.status.success(),
        "{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let order: serde_json::Value = serde_json::from_slice(&output.stdout).expect("canonical JSON");
    assert_eq!(order["external_id"], "820982911946154508");
    assert_eq!(order["lines"].as_array().unwrap().len(), 5);

    let shopify = mapping.to_str().unwrap();
    let woo = root.join("mappings/woocommerce.order.toml");
    let output = ordo(
        dir.path(),
        &["mapping", "test", shopify, woo.to_str().unwrap()],
        Duration::from_secs(20),
    );
    assert!(output.status.success(), "{}", text(&output.stdout));
    assert_eq!(
        text(&output.stdout).matches(": ok").count(),
        3,
        "{}",
        text(&output.stdout)
    );

    let broken = dir.path().join("broken.toml");
    let text_of_mapping = std::fs::read_to_string(&mapping).unwrap();
    std::fs::write(
        &broken,
        text_of_mapping.replace("time = \"rfc3339\" }", "time = \"iso\" }"),
    )
    .unwrap();
    let output = ordo(
        dir.path(),
        &["mapping", "check", broken.to_str().unwrap()],
        Duration::from_secs(20),
    );
    assert_eq!(output.status.code(), Some(1));
    let report = text(&output.stdout);
    assert!(report.contains("broken.toml:9:"), "{report}");
    assert!(report.contains("iso"), "{report}");
}
