//! `ordo bench repair`: the auto-repair rate on a seeded corpus of broken orders, the
//! wrong repairs (which must be zero), and what repair costs per order. The baseline in
//! the same run is the corpus without repair: how many broken orders would validate, and
//! how many would equal the clean order, as they arrived.

use std::time::Instant;

use ordo_geo::corpus::{generate, score};
use ordo_geo::repair::{RepairOptions, repair};

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct RepairArgs {
    /// Seeds; each makes its own corpus.
    #[arg(long, value_delimiter = ',', default_value = "42,7,2026")]
    pub seeds: Vec<u64>,
    /// Broken orders per seed.
    #[arg(long, default_value_t = 10_000)]
    pub count: usize,
}

/// Runs it and prints the figures.
pub fn run(args: RepairArgs) -> anyhow::Result<()> {
    let options = RepairOptions::default();
    println!(
        "| seed | orders | repairable | repaired exactly | rate | wrong repairs | left for review | valid as sent (no repair) | valid after repair |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut timings_us: Vec<f64> = Vec::new();
    for seed in &args.seeds {
        let cases = generate(*seed, args.count);
        let figures = score(&cases, &options);
        let mut valid_before = 0;
        let mut valid_after = 0;
        for case in &cases {
            if case.broken.clone().validate().is_ok() {
                valid_before += 1;
            }
            let started = Instant::now();
            let outcome = repair(&case.broken, &options);
            timings_us.push(started.elapsed().as_secs_f64() * 1e6);
            if outcome.input.validate().is_ok() {
                valid_after += 1;
            }
        }
        println!(
            "| {seed} | {} | {} | {} | {:.2} % | {} | {} | {} | {} |",
            figures.total,
            figures.repairable,
            figures.repaired_exactly,
            figures.repair_rate() * 100.0,
            figures.wrong_repairs,
            figures.left_for_review,
            valid_before,
            valid_after,
        );
        if figures.wrong_repairs > 0 || figures.repair_rate() < 0.95 {
            anyhow::bail!("seed {seed}: below the bar (rate ≥ 95 %, no wrong repair)");
        }
    }
    timings_us.sort_by(f64::total_cmp);
    let at =
        |p: f64| timings_us[((p / 100.0 * timings_us.len() as f64).ceil() as usize).clamp(1, timings_us.len()) - 1];
    println!(
        "repair time per order: p50 {:.1} µs, p99 {:.1} µs ({} orders)",
        at(50.0),
        at(99.0),
        timings_us.len()
    );
    Ok(())
}
