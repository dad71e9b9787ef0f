//! The emitter: writes opcodes with the memo and framing rules of one protocol, exactly as
//! CPython's C pickler does (64 KiB frame target, frames under 4 bytes left unframed, payloads
//! of a frame's size written outside frames straight to the sink). Every pickler drives it: the
//! graph pickler (`dump`) and the serde serializer.
//!
//! For serde it can also *hold*: while a sequence of unknown length is at its first item, no
//! frame is committed and nothing is flushed, so a MARK can still be inserted before that item
//! once a second one shows up.

use crate::error::Result;
use crate::opcodes::op;
use crate::value::Value;
use std::io::Write;

/// CPython's frame size target: a frame is closed at the first opcode boundary past it.
pub(crate) const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// Frames shorter than this are not worth their 9-byte header and are left unframed.
const FRAME_SIZE_MIN: usize = 4;
const FRAME_HEADER: usize = 9;
/// The most bytes one scalar takes from protocol 2 on: LONG1 with eight bytes.
pub(crate) const MAX_BIN_SCALAR: usize = 10;
/// Before protocol 2, the text forms: `L-9223372036854775808L\n`, or a float's longest repr.
const MAX_TEXT_SCALAR: usize = 32;
/// Buffered output beyond this is handed to a streaming sink (outside an open frame).
const FLUSH_AT: usize = 1 << 20;

/// Where finished bytes go: kept in the buffer (`to_vec`) or written out (`to_writer`).
pub(crate) trait Sink {
    /// Hand over `buf` (or keep it); after this, `buf` holds only what was not handed over.
    /// Called when a frame ends, and every [`Sink::UNFRAMED_STEP`] bytes without frames.
    fn flush(&mut self, buf: &mut Vec<u8>) -> Result<()>;
    /// Hand over the rest after STOP.
    fn finish(&mut self, buf: &mut Vec<u8>) -> Result<()>;
    /// Write a large payload that is not part of any frame.
    fn direct(&mut self, buf: &mut Vec<u8>, data: &[u8]) -> Result<()>;
    /// Whether flushing hands bytes over (so the buffer may be cleared).
    const STREAMS: bool;
    /// How many bytes written without frames pass between flushes.
    const UNFRAMED_STEP: usize;
}

/// Keep everything in the buffer.
#[derive(Default)]
pub(crate) struct VecSink {
    /// The buffer's capacity when it was last given the huge-page advice.
    advised: usize,
}

impl VecSink {
    /// A large buffer is backed by huge pages (see [`crate::huge`]); looked at every frame or
    /// [`Sink::UNFRAMED_STEP`], so at most that much of it is faulted in small pages.
    #[inline(always)]
    fn advise(&mut self, buf: &mut Vec<u8>) {
        if buf.capacity() >= crate::huge::HUGE_MIN / 2 {
            self.advise_large(buf);
        }
    }

    #[cold]
    #[inline(never)]
    fn advise_large(&mut self, buf: &mut Vec<u8>) {
        if buf.capacity() < crate::huge::HUGE_MIN {
            // Its next doubling would reach the huge size, copying it into fresh small pages
            // before any advice could be given: double it here, advice first.
            if buf.capacity() - buf.len() < 2 * FRAME_SIZE_TARGET {
                let mut bigger = Vec::with_capacity(buf.capacity() * 2);
                crate::huge::advise(&mut bigger);
                bigger.extend_from_slice(buf);
                *buf = bigger;
                self.advised = buf.capacity();
            }
        } else if buf.capacity() != self.advised {
            // Grown by the vector itself (moved or remapped whole, so always worth a look).
            self.advised = buf.capacity();
            crate::huge::advise(buf);
        }
    }
}

impl Sink for VecSink {
    const STREAMS: bool = false;
    const UNFRAMED_STEP: usize = FRAME_SIZE_TARGET;

    #[inline]
    fn flush(&mut self, buf: &mut Vec<u8>) -> Result<()> {
        self.advise(buf);
        Ok(())
    }

    fn finish(&mut self, _buf: &mut Vec<u8>) -> Result<()> {
        Ok(())
    }

    fn direct(&mut self, buf: &mut Vec<u8>, data: &[u8]) -> Result<()> {
        // Room for what follows the payload too (at least its MEMOIZE and STOP): were the
        // vector to grow for those few bytes, it would double, and a vector the allocator
        // cannot grow in place is copied whole into fresh memory given no advice (a 64 MiB
        // bytes then took four times as long).
        buf.reserve(data.len() + FRAME_SIZE_TARGET);
        self.advise(buf);
        buf.extend_from_slice(data);
        Ok(())
    }
}

/// Write to an [`std::io::Write`].
pub(crate) struct IoSink<W>(pub(crate) W);

impl<W: Write> Sink for IoSink<W> {
    const STREAMS: bool = true;
    const UNFRAMED_STEP: usize = FLUSH_AT;

    fn flush(&mut self, buf: &mut Vec<u8>) -> Result<()> {
        self.0.write_all(buf)?;
        buf.clear();
        Ok(())
    }

    fn finish(&mut self, buf: &mut Vec<u8>) -> Result<()> {
        self.flush(buf)
    }

    fn direct(&mut self, buf: &mut Vec<u8>, data: &[u8]) -> Result<()> {
        self.flush(buf)?;
        self.0.write_all(data)?;
        Ok(())
    }
}

/// Opcode output for one pickle.
pub(crate) struct Out<S> {
    pub(crate) sink: S,
    pub(crate) proto: u8,
    pub(crate) buf: Vec<u8>,
    framing: bool,
    frame_start: Option<usize>,
    memo_len: u32,
    /// Open holds (sequences of unknown length still at their first item).
    hold: u32,
    /// Bumped whenever bytes already in the buffer may have moved or left it.
    pub(crate) epoch: u64,
    /// Without frames: the buffer length at which the sink is next flushed.
    next_flush: usize,
    /// The buffer length at which [`Out::boundary`] acts (closes the frame, or flushes without
    /// frames); `usize::MAX` while it cannot (holding, or no frame open). Kept by
    /// [`Out::set_limit`] whenever what it depends on changes, so the check made before every
    /// object is one comparison.
    limit: usize,
}

impl<S: Sink> Out<S> {
    pub(crate) fn new(sink: S, proto: u8, buf: Vec<u8>) -> Self {
        Out {
            sink,
            proto,
            buf,
            framing: false,
            frame_start: None,
            memo_len: 0,
            hold: 0,
            epoch: 0,
            next_flush: S::UNFRAMED_STEP,
            limit: S::UNFRAMED_STEP,
        }
    }

    /// Recompute [`Out::limit`].
    fn set_limit(&mut self) {
        self.limit = match self.frame_start {
            _ if self.hold > 0 => usize::MAX,
            Some(start) => start + FRAME_HEADER + FRAME_SIZE_TARGET,
            None if self.framing => usize::MAX,
            None => self.next_flush,
        };
    }

    /// PROTO, then framing from protocol 4 on.
    pub(crate) fn start(&mut self) {
        if self.proto >= 2 {
            self.write(&[op::PROTO, self.proto]);
        }
        self.framing = self.proto >= 4;
        self.set_limit();
    }

    /// STOP, close the last frame, flush.
    pub(crate) fn finish(&mut self) -> Result<()> {
        self.write(&[op::STOP]);
        self.commit_frame();
        self.sink.finish(&mut self.buf)
    }

    #[inline(always)]
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        self.open_frame();
        self.buf.extend_from_slice(bytes);
    }

    /// Before any write: a frame's header when framing and no frame is open.
    #[inline(always)]
    fn open_frame(&mut self) {
        if self.framing && self.frame_start.is_none() {
            self.open_frame_now();
        }
    }

    /// Once per frame: kept out of line so every write stays small.
    #[inline(never)]
    fn open_frame_now(&mut self) {
        self.frame_start = Some(self.buf.len());
        self.buf.extend_from_slice(&[0; FRAME_HEADER]);
        self.set_limit();
    }

    #[inline]
    pub(crate) fn op(&mut self, code: u8) {
        self.write(&[code]);
    }

    fn commit_frame(&mut self) {
        let Some(start) = self.frame_start.take() else { return };
        self.epoch += 1;
        let len = self.buf.len() - start - FRAME_HEADER;
        if len >= FRAME_SIZE_MIN {
            self.buf[start] = op::FRAME;
            self.buf[start + 1..start + FRAME_HEADER].copy_from_slice(&(len as u64).to_le_bytes());
        } else {
            self.buf.drain(start..start + FRAME_HEADER);
        }
        self.set_limit();
    }

    /// Before each object is saved: close a frame that has reached the target size.
    #[inline(always)]
    pub(crate) fn boundary(&mut self) -> Result<()> {
        if self.buf.len() >= self.limit {
            return self.at_limit();
        }
        Ok(())
    }

    /// [`Out::boundary`] acting: a frame has reached the target size, or without frames the
    /// buffer its flushing step.
    #[inline(never)]
    fn at_limit(&mut self) -> Result<()> {
        if self.frame_start.is_some() {
            self.end_frame()
        } else {
            self.flush_unframed()
        }
    }

    #[inline(never)]
    fn flush_unframed(&mut self) -> Result<()> {
        if S::STREAMS {
            self.epoch += 1;
        }
        self.sink.flush(&mut self.buf)?;
        self.next_flush = self.buf.len() + S::UNFRAMED_STEP;
        self.set_limit();
        Ok(())
    }

    /// Close the frame and hand the buffer to the sink.
    fn end_frame(&mut self) -> Result<()> {
        self.commit_frame();
        self.sink.flush(&mut self.buf)
    }

    /// Bytes that can be written before [`Out::boundary`] could close a frame or flush.
    #[inline]
    pub(crate) fn room(&self) -> usize {
        if self.limit == usize::MAX {
            // Holding, or framing with no frame open yet: the next write opens one.
            return if self.hold > 0 { usize::MAX } else { FRAME_SIZE_TARGET };
        }
        self.limit.saturating_sub(self.buf.len())
    }

    /// How many items of `width` scalars each fit in [`Out::room`], at the most bytes a scalar
    /// can take (divided by constants: a division by a variable costs more than a small run).
    #[inline(always)]
    pub(crate) fn room_for(&self, width: usize) -> usize {
        if self.proto >= 2 {
            self.room() / (MAX_BIN_SCALAR * width)
        } else {
            self.room() / (MAX_TEXT_SCALAR * width)
        }
    }

    /// One scalar (never a reference).
    #[inline(always)]
    pub(crate) fn scalar(&mut self, v: Value) {
        match v {
            Value::None => self.op(op::NONE),
            Value::Bool(b) => self.bool(b),
            Value::Int(i) => self.int(i),
            Value::Float(f) => self.float(f),
            Value::Ref(_) => debug_assert!(false, "scalar() is given scalars only"),
        }
    }

    /// The scalars at the start of `run` written back to back, with no boundary between them,
    /// up to the first reference; returns how many. The caller has checked that [`Out::room`]
    /// holds the most bytes a scalar takes for each item of `run`.
    pub(crate) fn scalars(&mut self, run: &[Value]) -> usize {
        let Some(&first) = run.first().filter(|v| !matches!(v, Value::Ref(_))) else { return 0 };
        // The first write may open a frame; the rest only append.
        self.scalar(first);
        if self.proto < 2 {
            return 1 + run[1..].iter().take_while(|v| !matches!(v, Value::Ref(_))).map(|&v| self.scalar(v)).count();
        }
        1 + self.bin_scalars(&run[1..])
    }

    /// A whole list of 2 to `batch` scalars in protocol 2+ (EMPTY_LIST, its memo, MARK, the
    /// items, APPENDS), when it fits before a boundary could close a frame: the commonest small
    /// container written in one go. Returns its memo index, or `None` (nothing written) when the
    /// list is not such a list.
    #[inline]
    pub(crate) fn scalar_list(&mut self, items: &[Value], batch: usize) -> Option<u32> {
        // EMPTY_LIST, LONG_BINPUT, MARK and APPENDS around the items.
        const AROUND: usize = 8;
        if self.proto < 2 || !(2..=batch).contains(&items.len()) || self.room() < items.len() * MAX_BIN_SCALAR + AROUND
        {
            return None;
        }
        if tiny(items[0]).is_some() {
            if let Some(idx) = self.tiny_list(items) {
                return Some(idx);
            }
        }
        if items.iter().any(|v| matches!(v, Value::Ref(_))) {
            return None;
        }
        self.op(op::EMPTY_LIST);
        let idx = self.memo_put();
        self.buf.push(op::MARK);
        self.bin_scalars(items);
        self.buf.push(op::APPENDS);
        Some(idx)
    }

    /// A whole dict of 2 to `batch - 1` pairs of scalars in protocol 2+ (EMPTY_DICT, its memo,
    /// MARK, the pairs, SETITEMS), as [`Out::scalar_list`]. (A dict of exactly `batch` pairs
    /// ends with an empty batch; it takes the general path.)
    #[inline]
    pub(crate) fn scalar_dict(&mut self, pairs: &[(Value, Value)], batch: usize) -> Option<u32> {
        // EMPTY_DICT, LONG_BINPUT, MARK and SETITEMS around the pairs.
        const AROUND: usize = 8;
        if self.proto < 2
            || !(2..batch).contains(&pairs.len())
            || self.room() < pairs.len() * 2 * MAX_BIN_SCALAR + AROUND
        {
            return None;
        }
        if tiny(pairs[0].0).is_some() {
            if let Some(idx) = self.tiny_dict(pairs) {
                return Some(idx);
            }
        }
        if pairs.iter().any(|(k, v)| matches!(k, Value::Ref(_)) || matches!(v, Value::Ref(_))) {
            return None;
        }
        Some(self.write_scalar_dict(pairs))
    }

    /// A list of tiny scalars (see [`Tiny`]), whole, as [`Out::scalar_list`]; `None` (nothing
    /// written) when `items` are not all tiny. When all are ints, each takes two bytes at a
    /// fixed offset, with no dispatch.
    #[inline(never)]
    fn tiny_list(&mut self, items: &[Value]) -> Option<u32> {
        let ints_only = Tiny::of(items)?.ints_only();
        let (start, head) = self.open_marked(op::EMPTY_LIST, 2 * items.len());
        let dst = &mut self.buf[start..];
        let end = if ints_only {
            for (slot, v) in dst[head..].chunks_exact_mut(2).zip(items) {
                if let Value::Int(i) = *v {
                    slot.copy_from_slice(&[op::BININT1, i as u8]);
                }
            }
            head + 2 * items.len()
        } else {
            items.iter().fold(head, |at, &v| put_tiny(dst, at, v))
        };
        Some(self.close_marked(start, end, op::APPENDS))
    }

    /// A dict whose keys and values are all tiny scalars (see [`Tiny`]), whole, as
    /// [`Out::scalar_dict`]; `None` (nothing written) when they are not. Written as it is
    /// checked, and cut back at the first pair that is not tiny.
    #[inline(never)]
    fn tiny_dict(&mut self, pairs: &[(Value, Value)]) -> Option<u32> {
        let (start, head) = self.open_marked(op::EMPTY_DICT, 4 * pairs.len());
        let dst = &mut self.buf[start..];
        let mut at = head;
        for &(k, v) in pairs {
            let (Some((kw, kn)), Some((vw, vn))) = (tiny(k), tiny(v)) else {
                self.buf.truncate(start);
                return None;
            };
            let Some(slot) = dst.get_mut(at..).and_then(|rest| rest.first_chunk_mut::<4>()) else { break };
            slot[..2].copy_from_slice(&kw.to_le_bytes());
            slot[kn..kn + 2].copy_from_slice(&vw.to_le_bytes());
            at += kn + vn;
        }
        Some(self.close_marked(start, at, op::SETITEMS))
    }

    /// The start of a container written whole into sized room: `empty`, its memo write and
    /// MARK, then zeroed room for `body` bytes and the closing opcode. Returns where the room
    /// starts in the buffer and where the body starts in it. Nothing counts as written until
    /// [`Out::close_marked`] (a truncate to the start undoes it).
    #[inline(always)]
    fn open_marked(&mut self, empty: u8, body: usize) -> (usize, usize) {
        self.open_frame();
        let (memo, memo_len) = self.memo_put_bytes(self.memo_len);
        let start = self.buf.len();
        self.buf.resize(start + 2 + memo_len + body + 1, 0);
        let dst = &mut self.buf[start..];
        dst[0] = empty;
        dst[1..1 + memo.len()].copy_from_slice(&memo);
        dst[1 + memo_len] = op::MARK;
        (start, 2 + memo_len)
    }

    /// The end of a container begun with [`Out::open_marked`] whose body ends at `end`:
    /// `close`, the room cut back, the memo entry counted; returns its memo index.
    #[inline(always)]
    fn close_marked(&mut self, start: usize, end: usize, close: u8) -> u32 {
        if let Some(at) = self.buf.get_mut(start + end) {
            *at = close;
        }
        self.buf.truncate(start + end + 1);
        let idx = self.memo_len;
        self.memo_len = idx.wrapping_add(1);
        idx
    }

    /// The memo write [`Out::memo_put`] makes from protocol 1 on for memo index `idx`, in a
    /// fixed array of which the first `len` bytes count.
    #[inline(always)]
    fn memo_put_bytes(&self, idx: u32) -> ([u8; 5], usize) {
        let b = idx.to_le_bytes();
        if self.proto >= 4 {
            ([op::MEMOIZE, 0, 0, 0, 0], 1)
        } else if idx < 256 {
            ([op::BINPUT, b[0], 0, 0, 0], 2)
        } else {
            ([op::LONG_BINPUT, b[0], b[1], b[2], b[3]], 5)
        }
    }

    #[inline(never)]
    fn write_scalar_dict(&mut self, pairs: &[(Value, Value)]) -> u32 {
        self.op(op::EMPTY_DICT);
        let idx = self.memo_put();
        let buf = &mut self.buf;
        buf.reserve(pairs.len() * 2 * MAX_BIN_SCALAR + 2);
        buf.push(op::MARK);
        for &(k, v) in pairs {
            push_bin_scalar(buf, k);
            push_bin_scalar(buf, v);
        }
        buf.push(op::SETITEMS);
        idx
    }

    /// The scalars at the start of `run` in their protocol 2+ forms, up to the first reference,
    /// appended with no frame check; returns how many.
    #[inline]
    fn bin_scalars(&mut self, run: &[Value]) -> usize {
        if run.len() <= SHORT_RUN {
            return push_bin_scalars(&mut self.buf, run);
        }
        // Long runs are written into zeroed room with a local index, not pushed: a push stores
        // the vector's length back to memory and reloads it for the next one, a chain through
        // every item (and for a short run, zeroing the room costs more than that chain).
        let start = self.buf.len();
        self.buf.resize(start + run.len() * MAX_BIN_SCALAR, 0);
        let (n, used) = write_bin_scalars(&mut self.buf[start..], run);
        self.buf.truncate(start + used);
        n
    }

    /// The pairs of scalars at the start of `run` (up to the first pair holding a reference)
    /// written back to back, with no boundary between them; returns how many. The caller has
    /// checked that [`Out::room`] holds twice the most bytes a scalar takes for each pair of `run`.
    pub(crate) fn scalar_pairs(&mut self, run: &[(Value, Value)]) -> usize {
        for (n, &(k, v)) in run.iter().enumerate() {
            if matches!(k, Value::Ref(_)) || matches!(v, Value::Ref(_)) {
                return n;
            }
            self.scalar(k);
            self.scalar(v);
        }
        run.len()
    }

    /// An opcode with a one-byte length and its payload (under 256 bytes, so never outside a
    /// frame): one reserve, and a header of constant size.
    #[inline]
    pub(crate) fn short_payload(&mut self, code: u8, data: &[u8]) {
        debug_assert!(data.len() < 256);
        self.open_frame();
        // Room for a MEMOIZE after it too.
        self.buf.reserve(data.len() + 3);
        self.buf.extend_from_slice(&[code, data.len() as u8]);
        self.buf.extend_from_slice(data);
    }

    /// A str's UTF-8 in protocols 1+: SHORT_BINUNICODE (4+, under 256 bytes), BINUNICODE, or
    /// BINUNICODE8 (4+, past 4 GiB).
    #[inline]
    pub(crate) fn bin_str(&mut self, data: &[u8]) -> Result<()> {
        let p4 = self.proto >= 4;
        if p4 && data.len() < 256 {
            self.short_payload(op::SHORT_BINUNICODE, data);
            return Ok(());
        }
        let header = SizedOp::pick(data.len(), None, op::BINUNICODE, p4.then_some(op::BINUNICODE8))
            .ok_or_else(|| crate::Error::unpicklable("cannot serialize a string larger than 4GiB"))?;
        self.write_payload(header.as_bytes(), data)
    }

    /// Bytes in protocols 3+: SHORT_BINBYTES, BINBYTES, or BINBYTES8 (4+, past 4 GiB).
    #[inline]
    pub(crate) fn bin_bytes(&mut self, data: &[u8]) -> Result<()> {
        if data.len() < 256 {
            self.short_payload(op::SHORT_BINBYTES, data);
            return Ok(());
        }
        let long8 = (self.proto >= 4).then_some(op::BINBYTES8);
        let header = SizedOp::pick(data.len(), None, op::BINBYTES, long8)
            .ok_or_else(|| crate::Error::unpicklable("cannot serialize a bytes object larger than 4 GiB"))?;
        self.write_payload(header.as_bytes(), data)
    }

    /// A header and a payload; payloads of a frame's size or more go outside frames.
    pub(crate) fn write_payload(&mut self, header: &[u8], data: &[u8]) -> Result<()> {
        if data.len() < FRAME_SIZE_TARGET || self.hold > 0 {
            self.write(header);
            self.write(data);
            return Ok(());
        }
        self.commit_frame();
        self.epoch += 1;
        let framing = std::mem::replace(&mut self.framing, false);
        self.write(header);
        self.sink.direct(&mut self.buf, data)?;
        self.framing = framing;
        self.set_limit();
        Ok(())
    }

    /// A str under 256 bytes in protocol 4+, memoized: SHORT_BINUNICODE and MEMOIZE with one
    /// frame check and one reserve (the commonest object); returns its memo index.
    #[inline(always)]
    pub(crate) fn short_str_memoized(&mut self, data: &[u8]) -> u32 {
        debug_assert!(self.proto >= 4 && data.len() < 256);
        self.open_frame();
        let buf = &mut self.buf;
        if data.len() <= SHORT_COPY {
            // A few fixed-size moves instead of a call to memcpy, whose set-up costs more than
            // the copy at these lengths: room of a constant size is appended, then cut back.
            let start = buf.len();
            buf.extend_from_slice(&[0; RUN_ITEM]);
            let used = match buf[start..].first_chunk_mut() {
                Some(room) => put_short_memoized(room, op::SHORT_BINUNICODE, data),
                None => 0,
            };
            buf.truncate(start + used);
        } else {
            buf.reserve(data.len() + 3);
            buf.extend_from_slice(&[op::SHORT_BINUNICODE, data.len() as u8]);
            buf.extend_from_slice(data);
            buf.push(op::MEMOIZE);
        }
        let idx = self.memo_len;
        self.memo_len = idx.wrapping_add(1);
        idx
    }

    /// Record the object just written in the memo; returns its index.
    #[inline(always)]
    pub(crate) fn memo_put(&mut self) -> u32 {
        let idx = self.memo_len;
        self.memo_len = self.memo_len.wrapping_add(1);
        if self.proto >= 4 {
            self.op(op::MEMOIZE);
        } else {
            self.memo_put_before_4(idx);
        }
        idx
    }

    /// BINPUT, LONG_BINPUT, or protocol 0's PUT: out of line, so the protocol 4+ path stays
    /// small enough to inline wherever an object is memoized.
    #[inline(never)]
    fn memo_put_before_4(&mut self, idx: u32) {
        if self.proto >= 1 {
            let (bytes, len) = self.memo_put_bytes(idx);
            self.write(&bytes[..len]);
        } else {
            self.write(format!("p{idx}\n").as_bytes());
        }
    }

    #[inline(always)]
    pub(crate) fn memo_get(&mut self, idx: u32) {
        if self.proto >= 1 {
            if idx < 256 {
                self.write(&[op::BINGET, idx as u8]);
            } else {
                let b = idx.to_le_bytes();
                self.write(&[op::LONG_BINGET, b[0], b[1], b[2], b[3]]);
            }
        } else {
            self.text_op('g', idx);
        }
    }

    /// Protocol 0's text form of an opcode with a decimal argument (GET `g12\n`, INT
    /// `I12\n`): out of line, as every text path is, so the binary ones stay small.
    #[cold]
    #[inline(never)]
    fn text_op(&mut self, code: char, n: impl std::fmt::Display) {
        self.write(format!("{code}{n}\n").as_bytes());
    }

    /// A bool: NEWTRUE/NEWFALSE from protocol 2, INT `01`/`00` before.
    #[inline]
    pub(crate) fn bool(&mut self, b: bool) {
        if self.proto >= 2 {
            self.op(if b { op::NEWTRUE } else { op::NEWFALSE });
        } else {
            self.write(if b { b"I01\n" } else { b"I00\n" });
        }
    }

    /// An int, with the opcode CPython picks for its size and the protocol.
    #[inline(always)]
    pub(crate) fn int(&mut self, i: i64) {
        match i32::try_from(i) {
            Ok(small) if self.proto >= 1 => {
                self.open_frame();
                push_binint(&mut self.buf, small)
            }
            Ok(small) => self.text_op('I', small),
            Err(_) => self.long_le(&i.to_le_bytes(), i),
        }
    }

    /// An int past 32 bits and under 256 bytes: LONG1 with minimal two's-complement bytes
    /// (protocol 2+), else the text LONG form. `le` holds the value's little-endian two's
    /// complement, `n` prints it in decimal.
    #[inline(never)]
    pub(crate) fn long_le(&mut self, le: &[u8], n: impl std::fmt::Display) {
        if self.proto >= 2 {
            self.open_frame();
            push_long1(&mut self.buf, le);
        } else {
            self.write(format!("L{n}L\n").as_bytes());
        }
    }

    /// A float: BINFLOAT from protocol 1, its repr as FLOAT text before.
    #[inline(always)]
    pub(crate) fn float(&mut self, f: f64) {
        if self.proto >= 1 {
            self.open_frame();
            push_binfloat(&mut self.buf, f);
        } else {
            self.text_op('F', super::float_repr(f));
        }
    }

    /// Start holding; returns the position where a MARK may later be inserted.
    pub(crate) fn hold(&mut self) -> usize {
        self.hold += 1;
        self.set_limit();
        self.buf.len()
    }

    /// Stop holding, inserting a MARK at `pos` first when asked.
    pub(crate) fn release(&mut self, pos: usize, mark: bool) {
        if mark {
            self.buf.insert(pos, op::MARK);
        }
        self.hold -= 1;
        self.set_limit();
    }
}

/// A run of values written into zeroed room with a local index (see [`Out::run`]): no length
/// stored to the vector and read back per write, the chain that bounds pushing one at a time.
pub(crate) struct Run<'b> {
    dst: &'b mut [u8],
    at: usize,
    memo_len: u32,
}

/// The most bytes one value of a [`Run`] takes: a str of [`SHORT_COPY`] bytes with its opcode,
/// length and MEMOIZE (a scalar or a memo fetch takes less).
pub(crate) const RUN_ITEM: usize = SHORT_COPY + 3;

impl Run<'_> {
    /// The next [`RUN_ITEM`] bytes of room; `None` once the run's room is used up.
    #[inline(always)]
    fn slot(&mut self) -> Option<&mut [u8; RUN_ITEM]> {
        self.dst.get_mut(self.at..)?.first_chunk_mut()
    }

    /// A scalar in its protocol 2+ form; `false` (nothing written) for a reference, or when
    /// the room is used up.
    #[inline(always)]
    pub(crate) fn scalar(&mut self, v: Value) -> bool {
        let Some(slot) = self.slot() else { return false };
        let used = put_bin_scalar(slot, v);
        self.at += used;
        used > 0
    }

    /// BINGET or LONG_BINGET; `false` (nothing written) when the room is used up.
    #[inline(always)]
    pub(crate) fn memo_get(&mut self, idx: u32) -> bool {
        let Some(slot) = self.slot() else { return false };
        let b = idx.to_le_bytes();
        self.at += if idx < 256 {
            slot[..2].copy_from_slice(&[op::BINGET, b[0]]);
            2
        } else {
            slot[..5].copy_from_slice(&[op::LONG_BINGET, b[0], b[1], b[2], b[3]]);
            5
        };
        true
    }

    /// `code` (SHORT_BINUNICODE or SHORT_BINBYTES) with `data` (under 256 bytes) and MEMOIZE;
    /// `false` (nothing written) when the room is used up.
    #[inline(always)]
    pub(crate) fn short_memoized(&mut self, code: u8, data: &[u8]) -> bool {
        debug_assert!(data.len() < 256);
        if data.len() <= SHORT_COPY {
            let Some(slot) = self.slot() else { return false };
            self.at += put_short_memoized(slot, code, data);
        } else {
            // The room and position go by value, so the run does not leave registers.
            match put_longer_memoized(self.dst.get_mut(self.at..).unwrap_or_default(), code, data) {
                0 => return false,
                used => self.at += used,
            }
        }
        self.memo_len = self.memo_len.wrapping_add(1);
        true
    }

    /// A few opcodes without arguments (at most [`RUN_ITEM`] bytes); `false` (nothing written)
    /// when the room is used up.
    #[inline(always)]
    pub(crate) fn ops(&mut self, codes: &[u8]) -> bool {
        let Some(slot) = self.slot() else { return false };
        let n = codes.len().min(RUN_ITEM);
        slot[..n].copy_from_slice(&codes[..n]);
        self.at += n;
        true
    }

    /// `code` (an opcode making an object), MEMOIZE, then the opcodes `then` (at most a few);
    /// `false` (nothing written) when the room is used up.
    #[inline(always)]
    pub(crate) fn memoized(&mut self, code: u8, then: &[u8]) -> bool {
        let Some(slot) = self.slot() else { return false };
        let n = then.len().min(RUN_ITEM - 2);
        slot[0] = code;
        slot[1] = op::MEMOIZE;
        slot[2..2 + n].copy_from_slice(&then[..n]);
        self.at += 2 + n;
        self.memo_len = self.memo_len.wrapping_add(1);
        true
    }

    /// The memo index the next MEMOIZE gives.
    #[inline(always)]
    pub(crate) fn next_memo(&self) -> u32 {
        self.memo_len
    }

    /// The room left past where the run stands.
    #[inline(always)]
    pub(crate) fn left(&self) -> usize {
        self.dst.len().saturating_sub(self.at)
    }

    /// Where the run stands, for [`Run::seek`].
    #[inline(always)]
    pub(crate) fn mark(&self) -> RunMark {
        RunMark { at: self.at as u32, memo_len: self.memo_len }
    }

    /// Go to `mark`: on to where a borrowed run (see [`Run::reborrow`]) ended, or back to
    /// before what is to be forgotten (what follows overwrites it, and the run's end cuts
    /// whatever is left past the last write).
    #[inline(always)]
    pub(crate) fn seek(&mut self, mark: RunMark) {
        self.at = mark.at as usize;
        self.memo_len = mark.memo_len;
    }

    /// The same room and position, borrowed: what is written through it counts once
    /// [`Run::seek`] is given where it ended.
    #[inline(always)]
    pub(crate) fn reborrow(&mut self) -> Run<'_> {
        Run { dst: &mut *self.dst, at: self.at, memo_len: self.memo_len }
    }
}

/// A position in a [`Run`], small enough to be returned in registers (a run's room is at most
/// a few KiB).
#[derive(Clone, Copy)]
pub(crate) struct RunMark {
    at: u32,
    memo_len: u32,
}

impl<S: Sink> Out<S> {
    /// Values written by `write` as one [`Run`], in protocol 4+, in `bytes` of room (which the
    /// caller has checked [`Out::room`] holds, so no boundary could act between them).
    #[inline(always)]
    pub(crate) fn run<R>(&mut self, bytes: usize, write: impl FnOnce(&mut Run<'_>) -> R) -> R {
        debug_assert!(self.proto >= 4 && bytes <= self.room());
        self.open_frame();
        let start = self.buf.len();
        self.buf.resize(start + bytes, 0);
        let mut run = Run { dst: &mut self.buf[start..start + bytes], at: 0, memo_len: self.memo_len };
        let r = write(&mut run);
        let (used, memo_len) = (run.at, run.memo_len);
        self.buf.truncate(start + used);
        self.memo_len = memo_len;
        r
    }
}

/// Payloads up to this long are copied by [`copy_short`].
pub(crate) const SHORT_COPY: usize = 32;

/// `src` (at most [`SHORT_COPY`] bytes) copied to the start of `dst` (at least that long) with
/// two moves of a fixed size, overlapping in the middle.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n >= 16 {
        dst[..16].copy_from_slice(&src[..16]);
        dst[n - 16..n].copy_from_slice(&src[n - 16..]);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..n].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..n].copy_from_slice(&src[n - 4..]);
    } else if n > 0 {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

/// Runs of scalars up to this long are pushed one by one (see [`Out::scalars`]): zeroing room
/// for a run costs more than that below about this length (measured: 10 ints pushed are 3 %
/// faster, 20 ints written four at a time 7 % faster).
const SHORT_RUN: usize = 16;

/// Scalars of `run` in their protocol 2+ forms pushed onto `buf`, up to the first reference;
/// returns how many.
fn push_bin_scalars(buf: &mut Vec<u8>, run: &[Value]) -> usize {
    buf.reserve(run.len() * MAX_BIN_SCALAR);
    for (n, &v) in run.iter().enumerate() {
        if !push_bin_scalar(buf, v) {
            return n;
        }
    }
    run.len()
}

/// A scalar in its protocol 2+ form pushed onto `buf`; `false` (nothing pushed) for a reference.
#[inline(always)]
fn push_bin_scalar(buf: &mut Vec<u8>, v: Value) -> bool {
    match v {
        Value::Int(i) => match i32::try_from(i) {
            Ok(small) => push_binint(buf, small),
            Err(_) => push_long1(buf, &i.to_le_bytes()),
        },
        Value::Float(f) => push_binfloat(buf, f),
        Value::None => buf.push(op::NONE),
        Value::Bool(b) => buf.push(if b { op::NEWTRUE } else { op::NEWFALSE }),
        Value::Ref(_) => return false,
    }
    true
}

/// As [`put_short_memoized`], for a payload of more than [`SHORT_COPY`] bytes (and under 256),
/// copied; returns 0 (nothing written) when `room` cannot hold it.
#[inline(never)]
fn put_longer_memoized(room: &mut [u8], code: u8, data: &[u8]) -> usize {
    let n = data.len().min(255);
    let Some(dst) = room.get_mut(..n + 3) else { return 0 };
    dst[0] = code;
    dst[1] = n as u8;
    dst[2..n + 2].copy_from_slice(&data[..n]);
    dst[n + 2] = op::MEMOIZE;
    n + 3
}

/// `code` (SHORT_BINUNICODE or SHORT_BINBYTES) with `data` (at most [`SHORT_COPY`] bytes) and
/// MEMOIZE at the start of `slot`, with fixed-size moves; returns their length.
#[inline(always)]
fn put_short_memoized(slot: &mut [u8; RUN_ITEM], code: u8, data: &[u8]) -> usize {
    let n = data.len().min(SHORT_COPY);
    slot[0] = code;
    slot[1] = n as u8;
    copy_short(&mut slot[2..], &data[..n]);
    slot[n + 2] = op::MEMOIZE;
    n + 3
}

/// A scalar in its protocol 2+ form at the start of `slot` (at least [`MAX_BIN_SCALAR`]
/// bytes); returns its length, 0 (nothing written) for a reference.
#[inline(always)]
fn put_bin_scalar(slot: &mut [u8], v: Value) -> usize {
    match v {
        Value::Int(i) => match i32::try_from(i) {
            Ok(small) => put_binint(slot, small),
            Err(_) => put_long1(slot, &i.to_le_bytes()),
        },
        Value::Float(f) => {
            slot[0] = op::BINFLOAT;
            slot[1..9].copy_from_slice(&f.to_be_bytes());
            9
        }
        Value::None => {
            slot[0] = op::NONE;
            1
        }
        Value::Bool(b) => {
            slot[0] = if b { op::NEWTRUE } else { op::NEWFALSE };
            1
        }
        Value::Ref(_) => 0,
    }
}

/// Scalars of `run` in their protocol 2+ forms into `dst`, which holds [`MAX_BIN_SCALAR`] bytes
/// for each, up to the first reference; returns how many were written and their length.
fn write_bin_scalars(dst: &mut [u8], run: &[Value]) -> (usize, usize) {
    let (mut n, mut at) = (0, 0);
    loop {
        // Long runs of one kind go four at a time: one taken branch per four items instead of
        // a dispatch per item, which is what bounds this loop.
        let (k, used) = match run.get(n) {
            Some(Value::Float(_)) => float_quads(&mut dst[at..], &run[n..]),
            Some(Value::Int(_)) => int_quads(&mut dst[at..], &run[n..]),
            _ => (0, 0),
        };
        n += k;
        at += used;
        // Then one item the quads did not take: a short tail, another kind, or a long int.
        let Some(&v) = run.get(n) else { return (n, at) };
        let Some(slot) = dst.get_mut(at..at + MAX_BIN_SCALAR) else { return (n, at) };
        match put_bin_scalar(slot, v) {
            0 => return (n, at),
            used => at += used,
        }
        n += 1;
    }
}

/// BINFLOATs for the floats at the start of `run`, four at a time (9 bytes each, so `dst`
/// needs no more than [`MAX_BIN_SCALAR`] per item); returns how many and their length.
#[inline(always)]
fn float_quads(dst: &mut [u8], run: &[Value]) -> (usize, usize) {
    let mut k = 0;
    for (quad, out) in run.chunks_exact(4).zip(dst.chunks_exact_mut(36)) {
        let [Value::Float(a), Value::Float(b), Value::Float(c), Value::Float(d)] = *quad else { break };
        for (slot, f) in out.chunks_exact_mut(9).zip([a, b, c, d]) {
            slot[0] = op::BINFLOAT;
            slot[1..].copy_from_slice(&f.to_be_bytes());
        }
        k += 4;
    }
    (k, k * 9)
}

/// BININT1/BININT2/BININTs for the ints of 32 bits at the start of `run`, four at a time;
/// returns how many and their length. Out of line: inlined into `write_bin_scalars`, the
/// loop's four values and their bounds left too few registers for the caller's state, which
/// was moved around every quad (a million ints took 7 % more instructions).
#[inline(never)]
fn int_quads(dst: &mut [u8], run: &[Value]) -> (usize, usize) {
    // An int fits 32 bits when, moved up by 2^31, it fits 32 unsigned bits.
    let biased = |i: i64| (i as u64).wrapping_add(1 << 31);
    let (mut k, mut at) = (0, 0);
    for quad in run.chunks_exact(4) {
        let [Value::Int(a), Value::Int(b), Value::Int(c), Value::Int(d)] = *quad else { break };
        if (biased(a) | biased(b) | biased(c) | biased(d)) >> 32 != 0 {
            break;
        }
        // Four items take at most 20 bytes; the caller's room holds `MAX_BIN_SCALAR` (10) per
        // item left, so 40 here.
        let Some(out) = dst.get_mut(at..).and_then(|rest| rest.first_chunk_mut::<20>()) else { break };
        // The commonest quads, four of one width, are written at fixed offsets with no branch
        // per item: all past 16 bits (negatives included, as unsigned they are large) or all
        // within 8 bits.
        let (a32, b32, c32, d32) = (a as u32, b as u32, c as u32, d as u32);
        if a32.min(b32).min(c32.min(d32)) > 0xffff {
            for (slot, i) in out.chunks_exact_mut(5).zip([a32, b32, c32, d32]) {
                slot[0] = op::BININT;
                slot[1..].copy_from_slice(&i.to_le_bytes());
            }
            at += 20;
            k += 4;
            continue;
        }
        if a32.max(b32).max(c32.max(d32)) <= 0xff {
            for (slot, i) in out.chunks_exact_mut(2).zip([a32, b32, c32, d32]) {
                slot[0] = op::BININT1;
                slot[1] = i as u8;
            }
            at += 8;
            k += 4;
            continue;
        }
        let mut o = 0;
        for i in [a, b, c, d] {
            // `o` is at most 15 here (three items of 5 bytes); the mask says so to the compiler.
            let o15 = o & 15;
            o += put_binint(&mut out[o15..o15 + 5], i as i32);
        }
        at += o;
        k += 4;
    }
    (k, at)
}

/// [`push_binint`] into a slot of [`MAX_BIN_SCALAR`] bytes; returns the length.
#[inline(always)]
fn put_binint(slot: &mut [u8], small: i32) -> usize {
    let b = small.to_le_bytes();
    if (0..=0xff).contains(&small) {
        slot[..2].copy_from_slice(&[op::BININT1, b[0]]);
        2
    } else if (0..=0xffff).contains(&small) {
        slot[..3].copy_from_slice(&[op::BININT2, b[0], b[1]]);
        3
    } else {
        slot[..5].copy_from_slice(&[op::BININT, b[0], b[1], b[2], b[3]]);
        5
    }
}

/// [`push_long1`] into a slot of [`MAX_BIN_SCALAR`] bytes; returns the length.
fn put_long1(slot: &mut [u8], le: &[u8; 8]) -> usize {
    let len = long1_len(le);
    slot[0] = op::LONG1;
    slot[1] = len as u8;
    slot[2..2 + len].copy_from_slice(&le[..len]);
    2 + len
}

/// BININT1, BININT2 or BININT: the shortest CPython picks for an int that fits 32 bits.
#[inline(always)]
fn push_binint(buf: &mut Vec<u8>, small: i32) {
    if (0..=0xff).contains(&small) {
        buf.extend_from_slice(&[op::BININT1, small as u8]);
    } else if (0..=0xffff).contains(&small) {
        let b = (small as u16).to_le_bytes();
        buf.extend_from_slice(&[op::BININT2, b[0], b[1]]);
    } else {
        let b = small.to_le_bytes();
        buf.extend_from_slice(&[op::BININT, b[0], b[1], b[2], b[3]]);
    }
}

/// LONG1 with the fewest two's-complement bytes of `le` (little-endian).
fn push_long1(buf: &mut Vec<u8>, le: &[u8]) {
    let len = long1_len(le);
    buf.extend_from_slice(&[op::LONG1, len as u8]);
    buf.extend_from_slice(&le[..len]);
}

/// How many bytes of `le` (little-endian two's complement) LONG1 keeps: the fewest that hold
/// the value, and none for zero.
fn long1_len(le: &[u8]) -> usize {
    let mut len = le.len();
    while len > 1 {
        let (last, prev) = (le[len - 1], le[len - 2]);
        if (last == 0 && prev & 0x80 == 0) || (last == 0xff && prev & 0x80 != 0) {
            len -= 1;
        } else {
            break;
        }
    }
    if len == 1 && le[0] == 0 {
        len = 0;
    }
    len
}

#[inline(always)]
fn push_binfloat(buf: &mut Vec<u8>, f: f64) {
    let b = f.to_be_bytes();
    buf.extend_from_slice(&[op::BINFLOAT, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
}

/// Protocol 0's UNICODE text: raw-unicode-escape, plus escapes for `\`, NUL, `\n`, `\r`, `\x1a`.
pub(crate) fn raw_unicode_escape(code_points: impl Iterator<Item = u32>, out: &mut Vec<u8>) {
    use std::io::Write as _;
    for cp in code_points {
        if cp >= 0x10000 {
            let _ = write!(out, "\\U{cp:08x}");
        } else if cp >= 256 || matches!(cp, 0x5c | 0 | 0x0a | 0x0d | 0x1a) {
            let _ = write!(out, "\\u{cp:04x}");
        } else {
            out.push(cp as u8);
        }
    }
}

/// Scalars each written in one or two bytes: None, bools and ints from 0 to 255 (NONE,
/// NEWTRUE/NEWFALSE, BININT1 and a byte). Containers of them are common (flags, counts,
/// small ids, `dict.fromkeys`) and are written with no room check per item.
#[derive(Clone, Copy)]
struct Tiny {
    /// Any None or bool (not only ints).
    ops: bool,
}

impl Tiny {
    /// Whether all of `run` are tiny scalars (stops at the first that is not).
    #[inline(always)]
    fn of(run: &[Value]) -> Option<Tiny> {
        let mut t = Tiny { ops: false };
        run.iter().all(|&v| t.add(v)).then_some(t)
    }

    /// Count `v` in; false when it is not tiny. The same test as [`tiny`], written with the
    /// int first so that it compiles to a compare and a branch: a `match` here became a jump
    /// table (11 instructions an item against 7).
    #[inline(always)]
    fn add(&mut self, v: Value) -> bool {
        if let Value::Int(i) = v {
            return i as u64 <= 0xff;
        }
        self.ops = true;
        matches!(v, Value::None | Value::Bool(_))
    }

    #[inline(always)]
    fn ints_only(self) -> bool {
        !self.ops
    }
}

/// A tiny scalar's opcode and byte (little-endian) and how many of the two it takes; `None`
/// when `v` is not tiny.
#[inline(always)]
fn tiny(v: Value) -> Option<(u16, usize)> {
    match v {
        Value::Int(i) if i as u64 <= 0xff => Some((u16::from(op::BININT1) | (i as u16) << 8, 2)),
        Value::Bool(b) => Some((u16::from(if b { op::NEWTRUE } else { op::NEWFALSE }), 1)),
        Value::None => Some((u16::from(op::NONE), 1)),
        _ => None,
    }
}

/// A tiny scalar written at `at` in `dst`; returns where the next goes (`at` itself when
/// `dst` has not two bytes left there). Callers have checked that `v` is tiny.
#[inline(always)]
fn put_tiny(dst: &mut [u8], at: usize, v: Value) -> usize {
    let Some(slot) = dst.get_mut(at..).and_then(|rest| rest.first_chunk_mut::<2>()) else { return at };
    let (word, n) = tiny(v).unwrap_or((u16::from(op::NONE), 1));
    *slot = word.to_le_bytes();
    at + n
}

/// An opcode and the length of the payload after it, built on the stack (one per str or bytes
/// written, so no allocation).
pub(crate) struct SizedOp {
    buf: [u8; 9],
    len: u8,
}

impl SizedOp {
    /// `short` with a one-byte length below 256 (when there is one), `long` with four bytes up
    /// to 4 GiB, `long8` (when there is one) with eight beyond; `None` when `n` fits none.
    #[inline]
    pub(crate) fn pick(n: usize, short: Option<u8>, long: u8, long8: Option<u8>) -> Option<SizedOp> {
        match (short, u32::try_from(n), long8) {
            (Some(op), _, _) if n < 256 => Some(SizedOp::with(op, &[n as u8])),
            (_, Ok(n), _) => Some(SizedOp::with(long, &n.to_le_bytes())),
            (_, Err(_), Some(op)) => Some(SizedOp::eight(op, n)),
            _ => None,
        }
    }

    /// `op` with an eight-byte length.
    #[inline]
    pub(crate) fn eight(op: u8, n: usize) -> SizedOp {
        SizedOp::with(op, &(n as u64).to_le_bytes())
    }

    #[inline]
    fn with(op: u8, len: &[u8]) -> SizedOp {
        let mut buf = [0u8; 9];
        buf[0] = op;
        buf[1..=len.len()].copy_from_slice(len);
        SizedOp { buf, len: 1 + len.len() as u8 }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
}
