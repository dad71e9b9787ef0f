//! Random graphs of every object kind, cycles included: printing never panics, never runs
//! away, and stays within the output cap.

use super::{repr, PrettyPrinter};
use crate::value::{
    Buffer, Construct, Date, DateTime, DefaultDict, Deque, Dict, Graph, Instance, Object, Time, TimeDelta, Value,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn scalar(r: &mut Rng) -> Value {
    match r.below(6) {
        0 => Value::None,
        1 => Value::Bool(r.below(2) == 1),
        2 => Value::Int(r.next() as i64 >> r.below(64)),
        3 => Value::Float(f64::from_bits(r.next())),
        4 => Value::Float([0.0, -0.0, 1.5, f64::NAN, f64::INFINITY, 1e300][r.below(6)]),
        _ => Value::Int(r.below(10) as i64 - 3),
    }
}

/// A graph of `n` objects of random kinds pointing at each other anywhere (cycles included).
fn random_graph(r: &mut Rng, n: usize) -> Graph {
    let mut g = Graph::new();
    for _ in 0..n {
        let obj = match r.below(30) {
            0 => Object::Str(
                crate::PyStr::from_code_points((0..r.below(12)).map(|_| match r.below(4) {
                    0 => 0xd800 + r.below(0x800) as u32,
                    1 => r.below(0x110000) as u32,
                    2 => [0x20, 0x27, 0x22, 0x0a, 0x09, 0x85][r.below(6)],
                    _ => 0x61 + r.below(26) as u32,
                }))
                .unwrap_or_else(|| crate::PyStr::from("?")),
            ),
            1 => Object::Bytes((0..r.below(20)).map(|_| r.next() as u8).collect()),
            2 => Object::ByteArray((0..r.below(9)).map(|_| r.next() as u8).collect()),
            3 => Object::Int(Box::new(num_bigint::BigInt::from(r.next()) * num_bigint::BigInt::from(r.next()) - 7)),
            4 | 5 => Object::List(Vec::new()),
            6 | 7 => Object::Tuple(Vec::new()),
            8 | 9 => Object::Dict(Box::default()),
            10 => Object::Set(Box::default()),
            11 => Object::FrozenSet(Box::default()),
            12 => Object::Global(Box::new(crate::Global {
                module: ["builtins", "collections", "mod", "copyreg", "functools"][r.below(5)].into(),
                name: ["int", "len", "OrderedDict", "Thing", "_reconstructor", "__newobj__", "partial", "a.B"]
                    [r.below(8)]
                .into(),
            })),
            13 | 14 => Object::Instance(Box::new(Instance {
                construct: [Construct::Reduce, Construct::NewObj, Construct::NewObjEx, Construct::Inst, Construct::Obj]
                    [r.below(5)],
                callable: scalar(r),
                args: scalar(r),
                kwargs: None,
                state: None,
                list_items: Vec::new(),
                dict_items: Vec::new(),
            })),
            15 => Object::PersistentId(scalar(r)),
            16 => Object::Ext(r.next() as i32),
            17 => Object::Buffer(Box::new(Buffer {
                data: (r.below(2) == 0).then(|| vec![1, 2, 3]),
                readonly: r.below(2) == 0,
            })),
            18 => Object::Complex(f64::from_bits(r.next()), [0.0, -0.0, 2.0][r.below(3)]),
            19 => Object::Range(Box::new([scalar(r), scalar(r), scalar(r)])),
            20 => Object::Slice(Box::new([scalar(r), scalar(r), scalar(r)])),
            21 => Object::Date(Date { year: r.below(10000) as u16, month: r.below(13) as u8, day: 1 }),
            22 | 23 => {
                let time = Time {
                    hour: r.below(24) as u8,
                    minute: r.below(60) as u8,
                    second: r.below(2) as u8,
                    microsecond: r.below(2) as u32,
                    fold: r.below(2) == 1,
                    tzinfo: None,
                };
                if r.below(2) == 0 {
                    Object::Time(time)
                } else {
                    Object::DateTime(Box::new(DateTime { date: Date { year: 2000, month: 1, day: 1 }, time }))
                }
            }
            24 => Object::TimeDelta(TimeDelta { days: r.next() as i32, seconds: 5, microseconds: 0 }),
            25 => Object::TimeZone(Box::new([scalar(r), Value::None])),
            26 => Object::Decimal(
                ["1.5", "-0", "NaN12", "sNaN", "1e999999999999", "x", "", "1_0.0_1e-3"][r.below(8)].into(),
            ),
            27 => Object::Fraction(Box::new([scalar(r), scalar(r)])),
            28 => Object::Deque(Box::new(Deque {
                items: Vec::new(),
                maxlen: if r.below(2) == 0 { Value::None } else { scalar(r) },
            })),
            _ => match r.below(3) {
                0 => Object::OrderedDict(Box::default()),
                1 => Object::DefaultDict(Box::new(DefaultDict { factory: scalar(r), dict: Dict::default() })),
                _ => Object::Counter(Box::default()),
            },
        };
        g.add(obj);
    }
    let pick = |r: &mut Rng, g: &Graph| -> Value {
        if r.below(3) == 0 || g.is_empty() {
            scalar(r)
        } else {
            Value::Ref(crate::ObjId(r.below(g.len()) as u32))
        }
    };
    for i in 0..n {
        let id = crate::ObjId(i as u32);
        let count = r.below(6);
        let kids: Vec<Value> = (0..count).map(|_| pick(r, &g)).collect();
        // Keys: scalars and leaves (brinery's own key hashing walks tuples without memo).
        let keys: Vec<Value> = (0..count)
            .map(|_| {
                let v = pick(r, &g);
                match g.object(v) {
                    Some(Object::Str(_) | Object::Bytes(_) | Object::Int(_) | Object::Global(_)) => v,
                    _ => scalar(r),
                }
            })
            .collect();
        match g.get(id).clone() {
            Object::List(_) => *g.get_mut(id) = Object::List(kids),
            // Tuples point backwards only, as pickles make them.
            Object::Tuple(_) => {
                let kids = kids.into_iter().filter(|v| v.id().is_none_or(|k| k.index() < i)).collect();
                *g.get_mut(id) = Object::Tuple(kids)
            }
            Object::Deque(dq) => *g.get_mut(id) = Object::Deque(Box::new(Deque { items: kids, maxlen: dq.maxlen })),
            Object::Dict(_) | Object::OrderedDict(_) | Object::DefaultDict(..) | Object::Counter(_) => {
                for (k, v) in keys.into_iter().zip(kids) {
                    let _ = g.dict_insert(Value::Ref(id), k, v);
                }
            }
            Object::Set(_) | Object::FrozenSet(_) => {
                for k in keys {
                    let _ = g.set_add(Value::Ref(id), k);
                }
            }
            Object::Instance(mut inst) => {
                inst.callable = pick(r, &g);
                inst.args = pick(r, &g);
                inst.kwargs = (r.below(3) == 0).then(|| pick(r, &g));
                inst.state = (r.below(2) == 0).then(|| pick(r, &g));
                inst.list_items = kids.clone();
                if r.below(2) == 0 {
                    inst.list_items.clear();
                    inst.dict_items = keys.into_iter().zip(kids).collect();
                }
                *g.get_mut(id) = Object::Instance(inst);
            }
            Object::PersistentId(_) => *g.get_mut(id) = Object::PersistentId(pick(r, &g)),
            Object::Slice(..) => *g.get_mut(id) = Object::Slice(Box::new([pick(r, &g), pick(r, &g), pick(r, &g)])),
            Object::TimeZone(..) => *g.get_mut(id) = Object::TimeZone(Box::new([pick(r, &g), pick(r, &g)])),
            Object::Time(mut t) => {
                t.tzinfo = Some(pick(r, &g));
                *g.get_mut(id) = Object::Time(t);
            }
            Object::DateTime(mut dt) => {
                dt.time.tzinfo = Some(pick(r, &g));
                *g.get_mut(id) = Object::DateTime(dt);
            }
            _ => {}
        }
    }
    g
}

#[test]
fn random_graphs_print() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..400 {
        let n = 1 + r.below(if round % 10 == 0 { 200 } else { 25 });
        let g = random_graph(&mut r, n);
        let root = Value::Ref(crate::ObjId(r.below(n) as u32));
        let p = PrettyPrinter::new()
            .width(1 + r.below(100))
            .indent(r.below(4))
            .depth((r.below(3) == 0).then(|| 1 + r.below(4)))
            .compact(r.below(2) == 0)
            .sort_dicts(r.below(4) != 0)
            .underscore_numbers(r.below(2) == 0)
            .max_output(20_000);
        let out = p.pformat(&g, root);
        assert!(out.len() <= 20_000 + 64, "round {round}: {} bytes", out.len());
        let rep = p.repr(&g, root);
        assert!(rep.len() <= 20_000 + 64);
        let _ = repr(&g, Value::Int(0));
    }
}

#[test]
fn every_root_kind_alone() {
    let mut r = Rng(12345);
    let g = random_graph(&mut r, 300);
    for i in 0..g.len() {
        let v = Value::Ref(crate::ObjId(i as u32));
        for width in [1, 20, 80] {
            let out = PrettyPrinter::new().width(width).max_output(50_000).pformat(&g, v);
            assert!(out.len() <= 50_064);
        }
    }
}

#[test]
fn big_dicts_sort_fully() {
    let mut g = Graph::new();
    let d = g.dict();
    let n = 200_000;
    for i in (0..n).rev() {
        let k = g.str(&format!("k{i:07}"));
        g.dict_insert(d, k, Value::Int(i)).unwrap();
    }
    let out = super::pformat(&g, d, 80);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), n as usize);
    assert_eq!(lines[0], "{'k0000000': 0,");
    assert!(lines.windows(2).all(|w| w[0][1..] < w[1][1..]));
    assert_eq!(lines[n as usize - 1], " 'k0199999': 199999}");
}
