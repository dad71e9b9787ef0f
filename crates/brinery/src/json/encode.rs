//! Graph → lossless JSON.

use super::tree::J;
use super::MAX_INLINE;
use crate::value::{Construct, Date, Global, Graph, ObjId, Object, PyStr, Time, Value};
use base64::Engine as _;
use num_bigint::BigInt;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

/// Ints with more bits than this are written in hexadecimal (decimal conversion is quadratic).
pub(crate) const DECIMAL_INT_BITS: u64 = 14_000;

/// Walks a graph once, writing shared objects (and objects nested deeper than [`MAX_INLINE`])
/// to the table in order of first appearance and every other object inline.
pub(crate) struct Encoder<'g> {
    g: &'g Graph,
    /// References to each object from the reachable graph (saturating at 2).
    refs: Vec<u8>,
    /// Table id + 1 of each object written to the table (0: not in the table).
    table: Vec<u32>,
    queue: VecDeque<ObjId>,
    next: u32,
    /// The document's str for each text: the first str object met with it.
    strs: HashMap<&'g str, usize>,
    /// The document's global for each name: the first global object met with it.
    globals: HashMap<(&'g str, &'g str), usize>,
    /// The document's empty tuple: the first met.
    empty_tuple: Option<usize>,
}

/// Count the references to each object reachable from the root (0, 1 or 2 for "more").
pub(crate) fn count_refs(g: &Graph) -> Vec<u8> {
    let mut refs = vec![0u8; g.len()];
    let mut stack: Vec<ObjId> = Vec::new();
    let bump = |v: Value, refs: &mut Vec<u8>, stack: &mut Vec<ObjId>| {
        if let Value::Ref(id) = v {
            if let Some(r) = refs.get_mut(id.index()) {
                if *r == 0 {
                    stack.push(id);
                }
                *r = r.saturating_add(1).min(2);
            }
        }
    };
    bump(g.root(), &mut refs, &mut stack);
    while let Some(id) = stack.pop() {
        if let Some(obj) = g.try_get(id) {
            obj.for_each_value(|v| bump(v, &mut refs, &mut stack));
        }
    }
    refs
}

impl<'g> Encoder<'g> {
    pub(crate) fn new(g: &'g Graph) -> Self {
        Encoder {
            g,
            refs: count_refs(g),
            table: vec![0; g.len()],
            queue: VecDeque::new(),
            next: 0,
            strs: HashMap::new(),
            globals: HashMap::new(),
            empty_tuple: None,
        }
    }

    /// The root value (call first: it starts the table).
    pub(crate) fn root(&mut self) -> J {
        self.value(self.g.root(), 0)
    }

    /// Whether table entries are waiting to be written.
    pub(crate) fn has_entries(&self) -> bool {
        !self.queue.is_empty()
    }

    /// The next table entry, in id order.
    pub(crate) fn next_entry(&mut self) -> Option<J> {
        let id = self.queue.pop_front()?;
        Some(self.node(id, 0))
    }

    fn value(&mut self, v: Value, depth: u32) -> J {
        match v {
            Value::None => J::Null,
            Value::Bool(b) => J::Bool(b),
            Value::Int(i) => J::I64(i),
            Value::Float(f) => float(f),
            Value::Ref(id) => {
                let g = self.g;
                let i = id.index();
                // Strs, globals and the empty tuple are written by content when they are the
                // document's own for that content (the first met), wherever they are used.
                match g.try_get(id) {
                    None => return J::tag("$dangling", J::U64(i as u64)),
                    Some(Object::Str(s)) => {
                        if let Some(t) = s.as_str() {
                            if *self.strs.entry(t).or_insert(i) == i {
                                return J::str(t);
                            }
                        }
                    }
                    Some(Object::Global(gl)) => {
                        if *self.globals.entry((gl.module.as_str(), gl.name.as_str())).or_insert(i) == i {
                            return global_node(gl);
                        }
                    }
                    Some(Object::Tuple(items)) if items.is_empty() => {
                        if *self.empty_tuple.get_or_insert(i) == i {
                            return J::tag("$tuple", J::Arr(Vec::new()));
                        }
                    }
                    Some(_) => {}
                }
                if self.table[i] == 0 && (self.refs[i] >= 2 || depth >= MAX_INLINE) {
                    self.table[i] = self.next + 1;
                    self.next += 1;
                    self.queue.push_back(id);
                }
                match self.table[i] {
                    0 => self.node(id, depth + 1),
                    t => J::tag("$ref", J::U64(u64::from(t - 1))),
                }
            }
        }
    }

    fn values(&mut self, items: &[Value], depth: u32) -> J {
        J::Arr(items.iter().map(|&v| self.value(v, depth)).collect())
    }

    fn pairs(&mut self, pairs: &[(Value, Value)], depth: u32) -> J {
        J::Arr(pairs.iter().map(|&(k, v)| J::Arr(vec![self.value(k, depth), self.value(v, depth)])).collect())
    }

    /// An object's node.
    fn node(&mut self, id: ObjId, d: u32) -> J {
        let g = self.g;
        let Some(obj) = g.try_get(id) else { return J::tag("$dangling", J::U64(id.index() as u64)) };
        let mut fields: Vec<(&'static str, J)> = Vec::new();
        let tag = match obj {
            // A str or global here is not the document's one for its content: a separate object.
            Object::Str(s) => {
                return match s.as_str() {
                    Some(t) => J::tag("$str", J::str(t)),
                    None => J::tag("$str", str_segments(s)),
                }
            }
            Object::List(items) => return self.values(items, d),
            Object::Bytes(b) => ("$bytes", J::Str(b64(b))),
            Object::ByteArray(b) => ("$bytearray", J::Str(b64(b))),
            Object::Int(n) => ("$int", J::Str(int_text(n))),
            Object::Tuple(items) => {
                if items.is_empty() {
                    // Not the document's empty tuple.
                    fields.push(("new", J::Bool(true)));
                }
                ("$tuple", self.values(items, d))
            }
            Object::Dict(dict) => ("$dict", self.pairs(dict.entries(), d)),
            Object::Set(s) => ("$set", self.values(s.items(), d)),
            Object::FrozenSet(s) => ("$frozenset", self.values(s.items(), d)),
            Object::Global(gl) => {
                fields.push(("new", J::Bool(true)));
                ("$global", J::Arr(vec![J::str(gl.module.as_str()), J::str(gl.name.as_str())]))
            }
            Object::Instance(inst) => {
                fields.push(("callable", self.value(inst.callable, d)));
                fields.push(("args", self.value(inst.args, d)));
                if let Some(kw) = inst.kwargs {
                    fields.push(("kwargs", self.value(kw, d)));
                }
                if let Some(state) = inst.state {
                    fields.push(("state", self.value(state, d)));
                }
                if !inst.list_items.is_empty() {
                    fields.push(("list_items", self.values(&inst.list_items, d)));
                }
                if !inst.dict_items.is_empty() {
                    fields.push(("dict_items", self.pairs(&inst.dict_items, d)));
                }
                ("$instance", J::str(construct_name(inst.construct)))
            }
            Object::PersistentId(pid) => ("$persistent_id", self.value(*pid, d)),
            Object::Ext(code) => ("$ext", J::I64(i64::from(*code))),
            Object::Buffer(buf) => {
                if buf.readonly {
                    fields.push(("readonly", J::Bool(true)));
                }
                ("$buffer", buf.data.as_deref().map_or(J::Null, |b| J::Str(b64(b))))
            }
            Object::Complex(re, im) => ("$complex", J::Arr(vec![float(*re), float(*im)])),
            Object::Range(r) => ("$range", self.values(&r[..], d)),
            Object::Slice(r) => ("$slice", self.values(&r[..], d)),
            Object::Date(date) => ("$date", J::Str(date_text(date))),
            Object::Time(t) => {
                self.time_fields(t, &mut fields, d);
                ("$time", J::Str(time_text(t)))
            }
            Object::DateTime(dt) => {
                self.time_fields(&dt.time, &mut fields, d);
                ("$datetime", J::Str(format!("{}T{}", date_text(&dt.date), time_text(&dt.time))))
            }
            Object::TimeDelta(td) => (
                "$timedelta",
                J::Arr(vec![
                    J::I64(i64::from(td.days)),
                    J::I64(i64::from(td.seconds)),
                    J::I64(i64::from(td.microseconds)),
                ]),
            ),
            Object::TimeZone(tz) => {
                let [offset, name] = **tz;
                let offset = self.value(offset, d);
                if name != Value::None {
                    fields.push(("name", self.value(name, d)));
                }
                ("$timezone", offset)
            }
            Object::Decimal(s) => ("$decimal", J::str(&**s)),
            Object::Uuid(u) => ("$uuid", J::Str(uuid_text(*u))),
            Object::Fraction(nd) => ("$fraction", self.values(&nd[..], d)),
            Object::OrderedDict(dict) => ("$ordereddict", self.pairs(dict.entries(), d)),
            Object::DefaultDict(dd) => {
                let pairs = self.pairs(dd.dict.entries(), d);
                fields.push(("factory", self.value(dd.factory, d)));
                ("$defaultdict", pairs)
            }
            Object::Deque(dq) => {
                let items = self.values(&dq.items, d);
                if dq.maxlen != Value::None {
                    fields.push(("maxlen", self.value(dq.maxlen, d)));
                }
                ("$deque", items)
            }
            Object::Counter(dict) => ("$counter", self.pairs(dict.entries(), d)),
        };
        let mut entries = Vec::with_capacity(fields.len() + 1);
        entries.push((Cow::Borrowed(tag.0), tag.1));
        entries.extend(fields.into_iter().map(|(k, v)| (Cow::Borrowed(k), v)));
        J::Obj(entries)
    }

    fn time_fields(&mut self, t: &Time, fields: &mut Vec<(&'static str, J)>, d: u32) {
        if t.fold {
            fields.push(("fold", J::Bool(true)));
        }
        if let Some(tz) = t.tzinfo {
            fields.push(("tzinfo", self.value(tz, d)));
        }
    }
}

fn global_node(gl: &Global) -> J {
    J::tag("$global", J::Arr(vec![J::str(gl.module.as_str()), J::str(gl.name.as_str())]))
}

pub(crate) fn construct_name(c: Construct) -> &'static str {
    match c {
        Construct::Reduce => "reduce",
        Construct::NewObj => "newobj",
        Construct::NewObjEx => "newobj_ex",
        Construct::Inst => "inst",
        Construct::Obj => "obj",
    }
}

pub(crate) fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// A float as a plain JSON number when serde_json reads that number back to the same bits,
/// otherwise as `{"$float": text}`.
pub(crate) fn float(f: f64) -> J {
    if plain_float_round_trips(f) {
        J::F64(f)
    } else {
        J::tag("$float", J::Str(float_text(f)))
    }
}

/// Whether serde_json, as built, reads the number it writes for `f` back as the same float.
/// With serde_json's `float_roundtrip` feature (which brinery-cli turns on) that is every finite
/// float; without it, serde_json's faster parser misses the last bit of about a third of all
/// floats with large exponents or 17 digits, and those are written as `{"$float": text}`.
fn plain_float_round_trips(f: f64) -> bool {
    if !f.is_finite() {
        return false;
    }
    let Ok(text) = serde_json::to_string(&f) else { return false };
    // A number without a fraction or exponent would read back as an int.
    text.contains(['.', 'e', 'E']) && serde_json::from_str::<f64>(&text).is_ok_and(|g| g.to_bits() == f.to_bits())
}

/// The text of a `$float`: `nan` (the usual quiet NaN), `inf`, `-inf`, the exact bits as
/// `0x` + 16 hex digits for any other NaN, or Python's repr of a finite float.
pub(crate) fn float_text(f: f64) -> String {
    if f.is_nan() {
        if f.to_bits() == f64::NAN.to_bits() {
            "nan".into()
        } else {
            format!("0x{:016x}", f.to_bits())
        }
    } else {
        crate::float_repr(f)
    }
}

pub(crate) fn int_text(n: &BigInt) -> String {
    if n.bits() <= DECIMAL_INT_BITS {
        n.to_string()
    } else {
        let sign = if n.sign() == num_bigint::Sign::Minus { "-" } else { "" };
        format!("{sign}0x{}", n.magnitude().to_str_radix(16))
    }
}

/// A str with lone surrogates: its runs of text and its surrogates' code points.
fn str_segments(s: &PyStr) -> J {
    let mut out = Vec::new();
    let mut run = String::new();
    for cp in s.code_points() {
        match char::from_u32(cp) {
            Some(c) => run.push(c),
            None => {
                if !run.is_empty() {
                    out.push(J::Str(std::mem::take(&mut run)));
                }
                out.push(J::U64(u64::from(cp)));
            }
        }
    }
    if !run.is_empty() {
        out.push(J::Str(run));
    }
    J::Arr(out)
}

pub(crate) fn date_text(d: &Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

pub(crate) fn time_text(t: &Time) -> String {
    format!("{:02}:{:02}:{:02}.{:06}", t.hour, t.minute, t.second, t.microsecond)
}

pub(crate) fn uuid_text(u: u128) -> String {
    let h = format!("{u:032x}");
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
