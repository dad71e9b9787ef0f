//! Runs of scalar opcodes (BININT*, BINFLOAT, NONE, NEWTRUE, NEWFALSE), which the machine takes
//! many at a time from the bytes its reader holds: the values, and where the opcode and stack
//! limits stop a run, must be what one opcode at a time gives, from a slice and from a reader
//! whose reads end anywhere (inside an argument included), through the graph and serde alike.

use brinery::{DeOptions, ErrorKind, Limits, LoadOptions, Object, Value};
use proptest::prelude::*;
use std::io;

#[derive(Clone, Copy, Debug)]
enum Scalar {
    Int1(u8),
    Int2(u16),
    Int4(i32),
    Float(f64),
    None,
    Bool(bool),
}

impl Scalar {
    fn write(self, out: &mut Vec<u8>) {
        match self {
            Scalar::Int1(x) => out.extend([b'K', x]),
            Scalar::Int2(x) => {
                out.push(b'M');
                out.extend(x.to_le_bytes());
            }
            Scalar::Int4(x) => {
                out.push(b'J');
                out.extend(x.to_le_bytes());
            }
            Scalar::Float(x) => {
                out.push(b'G');
                out.extend(x.to_be_bytes());
            }
            Scalar::None => out.push(b'N'),
            Scalar::Bool(b) => out.push(if b { 0x88 } else { 0x89 }),
        }
    }

    fn value(self) -> Value {
        match self {
            Scalar::Int1(x) => Value::Int(x.into()),
            Scalar::Int2(x) => Value::Int(x.into()),
            Scalar::Int4(x) => Value::Int(x.into()),
            Scalar::Float(x) => Value::Float(x),
            Scalar::None => Value::None,
            Scalar::Bool(b) => Value::Bool(b),
        }
    }

    fn json(self) -> Option<serde_json::Value> {
        Some(match self {
            Scalar::Float(x) => serde_json::Value::from(serde_json::Number::from_f64(x)?),
            Scalar::None => serde_json::Value::Null,
            Scalar::Bool(b) => serde_json::Value::Bool(b),
            other => match other.value() {
                Value::Int(i) => serde_json::Value::from(i),
                _ => unreachable!("the other scalars are ints"),
            },
        })
    }
}

fn scalar() -> impl Strategy<Value = Scalar> {
    prop_oneof![
        any::<u8>().prop_map(Scalar::Int1),
        any::<u16>().prop_map(Scalar::Int2),
        any::<i32>().prop_map(Scalar::Int4),
        prop_oneof![any::<f64>(), Just(f64::NAN), Just(-0.0)].prop_map(Scalar::Float),
        Just(Scalar::None),
        any::<bool>().prop_map(Scalar::Bool),
    ]
}

/// Scalars in runs of one kind, and in mixed stretches, as real pickles have them.
fn scalars() -> impl Strategy<Value = Vec<Scalar>> {
    prop::collection::vec((scalar(), 1usize..40, any::<bool>()), 0..12).prop_map(|runs| {
        let mut out = Vec::new();
        for (s, n, same) in runs {
            for i in 0..n {
                // A run of one opcode with varying arguments, or the same value repeated.
                out.push(match (s, same) {
                    (Scalar::Int1(x), false) => Scalar::Int1(x.wrapping_add(i as u8)),
                    (Scalar::Int4(x), false) => Scalar::Int4(x.wrapping_mul(i as i32 + 1)),
                    _ => s,
                });
            }
        }
        out
    })
}

/// `[items]` as a pickle, and the offset of each opcode in it.
fn pickle(items: &[Scalar], framed: bool) -> (Vec<u8>, Vec<usize>) {
    let mut body = vec![b']', b'('];
    let mut starts = vec![0, 1];
    for s in items {
        starts.push(body.len());
        s.write(&mut body);
    }
    starts.push(body.len());
    body.push(b'e');
    starts.push(body.len());
    body.push(b'.');
    let mut out = Vec::new();
    let mut offsets = vec![0];
    if framed {
        out.extend([0x80, 4]);
        offsets.push(out.len());
        out.push(0x95);
        out.extend((body.len() as u64).to_le_bytes());
    } else {
        out.extend([0x80, 2]);
    }
    offsets.extend(starts.iter().map(|s| s + out.len()));
    out.extend(body);
    (out, offsets)
}

/// A reader whose reads return the sizes given, in turn: reads end anywhere, so runs meet the
/// end of what the machine's reader holds in the middle of an opcode.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    turn: usize,
}

impl io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// What the limits make of `[items]`: the offset of the opcode that fails and the limit it
/// breaks, or `None` if it loads. One opcode at a time: the opcode count is checked before each
/// opcode runs, the stack before each push (the list is on it below the items).
fn expected_failure(offsets: &[usize], items: usize, limits: &Limits) -> Option<(usize, &'static str)> {
    let first_item = offsets.len() - items - 2;
    (0..offsets.len()).find_map(|i| {
        if i as u64 >= limits.opcodes {
            Some((offsets[i], "opcode"))
        } else if (first_item..first_item + items).contains(&i) && 1 + (i - first_item) >= limits.stack {
            Some((offsets[i], "stack"))
        } else {
            None
        }
    })
}

fn same_items(got: &[Value], want: &[Scalar]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| match (g, w.value()) {
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (g, w) => *g == w,
        })
}

fn list_items(g: &brinery::Graph) -> Vec<Value> {
    match g.object(g.root()) {
        Some(Object::List(items)) => items.clone(),
        other => panic!("expected a list, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn runs_decode_as_single_opcodes_do(
        items in scalars(),
        framed in any::<bool>(),
        sizes in prop::collection::vec(1usize..23, 1..6),
    ) {
        let (data, _) = pickle(&items, framed);
        let from_slice = list_items(&brinery::loads(&data).unwrap());
        prop_assert!(same_items(&from_slice, &items), "{from_slice:?}");
        let reader = Chunked { data: &data, sizes, turn: 0 };
        let from_reader = list_items(&brinery::load(reader, &LoadOptions::default()).unwrap());
        prop_assert!(same_items(&from_reader, &items), "{from_reader:?}");

        if let Some(want) = items.iter().map(|s| s.json()).collect::<Option<Vec<_>>>() {
            let got: Vec<serde_json::Value> = brinery::from_slice(&data).unwrap();
            prop_assert_eq!(&got, &want);
            let got: Vec<serde_json::Value> = brinery::from_reader(&data[..]).unwrap();
            prop_assert_eq!(&got, &want);
        }
    }

    #[test]
    fn limits_stop_a_run_where_they_stop_single_opcodes(
        items in scalars(),
        framed in any::<bool>(),
        sizes in prop::collection::vec(1usize..23, 1..6),
        opcodes in 0u64..300,
        stack in 1usize..300,
    ) {
        let (data, offsets) = pickle(&items, framed);
        let limits = Limits { opcodes, stack, ..Limits::default() };
        let want = expected_failure(&offsets, items.len(), &limits);
        let opts = LoadOptions::default().limits(limits);
        let outcome = |r: brinery::Result<()>| r.map_err(|e| match e.kind() {
            ErrorKind::Limit { what, .. } => (e.offset().map(|o| o as usize), *what),
            other => panic!("expected a limit, got {other}"),
        });
        let want = want.map_or(Ok(()), |(at, what)| Err((Some(at), what)));
        let reader = Chunked { data: &data, sizes, turn: 0 };
        prop_assert_eq!(outcome(brinery::loads_with(&data, &opts).map(drop)), want, "slice");
        prop_assert_eq!(outcome(brinery::load(reader, &opts).map(drop)), want, "reader");
        let de = DeOptions::new().limits(limits);
        let serde = brinery::from_slice_with::<Vec<serde::de::IgnoredAny>>(&data, &de).map(drop);
        prop_assert_eq!(outcome(serde), want, "serde");
    }
}
