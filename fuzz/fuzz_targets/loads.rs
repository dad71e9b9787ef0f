//! The reader: every entry point on arbitrary bytes, with small limits so the fuzzer explores
//! instead of allocating. Whatever loads must also dump (and reload), and a slice and a stream
//! must read alike.
#![no_main]

use brinery::{Limits, LoadOptions, Policy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits =
        Limits { stack: 1 << 16, marks: 1 << 12, memo: 1 << 16, bytes: 1 << 24, opcodes: 1 << 20, objects: 1 << 18 };
    let opts = LoadOptions::default().limits(limits);
    if let Ok(graphs) = brinery::loads_all(data, &opts) {
        for g in &graphs {
            for proto in [0, 2, 5] {
                if let Ok(bytes) = brinery::dumps(g, proto) {
                    let _ = brinery::loads_with(&bytes, &opts);
                }
            }
        }
    }
    // Streamed and from a slice, one pickle reads the same: the reader's buffer edges (where
    // the machine's runs of scalars stop) must not show.
    let one = brinery::loads_with(data, &opts);
    let streamed = brinery::load(data, &opts);
    match (&one, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(a.len(), b.len(), "slice and stream made different graphs"),
        (Err(a), Err(b)) => assert_eq!(a.offset(), b.offset(), "slice: {a}; stream: {b}"),
        _ => panic!("slice: {:?}; stream: {:?}", one.as_ref().map(drop), streamed.as_ref().map(drop)),
    }
    let strict = opts.clone().policy(Policy::all_presets().strict());
    let _ = brinery::loads_with(data, &strict);
});
