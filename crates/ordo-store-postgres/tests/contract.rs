//! The storage contract (`ordo_store::orders::contract`) run against PostgreSQL.
//!
//! Needs a running server: `ORDO_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`. An unreachable server fails every test with
//! a message saying so; a silent skip would let the adapter go untested.
//!
//! Each test gets its own schema (`t_` + a fresh UUID), so the tests run in parallel on
//! one database without seeing each other. The schemas are left behind rather than
//! dropped: an async drop is awkward in a synchronous `Drop`, and keeping them helps
//! inspecting a failure. Drop them with `DROP SCHEMA … CASCADE` when they pile up.

use ordo_store_postgres::PgStore;

const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

async fn fresh_store() -> PgStore {
    let url = std::env::var("ORDO_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    // A small pool: the tests run in parallel and together must stay under the server's
    // connection limit.
    let store = PgStore::connect_with_schema(&url, 5, &schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} is unreachable ({e}); start it or set ORDO_TEST_POSTGRES_URL"));
    store.migrate().await.expect("migrations apply to a fresh schema");
    store
}

ordo_store::contract_tests!(fresh_store);

mod inventory {
    use super::fresh_store;

    ordo_store::inventory_contract_tests!(fresh_store);
}

mod stock {
    use super::fresh_store;

    ordo_store::stock_contract_tests!(fresh_store);
}

mod channel {
    use super::fresh_store;

    ordo_store::channel_contract_tests!(fresh_store);
    ordo_store::consolidation_contract_tests!(fresh_store);
    ordo_store::review_contract_tests!(fresh_store);
    ordo_store::subscription_contract_tests!(fresh_store);
    ordo_store::shipment_contract_tests!(fresh_store);
    ordo_store::settings_contract_tests!(fresh_store);
    ordo_store::cluster_contract_tests!(fresh_store);
}

mod kpis {
    use super::fresh_store;

    ordo_store::kpi_contract_tests!(fresh_store);
}

mod aftersales {
    use super::fresh_store;

    ordo_store::aftersale_contract_tests!(fresh_store);
}
