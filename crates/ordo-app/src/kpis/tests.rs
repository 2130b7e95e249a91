//! The dashboard's sums, rates, percentiles and daily series from hand-made rollups.

use chrono::TimeZone;
use ordo_store::orders::kpi_reads::{KpiBucket, KpiCount};

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 10, 15, 0, 0).unwrap()
}

fn count(days_ago: i64, channel: &str, warehouse: &str, metric: &str, value: i64) -> KpiCount {
    KpiCount {
        day: rollups::day_of(now()) - Duration::days(days_ago),
        channel: channel.into(),
        warehouse: warehouse.into(),
        metric: metric.into(),
        value,
    }
}

fn bucket(days_ago: i64, channel: &str, stage: &str, bucket: i64, n: i64) -> KpiBucket {
    KpiBucket {
        day: rollups::day_of(now()) - Duration::days(days_ago),
        channel: channel.into(),
        warehouse: "HZ".into(),
        stage: stage.into(),
        bucket,
        n,
    }
}

#[test]
fn windows_views_rates_and_percentiles_add_up_from_the_rollups() {
    let read = KpiRead {
        counts: vec![
            count(0, "web", "", rollups::ORDERS_IN, 3),
            count(3, "shop", "", rollups::ORDERS_IN, 5),
            count(20, "web", "", rollups::ORDERS_IN, 7),
            count(0, "web", "HZ", rollups::ALLOCATED, 4),
            count(0, "web", "HZ", rollups::SPLIT, 1),
            count(0, "web", "HZ", rollups::FIRST_ROUTE_FILLED, 2),
            count(0, "web", "HZ", rollups::SHIPPED, 3),
        ],
        latency: vec![
            bucket(0, "web", rollups::ORDER_TO_ALLOCATED, 60, 9),
            bucket(0, "web", rollups::ORDER_TO_ALLOCATED, 3_600, 1),
            bucket(0, "web", rollups::ORDER_TO_SHIPPED, 86_400, 2),
            bucket(0, "web", rollups::ORDER_TO_SHIPPED, 259_200, 1),
        ],
        sync: vec![],
    };
    let (total, by_channel, by_warehouse) = summarise(&read, &KpiSettings::default(), now());
    assert_eq!(
        (total.today.orders_in, total.days_7.orders_in, total.days_30.orders_in),
        (3, 8, 15)
    );
    assert_eq!(by_channel["shop"].days_7.orders_in, 5);
    assert_eq!(by_channel["shop"].today, Figures::default());
    assert_eq!(by_warehouse["HZ"].today.orders_in, 0, "orders in have no warehouse");
    assert!(!by_warehouse.contains_key(""));
    let today = &total.today;
    assert_eq!((today.split_rate, today.first_route_fill_rate), (Some(0.25), Some(0.5)));
    let latency = &today.latency.order_to_allocated;
    assert_eq!(
        (latency.count, latency.p50_seconds, latency.p95_seconds),
        (10, Some(60), Some(3_600))
    );
    assert_eq!(today.latency.sent_to_shipped, Latency::default());
    let days = daily(&read, rollups::day_of(now()) - Duration::days(29));
    assert_eq!(days.len(), 30);
    assert_eq!(
        (days[29].day, days[29].orders_in, days[29].shipped),
        (rollups::day_of(now()), 3, 3)
    );
    assert_eq!((days[26].orders_in, days[9].orders_in, days[0].orders_in), (5, 7, 0));
    assert_eq!((today.shipped, today.shipped_on_time, today.shipped_late), (3, 2, 1));

    // A channel with a one-day deadline: only the first bucket is on time.
    let settings = KpiSettings {
        ship_within_by_channel: [("web".to_owned(), Duration::hours(24))].into(),
        ..Default::default()
    };
    let (total, _, _) = summarise(&read, &settings, now());
    assert_eq!((total.today.shipped_on_time, total.today.shipped_late), (2, 1));
    let settings = KpiSettings {
        ship_within: Duration::hours(12),
        ..Default::default()
    };
    let (total, _, _) = summarise(&read, &settings, now());
    assert_eq!(total.today.on_time_rate, Some(0.0));
}
