//! The unpickling machine: one loop over opcodes, generic over the [`Builder`] that makes values.

use crate::builder::{Builder, Text};
use crate::compat;
use crate::error::{Error, ErrorKind, Result};
use crate::opcodes::op;
use crate::options::{Encoding, LoadOptions};
use crate::read::{Chunk, Read};
use crate::text::{self, IntArg};
use crate::value::push_code_point;
use std::collections::HashMap;

/// The highest protocol this machine reads.
pub const HIGHEST_PROTOCOL: u8 = 5;

/// Memo indices are dense in practice; far-off ones go to a map so a lone huge index
/// (`LONG_BINPUT 0xffffffff`) costs one entry, not four billion.
struct Memo<V> {
    dense: Vec<Option<V>>,
    sparse: HashMap<u64, V>,
    count: usize,
}

impl<V: Clone> Memo<V> {
    #[inline(always)]
    fn get(&self, idx: u64) -> Option<&V> {
        match self.dense.get(idx as usize) {
            Some(slot) => slot.as_ref(),
            None => self.sparse.get(&idx),
        }
    }

    #[inline(always)]
    fn put(&mut self, idx: u64, v: V, limit: usize) -> Result<()> {
        let len = self.dense.len() as u64;
        if idx == len {
            // The common case: MEMOIZE, or PUTs in order.
            self.dense.push(Some(v));
            self.count += 1;
        } else if idx < len {
            if self.dense[idx as usize].replace(v).is_none() {
                self.count += 1;
            }
        } else if idx <= len + 64 + len / 2 {
            self.dense.resize(idx as usize, None);
            self.dense.push(Some(v));
            self.count += 1;
        } else if self.sparse.insert(idx, v).is_none() {
            self.count += 1;
        }
        if self.count > limit {
            return Err(ErrorKind::Limit { what: "memo", limit: limit as u64 }.into());
        }
        Ok(())
    }

    fn next_index(&self) -> u64 {
        self.count as u64
    }
}

/// The machine's working memory: stack, marks and memo. A builder that loads many pickles can
/// keep it between them ([`Builder::take_scratch`], [`Builder::keep_scratch`]) so that each load
/// reuses memory already grown instead of growing (and page-faulting) it again from nothing.
#[derive(Debug)]
pub struct Scratch<V> {
    stack: Vec<V>,
    marks: Vec<usize>,
    memo: Vec<Option<V>>,
}

impl<V> Default for Scratch<V> {
    fn default() -> Self {
        Scratch { stack: Vec::new(), marks: Vec::new(), memo: Vec::new() }
    }
}

impl<V> Scratch<V> {
    /// Bytes of memory held.
    pub fn capacity_bytes(&self) -> usize {
        self.stack.capacity() * std::mem::size_of::<V>()
            + self.marks.capacity() * std::mem::size_of::<usize>()
            + self.memo.capacity() * std::mem::size_of::<Option<V>>()
    }
}

/// Run one pickle from `r` through `b`. `Ok(None)` when the input is already at its end.
pub fn run<'de, R, B>(r: &mut R, b: &mut B, opts: &LoadOptions) -> Result<Option<B::Value>>
where
    R: Read<'de>,
    B: Builder<'de>,
{
    let Scratch { stack, marks, memo } = b.take_scratch();
    let memo = Memo { dense: memo, sparse: HashMap::new(), count: 0 };
    let mut m = Machine { b, stack, marks, memo, proto: 0, opts, payload: 0 };
    let result = m.drive(r);
    let Machine { b, mut stack, mut marks, memo: Memo { dense: mut memo, .. }, .. } = m;
    stack.clear();
    marks.clear();
    memo.clear();
    b.keep_scratch(Scratch { stack, marks, memo });
    result
}

impl<'de, B: Builder<'de>> Machine<'de, '_, B> {
    fn drive<R: Read<'de>>(&mut self, r: &mut R) -> Result<Option<B::Value>> {
        let opts = self.opts;
        let start = r.offset();
        let mut ops: u64 = 0;
        loop {
            let pos = r.offset();
            let code = match r.byte()? {
                Some(c) => c,
                None if pos == start => return Ok(None),
                None => return Err(Error::from(ErrorKind::Eof).at(pos, None)),
            };
            ops += 1;
            if ops > opts.limits.opcodes {
                return Err(
                    Error::from(ErrorKind::Limit { what: "opcode", limit: opts.limits.opcodes }).at(pos, Some(code))
                );
            }
            match self.step(code, r) {
                Ok(None) if is_scalar(code) => ops += self.scalar_run(r, opts.limits.opcodes - ops),
                Ok(None) => {}
                Ok(Some(v)) => return Ok(Some(v)),
                Err(e) => return Err(e.at(pos, crate::opcodes::lookup(code).map(|o| o.code))),
            }
        }
    }
}

/// Whether `code` pushes one scalar from a fixed-size argument (or none). Such opcodes come in
/// runs (the items of a list of ints or floats, the pairs of a dict of small ints to None), and
/// [`Machine::scalar_run`] takes the rest of a run after the first.
/// (A table: the main loop asks it after every opcode, and a `matches!` there became a jump
/// table of eight instructions.)
#[inline(always)]
fn is_scalar(code: u8) -> bool {
    const SCALAR: [bool; 256] = {
        let mut t = [false; 256];
        let codes = [op::BININT, op::BININT1, op::BININT2, op::BINFLOAT, op::NONE, op::NEWTRUE, op::NEWFALSE];
        let mut i = 0;
        while i < codes.len() {
            t[codes[i] as usize] = true;
            i += 1;
        }
        t
    };
    SCALAR[code as usize]
}

/// The arguments of the scalar opcodes, for [`Machine::step`] and [`Machine::scalar_run`] alike.
mod scalar_arg {
    /// BININT: a signed 4-byte little-endian int.
    #[inline(always)]
    pub fn binint(a: [u8; 4]) -> i64 {
        i64::from(i32::from_le_bytes(a))
    }

    /// BININT1: an unsigned byte.
    #[inline(always)]
    pub fn binint1([x]: [u8; 1]) -> i64 {
        i64::from(x)
    }

    /// BININT2: an unsigned 2-byte little-endian int.
    #[inline(always)]
    pub fn binint2(a: [u8; 2]) -> i64 {
        i64::from(u16::from_le_bytes(a))
    }

    /// BINFLOAT: a big-endian IEEE double.
    #[inline(always)]
    pub fn binfloat(a: [u8; 8]) -> f64 {
        f64::from_be_bytes(a)
    }
}

impl<'de, B: Builder<'de>> Machine<'de, '_, B> {
    /// The scalar opcodes (see [`is_scalar`]) that follow, taken from the bytes the reader has
    /// at hand ([`Read::ahead`]) with no per-opcode offset or limit check; the repeats of one
    /// opcode go through a loop with no dispatch. Stops at any other opcode, at one whose
    /// argument is not all at hand, after `budget` opcodes, or when the stack is full, leaving
    /// that to the main loop, which then runs or reports it as usual. Returns how many it took.
    #[inline(always)]
    fn scalar_run<R: Read<'de>>(&mut self, r: &mut R, budget: u64) -> u64 {
        match r.ahead().first() {
            Some(&next) if is_scalar(next) => self.scalar_run_out_of_line(r, budget),
            _ => 0,
        }
    }

    /// [`Machine::scalar_run`] once a run is known to go on: out of line, so the main loop's
    /// registers stay its own.
    #[inline(never)]
    fn scalar_run_out_of_line<R: Read<'de>>(&mut self, r: &mut R, budget: u64) -> u64 {
        let room = self.opts.limits.stack.saturating_sub(self.stack.len());
        let max = budget.min(room as u64);
        let ahead = r.ahead();
        let (mut at, mut n) = (0, 0);
        while n < max {
            let rest = ahead.get(at..).unwrap_or_default();
            let Some((v, len)) = self.scalar(rest) else { break };
            self.stack.push(v);
            n += 1;
            at += len;
            // Its repeats, if it repeats (a list of ints does; a dict of ints to None alternates).
            if rest.get(len) == rest.first() && n < max {
                let (took, bytes) = self.repeats(rest.get(len..).unwrap_or_default(), max - n);
                at += bytes;
                n += took;
            }
        }
        r.skip_ahead(at);
        n
    }

    /// The scalar opcode that starts `ahead` as a value, and its length with its argument; none
    /// if `ahead` does not start with a whole scalar opcode.
    #[inline(always)]
    fn scalar(&mut self, ahead: &[u8]) -> Option<(B::Value, usize)> {
        let (&code, a) = ahead.split_first()?;
        Some(match code {
            op::BININT1 => (self.b.int(scalar_arg::binint1(*a.first_chunk()?)), 2),
            op::BININT2 => (self.b.int(scalar_arg::binint2(*a.first_chunk()?)), 3),
            op::BININT => (self.b.int(scalar_arg::binint(*a.first_chunk()?)), 5),
            op::BINFLOAT => (self.b.float(scalar_arg::binfloat(*a.first_chunk()?)), 9),
            op::NONE => (self.b.none(), 1),
            op::NEWTRUE => (self.b.bool(true), 1),
            op::NEWFALSE => (self.b.bool(false), 1),
            _ => return None,
        })
    }

    /// The scalar opcode that starts `ahead` and its repeats, at most `max`, as
    /// [`Machine::repeated`]: out of the loop over mixed scalars, whose registers it would take.
    #[inline(never)]
    fn repeats(&mut self, ahead: &[u8], max: u64) -> (u64, usize) {
        match ahead.first() {
            Some(&op::BININT1) => self.repeated::<1>(ahead, max, |b, a| b.int(scalar_arg::binint1(a))),
            Some(&op::BININT2) => self.repeated::<2>(ahead, max, |b, a| b.int(scalar_arg::binint2(a))),
            Some(&op::BININT) => self.repeated::<4>(ahead, max, |b, a| b.int(scalar_arg::binint(a))),
            Some(&op::BINFLOAT) => self.repeated::<8>(ahead, max, |b, a| b.float(scalar_arg::binfloat(a))),
            Some(&op::NONE) => self.repeated::<0>(ahead, max, |b, _| b.none()),
            Some(&op::NEWTRUE) => self.repeated::<0>(ahead, max, |b, _| b.bool(true)),
            Some(&op::NEWFALSE) => self.repeated::<0>(ahead, max, |b, _| b.bool(false)),
            _ => (0, 0),
        }
    }

    /// The opcode that starts `ahead` and as many more of it as follow, at most `max`, each with
    /// an `L`-byte argument that `make` turns into a value: how many it took and their bytes.
    /// Repeats are the common case (a list of ints or floats), and this loop has no dispatch.
    #[inline(always)]
    fn repeated<const L: usize>(
        &mut self,
        ahead: &[u8],
        max: u64,
        make: impl Fn(&mut B, [u8; L]) -> B::Value,
    ) -> (u64, usize) {
        let Some(&code) = ahead.first() else { return (0, 0) };
        let mut took = 0;
        for op in ahead.chunks_exact(1 + L).take(usize::try_from(max).unwrap_or(usize::MAX)) {
            let Some((&[c], &a)) = op.split_first_chunk::<1>().and_then(|(c, a)| Some((c, a.first_chunk::<L>()?)))
            else {
                break;
            };
            if c != code {
                break;
            }
            let v = make(self.b, a);
            self.stack.push(v);
            took += 1;
        }
        (took as u64, took * (1 + L))
    }
}

struct Machine<'a, 'o, B: Builder<'a>> {
    b: &'o mut B,
    stack: Vec<B::Value>,
    marks: Vec<usize>,
    memo: Memo<B::Value>,
    proto: u8,
    opts: &'o LoadOptions,
    payload: u64,
}

fn underflow_kind(marked: bool) -> Error {
    if marked {
        ErrorKind::UnexpectedMark.into()
    } else {
        ErrorKind::StackUnderflow.into()
    }
}

impl<'de, B: Builder<'de>> Machine<'de, '_, B> {
    /// Items below the topmost mark belong to an outer container and are out of reach.
    #[inline]
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    #[inline(always)]
    fn push(&mut self, v: B::Value) -> Result<()> {
        if self.stack.len() >= self.opts.limits.stack {
            return Err(self.stack_limit());
        }
        self.stack.push(v);
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn stack_limit(&self) -> Error {
        ErrorKind::Limit { what: "stack", limit: self.opts.limits.stack as u64 }.into()
    }

    #[cold]
    #[inline(never)]
    fn underflow(&self) -> Error {
        underflow_kind(!self.marks.is_empty())
    }

    #[inline(always)]
    fn pop(&mut self) -> Result<B::Value> {
        if self.stack.len() <= self.fence() {
            return Err(self.underflow());
        }
        Ok(self.stack.pop().expect("checked against the fence"))
    }

    #[inline(always)]
    fn top(&self) -> Result<&B::Value> {
        if self.stack.len() <= self.fence() {
            return Err(self.underflow());
        }
        Ok(self.stack.last().expect("checked against the fence"))
    }

    fn pop_mark(&mut self) -> Result<usize> {
        self.marks.pop().ok_or_else(|| ErrorKind::MarkNotFound.into())
    }

    fn count_payload(&mut self, n: u64) -> Result<()> {
        self.payload = self.payload.saturating_add(n);
        if self.payload > self.opts.limits.bytes || n > self.opts.limits.bytes {
            return Err(ErrorKind::Limit { what: "bytes", limit: self.opts.limits.bytes }.into());
        }
        Ok(())
    }

    fn length<R: Read<'de>>(&mut self, r: &mut R, width: usize, what: &'static str) -> Result<u64> {
        let n = match width {
            1 => r.array::<1>()?[0] as u64,
            4 => u32::from_le_bytes(r.array()?) as u64,
            _ => {
                let n = u64::from_le_bytes(r.array()?);
                if n > i64::MAX as u64 {
                    return Err(ErrorKind::TooLarge { what, max: i64::MAX as u64 }.into());
                }
                n
            }
        };
        self.count_payload(n)?;
        Ok(n)
    }

    #[inline(always)]
    fn push_int(&mut self, arg: IntArg) -> Result<()> {
        let v = match arg {
            IntArg::Bool(b) => self.b.bool(b),
            IntArg::Small(i) => self.b.int(i),
            IntArg::Big(n) => self.b.big_int(n)?,
        };
        self.push(v)
    }

    #[inline(always)]
    fn push_text(&mut self, chunk: Chunk<'de, '_>) -> Result<()> {
        let v = self.b.str(decode_utf8(chunk)?)?;
        self.push(v)
    }

    fn push_py2_string(&mut self, chunk: Chunk<'de, '_>) -> Result<()> {
        let v = match self.opts.encoding {
            Encoding::Bytes => self.b.bytes(chunk)?,
            Encoding::Utf8 => self.b.str(decode_utf8(chunk)?)?,
            enc => {
                let bytes = chunk.as_slice();
                if enc == Encoding::Ascii || bytes.is_ascii() {
                    if let Some(&bad) = bytes.iter().find(|b| !b.is_ascii()) {
                        return Err(ErrorKind::Decode { encoding: "ascii", byte: bad }.into());
                    }
                    self.b.str(decode_utf8(chunk)?)?
                } else {
                    let mut out = Vec::with_capacity(bytes.len() * 2);
                    for &byte in bytes {
                        let cp = if enc == Encoding::Cp1252 { cp1252(byte)? } else { byte as u32 };
                        push_code_point(&mut out, cp).expect("code points below 0x10000");
                    }
                    self.b.str(Text::Owned(String::from_utf8(out).expect("encoded from chars")))?
                }
            }
        };
        self.push(v)
    }

    #[inline(always)]
    fn memo_get(&mut self, idx: i64) -> Result<()> {
        let v = u64::try_from(idx).ok().and_then(|i| self.memo.get(i)).cloned();
        match v {
            Some(v) => self.push(v),
            None => Err(ErrorKind::MemoNotFound(idx).into()),
        }
    }

    #[inline(always)]
    fn memo_put(&mut self, idx: u64) -> Result<()> {
        let v = self.top()?.clone();
        self.memo.put(idx, v, self.opts.limits.memo)
    }

    fn global_name<R: Read<'de>>(r: &mut R) -> Result<(String, String)> {
        let module = line_utf8(r.line()?.as_slice())?;
        let name = line_utf8(r.line()?.as_slice())?;
        Ok((module, name))
    }

    fn mapped<'n>(&self, module: &'n str, name: &'n str) -> (&'n str, &'n str) {
        if self.proto < 3 {
            compat::to_py3(module, name)
        } else {
            (module, name)
        }
    }

    #[inline(always)]
    fn step<R: Read<'de>>(&mut self, code: u8, r: &mut R) -> Result<Option<B::Value>> {
        match code {
            op::MARK => {
                if self.marks.len() >= self.opts.limits.marks {
                    return Err(ErrorKind::Limit { what: "mark", limit: self.opts.limits.marks as u64 }.into());
                }
                self.marks.push(self.stack.len());
            }
            op::STOP => return self.pop().map(Some),
            op::POP => {
                if self.marks.last() == Some(&self.stack.len()) {
                    self.marks.pop();
                } else {
                    self.pop()?;
                }
            }
            op::POP_MARK => {
                let mark = self.pop_mark()?;
                self.stack.truncate(mark);
            }
            op::DUP => {
                let v = self.top()?.clone();
                self.push(v)?;
            }
            op::NONE => {
                let v = self.b.none();
                self.push(v)?;
            }
            op::NEWTRUE | op::NEWFALSE => {
                let v = self.b.bool(code == op::NEWTRUE);
                self.push(v)?;
            }
            op::INT => {
                let arg = text::parse_int(r.line()?.as_slice())?;
                self.push_int(arg)?;
            }
            op::BININT => {
                let v = self.b.int(scalar_arg::binint(r.array()?));
                self.push(v)?;
            }
            op::BININT1 => {
                let v = self.b.int(scalar_arg::binint1(r.array()?));
                self.push(v)?;
            }
            op::BININT2 => {
                let v = self.b.int(scalar_arg::binint2(r.array()?));
                self.push(v)?;
            }
            op::LONG => {
                let arg = text::parse_long(r.line()?.as_slice())?;
                self.push_int(arg)?;
            }
            op::LONG1 => {
                let n = self.length(r, 1, "LONG1")?;
                let arg = text::decode_long(r.take(n)?.as_slice());
                self.push_int(arg)?;
            }
            op::LONG4 => {
                let n = i32::from_le_bytes(r.array()?);
                if n < 0 {
                    return Err(ErrorKind::NegativeLength("LONG").into());
                }
                self.count_payload(n as u64)?;
                let arg = text::decode_long(r.take(n as u64)?.as_slice());
                self.push_int(arg)?;
            }
            op::FLOAT => {
                let f = text::parse_float(r.line()?.as_slice())?;
                let v = self.b.float(f);
                self.push(v)?;
            }
            op::BINFLOAT => {
                let v = self.b.float(scalar_arg::binfloat(r.array()?));
                self.push(v)?;
            }
            op::STRING => {
                let bytes = text::parse_string(r.line()?.as_slice())?;
                self.count_payload(bytes.len() as u64)?;
                self.push_py2_string(Chunk::Owned(bytes))?;
            }
            op::BINSTRING => {
                let n = i32::from_le_bytes(r.array()?);
                if n < 0 {
                    return Err(ErrorKind::NegativeLength("BINSTRING").into());
                }
                self.count_payload(n as u64)?;
                let chunk = r.take(n as u64)?;
                self.push_py2_string(chunk)?;
            }
            op::SHORT_BINSTRING => {
                let n = self.length(r, 1, "SHORT_BINSTRING")?;
                let chunk = r.take(n)?;
                self.push_py2_string(chunk)?;
            }
            op::SHORT_BINBYTES | op::BINBYTES | op::BINBYTES8 => {
                let (width, what) = match code {
                    op::SHORT_BINBYTES => (1, "SHORT_BINBYTES"),
                    op::BINBYTES => (4, "BINBYTES"),
                    _ => (8, "BINBYTES8"),
                };
                let n = self.length(r, width, what)?;
                let chunk = r.take(n)?;
                let v = self.b.bytes(chunk)?;
                self.push(v)?;
            }
            op::BYTEARRAY8 => {
                let n = self.length(r, 8, "BYTEARRAY8")?;
                let chunk = r.take(n)?;
                let v = self.b.bytearray(chunk)?;
                self.push(v)?;
            }
            op::SHORT_BINUNICODE | op::BINUNICODE | op::BINUNICODE8 => {
                let (width, what) = match code {
                    op::SHORT_BINUNICODE => (1, "SHORT_BINUNICODE"),
                    op::BINUNICODE => (4, "BINUNICODE"),
                    _ => (8, "BINUNICODE8"),
                };
                let n = self.length(r, width, what)?;
                let chunk = r.take(n)?;
                self.push_text(chunk)?;
            }
            op::UNICODE => {
                let line = r.line()?;
                self.count_payload(line.as_slice().len() as u64)?;
                let cps = text::raw_unicode_escape_decode(line.as_slice())?;
                let mut out = Vec::with_capacity(cps.len());
                for cp in cps {
                    push_code_point(&mut out, cp).expect("range checked while decoding");
                }
                self.push_text(Chunk::Owned(out))?;
            }
            op::NEXT_BUFFER => {
                let v = self.b.next_buffer()?;
                self.push(v)?;
            }
            op::READONLY_BUFFER => {
                let top = self.top()?.clone();
                self.b.readonly_buffer(&top)?;
            }
            op::EMPTY_LIST => {
                let v = self.b.list(&[])?;
                self.push(v)?;
            }
            op::APPEND => {
                let item = self.pop()?;
                let list = self.top()?.clone();
                self.b.append(&list, item)?;
            }
            op::APPENDS => {
                let mark = self.pop_mark()?;
                if mark == 0 || mark <= self.fence() {
                    return Err(ErrorKind::StackUnderflow.into());
                }
                let (head, items) = self.stack.split_at(mark);
                self.b.extend(&head[mark - 1], items)?;
                self.stack.truncate(mark);
            }
            op::LIST => {
                let mark = self.pop_mark()?;
                let v = self.b.list(&self.stack[mark..])?;
                self.stack.truncate(mark);
                self.push(v)?;
            }
            op::EMPTY_TUPLE => {
                let v = self.b.tuple(&[])?;
                self.push(v)?;
            }
            op::TUPLE => {
                let mark = self.pop_mark()?;
                let v = self.b.tuple(&self.stack[mark..])?;
                self.stack.truncate(mark);
                self.push(v)?;
            }
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => {
                let n = (code - op::TUPLE1 + 1) as usize;
                if self.stack.len() < self.fence() + n {
                    return Err(underflow_kind(!self.marks.is_empty()));
                }
                let start = self.stack.len() - n;
                let v = self.b.tuple(&self.stack[start..])?;
                self.stack.truncate(start);
                self.push(v)?;
            }
            op::EMPTY_DICT => {
                let v = self.b.dict(&[])?;
                self.push(v)?;
            }
            op::DICT => {
                let mark = self.pop_mark()?;
                if (self.stack.len() - mark) % 2 != 0 {
                    return Err(Error::invalid("odd number of items for DICT"));
                }
                let v = self.b.dict(&self.stack[mark..])?;
                self.stack.truncate(mark);
                self.push(v)?;
            }
            op::SETITEM => {
                let value = self.pop()?;
                let key = self.pop()?;
                let dict = self.top()?.clone();
                self.b.set_items(&dict, &[key, value])?;
            }
            op::SETITEMS => {
                let mark = self.pop_mark()?;
                if mark == 0 || mark <= self.fence() {
                    return Err(ErrorKind::StackUnderflow.into());
                }
                if (self.stack.len() - mark) % 2 != 0 {
                    return Err(Error::invalid("odd number of items for SETITEMS"));
                }
                let (head, pairs) = self.stack.split_at(mark);
                self.b.set_items(&head[mark - 1], pairs)?;
                self.stack.truncate(mark);
            }
            op::EMPTY_SET => {
                let v = self.b.empty_set()?;
                self.push(v)?;
            }
            op::ADDITEMS => {
                let mark = self.pop_mark()?;
                if mark == 0 || mark <= self.fence() {
                    return Err(ErrorKind::StackUnderflow.into());
                }
                let (head, items) = self.stack.split_at(mark);
                self.b.add_items(&head[mark - 1], items)?;
                self.stack.truncate(mark);
            }
            op::FROZENSET => {
                let mark = self.pop_mark()?;
                let v = self.b.frozenset(&self.stack[mark..])?;
                self.stack.truncate(mark);
                self.push(v)?;
            }
            op::GET => {
                let idx = text::parse_index(r.line()?.as_slice())?;
                self.memo_get(idx)?;
            }
            op::BINGET => {
                let idx = r.array::<1>()?[0] as i64;
                self.memo_get(idx)?;
            }
            op::LONG_BINGET => {
                let idx = u32::from_le_bytes(r.array()?) as i64;
                self.memo_get(idx)?;
            }
            op::PUT => {
                let idx = text::parse_index(r.line()?.as_slice())?;
                if idx < 0 {
                    return Err(ErrorKind::NegativeIndex("PUT").into());
                }
                self.memo_put(idx as u64)?;
            }
            op::BINPUT => {
                let idx = r.array::<1>()?[0] as u64;
                self.memo_put(idx)?;
            }
            op::LONG_BINPUT => {
                let idx = u32::from_le_bytes(r.array()?) as u64;
                self.memo_put(idx)?;
            }
            op::MEMOIZE => {
                let idx = self.memo.next_index();
                self.memo_put(idx)?;
            }
            op::EXT1 | op::EXT2 | op::EXT4 => {
                let code_value = match code {
                    op::EXT1 => r.array::<1>()?[0] as i32,
                    op::EXT2 => u16::from_le_bytes(r.array()?) as i32,
                    _ => i32::from_le_bytes(r.array()?),
                };
                if code_value <= 0 {
                    return Err(Error::invalid("EXT specifies code <= 0"));
                }
                let v = self.b.ext(code_value)?;
                self.push(v)?;
            }
            op::GLOBAL => {
                let (module, name) = Self::global_name(r)?;
                let (module, name) = self.mapped(&module, &name);
                let v = self.b.global(module, name)?;
                self.push(v)?;
            }
            op::STACK_GLOBAL => {
                let name = self.pop()?;
                let module = self.pop()?;
                let v = self.b.stack_global(module, name, self.proto < 3)?;
                self.push(v)?;
            }
            op::REDUCE => {
                let args = self.pop()?;
                let callable = self.pop()?;
                let v = self.b.reduce(callable, args)?;
                self.push(v)?;
            }
            op::BUILD => {
                let state = self.pop()?;
                let obj = self.top()?.clone();
                self.b.build(&obj, state)?;
            }
            op::INST => {
                let (module, name) = Self::global_name(r)?;
                let mark = self.pop_mark()?;
                let (module, name) = self.mapped(&module, &name);
                let v = self.b.inst(module, name, &self.stack[mark..])?;
                self.stack.truncate(mark);
                self.push(v)?;
            }
            op::OBJ => {
                let mark = self.pop_mark()?;
                if self.stack.len() <= mark {
                    return Err(ErrorKind::StackUnderflow.into());
                }
                let cls = self.stack[mark].clone();
                let v = self.b.obj(cls, &self.stack[mark + 1..])?;
                self.stack.truncate(mark);
                self.push(v)?;
            }
            op::NEWOBJ => {
                let args = self.pop()?;
                let cls = self.pop()?;
                let v = self.b.new_obj(cls, args)?;
                self.push(v)?;
            }
            op::NEWOBJ_EX => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                let v = self.b.new_obj_ex(cls, args, kwargs)?;
                self.push(v)?;
            }
            op::PROTO => {
                let p = r.array::<1>()?[0];
                if p > HIGHEST_PROTOCOL {
                    return Err(ErrorKind::UnsupportedProtocol(p as u64).into());
                }
                self.proto = p;
            }
            op::FRAME => {
                let n = u64::from_le_bytes(r.array()?);
                if n > i64::MAX as u64 {
                    return Err(ErrorKind::TooLarge { what: "FRAME length", max: i64::MAX as u64 }.into());
                }
                r.require(n)?;
            }
            op::PERSID => {
                let line = r.line()?;
                if !line.as_slice().is_ascii() {
                    return Err(Error::invalid("persistent IDs in protocol 0 must be ASCII strings"));
                }
                let pid = self.b.str(decode_utf8(line)?)?;
                let v = self.b.persistent_id(pid)?;
                self.push(v)?;
            }
            op::BINPERSID => {
                let pid = self.pop()?;
                let v = self.b.persistent_id(pid)?;
                self.push(v)?;
            }
            other => return Err(ErrorKind::UnknownOpcode(other).into()),
        }
        Ok(None)
    }
}

fn line_utf8(line: &[u8]) -> Result<String> {
    std::str::from_utf8(line).map(str::to_owned).map_err(|e| ErrorKind::BadUtf8(e.to_string()).into())
}

/// Validate a str payload once: UTF-8, or surrogate-pass UTF-8 as CPython accepts.
///
/// Inlined for valid text borrowed from the input (nearly every str), so the text reaches the
/// builder in registers; owned payloads and surrogates take [`decode_utf8_other`].
#[inline(always)]
fn decode_utf8<'de, 's>(chunk: Chunk<'de, 's>) -> Result<Text<'de, 's>> {
    match chunk {
        Chunk::Borrowed(b) => {
            if let Ok(s) = std::str::from_utf8(b) {
                return Ok(Text::Borrowed(s));
            }
        }
        Chunk::Transient(b) => {
            if let Ok(s) = std::str::from_utf8(b) {
                return Ok(Text::Transient(s));
            }
        }
        Chunk::Owned(_) => {}
    }
    decode_utf8_other(chunk)
}

/// The rest of [`decode_utf8`]: owned payloads (protocol 0 text once unescaped, and large strs
/// read from a stream, whose copy costs more than the call) and text that is not valid UTF-8.
#[cold]
fn decode_utf8_other<'de, 's>(chunk: Chunk<'de, 's>) -> Result<Text<'de, 's>> {
    let bad = |e: String| Error::from(ErrorKind::BadUtf8(e));
    Ok(match chunk {
        Chunk::Borrowed(b) | Chunk::Transient(b) => surrogates(crate::PyStr::from_slice(b).map_err(bad)?),
        Chunk::Owned(v) => match String::from_utf8(v) {
            Ok(s) => Text::Owned(s),
            Err(e) => surrogates(crate::PyStr::from_utf8_surrogatepass(e.into_bytes()).map_err(bad)?),
        },
    })
}

fn surrogates<'de, 's>(s: crate::PyStr) -> Text<'de, 's> {
    match s.into_string() {
        Ok(s) => Text::Owned(s),
        Err(b) => Text::Surrogates(b),
    }
}

fn cp1252(b: u8) -> Result<u32> {
    const HIGH: [u16; 32] = [
        0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d,
        0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,
        0x017e, 0x0178,
    ];
    match b {
        0x80..=0x9f => match HIGH[(b - 0x80) as usize] {
            0 => Err(ErrorKind::Decode { encoding: "cp1252", byte: b }.into()),
            cp => Ok(cp as u32),
        },
        _ => Ok(b as u32),
    }
}
