//! Orders: intake (JSON, mapped payloads, platform hooks), search, the inbox and tokens. Mirrors `ordo_store::orders`.

pub mod inbox;
pub mod order;
pub mod tokens;
