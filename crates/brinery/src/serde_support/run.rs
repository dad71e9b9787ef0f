//! Long lists and dicts written in runs (see [`Run`]): their items go into zeroed room with a
//! local index, so the buffer's length is not stored and read back for every opcode, the chain
//! that bounds writing one opcode at a time.
//!
//! [`RunSer`] is a serializer that takes what it can write from the run alone (scalars, strs
//! and bytes under 256 bytes, names and cached objects already in the memo, tuples, lists,
//! dicts and structs of those) and refuses the rest. A refused item leaves nothing behind (the
//! run goes on from where it stood before it) and is written the usual way; the bytes are the
//! same either way.
//! `RunSer` owns its run and returns where the value ended, so the position stays in registers
//! even where the compiler does not inline a `serialize` it goes through.

use super::ser::{small_slot, Items, Known, Ser, BATCH};
use crate::dump::emit::{Run, RunMark, Sink, RUN_ITEM};
use crate::error::Result;
use crate::opcodes::op;
use crate::Value;
use serde::ser::{self, Serialize};
use std::fmt;

/// Lists of at least this many items are written in runs: below it, zeroing the room costs
/// more than it saves.
pub(super) const RUN_MIN: usize = 16;

/// The same for dicts, in entries (two values each).
pub(super) const RUN_MIN_ENTRIES: usize = 8;

/// The most room one run zeroes (as the graph pickler's runs).
const RUN_BYTES: usize = 1024;

/// A run that took fewer items than this before refusing one counts as a miss: the next
/// `2^misses` items are written the usual way before a run is tried again, so a sequence whose
/// items a run cannot take does not pay for zeroed room per item.
const RUN_FEW: usize = 4;

impl<S: Sink> Ser<S> {
    /// The items of a list already begun in batches (protocol 4+), in runs where they can be.
    #[inline(never)]
    pub(super) fn list_items_in_runs<I>(&mut self, items: &mut Items, iter: I) -> Result<()>
    where
        I: Iterator,
        I::Item: Serialize,
    {
        self.in_runs(items, iter, |item, run| item.serialize(run), |ser, items, item| ser.list_item(items, &item))
    }

    /// The entries of a dict already begun in batches (protocol 4+), in runs where they can be.
    #[inline(never)]
    pub(super) fn entries_in_runs<K, V, I>(&mut self, items: &mut Items, iter: I) -> Result<()>
    where
        K: Serialize,
        V: Serialize,
        I: Iterator<Item = (K, V)>,
    {
        self.in_runs(
            items,
            iter,
            |(key, value), mut run| {
                within(&mut run.run, run.known, true, |ser| key.serialize(ser))?;
                value.serialize(run)
            },
            |ser, items, (key, value)| {
                ser.dict_key(items, &key)?;
                ser.dict_value(items, &value)
            },
        )
    }

    /// Items from `iter`, each written by `in_run` into a run, or by `usual` when a run refuses
    /// it or none is tried.
    #[inline(always)]
    fn in_runs<T>(
        &mut self,
        items: &mut Items,
        mut iter: impl Iterator<Item = T>,
        in_run: impl Fn(&T, RunSer<'_>) -> Took,
        usual: impl Fn(&mut Self, &mut Items, T) -> Result<()>,
    ) -> Result<()> {
        let (mut skip, mut misses) = (0u32, 0u32);
        loop {
            // No room while skipping or at a batch's end: the run then refuses the next item,
            // so `take_items` is the only place that fetches items (and `next` is inlined).
            let bytes = match self.out.room().min(RUN_BYTES) {
                bytes if skip == 0 && items.plain > 0 && bytes >= 2 * RUN_ITEM => bytes,
                _ => 0,
            };
            let Ser { out, known, .. } = self;
            let (taken, left) = out.run(bytes, |run| take_items(run, known, items, &mut iter, &in_run));
            let Some(item) = left else { return Ok(()) };
            if bytes > 0 {
                (skip, misses) = if taken < RUN_FEW { (1 << misses.min(10), misses + 1) } else { (0, 0) };
            }
            skip = skip.saturating_sub(1);
            usual(self, items, item)?;
        }
    }
}

/// Items from `iter` into `run` while it takes them and the batch has room; returns how many
/// it took and the one it refused, if any. None refused: `iter` is done.
#[inline(always)]
fn take_items<T>(
    run: &mut Run<'_>,
    known: &Known,
    items: &mut Items,
    iter: &mut impl Iterator<Item = T>,
    in_run: &impl Fn(&T, RunSer<'_>) -> Took,
) -> (usize, Option<T>) {
    // Counted here and added to `items` at the end, so the loop keeps them in registers.
    let (mut taken, batch_left) = (0, items.plain);
    let mut refused = None;
    for item in iter.by_ref() {
        // The item after a full batch is refused: the usual path closes the batch. Written out
        // rather than through `within`: that form made BTreeMap<String, u64> 50 % slower (the
        // loop compiled differently).
        let took = if taken < batch_left {
            in_run(&item, RunSer { run: run.reborrow(), known, in_key: false })
        } else {
            Err(Refused)
        };
        match took {
            Ok(end) => run.seek(end),
            Err(Refused) => {
                refused = Some(item);
                break;
            }
        }
        taken += 1;
    }
    items.count += taken;
    items.plain -= taken;
    (taken, refused)
}

/// What a run did not take; the value is written the usual way instead.
#[derive(Debug)]
pub(crate) struct Refused;

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not written in a run")
    }
}

impl std::error::Error for Refused {}

impl ser::Error for Refused {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Refused
    }
}

/// Where a value written into a run ended (returned rather than stored, so the position
/// stays in registers even where the compiler does not inline the value's `serialize`), or its
/// refusal.
type Took = std::result::Result<RunMark, Refused>;

/// An item of a compound written into its run, or refused.
type Done = std::result::Result<(), Refused>;

/// A compound begun in a run, or refused.
type Opened<'r> = std::result::Result<RunComp<'r>, Refused>;

/// `write` into `run`, borrowed; the run goes on from where the value ended.
#[inline(always)]
fn within(run: &mut Run<'_>, known: &Known, in_key: bool, write: impl FnOnce(RunSer<'_>) -> Took) -> Done {
    let end = write(RunSer { run: run.reborrow(), known, in_key })?;
    run.seek(end);
    Ok(())
}

/// The `{variant: ` that opens an enum variant's dict (refused in a key, as any dict).
#[inline(always)]
fn open_variant(run: &mut Run<'_>, known: &Known, in_key: bool, variant: &'static str) -> Done {
    if in_key || !run.memoized(op::EMPTY_DICT, &[]) {
        return Err(Refused);
    }
    within(run, known, in_key, |ser| ser.name(variant))
}

#[inline(always)]
fn took(run: &Run<'_>, written: bool) -> Took {
    if written {
        Ok(run.mark())
    } else {
        Err(Refused)
    }
}

/// A serializer into a [`Run`], writing what [`Ser`] writes at protocol 4+ for the values it
/// takes. It only reads the serializer's [`Known`] strs: a str that would be written and
/// remembered there is refused.
pub(crate) struct RunSer<'r> {
    run: Run<'r>,
    known: &'r Known,
    /// Inside a dict key, where lists and dicts are refused (the usual path says why).
    in_key: bool,
}

impl<'r> RunSer<'r> {
    #[inline(always)]
    fn scalar(mut self, v: Value) -> Took {
        let written = self.run.scalar(v);
        took(&self.run, written)
    }

    #[inline(always)]
    fn int(self, i: impl TryInto<i64>) -> Took {
        match i.try_into() {
            Ok(i) => self.scalar(Value::Int(i)),
            Err(_) => Err(Refused),
        }
    }

    #[inline(always)]
    fn name(mut self, s: &'static str) -> Took {
        match self.known.name(s) {
            Ok(idx) => {
                let written = self.run.memo_get(idx);
                took(&self.run, written)
            }
            Err(_) => Err(Refused),
        }
    }

    /// A container's opening (`EMPTY_LIST`/`EMPTY_DICT`, MEMOIZE, and MARK before two items or
    /// more), or, with `variant`, the `{variant: ...}` dict around it first.
    #[inline(always)]
    fn begin(self, kind: Kind, len: usize, variant: Option<&'static str>) -> Opened<'r> {
        let RunSer { mut run, known, in_key } = self;
        if let Some(name) = variant {
            open_variant(&mut run, known, in_key, name)?;
        }
        let open = match kind {
            // A list or dict of a whole batch never fits in a run's room anyway; refusing it
            // here keeps the usual path's batching the only one.
            Kind::List | Kind::Dict if in_key || len >= BATCH => return Err(Refused),
            Kind::List => op::EMPTY_LIST,
            Kind::Dict => op::EMPTY_DICT,
            Kind::Tuple => {
                let ok = match len {
                    0 => run.ops(&[op::EMPTY_TUPLE]),
                    1..=3 => true,
                    _ => run.ops(&[op::MARK]),
                };
                if !ok {
                    return Err(Refused);
                }
                return Ok(RunComp { run, known, in_key, kind, len, count: 0, variant: variant.is_some() });
            }
        };
        if !run.memoized(open, if len >= 2 { &[op::MARK] } else { &[] }) {
            return Err(Refused);
        }
        Ok(RunComp { run, known, in_key, kind, len, count: 0, variant: variant.is_some() })
    }
}

/// The memo index of a str CPython caches (`""`, one character below U+0100), `None` for
/// another str, refused when not yet written. Out of line (the caller looks up one ASCII
/// character itself), so that what a str costs inline stays small.
#[inline(never)]
fn cached_str(known: &Known, s: &str) -> std::result::Result<Option<u32>, Refused> {
    match small_slot(s) {
        Some(slot) => known.small(slot).map(Some).ok_or(Refused),
        None => Ok(None),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    List,
    Dict,
    Tuple,
}

/// A list, dict, struct or tuple being written into a run.
pub(crate) struct RunComp<'r> {
    run: Run<'r>,
    known: &'r Known,
    in_key: bool,
    kind: Kind,
    len: usize,
    count: usize,
    /// Inside a `{variant: ...}` dict, closed by a SETITEM after this.
    variant: bool,
}

impl RunComp<'_> {
    #[inline(always)]
    fn value<T: ?Sized + Serialize>(&mut self, value: &T, in_key: bool) -> Done {
        within(&mut self.run, self.known, in_key, |ser| value.serialize(ser))
    }

    /// An element of a list or tuple.
    #[inline(always)]
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        self.count += 1;
        // A tuple's items are hashable in a key only if they are; a list is never in one.
        self.value(value, self.in_key && self.kind == Kind::Tuple)
    }

    #[inline(always)]
    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Done {
        self.count += 1;
        self.value(key, true)
    }

    #[inline(always)]
    fn field<T: ?Sized + Serialize>(&mut self, name: &'static str, value: &T) -> Done {
        self.count += 1;
        within(&mut self.run, self.known, false, |ser| ser.name(name))?;
        self.value(value, false)
    }

    /// The closing opcodes, when the items were as many as announced (the usual path deals
    /// with any other count).
    #[inline(always)]
    fn end(self) -> Took {
        if self.count != self.len {
            return Err(Refused);
        }
        let mut run = self.run;
        let closed = match (self.kind, self.len) {
            (Kind::Tuple, 0) => true,
            (Kind::Tuple, 1) => run.memoized(op::TUPLE1, &[]),
            (Kind::Tuple, 2) => run.memoized(op::TUPLE2, &[]),
            (Kind::Tuple, 3) => run.memoized(op::TUPLE3, &[]),
            (Kind::Tuple, _) => run.memoized(op::TUPLE, &[]),
            (_, 0) => true,
            (Kind::List, 1) => run.ops(&[op::APPEND]),
            (Kind::List, _) => run.ops(&[op::APPENDS]),
            (Kind::Dict, 1) => run.ops(&[op::SETITEM]),
            (Kind::Dict, _) => run.ops(&[op::SETITEMS]),
        };
        let written = closed && (!self.variant || run.ops(&[op::SETITEM]));
        took(&run, written)
    }
}

impl<'r> ser::Serializer for RunSer<'r> {
    type Ok = RunMark;
    type Error = Refused;
    type SerializeSeq = RunComp<'r>;
    type SerializeTuple = RunComp<'r>;
    type SerializeTupleStruct = RunComp<'r>;
    type SerializeTupleVariant = RunComp<'r>;
    type SerializeMap = RunComp<'r>;
    type SerializeStruct = RunComp<'r>;
    type SerializeStructVariant = RunComp<'r>;

    #[inline(always)]
    fn serialize_bool(self, v: bool) -> Took {
        self.scalar(Value::Bool(v))
    }
    #[inline(always)]
    fn serialize_i8(self, v: i8) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_i16(self, v: i16) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_i32(self, v: i32) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_i64(self, v: i64) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_i128(self, v: i128) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_u8(self, v: u8) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_u16(self, v: u16) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_u32(self, v: u32) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_u64(self, v: u64) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_u128(self, v: u128) -> Took {
        self.int(v)
    }
    #[inline(always)]
    fn serialize_f32(self, v: f32) -> Took {
        self.scalar(Value::Float(v.into()))
    }
    #[inline(always)]
    fn serialize_f64(self, v: f64) -> Took {
        self.scalar(Value::Float(v))
    }
    #[inline(always)]
    fn serialize_char(self, v: char) -> Took {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    #[inline(always)]
    fn serialize_str(mut self, s: &str) -> Took {
        if s.len() <= 2 {
            // One ASCII character is the commonest cached str, and its slot is its byte.
            let cached = match *s.as_bytes() {
                [c] => self.known.small(c as usize).ok_or(Refused)?,
                _ => match cached_str(self.known, s)? {
                    Some(idx) => idx,
                    None => {
                        let written = self.run.short_memoized(op::SHORT_BINUNICODE, s.as_bytes());
                        return took(&self.run, written);
                    }
                },
            };
            let written = self.run.memo_get(cached);
            return took(&self.run, written);
        }
        if s.len() > 255 {
            return Err(Refused);
        }
        let written = self.run.short_memoized(op::SHORT_BINUNICODE, s.as_bytes());
        took(&self.run, written)
    }
    #[inline(always)]
    fn serialize_bytes(mut self, b: &[u8]) -> Took {
        let written = match (b.len(), self.known.empty_bytes) {
            (0, Some(idx)) => self.run.memo_get(idx),
            (1..=255, _) => self.run.short_memoized(op::SHORT_BINBYTES, b),
            _ => return Err(Refused),
        };
        took(&self.run, written)
    }
    #[inline(always)]
    fn serialize_none(self) -> Took {
        self.scalar(Value::None)
    }
    #[inline(always)]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Took {
        value.serialize(self)
    }
    #[inline(always)]
    fn serialize_unit(self) -> Took {
        self.scalar(Value::None)
    }
    #[inline(always)]
    fn serialize_unit_struct(self, _: &'static str) -> Took {
        self.scalar(Value::None)
    }
    #[inline(always)]
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Took {
        self.name(variant)
    }
    #[inline(always)]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Took {
        value.serialize(self)
    }
    #[inline(always)]
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Took {
        let RunSer { mut run, known, in_key } = self;
        open_variant(&mut run, known, in_key, variant)?;
        within(&mut run, known, in_key, |ser| value.serialize(ser))?;
        let written = run.ops(&[op::SETITEM]);
        took(&run, written)
    }
    #[inline(always)]
    fn serialize_seq(self, len: Option<usize>) -> Opened<'r> {
        self.begin(Kind::List, len.ok_or(Refused)?, None)
    }
    #[inline(always)]
    fn serialize_tuple(self, len: usize) -> Opened<'r> {
        self.begin(Kind::Tuple, len, None)
    }
    #[inline(always)]
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Opened<'r> {
        self.begin(Kind::Tuple, len, None)
    }
    #[inline(always)]
    fn serialize_tuple_variant(self, _: &'static str, _: u32, variant: &'static str, len: usize) -> Opened<'r> {
        self.begin(Kind::Tuple, len, Some(variant))
    }
    #[inline(always)]
    fn serialize_map(self, len: Option<usize>) -> Opened<'r> {
        self.begin(Kind::Dict, len.ok_or(Refused)?, None)
    }
    #[inline(always)]
    fn serialize_struct(self, _: &'static str, len: usize) -> Opened<'r> {
        self.begin(Kind::Dict, len, None)
    }
    #[inline(always)]
    fn serialize_struct_variant(self, _: &'static str, _: u32, variant: &'static str, len: usize) -> Opened<'r> {
        self.begin(Kind::Dict, len, Some(variant))
    }
}

// The compound traits differ only in their item method's name and arguments.
macro_rules! run_compound {
    ($($trait:ident: $method:ident($($key:ident: $kty:ty),*) => $call:ident;)*) => {$(
        impl ser::$trait for RunComp<'_> {
            type Ok = RunMark;
            type Error = Refused;
            #[inline(always)]
            fn $method<T: ?Sized + Serialize>(&mut self, $($key: $kty,)* value: &T) -> Done {
                self.$call($($key,)* value)
            }
            #[inline(always)]
            fn end(self) -> Took {
                RunComp::end(self)
            }
        }
    )*};
}

run_compound! {
    SerializeSeq: serialize_element() => element;
    SerializeTuple: serialize_element() => element;
    SerializeTupleStruct: serialize_field() => element;
    SerializeTupleVariant: serialize_field() => element;
    SerializeStruct: serialize_field(name: &'static str) => field;
    SerializeStructVariant: serialize_field(name: &'static str) => field;
}

impl ser::SerializeMap for RunComp<'_> {
    type Ok = RunMark;
    type Error = Refused;
    #[inline(always)]
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Done {
        self.key(key)
    }
    #[inline(always)]
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        self.value(value, false)
    }
    #[inline(always)]
    fn end(self) -> Took {
        RunComp::end(self)
    }
}
