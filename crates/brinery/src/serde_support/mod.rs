//! # serde: Rust types to and from pickles
//!
//! `#[derive(Serialize, Deserialize)]` and two calls, as with `serde_json`:
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, PartialEq, Debug)]
//! struct Point { x: i32, y: i32, label: Option<String> }
//!
//! let p = Point { x: 1, y: -2, label: Some("origin".into()) };
//! let bytes = brinery::to_vec(&p).unwrap(); // protocol 5, what pickle.dumps(..., protocol=5) writes
//! let back: Point = brinery::from_slice(&bytes).unwrap();
//! assert_eq!(p, back);
//!
//! // Python: pickle.dumps({'x': 1, 'y': -2, 'label': None}, protocol=2)
//! let from_python = b"\x80\x02}q\x00(X\x01\x00\x00\x00xq\x01K\x01X\x01\x00\x00\x00yq\x02J\xfe\xff\xff\xffX\x05\x00\x00\x00labelq\x03Nu.";
//! let q: Point = brinery::from_slice(from_python).unwrap();
//! assert_eq!(q, Point { x: 1, y: -2, label: None });
//! ```
//!
//! [`to_vec`] / [`to_writer`] write, [`from_slice`] / [`from_reader`] read, [`iter_from_slice`]
//! / [`iter_from_reader`] read several pickles from one stream; the `*_with` forms take
//! [`SerOptions`] (protocol 0–5) or [`DeOptions`] (Python 2 string [`Encoding`],
//! [`Limits`], class instances, cycles, [`DeOptions::max_items`] for shared containers, which
//! serde reads once per reference). [`from_graph`] and [`to_graph`] convert
//! between Rust values and a [`Graph`](crate::Graph), which itself is `Serialize` and
//! `Deserialize`.
//!
//! ## The mapping
//!
//! | Rust (serde data model) | Python written | Python read |
//! |---|---|---|
//! | `bool` | `bool` | `bool` |
//! | `i8` … `i128`, `u8` … `u128`, `isize`, `usize` | `int` | `int` within the type's range (any size) |
//! | `f32`, `f64` | `float` | `float`, `int` |
//! | `char` | `str` of one character | `str` of one character |
//! | `&str`, `String` | `str` | `str`; `bytes`/`bytearray` holding UTF-8; an `int` used as a dict key (its decimal text) |
//! | bytes (`serde_bytes::ByteBuf`, `&[u8]` or `Vec<u8>` with `#[serde(with = "serde_bytes")]`) | `bytes` | `bytes`, `bytearray`, `str` (its UTF-8), a list or tuple of ints |
//! | `Vec<u8>`, `[u8; N]` without `serde_bytes` | `list` / `tuple` of ints (serde's choice) | those, and `bytes`/`bytearray` |
//! | `Option<T>` | `None` or the value | `None` or the value |
//! | `()`, unit struct | `None` | `None`, `()` |
//! | newtype struct `S(T)` | the value | the value |
//! | tuple, tuple struct, `[T; N]` | `tuple` | `tuple`, `list`, `set`, `frozenset` |
//! | `Vec<T>`, slices, `HashSet<T>`, any sequence | `list` | `list`, `tuple`, `set`, `frozenset` |
//! | `HashMap<K, V>`, `BTreeMap<K, V>`, any map; keys of any hashable kind (int, str, bytes, bool, float, None, tuples of these) | `dict` | `dict` |
//! | struct | `dict` keyed by field name | `dict`; a tuple or list of the fields in order (a namedtuple's arguments) |
//! | unit variant `E::A` | `'A'` | `'A'`, `{'A': None}`, `('A',)` |
//! | newtype variant `E::B(x)` | `{'B': x}` | `{'B': x}`, `('B', x)` |
//! | tuple variant `E::C(x, y)` | `{'C': (x, y)}` | `{'C': (x, y)}`, `{'C': [x, y]}`, `('C', [x, y])` |
//! | struct variant `E::D { f }` | `{'D': {'f': f}}` | `{'D': {'f': f}}`, `('D', {'f': f})` |
//! | [`Graph`](crate::Graph) | its serde view (below) | any pickle, exactly as [`loads`](crate::loads) reads it |
//! | | | `datetime.date`, `.time`, `.datetime` (naive or with a `datetime.timezone`): ISO 8601 text, as `isoformat()` |
//! | | | `decimal.Decimal`, `uuid.UUID`: their text |
//! | | | `collections.OrderedDict`, `Counter`, `defaultdict`: a map; `deque`: a sequence |
//! | | | `complex`, `datetime.timedelta`, `datetime.timezone`, `fractions.Fraction`, `range`, `slice`: the tuple of their constructor arguments |
//! | | | any other class instance, with [`DeOptions::instances_as_state`]: its state (`__dict__`, merged with `__slots__` state), else its constructor arguments; an error otherwise |
//!
//! Reading, a type that asks for "anything" (`serde_json::Value`, `#[serde(untagged)]`) sees
//! `None` as unit, `int` as `i64`/`u64`/`i128`/`u128`, sets and tuples as sequences. A shared
//! object (memoized once, referenced twice) is read once per reference; an object that contains
//! itself is an error unless [`DeOptions::recursive_as_none`] (or read it as a
//! [`Graph`](crate::Graph), which keeps cycles). `&str` and `&[u8]` fields borrow from the input
//! of [`from_slice`] (`#[serde(borrow)]`), except Python 2 and protocol 0 strings, which are
//! decoded.
//!
//! ## Byte-exact output
//!
//! [`to_vec`] writes exactly what CPython's `pickle.dumps(obj, protocol)` writes for the Python
//! object a program would naturally build for the value: struct field names and variant names
//! are interned strings (one object per name, as in every dict made from literals,
//! `dataclasses.asdict` or `vars()`), every other string, bytes, list, dict and tuple is its own
//! object, except that CPython's cached objects (the empty str, one-character strs below
//! U+0100, the empty bytes) are one object per content. Sequences and maps whose length serde
//! does not announce are written the same way; only their frames may differ when their first
//! item alone is larger than 64 KiB.
//!
//! ## Errors
//!
//! Errors say what was expected, what the pickle holds and where:
//!
//! ```
//! #[derive(serde::Deserialize, Debug)]
//! struct Item { id: u32 }
//! // Python: pickle.dumps([{'id': 1}, {'id': 'two'}], protocol=4)
//! let data = b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00]\x94(}\x94\x8c\x02id\x94K\x01s}\x94h\x02\x8c\x03two\x94se.";
//! let err = brinery::from_slice::<Vec<Item>>(data).unwrap_err();
//! assert_eq!(err.to_string(), "expected u32, found str at [1].id");
//! ```
//!
//! ## Coming from serde-pickle
//!
//! | serde-pickle 1.2 | brinery |
//! |---|---|
//! | `to_vec(&v, SerOptions::new())` (protocol 3) | `to_vec(&v)` (protocol 5); `to_vec_with(&v, &SerOptions::new().protocol(3))` |
//! | `SerOptions::new().proto_v2()` | `SerOptions::new().protocol(2)` (any of 0–5) |
//! | `SerOptions::compat_enum_repr()` (`('Variant', value)`) | not written; still read |
//! | tuple variants written as `{'C': [x, y]}` | written as `{'C': (x, y)}`; both read |
//! | `from_slice(&b, DeOptions::new())`, `from_reader(r, …)` | `from_slice(&b)` (borrows `&str`/`&[u8]`), `from_reader(r)` |
//! | Python 2 `str` kept as bytes unless `decode_strings()` | decoded as ASCII, as CPython does; `DeOptions::new().encoding(Encoding::Utf8 / Latin1 / Bytes)` |
//! | `DeOptions::keep_restore_state()` | `DeOptions::new().instances_as_state(true)` |
//! | `DeOptions::replace_unresolved_globals()` | `DeOptions::new().opaque_as_none(true)` |
//! | `DeOptions::replace_recursive_structures()` | `DeOptions::new().recursive_as_none(true)`, or read a `Graph` |
//! | `Deserializer::reset_memo()` between pickles | [`iter_from_reader`] / [`iter_from_slice`] |
//! | `value_from_slice`, `serde_pickle::Value`, `HashableValue` | [`loads`](crate::loads), [`Graph`](crate::Graph) (also as a struct field) |
//! | ints beyond `i64` fail through serde | `i128`/`u128` fields; any size in a `Graph` |
//! | `Vec<u8>` needs `serde_bytes` to read `bytes` | `Vec<u8>` reads `bytes` directly; `serde_bytes` still needed to *write* `bytes` |
//! | trailing bytes after STOP are an error | the same; [`DeOptions::allow_trailing_bytes`] |
//! | `serde_pickle::Error` | [`Error`], with the path to the failing value |

mod de;
mod direct;
mod graph;
mod natives;
mod run;
mod ser;
mod spare;
pub(crate) use spare::release_kept;
mod tape;

pub use ser::{Compound, Serializer};

use crate::error::{Error, ErrorKind, Result};
use crate::options::{Encoding, Limits, LoadOptions};
use crate::read::{IoRead, Read, SliceRead};
use de::{Core, Flags, ValueDe};
use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use tape::{TapeBuilder, V};

/// Options for writing Rust values as pickles.
///
/// ```
/// let opts = brinery::SerOptions::new().protocol(0);
/// assert_eq!(brinery::to_vec_with(&(1, 2), &opts).unwrap(), b"(I1\nI2\ntp0\n.");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SerOptions {
    protocol: u8,
}

impl Default for SerOptions {
    fn default() -> Self {
        SerOptions { protocol: 5 }
    }
}

impl SerOptions {
    /// Protocol 5.
    pub fn new() -> Self {
        Self::default()
    }

    /// Write this protocol (0–5; more is an error when writing).
    pub fn protocol(mut self, protocol: u8) -> Self {
        self.protocol = protocol;
        self
    }
}

/// Options for reading pickles into Rust values.
///
/// ```
/// use brinery::{DeOptions, Encoding};
/// // Python 2: pickle.dumps({'name': 'caf\xe9'}) -- a byte string
/// let py2 = b"(dp0\nS'name'\np1\nS'caf\\xe9'\np2\ns.";
/// let opts = DeOptions::new().encoding(Encoding::Latin1);
/// let m: std::collections::HashMap<String, String> = brinery::from_slice_with(py2, &opts).unwrap();
/// assert_eq!(m["name"], "café");
/// ```
#[derive(Clone, Debug)]
pub struct DeOptions {
    load: LoadOptions,
    instances_as_state: bool,
    recursive_as_none: bool,
    opaque_as_none: bool,
    allow_trailing: bool,
    max_depth: usize,
    max_items: Option<usize>,
}

impl Default for DeOptions {
    fn default() -> Self {
        DeOptions {
            load: LoadOptions::default(),
            instances_as_state: false,
            recursive_as_none: false,
            opaque_as_none: false,
            allow_trailing: false,
            max_depth: 128,
            max_items: None,
        }
    }
}

impl From<LoadOptions> for DeOptions {
    fn from(load: LoadOptions) -> Self {
        DeOptions { load, ..Default::default() }
    }
}

impl DeOptions {
    /// The defaults: CPython's ASCII decoding of Python 2 strings, default [`Limits`], class
    /// instances and cycles are errors, nesting up to 128 levels, no bytes after the pickle.
    pub fn new() -> Self {
        Self::default()
    }

    /// How Python 2 strings (STRING, BINSTRING, SHORT_BINSTRING) are decoded.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.load = self.load.encoding(encoding);
        self
    }

    /// Resource limits for reading.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.load = self.load.limits(limits);
        self
    }

    /// Out-of-band buffers for protocol 5's NEXT_BUFFER, in order; they read as bytes.
    pub fn buffers(mut self, buffers: Vec<Vec<u8>>) -> Self {
        self.load = self.load.buffers(buffers);
        self
    }

    /// Read a class instance (a dataclass, a plain object, a namedtuple …) as its state: the
    /// `__dict__` (merged with `__slots__` state) given by BUILD, else its items (dict and list
    /// subclasses), else its constructor arguments. Off by default: an instance is an error.
    ///
    /// ```
    /// #[derive(serde::Deserialize, Debug, PartialEq)]
    /// struct Point { x: i32, y: i32 }
    /// // Python: @dataclass class Point: x: int; y: int
    /// //         pickle.dumps(Point(1, 2), protocol=4)
    /// let data = b"\x80\x04\x95*\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ub.";
    /// assert!(brinery::from_slice::<Point>(data).is_err());
    /// let opts = brinery::DeOptions::new().instances_as_state(true);
    /// assert_eq!(brinery::from_slice_with::<Point>(data, &opts).unwrap(), Point { x: 1, y: 2 });
    /// ```
    pub fn instances_as_state(mut self, yes: bool) -> Self {
        self.instances_as_state = yes;
        self
    }

    /// Read a reference back into an object that contains it as None instead of failing.
    pub fn recursive_as_none(mut self, yes: bool) -> Self {
        self.recursive_as_none = yes;
        self
    }

    /// Read what has no serde form (class instances without `instances_as_state`, bare
    /// globals, persistent ids, extension codes, out-of-band buffers with no data) as None.
    pub fn opaque_as_none(mut self, yes: bool) -> Self {
        self.opaque_as_none = yes;
        self
    }

    /// Ignore bytes after the pickle's STOP (as `pickle.loads` does) instead of failing.
    pub fn allow_trailing_bytes(mut self, yes: bool) -> Self {
        self.allow_trailing = yes;
        self
    }

    /// Most nested containers (each level uses some stack while deserializing).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Most container items (list, tuple and set items, dict entries) handed to serde in all.
    ///
    /// serde has no sharing: a container the pickle references twice is read twice. A small
    /// hostile pickle of lists that each hold the previous one twice would so expand into a
    /// value of 2^60 items, so reading stops with an error past this many. The default is 64
    /// times the items and objects the pickle holds, and at least 2^20.
    ///
    /// ```
    /// // [[[], []], [[], []]] as 3 lists, each holding the one before twice.
    /// let shared = b"\x80\x02]q\x00(h\x00h\x00lq\x01(h\x01h\x01l.";
    /// let v: Vec<Vec<Vec<u8>>> = brinery::from_slice(shared).unwrap();
    /// assert_eq!(v, vec![vec![Vec::<u8>::new(), vec![]]; 2]);
    /// let tight = brinery::DeOptions::new().max_items(5);
    /// let err = brinery::from_slice_with::<Vec<Vec<Vec<u8>>>>(shared, &tight).unwrap_err();
    /// assert!(err.to_string().contains("more than 5 items"), "{err}");
    /// ```
    pub fn max_items(mut self, items: usize) -> Self {
        self.max_items = Some(items);
        self
    }
}

// ---- writing -----------------------------------------------------------------------------

/// Write `value` as a protocol 5 pickle.
///
/// ```
/// use std::collections::BTreeMap;
/// let mut m = BTreeMap::new();
/// m.insert(1, vec!["a", "bc"]);
/// // Python: pickle.dumps({1: ['a', 'bc']}, protocol=5)
/// assert_eq!(
///     brinery::to_vec(&m).unwrap(),
///     b"\x80\x05\x95\x13\x00\x00\x00\x00\x00\x00\x00}\x94K\x01]\x94(\x8c\x01a\x94\x8c\x02bc\x94es."
/// );
/// ```
pub fn to_vec<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>> {
    ser::to_vec_proto(value, 5)
}

/// [`to_vec`] with options.
pub fn to_vec_with<T: ?Sized + Serialize>(value: &T, opts: &SerOptions) -> Result<Vec<u8>> {
    ser::to_vec_proto(value, opts.protocol)
}

/// Write `value` as a protocol 5 pickle to a writer (large payloads go straight through).
///
/// ```
/// let mut out = Vec::new();
/// brinery::to_writer(&mut out, &Some(true)).unwrap();
/// assert_eq!(out, b"\x80\x05\x88.");
/// ```
pub fn to_writer<W: std::io::Write, T: ?Sized + Serialize>(writer: W, value: &T) -> Result<()> {
    ser::to_writer_proto(writer, value, 5)
}

/// [`to_writer`] with options.
pub fn to_writer_with<W: std::io::Write, T: ?Sized + Serialize>(writer: W, value: &T, opts: &SerOptions) -> Result<()> {
    ser::to_writer_proto(writer, value, opts.protocol)
}

/// A [`Graph`](crate::Graph) of `value`, as loading its pickle would give.
///
/// ```
/// let g = brinery::to_graph(&("a", 1)).unwrap();
/// assert!(matches!(g.object(g.root()), Some(brinery::Object::Tuple(t)) if t.len() == 2));
/// ```
pub fn to_graph<T: ?Sized + Serialize>(value: &T) -> Result<crate::Graph> {
    crate::loads(&ser::to_vec_proto(value, 5)?)
}

// ---- reading -----------------------------------------------------------------------------

/// A serde deserializer holding one parsed pickle.
///
/// [`from_slice`] and [`from_reader`] are the usual way in; this type is for calling
/// `T::deserialize` yourself (for instance through `serde_path_to_error`).
///
/// ```
/// use serde::Deserialize;
/// let data = b"\x80\x04K\x07.";
/// let mut de = brinery::Deserializer::from_slice(data, &Default::default()).unwrap();
/// assert_eq!(u8::deserialize(&mut de).unwrap(), 7);
/// ```
pub struct Deserializer<'de> {
    core: Core<'de>,
}

impl<'de> Deserializer<'de> {
    /// Parse one pickle from the start of `data`.
    pub fn from_slice(data: &'de [u8], opts: &DeOptions) -> Result<Self> {
        let mut r = SliceRead::new(data);
        let mut b = TapeBuilder::new(opts.load.buffers.clone());
        b.reserve_for(data.len());
        let root = parse_one(&mut r, &mut b, opts)?;
        if !opts.allow_trailing && !r.rest().is_empty() {
            return Err(trailing(r.offset()));
        }
        Ok(Deserializer { core: Core::new(b.take(), root, Flags::from(opts)) })
    }

    /// Parse one pickle from a reader.
    pub fn from_reader<R: std::io::Read>(reader: R, opts: &DeOptions) -> Result<Deserializer<'static>> {
        let mut r = IoRead::new(reader);
        let mut b = TapeBuilder::new(opts.load.buffers.clone());
        let root = parse_one(&mut r, &mut b, opts)?;
        if !opts.allow_trailing {
            let at = r.offset();
            if r.byte()?.is_some() {
                return Err(trailing(at));
            }
        }
        Ok(Deserializer { core: Core::new(b.take(), root, Flags::from(opts)) })
    }

    fn root(&mut self) -> ValueDe<'_, 'de> {
        self.core.err_path.clear();
        let root = self.core.root;
        ValueDe::new(&mut self.core, root)
    }
}

fn trailing(offset: u64) -> Error {
    Error::invalid(
        "bytes after the pickle's STOP (DeOptions::allow_trailing_bytes ignores them; iter_from_slice reads \
         several pickles)",
    )
    .at(offset, None)
}

fn parse_one<'de, R: Read<'de>>(r: &mut R, b: &mut TapeBuilder<'de>, opts: &DeOptions) -> Result<V> {
    match crate::machine::run(r, b, &opts.load)? {
        Some(root) => Ok(root),
        None => Err(Error::from(ErrorKind::Eof).at(r.offset(), None)),
    }
}

macro_rules! forward_root {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {$(
        fn $method<Vi: Visitor<'de>>(self, $($arg: $ty,)* visitor: Vi) -> Result<Vi::Value> {
            let r = serde::Deserializer::$method(self.root(), $($arg,)* visitor);
            r.map_err(|e| self.core.finish_error(e))
        }
    )*};
}

impl<'de> serde::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    forward_root! {
        deserialize_any(); deserialize_bool(); deserialize_i8(); deserialize_i16(); deserialize_i32();
        deserialize_i64(); deserialize_i128(); deserialize_u8(); deserialize_u16(); deserialize_u32();
        deserialize_u64(); deserialize_u128(); deserialize_f32(); deserialize_f64(); deserialize_char();
        deserialize_str(); deserialize_string(); deserialize_bytes(); deserialize_byte_buf();
        deserialize_option(); deserialize_unit(); deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str); deserialize_seq(); deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize); deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier(); deserialize_ignored_any();
    }
}

/// Read a `T` from one pickle (protocols 0–5). `&str` and `&[u8]` in `T` borrow from `data`.
///
/// The layout CPython writes for lists, dicts, str, bytes and numbers is read straight into `T`;
/// anything else (tuples, instances, shared containers …) is read through an intermediate tape
/// of the pickle, with the same result. `T`'s `Deserialize` may then run a second time, after a
/// first attempt that gave way, so it should not have side effects beyond its value.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct Msg<'a> { #[serde(borrow)] name: &'a str, #[serde(borrow, with = "serde_bytes")] body: &'a [u8] }
/// // Python: pickle.dumps({'name': 'ping', 'body': b'\x00\x01'}, protocol=4)
/// let data = b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04name\x94\x8c\x04ping\x94\x8c\x04body\x94C\x02\x00\x01\x94u.";
/// let m: Msg = brinery::from_slice(data).unwrap();
/// assert_eq!((m.name, m.body), ("ping", &b"\x00\x01"[..]));
/// ```
pub fn from_slice<'de, T: Deserialize<'de>>(data: &'de [u8]) -> Result<T> {
    from_slice_with(data, &DeOptions::default())
}

/// [`from_slice`] with options.
pub fn from_slice_with<'de, T: Deserialize<'de>>(data: &'de [u8], opts: &DeOptions) -> Result<T> {
    if let Some(value) = direct::from_slice(data, opts) {
        return Ok(value);
    }
    let mut de = Deserializer::from_slice(data, opts)?;
    T::deserialize(&mut de)
}

/// Read a `T` from one pickle from a reader; the reader must end after it (see
/// [`iter_from_reader`] for several pickles).
///
/// ```
/// let v: Vec<i64> = brinery::from_reader(&b"\x80\x02]q\x00(K\x01J\xff\xff\xff\xffe."[..]).unwrap();
/// assert_eq!(v, [1, -1]);
/// ```
pub fn from_reader<R: std::io::Read, T: DeserializeOwned>(reader: R) -> Result<T> {
    from_reader_with(reader, &DeOptions::default())
}

/// [`from_reader`] with options.
pub fn from_reader_with<R: std::io::Read, T: DeserializeOwned>(reader: R, opts: &DeOptions) -> Result<T> {
    let mut de = Deserializer::from_reader(reader, opts)?;
    T::deserialize(&mut de)
}

/// Read a `T` from a [`Graph`](crate::Graph), as if from its pickle.
///
/// ```
/// let g = brinery::loads(b"\x80\x04\x95\n\x00\x00\x00\x00\x00\x00\x00\x8c\x02hi\x94K\x02\x86\x94.").unwrap();
/// let (s, n): (String, u8) = brinery::from_graph(&g).unwrap();
/// assert_eq!((s.as_str(), n), ("hi", 2));
/// ```
pub fn from_graph<T: DeserializeOwned>(graph: &crate::Graph) -> Result<T> {
    from_graph_with(graph, &DeOptions::default())
}

/// [`from_graph`] with options.
pub fn from_graph_with<T: DeserializeOwned>(graph: &crate::Graph, opts: &DeOptions) -> Result<T> {
    let (tape, root) = graph::graph_to_tape(graph)?;
    let mut de = Deserializer { core: Core::new(tape, root, Flags::from(opts)) };
    T::deserialize(&mut de)
}

/// An iterator over the `T`s of several pickles written back to back (as repeated
/// `pickle.dump` calls on one file write them), until the end of the input.
///
/// ```
/// // Python: for x in (1, 'two', [3]): pickle.dump(x, f, protocol=2)
/// let data = b"\x80\x02K\x01.\x80\x02X\x03\x00\x00\x00twoq\x00.\x80\x02]q\x00K\x03a.";
/// let items: Vec<serde_json::Value> =
///     brinery::iter_from_slice(data).collect::<Result<_, _>>().unwrap();
/// assert_eq!(items, [serde_json::json!(1), serde_json::json!("two"), serde_json::json!([3])]);
/// ```
pub struct StreamDeserializer<'de, R, T> {
    reader: R,
    builder: TapeBuilder<'de>,
    opts: DeOptions,
    done: bool,
    _t: PhantomData<fn() -> T>,
}

/// The `T`s of the pickles in `data`, one after another.
pub fn iter_from_slice<'de, T: Deserialize<'de>>(data: &'de [u8]) -> StreamDeserializer<'de, SliceRead<'de>, T> {
    iter_from_slice_with(data, &DeOptions::default())
}

/// [`iter_from_slice`] with options.
pub fn iter_from_slice_with<'de, T: Deserialize<'de>>(
    data: &'de [u8],
    opts: &DeOptions,
) -> StreamDeserializer<'de, SliceRead<'de>, T> {
    StreamDeserializer::new(SliceRead::new(data), opts)
}

/// The `T`s of the pickles a reader yields, one after another (each read only when needed).
///
/// ```
/// let data: &[u8] = b"K\x01.K\x02.";
/// let mut it = brinery::iter_from_reader::<_, u8>(data);
/// assert_eq!(it.next().unwrap().unwrap(), 1);
/// assert_eq!(it.next().unwrap().unwrap(), 2);
/// assert!(it.next().is_none());
/// ```
pub fn iter_from_reader<R: std::io::Read, T: DeserializeOwned>(reader: R) -> StreamDeserializer<'static, IoRead<R>, T> {
    iter_from_reader_with(reader, &DeOptions::default())
}

/// [`iter_from_reader`] with options.
pub fn iter_from_reader_with<R: std::io::Read, T: DeserializeOwned>(
    reader: R,
    opts: &DeOptions,
) -> StreamDeserializer<'static, IoRead<R>, T> {
    StreamDeserializer::new(IoRead::new(reader), opts)
}

impl<'de, R, T> StreamDeserializer<'de, R, T> {
    fn new(reader: R, opts: &DeOptions) -> Self {
        StreamDeserializer {
            reader,
            builder: TapeBuilder::new(opts.load.buffers.clone()),
            opts: opts.clone(),
            done: false,
            _t: PhantomData,
        }
    }
}

impl<'de, R: Read<'de>, T: Deserialize<'de>> Iterator for StreamDeserializer<'de, R, T> {
    type Item = Result<T>;

    fn next(&mut self) -> Option<Result<T>> {
        if self.done {
            return None;
        }
        let root = match crate::machine::run(&mut self.reader, &mut self.builder, &self.opts.load) {
            Ok(Some(root)) => root,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        let mut de = Deserializer { core: Core::new(self.builder.take(), root, Flags::from(&self.opts)) };
        // A value of the wrong shape leaves the stream in place: the next pickle can still be read.
        Some(T::deserialize(&mut de))
    }
}
