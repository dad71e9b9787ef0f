//! The serde serializer: Rust values straight to pickle opcodes, byte for byte what CPython's
//! `pickle.dumps` writes for the corresponding Python object (see the module docs for which
//! object that is).

use crate::dump::emit::{IoSink, Out, Sink, VecSink};
use crate::error::{Error, Result};
use crate::opcodes::op;
use serde::ser::{self, Serialize};
use std::collections::HashMap;
use std::io::Write;

/// Items per APPENDS / SETITEMS batch, as CPython batches them.
pub(super) const BATCH: usize = 1000;

type NameMap = HashMap<&'static str, u32, foldhash::fast::FixedState>;
const NAME_CACHE: usize = 256;

/// A serde [`Serializer`](serde::Serializer) that writes one pickle.
///
/// Most programs call [`to_vec`](crate::to_vec) or [`to_writer`](crate::to_writer); use this
/// type to write a pickle piece by piece from a custom `Serialize` implementation.
///
/// ```
/// use serde::Serialize;
/// let mut ser = brinery::Serializer::new(Vec::new(), 2).unwrap();
/// (1, "a").serialize(&mut ser).unwrap();
/// let bytes = ser.finish().unwrap();
/// assert_eq!(bytes, b"\x80\x02K\x01X\x01\x00\x00\x00aq\x00\x86q\x01.");
/// ```
pub struct Serializer<W> {
    inner: Ser<IoSink<W>>,
}

impl<W: Write> Serializer<W> {
    /// A serializer writing protocol `protocol` (0–5) to `writer`.
    pub fn new(writer: W, protocol: u8) -> Result<Self> {
        Ok(Serializer { inner: Ser::new(IoSink(writer), protocol, Vec::with_capacity(4096))? })
    }

    /// Write STOP and flush; returns the writer. Call it after serializing exactly one value.
    pub fn finish(mut self) -> Result<W> {
        self.inner.out.finish()?;
        let mut sink = self.inner.out.sink;
        sink.0.flush()?;
        Ok(sink.0)
    }
}

/// The serializer over any sink (`to_vec` keeps everything in one buffer).
pub(crate) struct Ser<S> {
    pub(crate) out: Out<S>,
    /// Interned identifier strings (field and variant names), by content.
    names: NameMap,
    /// The objects fetched from the memo by address or by content, which runs read too.
    pub(crate) known: Known,
    g_encode: Option<u32>,
    g_bytes: Option<u32>,
    /// Nonzero while a dict key is being written (only hashable values may appear there).
    in_key: u32,
}

/// The objects a serializer fetches from the memo rather than writes again: names by address,
/// CPython's cached one-character strs and empty bytes by content.
pub(crate) struct Known {
    /// `(ptr, len, memo index + 1)` of field and variant names in a direct-mapped table, so a
    /// struct's field names are found without hashing their text.
    name_cache: Box<[(usize, usize, u32); NAME_CACHE]>,
    /// Memo indices + 1 of CPython's cached strings: one char below U+0100, and (index 256) "".
    small: Box<[u32; 257]>,
    /// The memo index of the empty bytes (CPython's one object), once written.
    pub(crate) empty_bytes: Option<u32>,
}

impl Known {
    /// The memo index of name `s` when the address cache holds it, else its cache slot.
    #[inline(always)]
    pub(crate) fn name(&self, s: &'static str) -> std::result::Result<u32, usize> {
        let addr = s.as_ptr() as usize;
        let mixed = (addr as u64 ^ ((s.len() as u64) << 40)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let slot = (mixed >> 56) as usize % NAME_CACHE;
        match self.name_cache[slot] {
            (a, n, idx) if a == addr && n == s.len() && idx != 0 => Ok(idx - 1),
            _ => Err(slot),
        }
    }

    /// The memo index of the cached str in `slot` (see [`small_slot`]), once written.
    #[inline(always)]
    pub(crate) fn small(&self, slot: usize) -> Option<u32> {
        self.small[slot].checked_sub(1)
    }
}

/// The slot of a str CPython keeps one object for, if `s` is one.
#[inline]
pub(crate) fn small_slot(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    match b.len() {
        0 => Some(256),
        1 => Some(b[0] as usize),
        2 if b[0] & 0xe0 == 0xc0 => s.chars().next().map(|c| c as usize).filter(|&c| c < 256),
        _ => None,
    }
}

pub(crate) fn to_vec_proto<T: ?Sized + Serialize>(value: &T, protocol: u8) -> Result<Vec<u8>> {
    let mut ser = Ser::new(VecSink::default(), protocol, Vec::with_capacity(256))?;
    value.serialize(&mut ser)?;
    ser.out.finish()?;
    Ok(ser.out.buf)
}

pub(crate) fn to_writer_proto<W: Write, T: ?Sized + Serialize>(writer: W, value: &T, protocol: u8) -> Result<()> {
    let mut ser = Serializer::new(writer, protocol)?;
    value.serialize(&mut ser)?;
    ser.finish().map(drop)
}

impl<S: Sink> Ser<S> {
    pub(crate) fn new(sink: S, protocol: u8, buf: Vec<u8>) -> Result<Self> {
        if protocol > crate::HIGHEST_PROTOCOL {
            return Err(Error::unpicklable(format!("pickle protocol must be <= {}", crate::HIGHEST_PROTOCOL)));
        }
        let mut out = Out::new(sink, protocol, buf);
        out.start();
        Ok(Ser {
            out,
            names: NameMap::with_hasher(foldhash::fast::FixedState::with_seed(0x5eed)),
            known: Known {
                name_cache: Box::new([(0, 0, 0); NAME_CACHE]),
                small: Box::new([0; 257]),
                empty_bytes: None,
            },
            g_encode: None,
            g_bytes: None,
            in_key: 0,
        })
    }

    #[inline]
    fn proto(&self) -> u8 {
        self.out.proto
    }

    fn unhashable(&self, what: &str) -> Result<()> {
        if self.in_key > 0 {
            return Err(Error::unpicklable(format!("a dict key must be hashable, not a {what}")));
        }
        Ok(())
    }

    // ---- scalars -------------------------------------------------------------------------

    #[inline(always)]
    fn save_bool(&mut self, b: bool) -> Result<()> {
        self.out.boundary()?;
        self.out.bool(b);
        Ok(())
    }

    #[inline(always)]
    fn save_i64(&mut self, i: i64) -> Result<()> {
        self.out.boundary()?;
        self.out.int(i);
        Ok(())
    }

    fn save_i128(&mut self, i: i128) -> Result<()> {
        match i64::try_from(i) {
            Ok(small) => self.save_i64(small),
            Err(_) => {
                self.out.boundary()?;
                self.save_long_bytes(&i.to_le_bytes(), i)
            }
        }
    }

    fn save_u128(&mut self, u: u128) -> Result<()> {
        match i128::try_from(u) {
            Ok(i) => self.save_i128(i),
            Err(_) => {
                self.out.boundary()?;
                let mut b = [0u8; 17];
                b[..16].copy_from_slice(&u.to_le_bytes());
                self.save_long_bytes(&b, u)
            }
        }
    }

    fn save_long_bytes(&mut self, le: &[u8], n: impl std::fmt::Display) -> Result<()> {
        self.out.long_le(le, n);
        Ok(())
    }

    #[inline(always)]
    fn save_f64(&mut self, f: f64) -> Result<()> {
        self.out.boundary()?;
        self.out.float(f);
        Ok(())
    }

    #[inline(always)]
    fn save_none(&mut self) -> Result<()> {
        self.out.boundary()?;
        self.out.op(op::NONE);
        Ok(())
    }

    // ---- strings and bytes ---------------------------------------------------------------

    /// A str object that is not shared (each Rust string is its own Python object).
    #[inline(always)]
    fn save_str(&mut self, s: &str) -> Result<()> {
        self.out.boundary()?;
        if let Some(slot) = small_slot(s) {
            return self.save_small(slot, s);
        }
        if self.proto() >= 4 && s.len() < 256 {
            // The commonest str: its opcode, text and MEMOIZE in one write.
            self.out.short_str_memoized(s.as_bytes());
            return Ok(());
        }
        self.write_str(s)?;
        self.out.memo_put();
        Ok(())
    }

    #[inline(always)]
    fn save_small(&mut self, slot: usize, s: &str) -> Result<()> {
        match self.known.small(slot) {
            None => self.save_small_first(slot, s),
            Some(idx) => {
                self.out.memo_get(idx);
                Ok(())
            }
        }
    }

    #[inline(never)]
    fn save_small_first(&mut self, slot: usize, s: &str) -> Result<()> {
        self.write_str(s)?;
        self.known.small[slot] = self.out.memo_put() + 1;
        Ok(())
    }

    /// An interned identifier str (field or variant name): one object per content. Inlined
    /// into every field: a name seen before is found by its address.
    #[inline(always)]
    fn save_name(&mut self, s: &'static str) -> Result<()> {
        self.out.boundary()?;
        match self.known.name(s) {
            Ok(idx) => {
                self.out.memo_get(idx);
                Ok(())
            }
            Err(slot) => self.save_name_first(s, slot),
        }
    }

    /// A name not in the address cache (seen first, or its slot was taken by another).
    #[inline(never)]
    fn save_name_first(&mut self, s: &'static str, slot: usize) -> Result<()> {
        let idx = self.lookup_name(s)?;
        self.known.name_cache[slot] = (s.as_ptr() as usize, s.len(), idx + 1);
        Ok(())
    }

    /// Write a name's str, or fetch it when already written; returns its memo index.
    fn lookup_name(&mut self, s: &'static str) -> Result<u32> {
        if let Some(slot) = small_slot(s) {
            self.save_small(slot, s)?;
            return Ok(self.known.small[slot] - 1);
        }
        match self.names.get(s) {
            Some(&idx) => {
                self.out.memo_get(idx);
                Ok(idx)
            }
            None => {
                self.write_str(s)?;
                let idx = self.out.memo_put();
                self.names.insert(s, idx);
                Ok(idx)
            }
        }
    }

    #[inline(never)]
    fn write_str(&mut self, s: &str) -> Result<()> {
        let proto = self.proto();
        if proto == 0 {
            let mut line = Vec::with_capacity(s.len() + 2);
            line.push(op::UNICODE);
            crate::dump::emit::raw_unicode_escape(s.chars().map(u32::from), &mut line);
            line.push(b'\n');
            self.out.write(&line);
            return Ok(());
        }
        self.out.bin_str(s.as_bytes())
    }

    fn save_bytes(&mut self, b: &[u8]) -> Result<()> {
        self.out.boundary()?;
        if b.is_empty() {
            if let Some(idx) = self.known.empty_bytes {
                self.out.memo_get(idx);
                return Ok(());
            }
        }
        let proto = self.proto();
        if proto >= 3 {
            self.out.bin_bytes(b)?;
        } else if b.is_empty() {
            // bytes(): REDUCE of the builtins.bytes global with an empty tuple.
            self.save_global(Global::Bytes)?;
            self.out.boundary()?;
            self.out.write(if proto >= 1 { &[op::EMPTY_TUPLE] } else { &[op::MARK, op::TUPLE] });
            self.out.op(op::REDUCE);
        } else {
            // _codecs.encode(latin-1 text, 'latin1'), as CPython writes bytes before protocol 3.
            self.save_global(Global::Encode)?;
            self.out.boundary()?;
            if proto < 2 {
                self.out.op(op::MARK);
            }
            let text: String = b.iter().map(|&c| c as char).collect();
            self.save_str(&text)?;
            self.save_name("latin1")?;
            self.out.op(if proto >= 2 { op::TUPLE2 } else { op::TUPLE });
            self.out.memo_put();
            self.out.op(op::REDUCE);
        }
        let idx = self.out.memo_put();
        if b.is_empty() {
            self.known.empty_bytes = Some(idx);
        }
        Ok(())
    }

    fn save_global(&mut self, g: Global) -> Result<()> {
        self.out.boundary()?;
        let slot = match g {
            Global::Encode => &mut self.g_encode,
            Global::Bytes => &mut self.g_bytes,
        };
        if let Some(idx) = *slot {
            self.out.memo_get(idx);
            return Ok(());
        }
        let text: &[u8] = match g {
            Global::Encode => b"c_codecs\nencode\n",
            Global::Bytes => b"c__builtin__\nbytes\n",
        };
        self.out.write(text);
        let idx = self.out.memo_put();
        match g {
            Global::Encode => self.g_encode = Some(idx),
            Global::Bytes => self.g_bytes = Some(idx),
        }
        Ok(())
    }

    // ---- containers ----------------------------------------------------------------------

    // `begin_list`, `begin_dict`, `begin_items` and the `serialize_seq`/`serialize_struct`/
    // `serialize_map`/`serialize_tuple` that call them are inlined into the caller's field: the
    // compound they return through memory was stored field by field and read back in 16-byte
    // loads, a stall on every container (a third of the time of writing 100 000 records).
    #[inline(always)]
    fn begin_list(&mut self, len: Option<usize>) -> Result<Items> {
        self.unhashable("list")?;
        self.out.boundary()?;
        if self.proto() >= 1 {
            self.out.op(op::EMPTY_LIST);
        } else {
            self.out.write(&[op::MARK, op::LIST]);
        }
        self.out.memo_put();
        Ok(self.begin_items(len))
    }

    #[inline(always)]
    fn begin_dict(&mut self, len: Option<usize>) -> Result<Items> {
        self.unhashable("dict")?;
        self.out.boundary()?;
        if self.proto() >= 1 {
            self.out.op(op::EMPTY_DICT);
        } else {
            self.out.write(&[op::MARK, op::DICT]);
        }
        self.out.memo_put();
        Ok(self.begin_items(len))
    }

    #[inline(always)]
    fn begin_items(&mut self, len: Option<usize>) -> Items {
        let mode = if self.proto() == 0 {
            Mode::EachOne
        } else {
            match len {
                Some(n) if n >= 2 => {
                    self.out.op(op::MARK);
                    Mode::Batches
                }
                Some(_) => Mode::Single { pos: self.out.buf.len(), held: false, epoch: self.out.epoch },
                None => Mode::Single { pos: self.out.hold(), held: true, epoch: self.out.epoch },
            }
        };
        // Items before the first that needs more than counting: the 1001st of a batch, the
        // second of a sequence with no MARK yet, never in protocol 0.
        let plain = match mode {
            Mode::EachOne => usize::MAX,
            Mode::Single { .. } => 1,
            Mode::Batches => BATCH,
        };
        Items { mode, count: 0, plain }
    }

    /// Before an item (a list element or a dict pair): MARKs and batch ends. Inlined into every
    /// element and field; the rare cases (a batch full, a second item after all) are out of line.
    #[inline(always)]
    fn item_start(&mut self, items: &mut Items, multi: u8) -> Result<()> {
        items.count += 1;
        if items.plain > 0 {
            items.plain -= 1;
            return Ok(());
        }
        self.item_start_rare(items, multi)
    }

    #[cold]
    fn item_start_rare(&mut self, items: &mut Items, multi: u8) -> Result<()> {
        // After this item, the rest of its batch is plain: a batch holds `BATCH`, this one
        // included (a sequence turned batched at its second item already holds one more).
        items.plain = BATCH - 1 - (items.count - 1) % BATCH;
        match items.mode {
            // A full batch: close it and open the next.
            Mode::Batches => self.out.write(&[multi, op::MARK]),
            Mode::Single { pos, held, epoch } => {
                // A second item after all: the MARK belongs before the first one.
                if held {
                    self.out.release(pos, true);
                } else if epoch == self.out.epoch {
                    self.out.buf.insert(pos, op::MARK);
                } else {
                    return Err(Error::unpicklable("a sequence or map had more items than its length said"));
                }
                items.mode = Mode::Batches;
            }
            Mode::EachOne => {}
        }
        Ok(())
    }

    /// After an item in protocol 0: APPEND / SETITEM each time.
    #[inline]
    fn item_end(&mut self, items: &Items, single: u8) {
        if let Mode::EachOne = items.mode {
            self.out.op(single);
        }
    }

    fn end_items(&mut self, items: Items, single: u8, multi: u8, trailing_batch: bool) {
        match items.mode {
            Mode::EachOne => {}
            Mode::Single { pos, held, .. } => {
                if items.count == 1 {
                    self.out.op(single);
                }
                if held {
                    self.out.release(pos, false);
                }
            }
            Mode::Batches => {
                self.out.op(multi);
                if trailing_batch && items.count > 0 && items.count % BATCH == 0 {
                    self.out.write(&[op::MARK, multi]);
                }
            }
        }
    }

    /// One element of a list.
    #[inline]
    pub(super) fn list_item<T: ?Sized + Serialize>(&mut self, items: &mut Items, value: &T) -> Result<()> {
        self.item_start(items, op::APPENDS)?;
        value.serialize(&mut *self)?;
        self.item_end(items, op::APPEND);
        Ok(())
    }

    /// A dict's key; only hashable values may be written while it is.
    #[inline]
    pub(super) fn dict_key<T: ?Sized + Serialize>(&mut self, items: &mut Items, key: &T) -> Result<()> {
        self.item_start(items, op::SETITEMS)?;
        self.in_key += 1;
        let r = key.serialize(&mut *self);
        self.in_key -= 1;
        r
    }

    /// A dict's value, which need not be hashable.
    #[inline]
    pub(super) fn dict_value<T: ?Sized + Serialize>(&mut self, items: &Items, value: &T) -> Result<()> {
        let saved = std::mem::take(&mut self.in_key);
        let r = value.serialize(&mut *self);
        self.in_key = saved;
        r?;
        self.item_end(items, op::SETITEM);
        Ok(())
    }

    fn begin_tuple(&mut self, len: usize) -> Result<Tuple> {
        self.out.boundary()?;
        if len == 0 {
            return Ok(Tuple { len, count: 0, marked: false });
        }
        let marked = !(len <= 3 && self.proto() >= 2);
        if marked {
            self.out.op(op::MARK);
        }
        Ok(Tuple { len, count: 0, marked })
    }

    fn end_tuple(&mut self, t: Tuple) -> Result<()> {
        if t.count != t.len {
            return Err(Error::unpicklable(format!("a tuple of length {} had {} items", t.len, t.count)));
        }
        if t.len == 0 {
            self.out.write(if self.proto() >= 1 { &[op::EMPTY_TUPLE] } else { &[op::MARK, op::TUPLE] });
            return Ok(());
        }
        let code = if t.marked { op::TUPLE } else { [op::TUPLE1, op::TUPLE2, op::TUPLE3][t.len - 1] };
        self.out.op(code);
        self.out.memo_put();
        Ok(())
    }

    /// `{variant: ...}`: the dict and its key; the caller writes the value, then `end_variant`.
    fn begin_variant(&mut self, variant: &'static str) -> Result<()> {
        let items = self.begin_dict(Some(1))?;
        debug_assert!(matches!(items.mode, Mode::Single { .. } | Mode::EachOne));
        self.save_name(variant)
    }

    fn end_variant(&mut self) {
        self.out.op(op::SETITEM);
    }
}

#[derive(Clone, Copy)]
enum Global {
    Encode,
    Bytes,
}

#[derive(Clone, Copy)]
enum Mode {
    /// Protocol 0: APPEND/SETITEM after each item.
    EachOne,
    /// Zero or one item so far with no MARK written; `pos` is where the MARK would go.
    Single { pos: usize, held: bool, epoch: u64 },
    /// MARK written; batches of 1000.
    Batches,
}

pub(crate) struct Items {
    mode: Mode,
    pub(super) count: usize,
    /// Items still to come that [`Ser::item_start`] only counts.
    pub(super) plain: usize,
}

pub(crate) struct Tuple {
    len: usize,
    count: usize,
    marked: bool,
}

// ---- serde glue --------------------------------------------------------------------------

/// Compound state for sequences, maps, tuples and structs.
pub(crate) struct Comp<'a, S> {
    ser: &'a mut Ser<S>,
    kind: Kind,
}

enum Kind {
    List(Items),
    Dict(Items),
    Tuple(Tuple),
    /// A tuple inside a `{variant: (...)}` dict.
    VariantTuple(Tuple),
    /// A dict inside a `{variant: {...}}` dict.
    VariantDict(Items),
}

impl<'a, S: Sink> ser::Serializer for &'a mut Ser<S> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Comp<'a, S>;
    type SerializeTuple = Comp<'a, S>;
    type SerializeTupleStruct = Comp<'a, S>;
    type SerializeTupleVariant = Comp<'a, S>;
    type SerializeMap = Comp<'a, S>;
    type SerializeStruct = Comp<'a, S>;
    type SerializeStructVariant = Comp<'a, S>;

    #[inline(always)]
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.save_bool(v)
    }
    #[inline(always)]
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.save_i64(v.into())
    }
    #[inline(always)]
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.save_i64(v.into())
    }
    #[inline(always)]
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.save_i64(v.into())
    }
    #[inline(always)]
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.save_i64(v)
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.save_i128(v)
    }
    #[inline(always)]
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.save_i64(v.into())
    }
    #[inline(always)]
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.save_i64(v.into())
    }
    #[inline(always)]
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.save_i64(v.into())
    }
    #[inline(always)]
    fn serialize_u64(self, v: u64) -> Result<()> {
        match i64::try_from(v) {
            Ok(i) => self.save_i64(i),
            Err(_) => self.save_u128(v.into()),
        }
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.save_u128(v)
    }
    #[inline(always)]
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.save_f64(v.into())
    }
    #[inline(always)]
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.save_f64(v)
    }
    fn serialize_char(self, v: char) -> Result<()> {
        let mut buf = [0u8; 4];
        self.save_str(v.encode_utf8(&mut buf))
    }
    #[inline(always)]
    fn serialize_str(self, v: &str) -> Result<()> {
        self.save_str(v)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.save_bytes(v)
    }
    #[inline(always)]
    fn serialize_none(self) -> Result<()> {
        self.save_none()
    }
    #[inline(always)]
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    #[inline(always)]
    fn serialize_unit(self) -> Result<()> {
        self.save_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.save_none()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        self.save_name(variant)
    }
    #[inline(always)]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.begin_variant(variant)?;
        value.serialize(&mut *self)?;
        self.end_variant();
        Ok(())
    }
    #[inline(always)]
    fn serialize_seq(self, len: Option<usize>) -> Result<Comp<'a, S>> {
        let items = self.begin_list(len)?;
        Ok(Comp { ser: self, kind: Kind::List(items) })
    }
    #[inline(always)]
    fn serialize_tuple(self, len: usize) -> Result<Comp<'a, S>> {
        let t = self.begin_tuple(len)?;
        Ok(Comp { ser: self, kind: Kind::Tuple(t) })
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Comp<'a, S>> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Comp<'a, S>> {
        self.begin_variant(variant)?;
        let t = self.begin_tuple(len)?;
        Ok(Comp { ser: self, kind: Kind::VariantTuple(t) })
    }
    #[inline(always)]
    fn serialize_map(self, len: Option<usize>) -> Result<Comp<'a, S>> {
        let items = self.begin_dict(len)?;
        Ok(Comp { ser: self, kind: Kind::Dict(items) })
    }
    #[inline(always)]
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Comp<'a, S>> {
        let items = self.begin_dict(Some(len))?;
        Ok(Comp { ser: self, kind: Kind::Dict(items) })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Comp<'a, S>> {
        self.begin_variant(variant)?;
        let items = self.begin_dict(Some(len))?;
        Ok(Comp { ser: self, kind: Kind::VariantDict(items) })
    }

    /// serde's own loop (`serialize_seq`, then `serialize_element` per item), with the kind of
    /// container known in the loop rather than matched on for every item.
    #[inline(always)]
    fn collect_seq<I>(self, iter: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        let iter = iter.into_iter();
        let len = match iter.size_hint() {
            (lo, Some(hi)) if lo == hi => Some(lo),
            _ => None,
        };
        let mut items = self.begin_list(len)?;
        if self.proto() >= 4 && len.is_some_and(|n| n >= super::run::RUN_MIN) {
            self.list_items_in_runs(&mut items, iter)?;
        } else {
            for item in iter {
                self.list_item(&mut items, &item)?;
            }
        }
        self.end_items(items, op::APPEND, op::APPENDS, false);
        Ok(())
    }

    /// As [`Self::collect_seq`], for serde's `serialize_map` and `serialize_entry` loop.
    fn collect_map<K, V, I>(self, iter: I) -> Result<()>
    where
        K: Serialize,
        V: Serialize,
        I: IntoIterator<Item = (K, V)>,
    {
        let iter = iter.into_iter();
        let len = match iter.size_hint() {
            (lo, Some(hi)) if lo == hi => Some(lo),
            _ => None,
        };
        let mut items = self.begin_dict(len)?;
        if self.proto() >= 4 && len.is_some_and(|n| n >= super::run::RUN_MIN_ENTRIES) {
            self.entries_in_runs(&mut items, iter)?;
        } else {
            for (key, value) in iter {
                self.dict_key(&mut items, &key)?;
                self.dict_value(&items, &value)?;
            }
        }
        self.end_items(items, op::SETITEM, op::SETITEMS, true);
        Ok(())
    }
}

impl<S: Sink> Comp<'_, S> {
    #[inline(always)]
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        match &mut self.kind {
            Kind::List(items) => self.ser.list_item(items, value),
            Kind::Tuple(t) | Kind::VariantTuple(t) => {
                t.count += 1;
                if t.count > t.len {
                    return Err(Error::unpicklable(format!("a tuple of length {} had more items", t.len)));
                }
                value.serialize(&mut *self.ser)
            }
            Kind::Dict(_) | Kind::VariantDict(_) => Err(Error::unpicklable("internal: element of a dict")),
        }
    }

    #[inline(always)]
    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        match &mut self.kind {
            Kind::Dict(items) | Kind::VariantDict(items) => {
                self.ser.item_start(items, op::SETITEMS)?;
                self.ser.save_name(key)?;
                value.serialize(&mut *self.ser)?;
                self.ser.item_end(items, op::SETITEM);
                Ok(())
            }
            _ => Err(Error::unpicklable("internal: field of a sequence")),
        }
    }

    #[inline(always)]
    fn finish(self) -> Result<()> {
        let ser = self.ser;
        match self.kind {
            Kind::List(items) => {
                ser.end_items(items, op::APPEND, op::APPENDS, false);
                Ok(())
            }
            Kind::Dict(items) => {
                ser.end_items(items, op::SETITEM, op::SETITEMS, true);
                Ok(())
            }
            Kind::Tuple(t) => ser.end_tuple(t),
            Kind::VariantTuple(t) => {
                ser.end_tuple(t)?;
                ser.end_variant();
                Ok(())
            }
            Kind::VariantDict(items) => {
                ser.end_items(items, op::SETITEM, op::SETITEMS, true);
                ser.end_variant();
                Ok(())
            }
        }
    }
}

impl<S: Sink> ser::SerializeSeq for Comp<'_, S> {
    type Ok = ();
    type Error = Error;
    #[inline(always)]
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    #[inline(always)]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<S: Sink> ser::SerializeTuple for Comp<'_, S> {
    type Ok = ();
    type Error = Error;
    #[inline(always)]
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    #[inline(always)]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<S: Sink> ser::SerializeTupleStruct for Comp<'_, S> {
    type Ok = ();
    type Error = Error;
    #[inline(always)]
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    #[inline(always)]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<S: Sink> ser::SerializeTupleVariant for Comp<'_, S> {
    type Ok = ();
    type Error = Error;
    #[inline(always)]
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    #[inline(always)]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<S: Sink> ser::SerializeMap for Comp<'_, S> {
    type Ok = ();
    type Error = Error;
    #[inline(always)]
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        match &mut self.kind {
            Kind::Dict(items) | Kind::VariantDict(items) => self.ser.dict_key(items, key),
            _ => Err(Error::unpicklable("internal: key of a sequence")),
        }
    }
    #[inline(always)]
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        match &self.kind {
            Kind::Dict(items) | Kind::VariantDict(items) => self.ser.dict_value(items, value),
            _ => Err(Error::unpicklable("internal: value of a sequence")),
        }
    }
    #[inline(always)]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<S: Sink> ser::SerializeStruct for Comp<'_, S> {
    type Ok = ();
    type Error = Error;
    #[inline(always)]
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }
    #[inline(always)]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<S: Sink> ser::SerializeStructVariant for Comp<'_, S> {
    type Ok = ();
    type Error = Error;
    #[inline(always)]
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }
    #[inline(always)]
    fn end(self) -> Result<()> {
        self.finish()
    }
}

// The public `Serializer<W>` forwards to the inner one.
macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name(self, $($arg: $ty),*) -> Result<()> { ser::Serializer::$name(&mut self.inner, $($arg),*) })*
    };
}

impl<'a, W: Write> ser::Serializer for &'a mut Serializer<W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, W>;
    type SerializeTuple = Compound<'a, W>;
    type SerializeTupleStruct = Compound<'a, W>;
    type SerializeTupleVariant = Compound<'a, W>;
    type SerializeMap = Compound<'a, W>;
    type SerializeStruct = Compound<'a, W>;
    type SerializeStructVariant = Compound<'a, W>;

    forward! {
        serialize_bool(v: bool); serialize_i8(v: i8); serialize_i16(v: i16); serialize_i32(v: i32);
        serialize_i64(v: i64); serialize_i128(v: i128); serialize_u8(v: u8); serialize_u16(v: u16);
        serialize_u32(v: u32); serialize_u64(v: u64); serialize_u128(v: u128); serialize_f32(v: f32);
        serialize_f64(v: f64); serialize_char(v: char); serialize_str(v: &str); serialize_bytes(v: &[u8]);
        serialize_none(); serialize_unit(); serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(&mut self.inner)
    }
    fn collect_seq<I>(self, iter: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        ser::Serializer::collect_seq(&mut self.inner, iter)
    }
    fn collect_map<K: Serialize, V: Serialize, I: IntoIterator<Item = (K, V)>>(self, iter: I) -> Result<()> {
        ser::Serializer::collect_map(&mut self.inner, iter)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<()> {
        ser::Serializer::serialize_newtype_struct(&mut self.inner, name, value)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        ser::Serializer::serialize_newtype_variant(&mut self.inner, name, index, variant, value)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq> {
        ser::Serializer::serialize_seq(&mut self.inner, len).map(Compound)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple> {
        ser::Serializer::serialize_tuple(&mut self.inner, len).map(Compound)
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct> {
        ser::Serializer::serialize_tuple_struct(&mut self.inner, name, len).map(Compound)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        ser::Serializer::serialize_tuple_variant(&mut self.inner, name, index, variant, len).map(Compound)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap> {
        ser::Serializer::serialize_map(&mut self.inner, len).map(Compound)
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct> {
        ser::Serializer::serialize_struct(&mut self.inner, name, len).map(Compound)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        ser::Serializer::serialize_struct_variant(&mut self.inner, name, index, variant, len).map(Compound)
    }
}

/// The state of a compound value written by [`Serializer`].
pub struct Compound<'a, W>(Comp<'a, IoSink<W>>);

macro_rules! forward_compound {
    ($($trait:ident: $method:ident($($key:ident: $kty:ty),*);)*) => {$(
        impl<W: Write> ser::$trait for Compound<'_, W> {
            type Ok = ();
            type Error = Error;
            fn $method<T: ?Sized + Serialize>(&mut self, $($key: $kty,)* value: &T) -> Result<()> {
                ser::$trait::$method(&mut self.0, $($key,)* value)
            }
            fn end(self) -> Result<()> {
                ser::$trait::end(self.0)
            }
        }
    )*};
}

forward_compound! {
    SerializeSeq: serialize_element();
    SerializeTuple: serialize_element();
    SerializeTupleStruct: serialize_field();
    SerializeTupleVariant: serialize_field();
    SerializeStruct: serialize_field(key: &'static str);
    SerializeStructVariant: serialize_field(key: &'static str);
}

impl<W: Write> ser::SerializeMap for Compound<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        ser::SerializeMap::serialize_key(&mut self.0, key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        ser::SerializeMap::serialize_value(&mut self.0, value)
    }
    fn end(self) -> Result<()> {
        ser::SerializeMap::end(self.0)
    }
}
