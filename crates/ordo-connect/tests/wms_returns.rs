//! Goods that came back, as warehouses report them: the generic `returned` event and
//! ShipBob's completed return order, each read into lines with a disposition, and wrong
//! payloads named by the path of the field.

use ordo_connect::wms::{
    CallbackError, CallbackHeaders, ReturnDisposition as D, ReturnLine, WmsEvent, WmsEventKind, WmsKind,
    parse_callback, sign_generic, sign_standard_webhook,
};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

const SECRET: &str = "wms-callback-secret";
const SHIPBOB_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SENT_AT: i64 = 1_767_225_600;

fn generic(body: &Value) -> Result<WmsEvent, CallbackError> {
    let body = serde_json::to_vec(body).unwrap();
    let signature = sign_generic(SECRET, &body);
    let headers = CallbackHeaders {
        signature: Some(&signature),
        ..CallbackHeaders::default()
    };
    parse_callback(WmsKind::Generic, &headers, Some(SECRET), &body)
}

fn shipbob(topic: Option<&str>, body: &Value) -> Result<WmsEvent, CallbackError> {
    let body = serde_json::to_vec(body).unwrap();
    let timestamp = SENT_AT.to_string();
    let signature = sign_standard_webhook(SHIPBOB_SECRET, "msg_r1", &timestamp, &body).unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", HeaderValue::from_static("msg_r1"));
    headers.insert("webhook-timestamp", HeaderValue::from_str(&timestamp).unwrap());
    headers.insert("webhook-signature", HeaderValue::from_str(&signature).unwrap());
    if let Some(topic) = topic {
        headers.insert("x-webhook-topic", HeaderValue::from_str(topic).unwrap());
    }
    let meta = CallbackHeaders::from_header_map(WmsKind::Shipbob, &headers, Some(SENT_AT + 2));
    parse_callback(WmsKind::Shipbob, &meta, Some(SHIPBOB_SECRET), &body)
}

fn field(result: Result<WmsEvent, CallbackError>) -> (String, String) {
    match result {
        Err(error @ CallbackError::Field { .. }) => {
            let code = error.code().to_owned();
            let CallbackError::Field { field, .. } = error else {
                unreachable!()
            };
            (code, field)
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

fn line(sku: &str, quantity: u32, disposition: D) -> ReturnLine {
    ReturnLine {
        sku: sku.into(),
        quantity,
        disposition,
    }
}

fn returned() -> Value {
    json!({
        "event": "returned",
        "event_id": "RET-7",
        "warehouse": "HZ-01",
        "order_id": "0190f5a2-0000-7000-8000-000000000001",
        "case_id": "0190f5a2-0000-7000-8000-0000000000c1",
        "lines": [
            {"sku": "TEE-RED-M", "quantity": 1},
            {"sku": "TEE-RED-M", "quantity": 1, "disposition": "write_off"},
            {"sku": "MUG-01", "quantity": 2, "disposition": "missing"},
        ],
        "at": "2026-03-01T10:00:00+08:00",
    })
}

#[test]
fn a_generic_returned_event_names_its_lines_with_restock_by_default() {
    let event = generic(&returned()).unwrap();

    assert_eq!(
        event,
        WmsEvent {
            request_id: None,
            remote_id: None,
            order_ref: Some("0190f5a2-0000-7000-8000-000000000001".into()),
            kind: WmsEventKind::Returned {
                event_id: "RET-7".into(),
                warehouse: Some("HZ-01".into()),
                case_ref: Some("0190f5a2-0000-7000-8000-0000000000c1".into()),
                lines: vec![
                    line("TEE-RED-M", 1, D::Restock),
                    line("TEE-RED-M", 1, D::WriteOff),
                    line("MUG-01", 2, D::Missing),
                ],
            },
            at: Some("2026-03-01T02:00:00Z".into()),
        }
    );
}

#[test]
fn a_generic_returned_event_without_a_case_is_read() {
    let mut body = returned();
    body.as_object_mut().unwrap().remove("case_id");
    let event = generic(&body).unwrap();
    assert!(matches!(event.kind, WmsEventKind::Returned { case_ref: None, .. }));
}

/// A change to a payload.
type Change = Box<dyn Fn(&mut Value)>;

#[test]
fn a_wrong_generic_returned_event_is_named_by_its_field() {
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("event_id");
            }),
            "event_id",
        ),
        (
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("warehouse");
            }),
            "warehouse",
        ),
        (
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("order_id");
                v["fulfilment_id"] = json!("F-1");
            }),
            "order_id",
        ),
        (Box::new(|v| v["lines"] = json!([])), "lines"),
        (Box::new(|v| v["lines"] = json!({"sku": "X"})), "lines"),
        (
            Box::new(|v| v["lines"][1]["disposition"] = json!("resell")),
            "lines[1].disposition",
        ),
        (Box::new(|v| v["lines"][2]["quantity"] = json!(0)), "lines[2].quantity"),
        (Box::new(|v| v["lines"][0]["sku"] = json!(" ")), "lines[0].sku"),
        (Box::new(|v| v["case_id"] = json!({"id": 1})), "case_id"),
        (Box::new(|v| v["at"] = json!("yesterday")), "at"),
    ];
    for (change, path) in cases {
        let mut body = returned();
        change(&mut body);
        assert_eq!(field(generic(&body)), ("bad_field".into(), path.into()), "{body}");
    }
}

#[test]
fn an_unknown_generic_event_names_returned_among_the_known_ones() {
    let Err(CallbackError::Field { field, message }) = generic(&json!({"event": "came_back", "order_id": "o"})) else {
        panic!("expected a field error");
    };
    assert_eq!(field, "event");
    assert!(message.contains("returned"), "{message}");
}

/// A return order as ShipBob documents it (`GET /2026-01/return/{id}`), completed.
fn shipbob_return() -> Value {
    json!({
        "channel": {"id": 341, "name": "Ordo"},
        "completed_date": "2026-03-02T15:04:05Z",
        "customer_name": "Merchant",
        "fulfillment_center": {"id": 172, "name": "Cicero (IL)"},
        "id": 5001,
        "insert_date": "2026-02-27T09:00:00Z",
        "inventory": [
            {
                "action_requested": {"action": "Default", "action_type": "Default", "instructions": null},
                "action_taken": [
                    {"action": "Restock", "action_reason": "Good condition", "image_url": null, "quantity_processed": 1},
                    {"action": "Dispose", "action_reason": "Damaged", "image_url": null, "quantity_processed": 1},
                ],
                "id": 20_000_001,
                "name": "TEE-RED-M",
                "quantity": 2,
            },
            {
                "action_requested": {"action": "Default", "action_type": "Default", "instructions": null},
                "action_taken": [
                    {"action": "Quarantine", "action_reason": null, "image_url": null, "quantity_processed": 1},
                ],
                "id": 20_000_002,
                "name": "Mug",
                "sku": "MUG-01",
                "quantity": 2,
            },
        ],
        "invoice_amount": 3.5,
        "original_shipment_id": 90_000_001,
        "reference_id": "0190f5a2-0000-7000-8000-0000000000c1",
        "return_type": "Regular",
        "status": "Completed",
        "store_order_id": "0190f5a2-0000-7000-8000-000000000001",
        "tracking_number": "1Z9999999999999999",
        "transactions": [],
    })
}

#[test]
fn a_completed_shipbob_return_maps_its_actions_to_dispositions() {
    let event = shipbob(Some("return.completed"), &shipbob_return()).unwrap();

    assert_eq!(
        event,
        WmsEvent {
            request_id: None,
            remote_id: None,
            order_ref: Some("0190f5a2-0000-7000-8000-000000000001".into()),
            kind: WmsEventKind::Returned {
                event_id: "return:5001".into(),
                warehouse: None,
                case_ref: Some("0190f5a2-0000-7000-8000-0000000000c1".into()),
                lines: vec![
                    line("TEE-RED-M", 1, D::Restock),
                    line("TEE-RED-M", 1, D::WriteOff),
                    line("MUG-01", 1, D::Quarantine),
                    // Two expected, one processed: the other never arrived.
                    line("MUG-01", 1, D::Missing),
                ],
            },
            at: Some("2026-03-02T15:04:05Z".into()),
        }
    );
}

#[test]
fn a_shipbob_return_in_an_envelope_or_without_a_topic_is_read_the_same() {
    let bare = shipbob(Some("return.completed"), &shipbob_return()).unwrap();
    let wrapped = json!({"topic": "return.completed", "data": shipbob_return()});
    assert_eq!(shipbob(None, &wrapped).unwrap(), bare);
    assert_eq!(shipbob(None, &shipbob_return()).unwrap(), bare);
}

#[test]
fn a_shipbob_return_not_completed_is_acknowledged_and_ignored() {
    let mut body = shipbob_return();
    body["status"] = json!("Arrived");
    let error = shipbob(Some("return.updated"), &body).unwrap_err();
    assert!(error.is_ignorable(), "{error:?}");
    assert_eq!(error.code(), "ignored");
}

#[test]
fn a_wrong_shipbob_return_is_named_by_its_field() {
    let mut unknown_action = shipbob_return();
    unknown_action["inventory"][0]["action_taken"][1]["action"] = json!("Donate");
    assert_eq!(
        field(shipbob(Some("return.completed"), &unknown_action)),
        ("bad_field".into(), "inventory[0].action_taken[1].action".into())
    );
    let mut nameless = shipbob_return();
    nameless["inventory"][0].as_object_mut().unwrap().remove("name");
    assert_eq!(
        field(shipbob(Some("return.completed"), &nameless)),
        ("bad_field".into(), "inventory[0].name".into())
    );
    let mut empty = shipbob_return();
    empty["inventory"] = json!([]);
    assert_eq!(
        field(shipbob(Some("return.completed"), &empty)),
        ("bad_field".into(), "inventory".into())
    );
    let mut no_id = shipbob_return();
    no_id.as_object_mut().unwrap().remove("id");
    assert_eq!(
        field(shipbob(Some("return.completed"), &no_id)),
        ("bad_field".into(), "id".into())
    );
}

#[test]
fn a_forged_returned_event_is_refused_before_it_is_read() {
    let body = serde_json::to_vec(&returned()).unwrap();
    let headers = CallbackHeaders {
        signature: Some("sha256=00"),
        ..CallbackHeaders::default()
    };
    let error = parse_callback(WmsKind::Generic, &headers, Some(SECRET), &body).unwrap_err();
    assert_eq!(error.code(), "bad_signature");
}
