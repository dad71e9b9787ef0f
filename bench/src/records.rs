//! The serde round trip: 100 000 `#[derive(Serialize, Deserialize)]` records, the Rust twin of
//! the records_100k workload, through brinery's serde API and through serde-pickle.

use crate::measure::{interleaved, Local, Outcome, Plan};
use serde::{Deserialize, Serialize};
use std::hint::black_box;

pub const COUNT: usize = 100_000;

/// `{'id': i, 'name': 'user%d' % i, 'score': i * 0.5, 'tags': ['a', 'b']}`
#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
pub struct Record {
    pub id: u64,
    pub name: String,
    pub score: f64,
    pub tags: Vec<String>,
}

pub fn records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            id: i as u64,
            name: format!("user{i}"),
            score: i as f64 * 0.5,
            tags: vec!["a".to_string(), "b".to_string()],
        })
        .collect()
}

/// One line of the serde table.
pub struct SerdeRow {
    pub label: &'static str,
    pub what: &'static str,
    pub brinery: Outcome,
    pub serde_pickle: Outcome,
}

pub struct SerdeResult {
    pub rows: Vec<SerdeRow>,
    /// `brinery::to_vec(&records)` against CPython's records_100k.pkl, when both exist.
    pub same_as_cpython: Option<bool>,
    pub brinery_size: Option<usize>,
    pub serde_pickle_size: usize,
}

fn sp_de() -> serde_pickle::DeOptions {
    serde_pickle::DeOptions::new()
}

fn sp_ser() -> serde_pickle::SerOptions {
    serde_pickle::SerOptions::new()
}

/// The brinery serde API, when this build has it (feature `serde-api`).
#[cfg(feature = "serde-api")]
mod api {
    use super::Record;
    pub fn to_vec(v: &[Record]) -> Result<Vec<u8>, String> {
        brinery::to_vec(v).map_err(|e| e.to_string())
    }
    pub fn from_slice(b: &[u8]) -> Result<Vec<Record>, String> {
        brinery::from_slice(b).map_err(|e| e.to_string())
    }
}

#[cfg(not(feature = "serde-api"))]
mod api {
    use super::Record;
    const PENDING: &str = "pending (build with --features serde-api)";
    pub fn to_vec(_: &[Record]) -> Result<Vec<u8>, String> {
        Err(PENDING.to_string())
    }
    pub fn from_slice(_: &[u8]) -> Result<Vec<Record>, String> {
        Err(PENDING.to_string())
    }
}

/// `cpython`: the bytes of records_100k.pkl (CPython's pickle of the same data), if written.
pub fn run(plan: &Plan, cpython: Option<&[u8]>) -> SerdeResult {
    let recs = records(COUNT);
    let sp_bytes = serde_pickle::to_vec(&recs, sp_ser()).expect("serde-pickle writes the records");
    let b_bytes = api::to_vec(&recs);
    // Check both read back what was written, so the timings are of working code.
    let sp_back: Vec<Record> = serde_pickle::from_slice(&sp_bytes, sp_de()).expect("serde-pickle reads its records");
    assert!(sp_back == recs, "serde-pickle round trip differs");
    let b_check = b_bytes.clone().and_then(|b| api::from_slice(&b)).and_then(|back| {
        if back == recs {
            Ok(())
        } else {
            Err("brinery's round trip gives different records".to_string())
        }
    });
    let same_as_cpython = match (&b_bytes, cpython) {
        (Ok(b), Some(c)) => Some(b.as_slice() == c),
        _ => None,
    };
    let gate = |r: Result<(), String>| move || r.clone();
    let mut rows = Vec::new();

    // Encode.
    {
        let ok = gate(b_check.clone());
        let mut b = Local(|| {
            ok()?;
            drop(black_box(api::to_vec(black_box(&recs))?));
            Ok(())
        });
        let mut s = Local(|| {
            let v = serde_pickle::to_vec(black_box(&recs), sp_ser()).map_err(|e| e.to_string())?;
            drop(black_box(v));
            Ok(())
        });
        let out = interleaved(&mut [&mut b, &mut s], plan);
        let mut it = out.into_iter();
        rows.push(SerdeRow {
            label: "encode",
            what: "`to_vec(&records)` (brinery: protocol 5, serde-pickle: protocol 3)",
            brinery: it.next().unwrap(),
            serde_pickle: it.next().unwrap(),
        });
    }

    // Decode: the same input for both, CPython's pickle when there is one.
    {
        let (input, what): (&[u8], &str) = match cpython {
            Some(c) => (c, "`from_slice::<Vec<Record>>` of CPython's records_100k.pkl (protocol 5)"),
            None => (&sp_bytes, "`from_slice::<Vec<Record>>` of serde-pickle's protocol 3 pickle"),
        };
        let ok = gate(b_check.clone());
        let mut b = Local(|| {
            ok()?;
            drop(black_box(api::from_slice(black_box(input))?));
            Ok(())
        });
        let mut s = Local(|| {
            let v: Vec<Record> = serde_pickle::from_slice(black_box(input), sp_de()).map_err(|e| e.to_string())?;
            drop(black_box(v));
            Ok(())
        });
        let out = interleaved(&mut [&mut b, &mut s], plan);
        let mut it = out.into_iter();
        rows.push(SerdeRow { label: "decode", what, brinery: it.next().unwrap(), serde_pickle: it.next().unwrap() });
    }

    // Round trip: each writes, then reads its own pickle.
    {
        let ok = gate(b_check.clone());
        let mut b = Local(|| {
            ok()?;
            let bytes = api::to_vec(black_box(&recs))?;
            drop(black_box(api::from_slice(&bytes)?));
            Ok(())
        });
        let mut s = Local(|| {
            let bytes = serde_pickle::to_vec(black_box(&recs), sp_ser()).map_err(|e| e.to_string())?;
            let v: Vec<Record> = serde_pickle::from_slice(&bytes, sp_de()).map_err(|e| e.to_string())?;
            drop(black_box(v));
            Ok(())
        });
        let out = interleaved(&mut [&mut b, &mut s], plan);
        let mut it = out.into_iter();
        rows.push(SerdeRow {
            label: "round trip",
            what: "`to_vec` then `from_slice` of its own output",
            brinery: it.next().unwrap(),
            serde_pickle: it.next().unwrap(),
        });
    }

    SerdeResult {
        rows,
        same_as_cpython,
        brinery_size: b_bytes.ok().map(|b| b.len()),
        serde_pickle_size: sp_bytes.len(),
    }
}

/// Loop one serde op on the records, for perf: `encode`, `decode`, `sp-encode`, `sp-decode`
/// (`profile - serde-encode 10`, or `sp-serde-…` for serde-pickle's).
pub fn profile(which: &str, secs: f64) -> Result<(), String> {
    let recs = records(COUNT);
    let b_bytes = api::to_vec(&recs)?;
    let sp_bytes = serde_pickle::to_vec(&recs, sp_ser()).map_err(|e| e.to_string())?;
    let start = std::time::Instant::now();
    let mut n = 0u64;
    while n == 0 || start.elapsed().as_secs_f64() < secs {
        match which {
            "encode" => drop(black_box(api::to_vec(black_box(&recs))?)),
            "decode" => drop(black_box(api::from_slice(black_box(&b_bytes))?)),
            "sp-encode" => {
                drop(black_box(serde_pickle::to_vec(black_box(&recs), sp_ser()).map_err(|e| e.to_string())?))
            }
            "sp-decode" => {
                let v: Vec<Record> =
                    serde_pickle::from_slice(black_box(&sp_bytes), sp_de()).map_err(|e| e.to_string())?;
                drop(black_box(v));
            }
            _ => return Err(format!("unknown serde op {which}")),
        }
        n += 1;
    }
    eprintln!(
        "serde {which}: {n} calls, {} per call",
        crate::report::fmt_time(start.elapsed().as_secs_f64() / n as f64)
    );
    Ok(())
}
