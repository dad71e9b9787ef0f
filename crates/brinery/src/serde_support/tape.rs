//! The reading side's builder: a flat arena of nodes the unpickling machine fills, with str and
//! bytes payloads borrowed from the input when it is a slice (copied into one shared text heap
//! otherwise, never one allocation per string).
//!
//! Identity is kept the way the pickle says: a memoized object referenced twice is one node
//! referenced twice, and the deserializer walks it once per reference.

use super::spare;
use crate::builder::{Builder, Text};
use crate::error::{Error, Result};
use crate::machine::Scratch;
use crate::read::Chunk;
use num_bigint::BigInt;
use std::collections::VecDeque;

/// A stack item: a scalar, or a node of the arena.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum V {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    N(u32),
}

/// Text or bytes: borrowed from the input, or a range of the tape's heap.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Bin<'de> {
    Borrowed(&'de [u8]),
    Heap(usize, usize),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Txt<'de> {
    Borrowed(&'de str),
    Heap(usize, usize),
}

/// How an instance was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Made {
    Reduce,
    NewObj,
    NewObjEx,
    Inst,
    Obj,
}

#[derive(Debug)]
pub(crate) struct Inst {
    pub(crate) made: Made,
    pub(crate) callable: V,
    pub(crate) args: V,
    pub(crate) kwargs: Option<V>,
    pub(crate) state: Option<V>,
    pub(crate) list_items: Vec<V>,
    pub(crate) dict_items: Vec<(V, V)>,
}

/// The items of a container: a range of one of the tape's shared arenas while they arrived in
/// one piece (how CPython writes containers: one MARK … APPENDS batch, or items appended right
/// after one another), else a vector of their own. No allocation per container in the usual case.
#[derive(Debug)]
pub(crate) enum Items<T> {
    Range(usize, usize),
    Own(Vec<T>),
}

impl<T: Copy> Items<T> {
    pub(crate) fn len(&self) -> usize {
        match self {
            Items::Range(a, b) => b - a,
            Items::Own(v) => v.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn new(arena: &mut Vec<T>, src: impl IntoIterator<Item = T>) -> Self {
        let start = arena.len();
        arena.extend(src);
        Items::Range(start, arena.len())
    }

    fn extend(&mut self, arena: &mut Vec<T>, src: impl IntoIterator<Item = T>) {
        match self {
            Items::Range(_, b) if *b == arena.len() => {
                arena.extend(src);
                *b = arena.len();
            }
            Items::Range(a, b) if a == b => *self = Items::new(arena, src),
            Items::Range(a, b) => {
                let mut own = arena[*a..*b].to_vec();
                own.extend(src);
                *self = Items::Own(own);
            }
            Items::Own(v) => v.extend(src),
        }
    }

    fn get<'a>(&'a self, arena: &'a [T]) -> &'a [T] {
        match self {
            Items::Range(a, b) => &arena[*a..*b],
            Items::Own(v) => v,
        }
    }
}

#[derive(Debug)]
pub(crate) enum Node<'de> {
    Str(Txt<'de>),
    /// A str with lone surrogates (surrogate-pass UTF-8).
    Surrogates(Vec<u8>),
    Bytes(Bin<'de>),
    ByteArray(Bin<'de>),
    Big(BigInt),
    List(Items<V>),
    Tuple(Items<V>),
    Dict(Items<(V, V)>),
    Set(Items<V>),
    FrozenSet(Items<V>),
    Global(Box<(String, String)>),
    Instance(Box<Inst>),
    PersistentId(V),
    Ext(i32),
    Buffer(Option<Vec<u8>>, bool),
}

impl Node<'_> {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Node::Str(_) | Node::Surrogates(_) => "str",
            Node::Bytes(_) => "bytes",
            Node::ByteArray(_) => "bytearray",
            Node::Big(_) => "int",
            Node::List(_) => "list",
            Node::Tuple(_) => "tuple",
            Node::Dict(_) => "dict",
            Node::Set(_) => "set",
            Node::FrozenSet(_) => "frozenset",
            Node::Global(_) => "global",
            Node::Instance(_) => "object",
            Node::PersistentId(_) => "persistent id",
            Node::Ext(_) => "extension code",
            Node::Buffer(..) => "PickleBuffer",
        }
    }
}

/// The arena of one pickle.
#[derive(Debug, Default)]
pub(crate) struct Tape<'de> {
    pub(crate) nodes: Vec<Node<'de>>,
    /// Text copied from a streaming reader (and decoded Python 2 / protocol 0 text).
    pub(crate) text: String,
    /// Bytes copied from a streaming reader.
    pub(crate) bin: Vec<u8>,
    /// Items of lists, tuples and sets.
    pub(crate) items: Vec<V>,
    /// Items of dicts.
    pub(crate) pairs: Vec<(V, V)>,
}

impl<'de> Tape<'de> {
    /// Bytes of memory held by the arenas.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node<'_>>()
            + self.text.capacity()
            + self.bin.capacity()
            + self.items.capacity() * std::mem::size_of::<V>()
            + self.pairs.capacity() * std::mem::size_of::<(V, V)>()
    }

    /// The same arenas, emptied, free of the input's lifetime (no reallocation: collecting an
    /// empty vector's iterator into a same-sized type reuses its buffer).
    pub(crate) fn emptied(self) -> Tape<'static> {
        let Tape { mut nodes, mut text, mut bin, mut items, mut pairs } = self;
        nodes.clear();
        text.clear();
        bin.clear();
        items.clear();
        pairs.clear();
        // `filter` could not change the lifetime in the element type; this yields nothing.
        #[allow(clippy::unnecessary_filter_map)]
        let nodes = nodes.into_iter().filter_map(|_| None).collect();
        Tape { nodes, text, bin, items, pairs }
    }

    pub(crate) fn str_of(&self, t: Txt<'de>) -> &str {
        match t {
            Txt::Borrowed(s) => s,
            Txt::Heap(a, b) => &self.text[a..b],
        }
    }

    pub(crate) fn bytes_of(&self, b: Bin<'de>) -> &[u8] {
        match b {
            Bin::Borrowed(s) => s,
            Bin::Heap(a, b) => &self.bin[a..b],
        }
    }

    /// The items of a list, tuple, set or frozenset.
    pub(crate) fn seq<'a>(&'a self, items: &'a Items<V>) -> &'a [V] {
        items.get(&self.items)
    }

    /// The entries of a dict.
    pub(crate) fn kv<'a>(&'a self, pairs: &'a Items<(V, V)>) -> &'a [(V, V)] {
        pairs.get(&self.pairs)
    }

    /// The entries of `v` if it is a dict.
    pub(crate) fn dict_of(&self, v: V) -> Option<&[(V, V)]> {
        match self.node(v)? {
            Node::Dict(d) => Some(self.kv(d)),
            _ => None,
        }
    }

    /// The text of a str node, if `v` is one.
    pub(crate) fn text(&self, v: V) -> Option<&str> {
        match v {
            V::N(i) => match self.nodes.get(i as usize)? {
                Node::Str(t) => Some(self.str_of(*t)),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn node(&self, v: V) -> Option<&Node<'de>> {
        match v {
            V::N(i) => self.nodes.get(i as usize),
            _ => None,
        }
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, node: Node<'de>) -> Result<V> {
        let id = u32::try_from(self.nodes.len()).map_err(|_| Error::invalid("too many objects in one pickle"))?;
        self.nodes.push(node);
        Ok(V::N(id))
    }

    fn heap_text(&mut self, s: &str) -> Txt<'de> {
        let start = self.text.len();
        self.text.push_str(s);
        Txt::Heap(start, self.text.len())
    }

    fn heap_bin(&mut self, b: &[u8]) -> Bin<'de> {
        let start = self.bin.len();
        self.bin.extend_from_slice(b);
        Bin::Heap(start, self.bin.len())
    }

    fn global_of(&self, v: V) -> Option<(&str, &str)> {
        match self.node(v)? {
            Node::Global(g) => Some((g.0.as_str(), g.1.as_str())),
            _ => None,
        }
    }

    /// The items of `v` if it is a tuple.
    pub(crate) fn tuple_of(&self, v: V) -> Option<&[V]> {
        match self.node(v)? {
            Node::Tuple(items) => Some(self.seq(items)),
            _ => None,
        }
    }

    /// The items of `v` if it is a list or a tuple.
    pub(crate) fn items_of(&self, v: V) -> Option<&[V]> {
        match self.node(v)? {
            Node::Tuple(items) | Node::List(items) => Some(self.seq(items)),
            _ => None,
        }
    }

    /// Bytes carried by a str of code points below 256 (Python 2 / `_codecs.encode` form).
    fn latin1_bytes(&self, v: V) -> Option<Vec<u8>> {
        let s = self.text(v)?;
        s.chars().map(|c| u8::try_from(c as u32).ok()).collect()
    }
}

fn is_latin1_name(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().replace('_', "-").as_str(),
        "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1"
    )
}

/// The builder that fills a [`Tape`].
#[derive(Default)]
pub(crate) struct TapeBuilder<'de> {
    pub(crate) tape: Tape<'de>,
    buffers: Option<VecDeque<Vec<u8>>>,
    scratch: Scratch<V>,
}

impl<'de> TapeBuilder<'de> {
    pub(crate) fn new(buffers: Option<Vec<Vec<u8>>>) -> Self {
        TapeBuilder { tape: spare::tape(), buffers: buffers.map(VecDeque::from), scratch: spare::scratch() }
    }

    /// Reserve room for the pickle in `input_len` bytes of memory: a guess from its size (no
    /// length read from the input), capped, so that the arenas rarely grow and copy. Untouched
    /// capacity costs address space only; failure to reserve is no error.
    pub(crate) fn reserve_for(&mut self, input_len: usize) {
        const CAP: usize = 1 << 22;
        let _ = self.tape.nodes.try_reserve((input_len / 12).min(CAP));
        let _ = self.tape.pairs.try_reserve((input_len / 10).min(CAP));
        let _ = self.tape.items.try_reserve((input_len / 24).min(CAP));
    }

    /// Take the tape built so far, keeping the builder (and its buffers) for the next pickle.
    pub(crate) fn take(&mut self) -> Tape<'de> {
        std::mem::replace(&mut self.tape, spare::tape())
    }

    fn target(&self, v: &V) -> Result<usize> {
        match v {
            V::N(i) => Ok(*i as usize),
            other => Err(Error::type_error(format!("'{}' object is not a container", scalar_name(*other)))),
        }
    }

    fn instance(&mut self, made: Made, callable: V, args: V, kwargs: Option<V>) -> Result<V> {
        self.tape.push(Node::Instance(Box::new(Inst {
            made,
            callable,
            args,
            kwargs,
            state: None,
            list_items: Vec::new(),
            dict_items: Vec::new(),
        })))
    }

    /// The calls of builtins every pickle of plain data may contain: bytes before protocol 3,
    /// sets before protocol 4, bytearrays before protocol 5 (the same calls the graph builder
    /// turns into values; other known calls are read as natives by `natives::view`).
    fn builtin_call(&mut self, callable: V, args: V) -> Result<Option<V>> {
        let Some((module, name)) = self.tape.global_of(callable) else { return Ok(None) };
        let Some(items) = self.tape.tuple_of(args) else { return Ok(None) };
        let t = &self.tape;
        let node = match (module, name, items) {
            ("_codecs", "encode", [s, enc]) if t.text(*enc).is_some_and(is_latin1_name) => match t.latin1_bytes(*s) {
                Some(b) => {
                    let bin = self.tape.heap_bin(&b);
                    Node::Bytes(bin)
                }
                None => return Ok(None),
            },
            ("builtins", "bytes", []) => Node::Bytes(Bin::Borrowed(&[])),
            ("builtins", "bytearray", []) => Node::ByteArray(Bin::Borrowed(&[])),
            ("builtins", "bytearray", [b]) => match t.node(*b) {
                Some(Node::Bytes(bin)) => Node::ByteArray(*bin),
                _ => return Ok(None),
            },
            ("builtins", "bytearray", [s, enc]) if t.text(*enc).is_some_and(is_latin1_name) => {
                if let Some(Node::Bytes(bin)) = t.node(*s) {
                    let bin = *bin;
                    return self.tape.push(Node::ByteArray(bin)).map(Some);
                }
                match t.latin1_bytes(*s) {
                    Some(b) => {
                        let bin = self.tape.heap_bin(&b);
                        Node::ByteArray(bin)
                    }
                    None => return Ok(None),
                }
            }
            ("builtins", "set", []) => Node::Set(Items::Own(Vec::new())),
            ("builtins", "frozenset", []) => Node::FrozenSet(Items::Own(Vec::new())),
            ("builtins", "set", [seq]) => match t.items_of(*seq) {
                Some(items) => Node::Set(Items::Own(items.to_vec())),
                None => return Ok(None),
            },
            ("builtins", "frozenset", [seq]) => match t.items_of(*seq) {
                Some(items) => Node::FrozenSet(Items::Own(items.to_vec())),
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        self.tape.push(node).map(Some)
    }
}

impl Drop for TapeBuilder<'_> {
    fn drop(&mut self) {
        spare::keep_scratch(std::mem::take(&mut self.scratch));
        spare::keep_tape(std::mem::take(&mut self.tape));
    }
}

fn scalar_name(v: V) -> &'static str {
    match v {
        V::None => "NoneType",
        V::Bool(_) => "bool",
        V::Int(_) => "int",
        V::Float(_) => "float",
        V::N(_) => "object",
    }
}

impl<'de> Builder<'de> for TapeBuilder<'de> {
    type Value = V;

    #[inline]
    fn none(&mut self) -> V {
        V::None
    }

    #[inline]
    fn bool(&mut self, b: bool) -> V {
        V::Bool(b)
    }

    #[inline]
    fn int(&mut self, i: i64) -> V {
        V::Int(i)
    }

    fn big_int(&mut self, n: BigInt) -> Result<V> {
        match i64::try_from(&n) {
            Ok(i) => Ok(V::Int(i)),
            Err(_) => self.tape.push(Node::Big(n)),
        }
    }

    #[inline]
    fn float(&mut self, f: f64) -> V {
        V::Float(f)
    }

    #[inline]
    fn str(&mut self, s: Text<'de, '_>) -> Result<V> {
        let node = match s {
            Text::Borrowed(s) => Node::Str(Txt::Borrowed(s)),
            Text::Transient(s) => Node::Str(self.tape.heap_text(s)),
            Text::Owned(s) => Node::Str(self.tape.heap_text(&s)),
            Text::Surrogates(b) => Node::Surrogates(b),
        };
        self.tape.push(node)
    }

    #[inline]
    fn bytes(&mut self, b: Chunk<'de, '_>) -> Result<V> {
        let bin = match b {
            Chunk::Borrowed(b) => Bin::Borrowed(b),
            other => self.tape.heap_bin(other.as_slice()),
        };
        self.tape.push(Node::Bytes(bin))
    }

    fn bytearray(&mut self, b: Chunk<'de, '_>) -> Result<V> {
        let bin = match b {
            Chunk::Borrowed(b) => Bin::Borrowed(b),
            other => self.tape.heap_bin(other.as_slice()),
        };
        self.tape.push(Node::ByteArray(bin))
    }

    #[inline]
    fn list(&mut self, items: &[V]) -> Result<V> {
        let items = Items::new(&mut self.tape.items, items.iter().copied());
        self.tape.push(Node::List(items))
    }

    #[inline]
    fn append(&mut self, list: &V, item: V) -> Result<()> {
        self.extend(list, &[item])
    }

    #[inline]
    fn extend(&mut self, list: &V, items: &[V]) -> Result<()> {
        let id = self.target(list)?;
        match &mut self.tape.nodes[id] {
            Node::List(v) => v.extend(&mut self.tape.items, items.iter().copied()),
            Node::Instance(inst) => inst.list_items.extend_from_slice(items),
            other => {
                return Err(Error::type_error(format!("'{}' object has no attribute 'append'", other.type_name())))
            }
        }
        Ok(())
    }

    #[inline]
    fn tuple(&mut self, items: &[V]) -> Result<V> {
        let items = Items::new(&mut self.tape.items, items.iter().copied());
        self.tape.push(Node::Tuple(items))
    }

    #[inline]
    fn dict(&mut self, pairs: &[V]) -> Result<V> {
        let pairs = Items::new(&mut self.tape.pairs, pairs.chunks_exact(2).map(|kv| (kv[0], kv[1])));
        self.tape.push(Node::Dict(pairs))
    }

    #[inline]
    fn set_items(&mut self, dict: &V, pairs: &[V]) -> Result<()> {
        let id = self.target(dict)?;
        let kv = pairs.chunks_exact(2).map(|kv| (kv[0], kv[1]));
        match &mut self.tape.nodes[id] {
            Node::Dict(d) => d.extend(&mut self.tape.pairs, kv),
            Node::Instance(inst) => inst.dict_items.extend(kv),
            other => {
                return Err(Error::type_error(format!(
                    "'{}' object does not support item assignment",
                    other.type_name()
                )))
            }
        }
        Ok(())
    }

    fn empty_set(&mut self) -> Result<V> {
        let items = Items::new(&mut self.tape.items, []);
        self.tape.push(Node::Set(items))
    }

    fn add_items(&mut self, set: &V, items: &[V]) -> Result<()> {
        let id = self.target(set)?;
        match &mut self.tape.nodes[id] {
            Node::Set(s) => s.extend(&mut self.tape.items, items.iter().copied()),
            other => return Err(Error::type_error(format!("'{}' object has no attribute 'add'", other.type_name()))),
        }
        Ok(())
    }

    fn frozenset(&mut self, items: &[V]) -> Result<V> {
        let items = Items::new(&mut self.tape.items, items.iter().copied());
        self.tape.push(Node::FrozenSet(items))
    }

    fn global(&mut self, module: &str, name: &str) -> Result<V> {
        self.tape.push(Node::Global(Box::new((module.to_owned(), name.to_owned()))))
    }

    fn stack_global(&mut self, module: V, name: V, py2_names: bool) -> Result<V> {
        let (Some(m), Some(n)) = (self.tape.text(module), self.tape.text(name)) else {
            return Err(Error::invalid("STACK_GLOBAL requires str"));
        };
        let (m, n) = if py2_names { crate::compat::to_py3(m, n) } else { (m, n) };
        let g = Node::Global(Box::new((m.to_owned(), n.to_owned())));
        self.tape.push(g)
    }

    fn ext(&mut self, code: i32) -> Result<V> {
        self.tape.push(Node::Ext(code))
    }

    fn reduce(&mut self, callable: V, args: V) -> Result<V> {
        if let Some(v) = self.builtin_call(callable, args)? {
            return Ok(v);
        }
        self.instance(Made::Reduce, callable, args, None)
    }

    fn new_obj(&mut self, cls: V, args: V) -> Result<V> {
        self.instance(Made::NewObj, cls, args, None)
    }

    fn new_obj_ex(&mut self, cls: V, args: V, kwargs: V) -> Result<V> {
        self.instance(Made::NewObjEx, cls, args, Some(kwargs))
    }

    fn inst(&mut self, module: &str, name: &str, args: &[V]) -> Result<V> {
        let cls = self.global(module, name)?;
        let args = self.tuple(args)?;
        self.instance(Made::Inst, cls, args, None)
    }

    fn obj(&mut self, cls: V, args: &[V]) -> Result<V> {
        let args = self.tuple(args)?;
        self.instance(Made::Obj, cls, args, None)
    }

    fn build(&mut self, obj: &V, state: V) -> Result<()> {
        let id = self.target(obj)?;
        match &mut self.tape.nodes[id] {
            Node::Instance(inst) => {
                inst.state = Some(state);
                Ok(())
            }
            _ if state == V::None => Ok(()),
            other => Err(Error::type_error(format!("BUILD of a '{}' object with state", other.type_name()))),
        }
    }

    fn persistent_id(&mut self, pid: V) -> Result<V> {
        self.tape.push(Node::PersistentId(pid))
    }

    fn next_buffer(&mut self) -> Result<V> {
        let data = match &mut self.buffers {
            Some(queue) => Some(queue.pop_front().ok_or_else(|| Error::invalid("not enough out-of-band buffers"))?),
            None => None,
        };
        self.tape.push(Node::Buffer(data, false))
    }

    fn take_scratch(&mut self) -> Scratch<V> {
        std::mem::take(&mut self.scratch)
    }

    fn keep_scratch(&mut self, scratch: Scratch<V>) {
        self.scratch = scratch;
    }

    fn readonly_buffer(&mut self, buf: &V) -> Result<()> {
        let id = self.target(buf)?;
        match &mut self.tape.nodes[id] {
            Node::Buffer(_, ro) => {
                *ro = true;
                Ok(())
            }
            Node::Bytes(_) => Ok(()),
            other => Err(Error::type_error(format!("READONLY_BUFFER on a '{}' object", other.type_name()))),
        }
    }
}
