//! EasyPost's published trackers, events, shipments and orders read as tracking updates.

use ordo_connect::tracking::{TrackingError, TrackingEvent, TrackingSource, TrackingStatus, easypost};

fn parse(name: &str) -> Result<Vec<ordo_connect::tracking::TrackingUpdate>, TrackingError> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    easypost::parse(&std::fs::read(&path).unwrap())
}

#[test]
fn a_created_tracker_is_pre_transit_with_its_two_details() {
    let updates = parse("easypost_tracker_create.json").unwrap();

    assert_eq!(updates.len(), 1);
    let update = &updates[0];
    assert_eq!(update.tracking_number, "EZ1000000001");
    assert_eq!(update.carrier.as_deref(), Some("USPS"));
    assert_eq!(update.status, TrackingStatus::PreTransit);
    assert_eq!(update.status_detail.as_deref(), Some("status_update"));
    assert_eq!(update.estimated_delivery.as_deref(), Some("2025-05-09T20:40:17Z"));
    assert_eq!(update.delivered_at, None);
    assert_eq!(update.source, TrackingSource::Easypost);
    assert_eq!(
        update.events,
        [
            TrackingEvent {
                at: "2025-04-09T20:40:17Z".into(),
                status: TrackingStatus::PreTransit,
                message: "Pre-Shipment Info Sent to USPS".into(),
                location: None,
            },
            TrackingEvent {
                at: "2025-04-10T09:17:17Z".into(),
                status: TrackingStatus::PreTransit,
                message: "Shipping Label Created".into(),
                location: Some("HOUSTON, TX, 77063".into()),
            },
        ]
    );
}

#[test]
fn a_tracker_updated_webhook_is_delivered_at_its_last_scan() {
    let updates = parse("easypost_tracking_webhook_event.json").unwrap();

    assert_eq!(updates.len(), 1);
    let update = &updates[0];
    assert_eq!(
        (update.tracking_number.as_str(), update.carrier.as_deref()),
        ("EZ4000000004", Some("UPS"))
    );
    assert_eq!(update.status, TrackingStatus::Delivered);
    assert_eq!(update.status_detail, None);
    assert_eq!(update.delivered_at.as_deref(), Some("2014-08-24T15:33:00Z"));
    assert_eq!(update.estimated_delivery.as_deref(), Some("2014-08-27T00:00:00Z"));
    let statuses: Vec<_> = update.events.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(
        statuses,
        [
            "pre_transit",
            "in_transit",
            "in_transit",
            "in_transit",
            "out_for_delivery",
            "delivered"
        ]
    );
    assert_eq!(
        update.events[1].location.as_deref(),
        Some("SOUTH SAN FRANCISCO, CA, US")
    );
    assert_eq!(update.events[5].message, "DELIVERED");
}

#[test]
fn an_event_without_a_tracker_is_no_update() {
    assert_eq!(parse("easypost_event_retrieve.json").unwrap(), []);
}

#[test]
fn a_bought_shipment_and_order_carry_their_new_trackers() {
    let shipment = parse("easypost_shipment_buy.json").unwrap();
    assert_eq!(shipment.len(), 1);
    assert_eq!(shipment[0].tracking_number, "9434600208303109842228");
    assert_eq!(shipment[0].status, TrackingStatus::Unknown);
    assert_eq!(shipment[0].status_detail.as_deref(), Some("unknown"));
    assert!(shipment[0].events.is_empty());

    let order = parse("easypost_order_buy.json").unwrap();
    let numbers: Vec<_> = order.iter().map(|u| (u.tracking_number.as_str(), u.status)).collect();
    assert_eq!(
        numbers,
        [
            ("9400100208303109837512", TrackingStatus::Unknown),
            ("9434600208303109842303", TrackingStatus::Unknown),
        ]
    );
}

#[test]
fn a_refund_list_is_not_tracking() {
    let error = parse("easypost_refunds_list.json").unwrap_err();
    assert!(
        matches!(&error, TrackingError::Field { field, .. } if field == "object"),
        "{error}"
    );
}

#[test]
fn statuses_that_lose_information_keep_easypost_s_word() {
    let body = |status: &str| {
        format!(
            r#"{{"object": "Tracker", "tracking_code": "EZ1", "status": "{status}", "status_detail": "label_voided"}}"#
        )
    };
    let read = |status: &str| easypost::parse(body(status).as_bytes()).unwrap().remove(0);

    assert_eq!(read("return_to_sender").status, TrackingStatus::ReturnToSender);
    assert_eq!(read("available_for_pickup").status, TrackingStatus::AvailableForPickup);
    let cancelled = read("cancelled");
    assert_eq!(cancelled.status, TrackingStatus::Exception);
    assert_eq!(cancelled.status_detail.as_deref(), Some("cancelled: label_voided"));
    assert_eq!(read("failure").status, TrackingStatus::Exception);
    assert_eq!(read("error").status, TrackingStatus::Unknown);

    let bad_time = br#"{"object": "Tracker", "tracking_code": "EZ1", "status": "in_transit",
        "tracking_details": [{"status": "in_transit", "datetime": "later"}]}"#;
    let error = easypost::parse(bad_time).unwrap_err();
    assert!(matches!(&error, TrackingError::Field { field, .. } if field == "tracking_details[0].datetime"));
    assert!(matches!(easypost::parse(b"<html>"), Err(TrackingError::Json(_))));
}
