//! Every resource limit, on every entry point: `loads`, `load` (streaming), `loads_all` and the
//! scanner. Defaults let real data through; bombs end with an error or a bounded result.

mod safety_common;

use brinery::scan::{scan_bytes, ScanOptions, Verdict};
use brinery::{ErrorKind, Limits, LoadOptions};
use safety_common::{bombs, P};
use std::time::{Duration, Instant};

fn limited(l: Limits) -> LoadOptions {
    LoadOptions::default().limits(l)
}

fn limit_name(data: &[u8], opts: &LoadOptions) -> &'static str {
    let check = |r: brinery::Result<_>| match r {
        Err(e) => match e.kind() {
            ErrorKind::Limit { what, .. } => *what,
            other => panic!("expected a limit, got {other}"),
        },
        Ok(_) => panic!("expected a limit error"),
    };
    let a = check(brinery::loads_with(data, opts).map(drop));
    let b = check(brinery::load(data, opts).map(drop));
    let c = check(brinery::loads_all(data, opts).map(drop));
    assert_eq!((a, b), (c, c));
    a
}

#[test]
fn each_limit_is_enforced_on_every_entry_point() {
    let d = Limits::default();
    let nones = P::proto(2).mark().raw(&[b'N'; 100]).op(b'l').stop().0;
    assert_eq!(limit_name(&nones, &limited(Limits { stack: 50, ..d })), "stack");
    assert_eq!(limit_name(&[b'('; 100], &limited(Limits { marks: 10, ..d })), "mark");
    let memo = (0..100u8).fold(P::proto(2).none(), |p, i| p.binput(i)).stop().0;
    assert_eq!(limit_name(&memo, &limited(Limits { memo: 10, ..d })), "memo");
    let text = P::proto(2).binuni(&"x".repeat(100)).stop().0;
    assert_eq!(limit_name(&text, &limited(Limits { bytes: 50, ..d })), "bytes");
    assert_eq!(limit_name(&nones, &limited(Limits { opcodes: 20, ..d })), "opcode");
    let lists = P::proto(2).raw(&[b']'; 100]).stop().0;
    assert_eq!(limit_name(&lists, &limited(Limits { objects: 10, ..d })), "object");
}

#[test]
fn scanner_reports_limits_and_is_never_safe_past_them() {
    let d = Limits::default();
    let lists = P::proto(2).raw(&[b']'; 100]).stop().0;
    for l in [Limits { objects: 10, ..d }, Limits { stack: 10, ..d }, Limits { opcodes: 10, ..d }] {
        let r = scan_bytes(&lists, &ScanOptions::default().limits(l));
        assert_eq!(r.verdict, Verdict::Unknown);
        assert!(r.findings.iter().any(|f| f.kind == "limit"), "{:?}", r.findings);
    }
}

fn quick<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    assert!(t.elapsed() < Duration::from_secs(10), "{what} took {:?}", t.elapsed());
    out
}

#[test]
fn bombs_end_quickly_with_default_limits() {
    for (name, data, loads) in bombs() {
        let r = quick(name, || brinery::loads(&data));
        assert_eq!(r.is_ok(), loads, "{name}: {:?}", r.as_ref().err());
        let streamed = quick(name, || brinery::load(&data[..], &LoadOptions::default()).map(drop));
        assert_eq!(streamed.is_ok(), loads, "{name}");
        let report = quick(name, || scan_bytes(&data, &ScanOptions::default()));
        if !loads {
            assert_ne!(report.verdict, Verdict::Safe, "{name}");
        }
        // serde reads a shared container once per reference: the doubling lists would expand
        // to 2^60 items, so reading them ends with an error instead.
        let json = quick(name, || brinery::from_slice::<serde_json::Value>(&data));
        quick(name, || brinery::from_slice::<serde::de::IgnoredAny>(&data).map(drop)).ok();
        if name == "list doubling via memo" {
            let e = json.unwrap_err();
            assert!(e.to_string().contains("raise DeOptions::max_items"), "{e}");
            // The same from a loaded graph, either way through serde.
            let g = brinery::loads(&data).unwrap();
            let e = quick(name, || brinery::from_graph::<serde_json::Value>(&g)).unwrap_err();
            assert!(e.to_string().contains("raise DeOptions::max_items"), "{e}");
            let e = quick(name, || serde_json::to_string(&g)).unwrap_err();
            assert!(e.to_string().contains("serde writes once per reference"), "{e}");
        }
    }
}

#[test]
fn shared_containers_within_the_item_budget_are_read_whole() {
    // A list shared 1000 times by the outer list: 1000 + 1000 * 1000 items, under 64 times the
    // 2000 or so the pickle holds plus the floor of 2^20.
    let mut p = P::proto(2).empty_list().binput(0).mark();
    for i in 0..1000 {
        p = p.int(i);
    }
    p = p.appends().pop().empty_list().mark();
    for _ in 0..1000 {
        p = p.binget(0);
    }
    let data = p.appends().stop().0;
    let v: Vec<Vec<i64>> = brinery::from_slice(&data).unwrap();
    assert_eq!(v.len(), 1000);
    assert!(v.iter().all(|inner| inner.len() == 1000 && inner[999] == 999));
    // One item fewer than it takes is refused.
    let tight = brinery::DeOptions::new().max_items(1000 + 1000 * 1000 - 1);
    let e = brinery::from_slice_with::<Vec<Vec<i64>>>(&data, &tight).unwrap_err();
    assert!(e.to_string().contains("more than 1000999 items"), "{e}");
    let exact = brinery::DeOptions::new().max_items(1000 + 1000 * 1000);
    assert!(brinery::from_slice_with::<Vec<Vec<i64>>>(&data, &exact).is_ok());
}

#[test]
fn scanner_refuses_quadratic_int_text() {
    let data = [&b"\x80\x02I"[..], &vec![b'9'; 2_000_000], b"\n."].concat();
    let r = quick("int digits", || scan_bytes(&data, &ScanOptions::default()));
    assert_eq!(r.verdict, Verdict::Unknown);
    assert!(r.findings.iter().any(|f| f.message.contains("4300")), "{:?}", r.findings);
}

#[test]
fn nested_pickles_are_deduplicated_and_bounded() {
    // The same nested payload a thousand times is scanned once.
    let inner = safety_common::evil();
    let mut p = P::proto(2).global("pickle", "loads").binput(0).bytes(&inner).binput(1).pop().pop().mark();
    for _ in 0..1000 {
        p = p.binget(0).binget(1).t1().reduce();
    }
    let data = p.op(b'l').stop().0;
    let r = quick("repeated nested", || scan_bytes(&data, &ScanOptions::default()));
    assert_eq!(r.verdict, Verdict::Dangerous);
    assert_eq!(r.pickles[0].nested.len(), 1);
    // Nesting deeper than the limit is reported, not followed.
    let mut blob = safety_common::benign();
    for _ in 0..20 {
        blob = P::proto(2).global("pickle", "loads").bytes(&blob).t1().reduce().stop().0;
    }
    let r = quick("deep nested", || scan_bytes(&blob, &ScanOptions::default()));
    assert!(r.findings.iter().any(|f| f.message.contains("too deep")), "{:?}", r.findings);
}

#[test]
fn record_lists_are_capped_but_totals_kept() {
    let mut p = P::proto(2).mark();
    for _ in 0..30_000 {
        p = p.global("collections", "OrderedDict").empty_tuple().reduce();
    }
    let data = p.op(b'l').stop().0;
    let r = scan_bytes(&data, &ScanOptions::default());
    assert_eq!(r.verdict, Verdict::Safe);
    assert_eq!(r.pickles[0].calls.len(), 10_000);
    assert_eq!(r.pickles[0].calls_total, 30_000);
    assert_eq!(r.pickles[0].globals[0].count, 30_000);
    assert_eq!(r.pickles[0].globals[0].uses.len(), 100);
}

#[test]
fn overlapping_zip_members_are_bounded() {
    // 3000 local headers whose data all run to the end of the file, over one 256 KiB pickle:
    // every member holds (a zip holding) the same bytes. The scan stays a small multiple of the
    // input.
    let big = P::proto(4).empty_list().mark().raw(&b"K\x01".repeat(1 << 17)).appends().stop().0;
    let n = 3000usize;
    let mut out = Vec::new();
    for i in 0..n {
        let name = format!("m{i:05}");
        let data_start = out.len() + 30 + name.len();
        let rest = (n - i - 1) * (30 + 6) + big.len();
        let _ = data_start;
        out.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0");
        out.extend_from_slice(&(rest as u32).to_le_bytes());
        out.extend_from_slice(&(rest as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    out.extend_from_slice(&big);
    let r = quick("overlapping zip", || scan_bytes(&out, &ScanOptions::default()));
    assert_ne!(r.verdict, Verdict::Safe);
}
