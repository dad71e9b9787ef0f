//! Graph → plain, lossy JSON for people and `jq` (rules in the module docs).

use super::encode::{b64, count_refs, date_text, uuid_text, DECIMAL_INT_BITS};
use super::tree::{ObjBuilder, J};
use crate::pretty::{repr_bytes, repr_str};
use crate::value::{Construct, Graph, Instance, ObjId, Object, PyStr, Time, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Containers nested deeper than this become `{"$deep": "..."}`, so the output stays within
/// the nesting limits of common JSON parsers (serde_json's is 128).
pub(crate) const MAX_DEPTH: u32 = 100;
/// Nesting shown in a stringified key before `...`.
const KEY_DEPTH: u32 = 8;

enum Seg {
    Index(usize),
    Key(String),
}

pub(crate) struct Lossy<'g> {
    g: &'g Graph,
    refs: Vec<u8>,
    /// JSON Pointer of the first occurrence of each shared container.
    first: HashMap<usize, String>,
    path: Vec<Seg>,
}

impl<'g> Lossy<'g> {
    pub(crate) fn new(g: &'g Graph) -> Self {
        Lossy { g, refs: count_refs(g), first: HashMap::new(), path: Vec::new() }
    }

    pub(crate) fn root(&mut self) -> J {
        self.value(self.g.root(), 0)
    }

    fn pointer(&self) -> String {
        let mut p = String::from("#");
        for seg in &self.path {
            p.push('/');
            match seg {
                Seg::Index(i) => {
                    let _ = write!(p, "{i}");
                }
                Seg::Key(k) => p.push_str(&k.replace('~', "~0").replace('/', "~1")),
            }
        }
        p
    }

    fn value(&mut self, v: Value, depth: u32) -> J {
        match v {
            Value::None => J::Null,
            Value::Bool(b) => J::Bool(b),
            Value::Int(i) => J::I64(i),
            Value::Float(f) => float(f),
            Value::Ref(id) => self.object(id, depth),
        }
    }

    fn at(&mut self, seg: Seg, v: Value, depth: u32) -> J {
        self.path.push(seg);
        let j = self.value(v, depth);
        self.path.pop();
        j
    }

    fn array(&mut self, items: &[Value], depth: u32) -> J {
        J::Arr(items.iter().enumerate().map(|(i, &v)| self.at(Seg::Index(i), v, depth + 1)).collect())
    }

    fn dict_into(&mut self, b: &mut ObjBuilder, pairs: &[(Value, Value)], depth: u32) {
        for &(k, v) in pairs {
            let key = self.key_text(k);
            let val = self.at(Seg::Key(key.clone()), v, depth + 1);
            b.insert(Cow::Owned(key), val);
        }
    }

    fn dict(&mut self, pairs: &[(Value, Value)], depth: u32) -> J {
        let mut b = ObjBuilder::default();
        self.dict_into(&mut b, pairs, depth);
        b.finish()
    }

    fn object(&mut self, id: ObjId, depth: u32) -> J {
        let g = self.g;
        let Some(obj) = g.try_get(id) else { return J::Null };
        if is_container(obj) {
            let i = id.index();
            let shared = self.refs.get(i).is_some_and(|&r| r >= 2);
            if shared {
                if let Some(p) = self.first.get(&i) {
                    return J::tag("$ref", J::Str(p.clone()));
                }
            }
            if depth >= MAX_DEPTH {
                return J::tag("$deep", J::str("..."));
            }
            if shared {
                let p = self.pointer();
                self.first.insert(i, p);
            }
        }
        match obj {
            Object::List(items) | Object::Tuple(items) => self.array(items, depth),
            Object::Deque(dq) => self.array(&dq.items, depth),
            Object::Set(s) | Object::FrozenSet(s) => self.array(s.items(), depth),
            Object::Dict(d) | Object::OrderedDict(d) | Object::Counter(d) => self.dict(d.entries(), depth),
            Object::DefaultDict(dd) => self.dict(dd.dict.entries(), depth),
            Object::Instance(inst) => self.instance(inst, depth),
            Object::PersistentId(pid) => {
                J::tag("$persistent_id", self.at(Seg::Key("$persistent_id".into()), *pid, depth + 1))
            }
            Object::Range(r) | Object::Slice(r) => {
                let [a, b, c] = **r;
                J::Obj(vec![
                    (Cow::Borrowed("start"), self.at(Seg::Key("start".into()), a, depth + 1)),
                    (Cow::Borrowed("stop"), self.at(Seg::Key("stop".into()), b, depth + 1)),
                    (Cow::Borrowed("step"), self.at(Seg::Key("step".into()), c, depth + 1)),
                ])
            }
            leaf => self.leaf(leaf),
        }
    }

    /// Objects that hold no containers (kept out of the recursive path's stack frame).
    #[inline(never)]
    fn leaf(&self, obj: &Object) -> J {
        match obj {
            Object::Str(s) => J::Str(lossy_text(s)),
            Object::Bytes(b) => J::Str(b64(b)),
            Object::ByteArray(b) => J::Str(b64(b)),
            Object::Buffer(b) => b.data.as_deref().map_or(J::Null, |d| J::Str(b64(d))),
            Object::Int(n) => {
                if let Ok(i) = i64::try_from(&**n) {
                    J::I64(i)
                } else if let Ok(u) = u64::try_from(&**n) {
                    J::U64(u)
                } else {
                    J::Str(int_repr(n))
                }
            }
            Object::Global(gl) => J::Str(format!("{}.{}", gl.module, gl.name)),
            Object::Ext(code) => J::tag("$ext", J::I64(i64::from(*code))),
            Object::Complex(re, im) => {
                J::Obj(vec![(Cow::Borrowed("real"), float(*re)), (Cow::Borrowed("imag"), float(*im))])
            }
            Object::Date(d) => J::Str(date_text(d)),
            Object::Time(t) => J::Str(self.time_iso(t)),
            Object::DateTime(dt) => J::Str(format!("{}T{}", date_text(&dt.date), self.time_iso(&dt.time))),
            Object::TimeDelta(td) => {
                // As `timedelta.total_seconds()` computes it.
                let us =
                    (i128::from(td.days) * 86400 + i128::from(td.seconds)) * 1_000_000 + i128::from(td.microseconds);
                float(us as f64 / 1e6)
            }
            Object::TimeZone(tz) => J::Str(self.tz_text(tz[0], tz[1])),
            Object::Decimal(s) => J::str(&**s),
            Object::Uuid(u) => J::Str(uuid_text(*u)),
            Object::Fraction(nd) => J::Str(format!("{}/{}", self.repr(nd[0]), self.repr(nd[1]))),
            // Containers are handled by `object`.
            Object::List(_)
            | Object::Tuple(_)
            | Object::Dict(_)
            | Object::Set(_)
            | Object::FrozenSet(_)
            | Object::Instance(_)
            | Object::PersistentId(_)
            | Object::Range(_)
            | Object::Slice(_)
            | Object::OrderedDict(_)
            | Object::DefaultDict(_)
            | Object::Deque(_)
            | Object::Counter(_) => J::Null,
        }
    }

    fn instance(&mut self, inst: &Instance, depth: u32) -> J {
        let g = self.g;
        let mut b = ObjBuilder::default();
        let args_items = match g.object(inst.args) {
            Some(Object::Tuple(items)) => Some(items.as_slice()),
            _ => None,
        };
        let global_is = |v: Value, m: &str, n: &str| matches!(g.object(v), Some(Object::Global(gl)) if gl.module == m && gl.name == n);
        // copyreg._reconstructor(cls, object, None) and copyreg.__newobj__(cls, *args) name
        // their class first.
        let (class, args): (Value, Option<&[Value]>) = match (inst.construct, args_items) {
            (Construct::Reduce, Some([cls, base, Value::None]))
                if global_is(inst.callable, "copyreg", "_reconstructor") && global_is(*base, "builtins", "object") =>
            {
                (*cls, Some(&[]))
            }
            (Construct::Reduce, Some([cls, rest @ ..])) if global_is(inst.callable, "copyreg", "__newobj__") => {
                (*cls, Some(rest))
            }
            _ => (inst.callable, args_items),
        };
        let class = match g.object(class) {
            Some(Object::Global(gl)) => J::Str(format!("{}.{}", gl.module, gl.name)),
            _ => self.at(Seg::Key("$class".into()), class, depth + 1),
        };
        b.insert(Cow::Borrowed("$class"), class);
        match args {
            Some([]) => {}
            Some(items) => {
                self.path.push(Seg::Key("$args".into()));
                let a = self.array(items, depth + 1);
                self.path.pop();
                b.insert(Cow::Borrowed("$args"), a);
            }
            None => {
                let a = self.at(Seg::Key("$args".into()), inst.args, depth + 1);
                b.insert(Cow::Borrowed("$args"), a);
            }
        }
        if let Some(kw) = inst.kwargs {
            let empty = matches!(g.object(kw), Some(Object::Dict(d)) if d.is_empty());
            if !empty {
                let k = self.at(Seg::Key("$kwargs".into()), kw, depth + 1);
                b.insert(Cow::Borrowed("$kwargs"), k);
            }
        }
        if let Some(state) = inst.state {
            let dict_of = |v: Value| match g.object(v) {
                Some(Object::Dict(d)) => Some(Some(d.entries())),
                _ if v == Value::None => Some(None),
                _ => None,
            };
            // A dict state, or (dict or None, slots dict or None), merges into the object.
            let merged: Option<Vec<&[(Value, Value)]>> = match g.object(state) {
                Some(Object::Dict(d)) => Some(vec![d.entries()]),
                Some(Object::Tuple(items)) if items.len() == 2 => match (dict_of(items[0]), dict_of(items[1])) {
                    (Some(a), Some(b)) => Some(a.into_iter().chain(b).collect()),
                    _ => None,
                },
                _ => None,
            };
            match merged {
                Some(parts) => {
                    for pairs in parts {
                        self.dict_into(&mut b, pairs, depth);
                    }
                }
                None if state == Value::None => {}
                None => {
                    let s = self.at(Seg::Key("$state".into()), state, depth + 1);
                    b.insert(Cow::Borrowed("$state"), s);
                }
            }
        }
        if !inst.list_items.is_empty() {
            self.path.push(Seg::Key("$list".into()));
            let l = self.array(&inst.list_items, depth + 1);
            self.path.pop();
            b.insert(Cow::Borrowed("$list"), l);
        }
        if !inst.dict_items.is_empty() {
            self.path.push(Seg::Key("$dict".into()));
            let d = self.dict(&inst.dict_items, depth + 1);
            self.path.pop();
            b.insert(Cow::Borrowed("$dict"), d);
        }
        b.finish()
    }

    /// `time.isoformat()`, with the UTC offset when the tzinfo is a `datetime.timezone`.
    fn time_iso(&self, t: &Time) -> String {
        let mut s = format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
        if t.microsecond != 0 {
            let _ = write!(s, ".{:06}", t.microsecond);
        }
        if let Some(Object::TimeZone(tz)) = t.tzinfo.and_then(|tz| self.g.object(tz)) {
            if let Some(off) = self.offset_text(tz[0]) {
                s.push_str(&off);
            }
        }
        s
    }

    /// `+HH:MM[:SS[.ffffff]]` for a timedelta offset.
    fn offset_text(&self, offset: Value) -> Option<String> {
        let Some(Object::TimeDelta(td)) = self.g.object(offset) else { return None };
        let total = (i128::from(td.days) * 86400 + i128::from(td.seconds)) * 1_000_000 + i128::from(td.microseconds);
        let sign = if total < 0 { '-' } else { '+' };
        let t = total.unsigned_abs();
        let (us, secs) = (t % 1_000_000, t / 1_000_000);
        let mut s = format!("{sign}{:02}:{:02}", secs / 3600, secs / 60 % 60);
        if secs % 60 != 0 || us != 0 {
            let _ = write!(s, ":{:02}", secs % 60);
        }
        if us != 0 {
            let _ = write!(s, ".{us:06}");
        }
        Some(s)
    }

    /// `str(timezone)`: its name, `UTC`, or `UTC+HH:MM`.
    fn tz_text(&self, offset: Value, name: Value) -> String {
        if let Some(Object::Str(s)) = self.g.object(name) {
            return lossy_text(s);
        }
        match self.offset_text(offset) {
            Some(off) if off == "+00:00" => "UTC".into(),
            Some(off) => format!("UTC{off}"),
            None => "timezone".into(),
        }
    }

    fn key_text(&self, k: Value) -> String {
        match self.g.object(k) {
            Some(Object::Str(s)) => lossy_text(s),
            _ => self.repr(k),
        }
    }

    fn repr(&self, v: Value) -> String {
        let mut out = String::new();
        repr(self.g, v, 0, &mut out);
        out
    }
}

/// Objects that hold references and may be cut when met again.
fn is_container(obj: &Object) -> bool {
    matches!(
        obj,
        Object::List(_)
            | Object::Tuple(_)
            | Object::Dict(_)
            | Object::Set(_)
            | Object::FrozenSet(_)
            | Object::Instance(_)
            | Object::PersistentId(_)
            | Object::Range(..)
            | Object::Slice(..)
            | Object::OrderedDict(_)
            | Object::DefaultDict(..)
            | Object::Deque(..)
            | Object::Counter(_)
    )
}

/// The text of a str, each lone surrogate replaced by U+FFFD.
fn lossy_text(s: &PyStr) -> String {
    match s.as_str() {
        Some(t) => t.to_owned(),
        None => s.code_points().map(|c| char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER)).collect(),
    }
}

fn float(f: f64) -> J {
    if f.is_nan() {
        J::str("nan")
    } else if f.is_infinite() {
        J::str(if f > 0.0 { "inf" } else { "-inf" })
    } else {
        J::F64(f)
    }
}

fn int_repr(n: &num_bigint::BigInt) -> String {
    if n.bits() <= DECIMAL_INT_BITS {
        n.to_string()
    } else {
        format!("<int of {} bits>", n.bits())
    }
}

/// Python's repr, for dict keys that are no str (nesting and sizes bounded).
fn repr(g: &Graph, v: Value, depth: u32, out: &mut String) {
    let items = |out: &mut String, items: &[Value], open: &str, close: &str, one: &str| {
        out.push_str(open);
        for (i, &item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            repr(g, item, depth + 1, out);
        }
        if items.len() == 1 {
            out.push_str(one);
        }
        out.push_str(close);
    };
    match v {
        Value::None => out.push_str("None"),
        Value::Bool(b) => out.push_str(if b { "True" } else { "False" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&crate::float_repr(f)),
        Value::Ref(id) => {
            let Some(obj) = g.try_get(id) else { return out.push_str("<?>") };
            if depth >= KEY_DEPTH {
                return out.push_str("...");
            }
            match obj {
                Object::Str(s) => out.push_str(&repr_str(s)),
                Object::Bytes(b) => out.push_str(&repr_bytes(b)),
                Object::ByteArray(b) => {
                    let _ = write!(out, "bytearray({})", repr_bytes(b));
                }
                Object::Int(n) => out.push_str(&int_repr(n)),
                Object::Tuple(t) => items(out, t, "(", ")", ","),
                Object::List(l) => items(out, l, "[", "]", ""),
                Object::FrozenSet(s) if s.is_empty() => out.push_str("frozenset()"),
                Object::FrozenSet(s) => items(out, s.items(), "frozenset({", "})", ""),
                Object::Set(s) if s.is_empty() => out.push_str("set()"),
                Object::Set(s) => items(out, s.items(), "{", "}", ""),
                Object::Global(gl) => {
                    let _ = write!(out, "{}.{}", gl.module, gl.name);
                }
                Object::Decimal(d) => {
                    let _ = write!(out, "Decimal('{d}')");
                }
                Object::Uuid(u) => {
                    let _ = write!(out, "UUID('{}')", uuid_text(*u));
                }
                Object::Date(d) => {
                    let _ = write!(out, "datetime.date({}, {}, {})", d.year, d.month, d.day);
                }
                Object::Complex(re, im) => {
                    let _ = write!(out, "complex({}, {})", crate::float_repr(*re), crate::float_repr(*im));
                }
                other => {
                    let _ = write!(out, "<{} object>", other.type_name());
                }
            }
        }
    }
}
