//! Edge cases of the engine found while building on it.

use brinery::{Object, Value};
use std::time::{Duration, Instant};

#[test]
fn shared_sub_tuples_in_a_key_hash_in_linear_time() {
    // A 40-level tuple whose halves are one shared tuple: 2**40 leaves if walked as a tree.
    let mut p = b"\x80\x02}q\x01K\x01\x85q\x000".to_vec();
    for _ in 0..40 {
        p.extend_from_slice(b"h\x00h\x00\x86q\x000");
    }
    p.extend_from_slice(b"h\x00K\x00s.");
    let t = Instant::now();
    let g = brinery::loads(&p).unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "took {:?}", t.elapsed());
    let Some(Object::Dict(d)) = g.object(g.root()) else { panic!("expected a dict") };
    assert_eq!(d.len(), 1);
    // Two equal but distinct copies of such a key collapse into one entry, quickly too.
    let mut p = b"\x80\x02}q\x01".to_vec();
    for copy in 0..2 {
        p.extend_from_slice(b"K\x01\x85q\x000");
        for _ in 0..40 {
            p.extend_from_slice(b"h\x00h\x00\x86q\x000");
        }
        p.extend_from_slice(b"h\x00K");
        p.push(copy);
        p.push(b's');
    }
    p.push(b'.');
    let t = Instant::now();
    let g = brinery::loads(&p).unwrap();
    assert!(t.elapsed() < Duration::from_secs(2), "took {:?}", t.elapsed());
    let Some(Object::Dict(d)) = g.object(g.root()) else { panic!("expected a dict") };
    assert_eq!(d.len(), 1);
    assert_eq!(d.entries()[0].1, Value::Int(1));
}

#[test]
fn fractions_are_kept_in_lowest_terms() {
    // fractions.Fraction(2, -4) as a REDUCE: CPython holds it as -1/2.
    let p = b"\x80\x02cfractions\nFraction\nK\x02J\xfc\xff\xff\xff\x86R.";
    let g = brinery::loads(p).unwrap();
    match g.object(g.root()) {
        Some(Object::Fraction(nd)) => assert_eq!(**nd, [Value::Int(-1), Value::Int(2)]),
        other => panic!("{other:?}"),
    }
    // A zero denominator is no Fraction CPython could make: it stays an inert call.
    let p = b"\x80\x02cfractions\nFraction\nK\x01K\x00\x86R.";
    let g = brinery::loads(p).unwrap();
    assert!(matches!(g.object(g.root()), Some(Object::Instance(_))));
}

#[test]
fn objects_reaching_themselves_through_their_arguments_are_refused() {
    // A Counter that contains itself: CPython's pickler recurses until RecursionError.
    let p = b"\x80\x02ccollections\nCounter\nq\x00)Rq\x01X\x01\x00\x00\x00kh\x01s.";
    let g = brinery::loads(p).unwrap();
    for proto in 0..=5 {
        let err = brinery::dumps(&g, proto).unwrap_err();
        assert!(err.to_string().contains("contains itself"), "{err}");
    }
    // A tuple containing itself directly (only a hand-built graph can hold one).
    let mut g = brinery::Graph::new();
    let t = g.tuple(vec![Value::Int(1)]);
    if let Object::Tuple(items) = g.get_mut(t.id().unwrap()) {
        items.push(t);
    }
    g.set_root(t);
    assert!(brinery::dumps(&g, 4).is_err());
    // Through a list it is fine, as in Python: l = []; t = (l,); l.append(t).
    let mut g = brinery::Graph::new();
    let l = g.list(vec![]);
    let t = g.tuple(vec![l]);
    if let Object::List(items) = g.get_mut(l.id().unwrap()) {
        items.push(t);
    }
    g.set_root(t);
    for proto in 0..=5 {
        let back = brinery::loads(&brinery::dumps(&g, proto).unwrap()).unwrap();
        assert_eq!(back.len(), 2);
    }
}

#[test]
fn references_from_another_graph_are_errors_not_panics() {
    let mut a = brinery::Graph::new();
    let _ = a.str("only in a");
    let far = a.list(vec![]);
    let mut b = brinery::Graph::new();
    let l = b.list(vec![far]);
    b.set_root(l);
    assert!(brinery::dumps(&b, 5).is_err());
}

/// The machine's memo, stack and marks are reused between loads on a thread; nothing of one
/// load may be seen by the next, whether the first ended with an error or not.
#[test]
fn reused_scratch_carries_nothing_into_the_next_load() {
    // Memoizes 'secret' at index 0 and leaves a MARK and items on the stack, then fails.
    let failing = b"\x80\x04\x8c\x06secret\x94(K\x01K\x02\xff";
    // Fetches memo index 0 without putting anything there.
    let fetch = b"\x80\x04h\x00.";
    // Appends from a mark it never set (with the failed load's mark, at stack position 1, this
    // would load as [1]).
    let pop_mark = b"\x80\x04]K\x01e.";
    // A pair from one item (with the failed load's items still on the stack, this would load).
    let short_pair = b"\x80\x04K\x01\x86.";
    let ok: Vec<u8> = b"\x80\x04\x8c\x06secret\x94h\x00\x86.".to_vec();
    for _ in 0..3 {
        assert!(brinery::loads(failing).is_err());
        let err = brinery::loads(fetch).unwrap_err().to_string();
        assert!(err.contains("Memo value not found at index 0"), "{err}");
        assert!(brinery::loads(pop_mark).is_err(), "a mark from the failed load must not be seen");
        assert!(brinery::loads(short_pair).is_err(), "items from the failed load must not be seen");
        let g = brinery::loads(&ok).unwrap();
        let Some(Object::Tuple(items)) = g.object(g.root()) else { panic!("a tuple") };
        assert_eq!(items[0], items[1], "one memoized str, referenced twice");
        assert!(matches!(g.object(items[0]), Some(Object::Str(s)) if s.as_str() == Some("secret")));
        // The serde reader keeps its own scratch and tape: the same holds there.
        assert!(brinery::from_slice::<(String, String)>(failing).is_err());
        assert!(brinery::from_slice::<String>(fetch).is_err());
        assert!(brinery::from_slice::<Vec<u8>>(pop_mark).is_err());
        assert!(brinery::from_slice::<(u8, u8)>(short_pair).is_err());
        let pair: (String, String) = brinery::from_slice(&ok).unwrap();
        assert_eq!(pair, ("secret".to_string(), "secret".to_string()));
    }
}

/// `loads_shared` makes views of large bytes payloads only, they outlive the caller's handle on
/// the input, and a reader source (no shared buffer) always copies.
#[test]
fn shared_input_views_large_bytes_only() {
    let big = vec![0xabu8; brinery::SHARE_FROM];
    let small = vec![0xcdu8; brinery::SHARE_FROM - 1];
    let mut g = brinery::Graph::new();
    let (b, s) = (g.bytes(&big), g.bytes(&small));
    let root = g.list(vec![b, s, b]);
    g.set_root(root);
    let data = brinery::dumps(&g, 5).unwrap();

    let input = brinery::bytes::Bytes::from(data.clone());
    let at = input.as_ptr() as usize..input.as_ptr() as usize + input.len();
    let loaded = brinery::loads_shared(&input, &Default::default()).unwrap();
    drop(input);
    let Some(Object::List(items)) = loaded.object(loaded.root()) else { panic!("a list") };
    assert_eq!(items[0], items[2], "one object referenced twice");
    let bytes_of = |v: Value| match loaded.object(v) {
        Some(Object::Bytes(b)) => b,
        other => panic!("bytes expected, got {other:?}"),
    };
    assert!(bytes_of(items[0]).is_shared() && at.contains(&(bytes_of(items[0]).as_ptr() as usize)));
    assert!(!bytes_of(items[1]).is_shared());
    assert_eq!(bytes_of(items[0]), &big);
    assert_eq!(bytes_of(items[1]), &small);
    assert_eq!(brinery::dumps(&loaded, 5).unwrap(), data);

    let streamed = brinery::load(&data[..], &Default::default()).unwrap();
    assert!(streamed.objects().all(|(_, o)| !matches!(o, Object::Bytes(b) if b.is_shared())));
}

/// The pickler keeps its working memory per thread; a dump that fails half-way leaves nothing
/// in it that the next dump would write.
#[test]
fn a_failed_dump_leaves_nothing_for_the_next() {
    let mut g = brinery::Graph::new();
    let inner: Vec<Value> = (0..5).map(|i| g.str(&format!("s{i}"))).collect();
    let lists: Vec<Value> = (0..3).map(|_| g.list(inner.clone())).collect();
    let root = g.list(lists);
    g.set_root(root);
    let expected = brinery::dumps(&g, 4).unwrap();
    // A reference from a larger graph, handed back once the writer is inside the first list.
    let mut other = brinery::Graph::new();
    for _ in 0..100 {
        other.str("padding");
    }
    let far = other.list(vec![]);
    let mut calls = 0;
    let mut failing = brinery::DumpOptions::new(4).persistent_id(move |_, _| {
        calls += 1;
        (calls == 4).then_some(far)
    });
    let err = brinery::dumps_with(&g, &mut failing).unwrap_err();
    assert!(err.to_string().contains("another graph"), "{err}");
    assert_eq!(brinery::dumps(&g, 4).unwrap(), expected);
}

/// A reference the graph does not hold (here: ids from a larger graph) is refused wherever it
/// sits — at the root, in containers, in an instance's parts, in what a native reduces to, in
/// a persistent id — at every protocol, also where the pickler has made temporaries of its own
/// by then (bytes before protocol 3, sets before 4), whose ids must never be taken for it.
#[test]
fn dangling_references_are_refused_wherever_they_sit() {
    use brinery::{Construct, Date, DateTime, DefaultDict, Deque, Instance, Time};
    let mut other = brinery::Graph::new();
    let far: Vec<Value> = (0..64).map(|i| other.str(&format!("{i}"))).collect();
    type Place = fn(&mut brinery::Graph, Value) -> Value;
    fn instance(g: &mut brinery::Graph, f: fn(&mut Instance, Value), bad: Value) -> Value {
        let cls = g.global("m", "C");
        let args = g.tuple(vec![]);
        let mut inst = Instance {
            construct: Construct::NewObj,
            callable: cls,
            args,
            kwargs: None,
            state: None,
            list_items: vec![],
            dict_items: vec![],
        };
        f(&mut inst, bad);
        g.add(Object::Instance(Box::new(inst)))
    }
    let places: Vec<(&str, Place)> = vec![
        ("root", |_, bad| bad),
        ("list item", |g, bad| g.list(vec![Value::Int(1), bad])),
        ("list item after a container", |g, bad| {
            let inner = g.list(vec![]);
            g.list(vec![inner, bad])
        }),
        ("pair tuple", |g, bad| g.tuple(vec![Value::None, bad])),
        ("long tuple", |g, bad| g.tuple(vec![Value::None; 4].into_iter().chain([bad]).collect())),
        ("dict value", |g, bad| {
            let d = g.dict();
            let k = g.str("k");
            g.dict_insert(d, k, bad).unwrap();
            d
        }),
        ("persistent id", |g, bad| g.add(Object::PersistentId(bad))),
        ("defaultdict factory", |g, bad| {
            g.add(Object::DefaultDict(Box::new(DefaultDict { factory: bad, dict: Default::default() })))
        }),
        ("deque item", |g, bad| g.add(Object::Deque(Box::new(Deque { items: vec![bad], maxlen: Value::None })))),
        ("datetime tzinfo", |g, bad| {
            let date = Date { year: 2020, month: 1, day: 2 };
            let time = Time { hour: 3, minute: 4, second: 5, microsecond: 6, fold: false, tzinfo: Some(bad) };
            g.add(Object::DateTime(Box::new(DateTime { date, time })))
        }),
        ("instance class", |g, bad| instance(g, |i, b| i.callable = b, bad)),
        ("instance args", |g, bad| instance(g, |i, b| i.args = b, bad)),
        ("instance state", |g, bad| instance(g, |i, b| i.state = Some(b), bad)),
        ("instance list item", |g, bad| instance(g, |i, b| i.list_items.push(b), bad)),
        ("instance dict value", |g, bad| instance(g, |i, b| i.dict_items.push((Value::Int(1), b)), bad)),
    ];
    for (what, place) in &places {
        for &bad in &[far[20], far[40], far[63]] {
            let mut g = brinery::Graph::new();
            // Temporaries come first: bytes (protocols 0–2) and a set (protocols 0–3).
            let b = g.bytes(b"xy");
            let item = g.str("s");
            let set = g.add(Object::Set(Default::default()));
            g.set_add(set, item).unwrap();
            let v = place(&mut g, bad);
            let root = g.list(vec![b, set, v]);
            g.set_root(root);
            assert!(g.check().is_err(), "{what}");
            for proto in 0..=5 {
                let err = brinery::dumps(&g, proto).expect_err(what);
                assert!(err.to_string().contains("is referenced but the graph has only"), "{what}, {proto}: {err}");
                let streamed = brinery::dump_with(Vec::new(), &g, &mut brinery::DumpOptions::new(proto));
                assert!(streamed.is_err(), "{what}, protocol {proto}: streamed");
            }
        }
    }
}

/// CPython keeps one object for each one-character str below U+0100, for "" and for b"", so
/// equal ones written from distinct objects are one memo entry there; U+0100 is not cached.
#[test]
fn cached_strs_and_empty_bytes_are_shared_by_content() {
    let mut g = brinery::Graph::new();
    let mut items = Vec::new();
    for s in ["a", "a", "\u{e9}", "\u{e9}", "\u{ff}", "\u{ff}", "\u{100}", "\u{100}", "", ""] {
        items.push(g.str(s));
    }
    items.push(g.bytes(b""));
    items.push(g.bytes(b""));
    let root = g.list(items);
    g.set_root(root);
    // pickle.dumps([chr(97), chr(97), chr(0xe9), chr(0xe9), chr(0xff), chr(0xff), chr(0x100),
    //               chr(0x100), str(), ''.join([]), bytes(), b''.join([])], protocol) on CPython 3.11
    let cpython: [&[u8]; 6] = [
        b"(lp0\x0aVa\x0ap1\x0aag1\x0aaV\xe9\x0ap2\x0aag2\x0aaV\xff\x0ap3\x0aag3\x0aaV\\u0100\x0ap4\x0aaV\\u0100\x0ap5\x0aaV\x0ap6\x0aag6\x0aac__builtin__\x0abytes\x0ap7\x0a(tRp8\x0aag8\x0aa.",
        b"]q\x00(X\x01\x00\x00\x00aq\x01h\x01X\x02\x00\x00\x00\xc3\xa9q\x02h\x02X\x02\x00\x00\x00\xc3\xbfq\x03h\x03X\x02\x00\x00\x00\xc4\x80q\x04X\x02\x00\x00\x00\xc4\x80q\x05X\x00\x00\x00\x00q\x06h\x06c__builtin__\x0abytes\x0aq\x07)Rq\x08h\x08e.",
        b"\x80\x02]q\x00(X\x01\x00\x00\x00aq\x01h\x01X\x02\x00\x00\x00\xc3\xa9q\x02h\x02X\x02\x00\x00\x00\xc3\xbfq\x03h\x03X\x02\x00\x00\x00\xc4\x80q\x04X\x02\x00\x00\x00\xc4\x80q\x05X\x00\x00\x00\x00q\x06h\x06c__builtin__\x0abytes\x0aq\x07)Rq\x08h\x08e.",
        b"\x80\x03]q\x00(X\x01\x00\x00\x00aq\x01h\x01X\x02\x00\x00\x00\xc3\xa9q\x02h\x02X\x02\x00\x00\x00\xc3\xbfq\x03h\x03X\x02\x00\x00\x00\xc4\x80q\x04X\x02\x00\x00\x00\xc4\x80q\x05X\x00\x00\x00\x00q\x06h\x06C\x00q\x07h\x07e.",
        b"\x80\x04\x95-\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x01a\x94h\x01\x8c\x02\xc3\xa9\x94h\x02\x8c\x02\xc3\xbf\x94h\x03\x8c\x02\xc4\x80\x94\x8c\x02\xc4\x80\x94\x8c\x00\x94h\x06C\x00\x94h\x07e.",
        b"\x80\x05\x95-\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x01a\x94h\x01\x8c\x02\xc3\xa9\x94h\x02\x8c\x02\xc3\xbf\x94h\x03\x8c\x02\xc4\x80\x94\x8c\x02\xc4\x80\x94\x8c\x00\x94h\x06C\x00\x94h\x07e.",
    ];
    for (proto, expected) in cpython.iter().enumerate() {
        assert_eq!(brinery::dumps(&g, proto as u8).unwrap(), *expected, "protocol {proto}");
    }
}

#[test]
fn reductions_through_copyreg_newobj_are_written_as_newobj_from_protocol_2() {
    // CPython's protocol 0 pickle of `[o, o, C()]`, where `C.__reduce__` returns
    // `(copyreg.__newobj__, (C, 7), {'a': 1})`: REDUCE calls to `copy_reg.__newobj__`.
    let p0 = b"(lp0\nccopy_reg\n__newobj__\np1\n(cported\nC\np2\nI7\ntp3\nRp4\n(dp5\nVa\np6\nI1\nsbag4\nag1\n\
(g2\nI7\ntp7\nRp8\n(dp9\ng6\nI1\nsba.";
    let g = brinery::loads(p0).unwrap();
    // CPython writes the same objects with NEWOBJ from protocol 2 on (its `save_reduce` checks
    // the function's name), and with the REDUCE calls again below.
    let p2: &[u8] = b"\x80\x02]q\x00(cported\nC\nq\x01K\x07\x85q\x02\x81q\x03}q\x04X\x01\x00\x00\x00aq\x05K\x01sb\
h\x03h\x01K\x07\x85q\x06\x81q\x07}q\x08h\x05K\x01sbe.";
    let p4: &[u8] = b"\x80\x04\x956\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x06ported\x94\x8c\x01C\x94\x93\x94K\x07\
\x85\x94\x81\x94}\x94\x8c\x01a\x94K\x01sbh\x05h\x03K\x07\x85\x94\x81\x94}\x94h\x07K\x01sbe.";
    assert_eq!(brinery::dumps(&g, 2).unwrap(), p2);
    assert_eq!(brinery::dumps(&g, 4).unwrap(), p4);
    assert_eq!(brinery::dumps(&g, 0).unwrap(), p0);
}
