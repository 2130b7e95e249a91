//! `sqlx::migrate!` embeds `migrations/` at compile time; this makes cargo rebuild the
//! crate when a migration is added or edited, which it would not notice otherwise.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
