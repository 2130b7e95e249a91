//! Prints how repair scores on generated corpora.
//!
//! `cargo run -p ordo-geo --example corpus_score --release -- 10000 42 7 2026`
//! (case count, then seeds; defaults 10,000 cases and seeds 42, 7 and 2026).

use ordo_geo::RepairOptions;
use ordo_geo::corpus::{generate, score};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let count = args.next().and_then(Result::ok).unwrap_or(10_000);
    let mut seeds: Vec<u64> = args.filter_map(Result::ok).collect();
    if seeds.is_empty() {
        seeds = vec![42, 7, 2026];
    }
    let options = RepairOptions {
        default_country: Some("CN".into()),
    };
    for seed in seeds {
        let cases = generate(seed, usize::try_from(count).unwrap_or(usize::MAX));
        let s = score(&cases, &options);
        println!(
            "seed {seed}: {} cases, {} repairable, {} repaired exactly ({:.2} %), {} wrong repairs, {} left for review, {} unrepairable unreported",
            s.total,
            s.repairable,
            s.repaired_exactly,
            100.0 * s.repair_rate(),
            s.wrong_repairs,
            s.left_for_review,
            s.unrepairable_unreported
        );
        for (kind, (cases, handled)) in &s.by_kind {
            println!("  {kind:<24} {handled:>5} / {cases:<5}");
        }
    }
}
