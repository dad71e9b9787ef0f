//! The pickler: writes a [`Graph`] in any protocol 0–5, byte for byte as CPython's C pickler
//! writes the same object graph. It walks the graph with an explicit task stack, so no nesting
//! depth can overflow the Rust stack.

pub(crate) mod emit;
mod flat;
mod nested;
mod reduce;
mod repr;

pub(crate) use reduce::native_reduction;
pub use repr::float_repr;

use crate::error::{Error, Result};
use crate::opcodes::op;
use crate::value::{Construct, Global, Graph, Object, Value};
use emit::{IoSink, Out, Sink, SizedOp, VecSink};
use num_bigint::BigInt;
use std::collections::HashMap;

/// A map keyed by names (of globals, and strs the pickler makes): foldhash with a random seed,
/// fast on short keys, and names from a hostile pickle cannot be chosen to collide. Made on
/// the first insert, as most pickles need none (seeding one costs more than a small dump).
struct NameMap<K, V>(Option<HashMap<K, V, foldhash::fast::RandomState>>);

impl<K: std::hash::Hash + Eq, V> NameMap<K, V> {
    fn new() -> Self {
        NameMap(None)
    }

    fn get<Q: std::hash::Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.0.as_ref()?.get(key)
    }

    fn insert(&mut self, key: K, value: V) {
        self.0.get_or_insert_with(HashMap::default).insert(key, value);
    }
}
use std::io::Write;

/// Items per APPENDS / SETITEMS / ADDITEMS, as CPython batches them.
const BATCH: u32 = 1000;
/// The protocol CPython 3.8+ writes by default.
pub const DEFAULT_PROTOCOL: u8 = 4;

type PidHook<'a> = Box<dyn FnMut(&Graph, Value) -> Option<Value> + 'a>;
type BufferHook<'a> = Box<dyn FnMut(&[u8]) -> bool + 'a>;

/// Options for writing pickles.
///
/// ```
/// let mut g = brinery::Graph::new();
/// let s = g.str("hi");
/// let root = g.list(vec![s, s]);
/// g.set_root(root);
/// let bytes = brinery::dumps_with(&g, &mut brinery::DumpOptions::new(2)).unwrap();
/// assert_eq!(bytes, b"\x80\x02]q\x00(X\x02\x00\x00\x00hiq\x01h\x01e.");
/// ```
pub struct DumpOptions<'a> {
    pub(crate) protocol: u8,
    pub(crate) persistent_id: Option<PidHook<'a>>,
    pub(crate) buffer_callback: Option<BufferHook<'a>>,
}

impl Default for DumpOptions<'_> {
    fn default() -> Self {
        DumpOptions::new(5)
    }
}

impl<'a> DumpOptions<'a> {
    /// Write this protocol (0–5).
    pub fn new(protocol: u8) -> Self {
        DumpOptions { protocol, persistent_id: None, buffer_callback: None }
    }

    /// Called for every value before it is written; returning `Some(pid)` writes a persistent
    /// reference to `pid` instead (objects for `pid` can be added to the graph beforehand).
    pub fn persistent_id(mut self, hook: impl FnMut(&Graph, Value) -> Option<Value> + 'a) -> Self {
        self.persistent_id = Some(Box::new(hook));
        self
    }

    /// Protocol 5: called with each buffer's bytes; return `true` to write it in-band, `false` to
    /// keep it out-of-band (the callback keeps the bytes), as CPython's `buffer_callback`.
    pub fn buffer_callback(mut self, hook: impl FnMut(&[u8]) -> bool + 'a) -> Self {
        self.buffer_callback = Some(Box::new(hook));
        self
    }
}

/// One step of the walk.
enum Task {
    Save(Value),
    Op(u8),
    Bytes(Box<[u8]>),
    /// After a tuple's items: TUPLE/TUPLEn, or undo and GET when the tuple became recursive.
    TupleEnd {
        id: u32,
        len: u32,
        marked: bool,
    },
    FrozenSetEnd {
        id: u32,
    },
    /// After a call's callable and arguments: the opcode, the memo, then the instance's tail.
    CallEnd {
        key: u32,
        code: Option<u8>,
        tail: Option<u32>,
    },
    Items {
        seq: u32,
        pos: u32,
        end: u32,
    },
    Pairs {
        seq: u32,
        pos: u32,
        end: u32,
    },
    EachAppend {
        seq: u32,
        pos: u32,
        pairs: bool,
    },
    Batches {
        seq: u32,
        pos: u32,
        style: Batching,
    },
    /// After a global's name strings (protocol 4+): STACK_GLOBAL and memo.
    GlobalEnd {
        key: Option<u32>,
        name: Box<(String, String)>,
    },
    /// After the getattr form of a nested global (protocols < 4).
    NestedGlobalEnd {
        key: Option<u32>,
        name: Box<(String, String)>,
    },
}

/// Which STACK_GLOBAL string a name is (they are shared by content within each kind).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum NameKind {
    Module,
    Qualname,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Batching {
    /// An exact list: a list of one item uses APPEND, otherwise MARK…APPENDS runs.
    ExactList,
    /// An exact dict: one pair uses SETITEM; a trailing empty batch follows a full one.
    ExactDict,
    /// A set (protocol 4+): a trailing empty batch follows a full one.
    Set,
    /// Items from `__reduce__` (list items): a final single item uses APPEND.
    IterList,
    /// Pairs from `__reduce__` (dict items): a final single pair uses SETITEM.
    IterDict,
}

struct Pickler<'g, 'o, 'a, S: Sink> {
    g: &'g Graph,
    scratch: Vec<Object>,
    e: Out<S>,
    memo: MemoTable,
    /// How many times each object is being written right now (its end task not yet reached).
    active: Vec<u8>,
    globals: NameMap<(String, String), u32>,
    name_strs: NameMap<(NameKind, String), u32>,
    tasks: Vec<Task>,
    opts: &'o mut DumpOptions<'a>,
    /// Strings CPython shares in the protocol 0–2 bytes form: the interned `'latin1'` codec
    /// name and the cached one-character strings a one-byte payload decodes to.
    interned: NameMap<String, Value>,
    /// Memo indices of CPython's cached objects (see [`Pickler::singleton_key`]), made on the
    /// first one written.
    singletons: Option<Box<[u32; SINGLETONS]>>,
    /// How many containers' items are being written outside the task loop, one inside the
    /// other (see [`Pickler::batches_now_or_queued`]); at most [`INLINE_DEPTH`].
    inline: u8,
    /// The classes and functions the pickler names itself (see [`NativeCx::global`]).
    named: Named,
}

/// The most bytes [`Pickler::written_inline`] writes for one value: a str of 255 bytes with its
/// opcode, length and MEMOIZE (a scalar, even in text form, or a memo fetch takes less).
const MAX_INLINE: usize = 259;

/// The most room one [`emit::Run`] takes.
const RUN_BYTES: usize = 1024;

/// Sequences of fewer values than this are not written in runs: setting up a run's room costs
/// more than it saves on a small dict or list.
const RUN_MIN: u32 = 16;

/// Whether a run writes a str of this text not yet in the memo: 3–255 bytes (three bytes or
/// more is never one of CPython's shared singletons; under 256 is SHORT_BINUNICODE).
#[inline(always)]
fn run_takes_str(text: &[u8]) -> bool {
    (3..256).contains(&text.len())
}

/// The opcode and payload of a str or bytes a run writes by itself when it is not yet in the
/// memo: strs [`run_takes_str`] takes, and bytes of 1–255 (`b""` is shared as CPython shares
/// it; the general path keeps that).
#[inline(always)]
fn run_payload(obj: &Object) -> Option<(u8, &[u8])> {
    match obj {
        Object::Str(s) if run_takes_str(s.as_bytes()) => Some((op::SHORT_BINUNICODE, s.as_bytes())),
        Object::Bytes(b) if (1..256).contains(&b.len()) => Some((op::SHORT_BINBYTES, b.as_slice())),
        _ => None,
    }
}

/// A value of a run (see [`Pickler::items_in_runs`]): a scalar, an arena object already in the
/// memo, or an arena str or bytes [`run_payload`] takes; or a tuple of such values, written
/// whole (see [`flat`]). `false` (nothing written) for any other, or when the run's room is
/// used up.
#[inline(always)]
fn put_inline(w: &mut emit::Run<'_>, g: &Graph, memo: &mut MemoTable, v: Value) -> bool {
    let Value::Ref(id) = v else { return w.scalar(v) };
    let id = id.0;
    let Some(obj) = g.objects.get(id as usize) else { return false };
    if let Some(&idx) = memo.get(id) {
        return w.memo_get(idx);
    }
    match obj {
        // The commonest object, kept in the run's loop; the others are out of it.
        Object::Str(s) => run_takes_str(s.as_bytes()) && put_payload(w, memo, id, op::SHORT_BINUNICODE, s.as_bytes()),
        _ => match flat::put_other(w.reborrow(), g, memo, id, obj) {
            Some(end) => {
                w.seek(end);
                true
            }
            None => false,
        },
    }
}

/// SHORT_BINUNICODE or SHORT_BINBYTES (`code`) of `data` and MEMOIZE, remembered as object
/// `id`; `false` (nothing written) when the run's room is used up.
#[inline(always)]
fn put_payload(w: &mut emit::Run<'_>, memo: &mut MemoTable, id: u32, code: u8, data: &[u8]) -> bool {
    let idx = w.next_memo();
    if !w.short_memoized(code, data) {
        return false;
    }
    memo.insert(id, idx);
    true
}

/// A run that wrote fewer values than this before one it could not take counts as a miss.
const RUN_FEW: usize = 4;

/// When to try a run in a long sequence: after a miss (a run of fewer than [`RUN_FEW`]
/// values), the next `2^misses` values go the usual way first, so a sequence that alternates
/// values a run takes with others (strs and small lists, say) does not zero a run's room for
/// each one; a run of [`RUN_FEW`] or more starts over. As the serde serializer's runs.
#[derive(Default)]
struct Backoff {
    skip: u32,
    misses: u32,
}

impl Backoff {
    /// Whether to try a run at this value (each `false` counts one value skipped).
    #[inline(always)]
    fn tries(&mut self) -> bool {
        if self.skip == 0 {
            return true;
        }
        self.skip -= 1;
        false
    }

    /// A run wrote `values` values.
    #[inline(always)]
    fn ran(&mut self, values: usize) {
        (self.skip, self.misses) = if values < RUN_FEW { (1 << self.misses.min(10), self.misses + 1) } else { (0, 0) };
    }
}

/// Containers whose items are written as soon as they are met, nested: a bound, so the Rust
/// stack stays small whatever the nesting (deeper ones queue their items as tasks).
const INLINE_DEPTH: u8 = 8;

/// Slots of [`Pickler::singletons`]: one-character strs below U+0100, then `""`, then `b""`.
const SINGLETONS: usize = 258;

/// Object id → memo index. Ids are dense once mapped (arena indices, then temporaries; see
/// [`dense`]), so a vector beats a hash map here.
struct MemoTable {
    slots: Vec<u32>,
    /// Objects in the arena.
    n: usize,
}

impl MemoTable {
    const EMPTY: u32 = u32::MAX;

    /// A table for `n` objects in `slots` (emptied first; kept from an earlier dump).
    fn with_objects(mut slots: Vec<u32>, n: usize) -> Self {
        slots.clear();
        slots.resize(n, Self::EMPTY);
        MemoTable { slots, n }
    }

    #[inline]
    fn get(&self, id: u32) -> Option<&u32> {
        self.slots.get(dense(self.n, id)).filter(|&&i| i != Self::EMPTY)
    }

    #[inline(always)]
    fn insert(&mut self, id: u32, idx: u32) {
        let i = dense(self.n, id);
        match self.slots.get_mut(i) {
            Some(slot) => *slot = idx,
            None => self.insert_past_end(i, idx),
        }
    }

    /// Only temporaries lie past the slots made for the arena.
    #[cold]
    #[inline(never)]
    fn insert_past_end(&mut self, i: usize, idx: u32) {
        self.slots.resize(i + 1, Self::EMPTY);
        self.slots[i] = idx;
    }
}

/// The pickler's working memory, kept per thread between dumps (see [`crate::kept`]) so small
/// dumps do not allocate it each time.
#[derive(Default)]
struct Work {
    tasks: Vec<Task>,
    slots: Vec<u32>,
    active: Vec<u8>,
}

thread_local! {
    static WORK: std::cell::Cell<Work> = std::cell::Cell::new(Work::default());
}

/// Free the pickler's working memory kept on this thread.
pub(crate) fn release_kept() {
    crate::kept::clear(&WORK)
}

impl Work {
    fn take() -> Work {
        crate::kept::take(&WORK)
    }

    fn keep(mut self) {
        self.tasks.clear();
        self.active.clear();
        let bytes =
            self.tasks.capacity() * std::mem::size_of::<Task>() + self.slots.capacity() * 4 + self.active.capacity();
        crate::kept::keep(&WORK, self, bytes)
    }
}

/// The pickler's temporaries (objects it makes, such as a reduce's argument tuple) take ids from
/// here up. An id below it that the arena does not hold is then a dangling reference, refused
/// where it is saved rather than by a pass over the whole graph before writing. Graphs of more
/// objects than this are refused, so only a reference taken from another graph of that size
/// could be mistaken for a temporary.
const TEMP_BASE: u32 = 1 << 31;

/// What a lookup of an id that names no object sees: nothing the pickler builds on. Every id
/// is checked where it is saved, so this only stands in until that check refuses it.
const DANGLING: &Object = &Object::Ext(0);

fn lookup<'x>(g: &'x Graph, scratch: &'x [Object], id: u32) -> &'x Object {
    let found = if id < TEMP_BASE { g.objects.get(id as usize) } else { scratch.get((id - TEMP_BASE) as usize) };
    found.unwrap_or(DANGLING)
}

/// One index range for the arena's ids (`0..n`) and the temporaries' (`n..`), for the tables
/// kept per object while writing.
#[inline]
fn dense(n: usize, id: u32) -> usize {
    if id < TEMP_BASE {
        id as usize
    } else {
        n + (id - TEMP_BASE) as usize
    }
}

fn dangling(g: &Graph, id: u32) -> Error {
    Error::invalid(format!("object #{id} is referenced but the graph has only {} objects", g.objects.len()))
}

/// Write `graph` to `out` with these options (streamed: large payloads go straight through).
pub fn dump_with<W: Write>(out: W, graph: &Graph, opts: &mut DumpOptions<'_>) -> Result<W> {
    let mut out = pickle(IoSink(out), Vec::with_capacity(1 << 16), graph, opts)?;
    out.sink.0.flush()?;
    Ok(out.sink.0)
}

/// Write `graph` into a new vector.
pub(crate) fn dumps_with(graph: &Graph, opts: &mut DumpOptions<'_>) -> Result<Vec<u8>> {
    Ok(pickle(VecSink::default(), Vec::with_capacity(first_capacity(graph)), graph, opts)?.buf)
}

/// The output vector's first capacity: about what a pickle of this many objects takes, so a
/// pickle of a few KiB is not copied through four or five doublings on its way (a few hundred
/// bytes always; large ones grow as they go, advised onto huge pages, see `emit::VecSink`).
fn first_capacity(graph: &Graph) -> usize {
    graph.objects.len().saturating_mul(24).clamp(256, 64 << 10)
}

fn pickle<S: Sink>(sink: S, buf: Vec<u8>, graph: &Graph, opts: &mut DumpOptions<'_>) -> Result<Out<S>> {
    if graph.objects.len() > TEMP_BASE as usize {
        return Err(Error::unpicklable(format!("cannot pickle a graph of more than {TEMP_BASE} objects")));
    }
    if opts.protocol > crate::machine::HIGHEST_PROTOCOL {
        return Err(Error::unpicklable(format!("pickle protocol must be <= {}", crate::machine::HIGHEST_PROTOCOL)));
    }
    let proto = opts.protocol;
    let work = Work::take();
    let mut p = Pickler {
        g: graph,
        scratch: Vec::new(),
        e: Out::new(sink, proto, buf),
        memo: MemoTable::with_objects(work.slots, graph.objects.len()),
        active: work.active,
        globals: NameMap::new(),
        name_strs: NameMap::new(),
        tasks: work.tasks,
        opts,
        interned: NameMap::new(),
        singletons: None,
        inline: 0,
        named: Vec::new(),
    };
    p.e.start();
    // The root is saved here, not queued: a task's trip through the stack costs more than a
    // small pickle's scalars.
    let done = p.save(graph.root()).and_then(|()| p.run()).and_then(|()| p.e.finish());
    Work { tasks: p.tasks, slots: p.memo.slots, active: p.active }.keep();
    done?;
    Ok(p.e)
}

impl<'g, S: Sink> Pickler<'g, '_, '_, S> {
    /// Whether `id` names an object: one in the arena or a temporary.
    #[inline]
    fn holds(&self, id: u32) -> bool {
        (id as usize) < self.g.objects.len() || (id >= TEMP_BASE && ((id - TEMP_BASE) as usize) < self.scratch.len())
    }

    fn obj(&self, id: u32) -> &Object {
        lookup(self.g, &self.scratch, id)
    }

    fn temp(&mut self, obj: Object) -> Value {
        self.native_cx().temp(obj)
    }

    fn temp_global(&mut self, module: &str, name: &str) -> Value {
        self.temp(Object::Global(Box::new(Global { module: module.into(), name: name.into() })))
    }

    /// The class or function `module.name` the pickler names itself, one object per dump
    /// (see [`NativeCx::global`]).
    fn named_global(&mut self, module: &'static str, name: &'static str) -> Value {
        self.native_cx().global(module, name)
    }

    fn native_cx(&mut self) -> NativeCx<'_> {
        NativeCx { base: TEMP_BASE, scratch: &mut self.scratch, named: &mut self.named }
    }

    fn temp_str(&mut self, s: &str) -> Value {
        self.temp(Object::Str(s.into()))
    }

    fn interned_str(&mut self, s: &str) -> Value {
        if let Some(&v) = self.interned.get(s) {
            return v;
        }
        let v = self.temp_str(s);
        self.interned.insert(s.to_owned(), v);
        v
    }

    fn proto(&self) -> u8 {
        self.e.proto
    }

    fn run(&mut self) -> Result<()> {
        while let Some(task) = self.tasks.pop() {
            self.do_task(task)?;
        }
        Ok(())
    }

    /// One task of the loop.
    fn do_task(&mut self, task: Task) -> Result<()> {
        match task {
            Task::Save(v) => self.save(v)?,
            Task::Op(code) => self.e.op(code),
            Task::Bytes(b) => self.e.write(&b),
            Task::TupleEnd { id, len, marked } => {
                self.leave(id);
                self.tuple_end(id, len, marked)
            }
            Task::FrozenSetEnd { id } => {
                self.leave(id);
                if let Some(&idx) = self.memo.get(id) {
                    self.e.op(op::POP_MARK);
                    self.e.memo_get(idx);
                } else {
                    self.e.op(op::FROZENSET);
                    self.memoize(id);
                }
            }
            Task::CallEnd { key, code, tail } => {
                self.leave(key);
                if let Some(code) = code {
                    self.e.op(code);
                }
                if let Some(&idx) = self.memo.get(key) {
                    // Recursive: the object was memoized while its arguments were written.
                    self.e.op(op::POP);
                    self.e.memo_get(idx);
                } else {
                    self.memoize(key);
                    if let Some(inst) = tail {
                        self.instance_tail(inst);
                    }
                }
            }
            Task::Items { seq, pos, end } => self.items(seq, pos, end)?,
            Task::Pairs { seq, pos, end } => self.pairs(seq, pos, end)?,
            Task::EachAppend { seq, pos, pairs } => self.each_append(seq, pos, pairs),
            Task::Batches { seq, pos, style } => self.batches(seq, pos, style)?,
            Task::GlobalEnd { key, name } => {
                self.e.op(op::STACK_GLOBAL);
                self.global_memoize(key, *name);
            }
            Task::NestedGlobalEnd { key, name } => {
                self.e.op(op::REDUCE);
                self.global_memoize(key, *name);
            }
        }
        Ok(())
    }

    /// Save items `pos..end` of a sequence. Items are written in place until one queues work of
    /// its own (a container); then the rest waits beneath that work.
    fn items(&mut self, seq: u32, pos: u32, end: u32) -> Result<()> {
        // An arena sequence is borrowed from the graph once; a temporary is looked up per item.
        let g: &'g Graph = self.g;
        let arena = g.objects.get(seq as usize).map(items_of);
        if let Some(items) = arena.filter(|_| self.runs_apply() && end - pos >= RUN_MIN) {
            return self.items_in_runs(seq, items, pos, end);
        }
        let mut p = pos;
        // Values that may still be written inline before the room is looked at again.
        let mut budget = 0;
        while p < end {
            let item = match arena {
                Some(items) => items[p as usize],
                None => self.seq_items(seq)[p as usize],
            };
            if !matches!(item, Value::Ref(_)) && self.opts.persistent_id.is_none() {
                budget = 0;
                // A run of scalars: as many as fit before a boundary could close a frame or
                // flush, written without a boundary check each.
                let fit = self.e.room_for(1) as u64;
                let stop = end.min(u32::try_from(p as u64 + fit).unwrap_or(u32::MAX));
                if stop == p {
                    self.e.boundary()?;
                    self.e.scalar(item);
                    p += 1;
                } else {
                    let items = items_of(lookup(self.g, &self.scratch, seq));
                    p += self.e.scalars(&items[p as usize..stop as usize]) as u32;
                }
                continue;
            }
            p += 1;
            if budget == 0 {
                budget = self.inline_budget();
            }
            if budget > 0 && self.written_inline(item) {
                budget -= 1;
                continue;
            }
            budget = 0;
            let queued = self.tasks.len();
            self.save(item)?;
            if self.tasks.len() > queued && p < end {
                self.tasks.insert(queued, Task::Items { seq, pos: p, end });
                break;
            }
        }
        Ok(())
    }

    /// Dict entries `pos..end`, written in a loop while keys and values need no further work
    /// (no task per entry); when one queues work, the rest waits behind it.
    fn pairs(&mut self, seq: u32, pos: u32, end: u32) -> Result<()> {
        let g: &'g Graph = self.g;
        let arena = g.objects.get(seq as usize).map(pairs_of);
        if let Some(pairs) = arena.filter(|_| self.runs_apply() && end - pos >= RUN_MIN / 2) {
            return self.pairs_in_runs(seq, pairs, pos, end);
        }
        let mut p = pos;
        // Values that may still be written inline before the room is looked at again.
        let mut budget = 0;
        while p < end {
            let (k, v) = match arena {
                Some(pairs) => pairs[p as usize],
                None => self.seq_pairs(seq)[p as usize],
            };
            if !matches!(k, Value::Ref(_)) && !matches!(v, Value::Ref(_)) && self.opts.persistent_id.is_none() {
                budget = 0;
                // Pairs of scalars that fit before a boundary: written without one each.
                let fit = self.e.room_for(2) as u64;
                let stop = end.min(u32::try_from(p as u64 + fit).unwrap_or(u32::MAX));
                let run = &pairs_of(lookup(self.g, &self.scratch, seq))[p as usize..stop as usize];
                let written = self.e.scalar_pairs(run) as u32;
                if written > 0 {
                    p += written;
                    continue;
                }
            }
            p += 1;
            if budget < 2 {
                budget = self.inline_budget();
            }
            let key_done = budget >= 2 && self.written_inline(k);
            if key_done && self.written_inline(v) {
                budget -= 2;
                continue;
            }
            budget = 0;
            let queued = self.tasks.len();
            if !key_done {
                self.save(k)?;
            }
            let key_queued = self.tasks.len() > queued;
            if key_queued {
                self.tasks.insert(queued, Task::Save(v));
            } else {
                self.save(v)?;
            }
            if self.tasks.len() > queued {
                if p < end {
                    self.tasks.insert(queued, Task::Pairs { seq, pos: p, end });
                }
                break;
            }
        }
        Ok(())
    }

    /// [`Pickler::items`] of a long arena sequence in protocol 4+: runs of scalars, memo hits
    /// and short strs (see [`put_inline`]) written with a local index into zeroed room, each
    /// other item saved as usual.
    fn items_in_runs(&mut self, seq: u32, items: &'g [Value], pos: u32, end: u32) -> Result<()> {
        let mut p = pos as usize;
        let end = end as usize;
        let mut backoff = Backoff::default();
        while p < end {
            let item = items[p];
            if !matches!(item, Value::Ref(_)) {
                // Long runs of scalars go four at a time (see `Out::scalars`).
                let fit = self.e.room_for(1);
                if fit > 0 {
                    p += self.e.scalars(&items[p..end.min(p + fit)]);
                    continue;
                }
            }
            if backoff.tries() {
                let n = self.written_run(&items[p..end]);
                if n > 0 {
                    backoff.ran(n);
                    p += n;
                    continue;
                }
            } else {
                // Skipping runs: a value a run would take still skips `save`'s dispatch.
                self.e.boundary()?;
                if self.written_inline(item) {
                    p += 1;
                    continue;
                }
            }
            p += 1;
            let queued = self.tasks.len();
            self.save(item)?;
            if self.tasks.len() > queued && p < end {
                self.tasks.insert(queued, Task::Items { seq, pos: p as u32, end: end as u32 });
                break;
            }
        }
        Ok(())
    }

    /// [`Pickler::pairs`] of a large arena dict in protocol 4+, in runs as
    /// [`Pickler::items_in_runs`].
    fn pairs_in_runs(&mut self, seq: u32, pairs: &'g [(Value, Value)], pos: u32, end: u32) -> Result<()> {
        let mut p = pos as usize;
        let end = end as usize;
        let mut backoff = Backoff::default();
        while p < end {
            let (n, key_done) = if backoff.tries() { self.written_pairs_run(&pairs[p..end]) } else { (0, false) };
            if n > 0 || key_done {
                backoff.ran(2 * n + usize::from(key_done));
            }
            p += n;
            if n > 0 && !key_done {
                continue;
            }
            // An entry the run could not take (whole, or its value only).
            let (k, v) = pairs[p];
            p += 1;
            let queued = self.tasks.len();
            if !key_done {
                self.save(k)?;
            }
            if self.tasks.len() > queued {
                self.tasks.insert(queued, Task::Save(v));
            } else {
                self.save(v)?;
            }
            if self.tasks.len() > queued {
                if p < end {
                    self.tasks.insert(queued, Task::Pairs { seq, pos: p as u32, end: end as u32 });
                }
                break;
            }
        }
        Ok(())
    }

    /// The values at the start of `run` that [`put_inline`] takes, written as one [`emit::Run`]
    /// while they fit in the room before a boundary could act; returns how many (none at the
    /// first other).
    #[inline]
    fn written_run(&mut self, run: &[Value]) -> usize {
        if !run.first().is_some_and(|&v| self.inlinable(v)) {
            return 0;
        }
        self.run_of(run)
    }

    /// [`Pickler::written_run`] once its first value is known to go in: out of the caller's
    /// loop, whose registers it would otherwise share (a list of short strs took 3 % more
    /// instructions inlined).
    #[inline(never)]
    fn run_of(&mut self, run: &[Value]) -> usize {
        let Some(bytes) = self.run_room(run.len()) else { return 0 };
        let (g, memo) = (self.g, &mut self.memo);
        self.e.run(bytes, |w| run.iter().take_while(|&&v| put_inline(w, g, memo, v)).count())
    }

    /// [`Pickler::written_run`] for dict entries; also says whether the key of the entry it
    /// stopped at was written (its value was not).
    #[inline]
    fn written_pairs_run(&mut self, run: &[(Value, Value)]) -> (usize, bool) {
        if !run.first().is_some_and(|&(k, v)| self.inlinable(k) && self.inlinable(v)) {
            return (0, false);
        }
        let Some(bytes) = self.run_room(run.len() * 2) else { return (0, false) };
        let (g, memo) = (self.g, &mut self.memo);
        self.e.run(bytes, |w| {
            for (done, &(k, v)) in run.iter().enumerate() {
                if !put_inline(w, g, memo, k) {
                    return (done, false);
                }
                if !put_inline(w, g, memo, v) {
                    return (done, true);
                }
            }
            (run.len(), false)
        })
    }

    /// Whether [`put_inline`] would write `v`: looked at before a run is set up, so a container
    /// met first costs no room zeroed for nothing.
    #[inline(always)]
    fn inlinable(&self, v: Value) -> bool {
        let Value::Ref(id) = v else { return true };
        match self.g.objects.get(id.index()) {
            Some(obj @ Object::Tuple(_)) => {
                self.memo.get(id.0).is_some() || flat::flat_bytes(self.g, &self.memo, obj).is_some()
            }
            Some(obj) => run_payload(obj).is_some() || self.memo.get(id.0).is_some(),
            None => false,
        }
    }

    /// Whether values are written in runs: from protocol 4 on, and not with a persistent_id
    /// hook (which must see every value).
    #[inline(always)]
    fn runs_apply(&self) -> bool {
        self.proto() >= 4 && self.opts.persistent_id.is_none()
    }

    /// The room for a run of at most `wanted` values: at most [`RUN_BYTES`] (zeroed for it, so
    /// kept near what it writes) and no more than surely fits before a boundary; `None` when
    /// that is too little for one value.
    #[inline(always)]
    fn run_room(&self, wanted: usize) -> Option<usize> {
        let bytes = self.e.room().min(RUN_BYTES).min(wanted.saturating_mul(emit::RUN_ITEM));
        (bytes >= emit::RUN_ITEM).then_some(bytes)
    }

    /// How many values [`Pickler::written_inline`] may write one after another with no
    /// boundary between them: as many as surely fit in the room before a boundary could act,
    /// so the boundary `save` checks first would do nothing. None while a persistent_id hook
    /// must see every value.
    #[inline(always)]
    fn inline_budget(&self) -> usize {
        if self.opts.persistent_id.is_some() {
            return 0;
        }
        self.e.room() / MAX_INLINE
    }

    /// The commonest values written without [`Pickler::save`]'s dispatch: a scalar, an object
    /// already in the memo, or a str of 3–255 bytes in protocol 4+; at most [`MAX_INLINE`]
    /// bytes, and only within [`Pickler::inline_budget`] or right after a boundary check.
    /// `false`: nothing written.
    #[inline(always)]
    fn written_inline(&mut self, v: Value) -> bool {
        let Value::Ref(id) = v else {
            self.e.scalar(v);
            return true;
        };
        let id = id.0;
        let g: &'g Graph = self.g;
        let Some(obj) = g.objects.get(id as usize) else { return false };
        if let Some(&idx) = self.memo.get(id) {
            self.e.memo_get(idx);
            return true;
        }
        match obj {
            Object::Str(s) => self.saved_short_str(id, s.as_bytes()),
            _ => false,
        }
    }

    /// A str of 3–255 bytes in protocol 4+ (the commonest object; three bytes or more is never
    /// a shared singleton) written and memoized; `false` (nothing written) for any other str.
    #[inline(always)]
    fn saved_short_str(&mut self, id: u32, data: &[u8]) -> bool {
        if self.proto() < 4 || !(3..256).contains(&data.len()) {
            return false;
        }
        let idx = self.e.short_str_memoized(data);
        self.memo.insert(id, idx);
        true
    }

    /// An object may be re-entered once while it is written (a tuple reached back through a
    /// memoized list, as in CPython); a second re-entry means it reaches itself only through
    /// constructor arguments or tuples, which no pickle can express.
    fn enter(&mut self, id: u32) -> Result<()> {
        let i = dense(self.g.objects.len(), id);
        if i >= self.active.len() {
            self.active.resize(i + 1, 0);
        }
        self.active[i] += 1;
        if self.active[i] > 2 {
            let name = self.obj(id).type_name();
            return Err(Error::unpicklable(format!(
                "a '{name}' object contains itself through its own constructor arguments and cannot be pickled"
            )));
        }
        Ok(())
    }

    fn leave(&mut self, id: u32) {
        if let Some(n) = self.active.get_mut(dense(self.g.objects.len(), id)) {
            *n = n.saturating_sub(1);
        }
    }

    /// Memoize the object just written, whatever it is.
    fn memoize(&mut self, key: u32) {
        let slot = self.singleton_key(key);
        self.memoize_as(key, slot);
    }

    /// Memoize the object just written; `slot` is its [`Pickler::singleton_key`].
    #[inline]
    fn memoize_as(&mut self, key: u32, slot: Option<usize>) {
        let idx = self.e.memo_put();
        self.memo.insert(key, idx);
        if let Some(k) = slot {
            self.singletons.get_or_insert_with(|| Box::new([MemoTable::EMPTY; SINGLETONS]))[k] = idx;
        }
    }

    /// CPython keeps one object for the empty str, each one-character str below U+0100 and the
    /// empty bytes, so equal ones are always shared there: key them by content.
    fn singleton_key(&self, id: u32) -> Option<usize> {
        match self.obj(id) {
            Object::Str(s) => str_slot(s.as_bytes()),
            Object::Bytes(b) if b.is_empty() => Some(257),
            _ => None,
        }
    }

    /// The memo index of a cached object equal to the one at `id`, if one was written.
    fn singleton_memo(&self, id: u32) -> Option<u32> {
        self.singleton_written(self.singleton_key(id))
    }

    /// The memo index written for singleton `slot`, if any.
    #[inline]
    fn singleton_written(&self, slot: Option<usize>) -> Option<u32> {
        let idx = self.singletons.as_ref()?[slot?];
        (idx != MemoTable::EMPTY).then_some(idx)
    }

    fn global_memoize(&mut self, key: Option<u32>, name: (String, String)) {
        let idx = self.e.memo_put();
        if let Some(k) = key {
            self.memo.insert(k, idx);
        }
        self.globals.insert(name, idx);
    }

    fn seq_items(&self, seq: u32) -> &[Value] {
        items_of(lookup(self.g, &self.scratch, seq))
    }

    fn seq_pairs(&self, seq: u32) -> &[(Value, Value)] {
        pairs_of(self.obj(seq))
    }

    fn seq_len(&self, seq: u32, pairs: bool) -> u32 {
        if pairs {
            self.seq_pairs(seq).len() as u32
        } else {
            self.seq_items(seq).len() as u32
        }
    }

    fn save(&mut self, v: Value) -> Result<()> {
        self.e.boundary()?;
        if let Some(hook) = self.opts.persistent_id.as_mut() {
            if let Some(pid) = hook(self.g, v) {
                if pid.id().is_some_and(|id| id.index() >= self.g.objects.len()) {
                    return Err(Error::unpicklable("persistent_id returned a reference from another graph"));
                }
                return self.save_pers(pid);
            }
        }
        match v {
            Value::None => self.e.op(op::NONE),
            Value::Bool(b) => self.save_bool(b),
            Value::Int(i) => self.save_int(i),
            Value::Float(f) => self.save_float(f),
            Value::Ref(id) => {
                let id = id.0;
                let g: &'g Graph = self.g;
                let Some(obj) = g.objects.get(id as usize) else {
                    if !self.holds(id) {
                        return Err(dangling(self.g, id));
                    }
                    return self.save_temp(id);
                };
                if let Some(&idx) = self.memo.get(id) {
                    self.e.memo_get(idx);
                    return Ok(());
                }
                match obj {
                    // The most common objects, kept out of save_object's large frame (and the
                    // arena's objects are borrowed from the graph, not from the pickler).
                    Object::Str(s) if self.proto() >= 1 => return self.save_bin_str(id, s.as_bytes()),
                    Object::List(_) | Object::Dict(_) | Object::Tuple(_) => {
                        if let Some(done) = self.container_now(id, obj) {
                            return done;
                        }
                    }
                    Object::Str(_) | Object::Bytes(_) => {
                        if let Some(idx) = self.singleton_memo(id) {
                            self.e.memo_get(idx);
                            return Ok(());
                        }
                    }
                    _ => {}
                }
                self.save_object(id)?;
            }
        }
        Ok(())
    }

    /// A temporary (the pickler's own object): memoized or shared like any other.
    fn save_temp(&mut self, id: u32) -> Result<()> {
        if let Some(idx) = self.memo.get(id).copied().or_else(|| self.singleton_memo(id)) {
            self.e.memo_get(idx);
            return Ok(());
        }
        self.save_object(id)
    }

    fn save_bool(&mut self, b: bool) {
        self.e.bool(b);
    }

    fn save_int(&mut self, i: i64) {
        self.e.int(i);
    }

    fn save_big_int(&mut self, n: &BigInt) -> Result<()> {
        if self.proto() >= 2 {
            let bytes = n.to_signed_bytes_le();
            if bytes.len() < 256 {
                self.e.write(&[op::LONG1, bytes.len() as u8]);
            } else {
                let len = i32::try_from(bytes.len()).map_err(|_| Error::unpicklable("int too large to pickle"))?;
                self.e.op(op::LONG4);
                self.e.write(&len.to_le_bytes());
            }
            self.e.write(&bytes);
        } else {
            // Protocols 0-1 write decimal text, which CPython will not write or read past 4300
            // digits; refuse as it does rather than write what it cannot load.
            let text = if n.bits() > 15_000 { None } else { Some(n.to_string()) };
            match text {
                Some(t) if t.trim_start_matches('-').len() <= crate::text::MAX_INT_DIGITS => {
                    self.e.write(format!("L{t}L\n").as_bytes())
                }
                _ => {
                    return Err(Error::unpicklable(format!(
                        "Exceeds the limit ({} digits) for integer string conversion; use protocol 2 or higher",
                        crate::text::MAX_INT_DIGITS
                    )))
                }
            }
        }
        Ok(())
    }

    fn save_float(&mut self, f: f64) {
        self.e.float(f);
    }

    fn save_pers(&mut self, pid: Value) -> Result<()> {
        if let Some(id) = pid.id().filter(|id| !self.holds(id.0)) {
            return Err(dangling(self.g, id.0));
        }
        if self.proto() >= 1 {
            self.tasks.push(Task::Op(op::BINPERSID));
            self.tasks.push(Task::Save(pid));
            return Ok(());
        }
        let text = match self.g.object(pid).or_else(|| pid.id().map(|id| self.obj(id.0))) {
            Some(Object::Str(s)) => s.as_str().filter(|s| s.is_ascii() && !s.contains('\n')).map(str::to_owned),
            _ => None,
        };
        let text = text.ok_or_else(|| Error::unpicklable("persistent IDs in protocol 0 must be ASCII strings"))?;
        self.e.write(format!("P{text}\n").as_bytes());
        Ok(())
    }

    /// A str in protocols 1+, `data` its UTF-8: fetched when CPython would share it, else
    /// SHORT_BINUNICODE, BINUNICODE or BINUNICODE8, then the memo.
    #[inline(always)]
    fn save_bin_str(&mut self, id: u32, data: &[u8]) -> Result<()> {
        if self.saved_short_str(id, data) {
            return Ok(());
        }
        self.save_other_bin_str(id, data)
    }

    #[inline(never)]
    fn save_other_bin_str(&mut self, id: u32, data: &[u8]) -> Result<()> {
        let slot = str_slot(data);
        if let Some(idx) = self.singleton_written(slot) {
            self.e.memo_get(idx);
            return Ok(());
        }
        self.e.bin_str(data)?;
        self.memoize_as(id, slot);
        Ok(())
    }

    fn save_object(&mut self, id: u32) -> Result<()> {
        let g = self.g;
        let proto = self.proto();
        match lookup(g, &self.scratch, id) {
            Object::Str(s) if proto == 0 => {
                let mut line = Vec::with_capacity(s.as_bytes().len() + 2);
                line.push(op::UNICODE);
                emit::raw_unicode_escape(s.code_points(), &mut line);
                line.push(b'\n');
                self.e.write(&line);
                let slot = str_slot(s.as_bytes());
                self.memoize_as(id, slot);
            }
            Object::Str(s) => {
                // A temporary (arena strs take the path in `save`): copied out of the scratch
                // space the pickler writes to.
                let data = s.as_bytes().to_vec();
                self.save_bin_str(id, &data)?
            }
            Object::Bytes(b) => {
                if proto >= 3 {
                    let n = b.len();
                    self.e.bin_bytes(lookup_bytes(g, &self.scratch, id))?;
                    self.memoize_as(id, (n == 0).then_some(257));
                } else if b.is_empty() {
                    let callable = self.named_global("builtins", "bytes");
                    let args = self.temp(Object::Tuple(Vec::new()));
                    self.call(id, Construct::Reduce, callable, args, None, None)?;
                } else {
                    // Protocols 0-2 have no bytes opcode: _codecs.encode(latin-1 text, 'latin1').
                    let text: String = b.iter().map(|&c| c as char).collect();
                    let callable = self.named_global("_codecs", "encode");
                    let s = self.temp_str(&text);
                    let enc = self.interned_str("latin1");
                    let args = self.temp(Object::Tuple(vec![s, enc]));
                    self.call(id, Construct::Reduce, callable, args, None, None)?;
                }
            }
            Object::ByteArray(b) => {
                if proto >= 5 {
                    self.e.write_payload(SizedOp::eight(op::BYTEARRAY8, b.len()).as_bytes(), b)?;
                    self.memoize_as(id, None);
                } else {
                    let data = crate::PyBytes::from(b.clone());
                    let callable = self.named_global("builtins", "bytearray");
                    let args = if data.is_empty() { Vec::new() } else { vec![self.temp(Object::Bytes(data))] };
                    let args = self.temp(Object::Tuple(args));
                    self.call(id, Construct::Reduce, callable, args, None, None)?;
                }
            }
            Object::Int(n) => {
                let n = n.clone();
                self.save_big_int(&n)?
            }
            Object::List(items) => {
                if self.opts.persistent_id.is_none() {
                    if let Some(idx) = self.e.scalar_list(items, BATCH as usize) {
                        self.memo.insert(id, idx);
                        return Ok(());
                    }
                }
                let len = items.len() as u32;
                if proto >= 1 {
                    self.e.op(op::EMPTY_LIST);
                } else {
                    self.e.write(&[op::MARK, op::LIST]);
                }
                self.memoize_as(id, None);
                if len > 0 && proto >= 1 {
                    self.batches_now_or_queued(id, Batching::ExactList)?;
                } else if len > 0 {
                    self.tasks.push(Task::EachAppend { seq: id, pos: 0, pairs: false });
                }
            }
            Object::Dict(d) => {
                if self.opts.persistent_id.is_none() {
                    if let Some(idx) = self.e.scalar_dict(d.entries(), BATCH as usize) {
                        self.memo.insert(id, idx);
                        return Ok(());
                    }
                }
                let len = d.len();
                if proto >= 1 {
                    self.e.op(op::EMPTY_DICT);
                } else {
                    self.e.write(&[op::MARK, op::DICT]);
                }
                self.memoize_as(id, None);
                if len > 0 && proto >= 1 {
                    self.batches_now_or_queued(id, Batching::ExactDict)?;
                } else if len > 0 {
                    self.tasks.push(Task::EachAppend { seq: id, pos: 0, pairs: true });
                }
            }
            Object::Tuple(items) => {
                let len = items.len() as u32;
                if len == 0 {
                    if proto >= 1 {
                        self.e.op(op::EMPTY_TUPLE);
                    } else {
                        self.e.write(&[op::MARK, op::TUPLE]);
                    }
                    return Ok(());
                }
                let marked = !(len <= 3 && proto >= 2);
                if marked {
                    self.e.op(op::MARK);
                }
                self.enter(id)?;
                self.tasks.push(Task::TupleEnd { id, len, marked });
                self.items_now_or_queued(id, len)?;
            }
            Object::Set(s) | Object::FrozenSet(s) if proto < 4 => {
                let frozen = matches!(lookup(g, &self.scratch, id), Object::FrozenSet(_));
                let items = s.items().to_vec();
                let callable = self.named_global("builtins", if frozen { "frozenset" } else { "set" });
                let list = self.temp(Object::List(items));
                let args = self.temp(Object::Tuple(vec![list]));
                self.call(id, Construct::Reduce, callable, args, None, None)?;
            }
            Object::Set(s) => {
                let len = s.len();
                self.e.op(op::EMPTY_SET);
                self.memoize_as(id, None);
                if len > 0 {
                    self.tasks.push(Task::Batches { seq: id, pos: 0, style: Batching::Set });
                }
            }
            Object::FrozenSet(s) => {
                let len = s.len() as u32;
                self.enter(id)?;
                self.e.op(op::MARK);
                self.tasks.push(Task::FrozenSetEnd { id });
                self.items_now_or_queued(id, len)?;
            }
            Object::Global(gl) => {
                let (module, name) = (gl.module.clone(), gl.name.clone());
                self.save_global(Some(id), module, name)?;
            }
            Object::Instance(_) => self.save_instance(id, id)?,
            Object::PersistentId(pid) => {
                let pid = *pid;
                self.save_pers(pid)?;
            }
            Object::Ext(code) => {
                let code = *code;
                if proto < 2 {
                    return Err(Error::unpicklable("extension codes need protocol 2 or higher"));
                }
                if code <= 0xff {
                    self.e.write(&[op::EXT1, code as u8]);
                } else if code <= 0xffff {
                    let b = (code as u16).to_le_bytes();
                    self.e.write(&[op::EXT2, b[0], b[1]]);
                } else {
                    self.e.op(op::EXT4);
                    self.e.write(&code.to_le_bytes());
                }
            }
            Object::Buffer(buf) => {
                let readonly = buf.readonly;
                let in_band = match (&buf.data, proto) {
                    (None, p) if p >= 5 => false,
                    (None, _) => return Err(Error::unpicklable("an out-of-band buffer without data needs protocol 5")),
                    (Some(_), p) if p < 5 => true,
                    (Some(data), _) => match self.opts.buffer_callback.as_mut() {
                        Some(cb) => cb(data),
                        None => true,
                    },
                };
                if in_band {
                    let data = buf.data.as_deref().unwrap_or_default();
                    let n = data.len();
                    let header = if readonly {
                        SizedOp::pick(n, Some(op::SHORT_BINBYTES), op::BINBYTES, Some(op::BINBYTES8))
                            .unwrap_or_else(|| SizedOp::eight(op::BINBYTES8, n))
                    } else {
                        SizedOp::eight(op::BYTEARRAY8, n)
                    };
                    if proto < 3 {
                        return Err(Error::unpicklable("PickleBuffer can only be pickled with protocol >= 3"));
                    }
                    if !readonly && proto < 5 {
                        return Err(Error::unpicklable("a writable PickleBuffer needs protocol 5"));
                    }
                    let data = match lookup(g, &self.scratch, id) {
                        Object::Buffer(b) => b.data.as_deref().unwrap_or_default(),
                        _ => &[],
                    };
                    self.e.write_payload(header.as_bytes(), data)?;
                    self.memoize(id);
                } else {
                    self.e.op(op::NEXT_BUFFER);
                    if readonly {
                        self.e.op(op::READONLY_BUFFER);
                    }
                }
            }
            _ => {
                // Natives only live in the graph; temporaries are never natives.
                let native =
                    g.objects.get(id as usize).ok_or_else(|| Error::unpicklable("internal: temporary native"))?;
                let inst = reduce::native_reduction(native, proto, &mut self.native_cx())?;
                let inst_id = self.temp(Object::Instance(Box::new(inst)));
                self.save_instance(id, inst_id.id().expect("temp is a ref").0)?;
            }
        }
        Ok(())
    }

    fn tuple_end(&mut self, id: u32, len: u32, marked: bool) {
        if let Some(&idx) = self.memo.get(id) {
            // The tuple was reached through its own items: drop them and fetch it instead.
            if marked && self.proto() >= 1 {
                self.e.op(op::POP_MARK);
            } else {
                let pops = if marked { len + 1 } else { len };
                for _ in 0..pops {
                    self.e.op(op::POP);
                }
            }
            self.e.memo_get(idx);
            return;
        }
        let code = if marked { op::TUPLE } else { [op::TUPLE1, op::TUPLE2, op::TUPLE3][len as usize - 1] };
        self.e.op(code);
        self.memoize_as(id, None);
    }

    /// Queue `callable(*args)` (REDUCE) or `cls.__new__` (NEWOBJ/NEWOBJ_EX), then the memo and
    /// the instance tail.
    fn call(
        &mut self,
        key: u32,
        kind: Construct,
        callable: Value,
        args: Value,
        kwargs: Option<Value>,
        tail: Option<u32>,
    ) -> Result<()> {
        self.enter(key)?;
        let code = match kind {
            Construct::NewObj => op::NEWOBJ,
            Construct::NewObjEx => op::NEWOBJ_EX,
            _ => op::REDUCE,
        };
        self.tasks.push(Task::CallEnd { key, code: Some(code), tail });
        if let Some(kw) = kwargs {
            self.tasks.push(Task::Save(kw));
        }
        self.tasks.push(Task::Save(args));
        self.tasks.push(Task::Save(callable));
        Ok(())
    }

    fn global_name(&self, v: Value) -> Option<(String, String)> {
        match v.id().map(|id| self.obj(id.0)) {
            Some(Object::Global(g)) => Some((g.module.clone(), g.name.clone())),
            _ => None,
        }
    }

    fn save_instance(&mut self, key: u32, inst_id: u32) -> Result<()> {
        let proto = self.proto();
        let Object::Instance(inst) = self.obj(inst_id) else {
            return Err(Error::unpicklable("internal: not an instance"));
        };
        let (construct, callable, args, kwargs) = (inst.construct, inst.callable, inst.args, inst.kwargs);
        // Read here before they are saved, so checked here.
        if let Some(id) = [callable, args].into_iter().chain(kwargs).filter_map(|v| v.id()).find(|id| !self.holds(id.0))
        {
            return Err(dangling(self.g, id.0));
        }
        // Copied only where needed: most instances are written as they are.
        let arg_items = |p: &Self| -> Option<Vec<Value>> {
            match args.id().map(|a| p.obj(a.0)) {
                Some(Object::Tuple(items)) => Some(items.clone()),
                _ => None,
            }
        };
        let tail = Some(inst_id);
        match construct {
            Construct::Reduce => {
                let named =
                    |n: &str| matches!(callable.id().map(|id| self.obj(id.0)), Some(Object::Global(g)) if g.name == n);
                let special = if proto >= 4 && named("__newobj_ex__") {
                    Some(Construct::NewObjEx)
                } else if proto >= 2 && named("__newobj__") {
                    Some(Construct::NewObj)
                } else {
                    None
                };
                match (special, special.and_then(|_| arg_items(self)).as_deref()) {
                    (Some(Construct::NewObj), Some([cls, rest @ ..])) => {
                        let (cls, rest) = (*cls, rest.to_vec());
                        let args = self.temp(Object::Tuple(rest));
                        self.call(key, Construct::NewObj, cls, args, None, tail)?;
                    }
                    (Some(Construct::NewObjEx), Some(&[cls, a, kw])) => {
                        self.call(key, Construct::NewObjEx, cls, a, Some(kw), tail)?;
                    }
                    _ => self.call(key, Construct::Reduce, callable, args, None, tail)?,
                }
            }
            Construct::NewObj if proto >= 2 => self.call(key, Construct::NewObj, callable, args, None, tail)?,
            Construct::NewObj => {
                let mut items = vec![callable];
                items.extend(arg_items(self).ok_or_else(|| Error::unpicklable("NEWOBJ arguments must be a tuple"))?);
                let f = self.named_global("copyreg", "__newobj__");
                let args = self.temp(Object::Tuple(items));
                self.call(key, Construct::Reduce, f, args, None, tail)?;
            }
            Construct::NewObjEx if proto >= 4 => self.call(key, Construct::NewObjEx, callable, args, kwargs, tail)?,
            Construct::NewObjEx => {
                // CPython writes `functools.partial(cls.__new__, cls, *args, **kwargs)()` here,
                // and pickles `cls.__new__` by where that function is defined (the class, a base
                // class, or `object`), which the graph does not say; `copyreg.__newobj_ex__`
                // builds the same object from what it does.
                let f = self.named_global("copyreg", "__newobj_ex__");
                let kw = kwargs.unwrap_or(Value::None);
                let args = self.temp(Object::Tuple(vec![callable, args, kw]));
                self.call(key, Construct::Reduce, f, args, None, tail)?;
            }
            Construct::Inst | Construct::Obj => {
                let items = arg_items(self).ok_or_else(|| Error::unpicklable("INST/OBJ arguments must be a tuple"))?;
                let args_seq = args.id().expect("tuple args are a ref").0;
                let n = items.len() as u32;
                if proto == 0 {
                    let (module, name) = self
                        .global_name(callable)
                        .ok_or_else(|| Error::unpicklable("protocol 0 INST needs a named class"))?;
                    let (m, n2) = crate::compat::to_py2(&module, &name);
                    let text = format!("i{m}\n{n2}\n").into_bytes().into_boxed_slice();
                    self.enter(key)?;
                    self.tasks.push(Task::CallEnd { key, code: None, tail });
                    self.tasks.push(Task::Bytes(text));
                    self.tasks.push(Task::Items { seq: args_seq, pos: 0, end: n });
                } else {
                    self.enter(key)?;
                    self.tasks.push(Task::CallEnd { key, code: Some(op::OBJ), tail });
                    self.tasks.push(Task::Items { seq: args_seq, pos: 0, end: n });
                    self.tasks.push(Task::Save(callable));
                }
                self.e.op(op::MARK);
            }
        }
        Ok(())
    }

    /// After an instance is created and memoized: list items, dict items, then BUILD.
    fn instance_tail(&mut self, inst_id: u32) {
        let Object::Instance(inst) = self.obj(inst_id) else { return };
        let state = inst.state;
        let has_list = !inst.list_items.is_empty();
        let has_dict = !inst.dict_items.is_empty();
        if let Some(state) = state {
            self.tasks.push(Task::Op(op::BUILD));
            self.tasks.push(Task::Save(state));
        }
        let proto = self.proto();
        if has_dict {
            self.tasks.push(if proto >= 1 {
                Task::Batches { seq: inst_id, pos: 0, style: Batching::IterDict }
            } else {
                Task::EachAppend { seq: inst_id, pos: 0, pairs: true }
            });
        }
        if has_list {
            self.tasks.push(if proto >= 1 {
                Task::Batches { seq: inst_id, pos: 0, style: Batching::IterList }
            } else {
                Task::EachAppend { seq: inst_id, pos: 0, pairs: false }
            });
        }
    }

    fn each_append(&mut self, seq: u32, pos: u32, pairs: bool) {
        if pos >= self.seq_len(seq, pairs) {
            return;
        }
        self.tasks.push(Task::EachAppend { seq, pos: pos + 1, pairs });
        if pairs {
            let (k, v) = self.seq_pairs(seq)[pos as usize];
            self.tasks.push(Task::Op(op::SETITEM));
            self.tasks.push(Task::Save(v));
            self.tasks.push(Task::Save(k));
        } else {
            let item = self.seq_items(seq)[pos as usize];
            self.tasks.push(Task::Op(op::APPEND));
            self.tasks.push(Task::Save(item));
        }
    }

    /// A container's batches written right away (its scalars need no task), unless
    /// [`INLINE_DEPTH`] containers around it are already being written so.
    fn batches_now_or_queued(&mut self, seq: u32, style: Batching) -> Result<()> {
        if self.inline >= INLINE_DEPTH {
            self.tasks.push(Task::Batches { seq, pos: 0, style });
            return Ok(());
        }
        self.inline += 1;
        let done = self.batches(seq, 0, style);
        self.inline -= 1;
        done
    }

    /// A tuple's or frozenset's items, right away as for [`Pickler::batches_now_or_queued`]
    /// (its closing task already queued at `at - 1`, and run here when the items queue nothing).
    fn items_now_or_queued(&mut self, seq: u32, len: u32) -> Result<()> {
        if self.inline >= INLINE_DEPTH {
            self.tasks.push(Task::Items { seq, pos: 0, end: len });
            return Ok(());
        }
        let at = self.tasks.len();
        self.inline += 1;
        let done = self.items(seq, 0, len);
        self.inline -= 1;
        done?;
        self.close_now(at)
    }

    /// After a container's items: when they queued no work, its closing task (queued at
    /// `at - 1`, now on top) is done now rather than by the task loop.
    fn close_now(&mut self, at: usize) -> Result<()> {
        if self.tasks.len() == at {
            match self.tasks.pop() {
                // A batch's closing opcode, the common case, without the task dispatch.
                Some(Task::Op(code)) => self.e.op(code),
                Some(task) => self.do_task(task)?,
                None => {}
            }
        }
        Ok(())
    }

    /// One batch of a container's items, then the next batch (CPython's batching, quirks kept).
    /// The batch's items are written right here (nested at most [`INLINE_DEPTH`] deep, see
    /// [`Pickler::batches_now_or_queued`]); what they queue runs before its closing opcode.
    fn batches(&mut self, seq: u32, pos: u32, style: Batching) -> Result<()> {
        let pairs = matches!(style, Batching::ExactDict | Batching::IterDict);
        let len = self.seq_len(seq, pairs);
        let remaining = len - pos;
        let (single, multi) = match style {
            Batching::ExactList | Batching::IterList => (op::APPEND, op::APPENDS),
            Batching::ExactDict | Batching::IterDict => (op::SETITEM, op::SETITEMS),
            Batching::Set => (op::ADDITEMS, op::ADDITEMS),
        };
        let single_item = match style {
            Batching::ExactList | Batching::ExactDict => pos == 0 && len == 1,
            Batching::IterList | Batching::IterDict => remaining == 1,
            Batching::Set => false,
        };
        let write = |p: &mut Self, end| if pairs { p.pairs(seq, pos, end) } else { p.items(seq, pos, end) };
        if single_item {
            self.tasks.push(Task::Op(single));
            let at = self.tasks.len();
            write(self, pos + 1)?;
            return self.close_now(at);
        }
        if remaining == 0 && matches!(style, Batching::ExactList | Batching::IterList | Batching::IterDict) {
            return Ok(());
        }
        let end = pos + remaining.min(BATCH);
        // Dicts, sets and reduce items loop while the last batch was full, so an exact dict or
        // set whose size is a multiple of 1000 ends with an empty MARK…SETITEMS/ADDITEMS.
        let more = match style {
            Batching::ExactList => end < len,
            _ => end - pos == BATCH,
        };
        if more {
            self.tasks.push(Task::Batches { seq, pos: end, style });
        }
        self.tasks.push(Task::Op(multi));
        let at = self.tasks.len();
        self.e.op(op::MARK);
        write(self, end)?;
        self.close_now(at)
    }

    fn save_global(&mut self, key: Option<u32>, module: String, name: String) -> Result<()> {
        if let Some(&idx) = self.globals.get(&(module.clone(), name.clone())) {
            self.e.memo_get(idx);
            if let Some(k) = key {
                self.memo.insert(k, idx);
            }
            return Ok(());
        }
        let proto = self.proto();
        if proto >= 4 {
            self.save_name_str(NameKind::Module, &module)?;
            self.save_name_str(NameKind::Qualname, &name)?;
            self.tasks.push(Task::GlobalEnd { key, name: Box::new((module, name)) });
            return Ok(());
        }
        if let Some((parent, last)) = name.rsplit_once('.') {
            // Nested qualnames before protocol 4: getattr(parent, 'last').
            let f = self.named_global("builtins", "getattr");
            let parent = self.temp_global(&module, parent);
            let last = self.temp_str(last);
            let args = self.temp(Object::Tuple(vec![parent, last]));
            self.tasks.push(Task::NestedGlobalEnd { key, name: Box::new((module, name)) });
            self.tasks.push(Task::Save(args));
            self.tasks.push(Task::Save(f));
            return Ok(());
        }
        let (m, n) = if proto < 3 { crate::compat::to_py2(&module, &name) } else { (module.as_str(), name.as_str()) };
        if proto < 3 && !(m.is_ascii() && n.is_ascii()) {
            return Err(Error::unpicklable(format!(
                "can't pickle global identifier '{m}.{n}' using pickle protocol {proto}"
            )));
        }
        let text = format!("c{m}\n{n}\n");
        self.e.write(text.as_bytes());
        self.global_memoize(key, (module, name));
        Ok(())
    }

    /// Module and qualname strings of STACK_GLOBAL. CPython's classes of one module share one
    /// `__module__` string object, so module names are shared by content; qualnames likewise
    /// among themselves, never with a module name.
    fn save_name_str(&mut self, kind: NameKind, s: &str) -> Result<()> {
        let key = (kind, s.to_owned());
        if let Some(&idx) = self.name_strs.get(&key) {
            self.e.memo_get(idx);
            return Ok(());
        }
        let n = s.len();
        if n < 256 {
            self.e.write(&[op::SHORT_BINUNICODE, n as u8]);
        } else {
            self.e.op(op::BINUNICODE);
            self.e.write(&(n as u32).to_le_bytes());
        }
        self.e.write(s.as_bytes());
        let idx = self.e.memo_put();
        self.name_strs.insert(key, idx);
        Ok(())
    }
}

/// The [`Pickler::singletons`] slot of a str (given as its UTF-8) that CPython keeps one
/// object for, if it is one: below U+0100 a code point takes one byte, or two led by C2/C3.
#[inline]
fn str_slot(utf8: &[u8]) -> Option<usize> {
    match *utf8 {
        [] => Some(256),
        [b] => Some(b as usize),
        [lead @ (0xc2 | 0xc3), cont] => Some(((lead as usize & 0x1f) << 6) | (cont as usize & 0x3f)),
        _ => None,
    }
}

/// The pairs a mapping-like object writes with SETITEM(S).
fn pairs_of(obj: &Object) -> &[(Value, Value)] {
    match obj {
        Object::Dict(d) | Object::OrderedDict(d) | Object::Counter(d) => d.entries(),
        Object::DefaultDict(d) => d.dict.entries(),
        Object::Instance(i) => &i.dict_items,
        _ => &[],
    }
}

/// The items a sequence-like object writes with APPEND(S)/ADDITEMS or as a tuple.
fn items_of(obj: &Object) -> &[Value] {
    match obj {
        Object::List(v) | Object::Tuple(v) => v,
        Object::Deque(d) => &d.items,
        Object::Set(s) | Object::FrozenSet(s) => s.items(),
        Object::Instance(i) => &i.list_items,
        _ => &[],
    }
}

fn lookup_bytes<'x>(g: &'x Graph, scratch: &'x [Object], id: u32) -> &'x [u8] {
    match lookup(g, scratch, id) {
        Object::Bytes(b) => b,
        _ => &[],
    }
}

/// Globals made by [`NativeCx::global`], by module and name.
pub(crate) type Named = Vec<(&'static str, &'static str, Value)>;

/// Where the natives' reductions put their temporaries, and the id the first one gets.
pub(crate) struct NativeCx<'x> {
    pub(crate) base: u32,
    pub(crate) scratch: &'x mut Vec<Object>,
    pub(crate) named: &'x mut Named,
}

impl NativeCx<'_> {
    pub(crate) fn temp(&mut self, obj: Object) -> Value {
        let id = self.base + self.scratch.len() as u32;
        self.scratch.push(obj);
        Value::Ref(crate::ObjId(id))
    }

    /// The global `module.name` (a class or function the writer names itself, such as
    /// `datetime.date` for every date), made the first time and the same object after: in
    /// CPython it is one object, so every later use is a memo fetch, as here. (Made per use,
    /// a list of 10 000 dates spent most of its time allocating and freeing their names.)
    pub(crate) fn global(&mut self, module: &'static str, name: &'static str) -> Value {
        if let Some(&(_, _, v)) = self.named.iter().find(|&&(m, n, _)| m == module && n == name) {
            return v;
        }
        let v = self.temp(Object::Global(Box::new(Global { module: module.into(), name: name.into() })));
        self.named.push((module, name, v));
        v
    }
}
