//! The reader: every entry point on arbitrary bytes, with small limits so the fuzzer explores
//! instead of allocating. Whatever loads must also dump (and reload).
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
    let _ = brinery::load(data, &opts);
    let strict = opts.clone().policy(Policy::all_presets().strict());
    let _ = brinery::loads_with(data, &strict);
});
