//! serde round trips and behaviour: derived types Rust → pickle → Rust at every protocol,
//! borrowing, identity, errors with paths, options and limits, streams, graphs, hostile input.

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

fn all_protocols<T>(value: &T)
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
{
    for p in 0..=5 {
        let bytes = brinery::to_vec_with(value, &brinery::SerOptions::new().protocol(p)).unwrap();
        let back: T = brinery::from_slice(&bytes).unwrap_or_else(|e| panic!("protocol {p}: {e}"));
        assert_eq!(&back, value, "protocol {p}");
        let back: T = brinery::from_reader(&bytes[..]).unwrap_or_else(|e| panic!("protocol {p}: {e}"));
        assert_eq!(&back, value, "protocol {p} from_reader");
        let g = brinery::loads(&bytes).unwrap();
        let back: T = brinery::from_graph(&g).unwrap_or_else(|e| panic!("protocol {p} from_graph: {e}"));
        assert_eq!(&back, value, "protocol {p} from_graph");
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Shape {
    Empty,
    Circle(f64),
    Rect(f64, f64),
    Poly { points: Vec<(i32, i32)>, closed: bool },
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Everything {
    b: bool,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    i128: i128,
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    u128: u128,
    isize: isize,
    usize: usize,
    f32: f32,
    f64: f64,
    ch: char,
    s: String,
    #[serde(with = "serde_bytes")]
    bytes: Vec<u8>,
    plain_vec_u8: Vec<u8>,
    opt: Option<Box<Everything>>,
    unit: (),
    tuple: (u8, String, (bool,)),
    array: [i16; 4],
    shapes: Vec<Shape>,
    map: HashMap<String, Vec<u32>>,
    int_keys: BTreeMap<i64, String>,
    tuple_keys: BTreeMap<(u8, String), f64>,
    set: HashSet<String>,
    newtype: Meters,
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Meters(f64);

fn everything(nested: bool) -> Everything {
    Everything {
        b: true,
        i8: i8::MIN,
        i16: i16::MIN,
        i32: i32::MIN,
        i64: i64::MIN,
        i128: i128::MIN,
        u8: u8::MAX,
        u16: u16::MAX,
        u32: u32::MAX,
        u64: u64::MAX,
        u128: u128::MAX,
        isize: -1,
        usize: usize::MAX,
        f32: 1.5,
        f64: -2.25e-300,
        ch: '🦀',
        s: "naïve\n\\ text\0".into(),
        bytes: vec![0, 0xff, b'\n'],
        plain_vec_u8: vec![1, 2, 3],
        opt: nested.then(|| Box::new(everything(false))),
        unit: (),
        tuple: (7, "seven".into(), (false,)),
        array: [1, -2, 3, -4],
        shapes: vec![
            Shape::Empty,
            Shape::Circle(1.0),
            Shape::Rect(2.0, 3.0),
            Shape::Poly { points: vec![(0, 0), (1, 1)], closed: true },
        ],
        map: HashMap::from([("a".into(), vec![1, 2]), ("".into(), vec![])]),
        int_keys: BTreeMap::from([(-1, "neg".into()), (1 << 40, "big".into())]),
        tuple_keys: BTreeMap::from([((1, "x".into()), 0.5)]),
        set: HashSet::from(["p".into(), "q".into()]),
        newtype: Meters(3.5),
    }
}

#[test]
fn everything_round_trips_at_every_protocol() {
    all_protocols(&everything(true));
    all_protocols(&vec![everything(false); 3]);
    all_protocols(&Shape::Empty);
    all_protocols(&(0..3000).map(|i| (i, i.to_string())).collect::<BTreeMap<u32, String>>());
    all_protocols(&serde_json::json!({"a": [1, 2.5, null, true, "x", {"b": []}], "c": -9_007_199_254_740_993i64}));
}

#[test]
fn borrowed_fields() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Borrowed<'a> {
        #[serde(borrow)]
        name: &'a str,
        #[serde(borrow, with = "serde_bytes")]
        data: &'a [u8],
        #[serde(borrow)]
        maybe: Cow<'a, str>,
    }
    let v = Borrowed { name: "héllo", data: b"\x00\x01", maybe: Cow::Borrowed("cow") };
    for p in 1..=5 {
        let bytes = brinery::to_vec_with(&v, &brinery::SerOptions::new().protocol(p)).unwrap();
        if p < 3 {
            // Bytes before protocol 3 are `_codecs.encode(...)` calls: nothing to borrow.
            assert!(brinery::from_slice::<Borrowed>(&bytes).is_err());
            continue;
        }
        let back: Borrowed = brinery::from_slice(&bytes).unwrap();
        assert_eq!(back, v);
        let range = bytes.as_ptr() as usize..bytes.as_ptr() as usize + bytes.len();
        assert!(range.contains(&(back.name.as_ptr() as usize)));
        assert!(range.contains(&(back.data.as_ptr() as usize)));
        assert!(matches!(back.maybe, Cow::Borrowed(_)));
    }
    // A reader has nothing to borrow from: borrowed fields fail, owned ones work.
    let bytes = brinery::to_vec(&v).unwrap();
    assert!(brinery::Deserializer::from_reader(&bytes[..], &Default::default())
        .and_then(|mut de| Borrowed::deserialize(&mut de).map(|_| ()))
        .is_err());
    #[derive(Deserialize, Debug, PartialEq)]
    struct Owned {
        name: String,
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
        maybe: String,
    }
    let o: Owned = brinery::from_reader(&bytes[..]).unwrap();
    assert_eq!((o.name.as_str(), o.data.as_slice(), o.maybe.as_str()), ("héllo", &b"\x00\x01"[..], "cow"));
}

#[test]
fn shared_objects_are_read_once_per_reference() {
    // Python: x = ['s', [1]]; pickle.dumps([x, x, {'k': x}], 4) -- x memoized once.
    let mut g = brinery::Graph::new();
    let s = g.str("s");
    let inner = g.list(vec![brinery::Value::Int(1)]);
    let x = g.list(vec![s, inner]);
    let d = g.dict();
    let k = g.str("k");
    g.dict_insert(d, k, x).unwrap();
    let root = g.list(vec![x, x, d]);
    g.set_root(root);
    for p in 0..=5 {
        let bytes = brinery::dumps(&g, p).unwrap();
        let v: serde_json::Value = brinery::from_slice(&bytes).unwrap();
        assert_eq!(v, serde_json::json!([["s", [1]], ["s", [1]], {"k": ["s", [1]]}]));
    }
}

#[test]
fn errors_name_the_path() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        id: u32,
        tags: Vec<String>,
    }
    #[derive(Serialize)]
    struct BadItem<'a> {
        id: &'a str,
    }
    #[derive(Serialize)]
    struct BadTags {
        id: u32,
        tags: (String, u8),
    }
    let good = serde_json::json!({"id": 1, "tags": []});
    let data = brinery::to_vec(&(good.clone(), good.clone(), good.clone(), BadItem { id: "x" })).unwrap();
    let err = brinery::from_slice::<Vec<Item>>(&data).unwrap_err();
    assert_eq!(err.to_string(), "expected u32, found str at [3].id");
    let data = brinery::to_vec(&vec![BadTags { id: 1, tags: ("a".into(), 5) }]).unwrap();
    assert_eq!(
        brinery::from_slice::<Vec<Item>>(&data).unwrap_err().to_string(),
        "expected a string, found int at [0].tags[1]"
    );
    let data = brinery::to_vec(&serde_json::json!([{"id": 1}])).unwrap();
    assert_eq!(brinery::from_slice::<Vec<Item>>(&data).unwrap_err().to_string(), "missing field `tags` at [0]");
    let data = brinery::to_vec(&BTreeMap::from([("key with space", BTreeMap::from([(7, -1)]))])).unwrap();
    let err = brinery::from_slice::<BTreeMap<String, BTreeMap<u8, u8>>>(&data).unwrap_err();
    assert_eq!(err.to_string(), "expected u8, found int -1 at [\"key with space\"][7]");
    let data = brinery::to_vec(&300).unwrap();
    assert_eq!(brinery::from_slice::<u8>(&data).unwrap_err().to_string(), "expected u8, found int 300");
    let data = brinery::to_vec(&vec![Shape::Circle(1.0), Shape::Rect(1.0, 2.0)]).unwrap();
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    enum Narrow {
        Circle(f64),
        Rect(f64),
    }
    let err = brinery::from_slice::<Vec<Narrow>>(&data).unwrap_err().to_string();
    assert_eq!(err, "expected f64, found tuple at [1].Rect");
    let err = brinery::from_slice::<Vec<Narrow>>(&brinery::to_vec(&vec!["Square"]).unwrap()).unwrap_err().to_string();
    assert!(err.starts_with("unknown variant `Square`") && err.ends_with("at [0]"), "{err}");
    let err = brinery::from_slice::<(u8, u8)>(&brinery::to_vec(&(1, 2, 3)).unwrap()).unwrap_err().to_string();
    assert_eq!(err, "expected 2 items, found 3 items");
    // Errors from the pickle itself keep their offset and opcode.
    let err = brinery::from_slice::<u8>(b"\x80\x02K").unwrap_err();
    assert_eq!(err.offset(), Some(2));
}

#[test]
fn strict_types_and_lenient_forms() {
    let b = |v: &dyn erased::Ser| v.bytes();
    // bool is not an int, nor an int a bool.
    assert!(brinery::from_slice::<u8>(&b(&true)).is_err());
    assert!(brinery::from_slice::<bool>(&b(&1)).is_err());
    // ints read as floats, not floats as ints.
    assert_eq!(brinery::from_slice::<f64>(&b(&3)).unwrap(), 3.0);
    assert!(brinery::from_slice::<i64>(&b(&3.0)).is_err());
    // bytes holding UTF-8 read as str; a str reads as bytes; bytes read as Vec<u8>.
    assert_eq!(brinery::from_slice::<String>(&b(&ByteBuf::from(b"ok".to_vec()))).unwrap(), "ok");
    assert!(brinery::from_slice::<String>(&b(&ByteBuf::from(b"\xff".to_vec()))).is_err());
    assert_eq!(brinery::from_slice::<ByteBuf>(&b(&"hé")).unwrap().as_slice(), "hé".as_bytes());
    assert_eq!(brinery::from_slice::<Vec<u8>>(&b(&ByteBuf::from(vec![9, 8]))).unwrap(), [9, 8]);
    assert_eq!(brinery::from_slice::<[u8; 2]>(&b(&ByteBuf::from(vec![9, 8]))).unwrap(), [9, 8]);
    // None and () are unit; one-char str is a char.
    brinery::from_slice::<()>(&b(&())).unwrap();
    assert!(brinery::from_slice::<char>(&b(&"ab")).is_err());
    // Int keys read as strings (what json.dumps does with them).
    let m: HashMap<String, u8> = brinery::from_slice(&b(&BTreeMap::from([(5, 1)]))).unwrap();
    assert_eq!(m["5"], 1);
    // u128 / i128 from Python ints of any size that fit.
    assert_eq!(brinery::from_slice::<i128>(&b(&u64::MAX)).unwrap(), u64::MAX as i128);
    assert!(brinery::from_slice::<u64>(&b(&(u64::MAX as u128 + 1))).is_err());
    assert!(brinery::from_slice::<u32>(&b(&-1)).is_err());
    // Structs from tuples (namedtuple arguments), in field order.
    #[derive(Deserialize, Debug, PartialEq)]
    struct P {
        x: i32,
        y: i32,
    }
    assert_eq!(brinery::from_slice::<P>(&b(&(1, 2))).unwrap(), P { x: 1, y: 2 });
}

/// Writing a value behind a trait object, for the table above.
mod erased {
    pub trait Ser {
        fn bytes(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Ser for T {
        fn bytes(&self) -> Vec<u8> {
            brinery::to_vec(self).unwrap()
        }
    }
}

#[test]
fn graphs_through_serde() {
    // from_slice::<Graph> is loads, for any pickle, at any depth of a struct.
    let python_ish = brinery::to_vec(&everything(true)).unwrap();
    for p in 0..=5 {
        let g = brinery::loads(&python_ish).unwrap();
        let pickle = brinery::dumps(&g, p).unwrap();
        let via_serde: brinery::Graph = brinery::from_slice(&pickle).unwrap();
        assert_eq!(brinery::dumps(&via_serde, p).unwrap(), pickle, "protocol {p}");
    }
    // Sets, shared objects and cycles survive inside a struct field.
    let mut g = brinery::Graph::new();
    let set = g.add(brinery::Object::Set(Default::default()));
    let one = g.str("one");
    g.set_add(set, one).unwrap();
    let cyc = g.list(vec![]);
    let shared = g.tuple(vec![set, cyc]);
    if let brinery::Object::List(items) = g.get_mut(cyc.id().unwrap()) {
        items.push(cyc);
    }
    let root = g.list(vec![shared, shared]);
    g.set_root(root);
    let payload = brinery::dumps(&g, 4).unwrap();
    #[derive(Deserialize)]
    struct Envelope {
        id: u8,
        payload: brinery::Graph,
    }
    let framed = {
        // {'id': 9, 'payload': <g>} at protocol 2 without frames: dict header, then g's body.
        let body = brinery::dumps(&g, 2).unwrap();
        let mut out = b"\x80\x02}q\xff(X\x02\x00\x00\x00idK\tX\x07\x00\x00\x00payload".to_vec();
        out.extend_from_slice(&body[2..body.len() - 1]);
        out.extend_from_slice(b"u.");
        out
    };
    let e: Envelope = brinery::from_slice(&framed).unwrap();
    assert_eq!(e.id, 9);
    assert_eq!(brinery::dumps(&e.payload, 4).unwrap(), payload);
    // A graph's serde view.
    let v =
        serde_json::to_value(brinery::loads(&brinery::to_vec(&everything(false).shapes).unwrap()).unwrap()).unwrap();
    assert_eq!(
        v,
        serde_json::json!(["Empty", {"Circle": 1.0}, {"Rect": [2.0, 3.0]}, {"Poly": {"points": [[0, 0], [1, 1]], "closed": true}}])
    );
    assert!(serde_json::to_value(&g).unwrap_err().to_string().contains("recursive"));
    // Graph from another format, and to_graph.
    let from_json: brinery::Graph = serde_json::from_str(r#"{"a": [1, 18446744073709551615, "x"]}"#).unwrap();
    let back: BTreeMap<String, (u8, u64, String)> = brinery::from_graph(&from_json).unwrap();
    assert_eq!(back["a"], (1, u64::MAX, "x".to_string()));
    let tg = brinery::to_graph(&everything(false)).unwrap();
    assert_eq!(brinery::from_graph::<Everything>(&tg).unwrap(), everything(false));
}

#[test]
fn natives_in_graphs_read_like_pickles() {
    // Python: pickle.dumps([datetime.date(2024, 5, 6), decimal.Decimal('2.50'), uuid.UUID(int=1),
    //                       collections.OrderedDict(a=1), complex(1, 2)], 2)
    let data = b"\x80\x02]q\x00(cdatetime\ndate\nq\x01c_codecs\nencode\nq\x02X\x05\x00\x00\x00\x07\xc3\xa8\x05\x06q\x03X\x06\x00\x00\x00latin1q\x04\x86q\x05Rq\x06\x85q\x07Rq\x08cdecimal\nDecimal\nq\tX\x04\x00\x00\x002.50q\n\x85q\x0bRq\x0ccuuid\nUUID\nq\r)\x81q\x0e}q\x0fX\x03\x00\x00\x00intq\x10K\x01sbccollections\nOrderedDict\nq\x11)Rq\x12X\x01\x00\x00\x00aq\x13K\x01sc__builtin__\ncomplex\nq\x14G?\xf0\x00\x00\x00\x00\x00\x00G@\x00\x00\x00\x00\x00\x00\x00\x86q\x15Rq\x16e.";
    type Row = (String, String, String, BTreeMap<String, i32>, (f64, f64));
    let want: Row = (
        "2024-05-06".into(),
        "2.50".into(),
        "00000000-0000-0000-0000-000000000001".into(),
        BTreeMap::from([("a".into(), 1)]),
        (1.0, 2.0),
    );
    assert_eq!(brinery::from_slice::<Row>(data).unwrap(), want);
    let g = brinery::loads(data).unwrap();
    assert!(matches!(g.object(g.root()), Some(brinery::Object::List(items)) if items.len() == 5));
    assert_eq!(brinery::from_graph::<Row>(&g).unwrap(), want);
    assert_eq!(
        serde_json::to_value(&g).unwrap(),
        serde_json::json!(["2024-05-06", "2.50", "00000000-0000-0000-0000-000000000001", {"a": 1}, [1.0, 2.0]])
    );
}

#[test]
fn several_pickles_in_one_stream() {
    let mut stream = Vec::new();
    for i in 0..100u32 {
        brinery::to_writer_with(
            &mut stream,
            &(i, format!("n{i}")),
            &brinery::SerOptions::new().protocol((i % 6) as u8),
        )
        .unwrap();
    }
    let items: Vec<(u32, String)> = brinery::iter_from_reader(&stream[..]).collect::<Result<_, _>>().unwrap();
    assert_eq!(items.len(), 100);
    assert_eq!(items[42], (42, "n42".into()));
    // Protocol 0 text is escaped, so borrowing needs protocols 1-5.
    let mut stream = Vec::new();
    for i in 0..100u32 {
        let o = brinery::SerOptions::new().protocol(1 + (i % 5) as u8);
        brinery::to_writer_with(&mut stream, &(i, format!("n{i}")), &o).unwrap();
    }
    let borrowed: Vec<(u32, &str)> = brinery::iter_from_slice(&stream).collect::<Result<_, _>>().unwrap();
    assert_eq!(borrowed[99], (99, "n99"));
    // A value of the wrong shape is an error for that pickle only.
    let mixed: Vec<Result<u32, _>> = brinery::iter_from_slice(
        &[&brinery::to_vec(&1).unwrap()[..], &brinery::to_vec(&"x").unwrap(), &brinery::to_vec(&3).unwrap()].concat(),
    )
    .collect();
    assert!(mixed[0].is_ok() && mixed[1].is_err() && mixed[2].is_ok());
    // A broken pickle ends the stream.
    let broken: Vec<Result<u32, _>> = brinery::iter_from_slice(b"K\x01.K").collect();
    assert_eq!(broken.len(), 2);
    assert!(broken[1].is_err());
    assert!(brinery::iter_from_slice::<u8>(b"").next().is_none());
}

#[test]
fn options_encoding_and_limits() {
    // Python 2: pickle.dumps({'k': 'caf\xe9'}, 2) -- BINSTRING payloads.
    let py2 = b"\x80\x02}q\x00U\x01kq\x01U\x04caf\xe9q\x02s.";
    assert!(brinery::from_slice::<HashMap<String, String>>(py2).is_err());
    let opts = brinery::DeOptions::new().encoding("latin-1".parse().unwrap());
    assert_eq!(brinery::from_slice_with::<HashMap<String, String>>(py2, &opts).unwrap()["k"], "café");
    let opts = brinery::DeOptions::new().encoding(brinery::Encoding::Bytes);
    let m: HashMap<ByteBuf, ByteBuf> = brinery::from_slice_with(py2, &opts).unwrap();
    assert_eq!(m[&ByteBuf::from(b"k".to_vec())].as_slice(), b"caf\xe9");
    // Limits apply before anything is built.
    let big = brinery::to_vec(&vec![1u8; 10_000]).unwrap();
    let limits = brinery::Limits { opcodes: 100, ..Default::default() };
    let err = brinery::from_slice_with::<Vec<u8>>(&big, &brinery::DeOptions::new().limits(limits)).unwrap_err();
    assert!(err.to_string().contains("limit"), "{err}");
    // Depth.
    let mut deep = serde_json::json!(1);
    for _ in 0..200 {
        deep = serde_json::json!([deep]);
    }
    let bytes = brinery::to_vec(&deep).unwrap();
    let err = brinery::from_slice::<serde_json::Value>(&bytes).unwrap_err();
    assert!(err.to_string().contains("nesting deeper than 128"), "{err}");
    let v: serde_json::Value = brinery::from_slice_with(&bytes, &brinery::DeOptions::new().max_depth(300)).unwrap();
    assert_eq!(v, deep);
}

#[test]
fn very_deep_pickles_fail_cleanly() {
    // 100 000 nested lists: a graph holds them; serde stops at the depth limit, no overflow.
    let mut p = b"\x80\x02".to_vec();
    p.resize(p.len() + 100_000, b']');
    p.resize(p.len() + 100_000 - 1, b'a');
    p.push(b'.');
    assert!(brinery::from_slice::<serde_json::Value>(&p).is_err());
    assert!(brinery::from_slice::<serde::de::IgnoredAny>(&p).is_ok());
    let g: brinery::Graph = brinery::from_slice(&p).unwrap();
    assert!(serde_json::to_value(&g).is_err());
}

#[test]
fn hostile_input_never_panics() {
    let seeds: Vec<Vec<u8>> = (0..=5)
        .flat_map(|p| {
            let o = brinery::SerOptions::new().protocol(p);
            vec![
                brinery::to_vec_with(&everything(true), &o).unwrap(),
                brinery::to_vec_with(&vec![Shape::Poly { points: vec![(1, 2)], closed: false }], &o).unwrap(),
            ]
        })
        .collect();
    let mut state = 0x2545f4914f6cdd1du64;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for round in 0..3000 {
        let mut data = seeds[round % seeds.len()].clone();
        for _ in 0..1 + rnd() % 4 {
            let i = (rnd() as usize) % data.len();
            match rnd() % 3 {
                0 => data[i] = rnd() as u8,
                1 => {
                    data.remove(i);
                }
                _ => data.insert(i, rnd() as u8),
            }
        }
        let _ = brinery::from_slice::<Everything>(&data);
        let _ = brinery::from_slice::<serde_json::Value>(&data);
        let _ = brinery::from_slice::<brinery::Graph>(&data);
        let opts =
            brinery::DeOptions::new().instances_as_state(true).recursive_as_none(true).allow_trailing_bytes(true);
        let _ = brinery::from_slice_with::<Vec<Shape>>(&data, &opts);
        let _ = brinery::from_reader_with::<_, serde_json::Value>(&data[..], &opts);
    }
}

type Random = (Vec<i64>, (i128, u128), Vec<String>, BTreeMap<i32, Vec<u8>>, Option<f64>, ByteBuf);

/// JSON-shaped trees with lists of up to 40 items and dicts of up to 12 entries, so long ones
/// are written in runs and short ones are not; strs of every length around what a run takes,
/// CPython's cached one-character strs among them.
fn json_tree() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let text = "[ab\u{e9}\u{20ac}]{0,3}|.{0,40}";
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        text.prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 400, 40, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..40).prop_map(Value::Array),
            proptest::collection::btree_map(text, inner, 0..12).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_values_round_trip(
        ints in proptest::collection::vec(any::<i64>(), 0..20),
        wide in any::<(i128, u128)>(),
        text in proptest::collection::vec(".{0,12}", 0..10),
        map in proptest::collection::btree_map(any::<i32>(), proptest::collection::vec(any::<u8>(), 0..5), 0..10),
        opt in proptest::option::of(any::<f64>().prop_filter("not NaN", |f| !f.is_nan())),
        blob in proptest::collection::vec(any::<u8>(), 0..300),
        protocol in 0u8..=5,
    ) {
        let value = (ints, wide, text, map, opt, ByteBuf::from(blob));
        let bytes = brinery::to_vec_with(&value, &brinery::SerOptions::new().protocol(protocol)).unwrap();
        let back: Random = brinery::from_slice(&bytes).unwrap();
        prop_assert_eq!(back, value);
    }

    /// The serde pickler writes what the graph pickler (compared with CPython elsewhere) writes
    /// for the same objects, at every protocol, and it reads back.
    #[test]
    fn random_trees_match_the_graph_pickler(tree in json_tree(), protocol in 0u8..=5) {
        let bytes = brinery::to_vec_with(&tree, &brinery::SerOptions::new().protocol(protocol)).unwrap();
        let graph = brinery::to_graph(&tree).unwrap();
        prop_assert_eq!(&bytes, &brinery::dumps(&graph, protocol).unwrap());
        let back: serde_json::Value = brinery::from_slice(&bytes).unwrap();
        prop_assert_eq!(back, tree);
    }
}
