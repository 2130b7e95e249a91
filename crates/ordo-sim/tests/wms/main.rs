//! End-to-end tests of the warehouse simulator over real HTTP on 127.0.0.1: the generic
//! API and ShipBob's, callbacks received and verified by a local receiver, and the
//! injected faults. Every test is bounded in time.

mod common;
mod faults;
mod generic;
mod shipbob;
mod throughput;
