//! serde against CPython: Rust values written by brinery are byte-identical to
//! `pickle.dumps` of the corresponding Python object at every protocol and load as that object;
//! pickles CPython writes at every protocol read back as the expected Rust values.
//!
//! The corresponding Python object is built with three helpers: `S('…')` a str of its own
//! (as a Rust `String` is), `I('…')` an interned identifier (struct field and variant names),
//! `B(b'…')` a bytes object of its own, `T(…)` a fresh tuple.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::process::{Command, Stdio};

const PRELUDE: &str = r#"
import sys, pickle, binascii, json
def S(s):
    if len(s) == 1: return chr(ord(s))
    return (s + '.')[:-1]
def I(s):
    if len(s) == 1 and ord(s) < 256: return chr(ord(s))
    return sys.intern(s)
def B(b): return bytes(bytearray(b))
def T(*items): return tuple(list(items))
"#;

/// Run `script` (after the prelude) with `input` on stdin; return stdout.
fn python(script: &str, input: &str) -> String {
    let mut child = Command::new("python3")
        .args(["-c", &format!("{PRELUDE}\n{script}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Cases of (name, Python expression, brinery's bytes per protocol 0–5).
#[derive(Default)]
struct WriteCases(Vec<(String, String, Vec<Vec<u8>>)>);

impl WriteCases {
    fn add<T: Serialize + ?Sized>(&mut self, name: &str, value: &T, expr: &str) {
        let per_proto =
            (0..=5).map(|p| brinery::to_vec_with(value, &brinery::SerOptions::new().protocol(p)).unwrap()).collect();
        self.0.push((name.to_owned(), expr.to_owned(), per_proto));
    }

    /// Python checks every case: loads(brinery) has the expected repr and equals the expected
    /// object; with `exact`, dumps(expected) is byte for byte brinery's output.
    fn check(&self, exact: bool) {
        let mut input = String::new();
        for (name, expr, bytes) in &self.0 {
            let hexes: Vec<String> = bytes.iter().map(|b| hex(b)).collect();
            input.push_str(&format!("{name}\t{expr}\t{}\n", hexes.join(",")));
        }
        let script = format!(
            r#"
exact = {exact}
bad = 0
for line in sys.stdin.read().splitlines():
    name, expr, hexes = line.split('\t')
    for proto, h in enumerate(hexes.split(',')):
        ours = binascii.unhexlify(h)
        want = eval(expr)
        try:
            got = pickle.loads(ours)
        except Exception as e:
            print('%s proto %d: CPython cannot load: %r' % (name, proto, e)); bad += 1; continue
        if repr(got) != repr(want) or (got == got and got != want):
            print('%s proto %d: loaded %r, expected %r' % (name, proto, got, want)); bad += 1
        if exact:
            theirs = pickle.dumps(want, proto)
            if theirs != ours:
                print('%s proto %d bytes differ:\n  cpython %r\n  brinery %r' % (name, proto, theirs, ours)); bad += 1
print('bad', bad)
"#,
            exact = if exact { "True" } else { "False" }
        );
        let out = python(&script, &input);
        assert!(out.trim_end().ends_with("bad 0"), "{out}");
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Inner {
    a: (),
    b: usize,
    c: Vec<String>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Record {
    id: u64,
    name: String,
    score: f64,
    tags: Vec<String>,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    parent: Option<u32>,
    inner: Inner,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Animal {
    Dog,
    AntHive(Vec<String>),
    Frog(String, Vec<isize>),
    Cat { age: usize, name: String },
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Unit;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Newtype(i32);

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct TupleStruct(i32, bool, String);

#[derive(Serialize, Debug)]
struct Flat {
    x: i32,
    #[serde(flatten)]
    rest: BTreeMap<String, i32>,
}

#[derive(Serialize, Debug)]
struct Skippy {
    keep: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    maybe: Option<i32>,
}

/// A sequence whose length serde does not know up front.
struct Unsized<T>(Vec<T>);

impl<T: Serialize> Serialize for Unsized<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().filter(|_| true))
    }
}

/// A map whose length serde does not know up front.
struct UnsizedMap(Vec<(i32, String)>);

impl Serialize for UnsizedMap {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)).filter(|_| true))
    }
}

fn s_list(items: &[&str]) -> String {
    format!("[{}]", items.iter().map(|s| format!("S({s:?})")).collect::<Vec<_>>().join(", "))
}

#[test]
fn scalars_and_strings_match_cpython_bytes() {
    let mut c = WriteCases::default();
    c.add("true", &true, "True");
    c.add("false", &false, "False");
    for (i, n) in [0i64, 1, 255, 256, 65535, 65536, -1, -256, i32::MAX as i64, i32::MIN as i64, 1 << 31, -(1 << 31) - 1]
        .iter()
        .enumerate()
    {
        c.add(&format!("int{i}"), n, &n.to_string());
    }
    c.add("i64min", &i64::MIN, &i64::MIN.to_string());
    c.add("i64max", &i64::MAX, &i64::MAX.to_string());
    c.add("u64max", &u64::MAX, &u64::MAX.to_string());
    c.add("u64top", &(1u64 << 63), &(1u64 << 63).to_string());
    c.add("i128min", &i128::MIN, &i128::MIN.to_string());
    c.add("i128max", &i128::MAX, &i128::MAX.to_string());
    c.add("u128max", &u128::MAX, &u128::MAX.to_string());
    c.add("u128mid", &(1u128 << 100), &(1u128 << 100).to_string());
    c.add("u8", &200u8, "200");
    c.add("i8", &-100i8, "-100");
    c.add("u16", &60000u16, "60000");
    c.add("u32", &4_000_000_000u32, "4000000000");
    c.add("f64", &1.5f64, "1.5");
    c.add("f64neg0", &-0.0f64, "-0.0");
    c.add("f64tiny", &1e-300f64, "1e-300");
    c.add("f64big", &1.2345e300f64, "1.2345e300");
    c.add("f64inf", &f64::INFINITY, "float('inf')");
    c.add("f64nan", &f64::NAN, "float('nan')");
    c.add("f32", &1.1f32, &format!("{:?}", f64::from(1.1f32)));
    c.add("char_a", &'a', "'a'");
    c.add("char_e", &'é', "'\\xe9'");
    c.add("char_euro", &'€', "'\\u20ac'");
    c.add("char_emoji", &'😀', "'\\U0001f600'");
    c.add("str_empty", "", "''");
    c.add("str", "hello", "S('hello')");
    c.add("str_escapes", "a\\b\nc\rd\0e\x1af", "S('a\\\\b\\nc\\rd\\x00e\\x1af')");
    c.add("str_unicode", "café €😀", "S('caf\\xe9 \\u20ac\\U0001f600')");
    let long = "x".repeat(300);
    c.add("str300", long.as_str(), "S('x' * 300)");
    let huge = "ab".repeat(40_000);
    c.add("str80k", huge.as_str(), "S('ab' * 40000)");
    c.add("bytes_empty", &ByteBuf::from(vec![]), "b''");
    c.add("bytes1", &ByteBuf::from(vec![97]), "B(b'a')");
    c.add("bytes", &ByteBuf::from(b"\x00\xff\x80abc".to_vec()), "B(b'\\x00\\xff\\x80abc')");
    c.add("bytes300", &ByteBuf::from(vec![7u8; 300]), "B(b'\\x07' * 300)");
    c.add("bytes70k", &ByteBuf::from(vec![0xe9u8; 70_000]), "B(b'\\xe9' * 70000)");
    c.add("unit", &(), "None");
    c.add("none", &None::<i32>, "None");
    c.add("some", &Some(5), "5");
    c.add("unit_struct", &Unit, "None");
    c.add("newtype", &Newtype(-3), "-3");
    c.check(true);
}

#[test]
fn containers_match_cpython_bytes() {
    let mut c = WriteCases::default();
    c.add("tuple0", &(), "None");
    c.add("tuple1", &(1,), "T(1)");
    c.add("tuple2", &(1, "ab"), "T(1, S('ab'))");
    c.add("tuple3", &(1, 2, 3), "T(1, 2, 3)");
    c.add("tuple4", &(1, 2, 3, 4), "T(1, 2, 3, 4)");
    c.add("tuple_nested", &((1, 2), ((3,), "xy")), "T(T(1, 2), T(T(3), S('xy')))");
    c.add("array", &[1u8, 2, 3], "T(1, 2, 3)");
    c.add("empty_array", &[0u8; 0], "()");
    c.add("tuple_struct", &TupleStruct(7, true, "q".into()), "T(7, True, 'q')");
    c.add("vec_empty", &Vec::<i32>::new(), "[]");
    c.add("vec1", &vec![1], "[1]");
    c.add("vec2", &vec![1, 2], "[1, 2]");
    let v1000: Vec<i32> = (0..1000).collect();
    c.add("vec1000", &v1000, "list(range(1000))");
    let v1001: Vec<i32> = (0..1001).collect();
    c.add("vec1001", &v1001, "list(range(1001))");
    let v2001: Vec<i32> = (0..2001).collect();
    c.add("vec2001", &v2001, "list(range(2001))");
    let v2000: Vec<i32> = (0..2000).collect();
    c.add("vec2000", &v2000, "list(range(2000))");
    c.add("vec_u8", &vec![1u8, 2, 255], "[1, 2, 255]");
    c.add("vec_strings", &vec!["ab", "ab", "cd"], &s_list(&["ab", "ab", "cd"]));
    c.add("vec_chars_shared", &vec!["a", "a", "", "", "é", "é"], "[S('a'), S('a'), '', '', S('\\xe9'), S('\\xe9')]");
    c.add(
        "vec_bytes",
        &vec![ByteBuf::from(vec![]), ByteBuf::from(vec![]), ByteBuf::from(vec![1]), ByteBuf::from(vec![1])],
        "[b'', b'', B(b'\\x01'), B(b'\\x01')]",
    );
    c.add("nested_vec", &vec![vec![1, 2], vec![], vec![3]], "[[1, 2], [], [3]]");
    c.add("vec_option", &vec![Some(1), None, Some(3)], "[1, None, 3]");
    let many: Vec<String> = (0..20_000).map(|i| format!("item{i}")).collect();
    c.add("vec_20k_strings", &many, "[S('item%d' % i) for i in range(20000)]");
    let mut m: BTreeMap<i32, String> = BTreeMap::new();
    c.add("map0", &m, "{}");
    m.insert(1, "one".into());
    c.add("map1", &m, "{1: S('one')}");
    m.insert(2, "two".into());
    c.add("map2", &m, "{1: S('one'), 2: S('two')}");
    let m1000: BTreeMap<i32, i32> = (0..1000).map(|i| (i, -i)).collect();
    c.add("map1000", &m1000, "{i: -i for i in range(1000)}");
    let m1001: BTreeMap<i32, i32> = (0..1001).map(|i| (i, -i)).collect();
    c.add("map1001", &m1001, "{i: -i for i in range(1001)}");
    let m2000: BTreeMap<i32, i32> = (0..2000).map(|i| (i, -i)).collect();
    c.add("map2000", &m2000, "{i: -i for i in range(2000)}");
    let m2000: BTreeMap<i32, i32> = (0..2000).map(|i| (i, -i)).collect();
    c.add("map2000", &m2000, "{i: -i for i in range(2000)}");
    let tk: BTreeMap<(i32, String), Vec<u8>> =
        [((1, "a".to_string()), vec![1]), ((2, "bc".to_string()), vec![])].into();
    c.add("map_tuple_keys", &tk, "{T(1, S('a')): [1], T(2, S('bc')): []}");
    let bk: BTreeMap<ByteBuf, bool> = [(ByteBuf::from(b"k1".to_vec()), true)].into();
    c.add("map_bytes_keys", &bk, "{B(b'k1'): True}");
    let ok: BTreeMap<Option<i32>, i32> = [(None, 0), (Some(1), 1)].into();
    c.add("map_none_key", &ok, "{None: 0, 1: 1}");
    let nested: BTreeMap<String, BTreeMap<i64, Vec<String>>> =
        [("outer".to_string(), [(5i64, vec!["x".to_string(), "yz".to_string()])].into())].into();
    c.add("map_nested", &nested, "{S('outer'): {5: [S('x'), S('yz')]}}");
    c.check(true);
}

#[test]
fn structs_and_enums_match_cpython_bytes() {
    let mut c = WriteCases::default();
    let inner = Inner { a: (), b: 32, c: vec!["doc".into()] };
    c.add("inner", &inner, "{I('a'): None, I('b'): 32, I('c'): [S('doc')]}");
    let records: Vec<Record> = (0..3)
        .map(|i| Record {
            id: i,
            name: format!("rec{i}"),
            score: i as f64 / 4.0,
            tags: vec!["t".into(), format!("tag{i}")],
            blob: vec![i as u8; i as usize],
            parent: if i == 0 { None } else { Some(i as u32 - 1) },
            inner: Inner { a: (), b: i as usize, c: vec![] },
        })
        .collect();
    c.add(
        "records",
        &records,
        "[{I('id'): i, I('name'): S('rec%d' % i), I('score'): i / 4, I('tags'): [S('t'), S('tag%d' % i)], \
         I('blob'): B(bytes([i]) * i), I('parent'): None if i == 0 else i - 1, \
         I('inner'): {I('a'): None, I('b'): i, I('c'): []}} for i in range(3)]",
    );
    c.add("enum_unit", &Animal::Dog, "I('Dog')");
    c.add("enum_newtype", &Animal::AntHive(vec!["ant".into(), "aunt".into()]), "{I('AntHive'): [S('ant'), S('aunt')]}");
    c.add("enum_tuple", &Animal::Frog("Henry".into(), vec![1, 5]), "{I('Frog'): T(S('Henry'), [1, 5])}");
    c.add(
        "enum_struct",
        &Animal::Cat { age: 5, name: "Molyneux".into() },
        "{I('Cat'): {I('age'): 5, I('name'): S('Molyneux')}}",
    );
    c.add(
        "enum_vec",
        &vec![Animal::Dog, Animal::Dog, Animal::Cat { age: 1, name: "x".into() }, Animal::Cat { age: 2, name: "y".into() }],
        "[I('Dog'), I('Dog'), {I('Cat'): {I('age'): 1, I('name'): S('x')}}, {I('Cat'): {I('age'): 2, I('name'): S('y')}}]",
    );
    c.add(
        "flatten",
        &Flat { x: 1, rest: [("y".into(), 2), ("zz".into(), 3)].into() },
        "{I('x'): 1, S('y'): 2, S('zz'): 3}",
    );
    c.add("flatten_one", &Flat { x: 1, rest: BTreeMap::new() }, "{I('x'): 1}");
    c.add("skip_none", &Skippy { keep: 1, maybe: None }, "{I('keep'): 1}");
    c.add("skip_some", &Skippy { keep: 1, maybe: Some(2) }, "{I('keep'): 1, I('maybe'): 2}");
    // Field names are interned, shared with equal variant names and 'latin1'.
    #[derive(Serialize)]
    struct Odd {
        latin1: ByteBuf,
        #[serde(rename = "Dog")]
        dog: Animal,
    }
    c.add(
        "interned_shared",
        &Odd { latin1: ByteBuf::from(b"xy".to_vec()), dog: Animal::Dog },
        "{I('latin1'): B(b'xy'), I('Dog'): I('Dog')}",
    );
    c.add("unsized0", &Unsized(Vec::<i32>::new()), "[]");
    c.add("unsized1", &Unsized(vec![vec![1, 2]]), "[[1, 2]]");
    c.add("unsized2", &Unsized(vec![vec![1], vec![2]]), "[[1], [2]]");
    c.add("unsized_nested", &Unsized(vec![Unsized(vec![1]), Unsized(vec![2, 3])]), "[[1], [2, 3]]");
    let big: Vec<i32> = (0..2500).collect();
    c.add("unsized2500", &Unsized(big), "list(range(2500))");
    // Past a frame: the frames after a sequence held at its first item fall where CPython's do.
    let strs: Vec<String> = (0..3000).map(|i| format!("{i:040}")).collect();
    c.add("unsized_past_a_frame", &Unsized(strs), "[S('%040d' % i) for i in range(3000)]");
    c.add("unsized_map1", &UnsizedMap(vec![(1, "a".into())]), "{1: S('a')}");
    c.add(
        "unsized_map1000",
        &UnsizedMap((0..1000).map(|i| (i, "v".into())).collect()),
        "{i: S('v') for i in range(1000)}",
    );
    c.add(
        "unsized_map2001",
        &UnsizedMap((0..2001).map(|i| (i, "v".into())).collect()),
        "{i: S('v') for i in range(2001)}",
    );
    c.check(true);
}

/// Every kind of item a long list holds, for the runs its items are written in (protocol 4+,
/// 16 items or more): what a run takes and what it refuses and leaves to the usual path.
#[derive(Serialize)]
#[serde(untagged)]
enum Mixed {
    Int(i64),
    Big(u64),
    Huge(i128),
    Float(f64),
    Bool(bool),
    Opt(Option<i32>),
    Str(String),
    Char(char),
    Bytes(ByteBuf),
    Empty(()),
    One((i32,)),
    Pair((i32, String)),
    Triple((u8, f32, bool)),
    Five((i8, i16, i32, i64, u16)),
    Point(Point),
    Record(Record),
    Animal(Animal),
    List(Vec<Mixed>),
    Map(BTreeMap<i32, String>),
    Keys(BTreeMap<(i32, String), Option<bool>>),
    Unsized(Unsized<i32>),
    Flat(Flat),
    Skippy(Skippy),
    Newtype(Newtype),
    TupleStruct(TupleStruct),
}

#[derive(Serialize)]
struct Point {
    x: i32,
    label: Option<String>,
    tags: Vec<String>,
}

/// The `n`th item of a mixed list and its Python expression.
fn mixed(n: u64) -> (Mixed, String) {
    let i = n as i64;
    let text = |len: usize| -> String { (0..len).map(|k| (b'a' + ((n as usize + k) % 26) as u8) as char).collect() };
    let word = text(3 + n as usize % 30);
    match n % 29 {
        0 => {
            let v =
                [0, 255, 256, 65535, 65536, -1, 2147483647, 2147483648, -2147483649, i64::MIN][n as usize / 29 % 10];
            (Mixed::Int(v), v.to_string())
        }
        1 => (Mixed::Big(u64::MAX - n), (u64::MAX - n).to_string()),
        2 => (Mixed::Huge(1 << 100), "2**100".into()),
        3 => (Mixed::Float(i as f64 / 8.0), format!("{:?}", i as f64 / 8.0)),
        4 => (Mixed::Bool(n % 2 == 0), if n % 2 == 0 { "True" } else { "False" }.into()),
        5 => (Mixed::Opt(None), "None".into()),
        6 => (Mixed::Opt(Some(-i as i32)), (-i).to_string()),
        // Strs of every length around what a run writes (3–32 bytes by itself, 0–2 when
        // CPython caches them), non-ASCII ones included.
        7 => {
            let s = text(n as usize % 40);
            (Mixed::Str(s.clone()), format!("S('{s}')"))
        }
        8 => {
            let s = ["é", "ĉ", "日本", "\u{ff}", "ab", "", "x", "€uro"][n as usize / 29 % 8];
            (Mixed::Str(s.into()), format!("S('{s}')"))
        }
        9 => (
            Mixed::Char(['q', 'é', '€'][n as usize / 29 % 3]),
            format!("S('{}')", ['q', 'é', '€'][n as usize / 29 % 3]),
        ),
        10 => {
            let len = [0, 1, 2, 31, 32, 33, 40, 255, 256][n as usize / 29 % 9];
            (Mixed::Bytes(ByteBuf::from(vec![n as u8; len])), format!("B(bytes([{}]) * {len})", n as u8))
        }
        11 => (Mixed::Empty(()), "None".into()),
        12 => (Mixed::One((-i as i32,)), format!("T({})", -i)),
        13 => (Mixed::Pair((i as i32, word.clone())), format!("T({i}, S('{word}'))")),
        14 => (Mixed::Triple((n as u8, 0.5, true)), format!("T({}, 0.5, True)", n as u8)),
        15 => (Mixed::Five((-1, 300, 70000, 1 << 40, 9)), "T(-1, 300, 70000, 1 << 40, 9)".into()),
        16 => {
            let tags: Vec<String> = (0..n as usize % 4).map(&text).collect();
            let py: Vec<String> = tags.iter().map(|t| format!("S('{t}')")).collect();
            let label = if n % 3 == 0 { None } else { Some(word.clone()) };
            let label_py = label.as_ref().map_or("None".into(), |l| format!("S('{l}')"));
            (
                Mixed::Point(Point { x: -i as i32, label, tags }),
                format!("{{I('x'): {}, I('label'): {label_py}, I('tags'): [{}]}}", -i, py.join(", ")),
            )
        }
        17 => (
            Mixed::Record(Record {
                id: n,
                name: word.clone(),
                score: 0.25,
                tags: vec!["t".into()],
                blob: vec![],
                parent: None,
                inner: Inner { a: (), b: 1, c: vec![] },
            }),
            format!(
                "{{I('id'): {n}, I('name'): S('{word}'), I('score'): 0.25, I('tags'): [S('t')], I('blob'): b'', \
                 I('parent'): None, I('inner'): {{I('a'): None, I('b'): 1, I('c'): []}}}}"
            ),
        ),
        18 => match n / 29 % 4 {
            0 => (Mixed::Animal(Animal::Dog), "I('Dog')".into()),
            1 => (Mixed::Animal(Animal::AntHive(vec![word.clone()])), format!("{{I('AntHive'): [S('{word}')]}}")),
            2 => (
                Mixed::Animal(Animal::Frog(word.clone(), vec![1, -2])),
                format!("{{I('Frog'): T(S('{word}'), [1, -2])}}"),
            ),
            _ => (
                Mixed::Animal(Animal::Cat { age: 3, name: word.clone() }),
                format!("{{I('Cat'): {{I('age'): 3, I('name'): S('{word}')}}}}"),
            ),
        },
        19 => {
            let len = [0, 1, 2, 5, 16, 999, 1000, 1001][n as usize / 29 % 8];
            let items = (0..len).map(|k| Mixed::Int(k as i64)).collect();
            (Mixed::List(items), format!("list(range({len}))"))
        }
        20 => (Mixed::List(vec![Mixed::List(vec![]), Mixed::Str(word.clone())]), format!("[[], S('{word}')]")),
        21 => {
            let len = n as usize % 4;
            let m: BTreeMap<i32, String> = (0..len as i32).map(|k| (k, text(k as usize + 2))).collect();
            let py: Vec<String> = m.iter().map(|(k, v)| format!("{k}: S('{v}')")).collect();
            (Mixed::Map(m), format!("{{{}}}", py.join(", ")))
        }
        22 => (
            Mixed::Keys([((1, word.clone()), Some(true)), ((2, "x".into()), None)].into()),
            format!("{{T(1, S('{word}')): True, T(2, S('x')): None}}"),
        ),
        23 => (Mixed::Unsized(Unsized(vec![1, 2, 3])), "[1, 2, 3]".into()),
        24 => (Mixed::Flat(Flat { x: 1, rest: [("yy".into(), 2)].into() }), "{I('x'): 1, S('yy'): 2}".into()),
        25 => (Mixed::Skippy(Skippy { keep: 1, maybe: (n % 2 == 0).then_some(2) }), {
            if n % 2 == 0 { "{I('keep'): 1, I('maybe'): 2}" } else { "{I('keep'): 1}" }.into()
        }),
        26 => (Mixed::Newtype(Newtype(-7)), "-7".into()),
        27 => (Mixed::TupleStruct(TupleStruct(1, false, word.clone())), format!("T(1, False, S('{word}'))")),
        _ => {
            let s = text([33, 40, 100, 254, 255, 256, 300][n as usize / 29 % 7]);
            (Mixed::Str(s.clone()), format!("S('{s}')"))
        }
    }
}

/// A dict of these entries, in this order, with its length known.
struct Entries(Vec<(Mixed, Mixed)>);

impl Serialize for Entries {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// A key for the `n`th entry of a mixed dict, of every hashable kind, and its Python expression.
fn mixed_key(n: u64) -> (Mixed, String) {
    let long = "k".repeat(40);
    match n % 7 {
        0 => (Mixed::Int(n as i64), n.to_string()),
        1 => (Mixed::Str(format!("k{n}")), format!("S('k{n}')")),
        2 => (Mixed::Str(format!("{long}{n}")), format!("S('{long}{n}')")),
        3 => (Mixed::Pair((n as i32, "x".into())), format!("T({n}, S('x'))")),
        4 => (Mixed::Bytes(ByteBuf::from(format!("k{n}").into_bytes())), format!("B(b'k{n}')")),
        5 => (Mixed::Float(n as f64 + 0.5), format!("{:?}", n as f64 + 0.5)),
        _ => (Mixed::Five((1, 2, 3, n as i64, 4)), format!("T(1, 2, 3, {n}, 4)")),
    }
}

#[test]
fn long_lists_in_runs_match_cpython_bytes() {
    let mut c = WriteCases::default();
    // Mixed items in three orders, so each kind comes first in a run, in its middle and after
    // a refusal; 6 000 items cross frames and batches of 1 000.
    for (name, step) in [("mixed", 1), ("mixed_step7", 7), ("mixed_step13", 13)] {
        let (items, exprs): (Vec<Mixed>, Vec<String>) = (0..6000u64).map(|k| mixed(k * step % 6000)).unzip();
        c.add(name, &items, &format!("[{}]", exprs.join(", ")));
    }
    // The shapes runs are for, long enough for several frames.
    let floats: Vec<f64> = (0..20_000).map(|i| i as f64 / 3.0).collect();
    c.add("floats", &floats, "[i / 3 for i in range(20000)]");
    let pairs: Vec<(u64, f64)> = (0..9000).map(|i| (i << 20, 0.5)).collect();
    c.add("pairs", &pairs, "[T(i << 20, 0.5) for i in range(9000)]");
    let points: Vec<Point> =
        (0..5000).map(|i| Point { x: i, label: Some(format!("p{i}")), tags: vec!["a".into(), "b".into()] }).collect();
    c.add(
        "points",
        &points,
        "[{I('x'): i, I('label'): S('p%d' % i), I('tags'): [S('a'), S('b')]} for i in range(5000)]",
    );
    // Long lists inside a sequence of unknown length, held at its first item.
    c.add(
        "unsized_of_long",
        &Unsized(vec![floats[..100].to_vec(), floats[..50].to_vec()]),
        "[[i / 3 for i in range(100)], [i / 3 for i in range(50)]]",
    );
    // Dicts: every hashable kind of key, every kind of value.
    let (entries, exprs): (Vec<(Mixed, Mixed)>, Vec<String>) = (0..4000u64)
        .map(|n| {
            let ((k, kx), (v, vx)) = (mixed_key(n), mixed(n * 7 % 4000));
            ((k, v), format!("{kx}: {vx}"))
        })
        .unzip();
    c.add("mixed_dict", &Entries(entries), &format!("{{{}}}", exprs.join(", ")));
    let scores: BTreeMap<String, f64> = (0..9000).map(|i| (format!("user{i:05}"), i as f64)).collect();
    c.add("scores", &scores, "{S('user%05d' % i): float(i) for i in range(9000)}");
    // Exactly 16 items (the fewest written in runs), and 15; 8 entries and 7.
    let dict = |n: i32| (0..n).map(|i| (i, "ab")).collect::<BTreeMap<_, _>>();
    c.add("eight", &dict(8), "{i: S('ab') for i in range(8)}");
    c.add("seven", &dict(7), "{i: S('ab') for i in range(7)}");
    c.add("sixteen", &vec!["abc"; 16], "[S('abc') for _ in range(16)]");
    c.add("fifteen", &vec!["abc"; 15], "[S('abc') for _ in range(15)]");
    c.check(true);
}

#[test]
fn large_first_item_of_unsized_sequence_still_loads() {
    // Frames may differ from CPython here (documented); the pickle must still be right.
    let mut c = WriteCases::default();
    let big = "z".repeat(100_000);
    c.add("unsized_big_first", &Unsized(vec![big.clone(), "b".into()]), "[S('z' * 100000), S('b')]");
    c.add("unsized_big_only", &Unsized(vec![big]), "[S('z' * 100000)]");
    c.check(false);
}

#[test]
fn to_writer_streams_the_same_bytes() {
    let v: Vec<String> = (0..30_000).map(|i| format!("s{i}")).collect();
    for p in 0..=5 {
        let opts = brinery::SerOptions::new().protocol(p);
        let mut out = Vec::new();
        brinery::to_writer_with(&mut out, &v, &opts).unwrap();
        assert_eq!(out, brinery::to_vec_with(&v, &opts).unwrap(), "protocol {p}");
    }
}

#[test]
fn unhashable_keys_are_refused() {
    let m: BTreeMap<Vec<i32>, i32> = [(vec![1], 1)].into();
    let err = brinery::to_vec(&m).unwrap_err();
    assert!(err.to_string().contains("hashable"), "{err}");
    // The same in a long list, whose items are written in runs where they can be.
    let mut many: Vec<BTreeMap<(i32, Vec<i32>), i32>> = vec![BTreeMap::new(); 40];
    many[30].insert((1, vec![2]), 3);
    let err = brinery::to_vec(&many).unwrap_err();
    assert!(err.to_string().contains("hashable"), "{err}");
    let mut entries: Vec<(Mixed, Mixed)> = (0..20).map(|i| (Mixed::Int(i), Mixed::Int(i))).collect();
    entries[12].0 = Mixed::Pair((1, "x".into()));
    entries[13].0 = Mixed::List(vec![]);
    let err = brinery::to_vec(&Entries(entries)).unwrap_err();
    assert!(err.to_string().contains("hashable"), "{err}");
    let bad_protocol = brinery::to_vec_with(&1, &brinery::SerOptions::new().protocol(6)).unwrap_err();
    assert!(bad_protocol.to_string().contains("protocol"), "{bad_protocol}");
}

// ---- CPython → brinery → Rust -------------------------------------------------------------

/// CPython pickles each expression at protocols 0–5; returns (expression index, protocol, bytes).
fn cpython_dumps(exprs: &[&str], setup: &str) -> Vec<(usize, u8, Vec<u8>)> {
    let input: String = exprs.iter().map(|e| format!("{e}\n")).collect();
    let script = format!(
        r#"
{setup}
for i, expr in enumerate(sys.stdin.read().splitlines()):
    obj = eval(expr)
    for proto in range(6):
        print(i, proto, binascii.hexlify(pickle.dumps(obj, proto)).decode())
"#
    );
    python(&script, &input)
        .lines()
        .map(|l| {
            let mut parts = l.split(' ');
            let i = parts.next().unwrap().parse().unwrap();
            let p = parts.next().unwrap().parse().unwrap();
            (i, p, unhex(parts.next().unwrap()))
        })
        .collect()
}

type Check = Box<dyn Fn(&[u8]) -> Result<(), String>>;

fn expect<T>(value: T) -> Check
where
    T: for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug + 'static,
{
    expect_with(value, brinery::DeOptions::new())
}

fn expect_with<T>(value: T, opts: brinery::DeOptions) -> Check
where
    T: for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug + 'static,
{
    Box::new(move |data| {
        let got: T = brinery::from_slice_with(data, &opts).map_err(|e| format!("from_slice: {e}"))?;
        if got != value {
            return Err(format!("from_slice gave {got:?}, expected {value:?}"));
        }
        let got: T = brinery::from_reader_with(data, &opts).map_err(|e| format!("from_reader: {e}"))?;
        if got != value {
            return Err(format!("from_reader gave {got:?}, expected {value:?}"));
        }
        Ok(())
    })
}

fn run_reads(cases: Vec<(&str, Check)>, setup: &str) {
    let exprs: Vec<&str> = cases.iter().map(|(e, _)| *e).collect();
    let mut failures = Vec::new();
    for (i, proto, data) in cpython_dumps(&exprs, setup) {
        if let Err(e) = (cases[i].1)(&data) {
            failures.push(format!("{} at protocol {proto}: {e}", cases[i].0));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cpython_pickles_read_as_rust_values() {
    let cases: Vec<(&str, Check)> = vec![
        ("'hello'", expect("hello".to_string())),
        ("'caf\\xe9 \\u20ac\\U0001f600\\n\\\\'", expect("café €😀\n\\".to_string())),
        ("''", expect(String::new())),
        ("'x'", expect('x')),
        ("b'\\x00\\xffab'", expect(ByteBuf::from(b"\x00\xffab".to_vec()))),
        ("b'\\x00\\xffab'", expect(b"\x00\xffab".to_vec())),
        ("b''", expect(ByteBuf::new())),
        ("bytearray(b'\\x01\\x02')", expect(ByteBuf::from(vec![1, 2]))),
        ("b'utf8 text'", expect("utf8 text".to_string())),
        ("2**128 - 1", expect(u128::MAX)),
        ("-2**127", expect(i128::MIN)),
        ("-2**63", expect(i64::MIN)),
        ("2**64 - 1", expect(u64::MAX)),
        ("2**63", expect(1u128 << 63)),
        ("-1", expect(-1i8)),
        ("True", expect(true)),
        ("1.25", expect(1.25f64)),
        ("3", expect(3.0f64)),
        ("None", expect(None::<u8>)),
        ("None", expect(())),
        ("7", expect(Some(7u16))),
        ("[1, None, 3]", expect(vec![Some(1), None, Some(3)])),
        ("[[1, 2], [], [3]]", expect(vec![vec![1u8, 2], vec![], vec![3]])),
        ("[list(range(1500)), list(range(3))]", expect(vec![(0..1500).collect::<Vec<u32>>(), vec![0, 1, 2]])),
        ("(1, 'a', 2.5)", expect((1u8, "a".to_string(), 2.5f32))),
        ("(1, 2, 3)", expect(vec![1, 2, 3])),
        ("[1, 2]", expect((1, 2))),
        ("{1, 2, 3}", expect(BTreeSet::from([1, 2, 3]))),
        ("frozenset({4})", expect(vec![4])),
        ("{'a': 1, 'b': 2}", expect(BTreeMap::from([("a".to_string(), 1), ("b".to_string(), 2)]))),
        (
            "{1: {(1, 2): 'a', (3, 4): 'b'}, 2: {}}",
            expect(BTreeMap::from([
                (1i64, BTreeMap::from([((1i32, 2i32), "a".to_string()), ((3, 4), "b".to_string())])),
                (2, BTreeMap::new()),
            ])),
        ),
        (
            "{i: str(i) for i in range(2500)}",
            expect((0..2500).map(|i| (i, i.to_string())).collect::<HashMap<u32, String>>()),
        ),
        ("{1: 'int key'}", expect(BTreeMap::from([("1".to_string(), "int key".to_string())]))),
        (
            "{'a': None, 'b': 32, 'c': ['doc'], 'extra': 'ignored'}",
            expect(Inner { a: (), b: 32, c: vec!["doc".into()] }),
        ),
        ("'Dog'", expect(Animal::Dog)),
        ("{'AntHive': ['ant', 'aunt']}", expect(Animal::AntHive(vec!["ant".into(), "aunt".into()]))),
        ("{'Frog': ('Henry', [1, 5])}", expect(Animal::Frog("Henry".into(), vec![1, 5]))),
        ("{'Frog': ['Henry', [1, 5]]}", expect(Animal::Frog("Henry".into(), vec![1, 5]))),
        ("{'Cat': {'age': 5, 'name': 'M'}}", expect(Animal::Cat { age: 5, name: "M".into() })),
        ("('Cat', {'age': 5, 'name': 'M'})", expect(Animal::Cat { age: 5, name: "M".into() })),
        ("('Dog',)", expect(Animal::Dog)),
        ("(7, True, 's')", expect(TupleStruct(7, true, "s".into()))),
        ("[x for x in [[1, 2]] for _ in range(3)]", expect(vec![vec![1, 2]; 3])),
        (
            "(lambda x: [x, x, {'k': x}])([1, 'shared'])",
            expect(serde_json::json!([[1, "shared"], [1, "shared"], {"k": [1, "shared"]}])),
        ),
        (
            "{'n': None, 't': True, 'i': -5, 'f': 0.5, 's': 's', 'l': [1, (2, 3)], 'd': {'x': {}}}",
            expect(
                serde_json::json!({"n": null, "t": true, "i": -5, "f": 0.5, "s": "s", "l": [1, [2, 3]], "d": {"x": {}}}),
            ),
        ),
    ];
    run_reads(cases, "");
}

#[test]
fn cpython_stdlib_objects_read_as_rust_values() {
    let setup = "import datetime, decimal, uuid, collections, fractions";
    let as_state = || brinery::DeOptions::new().instances_as_state(true);
    let cases: Vec<(&str, Check)> = vec![
        ("datetime.date(2024, 2, 29)", expect("2024-02-29".to_string())),
        ("datetime.datetime(2024, 1, 2, 3, 4, 5)", expect("2024-01-02T03:04:05".to_string())),
        ("datetime.datetime(2024, 1, 2, 3, 4, 5, 6)", expect("2024-01-02T03:04:05.000006".to_string())),
        (
            "datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)",
            expect("2024-01-02T03:04:05+00:00".to_string()),
        ),
        (
            "datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(-datetime.timedelta(hours=5, minutes=30)))",
            expect("2024-01-02T03:04:05-05:30".to_string()),
        ),
        ("datetime.time(23, 59, 1, 500)", expect("23:59:01.000500".to_string())),
        ("datetime.timedelta(days=-1, seconds=5)", expect((-1i32, 5i32, 0i32))),
        ("decimal.Decimal('1.50')", expect("1.50".to_string())),
        ("uuid.UUID('12345678-1234-5678-1234-567812345678')", expect("12345678-1234-5678-1234-567812345678".to_string())),
        ("collections.OrderedDict([('b', 1), ('a', 2)])", expect(vec![("b".to_string(), 1), ("a".to_string(), 2)].into_iter().collect::<BTreeMap<_, _>>())),
        ("collections.Counter('abb')", expect(BTreeMap::from([('a', 1), ('b', 2)]))),
        ("collections.defaultdict(list, {'k': [1]})", expect(BTreeMap::from([("k".to_string(), vec![1])]))),
        ("collections.deque([1, 2, 3])", expect(vec![1, 2, 3])),
        ("complex(1, -2)", expect((1.0, -2.0))),
        ("[datetime.date(2000, 1, 1), decimal.Decimal('-0')]", expect(vec!["2000-01-01".to_string(), "-0".to_string()])),
        ("P(1, 2)", expect_with(XY { x: 1, y: 2 }, as_state())),
    ];
    run_reads(cases, &format!("{setup}\nimport __main__\nP = collections.namedtuple('P', 'x y'); __main__.P = P"));
}

#[derive(Deserialize, Debug, PartialEq)]
struct XY {
    x: i32,
    y: i32,
}

#[test]
fn cpython_class_instances_read_as_state_when_asked() {
    let setup = r#"
import dataclasses, __main__
@dataclasses.dataclass
class Point:
    x: int
    y: int
class Plain:
    def __init__(self, x, y): self.x = x; self.y = y
class Slotted:
    __slots__ = ('x', 'y')
    def __init__(self, x, y): self.x = x; self.y = y
    def __getstate__(self): return (None, {'x': self.x, 'y': self.y})
    def __setstate__(self, state):
        for k, v in state[1].items(): setattr(self, k, v)
class Reduced:
    def __init__(self, x, y): self.x, self.y = x, y
    def __reduce__(self): return (Reduced, (self.x, self.y))
for c in (Point, Plain, Slotted, Reduced): setattr(__main__, c.__name__, c)
"#;
    let opts = || brinery::DeOptions::new().instances_as_state(true);
    let cases: Vec<(&str, Check)> = vec![
        ("Point(1, 2)", expect_with(XY { x: 1, y: 2 }, opts())),
        ("Plain(3, 4)", expect_with(XY { x: 3, y: 4 }, opts())),
        ("Slotted(5, 6)", expect_with(XY { x: 5, y: 6 }, opts())),
        ("Reduced(7, 8)", expect_with(XY { x: 7, y: 8 }, opts())),
        ("[Point(1, 2), Point(3, 4)]", expect_with(vec![XY { x: 1, y: 2 }, XY { x: 3, y: 4 }], opts())),
        ("{'p': Plain(0, -1)}", expect_with(BTreeMap::from([("p".to_string(), XY { x: 0, y: -1 })]), opts())),
    ];
    run_reads(cases, setup);
    // Without the option an instance is an error naming its class.
    let data = cpython_dumps(&["Point(1, 2)"], setup);
    for (_, proto, bytes) in data {
        let err = brinery::from_slice::<XY>(&bytes).unwrap_err().to_string();
        assert!(err.contains("__main__.Point") && err.contains("instances_as_state"), "protocol {proto}: {err}");
        let none: Option<XY> =
            brinery::from_slice_with(&bytes, &brinery::DeOptions::new().opaque_as_none(true)).unwrap();
        assert_eq!(none, None);
    }
}

#[test]
fn borrowed_str_and_bytes_from_cpython_pickles() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Msg<'a> {
        #[serde(borrow)]
        name: &'a str,
        #[serde(borrow, with = "serde_bytes")]
        body: &'a [u8],
        #[serde(borrow)]
        tag: std::borrow::Cow<'a, str>,
        tags: Vec<String>,
    }
    let data = cpython_dumps(&["{'name': 'ping', 'body': b'\\x00\\x01', 'tag': 'caf\\xe9', 'tags': ['a', 'b']}"], "");
    for (_, proto, bytes) in data {
        let de = brinery::from_slice::<Msg>(&bytes);
        if proto == 0 {
            // Protocol 0 text is escaped, so it is decoded, not borrowed.
            assert!(de.is_err(), "protocol 0 has no borrowable str");
            continue;
        }
        if proto < 3 {
            // Before protocol 3, bytes are written as _codecs.encode(str, 'latin1'): decoded.
            assert!(de.is_err());
            continue;
        }
        let m = de.unwrap();
        assert_eq!(m.name, "ping");
        assert_eq!(m.body, b"\x00\x01");
        assert_eq!(m.tags, ["a", "b"]);
        assert_eq!(m.tag, "café");
        assert!(matches!(m.tag, std::borrow::Cow::Borrowed(_)));
        let start = bytes.as_ptr() as usize;
        let at = m.name.as_ptr() as usize;
        assert!(at >= start && at < start + bytes.len(), "name borrows from the input");
    }
}

#[test]
fn rust_values_load_in_cpython_as_python_objects() {
    let records: Vec<Record> = (0..50)
        .map(|i| Record {
            id: i * 1_000_000_007,
            name: format!("n{i}"),
            score: -(i as f64),
            tags: (0..i % 3).map(|j| format!("t{j}")).collect(),
            blob: vec![0xff; (i % 4) as usize],
            parent: (i % 2 == 0).then_some(i as u32),
            inner: Inner { a: (), b: 0, c: vec!["c".into()] },
        })
        .collect();
    let mut c = WriteCases::default();
    c.add(
        "records50",
        &records,
        "[{I('id'): i * 1000000007, I('name'): S('n%d' % i), I('score'): -float(i), \
         I('tags'): [S('t%d' % j) for j in range(i % 3)], I('blob'): B(b'\\xff' * (i % 4)), \
         I('parent'): i if i % 2 == 0 else None, I('inner'): {I('a'): None, I('b'): 0, I('c'): [S('c')]}} \
         for i in range(50)]",
    );
    c.check(true);
}
