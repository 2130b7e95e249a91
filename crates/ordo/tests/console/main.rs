//! The console over HTTP against the real binary: sign-in, sessions, CSRF, roles, tenants
//! and each screen's reads and writes. The browser tests (`tests/browser`) drive the same
//! screens in Chromium.

#[path = "../common/server.rs"]
mod server;

#[path = "../common/console.rs"]
mod console;

mod aftersales;
mod auth;
mod channels;
mod config;
mod dashboard;
mod exceptions;
mod inbox;
mod inventory;
mod orders;
