//! The serde round trip: 100 000 `#[derive(Serialize, Deserialize)]` records, the Rust twin of
//! the records_100k workload, through brinery's serde API and through serde-pickle.

use crate::measure::{failing, interleaved, Outcome, Plan};
use crate::python::Python;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

pub const COUNT: usize = 100_000;

/// The subject of the records' rows.
pub const RECORDS: &str = "records_100k";

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
    /// `records_100k`, or a shape's name.
    pub subject: String,
    pub label: String,
    pub what: String,
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
    use serde::{de::DeserializeOwned, Serialize};
    pub fn to_vec<T: ?Sized + Serialize>(v: &T) -> Result<Vec<u8>, String> {
        brinery::to_vec(v).map_err(|e| e.to_string())
    }
    pub fn from_slice<T: DeserializeOwned>(b: &[u8]) -> Result<T, String> {
        brinery::from_slice(b).map_err(|e| e.to_string())
    }
}

#[cfg(not(feature = "serde-api"))]
mod api {
    use serde::{de::DeserializeOwned, Serialize};
    const PENDING: &str = "pending (build with --features serde-api)";
    pub fn to_vec<T: ?Sized + Serialize>(_: &T) -> Result<Vec<u8>, String> {
        Err(PENDING.to_string())
    }
    pub fn from_slice<T: DeserializeOwned>(_: &[u8]) -> Result<T, String> {
        Err(PENDING.to_string())
    }
}

/// Simple shapes of 100 000 items, one kind of value each: where the records' figures come
/// from, one kind at a time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Shape {
    Ints,
    Floats,
    Strs,
    Pairs,
    Map,
}

impl Shape {
    pub const ALL: [Shape; 5] = [Shape::Ints, Shape::Floats, Shape::Strs, Shape::Pairs, Shape::Map];

    pub fn name(self) -> &'static str {
        match self {
            Shape::Ints => "ints",
            Shape::Floats => "floats",
            Shape::Strs => "strs",
            Shape::Pairs => "pairs",
            Shape::Map => "map",
        }
    }

    /// The Rust type, as the report names it.
    pub fn rust_type(self) -> &'static str {
        match self {
            Shape::Ints => "Vec<u64>",
            Shape::Floats => "Vec<f64>",
            Shape::Strs => "Vec<String>",
            Shape::Pairs => "Vec<(u64, f64)>",
            Shape::Map => "BTreeMap<String, u64>",
        }
    }

    pub fn parse(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }

    fn data(self) -> ShapeData {
        let n = COUNT as u64;
        match self {
            Shape::Ints => ShapeData::Ints((0..n).map(|i| i * 7919).collect()),
            Shape::Floats => ShapeData::Floats((0..n).map(|i| i as f64 * 0.5).collect()),
            Shape::Strs => ShapeData::Strs((0..n).map(|i| format!("user{i}")).collect()),
            Shape::Pairs => ShapeData::Pairs((0..n).map(|i| (i, i as f64 * 0.25)).collect()),
            Shape::Map => ShapeData::Map((0..n).map(|i| (format!("user{i}"), i * 7919)).collect()),
        }
    }
}

/// A shape's value, and serde-pickle's pickle of it (what both sides decode).
pub struct ShapeState {
    shape: Shape,
    data: ShapeData,
    input: Vec<u8>,
}

#[derive(PartialEq, Debug)]
enum ShapeData {
    Ints(Vec<u64>),
    Floats(Vec<f64>),
    Strs(Vec<String>),
    Pairs(Vec<(u64, f64)>),
    Map(BTreeMap<String, u64>),
}

impl ShapeState {
    pub fn shape(&self) -> Shape {
        self.shape
    }

    pub fn new(shape: Shape) -> Result<Self, String> {
        let data = shape.data();
        let input = encode(true, &data)?;
        Ok(ShapeState { shape, data, input })
    }
}

/// One side's `to_vec` of a shape's value.
fn encode(serde_pickle: bool, data: &ShapeData) -> Result<Vec<u8>, String> {
    fn one<T: Serialize>(serde_pickle: bool, v: &T) -> Result<Vec<u8>, String> {
        if serde_pickle {
            serde_pickle::to_vec(v, sp_ser()).map_err(|e| e.to_string())
        } else {
            api::to_vec(v)
        }
    }
    match data {
        ShapeData::Ints(v) => one(serde_pickle, black_box(v)),
        ShapeData::Floats(v) => one(serde_pickle, black_box(v)),
        ShapeData::Strs(v) => one(serde_pickle, black_box(v)),
        ShapeData::Pairs(v) => one(serde_pickle, black_box(v)),
        ShapeData::Map(v) => one(serde_pickle, black_box(v)),
    }
}

/// One side's `from_slice` of a shape, as the type it was written from.
fn decode(serde_pickle: bool, shape: Shape, input: &[u8]) -> Result<ShapeData, String> {
    fn one<T: serde::de::DeserializeOwned>(serde_pickle: bool, b: &[u8]) -> Result<T, String> {
        if serde_pickle {
            serde_pickle::from_slice(b, sp_de()).map_err(|e| e.to_string())
        } else {
            api::from_slice(b)
        }
    }
    let b = black_box(input);
    Ok(match shape {
        Shape::Ints => ShapeData::Ints(one(serde_pickle, b)?),
        Shape::Floats => ShapeData::Floats(one(serde_pickle, b)?),
        Shape::Strs => ShapeData::Strs(one(serde_pickle, b)?),
        Shape::Pairs => ShapeData::Pairs(one(serde_pickle, b)?),
        Shape::Map => ShapeData::Map(one(serde_pickle, b)?),
    })
}

/// One serde op on a shape in this process (the servers' side): `encode` or `decode`, `n` times.
pub fn serve_shape(serde_pickle: bool, op: &str, n: u64, state: &ShapeState) -> Result<(), String> {
    for _ in 0..n {
        match op {
            "encode" => drop(black_box(encode(serde_pickle, &state.data)?)),
            "decode" => drop(black_box(decode(serde_pickle, state.shape, &state.input)?)),
            _ => return Err(format!("unknown shape op {op}")),
        }
    }
    Ok(())
}

/// Both sides read back what they write, and each reads the other's pickle, for every shape (so
/// the timings are of working code).
fn check_shape(shape: Shape) -> Result<(), String> {
    let data = shape.data();
    for writer in [false, true] {
        let bytes = encode(writer, &data)?;
        for reader in [false, true] {
            if decode(reader, shape, &bytes)? != data {
                return Err(format!("{} written by {writer} and read by {reader} differs", shape.name()));
            }
        }
    }
    Ok(())
}

/// `cpython`: records_100k.pkl (CPython's pickle of the same data), if written. The write-ups
/// are checked here; the timing runs in the two servers (`serve.rs`), one process each.
pub fn run(plan: &Plan, cpython: Option<&Path>, workdir: &Path) -> SerdeResult {
    let recs = records(COUNT);
    let sp_bytes = serde_pickle::to_vec(&recs, sp_ser()).expect("serde-pickle writes the records");
    let b_bytes = api::to_vec(&recs);
    // Check both read back what was written, so the timings are of working code.
    let sp_back: Vec<Record> = serde_pickle::from_slice(&sp_bytes, sp_de()).expect("serde-pickle reads its records");
    assert!(sp_back == recs, "serde-pickle round trip differs");
    let b_check = b_bytes.clone().and_then(|b| api::from_slice::<Vec<Record>>(&b)).and_then(|back| {
        if back == recs {
            Ok(())
        } else {
            Err("brinery's round trip gives different records".to_string())
        }
    });
    let cpython_bytes = cpython.and_then(|p| std::fs::read(p).ok());
    let same_as_cpython = match (&b_bytes, &cpython_bytes) {
        (Ok(b), Some(c)) => Some(b == c),
        _ => None,
    };
    // Decode input, the same for both: CPython's pickle when there is one.
    let (input, what) = match cpython {
        Some(c) if cpython_bytes.is_some() => {
            (c.to_path_buf(), "`from_slice::<Vec<Record>>` of CPython's records_100k.pkl (protocol 5)")
        }
        _ => {
            let p = workdir.join("records-serde-pickle.pkl");
            let _ = std::fs::write(&p, &sp_bytes);
            (p, "`from_slice::<Vec<Record>>` of serde-pickle's protocol 3 pickle")
        }
    };
    let brinery_size = b_bytes.as_ref().ok().map(Vec::len);
    let serde_pickle_size = sp_bytes.len();
    drop((recs, sp_back, sp_bytes, b_bytes, cpython_bytes));

    let start = |which| {
        Python::start_rust(which).and_then(|mut s| s.call(&format!("records-input {}", input.display())).map(|_| s))
    };
    let (mut bs, mut ss) = (start("brinery"), start("serde-pickle"));
    let mut rows = Vec::new();
    for (label, op, what) in [
        ("encode", "encode", "`to_vec(&records)` (brinery: protocol 5, serde-pickle: protocol 3)"),
        ("decode", "decode", what),
        ("round trip", "roundtrip", "`to_vec` then `from_slice` of its own output"),
    ] {
        let gate = b_check.clone();
        let mut b = match (&mut bs, gate) {
            (Ok(s), Ok(())) => Box::new(s.command_runner(format!("records {op}"))),
            (Err(e), _) => failing(e.clone()),
            (_, Err(e)) => failing(e),
        };
        let mut s = match &mut ss {
            Ok(s) => Box::new(s.command_runner(format!("records {op}"))),
            Err(e) => failing(e.clone()),
        };
        let out = interleaved(&mut [&mut *b, &mut *s], plan);
        let mut it = out.into_iter();
        rows.push(SerdeRow {
            subject: RECORDS.to_string(),
            label: label.to_string(),
            what: what.to_string(),
            brinery: it.next().unwrap(),
            serde_pickle: it.next().unwrap(),
        });
    }
    for shape in Shape::ALL {
        let checked = check_shape(shape);
        for op in ["encode", "decode"] {
            let mut b = match (&mut bs, checked.clone()) {
                (Ok(s), Ok(())) => Box::new(s.command_runner(format!("shape {} {op}", shape.name()))),
                (Err(e), _) => failing(e.clone()),
                (_, Err(e)) => failing(e),
            };
            let mut s = match &mut ss {
                Ok(s) => Box::new(s.command_runner(format!("shape {} {op}", shape.name()))),
                Err(e) => failing(e.clone()),
            };
            let out = interleaved(&mut [&mut *b, &mut *s], plan);
            let mut it = out.into_iter();
            let what = match op {
                "encode" => format!("`to_vec(&v)`, `v: {}`", shape.rust_type()),
                _ => format!("`from_slice::<{}>` of serde-pickle's pickle of `v`", shape.rust_type()),
            };
            rows.push(SerdeRow {
                subject: shape.name().to_string(),
                label: op.to_string(),
                what,
                brinery: it.next().unwrap(),
                serde_pickle: it.next().unwrap(),
            });
        }
    }
    SerdeResult { rows, same_as_cpython, brinery_size, serde_pickle_size }
}

/// One serde op on the records in this process (the servers' side): `encode` keeps the records
/// alive, `decode` drops them first (it reads `input`), `roundtrip` writes then reads its own.
pub fn serve_op(
    serde_pickle: bool,
    op: &str,
    n: u64,
    recs: &mut Option<Vec<Record>>,
    input: &[u8],
) -> Result<(), String> {
    if op == "decode" {
        *recs = None;
    } else if recs.is_none() {
        *recs = Some(records(COUNT));
    }
    let sp_err = |e: serde_pickle::Error| e.to_string();
    for _ in 0..n {
        match (serde_pickle, op) {
            (false, "encode") => drop(black_box(api::to_vec(black_box(recs.as_deref().unwrap_or(&[])))?)),
            (false, "decode") => drop(black_box(api::from_slice::<Vec<Record>>(black_box(input))?)),
            (false, "roundtrip") => {
                let bytes = api::to_vec(black_box(recs.as_deref().unwrap_or(&[])))?;
                drop(black_box(api::from_slice::<Vec<Record>>(&bytes)?));
            }
            (true, "encode") => {
                let recs: &[Record] = recs.as_deref().unwrap_or(&[]);
                drop(black_box(serde_pickle::to_vec(black_box(&recs), sp_ser()).map_err(sp_err)?))
            }
            (true, "decode") => {
                let v: Vec<Record> = serde_pickle::from_slice(black_box(input), sp_de()).map_err(sp_err)?;
                drop(black_box(v));
            }
            (true, "roundtrip") => {
                let recs: &[Record] = recs.as_deref().unwrap_or(&[]);
                let bytes = serde_pickle::to_vec(black_box(&recs), sp_ser()).map_err(sp_err)?;
                let v: Vec<Record> = serde_pickle::from_slice(&bytes, sp_de()).map_err(sp_err)?;
                drop(black_box(v));
            }
            _ => return Err(format!("unknown records op {op}")),
        }
    }
    Ok(())
}

/// This side's own pickle of the records (what `profile` decodes).
pub fn own_pickle(serde_pickle: bool) -> Result<Vec<u8>, String> {
    let recs = records(COUNT);
    if serde_pickle {
        serde_pickle::to_vec(&recs, sp_ser()).map_err(|e| e.to_string())
    } else {
        api::to_vec(&recs)
    }
}
