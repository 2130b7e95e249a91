//! The load balancer in front of the nodes, as `server.public_url` names it: forwards each
//! request (warehouse callbacks here) to the first node still up, so a callback never
//! depends on the node that sent the request.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Node base URLs the balancer may forward to; the test removes a node it kills.
pub type Nodes = Arc<Mutex<Vec<String>>>;

/// Starts a balancer on 127.0.0.1 over `nodes`; returns its base URL.
pub async fn start(nodes: Nodes) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .fallback(forward)
        .with_state((nodes, reqwest::Client::new()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn forward(State((nodes, http)): State<(Nodes, reqwest::Client)>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body): Result<Bytes, _> = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let bases = nodes.lock().unwrap().clone();
    // Like a balancer's health check: a node that does not answer is skipped.
    for base in bases {
        let mut outgoing = http.request(parts.method.clone(), format!("{base}{path}"));
        for (name, value) in &parts.headers {
            if name != axum::http::header::HOST {
                outgoing = outgoing.header(name, value);
            }
        }
        if let Ok(answer) = outgoing.body(body.clone()).send().await {
            let status = answer.status();
            let bytes = answer.bytes().await.unwrap_or_default();
            return (status, bytes).into_response();
        }
    }
    StatusCode::BAD_GATEWAY.into_response()
}
