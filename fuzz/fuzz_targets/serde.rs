//! serde reading: `from_slice` (the direct path, or the tape after it gives way) must read
//! exactly what the tape alone reads, value or error, for any input.
#![no_main]

use brinery::{DeOptions, Deserializer};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, PartialEq, Deserialize)]
struct Record<'a> {
    id: u64,
    #[serde(borrow)]
    name: &'a str,
    score: Option<f64>,
    tags: Vec<String>,
    #[serde(default)]
    extra: BTreeMap<i64, Vec<u8>>,
}

fn same<'de, T: Deserialize<'de> + PartialEq + std::fmt::Debug>(data: &'de [u8], opts: &DeOptions) {
    let direct = brinery::from_slice_with::<T>(data, opts).map_err(|e| e.to_string());
    let tape = Deserializer::from_slice(data, opts).and_then(|mut de| T::deserialize(&mut de)).map_err(|e| e.to_string());
    assert_eq!(direct, tape);
}

fuzz_target!(|data: &[u8]| {
    for opts in [DeOptions::new(), DeOptions::new().max_depth(4).allow_trailing_bytes(true)] {
        same::<serde_json::Value>(data, &opts);
        same::<Vec<Record>>(data, &opts);
        same::<BTreeMap<String, Vec<Option<i32>>>>(data, &opts);
        same::<(String, Vec<(u8, String)>)>(data, &opts);
        same::<Vec<serde::de::IgnoredAny>>(data, &opts);
    }
});
