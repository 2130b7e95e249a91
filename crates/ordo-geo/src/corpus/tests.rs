use std::collections::BTreeSet;

use super::score::{fields, judge};
use super::*;
use crate::repair::{RepairOptions, repair};

fn options() -> RepairOptions {
    RepairOptions {
        default_country: Some("CN".into()),
    }
}

/// The first few cases that were not handled, described for the assertion message.
fn failures(cases: &[Case], limit: usize) -> String {
    let mut out = String::new();
    for case in cases {
        let v = judge(case, &options());
        let bad = !v.wrong_fields.is_empty() || (case.repairable && !v.exact) || (!case.repairable && !v.reported);
        if !bad {
            continue;
        }
        let outcome = repair(&case.broken, &options());
        let (clean, broken, repaired) = (fields(&case.clean), fields(&case.broken), fields(&outcome.input));
        let paths: BTreeSet<&String> = clean.keys().chain(repaired.keys()).chain(broken.keys()).collect();
        out.push_str(&format!(
            "\n== {} + {:?} (repairable: {}) wrong: {:?}\n",
            case.kind, case.also, case.repairable, v.wrong_fields
        ));
        for path in paths {
            let (c, b, r) = (clean.get(path), broken.get(path), repaired.get(path));
            if c != b || c != r {
                out.push_str(&format!("  {path}: clean {c:?} | broken {b:?} | repaired {r:?}\n"));
            }
        }
        out.push_str(&format!(
            "  unresolved: {:?}\n",
            outcome
                .unresolved
                .iter()
                .map(|u| (&u.field, u.code))
                .collect::<Vec<_>>()
        ));
        if out.matches("\n== ").count() >= limit {
            break;
        }
    }
    out
}

#[test]
fn the_same_seed_gives_the_same_corpus() {
    assert_eq!(generate(7, 200), generate(7, 200));
    assert_ne!(generate(7, 50), generate(8, 50));
}

#[test]
fn clean_orders_are_valid_and_left_alone_by_repair() {
    for case in generate(1, 1_500) {
        if let Err(errors) = case.clean.validate() {
            panic!("{errors:?} in {:?}", case.clean);
        }
        let outcome = repair(&case.clean, &options());
        assert!(outcome.repairs.is_empty(), "{:?}", outcome.repairs);
        assert!(
            outcome.unresolved.is_empty(),
            "{:?} in {:?}",
            outcome.unresolved,
            case.clean.shipping_address
        );
    }
}

#[test]
fn every_case_is_actually_broken() {
    for case in generate(3, 1_000) {
        assert_ne!(case.clean, case.broken, "{}", case.kind);
    }
}

#[test]
fn every_breakage_kind_occurs_and_about_one_in_ten_is_unrepairable() {
    let cases = generate(11, 5_000);
    let kinds: BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| std::iter::once(c.kind).chain(c.also))
        .collect();
    for b in breaks::REPAIRABLE {
        assert!(kinds.contains(b.name), "{} never occurs", b.name);
    }
    for u in UNREPAIRABLE {
        assert!(kinds.contains(u.name), "{} never occurs", u.name);
    }
    let unrepairable = cases.iter().filter(|c| !c.repairable).count();
    assert!((350..=650).contains(&unrepairable), "{unrepairable}");
    let combined = cases.iter().filter(|c| c.also.is_some()).count();
    assert!(combined > 800, "{combined}");
}

#[test]
fn repair_restores_at_least_95_percent_and_never_repairs_wrongly() {
    let mut report = String::new();
    for seed in [42, 7, 2026] {
        let cases = generate(seed, 2_000);
        let s = score(&cases, &options());
        if s.repair_rate() < 0.95 || s.wrong_repairs > 0 || s.unrepairable_unreported > 0 {
            report.push_str(&format!("seed {seed}: {s:?}{}\n", failures(&cases, 12)));
        }
    }
    assert!(report.is_empty(), "{report}");
}

proptest::proptest! {
    #[test]
    fn repairing_a_repaired_corpus_order_changes_nothing(seed in proptest::prelude::any::<u64>()) {
        for case in generate(seed, 12) {
            let once = repair(&case.broken, &options());
            let twice = repair(&once.input, &options());
            proptest::prop_assert_eq!(&twice.input, &once.input, "{}", case.kind);
            proptest::prop_assert!(twice.repairs.is_empty(), "{}: {:?}", case.kind, twice.repairs);
            proptest::prop_assert_eq!(twice.unresolved.len(), once.unresolved.len());
        }
    }
}
