//! The JSON mapping: pickle → JSON → pickle gives the same bytes as pickle → pickle, for the
//! whole CPython corpus and for what the corpus can't hold; the lossy form reads naturally;
//! malformed JSON is an error, never a panic; `brinery convert --to json / --from json`.

#[path = "common/json_support.rs"]
mod support;

use brinery::json::{from_json, from_str, to_json, to_json_lossy, to_writer, to_writer_lossy};
use brinery::{Graph, LoadOptions, Object, Value};
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;
use support::{brinery, brinery_ok, corpus, path_str};

/// Dump at every protocol; errors compared by message.
fn dumps_all(g: &Graph) -> Vec<Result<Vec<u8>, String>> {
    (0..=5).map(|p| brinery::dumps(g, p).map_err(|e| e.to_string())).collect()
}

/// Round trip a graph through JSON text (both writers) and check the rebuilt graph pickles the
/// same at every protocol and encodes to the same document. Returns the document.
fn check_round_trip(g: &Graph, what: &str) -> Json {
    let doc = to_json(g);
    let text = serde_json::to_string(&doc).unwrap();
    let reparsed: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(reparsed, doc, "{what}: document changed through text");
    let mut streamed = Vec::new();
    to_writer(&mut streamed, g).unwrap();
    let streamed: Json = serde_json::from_slice(&streamed).unwrap();
    assert_eq!(streamed, doc, "{what}: to_writer differs from to_json");
    let back = from_json(&reparsed).unwrap_or_else(|e| panic!("{what}: {e}\n{text:.2000}"));
    assert_eq!(to_json(&back), doc, "{what}: document not stable");
    let (want, got) = (dumps_all(g), dumps_all(&back));
    for p in 0..=5 {
        assert!(want[p] == got[p], "{what}: protocol {p} differs after JSON\n{text:.2000}");
    }
    // The lossy forms are JSON that parses, whatever the graph.
    let lossy = serde_json::to_string(&to_json_lossy(g)).unwrap();
    serde_json::from_str::<Json>(&lossy).unwrap();
    let mut lossy = Vec::new();
    to_writer_lossy(&mut lossy, g).unwrap();
    serde_json::from_slice::<Json>(&lossy).unwrap_or_else(|e| panic!("{what}: lossy JSON does not parse: {e}"));
    doc
}

fn tags(j: &Json, out: &mut BTreeSet<String>) {
    match j {
        Json::Array(items) => items.iter().for_each(|i| tags(i, out)),
        Json::Object(m) => {
            for (k, v) in m {
                if k.starts_with('$') {
                    out.insert(k.clone());
                }
                tags(v, out);
            }
        }
        _ => {}
    }
}

#[test]
fn corpus_round_trips_through_json_byte_for_byte() {
    let corpus = corpus();
    let mut seen = BTreeSet::new();
    let (mut files, mut graphs) = (0, 0);
    for e in &corpus.entries {
        let data = std::fs::read(&e.file).unwrap();
        let loaded = brinery::loads_all(&data, &LoadOptions::default()).unwrap();
        assert_eq!(loaded.len(), e.count, "{}", e.file.display());
        for (i, g) in loaded.iter().enumerate() {
            let what = format!("{} #{i}", e.file.display());
            let doc = check_round_trip(g, &what);
            // The acceptance check proper: at the file's own protocol, pickle → JSON → pickle
            // equals pickle → pickle.
            let back = from_json(&doc).unwrap();
            assert_eq!(brinery::dumps(&back, e.protocol).unwrap(), brinery::dumps(g, e.protocol).unwrap(), "{what}");
            tags(&doc, &mut seen);
            graphs += 1;
        }
        files += 1;
    }
    println!("{files} files, {graphs} pickles round-tripped through JSON at every protocol");
    assert!(files > 500, "corpus too small: {files}");
    let expected = [
        "$bytearray",
        "$bytes",
        "$complex",
        "$counter",
        "$date",
        "$datetime",
        "$decimal",
        "$defaultdict",
        "$deque",
        "$dict",
        "$float",
        "$fraction",
        "$frozenset",
        "$global",
        "$instance",
        "$int",
        "$ordereddict",
        "$range",
        "$ref",
        "$set",
        "$slice",
        "$str",
        "$time",
        "$timedelta",
        "$timezone",
        "$tuple",
        "$uuid",
    ];
    let missing: Vec<_> = expected.iter().filter(|t| !seen.contains(**t)).collect();
    assert!(missing.is_empty(), "corpus never produced {missing:?}");
}

fn load(data: &[u8]) -> Graph {
    brinery::loads(data).unwrap()
}

#[test]
fn what_the_corpus_lacks_round_trips_too() {
    // Persistent ids (text and binary), extension codes, NaN payloads, buffers.
    let mut cases: Vec<(&str, Graph)> = vec![
        ("persid text", load(b"(Pabc\nPabc\nl.")),
        ("persid binary", load(b"\x80\x02]q\x00(X\x01\x00\x00\x00kQK\x05Qe.")),
        ("ext codes", load(b"\x80\x02]q\x00(\x82\x01\x83\x01\x02\x84\x01\x02\x03\x04e.")),
        ("nan payloads", load(b"\x80\x02]q\x00(G\x7f\xf8\x00\x00\x00\x00\x00\x01G\xff\xf8\x00\x00\x00\x00\x00\x00G\x7f\xf0\x00\x00\x00\x00\x00\x01G\x80\x00\x00\x00\x00\x00\x00\x00e.")),
    ];
    let buffers = b"\x80\x05]\x94(\x97\x97\x98\x97\x98e.";
    cases.push((
        "buffers with data",
        brinery::loads_with(buffers, &LoadOptions::default().buffers(vec![b"ab".to_vec(), vec![], vec![0, 255]]))
            .unwrap(),
    ));
    cases.push(("buffers without data", load(buffers)));
    // Graphs made through the API: small ints as int objects, big ints in hexadecimal,
    // instances with every part, a time whose tzinfo is None, deep and wide nesting.
    let mut g = Graph::new();
    let small = g.add(Object::Int(Box::new(5.into())));
    let huge = g.int(num_bigint::BigInt::from(-3) << 20_000);
    let cls = g.global("mod", "Cls");
    let args = g.tuple(vec![small]);
    let kw = g.dict();
    let k = g.str("key");
    g.dict_insert(kw, k, huge).unwrap();
    let inst = g.add(Object::Instance(Box::new(brinery::Instance {
        construct: brinery::Construct::NewObjEx,
        callable: cls,
        args,
        kwargs: Some(kw),
        state: Some(Value::None),
        list_items: vec![Value::Int(1), small],
        dict_items: vec![(k, Value::Float(f64::NEG_INFINITY))],
    })));
    let t = g.add(Object::Time(brinery::Time {
        hour: 1,
        minute: 2,
        second: 3,
        microsecond: 4,
        fold: true,
        tzinfo: Some(Value::None),
    }));
    let root = g.list(vec![inst, t, small]);
    g.set_root(root);
    cases.push(("api graph", g));
    // 100,000 nested lists, and a 2,000-deep tuple used as a dict key and set item.
    let mut g = Graph::new();
    let mut v = Value::Int(0);
    for _ in 0..100_000 {
        v = g.list(vec![v]);
    }
    g.set_root(v);
    cases.push(("deep list", g));
    let mut g = Graph::new();
    let mut key = Value::Int(0);
    for i in 0..2_000 {
        key = g.tuple(vec![key, Value::Int(i)]);
    }
    let fs = g.add(Object::FrozenSet(Default::default()));
    g.set_add(fs, key).unwrap();
    let d = g.dict();
    g.dict_insert(d, key, fs).unwrap();
    g.dict_insert(d, fs, key).unwrap();
    g.set_root(d);
    cases.push(("deep key", g));
    for (what, g) in &cases {
        let doc = check_round_trip(g, what);
        let text = doc.to_string();
        assert!(text.len() < 20_000_000, "{what}");
    }
    // Spot checks of the documents themselves.
    let doc = to_json(&cases[0].1);
    // Two equal but separate strs: the second is a str of its own.
    assert_eq!(doc, json!({"brinery": 1, "root": [{"$persistent_id": "abc"}, {"$persistent_id": {"$str": "abc"}}]}));
    let doc = to_json(&cases[2].1);
    assert_eq!(doc["root"], json!([{"$ext": 1}, {"$ext": 513}, {"$ext": 67305985}]));
    let doc = to_json(&cases[3].1);
    assert_eq!(
        doc["root"],
        json!([{"$float": "0x7ff8000000000001"}, {"$float": "0xfff8000000000000"}, {"$float": "0x7ff0000000000001"}, -0.0])
    );
    let doc = to_json(&cases[4].1);
    assert_eq!(
        doc["root"],
        json!([{"$buffer": "YWI="}, {"$buffer": "", "readonly": true}, {"$buffer": "AP8=", "readonly": true}])
    );
    assert_eq!(to_json(&cases[5].1)["root"][0], json!({"$buffer": null}));
    let doc = to_json(&cases[6].1);
    let text = doc.to_string();
    assert!(text.contains(r#""$int":"-0x3"#), "{text:.300}");
    assert!(text.contains(r#""$time":"01:02:03.000004","fold":true,"tzinfo":null"#), "{text:.300}");
}

#[test]
fn malformed_json_is_an_error_never_a_panic() {
    let bad = [
        json!(null),
        json!([]),
        json!({"root": 1}),
        json!({"brinery": 2, "root": 1}),
        json!({"brinery": 1}),
        json!({"brinery": 1, "root": 1, "extra": 2}),
        json!({"brinery": 1, "root": 1, "objects": {}}),
        json!({"brinery": 1, "root": {"$ref": 0}}),
        json!({"brinery": 1, "root": {"$ref": -1}, "objects": [{"$str": "a"}]}),
        json!({"brinery": 1, "root": {"$ref": "0"}, "objects": [{"$str": "a"}]}),
        json!({"brinery": 1, "root": 1, "objects": ["a"]}),
        json!({"brinery": 1, "root": 1, "objects": [{"$global": ["m", "n"]}]}),
        json!({"brinery": 1, "root": 1, "objects": [{"$tuple": []}]}),
        json!({"brinery": 1, "root": {"$tuple": [], "new": "yes"}}),
        json!({"brinery": 1, "root": {"$global": ["m", "n"], "new": 1}}),
        json!({"brinery": 1, "root": 1, "objects": [{"$ref": 0}]}),
        json!({"brinery": 1, "root": 1, "objects": [5]}),
        json!({"brinery": 1, "root": {"$nope": 1}}),
        json!({"brinery": 1, "root": {"a": 1}}),
        json!({"brinery": 1, "root": {"$tuple": [], "$list": []}}),
        json!({"brinery": 1, "root": {"$tuple": [], "extra": 1}}),
        json!({"brinery": 1, "root": {"$tuple": 5}}),
        json!({"brinery": 1, "root": {"$bytes": "not base64!"}}),
        json!({"brinery": 1, "root": {"$bytes": 5}}),
        json!({"brinery": 1, "root": {"$int": "12a"}}),
        json!({"brinery": 1, "root": {"$int": ""}}),
        json!({"brinery": 1, "root": {"$int": "-0x"}}),
        json!({"brinery": 1, "root": {"$int": "9".repeat(20_000)}}),
        json!({"brinery": 1, "root": {"$float": "fast"}}),
        json!({"brinery": 1, "root": {"$float": "0x12"}}),
        json!({"brinery": 1, "root": {"$float": 1}}),
        json!({"brinery": 1, "root": {"$str": ["a", 1_114_112]}}),
        json!({"brinery": 1, "root": {"$str": [null]}}),
        json!({"brinery": 1, "root": {"$dict": [[1]]}}),
        json!({"brinery": 1, "root": {"$dict": [[1, 2], [1.0, 3]]}}),
        json!({"brinery": 1, "root": {"$dict": [[[1], 2]]}}),
        json!({"brinery": 1, "root": {"$set": [1, true]}}),
        json!({"brinery": 1, "root": {"$set": [{"$set": []}]}}),
        json!({"brinery": 1, "root": {"$set": [{"$ref": 0}]}, "objects": [{"$tuple": [{"$ref": 0}]}]}),
        json!({"brinery": 1, "root": {"$ref": 0}, "objects": [{"$frozenset": [{"$ref": 0}]}]}),
        json!({"brinery": 1, "root": {"$dict": [[{"$ref": 0}, 1]]}, "objects": [{"$tuple": [{"$tuple": [{"$ref": 0}]}]}]}),
        json!({"brinery": 1, "root": {"$global": ["m"]}}),
        json!({"brinery": 1, "root": {"$global": ["m", 1]}}),
        json!({"brinery": 1, "root": {"$instance": "call", "callable": 1, "args": 2}}),
        json!({"brinery": 1, "root": {"$instance": "reduce", "args": 2}}),
        json!({"brinery": 1, "root": {"$instance": "reduce", "callable": 1}}),
        json!({"brinery": 1, "root": {"$instance": "reduce", "callable": 1, "args": 2, "list_items": 3}}),
        json!({"brinery": 1, "root": {"$ext": 1_i64 << 40}}),
        json!({"brinery": 1, "root": {"$buffer": 1}}),
        json!({"brinery": 1, "root": {"$buffer": null, "readonly": 1}}),
        json!({"brinery": 1, "root": {"$complex": [1]}}),
        json!({"brinery": 1, "root": {"$complex": ["1", 2]}}),
        json!({"brinery": 1, "root": {"$range": [1, 2]}}),
        json!({"brinery": 1, "root": {"$date": "2024-13"}}),
        json!({"brinery": 1, "root": {"$date": "2024-1-x"}}),
        json!({"brinery": 1, "root": {"$date": "99999-1-1"}}),
        json!({"brinery": 1, "root": {"$time": "12:00"}}),
        json!({"brinery": 1, "root": {"$time": "300:00:00.0"}}),
        json!({"brinery": 1, "root": {"$time": "1:2:3.4", "fold": "yes"}}),
        json!({"brinery": 1, "root": {"$datetime": "2024-01-01 00:00:00"}}),
        json!({"brinery": 1, "root": {"$timedelta": [1, 2]}}),
        json!({"brinery": 1, "root": {"$timedelta": [1, 2, 1_i64 << 40]}}),
        json!({"brinery": 1, "root": {"$uuid": "1234"}}),
        json!({"brinery": 1, "root": {"$uuid": "+2345678-1234-5678-1234-567812345678"}}),
        json!({"brinery": 1, "root": {"$fraction": [1]}}),
        json!({"brinery": 1, "root": {"$deque": 1}}),
        json!({"brinery": 1, "root": {"$dangling": 7}}),
    ];
    for doc in &bad {
        let err = from_json(doc).err().unwrap_or_else(|| panic!("accepted {doc}"));
        assert!(!err.to_string().is_empty());
    }
    // Text that is no JSON, or too deep for any parser.
    assert!(from_str("{\"brinery\": 1, \"root\": [").is_err());
    assert!(from_str(&format!("{{\"brinery\": 1, \"root\": {}1{}}}", "[".repeat(10_000), "]".repeat(10_000))).is_err());
    // A deep document built in memory (past serde_json's own parsing limit).
    let mut deep = json!(1);
    for _ in 0..1_000 {
        deep = json!([deep]);
    }
    assert!(from_json(&json!({"brinery": 1, "root": deep})).is_err());
    // Errors say where.
    let err = from_json(&json!({"brinery": 1, "root": [1, {"$dict": [[1, 2], [true, 3]]}]})).unwrap_err();
    assert_eq!(err.to_string(), "JSON root[1].$dict[1][0]: equal to an earlier key");
    let err = from_json(&json!({"brinery": 1, "root": 1, "objects": [{"$str": "a"}, {"$tuple": [{"$bytes": "?"}]}]}))
        .unwrap_err();
    assert!(err.to_string().starts_with("JSON objects[1].$tuple[0].$bytes: bad base64"), "{err}");

    // Mutated documents: whatever comes out, nothing panics.
    let base = {
        let mut g = Graph::new();
        let s = g.str("shared");
        let d = g.dict();
        g.dict_insert(d, s, s).unwrap();
        let t = g.tuple(vec![s, Value::Float(0.5)]);
        let fs = g.add(Object::FrozenSet(Default::default()));
        g.set_add(fs, t).unwrap();
        let cls = g.global("m", "C");
        let inst = g.add(Object::Instance(Box::new(brinery::Instance {
            construct: brinery::Construct::Reduce,
            callable: cls,
            args: t,
            kwargs: None,
            state: Some(d),
            list_items: vec![fs],
            dict_items: vec![(t, d)],
        })));
        let root = g.list(vec![d, t, fs, inst, inst, Value::Int(7)]);
        g.set_root(root);
        to_json(&g)
    };
    let replacements = [
        json!(null),
        json!(1),
        json!(-1),
        json!(1.5),
        json!("x"),
        json!([]),
        json!({}),
        json!({"$ref": 0}),
        json!({"$ref": 99}),
        json!({"$tuple": [{"$ref": 0}]}),
        json!({"$frozenset": [{"$ref": 1}]}),
        json!({"$set": [[]]}),
        json!({"$dict": [[{"$ref": 2}, 1]]}),
        json!({"$global": ["a", "b"]}),
    ];
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..3_000 {
        let mut doc = base.clone();
        for _ in 0..1 + next(3) {
            // Walk to a random spot in the root or the table and replace it.
            let key = if next(2) == 0 { "root" } else { "objects" };
            let mut at = &mut doc[key];
            loop {
                let len = match &*at {
                    Json::Array(a) => a.len(),
                    Json::Object(m) => m.len(),
                    _ => 0,
                };
                if len == 0 || next(4) == 0 {
                    break;
                }
                let i = next(len);
                at = match at {
                    Json::Array(a) => &mut a[i],
                    Json::Object(m) => m.values_mut().nth(i).unwrap(),
                    _ => unreachable!(),
                };
            }
            *at = replacements[next(replacements.len())].clone();
        }
        match from_json(&doc) {
            Ok(g) => {
                ok += 1;
                let _ = dumps_all(&g);
                let _ = to_json_lossy(&g);
            }
            Err(_) => failed += 1,
        }
    }
    println!("mutated documents: {ok} read, {failed} refused");
    assert!(ok > 0 && failed > 0);
}

#[test]
fn dangling_references_are_written_and_refused() {
    let mut other = Graph::new();
    for _ in 0..5 {
        other.str("x");
    }
    let foreign = other.str("foreign");
    let mut g = Graph::new();
    let l = g.list(vec![foreign]);
    g.set_root(l);
    let doc = to_json(&g);
    assert_eq!(doc["root"], json!([{"$dangling": 5}]));
    assert!(from_json(&doc).is_err());
    assert_eq!(to_json_lossy(&g), json!([null]));
}

fn corpus_lossy(corpus: &support::Corpus, case: &str, protocol: u8) -> Json {
    let g = brinery::loads(&std::fs::read(&corpus.get(case, protocol).file).unwrap()).unwrap();
    let mut out = Vec::new();
    to_writer_lossy(&mut out, &g).unwrap();
    let streamed: Json = serde_json::from_slice(&out).unwrap();
    assert_eq!(streamed, to_json_lossy(&g), "{case}");
    streamed
}

#[test]
fn lossy_form_reads_naturally() {
    let c = corpus();
    for p in [0, 2, 4] {
        assert_eq!(corpus_lossy(&c, "inst_plain", p), json!({"$class": "corpus.Plain", "a": 1, "b": ["two", 3.0]}));
        assert_eq!(corpus_lossy(&c, "self_dict", p), json!({"x": 1, "self": {"$ref": "#"}}));
    }
    assert_eq!(
        corpus_lossy(&c, "dict_key_types", 4),
        json!({"2": "int", "1.5": "float", "(1, 'x')": "tuple", "frozenset({3, 4})": "frozenset", "True": "bool",
               "None": "none", "str": "str", "b'bytes'": "bytes", "1180591620717411303424": "bigint", "-0.5": "negfloat"})
    );
    assert_eq!(
        corpus_lossy(&c, "share_list", 3),
        json!([[1, 2], {"$ref": "#/0"}, {"k": {"$ref": "#/0"}}, [{"$ref": "#/0"}]])
    );
    assert_eq!(corpus_lossy(&c, "self_list", 2), json!([1, {"$ref": "#"}, [{"$ref": "#"}]]));
    assert_eq!(corpus_lossy(&c, "datetime_offset", 4), json!("2024-01-02T03:04:05.999999+05:30"));
    assert_eq!(corpus_lossy(&c, "datetime_utc", 2), json!("2024-01-02T03:04:05.000006+00:00"));
    assert_eq!(corpus_lossy(&c, "timezone", 4), json!(["UTC", "UTC+05:30", "PST", "UTC-23:59", "UTC+23:59"]));
    assert_eq!(corpus_lossy(&c, "date", 1), json!(["2024-02-29", "0001-01-01", "9999-12-31"]));
    assert_eq!(corpus_lossy(&c, "time", 4), json!(["12:34:56.000789", "00:00:00", "23:59:59.999999"]));
    assert_eq!(corpus_lossy(&c, "timedelta", 4)[0], json!(86402.000003));
    assert_eq!(
        corpus_lossy(&c, "uuid", 2),
        json!(["12345678-1234-5678-1234-567812345678", "00000000-0000-0000-0000-000000000000"])
    );
    assert_eq!(corpus_lossy(&c, "fraction", 2), json!(["3/7", "-1/3", "1180591620717411303424/3"]));
    assert_eq!(corpus_lossy(&c, "decimal", 2)[0], json!("1.10"));
    assert_eq!(corpus_lossy(&c, "complex", 4)[0], json!({"real": 1.5, "imag": -2.0}));
    assert_eq!(corpus_lossy(&c, "range", 4)[1], json!({"start": 1, "stop": 100, "step": 7}));
    assert_eq!(corpus_lossy(&c, "ordereddict", 2), json!({"b": 1, "a": 2, "3": ["x"]}));
    assert_eq!(corpus_lossy(&c, "counter", 4)["a"], json!(5));
    assert_eq!(corpus_lossy(&c, "deque", 4), json!([[1, 2, 3], [1, 2], [], []]));
    assert_eq!(corpus_lossy(&c, "globals", 4)[0], json!("corpus.Plain"));
    assert_eq!(corpus_lossy(&c, "bytes_00ff", 3), json!("AP8="));
    assert_eq!(corpus_lossy(&c, "float_nan_list", 2), json!(["nan", 1.0, "nan"]));
    assert_eq!(corpus_lossy(&c, "int_2p1000", 2), json!(format!("{}", num_bigint::BigInt::from(1) << 1000)));
    assert_eq!(corpus_lossy(&c, "str_lone_surrogates", 3), json!(["\u{fffd}", "\u{fffd}", "a\u{fffd}b\u{fffd}c"]));
    assert_eq!(corpus_lossy(&c, "inst_slots", 2)[0], json!({"$class": "corpus.Slotted", "x": 1, "y": [2]}));
    assert_eq!(
        corpus_lossy(&c, "inst_reduce_setstate", 2),
        json!({"$class": "corpus.ReduceSetState", "$state": ["a", [1, 2]]})
    );
    assert_eq!(corpus_lossy(&c, "namedtuple", 2)[0], json!({"$class": "corpus.Point", "$args": [1, 2]}));
    assert_eq!(
        corpus_lossy(&c, "inst_reduce_items", 4),
        json!({"$class": "corpus.ReduceItems", "$list": [0, 1, 2], "$dict": {"k": "v", "2": [{"$ref": "#"}]}})
    );
    // Dict order is kept by the writer.
    let mut out = Vec::new();
    let g = brinery::loads(&std::fs::read(&c.get("ordereddict", 2).file).unwrap()).unwrap();
    to_writer_lossy(&mut out, &g).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), r#"{"b":1,"a":2,"3":["x"]}"#);
    // Too deep: cut, and still readable by serde_json.
    let mut g = Graph::new();
    let mut v = Value::Int(0);
    for _ in 0..1_000 {
        v = g.list(vec![v]);
    }
    g.set_root(v);
    let mut out = Vec::new();
    to_writer_lossy(&mut out, &g).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with(&format!("{}{}", r#"{"$deep":"..."}"#, "]".repeat(100))), "{text:.300}");
    serde_json::from_str::<Json>(&text).unwrap();
}

#[test]
fn convert_to_and_from_json_on_the_command_line() {
    let c = corpus();
    let tmp = tempfile::tempdir().unwrap();
    let out = |name: &str| tmp.path().join(name);
    for (case, p) in
        [("stream_mixed", 4), ("stream_builtin", 0), ("inst_dictsub_self", 2), ("bytes_70k", 5), ("nested", 1)]
    {
        let e = c.get(case, p);
        let input = path_str(&e.file);
        let proto = p.to_string();
        let (json_file, back, direct) =
            (out(&format!("{case}.json")), out(&format!("{case}.back")), out(&format!("{case}.direct")));
        brinery_ok(&["convert", "--to", "json", input, "-o", path_str(&json_file)]);
        let text = std::fs::read_to_string(&json_file).unwrap();
        assert_eq!(text.lines().count(), e.count, "{case}: one line per pickle");
        brinery_ok(&["convert", "--from", "json", "-p", &proto, path_str(&json_file), "-o", path_str(&back)]);
        brinery_ok(&["convert", "-p", &proto, input, "-o", path_str(&direct)]);
        assert!(
            std::fs::read(&back).unwrap() == std::fs::read(&direct).unwrap(),
            "{case}: CLI JSON round trip differs"
        );
        // Indented JSON reads back the same way.
        let pretty = out(&format!("{case}.pretty.json"));
        brinery_ok(&["convert", "--to", "json", "--pretty", input, "-o", path_str(&pretty)]);
        let back2 = out(&format!("{case}.back2"));
        brinery_ok(&["convert", "--from", "json", "-p", &proto, path_str(&pretty), "-o", path_str(&back2)]);
        assert!(std::fs::read(&back2).unwrap() == std::fs::read(&direct).unwrap(), "{case}: pretty round trip differs");
        // Lossy JSON Lines parse, one document per pickle.
        let lossy = brinery_ok(&["convert", "--to", "json", "--lossy", input, "-o", "-"]).stdout;
        let docs: Vec<Json> =
            serde_json::Deserializer::from_slice(&lossy).into_iter().collect::<Result<_, _>>().unwrap();
        assert_eq!(docs.len(), e.count, "{case}");
    }
    // An array of documents is read as a stream, from standard input too.
    let arr = out("array.json");
    std::fs::write(&arr, r#"[{"brinery": 1, "root": 1}, {"brinery": 1, "root": {"$tuple": ["a"]}}]"#).unwrap();
    let res = brinery_ok(&["convert", "--from", "json", "-p", "2", path_str(&arr), "-o", "-"]).stdout;
    assert_eq!(res, b"\x80\x02K\x01.\x80\x02X\x01\x00\x00\x00aq\x00\x85q\x01.");
    // Errors: lossy JSON cannot come back; --lossy needs --to json; bad JSON names the document.
    let lossy = out("lossy.json");
    brinery_ok(&["convert", "--to", "json", "--lossy", path_str(&c.get("dict_small", 2).file), "-o", path_str(&lossy)]);
    let res = brinery(&["convert", "--from", "json", path_str(&lossy), "-o", path_str(&out("x"))]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("document 1: JSON: not a lossless brinery document"));
    let res = brinery(&["convert", "--lossy", path_str(&c.get("dict_small", 2).file), "-o", path_str(&out("x"))]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("--lossy needs --to json"));
    let two = out("two.json");
    std::fs::write(&two, "{\"brinery\":1,\"root\":1}\n{\"brinery\":1,\"root\":{\"$ref\":0}}\n").unwrap();
    let res = brinery(&["convert", "--from", "json", path_str(&two), "-o", path_str(&out("x"))]);
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("document 2: JSON root.$ref"), "{res:?}");
    let empty = out("empty.json");
    std::fs::write(&empty, "  \n").unwrap();
    let res = brinery(&["convert", "--from", "json", path_str(&empty), "-o", path_str(&out("x"))]);
    assert!(String::from_utf8_lossy(&res.stderr).contains("no JSON document"));
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick(&mut self, pool: &[Value]) -> Value {
        pool[self.below(pool.len())]
    }

    fn picks(&mut self, pool: &[Value], most: usize) -> Vec<Value> {
        (0..self.below(most + 1)).map(|_| self.pick(pool)).collect()
    }
}

/// A random graph of every kind of object, with sharing, and cycles through the containers
/// pickles can close cycles through (lists, dicts, instance state and items).
fn random_graph(seed: u64) -> Graph {
    use brinery::{Construct, Instance};
    let mut r = Rng(seed | 1);
    let mut g = Graph::new();
    let mut hashable = vec![Value::None, Value::Bool(true), Value::Int(-7), Value::Float(0.5)];
    let mut all = hashable.clone();
    let mut open: Vec<Value> = Vec::new();
    for _ in 0..5 + r.below(60) {
        let (v, is_hashable) = match r.below(18) {
            0 => (g.str(&format!("s{}", r.below(6))), true),
            1 => (g.bytes(&r.next().to_le_bytes()[..r.below(9)]), true),
            2 => (g.int(num_bigint::BigInt::from(r.next()) << (64 + r.below(200))), true),
            3 => {
                let items = r.picks(&hashable, 3);
                (g.tuple(items), true)
            }
            4 => {
                let items = r.picks(&all, 3);
                (g.tuple(items), false)
            }
            5 => {
                let items = r.picks(&all, 4);
                let l = g.list(items);
                open.push(l);
                (l, false)
            }
            6 | 7 => {
                let d = match r.below(4) {
                    0 => g.dict(),
                    1 => g.add(Object::OrderedDict(Default::default())),
                    2 => g.add(Object::Counter(Default::default())),
                    _ => {
                        let factory = r.pick(&all);
                        g.add(Object::DefaultDict(Box::new(brinery::DefaultDict { factory, dict: Default::default() })))
                    }
                };
                for _ in 0..r.below(5) {
                    let (k, v) = (r.pick(&hashable), r.pick(&all));
                    g.dict_insert(d, k, v).unwrap();
                }
                open.push(d);
                (d, false)
            }
            8 | 9 => {
                let frozen = r.below(2) == 0;
                let s =
                    g.add(if frozen { Object::FrozenSet(Default::default()) } else { Object::Set(Default::default()) });
                for _ in 0..r.below(5) {
                    let item = r.pick(&hashable);
                    g.set_add(s, item).unwrap();
                }
                (s, frozen)
            }
            10 => {
                (g.global(["m", "builtins", "copyreg"][r.below(3)], ["C", "D.E", "_reconstructor"][r.below(3)]), true)
            }
            11 => {
                let construct =
                    [Construct::Reduce, Construct::NewObj, Construct::NewObjEx, Construct::Inst, Construct::Obj]
                        [r.below(5)];
                let callable = g.global("m", "C");
                let items = r.picks(&all, 2);
                let args = g.tuple(items);
                let kwargs = (construct == Construct::NewObjEx).then(|| g.dict());
                let state = match r.below(3) {
                    0 => None,
                    1 => Some(Value::None),
                    _ => Some(r.pick(&all)),
                };
                let list_items = r.picks(&all, 2);
                let dict_items = (0..r.below(3)).map(|_| (r.pick(&hashable), r.pick(&all))).collect();
                let inst = g.add(Object::Instance(Box::new(Instance {
                    construct,
                    callable,
                    args,
                    kwargs,
                    state,
                    list_items,
                    dict_items,
                })));
                open.push(inst);
                (inst, true)
            }
            12 => (g.add(Object::Complex(f64::from_bits(r.next()), -0.0)), false),
            13 => match r.below(4) {
                0 => (g.add(Object::Date(brinery::Date { year: 1 + r.below(9999) as u16, month: 2, day: 29 })), true),
                1 => (g.add(Object::Decimal(format!("{}.{}", r.below(100), r.below(100)).into())), true),
                2 => (g.add(Object::Uuid(u128::from(r.next()) << 64 | u128::from(r.next()))), true),
                _ => {
                    let td = brinery::TimeDelta { days: -(r.below(1000) as i32), seconds: 5, microseconds: 6 };
                    (g.add(Object::TimeDelta(td)), false)
                }
            },
            14 => {
                let parts = [Value::Int(r.below(9) as i64), Value::None, Value::Int(-2)];
                match r.below(3) {
                    0 => (g.add(Object::Range(Box::new(parts))), false),
                    1 => (g.add(Object::Slice(Box::new(parts))), false),
                    _ => (g.add(Object::Fraction(Box::new([parts[0], Value::Int(3)]))), false),
                }
            }
            15 => {
                let items = r.picks(&all, 3);
                let maxlen = if r.below(2) == 0 { Value::None } else { Value::Int(9) };
                let dq = g.add(Object::Deque(Box::new(brinery::Deque { items, maxlen })));
                open.push(dq);
                (dq, false)
            }
            16 => {
                let pid = g.str("pid");
                (g.add(Object::PersistentId(pid)), true)
            }
            _ => {
                let f = [f64::NAN, -0.0, f64::INFINITY, f64::from_bits(r.next()), 1e-300, 0.1][r.below(6)];
                (Value::Float(f), !f.is_nan())
            }
        };
        all.push(v);
        if is_hashable {
            hashable.push(v);
        }
    }
    // Close cycles: containers take values made after them, themselves included.
    for &c in &open {
        let extra = r.pick(&all);
        let id = c.id().unwrap();
        match g.get_mut(id) {
            Object::List(items) => items.push(extra),
            Object::Deque(dq) => dq.items.push(extra),
            Object::Instance(inst) => inst.state = Some(extra),
            // A Counter is pickled as Counter(dict(items)): no pickle can hold one inside itself.
            Object::Counter(_) => {}
            _ => {
                let key = r.pick(&hashable);
                g.dict_insert(c, key, extra).unwrap();
            }
        }
    }
    let items = r.picks(&all, 6);
    let root = g.list(items);
    g.set_root(root);
    g
}

#[test]
fn random_graphs_round_trip() {
    for seed in 0..300 {
        let g = random_graph(0x9e37_79b9_7f4a_7c15 ^ seed);
        check_round_trip(&g, &format!("random graph {seed}"));
    }
}

#[test]
fn every_float_comes_back_exactly() {
    let mut r = Rng(0x1234_5678_9abc_def1);
    let mut g = Graph::new();
    let mut floats: Vec<Value> =
        [0.0, -0.0, 5e-324, -5e-324, f64::MIN_POSITIVE, f64::MAX, f64::MIN, 1.0715660391465826e-75]
            .into_iter()
            .map(Value::Float)
            .collect();
    floats.extend((0..20_000).map(|_| Value::Float(f64::from_bits(r.next()))));
    let root = g.list(floats);
    g.set_root(root);
    check_round_trip(&g, "random floats");
    let text = brinery::json::to_string(&g);
    let back = from_str(&text).unwrap();
    let (Some(Object::List(a)), Some(Object::List(b))) = (g.object(g.root()), back.object(back.root())) else {
        panic!("not lists")
    };
    for (x, y) in a.iter().zip(b) {
        match (x, y) {
            (Value::Float(x), Value::Float(y)) => assert_eq!(x.to_bits(), y.to_bits()),
            _ => panic!("{x:?} became {y:?}"),
        }
    }
}

/// Runs `f` on a thread with a small stack: the recursive parts of the mapping are bounded.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(1024 * 1024).spawn(f).unwrap().join().unwrap();
}

#[test]
fn deep_graphs_and_documents_fit_a_small_stack() {
    on_small_stack(|| {
        // Nested instances whose state holds the next one: the deepest lossy shape.
        let mut g = Graph::new();
        let cls = g.global("m", "C");
        let mut v = Value::Int(0);
        for _ in 0..5_000 {
            let state = g.dict();
            let k = g.str("next");
            g.dict_insert(state, k, v).unwrap();
            let args = g.tuple(vec![]);
            v = g.add(Object::Instance(Box::new(brinery::Instance {
                construct: brinery::Construct::NewObj,
                callable: cls,
                args,
                kwargs: None,
                state: Some(state),
                list_items: vec![],
                dict_items: vec![(k, v)],
            })));
        }
        g.set_root(v);
        let doc = to_json(&g);
        let back = from_json(&doc).unwrap();
        assert_eq!(brinery::dumps(&back, 4).unwrap(), brinery::dumps(&g, 4).unwrap());
        let lossy = serde_json::to_string(&to_json_lossy(&g)).unwrap();
        assert!(lossy.contains("$deep"));
        // The deepest document the reader takes.
        let mut deep = json!(1);
        for _ in 0..64 {
            deep = json!({"$tuple": [deep]});
        }
        assert!(from_json(&json!({"brinery": 1, "root": deep})).is_ok());
        let deeper = json!({"brinery": 1, "root": {"$tuple": [deep]}});
        assert!(from_json(&deeper).unwrap_err().to_string().contains("nested deeper than 64 levels"));
    });
}

#[test]
fn strs_and_globals_are_written_by_content() {
    // CPython shares dict keys between records and a class between its instances.
    let c = corpus();
    let g = brinery::loads(&std::fs::read(&c.get("inst_shared_state", 4).file).unwrap()).unwrap();
    let text = to_json(&g).to_string();
    assert!(!text.contains(r#""objects":["a""#), "{text}");
    assert_eq!(text.matches(r#"{"$global":["corpus","Plain"]}"#).count(), 2, "{text}");
    // Reading: every plain string with one text is one object; "$str" makes a separate one.
    let g = from_str(r#"{"brinery": 1, "root": ["key", "key", {"$str": "key"}, {"$global": ["m", "C"]}, {"$global": ["m", "C"]}, {"$global": ["m", "C"], "new": true}]}"#).unwrap();
    let Some(Object::List(items)) = g.object(g.root()) else { panic!() };
    assert_eq!(items[0], items[1]);
    assert_ne!(items[0], items[2]);
    assert_eq!(items[3], items[4]);
    assert_ne!(items[3], items[5]);
    assert_eq!(
        to_json(&g),
        json!({"brinery": 1, "root": ["key", "key", {"$str": "key"}, {"$global": ["m", "C"]}, {"$global": ["m", "C"]}, {"$global": ["m", "C"], "new": true}]})
    );
    // One empty tuple per document, unless marked as an object of its own.
    let g =
        from_str(r#"{"brinery": 1, "root": [{"$tuple": []}, {"$tuple": []}, {"$tuple": [], "new": true}]}"#).unwrap();
    let Some(Object::List(t)) = g.object(g.root()) else { panic!() };
    assert!(t[0] == t[1] && t[0] != t[2]);
    assert_eq!(to_json(&g)["root"], json!([{"$tuple": []}, {"$tuple": []}, {"$tuple": [], "new": true}]));
    let g = from_str(r#"{"brinery": 1, "root": ["key", "key", {"$str": "key"}, {"$global": ["m", "C"]}, {"$global": ["m", "C"]}, {"$global": ["m", "C"], "new": true}]}"#).unwrap();
    // The second "key" is a memo get, the separate one is written anew.
    assert_eq!(
        brinery::dumps(&g, 2).unwrap()[..35],
        b"\x80\x02]q\x00(X\x03\x00\x00\x00keyq\x01h\x01X\x03\x00\x00\x00keyq\x02cm\nC\nq\x03"[..]
    );
}
