//! `from_slice` reads CPython's usual layout directly and gives way to the tape for anything
//! else. Whatever it reads must be what the tape reads: the same value, or the same error. Both
//! paths are compared on the CPython corpus (every pickle, as a self-describing value and as
//! typed targets) and on random mutations of typical pickles.

use brinery::{DeOptions, Deserializer};
use proptest::prelude::*;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

/// Everything serde's data model can say, kept as it was said.
#[derive(Debug, PartialEq)]
enum Echo {
    Unit,
    Bool(bool),
    I64(i64),
    U64(u64),
    I128(i128),
    U128(u128),
    F64(u64),
    Str(String),
    Bytes(Vec<u8>),
    Some(Box<Echo>),
    None,
    Seq(Vec<Echo>),
    Map(Vec<(Echo, Echo)>),
}

impl<'de> Deserialize<'de> for Echo {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Echo, D::Error> {
        d.deserialize_any(EchoVisitor)
    }
}

struct EchoVisitor;

impl<'de> Visitor<'de> for EchoVisitor {
    type Value = Echo;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("anything")
    }
    fn visit_unit<E>(self) -> Result<Echo, E> {
        Ok(Echo::Unit)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Echo, E> {
        Ok(Echo::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Echo, E> {
        Ok(Echo::I64(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Echo, E> {
        Ok(Echo::U64(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Echo, E> {
        Ok(Echo::I128(v))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Echo, E> {
        Ok(Echo::U128(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Echo, E> {
        Ok(Echo::F64(v.to_bits()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Echo, E> {
        Ok(Echo::Str(v.to_owned()))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Echo, E> {
        Ok(Echo::Bytes(v.to_vec()))
    }
    fn visit_none<E>(self) -> Result<Echo, E> {
        Ok(Echo::None)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Echo, D::Error> {
        Ok(Echo::Some(Box::new(Echo::deserialize(d)?)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Echo, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = a.next_element()? {
            items.push(item);
        }
        Ok(Echo::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Echo, A::Error> {
        let mut items = Vec::new();
        while let Some(entry) = a.next_entry()? {
            items.push(entry);
        }
        Ok(Echo::Map(items))
    }
}

#[derive(Debug, PartialEq, Deserialize)]
struct Record {
    id: u64,
    name: String,
    score: f64,
    tags: Vec<String>,
}

#[derive(Debug, PartialEq, Deserialize)]
enum Kind {
    Plain,
    Fancy,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Mixed<'a> {
    #[serde(borrow)]
    name: Option<&'a str>,
    kind: Option<Kind>,
    #[serde(default)]
    counts: BTreeMap<i64, Vec<u8>>,
    #[serde(default, with = "serde_bytes")]
    blob: Vec<u8>,
    #[serde(default)]
    pair: Option<(i32, String)>,
}

/// A float read as `f64`, compared by its bits (so NaN equals itself).
#[derive(Debug, PartialEq)]
struct F64Bits(u64);

impl<'de> Deserialize<'de> for F64Bits {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f64::deserialize(d).map(|f| F64Bits(f.to_bits()))
    }
}

/// The same through `f32`.
#[derive(Debug, PartialEq)]
struct F32Bits(u32);

impl<'de> Deserialize<'de> for F32Bits {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f32::deserialize(d).map(|f| F32Bits(f.to_bits()))
    }
}

/// `from_slice` (direct, or the tape after it gives way) against the tape alone.
fn same<'de, T: Deserialize<'de> + PartialEq + std::fmt::Debug>(data: &'de [u8], opts: &DeOptions, what: &str) {
    let direct = brinery::from_slice_with::<T>(data, opts).map_err(|e| e.to_string());
    let tape =
        Deserializer::from_slice(data, opts).and_then(|mut de| T::deserialize(&mut de)).map_err(|e| e.to_string());
    assert_eq!(direct, tape, "{what}: {}", std::any::type_name::<T>());
}

fn all_targets(data: &[u8], opts: &DeOptions, what: &str) {
    same::<Echo>(data, opts, what);
    same::<Vec<Record>>(data, opts, what);
    same::<Record>(data, opts, what);
    same::<Mixed>(data, opts, what);
    same::<Vec<Mixed>>(data, opts, what);
    same::<HashMap<String, Echo>>(data, opts, what);
    same::<Vec<Option<i64>>>(data, opts, what);
    same::<(i64, String, Vec<String>)>(data, opts, what);
    same::<Vec<serde::de::IgnoredAny>>(data, opts, what);
    same::<Vec<(i64, String)>>(data, opts, what);
    same::<Vec<(Echo, Echo, Echo)>>(data, opts, what);
    same::<BTreeMap<(i64, i64), Echo>>(data, opts, what);
    same::<Option<(Option<u8>, String)>>(data, opts, what);
    // Numbers read through the typed methods, in range and out of it.
    same::<Vec<F64Bits>>(data, opts, what);
    same::<Vec<F32Bits>>(data, opts, what);
    same::<Vec<i64>>(data, opts, what);
    same::<Vec<i8>>(data, opts, what);
    same::<Vec<u16>>(data, opts, what);
    same::<Vec<u32>>(data, opts, what);
    same::<(F64Bits, u8, i16)>(data, opts, what);
}

#[test]
fn the_cpython_corpus_reads_the_same_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/corpus.py");
    let out = Command::new("python3").arg(corpus).arg(dir.path()).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Trailing bytes allowed: a file of several pickles is read for its first.
    let opts = DeOptions::new().allow_trailing_bytes(true);
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pkl") {
            let data = std::fs::read(&path).unwrap();
            all_targets(&data, &opts, &path.display().to_string());
            files += 1;
        }
    }
    assert!(files > 500, "only {files} corpus files");
}

/// Typical pickles: records, nested lists and dicts with one or many entries (the single
/// APPEND/SETITEM forms), memoized and shared strs, tuples, options, big ints, bytes.
fn seeds() -> Vec<Vec<u8>> {
    let script = r#"
import pickle, sys
recs = [{'id': i, 'name': 'user%d' % i, 'score': i * 0.5, 'tags': ['a', 'b'][:i % 3]} for i in range(5)]
s = 'shared'
objs = [
    recs,
    recs[1],
    {'name': 'x', 'kind': 'Fancy', 'counts': {1: [1, 2], -5: []}, 'blob': b'\x00\x01', 'pair': (3, 'three')},
    [{'name': None, 'kind': None, 'counts': {7: [300]}}, {'name': s, 'pair': None}],
    [[1], [2, 3], [], [[4]], {'k': [5]}, {'k': 6}, {}],
    [s, s, [s], {s: s}, 2 ** 70, -2 ** 63, 2 ** 64 - 1, 1.5, True, None, b'by'],
    [(1, 'a'), (2, 'b'), (3, s), (s,), (1, 2, 3), (1, 2, 3, 4), (), ((1, 2),), (None, 'x')],
    {(1, 2): 'p', (3, 4): ['q'], (5, 6): (7, 8, 9)},
    (1, 'one', ['x', 'y']),
    {'a': {'b': {'c': {'d': [1, [2, [3]]]}}}},
    [1] * 1001 + ['end'],
    [0, 1, 127, 128, 255, 256, 65535, 65536, -1, -129, 2 ** 31 - 1, -2 ** 31, 2 ** 40],
    [0.5, -0.0, 1e300, 3, 70000, 2.5],
    (2.5, 200, -300),
    {i: str(i) for i in range(1001)},
]
out = sys.stdout.buffer
for o in objs:
    for p in range(0, 6):
        data = pickle.dumps(o, p)
        out.write(len(data).to_bytes(4, 'little') + data)
"#;
    let out = Command::new("python3").args(["-c", script]).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut rest = &out.stdout[..];
    let mut seeds = Vec::new();
    while rest.len() >= 4 {
        let n = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        seeds.push(rest[4..4 + n].to_vec());
        rest = &rest[4 + n..];
    }
    seeds
}

#[test]
fn typical_pickles_read_the_same_both_ways() {
    let opts = DeOptions::new();
    for (i, seed) in seeds().iter().enumerate() {
        all_targets(seed, &opts, &format!("seed {i}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Mutated pickles: whatever the damage, both paths agree.
    #[test]
    fn mutated_pickles_read_the_same_both_ways(
        pick in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        thread_local!(static SEEDS: Vec<Vec<u8>> = seeds());
        let mut data = SEEDS.with(|s| s[pick.index(s.len())].clone());
        for (at, byte, how) in edits {
            let i = at.index(data.len().max(1));
            match how {
                0 if !data.is_empty() => data[i] = byte,
                1 => data.insert(i.min(data.len()), byte),
                _ if !data.is_empty() => {
                    data.remove(i);
                }
                _ => {}
            }
        }
        all_targets(&data, &DeOptions::new(), "mutated");
        all_targets(&data, &DeOptions::new().max_depth(3), "mutated, depth 3");
    }
}

/// Memo writes out of CPython's order (gaps, overwrites, MEMOIZE after a gap), memo reads of
/// containers, and forms CPython does not write: the direct path must not read them otherwise.
#[test]
fn unusual_layouts_read_the_same_both_ways() {
    let cases: &[&[u8]] = &[
        // [a, a] with the str put at 7 after the list at 5.
        b"\x80\x02]q\x05(X\x01\x00\x00\x00aq\x07h\x07e.",
        // memo 0 overwritten: [a, b, b].
        b"\x80\x02](X\x01\x00\x00\x00aq\x00X\x01\x00\x00\x00bq\x00h\x00e.",
        // MEMOIZE after a BINPUT gap: the MEMOIZE index counts entries, not the highest index.
        b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00](\x8c\x01a\x94\x8c\x01bq\x05\x8c\x01c\x94h\x01h\x05e.",
        // A list fetched again from the memo (shared): [[1], [1]].
        b"\x80\x02](]q\x01K\x01ah\x01e.",
        // A dict key after a one-item list: {'k': ['v'], 'j': 2}.
        b"\x80\x02}(X\x01\x00\x00\x00k](X\x01\x00\x00\x00veX\x01\x00\x00\x00jK\x02u.",
        // One APPEND after a batch, then one SETITEM: {'k': [1, 2, 3]}.
        b"\x80\x02}X\x01\x00\x00\x00k](K\x01K\x02eK\x03as.",
        // An APPEND that belongs to the outer list: [[], 5].
        b"\x80\x02]]K\x05aa.",
        // Python 2 strings, a tuple of four, a set, a global.
        b"\x80\x02]U\x02abaU\x01ca.",
        b"\x80\x02](K\x01K\x02K\x03K\x04tq\x00a.",
        b"\x80\x04\x8f(K\x01\x90.",
        b"\x80\x02c__builtin__\nlist\nq\x00.",
        // Values popped or duplicated.
        b"\x80\x02](K\x010K\x02e.",
        b"\x80\x02]K\x012a.",
        // A frame longer than the input, and a truncated one.
        b"\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00]\x94.",
        b"\x80\x04\x95\x01\x00\x00",
        // A tuple of two, then one more item that is not part of it; a tuple whose items are
        // fetched from the memo; a marked tuple with an item popped.
        b"\x80\x02](K\x01K\x02\x86K\x03e.",
        b"\x80\x02](X\x01\x00\x00\x00aq\x01h\x01h\x01\x86q\x02h\x02e.",
        b"\x80\x02](K\x01K\x020tq\x00a.",
        // Trailing bytes after STOP.
        b"\x80\x02]K\x01a.junk",
        // A float and an int memoized and fetched again: [1.5, 1.5] and [300, 300, 7].
        b"\x80\x02](G?\xf8\x00\x00\x00\x00\x00\x00q\x01h\x01e.",
        b"\x80\x02](M,\x01q\x01h\x01K\x07e.",
        // A frame ends between a float and its MEMOIZE: [2.5, 2.5].
        b"\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00]\x94(G@\x04\x00\x00\x00\x00\x00\x00\x95\x05\x00\x00\x00\x00\x00\x00\x00\x94h\x01e.",
    ];
    for (i, data) in cases.iter().enumerate() {
        all_targets(data, &DeOptions::new(), &format!("case {i}"));
        same::<Vec<String>>(data, &DeOptions::new(), &format!("case {i}"));
        same::<Vec<Vec<i64>>>(data, &DeOptions::new(), &format!("case {i}"));
        same::<HashMap<String, Vec<i64>>>(data, &DeOptions::new(), &format!("case {i}"));
        same::<Vec<Vec<F64Bits>>>(data, &DeOptions::new(), &format!("case {i}"));
    }
}
