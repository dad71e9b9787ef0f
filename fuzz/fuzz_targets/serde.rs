//! serde reading: `from_slice` (the direct path, or the tape after it gives way) must read
//! exactly what the tape alone reads, value or error, for any input. serde writing: whatever
//! was read as a JSON-shaped value is written as the graph pickler writes it, and reads back.
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
    let tape =
        Deserializer::from_slice(data, opts).and_then(|mut de| T::deserialize(&mut de)).map_err(|e| e.to_string());
    assert_eq!(direct, tape);
}

fn writes_as_the_graph_pickler(data: &[u8]) {
    let Ok(value) = brinery::from_slice::<serde_json::Value>(data) else { return };
    for protocol in [2, 5] {
        let opts = brinery::SerOptions::new().protocol(protocol);
        let bytes = brinery::to_vec_with(&value, &opts).expect("a JSON-shaped value is written");
        let graph = brinery::to_graph(&value).expect("a JSON-shaped value makes a graph");
        assert_eq!(bytes, brinery::dumps(&graph, protocol).expect("the graph is written"));
        let back: serde_json::Value = brinery::from_slice(&bytes).expect("what was written reads back");
        assert_eq!(back, value);
    }
}

fuzz_target!(|data: &[u8]| {
    writes_as_the_graph_pickler(data);
    for opts in [DeOptions::new(), DeOptions::new().max_depth(4).allow_trailing_bytes(true)] {
        same::<serde_json::Value>(data, &opts);
        same::<Vec<Record>>(data, &opts);
        same::<BTreeMap<String, Vec<Option<i32>>>>(data, &opts);
        same::<(String, Vec<(u8, String)>)>(data, &opts);
        same::<Vec<serde::de::IgnoredAny>>(data, &opts);
    }
});
