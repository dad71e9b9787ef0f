//! The hostile corpus: no case is judged safe by the scanner, and the strict loader refuses every
//! one that names a global or calls something outside the allowlist.

mod safety_common;

use brinery::policy::{Policy, Preset};
use brinery::scan::{scan_bytes, ScanOptions, Verdict};
use brinery::LoadOptions;
use safety_common::hostile::{hostile, Expect};

#[test]
fn corpus_is_big_enough() {
    assert!(hostile().len() >= 40, "{} cases", hostile().len());
}

#[test]
fn no_hostile_case_is_safe() {
    let mut failures = Vec::new();
    for preset in [None, Some(Preset::Data), Some(Preset::Torch), Some(Preset::Numpy)] {
        let opts = match preset {
            None => ScanOptions::default(),
            Some(p) => ScanOptions::default().policy(Policy::new().with(p)),
        };
        for case in hostile() {
            let report = scan_bytes(&case.data, &opts);
            let ok = match case.expect {
                Expect::Dangerous => report.verdict == Verdict::Dangerous,
                Expect::NotSafe => report.verdict != Verdict::Safe,
            };
            let text = format!("{:?}", report.findings);
            let mentions = case.mentions.is_none_or(|m| text.contains(m));
            if !ok || !mentions {
                failures.push(format!(
                    "{} ({preset:?}): {} expected {:?} mentioning {:?}; findings: {text}",
                    case.name, report.verdict, case.expect, case.mentions
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn strict_loader_refuses_hostile_pickles() {
    let strict = LoadOptions::default().policy(Policy::all_presets().strict());
    let mut failures = Vec::new();
    for case in hostile().into_iter().filter(|c| c.strict_refuses) {
        match brinery::loads_all(&case.data, &strict) {
            Ok(graphs) => failures.push(format!("{}: loaded {} graphs", case.name, graphs.len())),
            Err(e) => {
                // Where the case names a dangerous global, the policy is what refuses it.
                let named = case.mentions.is_some_and(|m| m.contains('.') && !m.contains(' '));
                if named && !case.name.contains("nested") && !e.to_string().contains("forbidden") {
                    failures.push(format!("{}: refused, but not by the policy: {e}", case.name));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn inspect_loader_keeps_hostile_pickles_inert() {
    // The default loader reads them as inert data (or fails on malformed input), never calls.
    for case in hostile() {
        let _ = brinery::loads_all(&case.data, &LoadOptions::default());
        let _ = brinery::loads(&case.data);
    }
}

#[test]
fn findings_carry_offsets_of_the_opcode() {
    let evil = safety_common::P::proto(4)
        .uni("collections")
        .binput(0)
        .uni("os")
        .binput(1)
        .uni("system")
        .binput(2)
        .binget(1)
        .binget(2)
        .stack_global()
        .uni("id")
        .t1()
        .reduce()
        .stop()
        .0;
    let report = scan_bytes(&evil, &ScanOptions::default());
    let g = &report.pickles[0].globals[0];
    assert_eq!((g.module.as_str(), g.name.as_str()), ("os", "system"));
    assert_eq!(g.uses[0].opcode, "STACK_GLOBAL");
    assert_eq!(g.uses[0].offset as usize, evil.iter().position(|&b| b == 0x93).unwrap());
    let reduce = report.pickles[0].calls.iter().find(|c| c.opcode == "REDUCE").unwrap();
    assert_eq!(reduce.callable, "os.system");
    assert_eq!(reduce.offset as usize, evil.len() - 2);
}

#[test]
fn truncated_pickle_reports_what_came_before() {
    let mut evil = safety_common::evil();
    evil.truncate(evil.len() - 1); // no STOP
    let report = scan_bytes(&evil, &ScanOptions::default());
    assert_eq!(report.verdict, Verdict::Dangerous);
    let p = &report.pickles[0];
    assert!(!p.complete);
    assert!(p.error.as_deref().unwrap().contains("Ran out of input"), "{:?}", p.error);
    assert_eq!(p.calls_total, 1);
    assert!(report.findings.iter().any(|f| f.kind == "malformed"));
}

#[test]
fn registered_extension_goes_through_the_allowlist() {
    let p = safety_common::P::proto(2).op(0x82).op(9).uni("id").t1().reduce().stop().0;
    let evil_ext = Policy::all_presets().extension(9, "os", "system");
    let report = scan_bytes(&p, &ScanOptions::default().policy(evil_ext.clone()));
    assert_eq!(report.verdict, Verdict::Dangerous);
    assert_eq!(report.pickles[0].globals[0].uses[0].opcode, "EXT1");
    let err = brinery::loads_with(&p, &LoadOptions::default().policy(evil_ext.strict())).unwrap_err();
    assert!(err.to_string().contains("global 'os.system' is forbidden"), "{err}");
    let fine = Policy::all_presets().extension(9, "collections", "OrderedDict");
    let p = safety_common::P::proto(2).op(0x82).op(9).empty_tuple().reduce().stop().0;
    assert_eq!(scan_bytes(&p, &ScanOptions::default().policy(fine.clone())).verdict, Verdict::Safe);
    assert!(brinery::loads_with(&p, &LoadOptions::default().policy(fine.strict())).is_ok());
}
