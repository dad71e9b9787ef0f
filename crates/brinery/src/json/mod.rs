//! JSON for value graphs: a lossless form that converts back to the very same pickle bytes, and
//! a plain, lossy form for people and `jq`.
//!
//! # The lossless form
//!
//! A document is an object with a format version, the root value and a table of objects:
//!
//! ```text
//! {"brinery": 1, "root": VALUE, "objects": [NODE, NODE, ...]}
//! ```
//!
//! Every Python object that has identity is written once. An object that is referenced from
//! one place only is written right there, inline; an object referenced from several places (or
//! from inside itself) is written once in `objects` and referenced as `{"$ref": N}`, N being its
//! index in that array. So sharing and cycles come back exactly. (Objects nested more than 32
//! deep also go to the table, which keeps every document shallow enough for any JSON parser.)
//! `objects` is left out when it would be empty. Table entries are numbered in order of first
//! appearance, so a graph always gives the same document.
//!
//! Strs, globals and the empty tuple are shared all the time (CPython shares a dict's keys
//! across records and attribute names across instances, every instance refers to its class, and
//! `()` is one object), so they are written by content instead: every plain JSON string with the
//! same text is one str object, every `{"$global": [module, qualname]}` with the same name one
//! global object, and every `{"$tuple": []}` the one empty tuple. A separate object with the
//! same content (rare) is written `{"$str": "text"}`, `{"$global": [...], "new": true}` or
//! `{"$tuple": [], "new": true}`, and goes through the table like any other object when it is
//! shared.
//!
//! For example, `l = [1, 2.5]; l.append(l); {'a': l, 'b': (b'\x00', None)}` is
//!
//! ```json
//! {"brinery": 1,
//!  "root": {"$dict": [["a", {"$ref": 0}], ["b", {"$tuple": [{"$bytes": "AA=="}, null]}]]},
//!  "objects": [[1, 2.5, {"$ref": 0}]]}
//! ```
//!
//! Floats are exact for any reader that parses JSON numbers correctly (Python's `json`, `jq`,
//! JavaScript, serde_json with `float_roundtrip`): serde_json's default parser can miss the
//! last bit of a float with a large exponent, and brinery-cli turns that feature on.
//!
//! A VALUE, wherever one is expected, is one of:
//!
//! | JSON | Python |
//! | --- | --- |
//! | `null`, `true`, `false` | `None`, `True`, `False` |
//! | an integer number (64-bit) | `int` |
//! | a number with a fraction or exponent (`1.0`, `1e300`) | `float`, exactly |
//! | `{"$float": "nan"}` (also `"inf"`, `"-inf"`, `"0x7ff8000000000001"`, `"1e-75"`) | a float a JSON number can't carry: `nan` is the usual quiet NaN, `0x` + 16 hex digits any other NaN's exact bits; a decimal text is used for a finite float only when serde_json as built would not read the number back exactly (without its `float_roundtrip` feature) |
//! | `"text"` | the document's `str` with this text (one object per text) |
//! | `{"$global": ["module", "qualname"]}` | the document's reference to that class or function (one object per name) |
//! | `{"$tuple": []}` | the document's empty tuple |
//! | `{"$ref": N}` | the object `objects[N]` |
//! | any NODE | a new object, used only here |
//!
//! A NODE is an object:
//!
//! | JSON | Python |
//! | --- | --- |
//! | `{"$str": "text"}` | a `str` object of its own (equal to, but not the same object as, `"text"`) |
//! | `{"$str": ["a", 55296, "b"]}` | a `str` with lone surrogates: runs of text and surrogates' code points |
//! | `[VALUE, ...]` | `list` |
//! | `{"$tuple": [VALUE, ...]}` | `tuple` (`{"$tuple": [], "new": true}`: an empty tuple of its own) |
//! | `{"$bytes": "base64"}`, `{"$bytearray": "base64"}` | `bytes`, `bytearray` (standard alphabet, padded) |
//! | `{"$int": "123456789012345678901234567890"}` | an `int` object beyond 64 bits (`"-0x1f..."`, hexadecimal, past 14,000 bits) |
//! | `{"$dict": [[KEY, VALUE], ...]}` | `dict`, in order (keys are VALUEs too) |
//! | `{"$set": [...]}`, `{"$frozenset": [...]}` | `set`, `frozenset`, in order |
//! | `{"$global": ["module", "qualname"], "new": true}` | a class or function reference of its own |
//! | `{"$instance": "reduce", "callable": V, "args": V, "kwargs": V, "state": V, "list_items": [V, ...], "dict_items": [[K, V], ...]}` | an inert instance or call result; the kind is `reduce`, `newobj`, `newobj_ex`, `inst` or `obj`; `kwargs`, `state`, `list_items` and `dict_items` are left out when absent (`"state": null` is a BUILD with `None`) |
//! | `{"$persistent_id": V}` | a persistent reference |
//! | `{"$ext": 42}` | an extension code |
//! | `{"$buffer": "base64" or null, "readonly": true}` | a protocol 5 `PickleBuffer` (`null`: out of band, without data; `readonly` only when true) |
//! | `{"$complex": [re, im]}` | `complex` (floats as above) |
//! | `{"$range": [V, V, V]}`, `{"$slice": [V, V, V]}` | `range`, `slice` |
//! | `{"$date": "2024-02-29"}` | `datetime.date` |
//! | `{"$time": "12:34:56.000789", "fold": true, "tzinfo": V}` | `datetime.time` (`fold` only when set; `tzinfo` left out when there is none) |
//! | `{"$datetime": "2024-02-29T23:59:58.123456", "fold": true, "tzinfo": V}` | `datetime.datetime` |
//! | `{"$timedelta": [days, seconds, microseconds]}` | `datetime.timedelta` |
//! | `{"$timezone": V, "name": V}` | `datetime.timezone(offset[, name])` (`name` left out when `None`) |
//! | `{"$decimal": "1.10"}` | `decimal.Decimal` |
//! | `{"$uuid": "12345678-1234-5678-1234-567812345678"}` | `uuid.UUID` |
//! | `{"$fraction": [V, V]}` | `fractions.Fraction` |
//! | `{"$ordereddict": [[K, V], ...]}`, `{"$counter": [[K, V], ...]}` | `OrderedDict`, `Counter` |
//! | `{"$defaultdict": [[K, V], ...], "factory": V}` | `defaultdict` |
//! | `{"$deque": [V, ...], "maxlen": V}` | `deque` (`maxlen` left out when `None`) |
//!
//! Reading is strict: unknown tags or keys, references out of range, keys that are equal to
//! earlier ones in a dict or set (Python's `1 == 1.0 == True`), and objects that are among their
//! own constructor arguments (a tuple containing itself, an instance whose `args` reach back to
//! it, ...: loading never makes those, and neither hashing nor pickling could finish on them)
//! are errors, never panics, and so are objects nested more than 64 deep (brinery writes at most
//! 33). A number beyond 64 bits is read as an int object.
//!
//! # The lossy form
//!
//! [`to_json_lossy`] writes plain JSON that reads naturally and suits `jq`, and cannot be
//! converted back:
//!
//! - `None`, bools, ints and floats are JSON's own; ints beyond 64 bits are strings of digits;
//!   `nan`, `inf` and `-inf` are the strings `"nan"`, `"inf"` and `"-inf"`.
//! - `str` is a string (lone surrogates become U+FFFD); `bytes`, `bytearray` and buffers are
//!   base64 strings (a buffer without data is `null`).
//! - `list`, `tuple`, `set`, `frozenset` and `deque` are arrays.
//! - `dict`, `OrderedDict`, `Counter` and `defaultdict` are objects. Keys that are not `str` are
//!   written as Python's repr: `1`, `1.5`, `None`, `(1, 'x')`, `b'k'`, `frozenset({3, 4})`. When
//!   two keys come out the same, the later value wins, at the earlier key's place.
//! - Instances are objects: `"$class"` (`"module.qualname"`), `"$args"` when there are any, then
//!   their state's attributes when the state is a dict or a `(dict, slots)` pair (otherwise
//!   `"$state"`), `"$kwargs"`, `"$list"` and `"$dict"` for the rest.
//! - Globals are `"module.qualname"`; dates and times ISO 8601 strings (with the offset when the
//!   tzinfo is a `datetime.timezone`); timedeltas their total seconds; timezones `str(tz)`;
//!   `Decimal`, `UUID` and `Fraction` their `str()`; complex `{"real": x, "imag": y}`; ranges and
//!   slices `{"start", "stop", "step"}`; `{"$persistent_id": V}` and `{"$ext": code}`.
//! - A container met a second time (shared, or a cycle) is `{"$ref": "#/json/pointer"}`, the
//!   JSON Pointer of its first occurrence in the same document (`"#"` is the root).
//! - Containers nested more than 100 deep are `{"$deep": "..."}`.
//!
//! ```
//! // Python: pickle.dumps({'a': [1, 2.5, None]}, protocol=2)
//! let data = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00Nes.";
//! let graph = brinery::loads(data).unwrap();
//! assert_eq!(brinery::json::to_json_lossy(&graph), serde_json::json!({"a": [1, 2.5, null]}));
//! ```

mod decode;
mod encode;
mod lossy;
mod tree;

use crate::error::{Error, Result};
use crate::value::Graph;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as Json;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;

/// The `"brinery"` version of the documents this module writes and reads.
pub const FORMAT_VERSION: u64 = 1;

/// Objects nested deeper than this go to the table instead of inline.
const MAX_INLINE: u32 = 32;

/// The lossless JSON document of a graph.
///
/// ```
/// use serde_json::json;
/// // l = [1, 2.5]; l.append(l); pickle.dumps({'a': l, 'b': (b'\x00', None)}, 2)
/// let mut g = brinery::Graph::new();
/// let l = g.list(vec![brinery::Value::Int(1), brinery::Value::Float(2.5)]);
/// if let Some(brinery::Object::List(items)) = l.id().map(|id| g.get_mut(id)) {
///     items.push(l);
/// }
/// let zero = g.bytes(b"\x00");
/// let t = g.tuple(vec![zero, brinery::Value::None]);
/// let d = g.dict();
/// let (a, b) = (g.str("a"), g.str("b"));
/// g.dict_insert(d, a, l).unwrap();
/// g.dict_insert(d, b, t).unwrap();
/// g.set_root(d);
///
/// let doc = brinery::json::to_json(&g);
/// assert_eq!(
///     doc,
///     json!({
///         "brinery": 1,
///         "root": {"$dict": [["a", {"$ref": 0}], ["b", {"$tuple": [{"$bytes": "AA=="}, null]}]]},
///         "objects": [[1, 2.5, {"$ref": 0}]]
///     })
/// );
/// let back = brinery::json::from_json(&doc).unwrap();
/// assert_eq!(brinery::dumps(&back, 2).unwrap(), brinery::dumps(&g, 2).unwrap());
/// ```
pub fn to_json(graph: &Graph) -> Json {
    let mut enc = encode::Encoder::new(graph);
    let root = enc.root();
    let mut doc = serde_json::Map::new();
    doc.insert("brinery".into(), Json::from(FORMAT_VERSION));
    let has_objects = enc.has_entries();
    doc.insert("root".into(), root.into_value());
    if has_objects {
        let mut objects = Vec::new();
        while let Some(entry) = enc.next_entry() {
            objects.push(entry.into_value());
        }
        doc.insert("objects".into(), Json::Array(objects));
    }
    Json::Object(doc)
}

/// The lossless document as compact JSON text.
///
/// ```
/// let g = brinery::loads(b"\x80\x04\x95\x17\x00\x00\x00\x00\x00\x00\x00]\x94(G\x7f\xf8\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00e.").unwrap();
/// assert_eq!(brinery::json::to_string(&g), r#"{"brinery":1,"root":[{"$float":"nan"},-0.0]}"#);
/// ```
pub fn to_string(graph: &Graph) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and the text is UTF-8.
    let _ = to_writer(&mut out, graph);
    String::from_utf8(out).unwrap_or_default()
}

/// Write the lossless document as compact JSON. Table entries are produced one at a time as
/// they are written, so no whole `serde_json::Value` is built.
///
/// ```
/// let g = brinery::loads(b"\x80\x02]q\x00(K\x01h\x00e.").unwrap(); // l = [1]; l.append(l)
/// let mut out = Vec::new();
/// brinery::json::to_writer(&mut out, &g).unwrap();
/// assert_eq!(out, br#"{"brinery":1,"root":{"$ref":0},"objects":[[1,{"$ref":0}]]}"#);
/// ```
pub fn to_writer<W: io::Write>(writer: W, graph: &Graph) -> Result<()> {
    serde_json::to_writer(writer, &Doc::new(graph)).map_err(json_error)
}

/// [`to_writer`], indented.
pub fn to_writer_pretty<W: io::Write>(writer: W, graph: &Graph) -> Result<()> {
    serde_json::to_writer_pretty(writer, &Doc::new(graph)).map_err(json_error)
}

/// Rebuild the graph of a lossless document, identical to the graph it was made from: dumping
/// it gives the same pickle bytes at every protocol.
///
/// Every malformed document is an error, never a panic:
///
/// ```
/// use serde_json::json;
/// let g = brinery::json::from_json(&json!({"brinery": 1, "root": {"$set": [1, [2]]}}));
/// assert_eq!(g.unwrap_err().to_string(), "JSON root.$set[1]: unhashable type: 'list'");
/// let g = brinery::json::from_json(&json!({"brinery": 1, "root": {"$ref": 3}}));
/// assert!(g.unwrap_err().to_string().contains("no index into \"objects\""));
/// let g = brinery::json::from_json(&json!({"a": 1}));
/// assert!(g.is_err());
/// ```
pub fn from_json(doc: &Json) -> Result<Graph> {
    decode::decode(doc)
}

/// [`from_json`] from JSON text.
///
/// ```
/// let g = brinery::json::from_str(r#"{"brinery": 1, "root": {"$tuple": ["a", {"$int": "18446744073709551616"}]}}"#).unwrap();
/// assert_eq!(brinery::dumps(&g, 2).unwrap(), b"\x80\x02X\x01\x00\x00\x00aq\x00\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00\x01\x86q\x01.");
/// ```
pub fn from_str(text: &str) -> Result<Graph> {
    from_json(&serde_json::from_str(text).map_err(json_error)?)
}

/// [`from_json`] from a reader holding one document (wrap files in a `BufReader`).
pub fn from_reader<R: io::Read>(reader: R) -> Result<Graph> {
    from_json(&serde_json::from_reader(reader).map_err(json_error)?)
}

/// Every document in a reader, in order: documents one after another (JSON Lines, or any
/// whitespace between them), or arrays of documents. This is how `brinery convert --to json`
/// writes several pickles, and how `--from json` reads them.
///
/// ```
/// let text = "{\"brinery\":1,\"root\":1}\n{\"brinery\":1,\"root\":\"two\"}\n[{\"brinery\":1,\"root\":null}]";
/// let graphs: Vec<_> = brinery::json::documents(text.as_bytes()).collect::<Result<_, _>>().unwrap();
/// assert_eq!(graphs.len(), 3);
/// assert_eq!(graphs[0].root(), brinery::Value::Int(1));
/// ```
pub fn documents<R: io::Read>(reader: R) -> Documents<R> {
    Documents { inner: serde_json::Deserializer::from_reader(reader).into_iter(), queued: VecDeque::new(), done: false }
}

/// Iterator over the documents of a reader; see [`documents`].
pub struct Documents<R: io::Read> {
    inner: serde_json::StreamDeserializer<'static, serde_json::de::IoRead<R>, Json>,
    queued: VecDeque<Json>,
    done: bool,
}

impl<R: io::Read> Iterator for Documents<R> {
    type Item = Result<Graph>;

    fn next(&mut self) -> Option<Result<Graph>> {
        loop {
            if let Some(doc) = self.queued.pop_front() {
                return Some(from_json(&doc));
            }
            if self.done {
                return None;
            }
            match self.inner.next()? {
                Ok(Json::Array(docs)) => self.queued.extend(docs),
                Ok(doc) => return Some(from_json(&doc)),
                Err(e) => {
                    self.done = true;
                    return Some(Err(json_error(e)));
                }
            }
        }
    }
}

/// The plain, lossy JSON of a graph (rules in the [module docs](self)).
///
/// Objects are `serde_json` maps, so their keys come out in serde_json's order (sorted, unless
/// its `preserve_order` feature is on); [`to_writer_lossy`] keeps Python's order.
///
/// ```
/// use serde_json::json;
/// // pickle.dumps([{1: b'\x00', 'k': float('inf')}, ('a', None)], 4)
/// let data = b"\x80\x04\x95#\x00\x00\x00\x00\x00\x00\x00]\x94(}\x94(K\x01C\x01\x00\x94\x8c\x01k\x94G\x7f\xf0\x00\x00\x00\x00\x00\x00u\x8c\x01a\x94N\x86\x94e.";
/// let g = brinery::loads(data).unwrap();
/// assert_eq!(brinery::json::to_json_lossy(&g), json!([{"1": "AA==", "k": "inf"}, ["a", null]]));
/// ```
pub fn to_json_lossy(graph: &Graph) -> Json {
    lossy::Lossy::new(graph).root().into_value()
}

/// Write the lossy JSON, compact, keeping dict order.
///
/// ```
/// // l = [1]; pickle.dumps({'b': l, 'a': l}, 2): the second occurrence points at the first.
/// let g = brinery::loads(b"\x80\x02}q\x00(X\x01\x00\x00\x00bq\x01]q\x02K\x01aX\x01\x00\x00\x00aq\x03h\x02u.").unwrap();
/// let mut out = Vec::new();
/// brinery::json::to_writer_lossy(&mut out, &g).unwrap();
/// assert_eq!(out, br##"{"b":[1],"a":{"$ref":"#/b"}}"##);
/// ```
pub fn to_writer_lossy<W: io::Write>(writer: W, graph: &Graph) -> Result<()> {
    serde_json::to_writer(writer, &lossy::Lossy::new(graph).root()).map_err(json_error)
}

/// [`to_writer_lossy`], indented.
pub fn to_writer_lossy_pretty<W: io::Write>(writer: W, graph: &Graph) -> Result<()> {
    serde_json::to_writer_pretty(writer, &lossy::Lossy::new(graph).root()).map_err(json_error)
}

fn json_error(e: serde_json::Error) -> Error {
    if e.is_io() {
        Error::from(io::Error::from(e))
    } else {
        Error::invalid(format!("JSON: {e}"))
    }
}

/// The lossless document, serialized lazily: table entries are encoded while they are written.
struct Doc<'g> {
    enc: RefCell<encode::Encoder<'g>>,
}

impl<'g> Doc<'g> {
    fn new(graph: &'g Graph) -> Self {
        Doc { enc: RefCell::new(encode::Encoder::new(graph)) }
    }
}

impl Serialize for Doc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (root, has_objects) = {
            let mut enc = self.enc.borrow_mut();
            let root = enc.root();
            (root, enc.has_entries())
        };
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("brinery", &FORMAT_VERSION)?;
        map.serialize_entry("root", &root)?;
        drop(root);
        if has_objects {
            map.serialize_entry("objects", &Entries(&self.enc))?;
        }
        map.end()
    }
}

struct Entries<'a, 'g>(&'a RefCell<encode::Encoder<'g>>);

impl Serialize for Entries<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        loop {
            let entry = self.0.borrow_mut().next_entry();
            match entry {
                Some(j) => seq.serialize_element(&j)?,
                None => break,
            }
        }
        seq.end()
    }
}
