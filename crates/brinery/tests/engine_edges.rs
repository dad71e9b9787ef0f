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
