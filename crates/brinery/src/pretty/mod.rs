//! Printing values as Python prints them: [`repr`] (Python's `repr()`) and [`pformat`]
//! (CPython 3.11's `pprint.pformat`, which is what `python -m pickle` prints), without running or
//! importing anything.
//!
//! ```
//! // Python: pickle.dumps({'b': [1, 2.5], 'a': (None, True)}, protocol=2)
//! let data = b"\x80\x02}q\x00(X\x01\x00\x00\x00bq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00eX\x01\x00\x00\x00aq\x03N\x88\x86q\x04u.";
//! let g = brinery::loads(data).unwrap();
//! assert_eq!(brinery::pretty::repr(&g, g.root()), "{'b': [1, 2.5], 'a': (None, True)}");
//! // pprint sorts dict keys and wraps what does not fit in the width:
//! assert_eq!(brinery::pretty::pformat(&g, g.root(), 80), "{'a': (None, True), 'b': [1, 2.5]}");
//! assert_eq!(brinery::pretty::pformat(&g, g.root(), 20), "{'a': (None, True),\n 'b': [1, 2.5]}");
//! ```
//!
//! # What is exact
//!
//! For builtin types (None, bool, int, float, complex, str, bytes, bytearray, list, tuple,
//! dict, set, frozenset) and the standard library types brinery loads as natives (`range`,
//! `slice`, `datetime.date`/`time`/`datetime`/`timedelta`/`timezone`, `decimal.Decimal`,
//! `uuid.UUID`, `fractions.Fraction`, `collections.OrderedDict`/`defaultdict`/`deque`/`Counter`)
//! the output is byte for byte what Python 3.11 prints, including `pprint`'s string and bytes
//! wrapping, dict key sorting and its quirks (a set or dict that fits on the line is printed by
//! builtin `repr`, in iteration order; one that does not is sorted). The known differences:
//!
//! - **Recursion ids.** `pprint` writes `<Recursion on list with id=140120245398272>`, a memory
//!   address. Here the id is [`python_id`]: `0x7f00_0000_0000 + 16 × index` of the object in
//!   the [`Graph`], deterministic and as wide as a CPython id on 64-bit Linux, so lines wrap
//!   where Python's do.
//! - **Set order.** CPython prints a set in the hash-table order of the set it rebuilt. For
//!   items whose hash does not depend on the process (numbers, and tuples and frozensets of
//!   them) that order is computed exactly; other sets (str and bytes hash with a per-process
//!   seed) print in the order their items were pickled, which is CPython's order for sets it
//!   pickled itself unless two items collide in the table.
//! - **Unorderable keys.** Where `pprint` falls back to `(str(type(key)), id(key))` to sort
//!   keys that do not compare, the id is [`python_id`], so keys of one type that do not compare
//!   among themselves (tuples of mixed items, instances) keep a deterministic order that need
//!   not be CPython's, which follows memory addresses. Keys of different types sort by type
//!   name exactly as in CPython, and `<` itself is exact for numbers (bool, int, float,
//!   `Fraction`, `Decimal`), str, bytes, tuples and lists, sets (subset order), dates, times,
//!   datetimes, timedeltas and UUIDs.
//! - **Limits Python does not have**: output is cut at [`PrettyPrinter::max_output`] bytes
//!   (Python would print forever on a graph whose shared objects make the printed tree
//!   exponentially large), and no nesting depth overflows the stack (Python raises
//!   `RecursionError` near 1000 levels). Ints of more than 4300 digits are printed (Python
//!   3.11 raises `ValueError`), in decimal up to 2**20 bits and as a hexadecimal literal
//!   (`0x...`, the same value) beyond, where decimal conversion would take minutes.
//!
//! # Objects Python would have to import
//!
//! Nothing is imported, so objects of classes brinery does not know are shown in forms of its
//! own, chosen to read like Python and never to be mistaken for a builtin:
//!
//! | object | printed as |
//! | --- | --- |
//! | instance whose state is attributes (a dict of identifier keys, or the `(dict, slots)` pair), made with no arguments | `mymodule.Point(x=1, y=2)` |
//! | instance made with arguments and no state (`Point(1, 2)` of a namedtuple, `copyreg.__newobj__`, NEWOBJ_EX keywords) | `mymodule.Point(1, 2)` / `mymodule.Cls(1, key='k')` |
//! | any other instance (arguments and state, non-attribute state, APPENDS/SETITEMS items) | `<mymodule.Cls object, args=(1,), state={'b': 2}, items=[3], setitems={'k': 'v'}>` (only the parts present) |
//! | instance whose callable is not a global | `<object, callable=..., args=(...)>` |
//! | known builtin class / function | `<class 'int'>`, `<built-in function len>`, `<class 'collections.OrderedDict'>` |
//! | any other global | `<global mymodule.func>` |
//! | persistent id | `<persistent 'pid'>` (the repr of the id) |
//! | extension code not resolved | `<extension code 42>` |
//! | out-of-band buffer | `<out-of-band buffer>`, or with its data `<out-of-band buffer b'...'>` / `<out-of-band buffer bytearray(b'...')>` |
//!
//! The pickling helpers are seen through: the class of `copyreg._reconstructor(cls, object,
//! None)` is `cls` with no arguments, `copyreg._reconstructor(cls, base, value)` is `cls` with
//! the argument `value` (a namedtuple at protocol 0 prints `mymodule.Point((1, 2))`), and
//! `copyreg.__newobj__(cls, *args)`, `copyreg.__newobj_ex__(cls, args, kwargs)` and the
//! `functools.partial(cls.__new__, cls, *args, **kwargs)` that protocols 2 and 3 write for
//! `__getnewargs_ex__` are `cls` with those arguments. An instance that contains itself
//! prints `...` where it recurs (as a dataclass repr does). When too long for the line,
//! instances wrap one field per line, like a dataclass in `pprint`:
//!
//! ```text
//! mymodule.Plain(a=1,
//!                b=['two',
//!                   3.0])
//! <mymodule.ReduceState object,
//!  args=(1,),
//!  state={'b': 'bee'}>
//! ```

mod compare;
mod format;
mod inst;
mod printable;
mod scalars;
mod sethash;
mod text;
mod walk;

use crate::value::{Graph, ObjId, PyStr, Value};
use std::io;
use text::{push_escaped, quote_for};
use walk::{Cx, Mode, Sink};

/// A node to print: a value of the graph, or one of the temporary objects `pprint` makes on
/// the way (the item list of an OrderedDict, an instance's arguments).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Node {
    V(Value),
    /// `list(od.items())`.
    OdItems(ObjId),
    /// `list(od.items())[i]`.
    OdPair(ObjId, u32),
    /// An instance's positional arguments, as a tuple.
    Args(ObjId),
    /// An instance's APPEND/APPENDS items, as a list.
    Items(ObjId),
    /// An instance's SETITEM/SETITEMS entries, as a dict.
    SetItems(ObjId),
}

impl Node {
    /// The graph object, for a node that is one (virtual nodes are fresh objects, never in
    /// `pprint`'s context).
    fn real_id(self) -> Option<ObjId> {
        match self {
            Node::V(Value::Ref(id)) => Some(id),
            _ => None,
        }
    }

    fn value(self) -> Value {
        match self {
            Node::V(v) => v,
            _ => Value::None,
        }
    }
}

/// The stand-in for `id(obj)` in `<Recursion on ... with id=N>` markers:
/// `0x7f00_0000_0000 + 16 × index`, a 15-digit number like the addresses CPython prints on
/// 64-bit Linux (so line wrapping matches), that grows with the graph index.
///
/// ```
/// let g = brinery::loads(b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01h\x00e.").unwrap();
/// let id = g.root().id().unwrap();
/// assert_eq!(brinery::pretty::python_id(id), 139637976727552);
/// assert_eq!(brinery::pretty::repr(&g, g.root()), "[1, [...]]");
/// assert_eq!(
///     brinery::pretty::pformat(&g, g.root(), 80),
///     "[1, <Recursion on list with id=139637976727552>]"
/// );
/// ```
pub fn python_id(id: ObjId) -> u64 {
    0x7f00_0000_0000 + 16 * id.index() as u64
}

const MAX_SETTING: usize = 1 << 20;
const MAX_WIDTH: usize = 1 << 40;

/// The default cap on printed output: 64 MiB.
pub const DEFAULT_MAX_OUTPUT: usize = 64 << 20;

/// `pprint.PrettyPrinter` with `python -m pickle`'s settings by default (`indent=1`,
/// `width=80`, no depth limit, not compact, `sort_dicts=True`), plus a cap on output size.
///
/// ```
/// use brinery::pretty::PrettyPrinter;
/// let g = brinery::loads(b"\x80\x02K\x01K\x02K\x03\x87q\x00.").unwrap(); // (1, 2, 3)
/// let p = PrettyPrinter::new().width(6);
/// assert_eq!(p.pformat(&g, g.root()), "(1,\n 2,\n 3)");
/// assert_eq!(PrettyPrinter::new().width(6).compact(true).pformat(&g, g.root()), "(1, 2,\n 3)");
/// ```
#[derive(Clone, Debug)]
pub struct PrettyPrinter {
    indent: usize,
    width: usize,
    depth: Option<usize>,
    compact: bool,
    sort_dicts: bool,
    underscore_numbers: bool,
    max_output: usize,
}

impl Default for PrettyPrinter {
    fn default() -> Self {
        PrettyPrinter {
            indent: 1,
            width: 80,
            depth: None,
            compact: false,
            sort_dicts: true,
            underscore_numbers: false,
            max_output: DEFAULT_MAX_OUTPUT,
        }
    }
}

/// Whether printing stopped at the output cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    /// Everything was printed.
    Complete,
    /// The output reached [`PrettyPrinter::max_output`] bytes and was cut there.
    Truncated,
}

impl PrettyPrinter {
    /// The settings of `pprint.pprint` (and so of `python -m pickle`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Spaces per nesting level (`indent`, default 1; at most 2**20).
    ///
    /// ```
    /// let g = brinery::loads(b"\x80\x02]q\x00(K\x01K\x02e.").unwrap(); // [1, 2]
    /// let p = brinery::pretty::PrettyPrinter::new().indent(4).width(5);
    /// assert_eq!(p.pformat(&g, g.root()), "[   1,\n    2]");
    /// ```
    pub fn indent(mut self, indent: usize) -> Self {
        self.indent = indent.min(MAX_SETTING);
        self
    }

    /// Target line width (`width`, default 80; 0 counts as 1, as Python refuses it; at most
    /// 2**40).
    pub fn width(mut self, width: usize) -> Self {
        self.width = width.clamp(1, MAX_WIDTH);
        self
    }

    /// Nesting depth past which dicts, lists and tuples print as `...` (`depth`; 0 counts as no
    /// limit).
    ///
    /// ```
    /// let g = brinery::loads(b"\x80\x02]q\x00(K\x01]q\x01K\x02ae.").unwrap(); // [1, [2]]
    /// let p = brinery::pretty::PrettyPrinter::new().depth(Some(1));
    /// assert_eq!(p.pformat(&g, g.root()), "[1, [...]]");
    /// ```
    pub fn depth(mut self, depth: Option<usize>) -> Self {
        self.depth = depth.filter(|&d| d > 0);
        self
    }

    /// Pack as many items on a line as fit (`compact`).
    pub fn compact(mut self, compact: bool) -> Self {
        self.compact = compact;
        self
    }

    /// Sort dict keys (`sort_dicts`, default true).
    ///
    /// ```
    /// let g = brinery::loads(b"}q\x00(K\x02K\x00K\x01K\x00u.").unwrap(); // {2: 0, 1: 0}
    /// assert_eq!(brinery::pretty::pformat(&g, g.root(), 80), "{1: 0, 2: 0}");
    /// let p = brinery::pretty::PrettyPrinter::new().sort_dicts(false);
    /// assert_eq!(p.pformat(&g, g.root()), "{2: 0, 1: 0}");
    /// ```
    pub fn sort_dicts(mut self, sort: bool) -> Self {
        self.sort_dicts = sort;
        self
    }

    /// Write ints as `1_000_000` (`underscore_numbers`).
    ///
    /// ```
    /// let g = brinery::loads(b"J@B\x0f\x00.").unwrap(); // 1000000
    /// let p = brinery::pretty::PrettyPrinter::new().underscore_numbers(true);
    /// assert_eq!(p.pformat(&g, g.root()), "1_000_000");
    /// ```
    pub fn underscore_numbers(mut self, on: bool) -> Self {
        self.underscore_numbers = on;
        self
    }

    /// Most bytes of output (default [`DEFAULT_MAX_OUTPUT`]); past it, output is cut.
    pub fn max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes;
        self
    }

    /// `pprint.pformat(value)`. Output cut at the cap ends with a line
    /// `... (output cut at N bytes)`.
    ///
    /// ```
    /// use brinery::pretty::PrettyPrinter;
    /// let mut g = brinery::Graph::new();
    /// let inner = g.list(vec![brinery::Value::Int(1)]);
    /// let mut v = inner;
    /// for _ in 0..60 {
    ///     v = g.list(vec![v, v]); // 2**60 leaves when printed
    /// }
    /// let out = PrettyPrinter::new().max_output(1000).pformat(&g, v);
    /// assert!(out.ends_with("... (output cut at 1000 bytes)"));
    /// ```
    pub fn pformat(&self, graph: &Graph, value: Value) -> String {
        let mut out = Out::new(self.max_output, None);
        format::Formatter::new(Cx::new(graph, self), &mut out).run(Node::V(value));
        let cut = out.cut;
        let mut s = out.buf;
        if cut {
            s.push_str(&cut_marker(self.max_output));
        }
        s
    }

    /// `pprint.pprint(value, stream)`: [`PrettyPrinter::pformat`] and a newline, streamed to a
    /// writer. When the output is cut, the marker line is written and
    /// [`Outcome::Truncated`] returned.
    ///
    /// ```
    /// let g = brinery::loads(b"K\x05.").unwrap();
    /// let mut out = Vec::new();
    /// let done = brinery::pretty::PrettyPrinter::new().pprint(&g, g.root(), &mut out).unwrap();
    /// assert_eq!(done, brinery::pretty::Outcome::Complete);
    /// assert_eq!(out, b"5\n");
    /// ```
    pub fn pprint(&self, graph: &Graph, value: Value, writer: &mut dyn io::Write) -> io::Result<Outcome> {
        let mut out = Out::new(self.max_output, Some(writer));
        format::Formatter::new(Cx::new(graph, self), &mut out).run(Node::V(value));
        let cut = out.cut;
        if cut {
            out.raw(&cut_marker(self.max_output));
        }
        out.raw("\n");
        out.flush()?;
        Ok(if cut { Outcome::Truncated } else { Outcome::Complete })
    }

    /// Python's `repr(value)`, cut at the output cap like [`PrettyPrinter::pformat`].
    ///
    /// ```
    /// let g = brinery::loads(b"\x80\x02]q\x00(K\x01K\x02e.").unwrap(); // [1, 2]
    /// let p = brinery::pretty::PrettyPrinter::new().max_output(2);
    /// assert_eq!(p.repr(&g, g.root()), "[1\n... (output cut at 2 bytes)");
    /// ```
    pub fn repr(&self, graph: &Graph, value: Value) -> String {
        let mut out = Out::new(self.max_output, None);
        Cx::new(graph, self).walk(Node::V(value), Mode::Builtin, &mut out);
        let cut = out.cut;
        let mut s = out.buf;
        if cut {
            s.push_str(&cut_marker(self.max_output));
        }
        s
    }
}

fn cut_marker(max: usize) -> String {
    format!("\n... (output cut at {max} bytes)")
}

/// Python's `repr(value)` (builtin `repr`: dicts in insertion order, `[...]` where a list
/// contains itself). Output is capped at [`DEFAULT_MAX_OUTPUT`].
///
/// ```
/// // [1, <the list itself>, {'k': (2.5, b'x')}]
/// let mut g = brinery::Graph::new();
/// let list = g.list(vec![brinery::Value::Int(1)]);
/// let d = g.dict();
/// let k = g.str("k");
/// let b = g.bytes(b"x");
/// let t = g.tuple(vec![brinery::Value::Float(2.5), b]);
/// g.dict_insert(d, k, t).unwrap();
/// if let brinery::Object::List(items) = g.get_mut(list.id().unwrap()) {
///     items.push(list);
///     items.push(d);
/// }
/// assert_eq!(brinery::pretty::repr(&g, list), "[1, [...], {'k': (2.5, b'x')}]");
/// ```
pub fn repr(graph: &Graph, value: Value) -> String {
    PrettyPrinter::new().repr(graph, value)
}

/// `pprint.pformat(value, width=width)` with `pprint.pprint`'s other defaults (what
/// `python -m pickle` prints, without the final newline).
///
/// ```
/// let mut g = brinery::Graph::new();
/// let s = g.str("the quick brown fox jumps over the lazy dog");
/// assert_eq!(
///     brinery::pretty::pformat(&g, s, 20),
///     "('the quick brown '\n 'fox jumps over '\n 'the lazy dog')"
/// );
/// ```
pub fn pformat(graph: &Graph, value: Value, width: usize) -> String {
    PrettyPrinter::new().width(width).pformat(graph, value)
}

/// The output of a pretty-print: a buffer that cuts at a byte budget and, when streaming,
/// flushes to a writer as it grows.
struct Out<'w> {
    buf: String,
    written: usize,
    max: usize,
    cut: bool,
    writer: Option<&'w mut dyn io::Write>,
    err: Option<io::Error>,
}

impl<'w> Out<'w> {
    fn new(max: usize, writer: Option<&'w mut dyn io::Write>) -> Self {
        Out { buf: String::new(), written: 0, max, cut: false, writer, err: None }
    }

    /// Write past the budget (the cut marker, the final newline).
    fn raw(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(e) = self.err.take() {
            return Err(e);
        }
        if let Some(w) = self.writer.as_mut() {
            w.write_all(self.buf.as_bytes())?;
            self.buf.clear();
            w.flush()?;
        }
        Ok(())
    }
}

impl Sink for Out<'_> {
    fn push(&mut self, s: &str) {
        if self.cut {
            return;
        }
        let room = self.max - self.written;
        if s.len() <= room {
            self.buf.push_str(s);
            self.written += s.len();
        } else {
            let mut end = room;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            self.buf.push_str(&s[..end]);
            self.written = self.max;
            self.cut = true;
        }
        if self.buf.len() >= 1 << 16 && self.err.is_none() {
            if let Some(w) = self.writer.as_mut() {
                match w.write_all(self.buf.as_bytes()) {
                    Ok(()) => self.buf.clear(),
                    Err(e) => {
                        // Stop: nothing more can be written.
                        self.err = Some(e);
                        self.cut = true;
                    }
                }
            }
        }
    }

    fn room(&self) -> usize {
        if self.cut {
            0
        } else {
            (self.max - self.written).saturating_add(1)
        }
    }
}

/// `repr(s)` for a Python str.
///
/// ```
/// use brinery::{pretty::repr_str, PyStr};
/// assert_eq!(repr_str(&PyStr::from("a'b")), r#""a'b""#);
/// assert_eq!(repr_str(&PyStr::from("a\"b'")), r#"'a"b\''"#);
/// assert_eq!(repr_str(&PyStr::from("\n\u{7f}é\u{2028}")), r"'\n\x7fé\u2028'");
/// ```
pub fn repr_str(s: &PyStr) -> String {
    let bytes = s.as_bytes();
    let quote = quote_for(bytes);
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push(quote as char);
    for cp in s.code_points() {
        push_escaped(&mut out, cp, quote);
    }
    out.push(quote as char);
    out
}

/// `repr(b)` for Python bytes (`b'...'`).
///
/// ```
/// assert_eq!(brinery::pretty::repr_bytes(b"\x00a'\"\x7f"), r#"b'\x00a\'"\x7f'"#);
/// ```
pub fn repr_bytes(b: &[u8]) -> String {
    text::bytes_repr(b, false)
}

#[cfg(test)]
mod tests;
