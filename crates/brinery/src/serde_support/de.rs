//! The serde deserializer: walks the [`Tape`] of one pickle.
//!
//! Shared objects are walked once per reference; a reference back into an object still being
//! walked is a cycle, which is an error (or None with `recursive_as_none`). Errors collect the
//! path to the failing value while they unwind, at no cost when nothing fails.

use super::tape::{Bin, Items, Made, Node, Tape, Txt, V};
use super::DeOptions;
use crate::error::{Error, ErrorKind, Result};
use num_traits::ToPrimitive;
use serde::de::{self, DeserializeSeed, Expected, Unexpected, Visitor};
use std::collections::HashMap;
use std::fmt::Write as _;

/// The name under which [`crate::Graph`] asks a deserializer for a whole object graph.
pub(crate) const GRAPH_TOKEN: &str = "$brinery::private::Graph";

/// One step of an error's path.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Seg {
    Index(usize),
    Key(V),
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Flags {
    pub(crate) instances_as_state: bool,
    pub(crate) recursive_as_none: bool,
    pub(crate) opaque_as_none: bool,
    pub(crate) max_depth: usize,
    pub(crate) max_items: Option<usize>,
}

impl From<&DeOptions> for Flags {
    fn from(o: &DeOptions) -> Self {
        Flags {
            instances_as_state: o.instances_as_state,
            recursive_as_none: o.recursive_as_none,
            opaque_as_none: o.opaque_as_none,
            max_depth: o.max_depth,
            max_items: o.max_items,
        }
    }
}

/// How many container items serde may be handed, or may be given to write, for this tape by
/// default (see [`DeOptions::max_items`]).
pub(crate) fn default_max_items(tape: &Tape<'_>) -> usize {
    let held = tape.nodes.len() + tape.items.len() + tape.pairs.len();
    held.saturating_mul(ITEMS_PER_HELD).max(MIN_ITEMS)
}

/// The fewest container items serde may be handed by default, however small the pickle.
const MIN_ITEMS: usize = 1 << 20;
/// By default serde may be handed this many times the items and objects the pickle holds.
const ITEMS_PER_HELD: usize = 64;

/// The walk over one tape.
pub(crate) struct Core<'de> {
    pub(crate) tape: Tape<'de>,
    pub(crate) root: V,
    flags: Flags,
    depth: usize,
    /// Container items handed to serde so far (see [`DeOptions::max_items`]).
    items: usize,
    on_path: Vec<u64>,
    pub(crate) err_path: Vec<Seg>,
    /// What each instance or native shows to serde, made once per instance.
    views: HashMap<u32, V>,
}

impl Drop for Core<'_> {
    fn drop(&mut self) {
        super::spare::keep_tape(std::mem::take(&mut self.tape));
    }
}

impl<'de> Core<'de> {
    pub(crate) fn new(tape: Tape<'de>, root: V, flags: Flags) -> Self {
        Core { tape, root, flags, depth: 0, items: 0, on_path: Vec::new(), err_path: Vec::new(), views: HashMap::new() }
    }

    #[inline]
    fn is_on_path(&self, id: u32) -> bool {
        self.on_path.get(id as usize / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    #[inline]
    fn enter(&mut self, id: u32) -> Result<()> {
        self.depth += 1;
        if self.depth > self.flags.max_depth {
            self.depth -= 1;
            return Err(Error::invalid(format!(
                "nesting deeper than {} (raise DeOptions::max_depth)",
                self.flags.max_depth
            )));
        }
        let word = id as usize / 64;
        if word >= self.on_path.len() {
            self.on_path.resize(word + 1, 0);
        }
        self.on_path[word] |= 1 << (id % 64);
        Ok(())
    }

    /// Count `n` more items handed to serde; an error past [`DeOptions::max_items`].
    #[inline]
    fn spend(&mut self, n: usize) -> Result<()> {
        self.items = self.items.saturating_add(n);
        if self.items > MIN_ITEMS.min(self.flags.max_items.unwrap_or(MIN_ITEMS)) {
            return self.check_items();
        }
        Ok(())
    }

    #[cold]
    fn check_items(&self) -> Result<()> {
        let limit = self.flags.max_items.unwrap_or_else(|| default_max_items(&self.tape));
        if self.items > limit {
            return Err(Error::invalid(format!(
                "more than {limit} items to read: the pickle shares containers, which serde reads once per \
                 reference (raise DeOptions::max_items)"
            )));
        }
        Ok(())
    }

    #[inline]
    fn leave(&mut self, id: u32) {
        self.depth -= 1;
        if let Some(w) = self.on_path.get_mut(id as usize / 64) {
            *w &= !(1 << (id % 64));
        }
    }

    /// Attach the collected path to an error that reached the top.
    pub(crate) fn finish_error(&mut self, e: Error) -> Error {
        if self.err_path.is_empty() {
            return e;
        }
        let mut path = String::new();
        for seg in self.err_path.iter().rev() {
            match *seg {
                Seg::Index(i) => {
                    let _ = write!(path, "[{i}]");
                }
                Seg::Key(k) => self.render_key(k, &mut path, 0),
            }
        }
        self.err_path.clear();
        let with = |m: &str| format!("{m} at {path}");
        match e.kind() {
            ErrorKind::Type(m) => Error::type_error(with(m)),
            ErrorKind::Invalid(m) => Error::invalid(with(m)),
            ErrorKind::Unpicklable(m) => Error::unpicklable(with(m)),
            _ => Error::invalid(with(&e.to_string())),
        }
    }

    fn render_key(&self, k: V, out: &mut String, depth: usize) {
        if depth > 3 {
            out.push_str("[…]");
            return;
        }
        match k {
            V::N(_) => match self.tape.node(k) {
                Some(Node::Str(t)) => {
                    let s = self.tape.str_of(*t);
                    let ident = !s.is_empty()
                        && !s.starts_with(|c: char| c.is_ascii_digit())
                        && s.chars().all(|c| c.is_alphanumeric() || c == '_');
                    if ident {
                        let _ = write!(out, ".{s}");
                    } else {
                        let _ = write!(out, "[{s:?}]");
                    }
                }
                Some(Node::Big(n)) => {
                    let _ = write!(out, "[{n}]");
                }
                Some(Node::Bytes(b)) => {
                    let _ = write!(out, "[b{:?}]", String::from_utf8_lossy(self.tape.bytes_of(*b)));
                }
                Some(Node::Tuple(items)) => {
                    out.push_str("[(");
                    for (i, item) in self.tape.seq(items).iter().take(8).enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        let mut inner = String::new();
                        self.render_key(*item, &mut inner, depth + 1);
                        out.push_str(inner.trim_start_matches('.').trim_start_matches('[').trim_end_matches(']'));
                    }
                    out.push_str(")]");
                }
                Some(n) => {
                    let _ = write!(out, "[<{}>]", n.type_name());
                }
                None => out.push_str("[?]"),
            },
            V::None => out.push_str("[None]"),
            V::Bool(b) => out.push_str(if b { "[True]" } else { "[False]" }),
            V::Int(i) => {
                let _ = write!(out, "[{i}]");
            }
            V::Float(f) => {
                let _ = write!(out, "[{}]", crate::float_repr(f));
            }
        }
    }

    fn type_name(&self, v: V) -> String {
        match v {
            V::None => "None".into(),
            V::Bool(_) => "bool".into(),
            V::Int(_) => "int".into(),
            V::Float(_) => "float".into(),
            V::N(_) => match self.tape.node(v) {
                Some(Node::Instance(inst)) => {
                    let global = |v: V| match self.tape.node(v) {
                        Some(Node::Global(g)) => Some((g.0.as_str(), g.1.as_str())),
                        _ => None,
                    };
                    let mut class = global(inst.callable);
                    if inst.made == Made::Reduce && class == Some(("copyreg", "_reconstructor")) {
                        if let Some(args) = self.tape.tuple_of(inst.args) {
                            class = args.first().and_then(|&c| global(c)).or(class);
                        }
                    }
                    match class {
                        Some((m, n)) => format!("instance of {m}.{n}"),
                        None => "object".into(),
                    }
                }
                Some(Node::Global(g)) => format!("global {}.{}", g.0, g.1),
                Some(n) => n.type_name().into(),
                None => "?".into(),
            },
        }
    }

    fn mismatch(&self, v: V, exp: &dyn Expected) -> Error {
        de::Error::invalid_type(Unexpected::Other(&self.type_name(v)), exp)
    }

    /// What an instance (or a global, persistent id …) shows to serde.
    pub(crate) fn view_of(&mut self, id: u32) -> Result<V> {
        if let Some(&v) = self.views.get(&id) {
            return Ok(v);
        }
        let v = self.make_view(id)?;
        self.views.insert(id, v);
        Ok(v)
    }

    fn make_view(&mut self, id: u32) -> Result<V> {
        if let Some(v) = super::natives::view(self, id)? {
            return Ok(v);
        }
        let Node::Instance(inst) = &self.tape.nodes[id as usize] else {
            return Err(Error::invalid("internal: view of a non-instance"));
        };
        if !self.flags.instances_as_state {
            if self.flags.opaque_as_none {
                return Ok(V::None);
            }
            let what = self.type_name(V::N(id));
            return Err(Error::type_error(format!(
                "found {what}; to read an instance's state enable DeOptions::instances_as_state"
            )));
        }
        let t = &self.tape;
        if let Some(state) = inst.state {
            // `(dict_or_None, slots_dict)` is how Python keeps `__dict__` and `__slots__` state.
            if let Some(parts) = t.tuple_of(state) {
                if let [d, slots] = parts[..] {
                    let dict_like = |v: V| v == V::None || t.dict_of(v).is_some();
                    if dict_like(d) && t.dict_of(slots).is_some() {
                        let mut pairs = Vec::new();
                        for part in [d, slots] {
                            pairs.extend_from_slice(t.dict_of(part).unwrap_or_default());
                        }
                        return self.tape.push(Node::Dict(Items::Own(pairs)));
                    }
                }
            }
            return Ok(state);
        }
        if !inst.dict_items.is_empty() {
            let pairs = inst.dict_items.clone();
            return self.tape.push(Node::Dict(Items::Own(pairs)));
        }
        if !inst.list_items.is_empty() {
            let items = inst.list_items.clone();
            return self.tape.push(Node::List(Items::Own(items)));
        }
        let Some(args) = t.tuple_of(inst.args) else { return Ok(inst.args) };
        let reconstructor = inst.made == Made::Reduce
            && matches!(t.node(inst.callable), Some(Node::Global(g)) if g.1 == "_reconstructor");
        if reconstructor {
            // copyreg._reconstructor(cls, base, base_state): a builtin base carries the value.
            if let [_, _, base_state] = args[..] {
                if base_state != V::None {
                    return Ok(base_state);
                }
            }
        }
        if args.is_empty() || reconstructor {
            // An instance with an empty `__dict__`.
            return match (inst.made, inst.kwargs) {
                (Made::NewObjEx, Some(kw)) => Ok(kw),
                _ => self.tape.push(Node::Dict(Items::Own(Vec::new()))),
            };
        }
        match (inst.made, inst.kwargs) {
            (Made::NewObjEx, Some(kw)) if t.dict_of(kw).is_some_and(|d| !d.is_empty()) => {
                let pair = vec![inst.args, kw];
                self.tape.push(Node::Tuple(Items::Own(pair)))
            }
            _ => Ok(inst.args),
        }
    }
}

/// The deserializer for one value of the tape.
pub(crate) struct ValueDe<'a, 'de> {
    pub(crate) de: &'a mut Core<'de>,
    pub(crate) v: V,
    /// A dict key: ints may be read as strings.
    pub(crate) key: bool,
}

impl<'a, 'de> ValueDe<'a, 'de> {
    pub(crate) fn new(de: &'a mut Core<'de>, v: V) -> Self {
        ValueDe { de, v, key: false }
    }

    /// Resolve cycles, instances and opaque objects to the value serde sees.
    #[inline]
    fn prepare(&mut self) -> Result<()> {
        let V::N(id) = self.v else { return Ok(()) };
        match self.de.tape.nodes.get(id as usize) {
            Some(Node::Str(_) | Node::Bytes(_) | Node::ByteArray(_) | Node::Big(_) | Node::Surrogates(_)) => Ok(()),
            _ => self.prepare_object(),
        }
    }

    fn prepare_object(&mut self) -> Result<()> {
        for _ in 0..64 {
            let V::N(id) = self.v else { return Ok(()) };
            if self.de.is_on_path(id) {
                if self.de.flags.recursive_as_none {
                    self.v = V::None;
                    return Ok(());
                }
                return Err(Error::invalid(
                    "recursive structure (an object contains itself; see DeOptions::recursive_as_none)",
                ));
            }
            match self.de.tape.nodes.get(id as usize) {
                Some(Node::Instance(_)) => self.v = self.de.view_of(id)?,
                Some(Node::Global(_) | Node::PersistentId(_) | Node::Ext(_) | Node::Buffer(None, _))
                    if self.de.flags.opaque_as_none =>
                {
                    self.v = V::None
                }
                _ => return Ok(()),
            }
        }
        Err(Error::invalid("an instance's state refers to itself"))
    }

    fn node(&self) -> Option<&Node<'de>> {
        self.de.tape.node(self.v)
    }

    fn mismatch(&self, exp: &dyn Expected) -> Error {
        self.de.mismatch(self.v, exp)
    }

    fn visit_seq_node<Vi: Visitor<'de>>(self, id: u32, len: usize, visitor: Vi) -> Result<Vi::Value> {
        self.de.spend(len)?;
        self.de.enter(id)?;
        let src = match &self.de.tape.nodes[id as usize] {
            Node::List(Items::Range(a, _))
            | Node::Tuple(Items::Range(a, _))
            | Node::Set(Items::Range(a, _))
            | Node::FrozenSet(Items::Range(a, _)) => SeqSrc::Arena(*a),
            _ => SeqSrc::Node(id),
        };
        let mut acc = SeqAcc { de: &mut *self.de, src, pos: 0, len };
        let r = visitor.visit_seq(&mut acc);
        let left = acc.len - acc.pos;
        self.de.leave(id);
        let value = r?;
        if left > 0 {
            return Err(de::Error::invalid_length(len, &ExpectedFewer(len - left)));
        }
        Ok(value)
    }

    fn visit_bytes_seq<Vi: Visitor<'de>>(self, b: Bin<'de>, visitor: Vi) -> Result<Vi::Value> {
        let len = self.de.tape.bytes_of(b).len();
        let mut acc = SeqAcc { de: &mut *self.de, src: SeqSrc::Bytes(b), pos: 0, len };
        let value = visitor.visit_seq(&mut acc)?;
        if acc.pos < len {
            return Err(de::Error::invalid_length(len, &ExpectedFewer(acc.pos)));
        }
        Ok(value)
    }

    fn visit_map_node<Vi: Visitor<'de>>(self, id: u32, len: usize, visitor: Vi) -> Result<Vi::Value> {
        self.de.spend(len)?;
        self.de.enter(id)?;
        let start = match &self.de.tape.nodes[id as usize] {
            Node::Dict(Items::Range(a, _)) => Some(*a),
            _ => None,
        };
        let mut acc = MapAcc { de: &mut *self.de, id, start, pos: 0, len, value: None };
        let r = visitor.visit_map(&mut acc);
        let left = acc.len - acc.pos;
        self.de.leave(id);
        let value = r?;
        if left > 0 {
            return Err(de::Error::invalid_length(len, &ExpectedFewer(len - left)));
        }
        Ok(value)
    }

    /// Sequences: list, tuple, set, frozenset (and bytes, item by item).
    fn any_seq<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        let V::N(id) = self.v else { return Err(self.mismatch(&visitor)) };
        match &self.de.tape.nodes[id as usize] {
            Node::List(v) | Node::Tuple(v) | Node::Set(v) | Node::FrozenSet(v) => {
                let len = v.len();
                self.visit_seq_node(id, len, visitor)
            }
            Node::Bytes(b) | Node::ByteArray(b) => {
                let b = *b;
                self.visit_bytes_seq(b, visitor)
            }
            _ => Err(self.mismatch(&visitor)),
        }
    }

    fn str_or_mismatch<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        match self.v {
            V::N(id) => match &self.de.tape.nodes[id as usize] {
                Node::Str(Txt::Borrowed(s)) => visitor.visit_borrowed_str(s),
                Node::Str(Txt::Heap(a, b)) => visitor.visit_str(&self.de.tape.text[*a..*b]),
                Node::Bytes(Bin::Borrowed(b)) | Node::ByteArray(Bin::Borrowed(b)) => match std::str::from_utf8(b) {
                    Ok(s) => visitor.visit_borrowed_str(s),
                    Err(_) => Err(not_utf8(&visitor)),
                },
                Node::Bytes(Bin::Heap(a, b)) | Node::ByteArray(Bin::Heap(a, b)) => {
                    match std::str::from_utf8(&self.de.tape.bin[*a..*b]) {
                        Ok(s) => visitor.visit_str(s),
                        Err(_) => Err(not_utf8(&visitor)),
                    }
                }
                Node::Big(n) if self.key => visitor.visit_string(n.to_string()),
                Node::Surrogates(_) => {
                    Err(de::Error::invalid_value(Unexpected::Other("str with lone surrogates"), &visitor))
                }
                _ => Err(self.mismatch(&visitor)),
            },
            V::Int(i) if self.key => visitor.visit_string(i.to_string()),
            _ => Err(self.mismatch(&visitor)),
        }
    }

    fn int(&self) -> Option<Int<'_>> {
        match self.v {
            V::Int(i) => Some(Int::Small(i)),
            V::N(_) => match self.node()? {
                Node::Big(n) => Some(Int::Big(n)),
                _ => None,
            },
            _ => None,
        }
    }
}

enum Int<'a> {
    Small(i64),
    Big(&'a num_bigint::BigInt),
}

fn not_utf8(exp: &dyn Expected) -> Error {
    de::Error::invalid_value(Unexpected::Other("bytes that are not UTF-8"), exp)
}

struct ExpectedFewer(usize);

impl Expected for ExpectedFewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} items", self.0)
    }
}

macro_rules! deserialize_int {
    ($($method:ident => $ty:ty, $visit:ident;)*) => {$(
        fn $method<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
            self.prepare()?;
            let n: Option<$ty> = match self.int() {
                Some(Int::Small(i)) => <$ty>::try_from(i).ok(),
                Some(Int::Big(n)) => <$ty>::try_from(n).ok(),
                None => return Err(self.mismatch(&visitor)),
            };
            match n {
                Some(n) => visitor.$visit(n),
                None => {
                    let shown = match self.int() {
                        Some(Int::Small(i)) => format!("int {i}"),
                        Some(Int::Big(n)) => format!("int {n}"),
                        None => String::new(),
                    };
                    Err(de::Error::invalid_value(Unexpected::Other(&shown), &visitor))
                }
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDe<'_, 'de> {
    type Error = Error;

    fn deserialize_any<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        self.prepare()?;
        let id = match self.v {
            V::None => return visitor.visit_unit(),
            V::Bool(b) => return visitor.visit_bool(b),
            V::Int(i) => return visitor.visit_i64(i),
            V::Float(f) => return visitor.visit_f64(f),
            V::N(id) => id,
        };
        match &self.de.tape.nodes[id as usize] {
            Node::Str(Txt::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Node::Str(Txt::Heap(a, b)) => visitor.visit_str(&self.de.tape.text[*a..*b]),
            Node::Bytes(Bin::Borrowed(b)) | Node::ByteArray(Bin::Borrowed(b)) => visitor.visit_borrowed_bytes(b),
            Node::Bytes(Bin::Heap(a, b)) | Node::ByteArray(Bin::Heap(a, b)) => {
                visitor.visit_bytes(&self.de.tape.bin[*a..*b])
            }
            Node::Big(n) => {
                if let Some(u) = n.to_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.to_i128() {
                    visitor.visit_i128(i)
                } else if let Some(u) = n.to_u128() {
                    visitor.visit_u128(u)
                } else {
                    Err(de::Error::invalid_value(
                        Unexpected::Other(&format!("an int of {} bits", n.bits())),
                        &"an int of at most 128 bits",
                    ))
                }
            }
            Node::List(v) | Node::Tuple(v) | Node::Set(v) | Node::FrozenSet(v) => {
                let len = v.len();
                self.visit_seq_node(id, len, visitor)
            }
            Node::Dict(d) => {
                let len = d.len();
                self.visit_map_node(id, len, visitor)
            }
            Node::Buffer(Some(data), _) => visitor.visit_bytes(data),
            Node::Surrogates(_) => {
                Err(de::Error::invalid_value(Unexpected::Other("str with lone surrogates"), &visitor))
            }
            _ => Err(self.mismatch(&visitor)),
        }
    }

    fn deserialize_bool<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        self.prepare()?;
        match self.v {
            V::Bool(b) => visitor.visit_bool(b),
            _ => Err(self.mismatch(&visitor)),
        }
    }

    deserialize_int! {
        deserialize_i8 => i8, visit_i8;
        deserialize_i16 => i16, visit_i16;
        deserialize_i32 => i32, visit_i32;
        deserialize_i64 => i64, visit_i64;
        deserialize_i128 => i128, visit_i128;
        deserialize_u8 => u8, visit_u8;
        deserialize_u16 => u16, visit_u16;
        deserialize_u32 => u32, visit_u32;
        deserialize_u64 => u64, visit_u64;
        deserialize_u128 => u128, visit_u128;
    }

    fn deserialize_f32<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        self.prepare()?;
        match self.v {
            V::Float(f) => visitor.visit_f64(f),
            V::Int(i) => visitor.visit_f64(i as f64),
            _ => match self.node() {
                Some(Node::Big(n)) => visitor.visit_f64(n.to_f64().unwrap_or(f64::NAN)),
                _ => Err(self.mismatch(&visitor)),
            },
        }
    }

    fn deserialize_char<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        self.prepare()?;
        if let Some(Node::Str(t)) = self.node() {
            let s = self.de.tape.str_of(*t);
            let mut chars = s.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) => visitor.visit_char(c),
                _ => Err(de::Error::invalid_value(Unexpected::Str(s), &visitor)),
            };
        }
        Err(self.mismatch(&visitor))
    }

    fn deserialize_str<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        // The usual case first: text borrowed from the input.
        if let Some(Node::Str(Txt::Borrowed(s))) = self.node() {
            return visitor.visit_borrowed_str(s);
        }
        self.prepare()?;
        self.str_or_mismatch(visitor)
    }

    fn deserialize_string<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        self.prepare()?;
        let V::N(id) = self.v else { return Err(self.mismatch(&visitor)) };
        match &self.de.tape.nodes[id as usize] {
            Node::Bytes(Bin::Borrowed(b)) | Node::ByteArray(Bin::Borrowed(b)) => visitor.visit_borrowed_bytes(b),
            Node::Bytes(Bin::Heap(a, b)) | Node::ByteArray(Bin::Heap(a, b)) => {
                visitor.visit_bytes(&self.de.tape.bin[*a..*b])
            }
            Node::Str(Txt::Borrowed(s)) => visitor.visit_borrowed_bytes(s.as_bytes()),
            Node::Str(Txt::Heap(a, b)) => visitor.visit_bytes(&self.de.tape.text.as_bytes()[*a..*b]),
            Node::Buffer(Some(data), _) => visitor.visit_bytes(data),
            Node::List(_) | Node::Tuple(_) => self.any_seq(visitor),
            _ => Err(self.mismatch(&visitor)),
        }
    }

    fn deserialize_byte_buf<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        self.prepare()?;
        match self.v {
            V::None => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        self.prepare()?;
        match self.v {
            V::None => visitor.visit_unit(),
            _ => match self.node() {
                Some(Node::Tuple(items)) if items.is_empty() => visitor.visit_unit(),
                _ => Err(self.mismatch(&visitor)),
            },
        }
    }

    fn deserialize_unit_struct<Vi: Visitor<'de>>(self, _name: &'static str, visitor: Vi) -> Result<Vi::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<Vi: Visitor<'de>>(self, name: &'static str, visitor: Vi) -> Result<Vi::Value> {
        if name == GRAPH_TOKEN {
            let graph = super::graph::tape_to_graph(&self.de.tape, self.v)?;
            return super::graph::hand_over(graph, visitor);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        self.prepare()?;
        self.any_seq(visitor)
    }

    fn deserialize_tuple<Vi: Visitor<'de>>(self, _len: usize, visitor: Vi) -> Result<Vi::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<Vi: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: Vi,
    ) -> Result<Vi::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        self.prepare()?;
        match self.node() {
            Some(Node::Dict(d)) => {
                let (len, V::N(id)) = (d.len(), self.v) else { unreachable!("a node is a ref") };
                self.visit_map_node(id, len, visitor)
            }
            _ => Err(self.mismatch(&visitor)),
        }
    }

    fn deserialize_struct<Vi: Visitor<'de>>(
        mut self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: Vi,
    ) -> Result<Vi::Value> {
        self.prepare()?;
        match self.node() {
            Some(Node::Dict(d)) => {
                let (len, V::N(id)) = (d.len(), self.v) else { unreachable!("a node is a ref") };
                self.visit_map_node(id, len, visitor)
            }
            Some(Node::Tuple(_) | Node::List(_)) => self.any_seq(visitor),
            _ => Err(self.mismatch(&visitor)),
        }
    }

    fn deserialize_enum<Vi: Visitor<'de>>(
        mut self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: Vi,
    ) -> Result<Vi::Value> {
        self.prepare()?;
        let (tag, payload) = match self.node() {
            Some(Node::Str(_) | Node::Bytes(_)) => (self.v, None),
            Some(Node::Dict(d)) if d.len() == 1 => {
                let (k, v) = self.de.tape.kv(d)[0];
                (k, Some(v))
            }
            Some(Node::Tuple(items)) if (1..=2).contains(&items.len()) => {
                let items = self.de.tape.seq(items);
                (items[0], items.get(1).copied())
            }
            _ => {
                return Err(de::Error::invalid_type(
                    Unexpected::Other(&self.de.type_name(self.v)),
                    &"an enum: a variant name, or a dict with one entry {variant: value}",
                ))
            }
        };
        let (V::N(id), Some(_)) = (self.v, payload) else {
            return visitor.visit_enum(EnumAcc { de: &mut *self.de, tag, payload });
        };
        self.de.enter(id)?;
        let r = visitor.visit_enum(EnumAcc { de: &mut *self.de, tag, payload });
        self.de.leave(id);
        r
    }

    fn deserialize_identifier<Vi: Visitor<'de>>(mut self, visitor: Vi) -> Result<Vi::Value> {
        if let Some(Node::Str(Txt::Borrowed(s))) = self.node() {
            return visitor.visit_borrowed_str(s);
        }
        self.prepare()?;
        match self.v {
            V::Int(i) if i >= 0 => visitor.visit_u64(i as u64),
            V::N(id) => match &self.de.tape.nodes[id as usize] {
                Node::Bytes(Bin::Borrowed(b)) => visitor.visit_borrowed_bytes(b),
                Node::Bytes(Bin::Heap(a, b)) => visitor.visit_bytes(&self.de.tape.bin[*a..*b]),
                _ => self.str_or_mismatch(visitor),
            },
            _ => Err(self.mismatch(&visitor)),
        }
    }

    fn deserialize_ignored_any<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        visitor.visit_unit()
    }
}

enum SeqSrc<'de> {
    /// Items from this index of the tape's item arena.
    Arena(usize),
    Node(u32),
    Bytes(Bin<'de>),
}

struct SeqAcc<'a, 'de> {
    de: &'a mut Core<'de>,
    src: SeqSrc<'de>,
    pos: usize,
    len: usize,
}

impl<'de> de::SeqAccess<'de> for SeqAcc<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.pos >= self.len {
            return Ok(None);
        }
        let v = match &self.src {
            SeqSrc::Arena(a) => self.de.tape.items.get(a + self.pos).copied(),
            SeqSrc::Node(id) => match &self.de.tape.nodes[*id as usize] {
                Node::List(v) | Node::Tuple(v) | Node::Set(v) | Node::FrozenSet(v) => {
                    self.de.tape.seq(v).get(self.pos).copied()
                }
                _ => None,
            },
            SeqSrc::Bytes(b) => self.de.tape.bytes_of(*b).get(self.pos).map(|&b| V::Int(b.into())),
        };
        let Some(v) = v else { return Ok(None) };
        let pos = self.pos;
        self.pos += 1;
        self.de.err_path.clear();
        match seed.deserialize(ValueDe { de: &mut *self.de, v, key: false }) {
            Ok(value) => Ok(Some(value)),
            Err(e) => {
                self.de.err_path.push(Seg::Index(pos));
                Err(e)
            }
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len - self.pos)
    }
}

struct MapAcc<'a, 'de> {
    de: &'a mut Core<'de>,
    id: u32,
    /// Where the entries start in the tape's pair arena, when they are there.
    start: Option<usize>,
    pos: usize,
    len: usize,
    value: Option<(V, V)>,
}

impl<'de> de::MapAccess<'de> for MapAcc<'_, 'de> {
    type Error = Error;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.pos >= self.len {
            return Ok(None);
        }
        let pair = match self.start {
            Some(a) => self.de.tape.pairs.get(a + self.pos).copied(),
            None => match &self.de.tape.nodes[self.id as usize] {
                Node::Dict(d) => self.de.tape.kv(d).get(self.pos).copied(),
                _ => None,
            },
        };
        let Some((k, v)) = pair else { return Ok(None) };
        self.pos += 1;
        self.value = Some((k, v));
        self.de.err_path.clear();
        match seed.deserialize(ValueDe { de: &mut *self.de, v: k, key: true }) {
            Ok(key) => Ok(Some(key)),
            Err(e) => {
                self.de.err_path.push(Seg::Key(k));
                Err(e)
            }
        }
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value> {
        let Some((k, v)) = self.value.take() else {
            return Err(Error::invalid("internal: map value before its key"));
        };
        self.de.err_path.clear();
        seed.deserialize(ValueDe { de: &mut *self.de, v, key: false }).inspect_err(|_| {
            self.de.err_path.push(Seg::Key(k));
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len - self.pos)
    }
}

struct EnumAcc<'a, 'de> {
    de: &'a mut Core<'de>,
    tag: V,
    payload: Option<V>,
}

impl<'a, 'de> de::EnumAccess<'de> for EnumAcc<'a, 'de> {
    type Error = Error;
    type Variant = VariantAcc<'a, 'de>;

    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, VariantAcc<'a, 'de>)> {
        let tag = self.tag;
        let value = seed.deserialize(ValueDe { de: &mut *self.de, v: tag, key: true })?;
        Ok((value, VariantAcc { de: self.de, tag, payload: self.payload }))
    }
}

struct VariantAcc<'a, 'de> {
    de: &'a mut Core<'de>,
    tag: V,
    payload: Option<V>,
}

impl<'de> VariantAcc<'_, 'de> {
    fn payload(&self, what: &str) -> Result<V> {
        self.payload.ok_or_else(|| {
            de::Error::invalid_type(Unexpected::UnitVariant, &format!("a {what} variant: {{variant: value}}").as_str())
        })
    }

    fn with_path<T>(&mut self, r: Result<T>) -> Result<T> {
        r.inspect_err(|_| {
            self.de.err_path.push(Seg::Key(self.tag));
        })
    }
}

impl<'de> de::VariantAccess<'de> for VariantAcc<'_, 'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        match self.payload {
            None | Some(V::None) => Ok(()),
            Some(v) => match self.de.tape.node(v) {
                Some(Node::Tuple(items)) if items.is_empty() => Ok(()),
                _ => Err(self.de.mismatch(v, &"None for a unit variant")),
            },
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(mut self, seed: T) -> Result<T::Value> {
        let v = self.payload("newtype")?;
        let r = seed.deserialize(ValueDe { de: &mut *self.de, v, key: false });
        self.with_path(r)
    }

    fn tuple_variant<Vi: Visitor<'de>>(mut self, len: usize, visitor: Vi) -> Result<Vi::Value> {
        let v = self.payload("tuple")?;
        let r = de::Deserializer::deserialize_tuple(ValueDe { de: &mut *self.de, v, key: false }, len, visitor);
        self.with_path(r)
    }

    fn struct_variant<Vi: Visitor<'de>>(mut self, fields: &'static [&'static str], visitor: Vi) -> Result<Vi::Value> {
        let v = self.payload("struct")?;
        let r = de::Deserializer::deserialize_struct(ValueDe { de: &mut *self.de, v, key: false }, "", fields, visitor);
        self.with_path(r)
    }
}

// ---- errors ------------------------------------------------------------------------------

fn python_kind(u: &Unexpected<'_>) -> String {
    match u {
        Unexpected::Bool(_) => "bool".into(),
        Unexpected::Unsigned(_) | Unexpected::Signed(_) => "int".into(),
        Unexpected::Float(_) => "float".into(),
        Unexpected::Char(_) | Unexpected::Str(_) => "str".into(),
        Unexpected::Bytes(_) => "bytes".into(),
        Unexpected::Unit | Unexpected::Option => "None".into(),
        Unexpected::Seq => "a sequence".into(),
        Unexpected::Map => "dict".into(),
        Unexpected::Other(s) => (*s).into(),
        other => other.to_string(),
    }
}

fn python_value(u: &Unexpected<'_>) -> String {
    match u {
        Unexpected::Bool(b) => (if *b { "True" } else { "False" }).into(),
        Unexpected::Unsigned(n) => format!("int {n}"),
        Unexpected::Signed(n) => format!("int {n}"),
        Unexpected::Float(f) => format!("float {}", crate::float_repr(*f)),
        Unexpected::Char(c) => format!("str {c:?}"),
        Unexpected::Str(s) => format!("str {s:?}"),
        Unexpected::Bytes(b) => format!("bytes of length {}", b.len()),
        other => python_kind(other),
    }
}

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::invalid(msg.to_string())
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Error::type_error(format!("expected {exp}, found {}", python_kind(&unexp)))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Error::invalid(format!("expected {exp}, found {}", python_value(&unexp)))
    }

    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        Error::invalid(format!("expected {exp}, found {len} items"))
    }
}

impl serde::ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::unpicklable(msg.to_string())
    }
}
