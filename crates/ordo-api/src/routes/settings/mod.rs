//! Settings: what a tenant configures at run time and every node applies within a second
//! (its policies; its connections are under `channels`).

pub mod policies;
