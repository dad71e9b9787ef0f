//! The scanner on arbitrary bytes: pickles, zips, npy and legacy torch files alike. It never
//! fails, and `safe` always means complete pickles and no findings.
#![no_main]

use brinery::scan::{scan_bytes, ScanOptions, Verdict};
use brinery::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits =
        Limits { stack: 1 << 16, marks: 1 << 12, memo: 1 << 16, bytes: 1 << 24, opcodes: 1 << 20, objects: 1 << 18 };
    let opts = ScanOptions::default().limits(limits).max_member_size(1 << 24);
    let report = scan_bytes(data, &opts);
    let _ = serde_json::to_string(&report);
    if report.verdict == Verdict::Safe {
        // Safe needs every pickle read to its STOP and nothing outside the allowlist.
        assert!(report.pickles.iter().all(|p| p.complete && p.error.is_none()));
        assert!(report.findings.is_empty());
    }
});
