//! An integrator's subscription endpoint: answers 200 to every delivery and keeps each
//! one with its delivery id and arrival time, so repeats of one id can be told apart
//! from distinct deliveries.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;

/// One delivery as it arrived.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// `X-Ordo-Delivery`, the same on every attempt of one delivery.
    pub delivery: String,
    /// The tenant the body says it is for.
    pub tenant: String,
    /// The event kind, e.g. `order.created`.
    pub event: String,
    /// The order's external id.
    pub external_id: String,
    /// When it arrived.
    pub at: Instant,
}

type Receipts = Arc<Mutex<Vec<Receipt>>>;

/// A running receiver on 127.0.0.1; it serves until the test's runtime ends.
pub struct Receiver {
    /// Where subscriptions deliver.
    pub url: String,
    receipts: Receipts,
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/ordo-events", listener.local_addr().unwrap());
        let receipts = Receipts::default();
        let app = Router::new()
            .route("/ordo-events", post(receive))
            .with_state(receipts.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, receipts }
    }

    /// Everything received so far, in arrival order.
    pub fn receipts(&self) -> Vec<Receipt> {
        self.receipts.lock().unwrap().clone()
    }
}

async fn receive(State(receipts): State<Receipts>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let at = Instant::now();
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    // A delivery without an id is kept with an empty one: the test then fails on it, as
    // a receiver could not de-duplicate it.
    let delivery = headers
        .get("x-ordo-delivery")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    receipts.lock().unwrap().push(Receipt {
        delivery,
        tenant: text(&body["tenant"]),
        event: text(&body["type"]),
        external_id: text(&body["data"]["external_id"]),
        at,
    });
    StatusCode::OK
}
