//! The direct path of [`from_slice`](super::from_slice): CPython's usual layout read straight
//! from the input into the caller's type, without building a tape first.
//!
//! That layout is containers opened empty and filled by `MARK … APPENDS` / `MARK … SETITEMS`
//! batches (or one `item APPEND` / `key value SETITEM`), text and bytes memoized and fetched
//! back with BINGET, and tuples of scalars and text where the caller asks for a tuple. Scalars,
//! str and bytes are handed to the tape deserializer's own methods as one-node tapes, so they
//! behave exactly as there. Anything else — other tuples, instances, globals, a container
//! referenced twice, Python 2 strings, a limit that could be reached, an error of any kind —
//! gives `None`, and the caller reads the pickle again through the tape, which produces the
//! same value or the error with its path.
//!
//! Why it is sound: every value this path accepts is complete when the next opcode is one that
//! pushes (a value start) or closes the batch it is in, and the only opcodes it accepts that
//! pop are the batch closers and the tuple opcodes, each closing exactly the items read since
//! its container began; any other opcode is a surprise and ends the attempt. Where the format
//! is ambiguous without looking ahead, a short lookahead over scalar and text items decides:
//! `item APPEND` after a list's batches versus the list's next sibling, and whether the items
//! ahead form a tuple (tuples are written items first). A guess only decides what to try: the
//! closing opcode must then follow the items actually read, so a wrong guess ends in a
//! surprise, never in a different value.

use super::de::{Core, Flags, ValueDe, GRAPH_TOKEN};
use super::tape::{Bin, Items, Node, Txt, V};
use super::{spare, DeOptions};
use crate::error::{Error, Result};
use crate::kept;
use crate::opcodes::op;
use crate::text::{decode_long, IntArg};
use serde::de::{self, DeserializeSeed, IgnoredAny, Visitor};
use serde::Deserialize;
use std::cell::Cell;

/// `T` read by the direct path, or `None` when the tape must read it.
pub(crate) fn from_slice<'de, T: Deserialize<'de>>(data: &'de [u8], opts: &DeOptions) -> Option<T> {
    if !within_limits(data.len(), opts) {
        return None;
    }
    let mut d = Direct {
        data,
        pos: 0,
        core: Core::new(spare::tape(), V::None, Flags::from(opts)),
        memo: kept::take(&MEMO),
        depth: 0,
        max_depth: opts.max_depth,
        key: false,
    };
    if d.peek().ok()? == op::PROTO {
        let p = *data.get(d.pos + 1)?;
        if p > crate::HIGHEST_PROTOCOL {
            return None;
        }
        d.pos += 2;
    }
    let value = T::deserialize(&mut d).ok()?;
    if d.peek().ok()? != op::STOP {
        return None;
    }
    d.pos += 1;
    (opts.allow_trailing || d.pos == data.len()).then_some(value)
}

/// The longest `MARK … TUPLE` looked through for a tuple of scalar or text items.
const MAX_MARKED_TUPLE: usize = 32;

thread_local! {
    /// The memo of an earlier read on this thread, emptied (as the tape's arenas are kept).
    static MEMO: Cell<Vec<Slot>> = const { Cell::new(Vec::new()) };
}

/// Free the memo kept on this thread.
pub(crate) fn release_kept() {
    crate::kept::clear(&MEMO)
}

impl Drop for Direct<'_> {
    fn drop(&mut self) {
        let mut memo = std::mem::take(&mut self.memo);
        memo.clear();
        let bytes = memo.capacity() * std::mem::size_of::<Slot>();
        kept::keep(&MEMO, memo, bytes)
    }
}

/// Each opcode takes at least one byte, so no limit can be reached on an input no longer than
/// every limit; longer inputs go through the tape, which counts. Open marks stay within the
/// nesting depth here.
fn within_limits(len: usize, opts: &DeOptions) -> bool {
    let l = &opts.load.limits;
    let n = len as u64;
    n <= l.stack as u64
        && n <= l.memo as u64
        && n <= l.objects as u64
        && n <= l.bytes
        && n <= l.opcodes
        && l.marks > opts.max_depth + 1
}

/// What a memo entry holds.
#[derive(Clone, Copy)]
enum Slot {
    /// A scalar, str or bytes (kept as a node of the one-node tapes).
    Leaf(V),
    /// A str of valid UTF-8 at `data[start..end]` read without a node (by a method that wanted
    /// text); it is given one if it is fetched for anything else.
    Str(usize, usize),
    /// A container: fetching it again means sharing, which needs the tape.
    Container,
}

enum Start {
    Leaf(V),
    List,
    Dict,
}

/// Any failure: the tape takes over (and reports real errors itself).
fn surprise() -> Error {
    Error::invalid("not the direct layout")
}

struct Direct<'de> {
    data: &'de [u8],
    pos: usize,
    /// Holds the leaf nodes being read and the memoized ones.
    core: Core<'de>,
    memo: Vec<Slot>,
    depth: usize,
    max_depth: usize,
    /// The next value is a dict key.
    key: bool,
}

impl<'de> Direct<'de> {
    /// The next opcode, FRAME headers skipped.
    #[inline(always)]
    fn peek(&mut self) -> Result<u8> {
        loop {
            let code = *self.data.get(self.pos).ok_or_else(surprise)?;
            if code != op::FRAME {
                return Ok(code);
            }
            let n = self.fixed::<8>(self.pos + 1)?;
            let n = u64::from_le_bytes(n);
            if n > (self.data.len() - self.pos - 9) as u64 {
                return Err(surprise());
            }
            self.pos += 9;
        }
    }

    #[inline(always)]
    fn fixed<const N: usize>(&self, at: usize) -> Result<[u8; N]> {
        let bytes = self.data.get(at..at + N).ok_or_else(surprise)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// `n` payload bytes at `at`.
    #[inline(always)]
    fn payload(&self, at: usize, n: u64) -> Result<&'de [u8]> {
        let end = (at as u64).checked_add(n).filter(|&e| e <= self.data.len() as u64).ok_or_else(surprise)?;
        Ok(&self.data[at..end as usize])
    }

    fn expect(&mut self, code: u8) -> Result<()> {
        if self.peek()? != code {
            return Err(surprise());
        }
        self.pos += 1;
        Ok(())
    }

    /// Read the start of a value: a whole scalar, str or bytes (as a node), or the opening of a
    /// list or dict; then the memo writes that follow it.
    #[inline(always)]
    fn start(&mut self) -> Result<Start> {
        let code = self.peek()?;
        let at = self.pos + 1;
        let (start, next) = match code {
            op::NONE => (Start::Leaf(V::None), at),
            op::NEWTRUE => (Start::Leaf(V::Bool(true)), at),
            op::NEWFALSE => (Start::Leaf(V::Bool(false)), at),
            op::BININT1 | op::BININT2 | op::BININT | op::BINFLOAT => {
                let (n, next) = self.number(code, at)?;
                (Start::Leaf(n.into()), next)
            }
            op::LONG1 => {
                let n = self.fixed::<1>(at)?[0] as u64;
                let v = match decode_long(self.payload(at + 1, n)?) {
                    IntArg::Small(i) => V::Int(i),
                    IntArg::Bool(b) => V::Bool(b),
                    IntArg::Big(big) => self.node(Node::Big(big))?,
                };
                (Start::Leaf(v), at + 1 + n as usize)
            }
            op::SHORT_BINUNICODE | op::BINUNICODE | op::BINUNICODE8 => {
                let (s, _, next) = self.text(code, at)?;
                (Start::Leaf(self.node(Node::Str(Txt::Borrowed(s)))?), next)
            }
            op::SHORT_BINBYTES | op::BINBYTES | op::BINBYTES8 => {
                let (n, from) = self.length(code, at)?;
                let b = self.payload(from, n)?;
                (Start::Leaf(self.node(Node::Bytes(Bin::Borrowed(b)))?), from + n as usize)
            }
            op::EMPTY_TUPLE => (Start::Leaf(self.node(Node::Tuple(Items::Range(0, 0)))?), at),
            op::BINGET | op::LONG_BINGET => {
                let (idx, next) = self.memo_index(code, at)?;
                match self.memo.get(idx) {
                    Some(&Slot::Leaf(v)) => (Start::Leaf(v), next),
                    Some(&Slot::Str(start, end)) => {
                        let s = self.memo_str(start, end)?;
                        (Start::Leaf(self.node(Node::Str(Txt::Borrowed(s)))?), next)
                    }
                    _ => return Err(surprise()),
                }
            }
            op::EMPTY_LIST => (Start::List, at),
            op::EMPTY_DICT => (Start::Dict, at),
            _ => return Err(surprise()),
        };
        self.pos = next;
        let slot = match start {
            Start::Leaf(v) => Slot::Leaf(v),
            Start::List | Start::Dict => Slot::Container,
        };
        self.memo_writes(slot)?;
        Ok(start)
    }

    /// The length field of a sized opcode at `at`, and where the payload starts.
    #[inline]
    fn length(&self, code: u8, at: usize) -> Result<(u64, usize)> {
        Ok(match code {
            op::SHORT_BINUNICODE | op::SHORT_BINBYTES => (self.fixed::<1>(at)?[0] as u64, at + 1),
            op::BINUNICODE | op::BINBYTES => (u32::from_le_bytes(self.fixed(at)?) as u64, at + 4),
            _ => (u64::from_le_bytes(self.fixed(at)?), at + 8),
        })
    }

    /// The value of BININT1, BININT2, BININT or BINFLOAT (`code`) whose argument is at `at`, and
    /// where the next opcode starts.
    #[inline(always)]
    fn number(&self, code: u8, at: usize) -> Result<(Plain, usize)> {
        Ok(match code {
            op::BININT1 => (Plain::Int(self.fixed::<1>(at)?[0] as i64), at + 1),
            op::BININT2 => (Plain::Int(u16::from_le_bytes(self.fixed(at)?) as i64), at + 2),
            op::BININT => (Plain::Int(i32::from_le_bytes(self.fixed(at)?) as i64), at + 4),
            _ => (Plain::Float(f64::from_be_bytes(self.fixed(at)?)), at + 8),
        })
    }

    /// The text of a SHORT_BINUNICODE, BINUNICODE or BINUNICODE8 (`code`) whose length is at
    /// `at`, if valid UTF-8: the text, where it starts, and where the next opcode starts.
    #[inline(always)]
    fn text(&self, code: u8, at: usize) -> Result<(&'de str, usize, usize)> {
        let (n, from) = self.length(code, at)?;
        let s = std::str::from_utf8(self.payload(from, n)?).map_err(|_| surprise())?;
        Ok((s, from, from + s.len()))
    }

    /// The memo index of a BINGET or LONG_BINGET (`code`) whose argument is at `at`, and where
    /// the next opcode starts.
    #[inline(always)]
    fn memo_index(&self, code: u8, at: usize) -> Result<(usize, usize)> {
        Ok(match code {
            op::BINGET => (self.fixed::<1>(at)?[0] as usize, at + 1),
            _ => (u32::from_le_bytes(self.fixed(at)?) as usize, at + 4),
        })
    }

    /// Memo writes right after a value, in CPython's order (each the next index); anything
    /// else (overwrites, gaps) is left to the tape.
    #[inline(always)]
    fn memo_writes(&mut self, slot: Slot) -> Result<()> {
        loop {
            let code = self.peek()?;
            let (idx, len) = match code {
                op::MEMOIZE => (self.memo.len(), 1),
                op::BINPUT => (self.fixed::<1>(self.pos + 1)?[0] as usize, 2),
                op::LONG_BINPUT => (u32::from_le_bytes(self.fixed(self.pos + 1)?) as usize, 5),
                _ => return Ok(()),
            };
            if idx != self.memo.len() {
                return Err(surprise());
            }
            self.memo.push(slot);
            self.pos += len;
        }
    }

    #[inline(always)]
    fn node(&mut self, node: Node<'de>) -> Result<V> {
        self.core.tape.push(node)
    }

    /// Drop the node of a leaf that was read, unless the memo keeps it.
    #[inline(always)]
    fn release(&mut self, v: V, mark: usize) {
        if let V::N(id) = v {
            if id as usize >= mark && !matches!(self.memo.last(), Some(Slot::Leaf(V::N(m))) if *m == id) {
                self.core.tape.nodes.truncate(mark);
            }
        }
    }

    /// Whether the opcodes at `at` are `count` scalar or text items (with their memo writes)
    /// followed by `close`: how one `item APPEND` or `key value SETITEM` reads.
    fn items_then(&self, mut at: usize, count: usize, close: u8) -> bool {
        for _ in 0..count {
            match self.skip_leaf(at) {
                Some(next) => at = next,
                None => return false,
            }
        }
        self.op_at(at).map(|(code, _)| code) == Some(close)
    }

    /// The opcode at `at` (FRAME headers skipped) and its position.
    fn op_at(&self, mut at: usize) -> Option<(u8, usize)> {
        loop {
            let code = *self.data.get(at)?;
            if code != op::FRAME {
                return Some((code, at));
            }
            at += 9;
        }
    }

    /// Past one scalar or text item and its memo writes, without reading it.
    fn skip_leaf(&self, at: usize) -> Option<usize> {
        let (code, at) = self.op_at(at)?;
        let arg = at + 1;
        let mut next = match code {
            op::NONE | op::NEWTRUE | op::NEWFALSE | op::EMPTY_TUPLE => arg,
            op::BININT1 | op::BINGET => arg + 1,
            op::BININT2 => arg + 2,
            op::BININT | op::LONG_BINGET => arg + 4,
            op::BINFLOAT => arg + 8,
            op::LONG1 => arg + 1 + *self.data.get(arg)? as usize,
            op::SHORT_BINUNICODE
            | op::BINUNICODE
            | op::BINUNICODE8
            | op::SHORT_BINBYTES
            | op::BINBYTES
            | op::BINBYTES8 => {
                let (n, from) = self.length(code, arg).ok()?;
                usize::try_from(n).ok()?.checked_add(from)?
            }
            _ => return None,
        };
        loop {
            let (code, at) = self.op_at(next)?;
            next = match code {
                op::MEMOIZE => at + 1,
                op::BINPUT => at + 2,
                op::LONG_BINPUT => at + 5,
                _ => return Some(at),
            };
        }
    }

    /// An int or float written as one opcode and not memoized (the common item of a long list):
    /// its value and where the next opcode starts, read without the general path. `None`
    /// (nothing consumed but frame headers) for anything else, which the general path reads.
    #[inline(always)]
    fn plain_number(&mut self) -> Option<(Plain, usize)> {
        let code = self.peek().ok()?;
        if !matches!(code, op::BININT1 | op::BININT2 | op::BININT | op::BINFLOAT) {
            return None;
        }
        let (v, next) = self.number(code, self.pos + 1).ok()?;
        match self.data.get(next) {
            Some(&(op::MEMOIZE | op::BINPUT | op::LONG_BINPUT | op::FRAME)) | None => None,
            Some(_) => Some((v, next)),
        }
    }

    /// The text of a [`Slot::Str`] (checked again: it was valid when it was read).
    fn memo_str(&self, start: usize, end: usize) -> Result<&'de str> {
        let data: &'de [u8] = self.data;
        data.get(start..end).and_then(|b| std::str::from_utf8(b).ok()).ok_or_else(surprise)
    }

    /// A str of valid UTF-8, or one fetched from the memo, for a method that wants text: read,
    /// with its memo writes, without a node on the tape (the common item of a list of strs, and
    /// a struct's field names). `None` (nothing consumed but frame headers) for anything else.
    #[inline(always)]
    fn plain_str(&mut self) -> Result<Option<&'de str>> {
        let Ok(code) = self.peek() else { return Ok(None) };
        let at = self.pos + 1;
        // A damaged str or index fails here as it would in `start`.
        let (s, slot, next) = match code {
            op::SHORT_BINUNICODE | op::BINUNICODE | op::BINUNICODE8 => {
                let (s, from, next) = self.text(code, at)?;
                (s, Slot::Str(from, next), next)
            }
            op::BINGET | op::LONG_BINGET => {
                let (idx, next) = self.memo_index(code, at)?;
                match self.memo.get(idx).copied() {
                    // Fetched again (a field name, say): it gets its node now, so the fetches
                    // after this one find the text without checking it again.
                    Some(Slot::Str(start, end)) => {
                        let s = self.memo_str(start, end)?;
                        let slot = Slot::Leaf(self.node(Node::Str(Txt::Borrowed(s)))?);
                        self.memo[idx] = slot;
                        (s, slot, next)
                    }
                    Some(slot @ Slot::Leaf(V::N(id))) => match self.core.tape.nodes.get(id as usize) {
                        Some(&Node::Str(Txt::Borrowed(s))) => (s, slot, next),
                        _ => return Ok(None),
                    },
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        self.pos = next;
        self.memo_writes(slot)?;
        self.key = false;
        Ok(Some(s))
    }

    /// Past a value [`Direct::plain_number`] read, as [`Direct::start`] and [`Direct::leaf`]
    /// would leave it.
    #[inline(always)]
    fn took_plain(&mut self, next: usize) {
        self.pos = next;
        self.key = false;
    }

    /// One item, key or value; a `Deserialize` that did not read it leaves the input where it
    /// was, which would misplace everything after, so the tape takes over.
    #[inline(always)]
    fn read<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value> {
        let at = self.pos;
        let value = seed.deserialize(&mut *self)?;
        if self.pos == at {
            return Err(surprise());
        }
        Ok(value)
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(surprise());
        }
        Ok(())
    }

    /// Hand a leaf to the tape deserializer's method of the same name.
    #[inline(always)]
    fn leaf<T>(&mut self, v: V, mark: usize, read: impl FnOnce(ValueDe<'_, 'de>) -> Result<T>) -> Result<T> {
        let key = std::mem::take(&mut self.key);
        let r = read(ValueDe { de: &mut self.core, v, key });
        self.release(v, mark);
        r
    }

    /// The general path of a method that takes a leaf only: the value read whole and handed to
    /// the tape deserializer (`read`); a container is left to the tape.
    #[inline(always)]
    fn whole_leaf<T>(&mut self, read: impl FnOnce(ValueDe<'_, 'de>) -> Result<T>) -> Result<T> {
        let mark = self.core.tape.nodes.len();
        match self.start()? {
            Start::Leaf(v) => self.leaf(v, mark, read),
            Start::List | Start::Dict => Err(surprise()),
        }
    }

    /// A tuple of scalar or text items ahead (`a b TUPLE2`, `MARK a b c d TUPLE`): how many
    /// items, and whether a MARK opens it. Tuples are written items first, so this is only
    /// looked for when the caller asks for a tuple; any other tuple goes through the tape.
    fn leaf_tuple_ahead(&self) -> Option<(usize, bool)> {
        const SIZED: [u8; 3] = [op::TUPLE1, op::TUPLE2, op::TUPLE3];
        let (code, mut at) = self.op_at(self.pos)?;
        if code == op::MARK {
            at += 1;
            for n in 0..=MAX_MARKED_TUPLE {
                match self.op_at(at)? {
                    (op::TUPLE, _) => return Some((n, true)),
                    _ => at = self.skip_leaf(at)?,
                }
            }
            return None;
        }
        for (k, close) in SIZED.iter().enumerate() {
            at = self.skip_leaf(at)?;
            if self.op_at(at)?.0 == *close {
                return Some((k + 1, false));
            }
        }
        None
    }

    /// The tuple [`Direct::leaf_tuple_ahead`] found.
    fn tuple<Vi: Visitor<'de>>(&mut self, len: usize, marked: bool, visitor: Vi) -> Result<Vi::Value> {
        if marked {
            self.expect(op::MARK)?;
        }
        // A tuple may be a key; its items are not (as on the tape).
        self.key = false;
        self.enter()?;
        let mut acc = TupleAcc { d: self, left: len };
        let value = visitor.visit_seq(&mut acc)?;
        if acc.left > 0 {
            return Err(surprise());
        }
        self.depth -= 1;
        self.expect(match (marked, len) {
            (true, _) => op::TUPLE,
            (false, 1) => op::TUPLE1,
            (false, 2) => op::TUPLE2,
            _ => op::TUPLE3,
        })?;
        self.memo_writes(Slot::Container)?;
        Ok(value)
    }

    fn list<Vi: Visitor<'de>>(&mut self, visitor: Vi) -> Result<Vi::Value> {
        if self.key {
            return Err(surprise());
        }
        self.enter()?;
        let mut acc = ListAcc { d: self, fill: Fill::default() };
        let value = visitor.visit_seq(&mut acc)?;
        // The tape reports a list longer than the visitor took.
        if de::SeqAccess::next_element::<IgnoredAny>(&mut acc)?.is_some() {
            return Err(surprise());
        }
        self.depth -= 1;
        Ok(value)
    }

    fn dict<Vi: Visitor<'de>>(&mut self, visitor: Vi) -> Result<Vi::Value> {
        if self.key {
            return Err(surprise());
        }
        self.enter()?;
        let mut acc = DictAcc { d: self, fill: Fill::default(), single: false };
        let value = visitor.visit_map(&mut acc)?;
        if de::MapAccess::next_key::<IgnoredAny>(&mut acc)?.is_some() {
            return Err(surprise());
        }
        self.depth -= 1;
        Ok(value)
    }
}

/// Where a container's filling stands: between batches, inside one, or finished.
#[derive(Default)]
struct Fill {
    /// Inside a MARK … APPENDS/SETITEMS batch.
    batch: bool,
    done: bool,
}

enum Step {
    /// An item of the current batch.
    Item,
    /// One item (or key and value) followed by APPEND (SETITEM).
    Single,
    End,
}

impl Fill {
    /// Move to the next item of a container filled by `MARK … close` batches or by `count`
    /// scalar or text items followed by `single`.
    #[inline]
    fn step(&mut self, d: &mut Direct<'_>, close: u8, single: u8, count: usize) -> Result<Step> {
        loop {
            if self.done {
                return Ok(Step::End);
            }
            let code = d.peek()?;
            if self.batch {
                if code != close {
                    return Ok(Step::Item);
                }
                d.pos += 1;
                self.batch = false;
            } else if code == op::MARK {
                d.pos += 1;
                self.batch = true;
            } else if d.items_then(d.pos, count, single) {
                return Ok(Step::Single);
            } else {
                self.done = true;
            }
        }
    }
}

struct TupleAcc<'a, 'de> {
    d: &'a mut Direct<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for TupleAcc<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.d.read(seed).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

struct ListAcc<'a, 'de> {
    d: &'a mut Direct<'de>,
    fill: Fill,
}

impl<'de> de::SeqAccess<'de> for ListAcc<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.fill.step(self.d, op::APPENDS, op::APPEND, 1)? {
            Step::Item => self.d.read(seed).map(Some),
            Step::Single => {
                let value = self.d.read(seed)?;
                self.d.expect(op::APPEND)?;
                Ok(Some(value))
            }
            Step::End => Ok(None),
        }
    }
}

struct DictAcc<'a, 'de> {
    d: &'a mut Direct<'de>,
    fill: Fill,
    /// The key just read is a `key value SETITEM`.
    single: bool,
}

impl<'de> de::MapAccess<'de> for DictAcc<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.fill.step(self.d, op::SETITEMS, op::SETITEM, 2)? {
            Step::Item => {}
            Step::Single => self.single = true,
            Step::End => return Ok(None),
        }
        self.d.key = true;
        let key = self.d.read(seed);
        self.d.key = false;
        key.map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value> {
        let value = self.d.read(seed)?;
        if std::mem::take(&mut self.single) {
            self.d.expect(op::SETITEM)?;
        }
        Ok(value)
    }
}

/// What [`Direct::number`] reads.
enum Plain {
    Int(i64),
    Float(f64),
}

impl From<Plain> for V {
    fn from(n: Plain) -> V {
        match n {
            Plain::Int(i) => V::Int(i),
            Plain::Float(f) => V::Float(f),
        }
    }
}

/// Int methods: a plain number that fits the type is visited at once; anything else (a memo
/// write after it, a long int, a value out of range and its error) takes the general path.
macro_rules! int_leaf {
    ($($method:ident => $ty:ty, $visit:ident;)*) => {$(
        fn $method<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
            if let Some((Plain::Int(i), next)) = self.plain_number() {
                #[allow(irrefutable_let_patterns)] // for i64 itself
                if let Ok(n) = <$ty>::try_from(i) {
                    self.took_plain(next);
                    return visitor.$visit(n);
                }
            }
            self.whole_leaf(|de| de::Deserializer::$method(de, visitor))
        }
    )*};
}

/// Text methods: a plain str is visited at once, borrowed from the input, as the tape does
/// for a str it holds borrowed; anything else takes the general path.
macro_rules! text_leaf {
    ($($method:ident)*) => {$(
        fn $method<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
            if let Some(s) = self.plain_str()? {
                return visitor.visit_borrowed_str(s);
            }
            self.whole_leaf(|de| de::Deserializer::$method(de, visitor))
        }
    )*};
}

/// Methods that take a leaf only (a container is left to the tape).
macro_rules! leaf_only {
    ($($method:ident)*) => {$(
        fn $method<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
            self.whole_leaf(|de| de::Deserializer::$method(de, visitor))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Direct<'de> {
    type Error = Error;

    leaf_only! {
        deserialize_bool deserialize_i128 deserialize_u128 deserialize_char deserialize_unit
    }

    text_leaf! { deserialize_str deserialize_string deserialize_identifier }

    int_leaf! {
        deserialize_i8 => i8, visit_i8;
        deserialize_i16 => i16, visit_i16;
        deserialize_i32 => i32, visit_i32;
        deserialize_i64 => i64, visit_i64;
        deserialize_u8 => u8, visit_u8;
        deserialize_u16 => u16, visit_u16;
        deserialize_u32 => u32, visit_u32;
        deserialize_u64 => u64, visit_u64;
    }

    fn deserialize_f32<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        self.deserialize_f64(visitor)
    }

    /// A plain float (or int) is visited at once, as the general path would.
    fn deserialize_f64<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        if let Some((v, next)) = self.plain_number() {
            self.took_plain(next);
            return match v {
                Plain::Float(f) => visitor.visit_f64(f),
                Plain::Int(i) => visitor.visit_f64(i as f64),
            };
        }
        self.whole_leaf(|de| de::Deserializer::deserialize_f64(de, visitor))
    }

    fn deserialize_any<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        let mark = self.core.tape.nodes.len();
        match self.start()? {
            Start::Leaf(v) => self.leaf(v, mark, |de| de::Deserializer::deserialize_any(de, visitor)),
            Start::List => self.list(visitor),
            Start::Dict => self.dict(visitor),
        }
    }

    fn deserialize_bytes<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        let mark = self.core.tape.nodes.len();
        match self.start()? {
            Start::Leaf(v) => self.leaf(v, mark, |de| de::Deserializer::deserialize_bytes(de, visitor)),
            Start::List => self.list(visitor),
            Start::Dict => Err(surprise()),
        }
    }

    fn deserialize_byte_buf<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        if self.peek()? == op::NONE {
            self.start()?;
            self.key = false;
            return visitor.visit_none();
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<Vi: Visitor<'de>>(self, _name: &'static str, visitor: Vi) -> Result<Vi::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<Vi: Visitor<'de>>(self, name: &'static str, visitor: Vi) -> Result<Vi::Value> {
        if name == GRAPH_TOKEN {
            return Err(surprise());
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        let mark = self.core.tape.nodes.len();
        match self.start()? {
            Start::Leaf(v) => self.leaf(v, mark, |de| de::Deserializer::deserialize_seq(de, visitor)),
            Start::List => self.list(visitor),
            Start::Dict => Err(surprise()),
        }
    }

    fn deserialize_tuple<Vi: Visitor<'de>>(self, _len: usize, visitor: Vi) -> Result<Vi::Value> {
        match self.leaf_tuple_ahead() {
            Some((len, marked)) => self.tuple(len, marked, visitor),
            None => self.deserialize_seq(visitor),
        }
    }

    fn deserialize_tuple_struct<Vi: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: Vi,
    ) -> Result<Vi::Value> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        let mark = self.core.tape.nodes.len();
        match self.start()? {
            Start::Leaf(v) => self.leaf(v, mark, |de| de::Deserializer::deserialize_map(de, visitor)),
            Start::Dict => self.dict(visitor),
            Start::List => Err(surprise()),
        }
    }

    fn deserialize_struct<Vi: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: Vi,
    ) -> Result<Vi::Value> {
        let mark = self.core.tape.nodes.len();
        match self.start()? {
            Start::Leaf(v) => self.leaf(v, mark, |de| de::Deserializer::deserialize_struct(de, name, fields, visitor)),
            Start::Dict => self.dict(visitor),
            Start::List => self.list(visitor),
        }
    }

    fn deserialize_enum<Vi: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: Vi,
    ) -> Result<Vi::Value> {
        let mark = self.core.tape.nodes.len();
        match self.start()? {
            Start::Leaf(v) => self.leaf(v, mark, |de| de::Deserializer::deserialize_enum(de, name, variants, visitor)),
            Start::List | Start::Dict => Err(surprise()),
        }
    }

    fn deserialize_ignored_any<Vi: Visitor<'de>>(self, visitor: Vi) -> Result<Vi::Value> {
        // The tape does not look at an ignored value; here it still has to be read past.
        de::Deserializer::deserialize_any(&mut *self, IgnoredAny)?;
        visitor.visit_unit()
    }
}

#[cfg(test)]
mod tests {
    use super::from_slice;
    use crate::DeOptions;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Rec {
        id: u64,
        name: String,
        tags: Vec<String>,
        extra: BTreeMap<String, Option<f64>>,
    }

    /// CPython's layout goes the direct way, one-item containers and memoized keys included;
    /// what it does not cover gives way.
    #[test]
    fn what_goes_the_direct_way() {
        let recs: Vec<Rec> = (0..3)
            .map(|i| Rec {
                id: i,
                name: format!("r{i}"),
                tags: vec!["t".into(); i as usize],
                extra: (0..i).map(|k| (format!("k{k}"), (k > 0).then_some(0.5))).collect(),
            })
            .collect();
        let opts = DeOptions::new();
        for proto in 2..=5 {
            let data = crate::to_vec_with(&recs, &crate::SerOptions::new().protocol(proto)).unwrap();
            assert_eq!(from_slice::<Vec<Rec>>(&data, &opts).as_ref(), Some(&recs), "protocol {proto}");
            let one = crate::to_vec_with(&vec![vec![7u8]], &crate::SerOptions::new().protocol(proto)).unwrap();
            assert_eq!(from_slice::<Vec<Vec<u8>>>(&one, &opts), None, "a one-item list of a list gives way");
            let pairs = vec![(1, "a".to_string()), (2, "b".to_string())];
            let data = crate::to_vec_with(&pairs, &crate::SerOptions::new().protocol(proto)).unwrap();
            assert_eq!(from_slice::<Vec<(i32, String)>>(&data, &opts), Some(pairs), "tuples asked for as tuples");
            assert_eq!(from_slice::<Vec<Vec<String>>>(&data, &opts), None, "tuples read as lists give way");
            let nested = vec![((1, 2), 3); 2];
            let data = crate::to_vec_with(&nested, &crate::SerOptions::new().protocol(proto)).unwrap();
            assert_eq!(from_slice::<Vec<((i32, i32), i32)>>(&data, &opts), Some(nested), "tuples in tuples");
            let with_list =
                crate::to_vec_with(&vec![(vec![1], 2); 2], &crate::SerOptions::new().protocol(proto)).unwrap();
            assert_eq!(from_slice::<Vec<(Vec<i32>, i32)>>(&with_list, &opts), None, "a list in a tuple gives way");
        }
        let strs = crate::to_vec(&vec!["s".to_string(); 5]).unwrap();
        assert_eq!(from_slice::<Vec<String>>(&strs, &opts).map(|v| v.len()), Some(5));
        let memo = super::MEMO.with(std::cell::Cell::take);
        assert!(memo.is_empty() && memo.capacity() >= 5, "the memo comes back emptied, for the next read");
        let deep = crate::to_vec(&vec![vec![vec![1]]]).unwrap();
        assert_eq!(from_slice::<Vec<Vec<Vec<i32>>>>(&deep, &DeOptions::new().max_depth(2)), None);
    }
}
