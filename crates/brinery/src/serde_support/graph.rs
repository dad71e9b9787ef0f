//! [`Graph`] and serde: a graph is `Serialize` (its serde view) and `Deserialize` (from any
//! format; from a pickle through brinery's deserializer it is the exact object graph, sharing,
//! cycles and class instances included).

use super::de::{Core, Flags, GRAPH_TOKEN};
use super::natives::{date_text, datetime_text, time_text, uuid_text};
use super::tape::{Bin, Items, Made, Node, Tape, Txt, V};
use crate::error::{Error, Result};
use crate::value::{Buffer, Construct, Global, Graph, Instance, ObjId, Object, PyStr, Value};
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use serde::de::{self, DeserializeSeed, Visitor};
use serde::ser::{self, SerializeMap, SerializeSeq, SerializeTuple};
use std::cell::RefCell;
use std::collections::HashMap;

// ---- tape → graph ------------------------------------------------------------------------

/// The object graph reachable from `root`, as [`crate::loads`] would build it.
pub(crate) fn tape_to_graph(tape: &Tape<'_>, root: V) -> Result<Graph> {
    const NONE: u32 = u32::MAX;
    let mut map = vec![NONE; tape.nodes.len()];
    let mut order: Vec<u32> = Vec::new();
    let mut globals: HashMap<(&str, &str), u32> = HashMap::new();
    let mut g = Graph::new();
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        let V::N(id) = v else { continue };
        let Some(node) = tape.nodes.get(id as usize) else { continue };
        if map[id as usize] != NONE {
            continue;
        }
        if let Node::Global(gl) = node {
            if let Some(&o) = globals.get(&(gl.0.as_str(), gl.1.as_str())) {
                map[id as usize] = o;
                continue;
            }
            globals.insert((gl.0.as_str(), gl.1.as_str()), g.objects.len() as u32);
        }
        map[id as usize] = g.objects.len() as u32;
        g.objects.push(Object::Ext(0));
        order.push(id);
        match node {
            Node::List(items) | Node::Tuple(items) | Node::Set(items) | Node::FrozenSet(items) => {
                stack.extend(tape.seq(items).iter().rev())
            }
            Node::Dict(pairs) => {
                for &(k, v) in tape.kv(pairs).iter().rev() {
                    stack.push(v);
                    stack.push(k);
                }
            }
            Node::Instance(inst) => {
                stack.push(inst.callable);
                stack.push(inst.args);
                stack.extend(inst.kwargs);
                stack.extend(inst.state);
                stack.extend(inst.list_items.iter().rev());
                for &(k, v) in inst.dict_items.iter().rev() {
                    stack.push(v);
                    stack.push(k);
                }
            }
            Node::PersistentId(pid) => stack.push(*pid),
            _ => {}
        }
    }
    let mv = |v: V| -> Value {
        match v {
            V::None => Value::None,
            V::Bool(b) => Value::Bool(b),
            V::Int(i) => Value::Int(i),
            V::Float(f) => Value::Float(f),
            V::N(id) => Value::Ref(ObjId(map[id as usize])),
        }
    };
    for &id in &order {
        let obj = match &tape.nodes[id as usize] {
            Node::Str(t) => Object::Str(PyStr::from(tape.str_of(*t))),
            Node::Surrogates(b) => Object::Str(PyStr::from_slice(b).map_err(Error::invalid)?),
            Node::Bytes(b) => Object::Bytes(tape.bytes_of(*b).into()),
            Node::ByteArray(b) => Object::ByteArray(tape.bytes_of(*b).to_vec()),
            Node::Big(n) => Object::Int(Box::new(n.clone())),
            Node::List(items) => Object::List(tape.seq(items).iter().map(|&v| mv(v)).collect()),
            Node::Tuple(items) => Object::Tuple(tape.seq(items).iter().map(|&v| mv(v)).collect()),
            Node::Dict(_) => Object::Dict(Default::default()),
            Node::Set(_) => Object::Set(Default::default()),
            Node::FrozenSet(_) => Object::FrozenSet(Default::default()),
            Node::Global(gl) => Object::Global(Box::new(Global { module: gl.0.clone(), name: gl.1.clone() })),
            Node::Instance(inst) => Object::Instance(Box::new(Instance {
                construct: match inst.made {
                    Made::Reduce => Construct::Reduce,
                    Made::NewObj => Construct::NewObj,
                    Made::NewObjEx => Construct::NewObjEx,
                    Made::Inst => Construct::Inst,
                    Made::Obj => Construct::Obj,
                },
                callable: mv(inst.callable),
                args: mv(inst.args),
                kwargs: inst.kwargs.map(mv),
                state: inst.state.map(mv),
                list_items: inst.list_items.iter().map(|&v| mv(v)).collect(),
                dict_items: inst.dict_items.iter().map(|&(k, v)| (mv(k), mv(v))).collect(),
            })),
            Node::PersistentId(pid) => Object::PersistentId(mv(*pid)),
            Node::Ext(code) => Object::Ext(*code),
            Node::Buffer(data, readonly) => {
                Object::Buffer(Box::new(Buffer { data: data.clone(), readonly: *readonly }))
            }
        };
        g.objects[map[id as usize] as usize] = obj;
    }
    // Keys are hashed once their objects exist: frozensets first (in the order the pickle made
    // them, so nested ones come first), then sets and dicts.
    let mut by_creation = order.clone();
    by_creation.sort_unstable();
    for pass in 0..2 {
        for &id in &by_creation {
            let target = mv(V::N(id));
            match (&tape.nodes[id as usize], pass) {
                (Node::FrozenSet(items), 0) | (Node::Set(items), 1) => {
                    for &item in tape.seq(items) {
                        g.set_add(target, mv(item))?;
                    }
                }
                (Node::Dict(pairs), 1) => {
                    for &(k, v) in tape.kv(pairs) {
                        g.dict_insert(target, mv(k), mv(v))?;
                    }
                }
                _ => {}
            }
        }
    }
    // Known stdlib calls become natives, as the graph builder makes them.
    for &id in &by_creation {
        if matches!(tape.nodes[id as usize], Node::Instance(_)) {
            nativize(&mut g, ObjId(map[id as usize]))?;
        }
    }
    g.set_root(mv(root));
    Ok(g)
}

/// Replay what the graph builder does with an instance: a native from its call, then its items
/// and state applied to that native; or a native from its state (`uuid.UUID`).
fn nativize(g: &mut Graph, id: ObjId) -> Result<()> {
    let Object::Instance(inst) = g.get(id) else { return Ok(()) };
    let args: Option<Vec<Value>> = match g.object(inst.args) {
        Some(Object::Tuple(items)) => Some(items.clone()),
        _ => None,
    };
    let name = match g.object(inst.callable) {
        Some(Object::Global(gl)) => Some((gl.module.clone(), gl.name.clone())),
        _ => None,
    };
    let native = match (name, args, inst.construct) {
        (Some((m, n)), Some(args), Construct::Reduce) => crate::natives::from_call(g, &m, &n, &args)?,
        (Some((m, n)), Some(args), Construct::NewObj) => crate::natives::from_new(g, &m, &n, &args)?,
        _ => None,
    };
    let Object::Instance(inst) = g.get(id) else { return Ok(()) };
    let (state, list_items, dict_items) = (inst.state, inst.list_items.clone(), inst.dict_items.clone());
    match native {
        Some(native) => {
            *g.get_mut(id) = native;
            for (k, v) in dict_items {
                g.dict_insert(Value::Ref(id), k, v)?;
            }
            if !list_items.is_empty() {
                match g.get_mut(id) {
                    Object::List(v) => v.extend(list_items),
                    Object::Deque(d) => d.items.extend(list_items),
                    other => {
                        return Err(Error::type_error(format!(
                            "'{}' object has no attribute 'append'",
                            other.type_name()
                        )))
                    }
                }
            }
            match state {
                None | Some(Value::None) => Ok(()),
                Some(state) => {
                    // As the graph builder does with extra state on a known type: back to the
                    // general inert form, which keeps it.
                    if let Some(native) = crate::natives::from_build(g, id, state) {
                        *g.get_mut(id) = native;
                        return Ok(());
                    }
                    if crate::natives::is_native(g.get(id)) {
                        crate::natives::to_instance(g, id)?;
                    }
                    match g.get_mut(id) {
                        Object::Instance(inst) => {
                            inst.state = Some(state);
                            Ok(())
                        }
                        other => {
                            Err(Error::type_error(format!("BUILD of a '{}' object with state", other.type_name())))
                        }
                    }
                }
            }
        }
        None => {
            if let (Some(state), true, true) = (state, list_items.is_empty(), dict_items.is_empty()) {
                if let Object::Instance(inst) = g.get_mut(id) {
                    inst.state = None;
                }
                match crate::natives::from_build(g, id, state) {
                    Some(native) => *g.get_mut(id) = native,
                    None => {
                        if let Object::Instance(inst) = g.get_mut(id) {
                            inst.state = Some(state);
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

thread_local! {
    static HANDED: RefCell<Option<Graph>> = const { RefCell::new(None) };
}

/// Give `graph` to the [`Graph`] visitor that asked for it with [`GRAPH_TOKEN`].
pub(crate) fn hand_over<'de, Vi: Visitor<'de>>(graph: Graph, visitor: Vi) -> Result<Vi::Value> {
    HANDED.with(|h| *h.borrow_mut() = Some(graph));
    let r = visitor.visit_newtype_struct(HandOff);
    HANDED.with(|h| h.borrow_mut().take());
    r
}

/// What a foreign visitor sees if it asked for the graph token: a unit.
struct HandOff;

impl<'de> de::Deserializer<'de> for HandOff {
    type Error = Error;

    fn deserialize_any<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

// ---- Deserialize for Graph -----------------------------------------------------------------

/// A [`Graph`] deserializes from any serde format. From a pickle (through
/// [`from_slice`](crate::from_slice) and friends) it is exactly the object graph
/// [`loads`](crate::loads) builds, even as a field of a larger struct; from other formats it
/// is the plain data they carry (dicts, lists, str, bytes, ints, floats, bools, None).
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Envelope {
///     id: u32,
///     payload: brinery::Graph, // any Python data, kept whole
/// }
/// // Python: pickle.dumps({'id': 7, 'payload': {1, 2}}, protocol=4)
/// let data = b"\x80\x04\x95\x1e\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x02id\x94K\x07\x8c\x07payload\x94\x8f\x94(K\x01K\x02\x90u.";
/// let e: Envelope = brinery::from_slice(data).unwrap();
/// assert_eq!(e.id, 7);
/// assert!(matches!(e.payload.object(e.payload.root()), Some(brinery::Object::Set(s)) if s.len() == 2));
///
/// let from_json: brinery::Graph = serde_json::from_str(r#"{"a": [1, 2.5, null]}"#).unwrap();
/// assert_eq!(brinery::dumps(&from_json, 2).unwrap(), brinery::dumps(&brinery::loads(
///     b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00Nes.").unwrap(), 2).unwrap());
/// ```
impl<'de> de::Deserialize<'de> for Graph {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> std::result::Result<Graph, D::Error> {
        deserializer.deserialize_newtype_struct(GRAPH_TOKEN, GraphVisitor)
    }
}

struct GraphVisitor;

macro_rules! one_value {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<E: de::Error>(self, $($arg: $ty),*) -> std::result::Result<Graph, E> {
            let mut g = Graph::new();
            let root = Builder { g: &mut g }.$method($($arg),*)?;
            g.set_root(root);
            Ok(g)
        }
    )*};
}

impl<'de> Visitor<'de> for GraphVisitor {
    type Value = Graph;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Graph, D::Error> {
        if let Some(g) = HANDED.with(|h| h.borrow_mut().take()) {
            return Ok(g);
        }
        let mut g = Graph::new();
        let root = Builder { g: &mut g }.deserialize(d)?;
        g.set_root(root);
        Ok(g)
    }

    one_value! {
        visit_bool(v: bool); visit_i64(v: i64); visit_u64(v: u64); visit_i128(v: i128); visit_u128(v: u128);
        visit_f64(v: f64); visit_str(v: &str); visit_bytes(v: &[u8]); visit_unit();
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<Graph, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Graph, D::Error> {
        self.visit_newtype_struct(d)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> std::result::Result<Graph, A::Error> {
        let mut g = Graph::new();
        let root = Builder { g: &mut g }.visit_seq(seq)?;
        g.set_root(root);
        Ok(g)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> std::result::Result<Graph, A::Error> {
        let mut g = Graph::new();
        let root = Builder { g: &mut g }.visit_map(map)?;
        g.set_root(root);
        Ok(g)
    }
}

/// Adds one deserialized value to a graph.
struct Builder<'g> {
    g: &'g mut Graph,
}

impl<'de> DeserializeSeed<'de> for Builder<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Builder<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(self.g.int(BigInt::from(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> std::result::Result<Value, E> {
        Ok(self.g.int(BigInt::from(v)))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> std::result::Result<Value, E> {
        Ok(self.g.int(BigInt::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(self.g.str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<Value, E> {
        Ok(self.g.bytes(v))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Value, E> {
        Ok(Value::None)
    }
    fn visit_none<E: de::Error>(self) -> std::result::Result<Value, E> {
        Ok(Value::None)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Builder { g: &mut *self.g })? {
            items.push(v);
        }
        Ok(self.g.list(items))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let d = self.g.dict();
        while let Some(k) = map.next_key_seed(Builder { g: &mut *self.g })? {
            let v = map.next_value_seed(Builder { g: &mut *self.g })?;
            self.g.dict_insert(d, k, v).map_err(de::Error::custom)?;
        }
        Ok(d)
    }
}

// ---- graph → tape ------------------------------------------------------------------------

/// The tape of a graph: node `i` is object `i`; natives become their serde view.
pub(crate) fn graph_to_tape(g: &Graph) -> Result<(Tape<'static>, V)> {
    let mut tape = Tape::default();
    let n = g.objects.len();
    let mv = |v: Value| match v {
        Value::None => V::None,
        Value::Bool(b) => V::Bool(b),
        Value::Int(i) => V::Int(i),
        Value::Float(f) => V::Float(f),
        Value::Ref(id) if id.index() < n => V::N(id.0),
        Value::Ref(_) => V::None,
    };
    let tz = |v: Option<Value>| -> Option<Option<i64>> {
        match v {
            None | Some(Value::None) => Some(None),
            Some(v) => match g.object(v) {
                Some(Object::TimeZone(tz)) => match g.object(tz[0]) {
                    Some(Object::TimeDelta(td)) => Some(Some(
                        td.days as i64 * 86_400_000_000 + td.seconds as i64 * 1_000_000 + td.microseconds as i64,
                    )),
                    _ => None,
                },
                _ => None,
            },
        }
    };
    for obj in &g.objects {
        let text = |tape: &mut Tape<'static>, s: &str| {
            let start = tape.text.len();
            tape.text.push_str(s);
            Node::Str(Txt::Heap(start, tape.text.len()))
        };
        let bin = |tape: &mut Tape<'static>, b: &[u8]| {
            let start = tape.bin.len();
            tape.bin.extend_from_slice(b);
            Bin::Heap(start, tape.bin.len())
        };
        let pairs = |d: &crate::Dict| Items::Own(d.iter().map(|(k, v)| (mv(k), mv(v))).collect());
        let seq = |items: &[Value]| Items::Own(items.iter().map(|&v| mv(v)).collect());
        let node = match obj {
            Object::Str(s) => match s.as_str() {
                Some(s) => text(&mut tape, s),
                None => Node::Surrogates(s.as_bytes().to_vec()),
            },
            Object::Bytes(b) => Node::Bytes(bin(&mut tape, b)),
            Object::ByteArray(b) => Node::ByteArray(bin(&mut tape, b)),
            Object::Int(n) => Node::Big((**n).clone()),
            Object::List(items) => Node::List(seq(items)),
            Object::Deque(d) => Node::List(seq(&d.items)),
            Object::Tuple(items) => Node::Tuple(seq(items)),
            Object::Dict(d) | Object::OrderedDict(d) | Object::Counter(d) => Node::Dict(pairs(d)),
            Object::DefaultDict(dd) => Node::Dict(pairs(&dd.dict)),
            Object::Set(s) => Node::Set(seq(s.items())),
            Object::FrozenSet(s) => Node::FrozenSet(seq(s.items())),
            Object::Global(gl) => Node::Global(Box::new((gl.module.clone(), gl.name.clone()))),
            Object::Instance(inst) => Node::Instance(Box::new(super::tape::Inst {
                made: match inst.construct {
                    Construct::Reduce => Made::Reduce,
                    Construct::NewObj => Made::NewObj,
                    Construct::NewObjEx => Made::NewObjEx,
                    Construct::Inst => Made::Inst,
                    Construct::Obj => Made::Obj,
                },
                callable: mv(inst.callable),
                args: mv(inst.args),
                kwargs: inst.kwargs.map(mv),
                state: inst.state.map(mv),
                list_items: inst.list_items.iter().map(|&v| mv(v)).collect(),
                dict_items: inst.dict_items.iter().map(|&(k, v)| (mv(k), mv(v))).collect(),
            })),
            Object::PersistentId(pid) => Node::PersistentId(mv(*pid)),
            Object::Ext(code) => Node::Ext(*code),
            Object::Buffer(b) => Node::Buffer(b.data.clone(), b.readonly),
            Object::Complex(re, im) => Node::Tuple(Items::Own(vec![V::Float(*re), V::Float(*im)])),
            Object::Range(abc) | Object::Slice(abc) => Node::Tuple(seq(&abc[..])),
            Object::Fraction(ab) => Node::Tuple(seq(&ab[..])),
            Object::TimeDelta(td) => {
                let parts = vec![V::Int(td.days.into()), V::Int(td.seconds.into()), V::Int(td.microseconds.into())];
                Node::Tuple(Items::Own(parts))
            }
            Object::TimeZone(tz) => {
                Node::Tuple(Items::Own(tz.iter().copied().filter(|&v| v != Value::None).map(mv).collect()))
            }
            Object::Decimal(s) => text(&mut tape, s),
            Object::Uuid(u) => text(&mut tape, &uuid_text(*u)),
            Object::Date(d) => text(&mut tape, &date_text(d)),
            Object::Time(t) => match tz(t.tzinfo) {
                Some(off) => text(&mut tape, &time_text(t, off)),
                None => return Err(Error::type_error("a time whose tzinfo is not a datetime.timezone")),
            },
            Object::DateTime(dt) => match tz(dt.time.tzinfo) {
                Some(off) => text(&mut tape, &datetime_text(dt, off)),
                None => return Err(Error::type_error("a datetime whose tzinfo is not a datetime.timezone")),
            },
        };
        tape.nodes.push(node);
    }
    Ok((tape, mv(g.root())))
}

// ---- Serialize for Graph -------------------------------------------------------------------

/// Most levels a graph's serde view nests (each uses stack).
const SERIALIZE_DEPTH: usize = 128;

/// A [`Graph`] serializes as its serde view, the same values
/// [`DeOptions::instances_as_state`](crate::DeOptions::instances_as_state) shows: a shared
/// object once per reference, sets as sequences, class instances as their state (or
/// constructor arguments), stdlib objects as in the serde mapping table. A cycle is an
/// error. To write a graph back to a pickle exactly, use [`dumps`](crate::dumps).
///
/// ```
/// // Python: pickle.dumps({'a': (1, b'x')}, protocol=3)
/// let g = brinery::loads(b"\x80\x03}q\x00X\x01\x00\x00\x00aq\x01K\x01C\x01xq\x02\x86q\x03s.").unwrap();
/// assert_eq!(serde_json::to_string(&g).unwrap(), r#"{"a":[1,[120]]}"#);
/// ```
impl ser::Serialize for Graph {
    fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (tape, root) = graph_to_tape(self).map_err(ser::Error::custom)?;
        let flags = Flags {
            instances_as_state: true,
            recursive_as_none: false,
            opaque_as_none: false,
            max_depth: 0,
            max_items: None,
        };
        let mut core = Core::new(tape, root, flags);
        let instances: Vec<u32> = (0..core.tape.nodes.len() as u32)
            .filter(|&i| matches!(core.tape.nodes[i as usize], Node::Instance(_)))
            .collect();
        let mut views = HashMap::new();
        for id in instances {
            views.insert(id, core.view_of(id).map_err(ser::Error::custom)?);
        }
        // A container the graph shares is written once per reference: past this many items in
        // all (a graph of lists that each hold the previous one twice), writing stops.
        let budget = ItemBudget { spent: std::cell::Cell::new(0), limit: super::de::default_max_items(&core.tape) };
        TapeView { tape: &core.tape, views: &views, budget: &budget, v: root, depth: 0, parent: None }.serialize(s)
    }
}

/// Container items written so far, and the most that may be.
struct ItemBudget {
    spent: std::cell::Cell<usize>,
    limit: usize,
}

struct TapeView<'a, 't> {
    tape: &'a Tape<'t>,
    views: &'a HashMap<u32, V>,
    budget: &'a ItemBudget,
    v: V,
    depth: usize,
    parent: Option<&'a TapeView<'a, 't>>,
}

impl<'a, 't> TapeView<'a, 't> {
    fn child(&'a self, v: V) -> TapeView<'a, 't> {
        TapeView {
            tape: self.tape,
            views: self.views,
            budget: self.budget,
            v,
            depth: self.depth + 1,
            parent: Some(self),
        }
    }

    /// Count `n` more items written; an error past the budget.
    fn spend<E: ser::Error>(&self, n: usize) -> std::result::Result<(), E> {
        let spent = self.budget.spent.get().saturating_add(n);
        self.budget.spent.set(spent);
        if spent > self.budget.limit {
            return Err(E::custom(format!(
                "more than {} items to write: the graph shares containers, which serde writes once per reference",
                self.budget.limit
            )));
        }
        Ok(())
    }

    fn on_path(&self, id: u32) -> bool {
        let mut p = self.parent;
        while let Some(view) = p {
            if view.v == V::N(id) {
                return true;
            }
            p = view.parent;
        }
        false
    }
}

impl ser::Serialize for TapeView<'_, '_> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use ser::Error as _;
        let id = match self.v {
            V::None => return s.serialize_none(),
            V::Bool(b) => return s.serialize_bool(b),
            V::Int(i) => return s.serialize_i64(i),
            V::Float(f) => return s.serialize_f64(f),
            V::N(id) => id,
        };
        if self.depth > SERIALIZE_DEPTH {
            return Err(S::Error::custom(format!("a graph nested deeper than {SERIALIZE_DEPTH} levels")));
        }
        if self.on_path(id) {
            return Err(S::Error::custom("recursive structure (an object contains itself)"));
        }
        let t = self.tape;
        match &t.nodes[id as usize] {
            Node::Str(txt) => s.serialize_str(t.str_of(*txt)),
            Node::Surrogates(_) => Err(S::Error::custom("a str with lone surrogates")),
            Node::Bytes(b) | Node::ByteArray(b) => s.serialize_bytes(t.bytes_of(*b)),
            Node::Big(n) => {
                if let Some(i) = n.to_i128() {
                    s.serialize_i128(i)
                } else if let Some(u) = n.to_u128() {
                    s.serialize_u128(u)
                } else {
                    Err(S::Error::custom(format!("an int of {} bits does not fit in 128 bits", n.bits())))
                }
            }
            Node::List(items) | Node::Set(items) | Node::FrozenSet(items) => {
                let items = t.seq(items);
                self.spend(items.len())?;
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for &item in items {
                    seq.serialize_element(&self.child(item))?;
                }
                seq.end()
            }
            Node::Tuple(items) => {
                let items = t.seq(items);
                self.spend(items.len())?;
                let mut tup = s.serialize_tuple(items.len())?;
                for &item in items {
                    tup.serialize_element(&self.child(item))?;
                }
                tup.end()
            }
            Node::Dict(pairs) => {
                let pairs = t.kv(pairs);
                self.spend(pairs.len())?;
                let mut map = s.serialize_map(Some(pairs.len()))?;
                for &(k, v) in pairs {
                    map.serialize_entry(&self.child(k), &self.child(v))?;
                }
                map.end()
            }
            Node::Global(gl) => s.serialize_str(&format!("{}.{}", gl.0, gl.1)),
            Node::Instance(_) => match self.views.get(&id) {
                Some(&v) => TapeView { v, ..self.child(v) }.serialize(s),
                None => Err(S::Error::custom("internal: instance without a view")),
            },
            Node::PersistentId(pid) => self.child(*pid).serialize(s),
            Node::Buffer(Some(data), _) => s.serialize_bytes(data),
            other => Err(S::Error::custom(format!("no serde view of a '{}' object", other.type_name()))),
        }
    }
}
