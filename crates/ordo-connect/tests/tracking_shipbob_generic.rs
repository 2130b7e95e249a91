//! ShipBob's published shipment tracking and Ordo's generic tracking JSON read as updates.

use ordo_connect::tracking::{TrackingError, TrackingEvent, TrackingSource, TrackingStatus, generic, shipbob};
use serde_json::{Value, json};

fn shipbob_fixture() -> Value {
    let path = format!(
        "{}/tests/fixtures/shipbob_2026-01_shipments_tracking.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

fn read_shipbob(body: &Value) -> Vec<ordo_connect::tracking::TrackingUpdate> {
    shipbob::parse(&serde_json::to_vec(body).unwrap()).unwrap()
}

#[test]
fn shipbob_tracking_is_out_for_delivery_with_its_history_oldest_first() {
    let updates = read_shipbob(&shipbob_fixture());

    assert_eq!(updates.len(), 1);
    let update = &updates[0];
    assert_eq!(update.tracking_number, "1Z999AA10123456784");
    assert_eq!(update.carrier.as_deref(), Some("UPS"));
    assert_eq!(update.status, TrackingStatus::OutForDelivery);
    assert_eq!(update.status_detail.as_deref(), Some("OutForDelivery"));
    assert_eq!(update.estimated_delivery.as_deref(), Some("2024-01-15T20:00:00Z"));
    assert_eq!(update.delivered_at, None);
    assert_eq!(update.source, TrackingSource::Shipbob);
    assert_eq!(
        update.events,
        [
            TrackingEvent {
                at: "2024-01-14T22:00:00Z".into(),
                status: TrackingStatus::InTransit,
                message: "Package arrived at carrier facility".into(),
                location: Some("Indianapolis, IN".into()),
            },
            TrackingEvent {
                at: "2024-01-15T08:00:00Z".into(),
                status: TrackingStatus::InTransit,
                message: "Package has left the carrier facility".into(),
                location: Some("Indianapolis, IN".into()),
            },
        ]
    );
}

#[test]
fn shipbob_statuses_map_to_ordo_statuses() {
    let mut entry = shipbob_fixture()[0].clone();
    entry["history"] = json!([]);
    for (status, expected) in [
        ("PreTransit", TrackingStatus::PreTransit),
        ("Delivered", TrackingStatus::Delivered),
        ("Available for Pickup", TrackingStatus::AvailableForPickup),
        ("Delivery attempt Failed", TrackingStatus::FailedAttempt),
        ("DeliveryException", TrackingStatus::Exception),
        ("Return to sender", TrackingStatus::ReturnToSender),
        ("Cancelled", TrackingStatus::Exception),
        ("Lost in space", TrackingStatus::Unknown),
    ] {
        entry["status"] = json!(status);
        entry["substatus"] = Value::Null;
        assert_eq!(read_shipbob(&entry)[0].status, expected, "{status}");
    }
    entry["status"] = json!("Delivered");
    assert_eq!(
        read_shipbob(&entry)[0].delivered_at.as_deref(),
        Some("2024-01-15T14:30:00Z")
    );
}

#[test]
fn generic_checkpoints_group_by_tracking_number() {
    let body = json!([
        {"tracking_number": "3SABC", "carrier": "PostNL", "status": "in_transit", "at": "2026-03-02T09:00:00+01:00",
         "message": "Sorted", "location": "Amsterdam"},
        {"tracking_number": "3SXYZ", "status": "info_received", "at": "2026-03-01T10:00:00Z"},
        {"tracking_number": "3SABC", "status": "delivered", "at": "2026-03-03T12:00:00Z", "message": "Delivered"},
        {"tracking_number": "3SABC", "status": "out_for_delivery", "at": "2026-03-03T07:00:00Z"}
    ]);

    let updates = generic::parse(&serde_json::to_vec(&body).unwrap()).unwrap();

    assert_eq!(updates.len(), 2);
    let abc = &updates[0];
    assert_eq!(
        (abc.tracking_number.as_str(), abc.carrier.as_deref()),
        ("3SABC", Some("PostNL"))
    );
    assert_eq!(abc.status, TrackingStatus::Delivered);
    assert_eq!(abc.delivered_at.as_deref(), Some("2026-03-03T12:00:00Z"));
    let times: Vec<_> = abc.events.iter().map(|e| (e.at.as_str(), e.status)).collect();
    assert_eq!(
        times,
        [
            ("2026-03-02T08:00:00Z", TrackingStatus::InTransit),
            ("2026-03-03T07:00:00Z", TrackingStatus::OutForDelivery),
            ("2026-03-03T12:00:00Z", TrackingStatus::Delivered),
        ]
    );
    assert_eq!(
        (updates[1].status, updates[1].source),
        (TrackingStatus::PreTransit, TrackingSource::Generic)
    );
}

#[test]
fn one_generic_checkpoint_is_one_update_and_wrong_fields_are_named() {
    let one =
        br#"{"tracking_number": "1Z", "carrier": "UPS", "status": "failed_attempt", "at": "2026-03-01T10:00:00Z"}"#;
    assert_eq!(generic::parse(one).unwrap()[0].status, TrackingStatus::FailedAttempt);

    let field = |body: Value| match generic::parse(&serde_json::to_vec(&body).unwrap()) {
        Err(TrackingError::Field { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    };
    assert_eq!(
        field(json!({"status": "delivered", "at": "2026-03-01T10:00:00Z"})),
        "tracking_number"
    );
    assert_eq!(
        field(json!([{"tracking_number": "1Z", "status": "lost", "at": "2026-03-01T10:00:00Z"}])),
        "[0].status"
    );
    assert_eq!(
        field(json!([{"tracking_number": "1Z", "status": "delivered"}])),
        "[0].at"
    );
    assert_eq!(field(json!("delivered")), "body");
}
