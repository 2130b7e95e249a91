//! The store contract, run against SQLite: a fresh database file per test.

use ordo_store_sqlite::SqliteStore;

async fn fresh_store() -> SqliteStore {
    // The directory must outlive the store; leaking one temp dir per test is the simplest
    // way to keep it for the test's lifetime.
    let dir = tempfile::tempdir().expect("temp dir").keep();
    let url = format!("sqlite://{}", dir.join("ordo.db").display());
    let store = SqliteStore::open(&url).await.expect("open SQLite");
    store.migrate().await.expect("migrate");
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
