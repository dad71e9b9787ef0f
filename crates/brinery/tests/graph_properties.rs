//! Property tests: random value graphs with sharing and cycles round-trip through brinery at
//! every protocol, and through CPython (which loads brinery's bytes and writes them back).

use brinery::{Graph, Object, Value};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use std::collections::HashMap;
use std::process::Command;

/// A recipe for one node; children name earlier nodes by index, so many parents may share one.
#[derive(Clone, Debug)]
enum Spec {
    None,
    Bool(bool),
    Int(i64),
    Big(i128),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    ByteArray(Vec<u8>),
    List(Vec<usize>),
    Tuple(Vec<usize>),
    Dict(Vec<(Key, usize)>),
    Set(Vec<i64>),
    FrozenSet(Vec<i64>),
}

#[derive(Clone, Debug)]
enum Key {
    Int(i64),
    Str(String),
    Pair(i64, i64),
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        any::<i64>().prop_map(Key::Int),
        "[a-z]{0,6}".prop_map(Key::Str),
        (any::<i64>(), -5i64..5).prop_map(|(a, b)| Key::Pair(a, b)),
    ]
}

fn spec(with_sets: bool) -> impl Strategy<Value = Spec> {
    let refs = || prop::collection::vec(any::<prop::sample::Index>(), 0..6);
    let sets = prop_oneof![
        prop::collection::vec(-1000i64..1000, 0..6).prop_map(Spec::Set),
        prop::collection::vec(-1000i64..1000, 0..6).prop_map(Spec::FrozenSet),
    ];
    // Sets iterate in CPython's hash order, so graphs without them can be compared byte for byte.
    let sets = if with_sets { sets.boxed() } else { Just(Spec::None).boxed() };
    prop_oneof![
        Just(Spec::None),
        any::<bool>().prop_map(Spec::Bool),
        prop_oneof![any::<i64>(), -300i64..70000].prop_map(Spec::Int),
        any::<i128>().prop_map(Spec::Big),
        any::<f64>().prop_map(Spec::Float),
        ".{0,12}".prop_map(Spec::Str),
        prop::collection::vec(any::<u8>(), 0..20).prop_map(Spec::Bytes),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Spec::ByteArray),
        refs().prop_map(|r| Spec::List(r.iter().map(|i| i.index(usize::MAX)).collect())),
        refs().prop_map(|r| Spec::Tuple(r.iter().map(|i| i.index(usize::MAX)).collect())),
        // Up to 11 entries: dicts of 8 or more are written in runs from protocol 4 on.
        prop::collection::vec((key(), any::<prop::sample::Index>()), 0..12)
            .prop_map(|kv| Spec::Dict(kv.into_iter().map(|(k, i)| (k, i.index(usize::MAX))).collect())),
        sets,
    ]
}

/// Nodes, plus back edges (list index, target) that close cycles once everything exists.
type Recipe = (Vec<Spec>, Vec<(prop::sample::Index, prop::sample::Index)>);

fn recipe(with_sets: bool) -> impl Strategy<Value = Recipe> {
    (
        prop::collection::vec(spec(with_sets), 1..40),
        prop::collection::vec(any::<(prop::sample::Index, prop::sample::Index)>(), 0..4),
    )
}

fn build((specs, back): &Recipe) -> Graph {
    let mut g = Graph::new();
    let mut values: Vec<Value> = Vec::new();
    let mut lists = Vec::new();
    for spec in specs {
        // Children are earlier nodes: `i % len` picks one, so popular nodes end up shared.
        let pick = |i: usize, values: &[Value]| if values.is_empty() { Value::None } else { values[i % values.len()] };
        let v = match spec {
            Spec::None => Value::None,
            Spec::Bool(b) => Value::Bool(*b),
            Spec::Int(i) => Value::Int(*i),
            Spec::Big(n) => g.int((*n).into()),
            Spec::Float(f) => Value::Float(*f),
            Spec::Str(s) => g.str(s),
            Spec::Bytes(b) => g.bytes(b),
            Spec::ByteArray(b) => g.add(Object::ByteArray(b.clone())),
            Spec::List(r) => {
                let items = r.iter().map(|&i| pick(i, &values)).collect();
                let v = g.list(items);
                lists.push(v);
                v
            }
            Spec::Tuple(r) => {
                let items = r.iter().map(|&i| pick(i, &values)).collect();
                g.tuple(items)
            }
            Spec::Dict(kv) => {
                let d = g.dict();
                for (k, i) in kv {
                    let key = match k {
                        Key::Int(n) => Value::Int(*n),
                        Key::Str(s) => g.str(s),
                        Key::Pair(a, b) => g.tuple(vec![Value::Int(*a), Value::Int(*b)]),
                    };
                    let value = pick(*i, &values);
                    g.dict_insert(d, key, value).unwrap();
                }
                d
            }
            Spec::Set(items) | Spec::FrozenSet(items) => {
                let s = if matches!(spec, Spec::Set(_)) {
                    g.add(Object::Set(Default::default()))
                } else {
                    g.add(Object::FrozenSet(Default::default()))
                };
                for &i in items {
                    g.set_add(s, Value::Int(i)).unwrap();
                }
                s
            }
        };
        values.push(v);
    }
    for (l, t) in back {
        if lists.is_empty() {
            break;
        }
        let list = lists[l.index(lists.len())];
        let target = values[t.index(values.len())];
        if let Object::List(items) = g.get_mut(list.id().unwrap()) {
            items.push(target);
        }
    }
    let root = g.list(values);
    g.set_root(root);
    g
}

/// Structural equality with identity: the ids of the two graphs must map one to one.
fn isomorphic(a: &Graph, b: &Graph) -> Result<(), String> {
    let mut fwd: HashMap<u32, u32> = HashMap::new();
    let mut back: HashMap<u32, u32> = HashMap::new();
    let mut work = vec![(a.root(), b.root(), String::from("root"))];
    while let Some((x, y, path)) = work.pop() {
        let (ix, iy) = match (x, y) {
            (Value::Ref(ix), Value::Ref(iy)) => (ix, iy),
            (Value::Float(p), Value::Float(q)) if p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()) => continue,
            _ if x == y && !matches!(x, Value::Float(_)) => continue,
            _ => return Err(format!("{path}: {x:?} != {y:?}")),
        };
        // Python never memoizes ints, and its empty tuple is a singleton: value semantics.
        match (a.get(ix), b.get(iy)) {
            (Object::Int(p), Object::Int(q)) if p == q => continue,
            (Object::Tuple(p), Object::Tuple(q)) if p.is_empty() && q.is_empty() => continue,
            // So are CPython's empty and one-character (below U+0100) strs and its empty bytes.
            (Object::Str(p), Object::Str(q))
                if p == q && p.code_points().take(2).all(|c| c < 0x100) && p.len() <= 1 =>
            {
                continue
            }
            (Object::Bytes(p), Object::Bytes(q)) if p.is_empty() && q.is_empty() => continue,
            (Object::Int(p), Object::Int(q)) => return Err(format!("{path}: {p} != {q}")),
            _ => {}
        }
        let (kx, ky) = (ix.index() as u32, iy.index() as u32);
        match (fwd.get(&kx), back.get(&ky)) {
            (Some(&m), _) if m == ky => continue,
            (None, None) => {
                fwd.insert(kx, ky);
                back.insert(ky, kx);
            }
            _ => return Err(format!("{path}: sharing differs")),
        }
        match (a.get(ix), b.get(iy)) {
            (Object::List(p), Object::List(q)) | (Object::Tuple(p), Object::Tuple(q)) => {
                if p.len() != q.len() {
                    return Err(format!("{path}: length {} != {}", p.len(), q.len()));
                }
                for (i, (&u, &v)) in p.iter().zip(q).enumerate() {
                    work.push((u, v, format!("{path}[{i}]")));
                }
            }
            (Object::Dict(p), Object::Dict(q)) => {
                if p.len() != q.len() {
                    return Err(format!("{path}: dict length differs"));
                }
                for (i, ((k1, v1), (k2, v2))) in p.iter().zip(q.iter()).enumerate() {
                    work.push((k1, k2, format!("{path}.key{i}")));
                    work.push((v1, v2, format!("{path}.value{i}")));
                }
            }
            (Object::Set(p), Object::Set(q)) | (Object::FrozenSet(p), Object::FrozenSet(q)) => {
                let mut s1: Vec<_> = p.items().iter().map(|v| format!("{v:?}")).collect();
                let mut s2: Vec<_> = q.items().iter().map(|v| format!("{v:?}")).collect();
                s1.sort();
                s2.sort();
                if s1 != s2 {
                    return Err(format!("{path}: set items differ"));
                }
            }
            (p, q) if std::mem::discriminant(p) == std::mem::discriminant(q) && p == q => {}
            (p, q) => return Err(format!("{path}: {p:?} != {q:?}")),
        }
    }
    Ok(())
}

fn has_sets(g: &Graph) -> bool {
    g.objects().any(|(_, o)| matches!(o, Object::Set(_) | Object::FrozenSet(_)))
}

proptest! {
    #![proptest_config(Config { cases: 300, ..Config::default() })]

    #[test]
    fn random_graphs_round_trip_through_brinery(r in recipe(true), proto in 0u8..=5) {
        let g = build(&r);
        let bytes = brinery::dumps(&g, proto).unwrap();
        let back = brinery::loads(&bytes).unwrap();
        prop_assert_eq!(isomorphic(&g, &back), Ok(()));
        // Writing what was read gives the same bytes again.
        prop_assert_eq!(brinery::dumps(&back, proto).unwrap(), bytes);
    }
}

/// Writes each graph at its protocol, has CPython load every file and write the object back at
/// the same protocol, and returns brinery's bytes with CPython's for each.
fn through_cpython(dir: &std::path::Path, cases: &[(Graph, u8)]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut paths = Vec::new();
    for (i, (g, proto)) in cases.iter().enumerate() {
        let path = dir.join(format!("{i}-{proto}.pkl"));
        std::fs::write(&path, brinery::dumps(g, *proto).unwrap()).unwrap();
        paths.push(path);
    }
    let script = r#"
import pickle, sys
for path in sys.argv[1:]:
    proto = int(path.rsplit('-', 1)[1].split('.')[0])
    with open(path, 'rb') as f:
        obj = pickle.load(f)
    with open(path + '.cpy', 'wb') as f:
        pickle.dump(obj, f, proto)
"#;
    let out = Command::new("python3").arg("-c").arg(script).args(&paths).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |p: &std::path::Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    paths.iter().map(|p| (read(p), read(&p.with_extension("pkl.cpy")))).collect()
}

/// Each graph, written by brinery at its protocol, spans more than two frames' worth of bytes,
/// matches what CPython writes after loading it, and reads back the same.
fn assert_several_frames_as_cpython(dir: &std::path::Path, cases: &[(Graph, u8)]) {
    for ((g, proto), (ours, theirs)) in cases.iter().zip(through_cpython(dir, cases)) {
        assert!(ours.len() > 2 * 65536, "protocol {proto}: only {} bytes", ours.len());
        assert_eq!(ours, theirs, "protocol {proto}: bytes differ from CPython's");
        if let Err(e) = isomorphic(g, &brinery::loads(&ours).unwrap()) {
            panic!("protocol {proto}: read back differs: {e}");
        }
    }
}

/// A graph whose root is a list of `n` values, the `i`th made by `item` (which sees those
/// before it, to share them).
fn list_graph(n: usize, mut item: impl FnMut(&mut Graph, usize, &[Value]) -> Value) -> Graph {
    let mut g = Graph::new();
    let mut items = Vec::new();
    for i in 0..n {
        let v = item(&mut g, i, &items);
        items.push(v);
    }
    let list = g.list(items);
    g.set_root(list);
    g
}

/// A graph whose root is a dict of `n` entries, the `i`th made by `entry` (which sees the
/// values before it, to share them).
fn dict_graph(n: usize, mut entry: impl FnMut(&mut Graph, usize, &[Value]) -> (Value, Value)) -> Graph {
    let mut g = Graph::new();
    let d = g.dict();
    let mut values = Vec::new();
    for i in 0..n {
        let (key, value) = entry(&mut g, i, &values);
        values.push(value);
        g.dict_insert(d, key, value).unwrap();
    }
    g.set_root(d);
    g
}

/// Lists and dicts of strs up to 255 bytes, memo hits and ints, hundreds of KiB long: the
/// frames (a new one at the first opcode boundary past 64 KiB) must fall where CPython puts them,
/// however many values are written between two looks at the room.
#[test]
fn frames_around_runs_of_strs_match_cpython_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let text = |i: usize, len: usize| format!("{i:x}-").repeat(len).chars().take(len).collect::<String>();
    let mut cases = Vec::new();
    for proto in 0..=5u8 {
        let list = list_graph(1500, |g, i, items| match i % 11 {
            3 if i > 20 => items[i / 3],
            7 => Value::Int(i as i64 * 1_000_003),
            _ => g.str(&text(i, (i * 37) % 253 + 3)),
        });
        let dict = dict_graph(900, |g, i, values| {
            let key = g.str(&text(i, (i * 13) % 250 + 5));
            let value = match i % 5 {
                2 if i > 10 => values[i / 2],
                4 => Value::Float(i as f64 / 3.0),
                _ => g.str(&text(i + 7, 100 + (i * 29) % 156)),
            };
            (key, value)
        });
        cases.extend([(list, proto), (dict, proto)]);
    }
    assert_several_frames_as_cpython(dir.path(), &cases);
}

/// Long lists and dicts whose values are every kind the pickler writes in runs (scalars, memo
/// hits, strs of 3–255 bytes, moved in fixed sizes up to 32 and copied past that) mixed with
/// every kind that ends a run (strs of 0–2 and 256 bytes or more, containers, and dict entries
/// whose key a run takes but whose value it does not), over several frames: CPython's bytes at
/// every protocol.
#[test]
fn runs_of_mixed_values_match_cpython_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let text = |i: usize, len: usize| format!("{i:x}.").repeat(len).chars().take(len).collect::<String>();
    let int = |i: usize| [i as i64, 300 + i as i64, 70_000 + i as i64, (1 << 40) + i as i64, -(i as i64)][i % 5];
    let mut cases = Vec::new();
    for proto in 0..=5u8 {
        let list = list_graph(9000, |g, i, items| match i % 13 {
            0 | 11 => g.str(&text(i, 3 + i % 30)),
            1 | 12 if i > 20 => items[i / 2],
            2 => Value::Int(int(i)),
            3 => g.str(["a", "é", "", "ab"][i % 4]),
            // 33–302 bytes: 255 at i = 3462, 256 at i = 2383.
            4 => g.str(&text(i, 33 + i % 270)),
            5 => {
                let s = g.str(&text(i, 5));
                g.list(vec![Value::Int(i as i64), s])
            }
            6 => Value::Float(i as f64 / 7.0),
            7 => [Value::None, Value::Bool(true), Value::Bool(false)][i % 3],
            8 => {
                let s = g.str(&text(i, 4));
                g.tuple(vec![s, Value::Int(int(i))])
            }
            9 => g.str(&text(i, 32 + i % 2)),
            10 => {
                let d = g.dict();
                let k = g.str(&text(i, 6));
                g.dict_insert(d, k, Value::Int(int(i))).unwrap();
                d
            }
            _ => g.str(&text(i, 3)),
        });
        let dict = dict_graph(6000, |g, i, values| {
            let key = match i % 7 {
                3 => Value::Int(int(i)),
                5 => g.str(&text(i, 40 + i % 60)),
                6 => {
                    let s = g.str(&text(i, 3));
                    g.tuple(vec![s, Value::Int(i as i64)])
                }
                _ => g.str(&text(i, 3 + i % 30)),
            };
            let value = match i % 9 {
                2 if i > 10 => values[i / 2],
                3 => {
                    let s = g.str(&text(i, 7));
                    g.list(vec![s])
                }
                4 => Value::Float(i as f64 / 3.0),
                5 => g.str(&text(i + 7, 40 + i % 100)),
                6 => g.str(["b", "ÿ", "", "cd"][i / 9 % 4]),
                7 => Value::Int(int(i)),
                _ => g.str(&text(i + 7, 3 + i % 30)),
            };
            (key, value)
        });
        cases.extend([(list, proto), (dict, proto)]);
    }
    assert_several_frames_as_cpython(dir.path(), &cases);
}

/// Tuples and bytes in long lists and dicts, which runs write whole when every item of the
/// tuple is a scalar, a memo hit or a str or bytes of up to 255 bytes (see `dump/flat.rs`):
/// tuples of every length (TUPLE1–3, MARK…TUPLE), shared, holding one new str twice, and ones a
/// run refuses (holding a list, a tuple, a one-character str, `b""`, a str of 300 bytes, more
/// items than fit a run's room); bytes of 0–300 bytes. CPython's bytes at every protocol.
///
/// Below protocol 3 a bytes is rebuilt by `_codecs.encode`, which gives CPython's one cached
/// object for every bytes of one byte; so there, where CPython's copy would share equal ones
/// that the graph keeps apart, they are two bytes long at least.
#[test]
fn tuples_and_bytes_in_runs_match_cpython_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let text = |i: usize, len: usize| format!("{i:x}:").repeat(len).chars().take(len).collect::<String>();
    // `len` bytes, but none of one byte below protocol 3 (see above).
    let blob = |i: usize, len: usize, proto: u8| {
        let len = if len == 1 && proto < 3 { 2 } else { len };
        (0..len).map(|j| (i * 31 + j) as u8).collect::<Vec<u8>>()
    };
    let int = |i: usize| [i as i64, 300 + i as i64, 70_000 + i as i64, (1 << 40) + i as i64, -(i as i64)][i % 5];
    let tuple = |g: &mut Graph, i: usize, items: &[Value], proto: u8| -> Value {
        match i % 14 {
            0 => {
                let s = g.str(&text(i, 3 + i % 40));
                g.tuple(vec![Value::Int(int(i)), s, Value::Float(i as f64 / 4.0)])
            }
            1 => g.tuple(vec![]),
            2 => g.tuple(vec![Value::Int(int(i))]),
            3 => {
                let s = g.str(&text(i, 5));
                g.tuple(vec![s, s])
            }
            4 => {
                let n = 4 + i % 5;
                let s = g.str(&text(i, 9));
                let mut v: Vec<Value> = (0..n).map(|j| Value::Int(int(i + j))).collect();
                v[n / 2] = s;
                g.tuple(v)
            }
            5 if i > 40 => items[i / 2],
            6 => {
                let b = g.bytes(&blob(i, 1 + i % 60, proto));
                let shared = if i > 40 { items[i / 3] } else { Value::None };
                g.tuple(vec![b, shared])
            }
            7 => {
                let l = g.list(vec![Value::Int(int(i))]);
                g.tuple(vec![Value::Int(1), l])
            }
            8 => {
                let inner = g.tuple(vec![Value::Int(int(i)), Value::Int(2)]);
                g.tuple(vec![inner])
            }
            9 => {
                let s = g.str(["a", "é", "", "ÿ"][i / 14 % 4]);
                g.tuple(vec![s, Value::Int(3)])
            }
            10 => {
                let b = g.bytes(b"");
                g.tuple(vec![Value::Bool(i % 2 == 0), b])
            }
            11 => {
                let s = g.str(&text(i, 254 + i % 4));
                g.tuple(vec![s])
            }
            12 => g.tuple((0..20 + i % 90).map(|j| Value::Int(int(j))).collect()),
            _ => {
                let b = g.bytes(&blob(i, i % 301, proto));
                g.tuple(vec![b, Value::None, Value::Int(int(i))])
            }
        }
    };
    let mut cases = Vec::new();
    for proto in 0..=5u8 {
        let list = list_graph(9000, |g, i, items| match i % 4 {
            0 | 1 => tuple(g, i / 2, items, proto),
            2 => g.bytes(&blob(i, i % 300, proto)),
            _ => Value::Int(int(i)),
        });
        let dict = dict_graph(5000, |g, i, values| {
            let key = if i % 3 == 0 {
                let s = g.str(&text(i, 4));
                g.tuple(vec![Value::Int(i as i64), s])
            } else {
                g.str(&text(i, 3 + i % 20))
            };
            let value = match i % 3 {
                0 => g.bytes(&blob(i, i % 280, proto)),
                _ => tuple(g, i, values, proto),
            };
            (key, value)
        });
        cases.extend([(list, proto), (dict, proto)]);
    }
    assert_several_frames_as_cpython(dir.path(), &cases);

    // A tuple reached again from a long list inside it, while its own items are written: CPython
    // writes it there, then drops the outer copy's items and fetches it.
    let mut small = Vec::new();
    for proto in 0..=5u8 {
        let mut g = Graph::new();
        let list = g.list((0..20).map(Value::Int).collect());
        let t = g.tuple(vec![list]);
        if let Object::List(items) = g.get_mut(list.id().unwrap()) {
            items.push(t);
        }
        g.set_root(t);
        small.push((g, proto));
    }
    for ((g, proto), (ours, theirs)) in small.iter().zip(through_cpython(dir.path(), &small)) {
        assert_eq!(ours, theirs, "recursive tuple, protocol {proto}: bytes differ from CPython's");
        isomorphic(g, &brinery::loads(&ours).unwrap()).unwrap();
    }
}

/// Appends `v` to the list `list` (to close a cycle once both exist).
fn push(g: &mut Graph, list: Value, v: Value) {
    match g.get_mut(list.id().unwrap()) {
        Object::List(items) => items.push(v),
        other => panic!("not a list: {other:?}"),
    }
}

/// Tuples reached again through their own items, in the shapes CPython's tests and programs
/// make: CPython writes the inner copy in full, then drops the outer copy's items (POP, or
/// POP_MARK) and fetches it. Through one-item lists (APPEND), dicts, two tuples one inside the
/// other, and lists nested deeper than the pickler writes by recursion, at every protocol.
#[test]
fn recursive_tuples_match_cpython_bytes() {
    type Shape = (&'static str, fn(&mut Graph) -> Value);
    let shapes: Vec<Shape> = vec![
        ("t = ([t],)", |g| {
            let l = g.list(vec![]);
            let t = g.tuple(vec![l]);
            push(g, l, t);
            t
        }),
        ("t = ([t, t], 1, 2, 3)", |g| {
            let l = g.list(vec![]);
            let t = g.tuple(vec![l, Value::Int(1), Value::Int(2), Value::Int(3)]);
            push(g, l, t);
            push(g, l, t);
            t
        }),
        ("t = ({1: t}, 'x'); [t, t]", |g| {
            let d = g.dict();
            let x = g.str("x");
            let t = g.tuple(vec![d, x]);
            g.dict_insert(d, Value::Int(1), t).unwrap();
            g.list(vec![t, t])
        }),
        ("t = ({1: t, 2: [t]},)", |g| {
            let d = g.dict();
            let t = g.tuple(vec![d]);
            let l = g.list(vec![t]);
            g.dict_insert(d, Value::Int(1), t).unwrap();
            g.dict_insert(d, Value::Int(2), l).unwrap();
            t
        }),
        ("t = (([t],),)", |g| {
            let l = g.list(vec![]);
            let u = g.tuple(vec![l]);
            let t = g.tuple(vec![u]);
            push(g, l, t);
            t
        }),
        ("t = ([[[...[t]...]]],), 12 lists deep", |g| {
            let innermost = g.list(vec![]);
            let mut outer = innermost;
            for _ in 0..11 {
                outer = g.list(vec![outer]);
            }
            let t = g.tuple(vec![outer, Value::None]);
            push(g, innermost, t);
            t
        }),
        ("t = tuple of 30 items, the last [t]", |g| {
            let l = g.list(vec![]);
            let mut items: Vec<Value> = (0..29).map(Value::Int).collect();
            items.push(l);
            let t = g.tuple(items);
            push(g, l, t);
            t
        }),
    ];
    let mut cases = Vec::new();
    for (_, make) in &shapes {
        for proto in 0..=5u8 {
            let mut g = Graph::new();
            let root = make(&mut g);
            g.set_root(root);
            cases.push((g, proto));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for (i, ((g, proto), (ours, theirs))) in cases.iter().zip(through_cpython(dir.path(), &cases)).enumerate() {
        let shape = shapes[i / 6].0;
        assert_eq!(ours, theirs, "{shape}, protocol {proto}: bytes differ from CPython's");
        if let Err(e) = isomorphic(g, &brinery::loads(&ours).unwrap()) {
            panic!("{shape}, protocol {proto}: read back differs: {e}");
        }
    }
}

#[test]
fn random_graphs_round_trip_through_cpython() {
    let mut runner = TestRunner::deterministic();
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(Graph, u8)> = (0..480)
        .map(|i| (build(&recipe(i % 2 == 0).new_tree(&mut runner).unwrap().current()), (i % 6) as u8))
        .collect();
    let mut exact = 0;
    for ((g, proto), (ours, theirs)) in cases.iter().zip(through_cpython(dir.path(), &cases)) {
        let back = brinery::loads(&theirs).unwrap();
        if let Err(e) = isomorphic(g, &back) {
            panic!("protocol {proto}: CPython's copy differs: {e}");
        }
        // Set iteration order is CPython's own; elsewhere the bytes must match exactly.
        if !has_sets(g) {
            assert_eq!(ours, theirs, "protocol {proto}: bytes differ from CPython's");
            exact += 1;
        }
    }
    println!("{} graphs through CPython, {exact} byte-identical", cases.len());
    assert!(exact >= 240, "too few set-free graphs to compare bytes");
}

/// A run of 1 to 11 scalars of one kind (the strs are references, which end a run of scalars).
fn scalar_run() -> impl Strategy<Value = Vec<Spec>> {
    let n = 1usize..12;
    // Ints next to where the opcode that holds them changes.
    let edges = [0, 255, 65535, i32::MAX as i64, i32::MIN as i64, 1 << 32, i64::MAX, i64::MIN];
    let near_edge = (prop::sample::select(edges.to_vec()), -3i64..=3).prop_map(|(e, d)| Spec::Int(e.saturating_add(d)));
    prop_oneof![
        prop::collection::vec(near_edge, n.clone()),
        prop::collection::vec((0i64..256).prop_map(Spec::Int), n.clone()),
        prop::collection::vec((256i64..65536).prop_map(Spec::Int), n.clone()),
        prop::collection::vec((-(1i64 << 31)..0).prop_map(Spec::Int), n.clone()),
        prop::collection::vec((65536i64..1 << 31).prop_map(Spec::Int), n.clone()),
        prop::collection::vec(any::<i64>().prop_map(Spec::Int), n.clone()),
        prop::collection::vec(any::<f64>().prop_map(Spec::Float), n.clone()),
        prop::collection::vec(any::<bool>().prop_map(Spec::Bool), n.clone()),
        prop::collection::vec(Just(Spec::None), n.clone()),
        prop::collection::vec("[a-z]{2,3}".prop_map(Spec::Str), n),
    ]
}

/// Lists and tuples of up to a few hundred scalars, in runs of one kind broken by others: the
/// writer takes long runs of ints and floats four at a time, and these end a run at every
/// offset within a group of four. CPython writes the same bytes at every protocol.
#[test]
fn long_runs_of_scalars_match_cpython_bytes() {
    let mut runner = TestRunner::deterministic();
    let dir = tempfile::tempdir().unwrap();
    let runs = prop::collection::vec(scalar_run(), 0..40);
    let mut cases = Vec::new();
    for i in 0..240 {
        let specs: Vec<Spec> = runs.new_tree(&mut runner).unwrap().current().concat();
        let mut g = Graph::new();
        let items: Vec<Value> = specs
            .iter()
            .map(|s| match s {
                Spec::Int(n) => Value::Int(*n),
                Spec::Float(f) => Value::Float(*f),
                Spec::Bool(b) => Value::Bool(*b),
                Spec::Str(t) => g.str(t),
                _ => Value::None,
            })
            .collect();
        let root = if i % 3 == 2 { g.tuple(items) } else { g.list(items) };
        g.set_root(root);
        cases.push((g, (i % 6) as u8));
    }
    let mut longest = 0;
    for ((g, proto), (ours, theirs)) in cases.iter().zip(through_cpython(dir.path(), &cases)) {
        assert_eq!(ours, theirs, "protocol {proto}: bytes differ from CPython's");
        if let Err(e) = isomorphic(g, &brinery::loads(&ours).unwrap()) {
            panic!("protocol {proto}: read back differs: {e}");
        }
        if let Value::Ref(id) = g.root() {
            if let Object::List(items) | Object::Tuple(items) = g.get(id) {
                longest = longest.max(items.len());
            }
        }
    }
    assert!(longest > 200, "no long sequence was drawn (longest {longest})");
}

/// A scalar that is mostly tiny (None, a bool, an int from 0 to 255: one or two bytes each)
/// and now and then one that is not: an int just past that range, a float, a str.
fn mostly_tiny() -> impl Strategy<Value = Spec> {
    prop_oneof![
        8 => (0i64..256).prop_map(Spec::Int),
        2 => Just(Spec::None),
        2 => any::<bool>().prop_map(Spec::Bool),
        1 => prop::sample::select(vec![256i64, -1, 65535, 65536, 1 << 40, i64::MIN]).prop_map(Spec::Int),
        1 => any::<f64>().prop_map(Spec::Float),
        1 => "[a-z]{1,3}".prop_map(Spec::Str),
    ]
}

fn scalar_value(g: &mut Graph, s: &Spec) -> Value {
    match s {
        Spec::Int(n) => Value::Int(*n),
        Spec::Float(f) => Value::Float(*f),
        Spec::Bool(b) => Value::Bool(*b),
        Spec::Str(t) => g.str(t),
        _ => Value::None,
    }
}

/// Lists and dicts of 2 to 20 scalars, inside an outer list, most of them all tiny scalars
/// (which the writer puts down at two bytes a slot with no room check per item) and the rest
/// holding one that is not. CPython writes the same bytes at every protocol, with memo
/// indexes below 256 and past it.
#[test]
fn small_containers_of_tiny_scalars_match_cpython_bytes() {
    let mut runner = TestRunner::deterministic();
    let dir = tempfile::tempdir().unwrap();
    let list = prop::collection::vec(mostly_tiny(), 2..=20);
    // Keys: distinct ints from 0 to 299 (past 255 now and then), or None, or a str.
    let key =
        prop_oneof![8 => (0i64..300).prop_map(Spec::Int), 1 => Just(Spec::None), 1 => "[a-z]".prop_map(Spec::Str)];
    let dict = prop::collection::vec((key, mostly_tiny()), 2..=20);
    let (mut tiny_lists, mut tiny_dicts, mut cases) = (0, 0, Vec::new());
    let is_tiny =
        |s: &Spec| matches!(s, Spec::None | Spec::Bool(_)) || matches!(s, Spec::Int(n) if (0..256).contains(n));
    for i in 0..120 {
        let mut g = Graph::new();
        // In every other case, 300 strs first, so that from then on the memo indexes take
        // LONG_BINPUT before protocol 4.
        let mut outer: Vec<Value> =
            if i % 12 < 6 { Vec::new() } else { (0..300).map(|n| g.str(&format!("s{n}"))).collect() };
        for _ in 0..6 {
            let items = list.new_tree(&mut runner).unwrap().current();
            tiny_lists += usize::from(items.iter().all(is_tiny));
            let values = items.iter().map(|s| scalar_value(&mut g, s)).collect();
            outer.push(g.list(values));
            let d = g.dict();
            let mut pairs = dict.new_tree(&mut runner).unwrap().current();
            pairs.sort_by_key(|(k, _)| format!("{k:?}"));
            pairs.dedup_by_key(|(k, _)| format!("{k:?}"));
            tiny_dicts += usize::from(pairs.len() > 1 && pairs.iter().all(|(k, v)| is_tiny(k) && is_tiny(v)));
            for (k, v) in &pairs {
                let (k, v) = (scalar_value(&mut g, k), scalar_value(&mut g, v));
                g.dict_insert(d, k, v).unwrap();
            }
            outer.push(d);
        }
        let root = g.list(outer);
        g.set_root(root);
        cases.push((g, (i % 6) as u8));
    }
    for ((g, proto), (ours, theirs)) in cases.iter().zip(through_cpython(dir.path(), &cases)) {
        assert_eq!(ours, theirs, "protocol {proto}: bytes differ from CPython's");
        if let Err(e) = isomorphic(g, &brinery::loads(&ours).unwrap()) {
            panic!("protocol {proto}: read back differs: {e}");
        }
    }
    assert!(
        tiny_lists >= 20 && tiny_dicts >= 20,
        "too few all-tiny containers ({tiny_lists} lists, {tiny_dicts} dicts)"
    );
}
