//! # brinery
//!
//! Python's pickle format in Rust: reads and writes every protocol (0–5) exactly as CPython
//! does, keeps shared references and cycles, keeps class instances as inert data, and never
//! runs code.
//!
//! ```
//! // Python: pickle.dumps({'a': [1, 2.5, None]}, protocol=2)
//! let data = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01G@\x04\x00\x00\x00\x00\x00\x00Nes.";
//! let graph = brinery::loads(data).unwrap();
//! let brinery::Object::Dict(d) = graph.object(graph.root()).unwrap() else { panic!() };
//! let list = d.get_str(&graph, "a").unwrap();
//! assert!(matches!(graph.object(list), Some(brinery::Object::List(items)) if items.len() == 3));
//! // Written back, byte for byte what CPython writes:
//! assert_eq!(brinery::dumps(&graph, 2).unwrap(), data);
//! ```
//!
//! The pieces: [`opcodes`] (the opcode table as data), [`machine`] (one unpickling machine
//! generic over a [`Builder`]), [`Graph`] (the value graph the default builder makes), and the
//! pickler ([`dumps`], [`dump`]). On top of them: serde ([`to_vec`], [`from_slice`]; the
//! mapping table and a serde-pickle migration guide are in [`serde_support`]), [`json`],
//! [`pretty`], [`dis`], [`optimize`], [`policy`] and [`scan`].
//!
//! Memory: loading keeps the machine's working memory (stack, memo) and, for serde, the tape's
//! arenas and memo per thread between calls, and dumping keeps the pickler's (task stack, memo
//! table); each emptied and capped at 64 MiB, so that programs loading or writing many pickles
//! do not regrow them every time. Nothing read from the input or written is kept.

#![warn(missing_docs)]
#![deny(unsafe_code)]

mod builder;
pub mod compat;
pub mod dis;
mod dump;
mod error;
mod graph_builder;
mod huge;
pub mod json;
mod kept;
pub mod machine;
mod natives;
pub mod opcodes;
pub mod optimize;
mod options;
pub mod policy;
pub mod pretty;
pub mod read;
pub mod scan;
pub mod serde_support;
mod text;
mod value;

pub use builder::{Builder, Text};
/// The shared-buffer crate [`PyBytes`] views and [`loads_shared`] take.
pub use bytes;
pub use dump::{dump_with, float_repr, DumpOptions, DEFAULT_PROTOCOL};
pub use error::{Error, ErrorKind, Result};
pub use graph_builder::{GraphBuilder, SHARE_FROM};
pub use machine::HIGHEST_PROTOCOL;
/// The big-integer crate `Object::Int` and `Graph::int` use.
pub use num_bigint;
pub use options::{Encoding, Limits, LoadOptions};
pub use policy::{Policy, Preset};
pub use value::{
    Buffer, CodePoints, Construct, Date, DateTime, DefaultDict, Deque, Dict, Global, Graph, Instance, ObjId, Object,
    PyBytes, PyStr, Set, Time, TimeDelta, Value,
};

pub use serde_support::*;

use read::{IoRead, Read, SliceRead};

/// Load one pickle from a byte slice (bytes after its STOP are ignored, as `pickle.loads` does).
pub fn loads(data: &[u8]) -> Result<Graph> {
    // One default set of options for every call: building it (a policy with its tables) each
    // time was a third of the cost of loading a small pickle.
    static DEFAULT: std::sync::OnceLock<LoadOptions> = std::sync::OnceLock::new();
    loads_with(data, DEFAULT.get_or_init(LoadOptions::default))
}

/// [`loads`] with options.
pub fn loads_with(data: &[u8], opts: &LoadOptions) -> Result<Graph> {
    load_one(&mut SliceRead::new(data), GraphBuilder::with_options(opts), opts)
}

/// [`loads_with`] from a shared buffer: `bytes` payloads of [`SHARE_FROM`] bytes or more become
/// views into `input` ([`PyBytes::is_shared`]) instead of copies, so a pickle of large binary
/// blobs loads without copying them. Any [`bytes::Bytes`] works: a `Vec<u8>` turned into one, or
/// a memory-mapped file (`Bytes::from_owner`). The views keep `input` alive.
///
/// ```
/// let data = brinery::dumps(&{
///     let mut g = brinery::Graph::new();
///     let root = g.bytes(&[7; 10_000]);
///     g.set_root(root);
///     g
/// }, 5).unwrap();
/// let input = brinery::bytes::Bytes::from(data);
/// let g = brinery::loads_shared(&input, &Default::default()).unwrap();
/// let Some(brinery::Object::Bytes(b)) = g.object(g.root()) else { panic!() };
/// assert!(b.is_shared() && b.len() == 10_000);
/// ```
pub fn loads_shared(input: &bytes::Bytes, opts: &LoadOptions) -> Result<Graph> {
    load_one(&mut SliceRead::new(input), GraphBuilder::with_options(opts).sharing(input), opts)
}

/// Load one pickle from a reader.
pub fn load<R: std::io::Read>(reader: R, opts: &LoadOptions) -> Result<Graph> {
    load_one(&mut IoRead::new(reader), GraphBuilder::with_options(opts), opts)
}

fn load_one<'de, R: Read<'de>>(r: &mut R, mut b: GraphBuilder, opts: &LoadOptions) -> Result<Graph> {
    match machine::run(r, &mut b, opts)? {
        Some(root) => Ok(b.finish(root)),
        None => Err(Error::from(ErrorKind::Eof).at(r.offset(), None)),
    }
}

/// Every pickle in a byte slice, back to back, as repeated `pickle.load` until end of input.
pub fn loads_all(data: &[u8], opts: &LoadOptions) -> Result<Vec<Graph>> {
    Stream::new(SliceRead::new(data), opts.clone()).collect()
}

/// Iterator over the pickles in a stream, one [`Graph`] each, until end of input.
///
/// ```
/// let two = b"K\x01.K\x02.";
/// let graphs: Vec<_> = brinery::Stream::from_reader(&two[..], Default::default())
///     .collect::<Result<_, _>>()
///     .unwrap();
/// assert_eq!(graphs.len(), 2);
/// assert_eq!(graphs[1].root(), brinery::Value::Int(2));
/// ```
pub struct Stream<R> {
    reader: R,
    opts: LoadOptions,
    builder: GraphBuilder,
    done: bool,
}

impl<R: std::io::Read> Stream<IoRead<R>> {
    /// Read pickles from any reader.
    pub fn from_reader(reader: R, opts: LoadOptions) -> Self {
        Stream::new(IoRead::new(reader), opts)
    }
}

impl<'de> Stream<SliceRead<'de>> {
    /// Read pickles from a shared buffer, large `bytes` payloads as views into it (see
    /// [`loads_shared`]).
    pub fn shared(input: &'de bytes::Bytes, opts: LoadOptions) -> Self {
        let builder = GraphBuilder::with_options(&opts).sharing(input);
        Stream { reader: SliceRead::new(input), opts, builder, done: false }
    }
}

impl<R> Stream<R> {
    /// Read pickles from a [`read::Read`] source.
    pub fn new(reader: R, opts: LoadOptions) -> Self {
        let builder = GraphBuilder::with_options(&opts);
        Stream { reader, opts, builder, done: false }
    }
}

impl<'de, R: Read<'de>> Iterator for Stream<R> {
    type Item = Result<Graph>;

    fn next(&mut self) -> Option<Result<Graph>> {
        if self.done {
            return None;
        }
        match machine::run(&mut self.reader, &mut self.builder, &self.opts) {
            Ok(Some(root)) => Some(Ok(self.builder.take(root))),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Free the working memory brinery keeps on this thread between calls.
///
/// Reading and writing keep their stacks and memo tables on the thread they ran on, and a
/// dropped graph that had grown large (an arena, list or dict past 1 MiB) leaves its room
/// there too, each kind up to 64 MiB: the next call on the thread then fills memory already
/// faulted in. A thread done with pickles can hand that memory back with this; later calls
/// work as before and grow it again.
///
/// ```
/// let g = brinery::loads(b"\x80\x05K\x07.").unwrap();
/// drop(g);
/// brinery::release_thread_memory();
/// ```
pub fn release_thread_memory() {
    graph_builder::release_kept();
    dump::release_kept();
    serde_support::release_kept();
    value::release_kept();
}

/// Write a graph as a pickle of the given protocol (0–5).
pub fn dumps(graph: &Graph, protocol: u8) -> Result<Vec<u8>> {
    dumps_with(graph, &mut DumpOptions::new(protocol))
}

/// [`dumps`] with options.
pub fn dumps_with(graph: &Graph, opts: &mut DumpOptions<'_>) -> Result<Vec<u8>> {
    dump::dumps_with(graph, opts)
}

/// Write a graph to a writer (streamed: large payloads go straight through).
pub fn dump<W: std::io::Write>(writer: W, graph: &Graph, protocol: u8) -> Result<()> {
    dump_with(writer, graph, &mut DumpOptions::new(protocol)).map(drop)
}
