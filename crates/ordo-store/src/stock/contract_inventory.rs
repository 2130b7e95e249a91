//! The inventory contract every store adapter must keep, as tests; expanded per adapter by
//! [`crate::inventory_contract_tests!`].

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::{Component, MovementKind, StockLevel};

use crate::Store;
use crate::stock::inventory::*;

/// Expands to one `#[tokio::test]` per inventory behaviour, each on a fresh store.
#[macro_export]
macro_rules! inventory_contract_tests {
    ($factory:path) => {
        $crate::inventory_contract_tests!(@each $factory;
            warehouses_and_skus_are_stored_and_replaced,
            bundles_need_existing_unbundled_components,
            stock_is_received_adjusted_and_set_with_movements,
            a_stale_expected_count_is_refused,
            stock_can_never_go_negative,
            unknown_warehouses_skus_and_bundles_are_refused_per_row,
            safety_stock_reduces_availability_without_a_movement,
            movements_page_newest_first_and_filter,
            balances_agree_with_movements,
            concurrent_adjustments_lose_no_update,
            inventory_is_isolated_per_tenant,
            a_seeded_random_history_matches_the_model
        );
    };
    (@each $factory:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let store = $factory().await;
                $crate::stock::contract_inventory::$name(std::sync::Arc::new(store)).await;
            }
        )*
    };
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0).unwrap()
}

fn acme() -> TenantId {
    TenantId::parse("acme").unwrap()
}

fn warehouse(code: &str) -> Warehouse {
    Warehouse {
        code: code.into(),
        name: format!("Warehouse {code}"),
        latitude: Some(30.27),
        longitude: Some(120.15),
        region: Some("CN-ZJ".into()),
        channels: vec![],
        daily_capacity: Some(5000),
        priority: 0,
        active: true,
    }
}

fn sku(code: &str) -> SkuRecord {
    SkuRecord {
        code: code.into(),
        barcode: Some("6901234567892".into()),
        name: format!("Product {code}"),
        weight_g: Some(250),
        dimensions_mm: Some([200, 150, 30]),
        attributes: vec!["fragile".into()],
        cost_price_minor: Some(3100),
        cost_currency: Some("CNY".into()),
        low_stock_threshold: Some(5),
        components: vec![],
    }
}

async fn setup<T: Store + InventoryStore>(store: &Arc<T>) {
    store.ensure_tenant(&acme(), "Acme", now()).await.unwrap();
    for code in ["HZ-01", "SZ-01"] {
        store.upsert_warehouse(&acme(), &warehouse(code), now()).await.unwrap();
    }
    for code in ["TEE-RED-M", "MUG-01"] {
        store.upsert_sku(&acme(), &sku(code), now()).await.unwrap().unwrap();
    }
}

fn change(warehouse: &str, sku: &str, op: StockOp) -> StockChange {
    StockChange {
        warehouse: warehouse.into(),
        sku: sku.into(),
        op,
        reason: "test".into(),
        reference: Some("REF-1".into()),
        actor: "token:test".into(),
    }
}

async fn one<T: InventoryStore>(store: &Arc<T>, c: StockChange) -> Result<StockLevel, StockChangeError> {
    store.change_stock(&acme(), &[c], now()).await.unwrap().remove(0)
}

fn level(on_hand: i64, reserved: i64, safety_stock: i64) -> StockLevel {
    StockLevel {
        on_hand,
        reserved,
        safety_stock,
    }
}

/// Warehouses and catalogue entries are stored and replaced whole.
pub async fn warehouses_and_skus_are_stored_and_replaced<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    let mut changed = warehouse("HZ-01");
    changed.channels = vec!["taobao".into(), "jd".into()];
    changed.active = false;
    store.upsert_warehouse(&acme(), &changed, now()).await.unwrap();
    let warehouses = store.list_warehouses(&acme()).await.unwrap();
    assert_eq!(
        warehouses.iter().map(|w| w.code.as_str()).collect::<Vec<_>>(),
        vec!["HZ-01", "SZ-01"]
    );
    assert_eq!(warehouses[0], changed);

    let mut entry = sku("MUG-01");
    entry.attributes = vec!["cold_chain".into()];
    entry.dimensions_mm = None;
    store.upsert_sku(&acme(), &entry, now()).await.unwrap().unwrap();
    assert_eq!(store.get_sku(&acme(), "MUG-01").await.unwrap(), Some(entry));
    assert_eq!(store.get_sku(&acme(), "NOPE").await.unwrap(), None);
    let page = store.list_skus(&acme(), None, 1).await.unwrap();
    assert_eq!(page.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(), vec!["MUG-01"]);
    let next = store.list_skus(&acme(), Some("MUG-01"), 10).await.unwrap();
    assert_eq!(
        next.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(),
        vec!["TEE-RED-M"]
    );
}

/// A bundle's components must exist and must not be bundles.
pub async fn bundles_need_existing_unbundled_components<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    let mut gift = sku("GIFT-SET");
    gift.components = vec![
        Component {
            sku: "TEE-RED-M".into(),
            quantity: 1,
        },
        Component {
            sku: "MUG-01".into(),
            quantity: 2,
        },
    ];
    store.upsert_sku(&acme(), &gift, now()).await.unwrap().unwrap();
    gift.components.sort_by(|a, b| a.sku.cmp(&b.sku));
    assert_eq!(
        store.get_sku(&acme(), "GIFT-SET").await.unwrap().unwrap().components,
        gift.components,
        "sorted by SKU"
    );

    let mut broken = sku("BROKEN-SET");
    broken.components = vec![Component {
        sku: "GHOST".into(),
        quantity: 1,
    }];
    assert_eq!(
        store.upsert_sku(&acme(), &broken, now()).await.unwrap(),
        Err(StockChangeError::UnknownSku("GHOST".into()))
    );
    let mut nested = sku("NESTED-SET");
    nested.components = vec![Component {
        sku: "GIFT-SET".into(),
        quantity: 1,
    }];
    assert_eq!(
        store.upsert_sku(&acme(), &nested, now()).await.unwrap(),
        Err(StockChangeError::IsBundle("GIFT-SET".into()))
    );
    assert_eq!(store.get_sku(&acme(), "BROKEN-SET").await.unwrap(), None);

    let mut twice = sku("TWICE-SET");
    twice.components = vec![
        Component {
            sku: "MUG-01".into(),
            quantity: 1,
        },
        Component {
            sku: "MUG-01".into(),
            quantity: 1,
        },
    ];
    assert!(matches!(
        store.upsert_sku(&acme(), &twice, now()).await.unwrap(),
        Err(StockChangeError::Invalid(_))
    ));
    let mut selfish = sku("MUG-01");
    selfish.components = vec![Component {
        sku: "MUG-01".into(),
        quantity: 1,
    }];
    assert!(matches!(
        store.upsert_sku(&acme(), &selfish, now()).await.unwrap(),
        Err(StockChangeError::Invalid(_))
    ));
    let mut promoted = sku("TEE-RED-M");
    promoted.components = vec![Component {
        sku: "MUG-01".into(),
        quantity: 1,
    }];
    assert!(
        matches!(
            store.upsert_sku(&acme(), &promoted, now()).await.unwrap(),
            Err(StockChangeError::Invalid(_))
        ),
        "a component of GIFT-SET cannot become a bundle"
    );
}

/// Receipts, adjustments and absolute counts change on hand and each leaves a movement.
pub async fn stock_is_received_adjusted_and_set_with_movements<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    assert_eq!(
        one(&store, change("HZ-01", "MUG-01", StockOp::Receive { quantity: 10 })).await,
        Ok(level(10, 0, 0))
    );
    assert_eq!(
        one(&store, change("HZ-01", "MUG-01", StockOp::Adjust { delta: -3 })).await,
        Ok(level(7, 0, 0))
    );
    let set = StockOp::Set {
        on_hand: 12,
        expected_on_hand: Some(7),
    };
    assert_eq!(one(&store, change("HZ-01", "MUG-01", set)).await, Ok(level(12, 0, 0)));
    let unchanged = StockOp::Set {
        on_hand: 12,
        expected_on_hand: None,
    };
    assert_eq!(
        one(&store, change("HZ-01", "MUG-01", unchanged)).await,
        Ok(level(12, 0, 0))
    );

    let movements = store
        .list_movements(
            &acme(),
            &MovementQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let kinds: Vec<(MovementKind, i64, i64)> = movements
        .iter()
        .map(|m| (m.kind, m.quantity, m.on_hand_after))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (MovementKind::Adjustment, 5, 12),
            (MovementKind::Adjustment, -3, 7),
            (MovementKind::Receipt, 10, 10)
        ],
        "newest first; a set that changes nothing leaves no movement"
    );
    assert_eq!(movements[0].reference.as_deref(), Some("REF-1"));
    assert_eq!(movements[0].actor, "token:test");
    let rows = store.list_stock(&acme(), Some("MUG-01")).await.unwrap();
    assert_eq!(
        rows,
        vec![StockRow {
            warehouse: "HZ-01".into(),
            sku: "MUG-01".into(),
            level: level(12, 0, 0)
        }]
    );
}

/// A snapshot sync with a stale expected count changes nothing.
pub async fn a_stale_expected_count_is_refused<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    one(&store, change("HZ-01", "MUG-01", StockOp::Receive { quantity: 10 }))
        .await
        .unwrap();
    let stale = StockOp::Set {
        on_hand: 4,
        expected_on_hand: Some(9),
    };
    assert_eq!(
        one(&store, change("HZ-01", "MUG-01", stale)).await,
        Err(StockChangeError::Stale {
            expected: 9,
            actual: 10
        })
    );
    assert_eq!(
        store.list_stock(&acme(), Some("MUG-01")).await.unwrap()[0]
            .level
            .on_hand,
        10
    );
}

/// No change can make on hand negative.
pub async fn stock_can_never_go_negative<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    one(&store, change("HZ-01", "MUG-01", StockOp::Receive { quantity: 2 }))
        .await
        .unwrap();
    assert!(matches!(
        one(&store, change("HZ-01", "MUG-01", StockOp::Adjust { delta: -3 })).await,
        Err(StockChangeError::Invalid(_))
    ));
    assert!(matches!(
        one(
            &store,
            change(
                "HZ-01",
                "MUG-01",
                StockOp::Set {
                    on_hand: -1,
                    expected_on_hand: None
                }
            )
        )
        .await,
        Err(StockChangeError::Invalid(_))
    ));
    assert!(matches!(
        one(&store, change("HZ-01", "MUG-01", StockOp::Receive { quantity: 0 })).await,
        Err(StockChangeError::Invalid(_))
    ));
    assert_eq!(
        store.list_stock(&acme(), Some("MUG-01")).await.unwrap()[0]
            .level
            .on_hand,
        2
    );
}

/// In one call, bad rows are refused on their own and good rows apply.
pub async fn unknown_warehouses_skus_and_bundles_are_refused_per_row<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    let mut gift = sku("GIFT-SET");
    gift.components = vec![Component {
        sku: "MUG-01".into(),
        quantity: 2,
    }];
    store.upsert_sku(&acme(), &gift, now()).await.unwrap().unwrap();
    let results = store
        .change_stock(
            &acme(),
            &[
                change("XX-99", "MUG-01", StockOp::Receive { quantity: 1 }),
                change("HZ-01", "GHOST", StockOp::Receive { quantity: 1 }),
                change("HZ-01", "GIFT-SET", StockOp::Receive { quantity: 1 }),
                change("HZ-01", "MUG-01", StockOp::Receive { quantity: 1 }),
            ],
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        results,
        vec![
            Err(StockChangeError::UnknownWarehouse("XX-99".into())),
            Err(StockChangeError::UnknownSku("GHOST".into())),
            Err(StockChangeError::IsBundle("GIFT-SET".into())),
            Ok(level(1, 0, 0)),
        ]
    );
}

/// Safety stock holds units back from availability and is not a movement of goods.
pub async fn safety_stock_reduces_availability_without_a_movement<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    one(&store, change("HZ-01", "MUG-01", StockOp::Receive { quantity: 10 }))
        .await
        .unwrap();
    let with_safety = one(
        &store,
        change("HZ-01", "MUG-01", StockOp::SetSafetyStock { safety_stock: 4 }),
    )
    .await
    .unwrap();
    assert_eq!((with_safety, with_safety.available()), (level(10, 0, 4), 6));
    let movements = store
        .list_movements(
            &acme(),
            &MovementQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(movements.len(), 1);
}

/// Movements list newest first, filter by SKU and warehouse, and page by cursor.
pub async fn movements_page_newest_first_and_filter<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    for i in 1..=5 {
        one(&store, change("HZ-01", "MUG-01", StockOp::Receive { quantity: i }))
            .await
            .unwrap();
        one(&store, change("SZ-01", "TEE-RED-M", StockOp::Receive { quantity: i }))
            .await
            .unwrap();
    }
    let mugs = MovementQuery {
        sku: Some("MUG-01".into()),
        limit: 3,
        ..Default::default()
    };
    let first = store.list_movements(&acme(), &mugs).await.unwrap();
    assert_eq!(first.iter().map(|m| m.quantity).collect::<Vec<_>>(), vec![5, 4, 3]);
    let rest = MovementQuery {
        after: Some(first[2].id),
        ..mugs
    };
    let second = store.list_movements(&acme(), &rest).await.unwrap();
    assert_eq!(second.iter().map(|m| m.quantity).collect::<Vec<_>>(), vec![2, 1]);
    let sz = MovementQuery {
        warehouse: Some("SZ-01".into()),
        limit: 50,
        ..Default::default()
    };
    assert!(
        store
            .list_movements(&acme(), &sz)
            .await
            .unwrap()
            .iter()
            .all(|m| m.sku == "TEE-RED-M")
    );
}

/// After any mix of changes, every balance equals the sum of its movements.
pub async fn balances_agree_with_movements<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    for (i, (wh, sku)) in [("HZ-01", "MUG-01"), ("SZ-01", "MUG-01"), ("HZ-01", "TEE-RED-M")]
        .iter()
        .enumerate()
    {
        let i = i as i64;
        one(&store, change(wh, sku, StockOp::Receive { quantity: 10 + i }))
            .await
            .unwrap();
        one(&store, change(wh, sku, StockOp::Adjust { delta: -(i + 1) }))
            .await
            .unwrap();
        one(
            &store,
            change(
                wh,
                sku,
                StockOp::Set {
                    on_hand: 20 - i,
                    expected_on_hand: None,
                },
            ),
        )
        .await
        .unwrap();
    }
    assert_eq!(store.check_inventory(&acme()).await.unwrap(), vec![]);
}

/// Many concurrent adjustments of one level all count.
pub async fn concurrent_adjustments_lose_no_update<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                let c = change("HZ-01", "MUG-01", StockOp::Receive { quantity: 1 });
                loop {
                    match store.change_stock(&acme(), std::slice::from_ref(&c), now()).await {
                        Ok(result) => {
                            result[0].clone().unwrap();
                            break;
                        }
                        Err(crate::StoreError::Retryable(_)) => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        store.list_stock(&acme(), Some("MUG-01")).await.unwrap()[0]
            .level
            .on_hand,
        100
    );
    assert_eq!(store.check_inventory(&acme()).await.unwrap(), vec![]);
}

/// One tenant's warehouses, catalogue and stock are invisible to another.
pub async fn inventory_is_isolated_per_tenant<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    one(&store, change("HZ-01", "MUG-01", StockOp::Receive { quantity: 3 }))
        .await
        .unwrap();
    let globex = TenantId::parse("globex").unwrap();
    store.ensure_tenant(&globex, "Globex", now()).await.unwrap();
    assert!(store.list_warehouses(&globex).await.unwrap().is_empty());
    assert_eq!(store.get_sku(&globex, "MUG-01").await.unwrap(), None);
    assert!(store.list_stock(&globex, None).await.unwrap().is_empty());
    let results = store
        .change_stock(
            &globex,
            &[change("HZ-01", "MUG-01", StockOp::Receive { quantity: 1 })],
            now(),
        )
        .await
        .unwrap();
    assert_eq!(results[0], Err(StockChangeError::UnknownWarehouse("HZ-01".into())));
}

/// SplitMix64: a tiny, well-known generator, so a failing history replays from its seed
/// without pulling a random-number crate into the storage port.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: u64) -> i64 {
        (self.next() % n) as i64
    }
}

/// What the pure model says a change does.
fn model_apply(
    model: &mut std::collections::BTreeMap<(String, String), StockLevel>,
    change: &StockChange,
) -> Result<StockLevel, StockChangeError> {
    use ordo_core::inventory::{Movement, apply};
    if !["HZ-01", "SZ-01"].contains(&change.warehouse.as_str()) {
        return Err(StockChangeError::UnknownWarehouse(change.warehouse.clone()));
    }
    if !["TEE-RED-M", "MUG-01", "CAP-01"].contains(&change.sku.as_str()) {
        return Err(StockChangeError::UnknownSku(change.sku.clone()));
    }
    let key = (change.warehouse.clone(), change.sku.clone());
    let current = model.get(&key).copied().unwrap_or_default();
    let movement = match change.op {
        StockOp::Receive { quantity } => Some(Movement {
            kind: MovementKind::Receipt,
            quantity,
        }),
        StockOp::Adjust { delta } => (delta != 0).then_some(Movement {
            kind: MovementKind::Adjustment,
            quantity: delta,
        }),
        StockOp::Set {
            on_hand,
            expected_on_hand,
        } => {
            if let Some(expected) = expected_on_hand
                && expected != current.on_hand
            {
                return Err(StockChangeError::Stale {
                    expected,
                    actual: current.on_hand,
                });
            }
            (on_hand != current.on_hand).then_some(Movement {
                kind: MovementKind::Adjustment,
                quantity: on_hand - current.on_hand,
            })
        }
        StockOp::SetSafetyStock { safety_stock } => {
            let next = StockLevel {
                safety_stock,
                ..current
            };
            model.insert(key, next);
            return Ok(next);
        }
    };
    let Some(movement) = movement else { return Ok(current) };
    let next = apply(current, movement).map_err(|e| StockChangeError::Invalid(e.to_string()))?;
    model.insert(key, next);
    Ok(next)
}

/// A long seeded random history of stock changes gives, call by call, the answers of the
/// pure model in `ordo_core::inventory`, and ends with balances that agree with both the
/// model and the movements. Set `ORDO_SIM_SEED` to replay one history.
pub async fn a_seeded_random_history_matches_the_model<T: Store + InventoryStore>(store: Arc<T>) {
    setup(&store).await;
    store.upsert_sku(&acme(), &sku("CAP-01"), now()).await.unwrap().unwrap();
    let seed = std::env::var("ORDO_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x00D0_2026_1122_u64);
    let mut rng = SplitMix(seed);
    let warehouses = ["HZ-01", "SZ-01", "XX-99"];
    let skus = ["TEE-RED-M", "MUG-01", "CAP-01", "GHOST"];
    let mut model = std::collections::BTreeMap::new();
    for step in 0..60 {
        let batch: Vec<StockChange> = (0..1 + rng.below(8))
            .map(|_| {
                // Unknown warehouses and SKUs are rare, as in real feeds.
                let warehouse = warehouses[if rng.below(20) == 0 { 2 } else { rng.below(2) as usize }];
                let sku = skus[if rng.below(20) == 0 { 3 } else { rng.below(3) as usize }];
                let op = match rng.below(10) {
                    0..=3 => StockOp::Receive {
                        quantity: rng.below(30) - 2,
                    },
                    4..=6 => StockOp::Adjust {
                        delta: rng.below(40) - 25,
                    },
                    7 => StockOp::Set {
                        on_hand: rng.below(60) - 3,
                        expected_on_hand: None,
                    },
                    8 => StockOp::Set {
                        on_hand: rng.below(60),
                        expected_on_hand: Some(rng.below(60)),
                    },
                    _ => StockOp::SetSafetyStock {
                        safety_stock: rng.below(6),
                    },
                };
                change(warehouse, sku, op)
            })
            .collect();
        let results = store.change_stock(&acme(), &batch, now()).await.unwrap();
        for (change, result) in batch.iter().zip(results) {
            let expected = model_apply(&mut model, change);
            match (&expected, &result) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "seed {seed} step {step}: {change:?}"),
                (Err(StockChangeError::Invalid(_)), Err(StockChangeError::Invalid(_))) => {}
                _ => assert_eq!(expected, result, "seed {seed} step {step}: {change:?}"),
            }
        }
    }
    let stored: std::collections::BTreeMap<(String, String), StockLevel> = store
        .list_stock(&acme(), None)
        .await
        .unwrap()
        .into_iter()
        .map(|row| ((row.warehouse, row.sku), row.level))
        .collect();
    for (key, level) in &model {
        assert_eq!(stored.get(key), Some(level), "seed {seed}: final level of {key:?}");
    }
    assert_eq!(
        store.check_inventory(&acme()).await.unwrap(),
        vec![],
        "seed {seed}: balances vs movements"
    );
}
