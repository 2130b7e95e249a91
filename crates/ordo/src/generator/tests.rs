//! The generator's promises: valid orders, unique ids, reproducible streams.

use ordo_core::input::OrderInput;

use super::data::CHANNELS;
use super::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T10:15:00+08:00")
        .unwrap()
        .to_utc()
}

#[test]
fn every_generated_order_is_valid_and_ids_are_unique() {
    let mut seen = std::collections::HashSet::new();
    let mut channels = std::collections::HashSet::new();
    for seed in 0..8 {
        let mut generator = OrderGenerator::striped(99, seed, 8);
        for _ in 0..250 {
            let value = generator.next_order(now());
            let input: OrderInput = serde_json::from_value(value.clone()).unwrap();
            let order = input.validate().unwrap_or_else(|e| panic!("{value}: {e:?}"));
            assert!(
                seen.insert((order.channel.to_string(), order.external_id.to_string())),
                "{value}"
            );
            channels.insert(order.channel.to_string());
            let paid = paid_version(&value, now() + chrono::Duration::seconds(5));
            if let Some(paid) = paid {
                serde_json::from_value::<OrderInput>(paid).unwrap().validate().unwrap();
            }
        }
    }
    assert_eq!(channels.len(), CHANNELS.len());
}

#[test]
fn the_same_seed_gives_the_same_orders() {
    let (mut a, mut b) = (OrderGenerator::new(7), OrderGenerator::new(7));
    for _ in 0..50 {
        assert_eq!(a.next_order(now()), b.next_order(now()));
    }
    assert_ne!(
        OrderGenerator::new(8).next_order(now()),
        OrderGenerator::new(7).next_order(now())
    );
}

#[test]
fn amounts_follow_the_currency() {
    let mut generator = OrderGenerator::new(3);
    let mut currencies = std::collections::HashSet::new();
    for _ in 0..2_000 {
        let order = generator.next_order(now());
        let currency = order["currency"].as_str().unwrap().to_owned();
        let price = order["lines"][0]["unit_price"].as_str().unwrap();
        assert_eq!(price.contains('.'), currency != "JPY", "{order}");
        let phone = order["shipping_address"]["phone"].as_str().unwrap();
        if currency == "CNY" {
            assert!(
                phone.len() == 11 && ["13", "15", "18"].contains(&&phone[..2]),
                "{phone}"
            );
        }
        currencies.insert(currency);
    }
    assert_eq!(currencies.len(), 5, "{currencies:?}");
}
