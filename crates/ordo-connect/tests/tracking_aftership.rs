//! AfterShip's published tracking and last checkpoint read as tracking updates.

use ordo_connect::tracking::{TrackingError, TrackingEvent, TrackingSource, TrackingStatus, aftership};
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn parse(body: &Value) -> Result<Vec<ordo_connect::tracking::TrackingUpdate>, TrackingError> {
    aftership::parse(&serde_json::to_vec(body).unwrap())
}

#[test]
fn a_fedex_parcel_from_china_to_japan_is_delivered_in_utc() {
    let updates = parse(&fixture("aftership_get_tracking.json")).unwrap();

    assert_eq!(updates.len(), 1);
    let update = &updates[0];
    assert_eq!(update.tracking_number, "111111111111");
    assert_eq!(update.carrier.as_deref(), Some("fedex"));
    assert_eq!(update.status, TrackingStatus::Delivered);
    assert_eq!(update.status_detail.as_deref(), Some("Delivered_001"));
    // 10:10 in Sapporo (+09:00), the same instant as `shipment_delivery_date`.
    assert_eq!(update.delivered_at.as_deref(), Some("2018-07-25T01:10:00Z"));
    assert_eq!(update.estimated_delivery.as_deref(), Some("2022-01-05T12:11:11+01:00"));
    assert_eq!(update.source, TrackingSource::Aftership);
    assert_eq!(update.events.len(), 14);
    assert_eq!(
        update.events[0],
        TrackingEvent {
            at: "2018-07-23T06:21:39Z".into(),
            status: TrackingStatus::PreTransit,
            message: "Shipment information sent to FedEx".into(),
            location: None,
        }
    );
    assert_eq!(
        (update.events[1].at.as_str(), update.events[1].location.as_deref()),
        ("2018-07-23T08:58:00Z", Some("DONGGUAN CN"))
    );
    assert_eq!(update.events[12].status, TrackingStatus::OutForDelivery);
    assert!(update.events.windows(2).all(|pair| pair[0].at <= pair[1].at));
}

#[test]
fn the_last_checkpoint_is_one_event() {
    let updates = parse(&fixture("aftership_last_checkpoint.json")).unwrap();

    assert_eq!(updates.len(), 1);
    let update = &updates[0];
    assert_eq!(
        (update.tracking_number.as_str(), update.status),
        ("111111111111", TrackingStatus::Delivered)
    );
    assert_eq!(update.delivered_at.as_deref(), Some("2018-08-01T17:19:47Z"));
    assert_eq!(update.events.len(), 1);
    assert_eq!(update.events[0].location.as_deref(), Some("Deal, NJ"));
    assert_eq!(
        update.events[0].message,
        "Delivered - Left at front door. Signature Service not requested."
    );
}

#[test]
fn webhooks_lists_and_bare_trackings_are_read_too() {
    let tracking = fixture("aftership_get_tracking.json")["data"]["tracking"].clone();
    let webhook = json!({"event": "tracking_update", "msg": tracking, "ts": 1532495400});
    assert_eq!(parse(&webhook).unwrap()[0].tracking_number, "111111111111");
    assert_eq!(parse(&tracking).unwrap()[0].status, TrackingStatus::Delivered);
    let list = json!({"meta": {"code": 200}, "data": {"trackings": [tracking, tracking]}});
    assert_eq!(parse(&list).unwrap().len(), 2);
}

#[test]
fn tags_map_to_ordo_statuses() {
    let mut tracking = fixture("aftership_get_tracking.json")["data"]["tracking"].clone();
    tracking["checkpoints"] = json!([]);
    for (tag, status) in [
        ("Pending", TrackingStatus::Unknown),
        ("InfoReceived", TrackingStatus::PreTransit),
        ("InTransit", TrackingStatus::InTransit),
        ("OutForDelivery", TrackingStatus::OutForDelivery),
        ("AttemptFail", TrackingStatus::FailedAttempt),
        ("AvailableForPickup", TrackingStatus::AvailableForPickup),
        ("Exception", TrackingStatus::Exception),
        ("Expired", TrackingStatus::Expired),
    ] {
        tracking["tag"] = json!(tag);
        let update = parse(&tracking).unwrap().remove(0);
        assert_eq!(update.status, status, "{tag}");
        assert_eq!(update.delivered_at, None, "{tag}");
    }
    tracking["tag"] = json!("Delivered");
    assert_eq!(
        parse(&tracking).unwrap()[0].delivered_at.as_deref(),
        Some("2018-07-25T01:10:00Z")
    );
    tracking["return_to_sender"] = json!(true);
    assert_eq!(parse(&tracking).unwrap()[0].status, TrackingStatus::ReturnToSender);
    tracking["tag"] = json!("Teleported");
    tracking["return_to_sender"] = json!(false);
    assert_eq!(
        parse(&tracking).unwrap()[0].status_detail.as_deref(),
        Some("Teleported: Delivered_001")
    );
}

#[test]
fn a_wrong_field_is_named() {
    let mut tracking = fixture("aftership_get_tracking.json");
    tracking["data"]["tracking"]["checkpoints"][3]["checkpoint_time"] = json!(42);
    let error = parse(&tracking).unwrap_err();
    assert!(
        matches!(&error, TrackingError::Field { field, .. } if field == "data.tracking.checkpoints[3].checkpoint_time"),
        "{error}"
    );
    assert!(matches!(parse(&json!({"meta": {}})), Err(TrackingError::Field { .. })));
}
