//! Orders: intake (JSON, mapped payloads, platform hooks), search, the inbox, tokens and
//! the dashboard's figures. Mirrors `ordo_store::orders`.

pub mod inbox;
pub mod kpis;
pub mod order;
pub mod tokens;
