//! The emitter: writes opcodes with the memo and framing rules of one protocol, exactly as
//! CPython's C pickler does. Every pickler drives it.

use crate::error::Result;
use crate::opcodes::op;
use std::io::Write;

/// CPython's frame size target: a frame is closed at the first opcode boundary past it.
pub(crate) const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// Frames shorter than this are not worth their 9-byte header and are left unframed.
const FRAME_SIZE_MIN: usize = 4;
const FRAME_HEADER: usize = 9;
/// Buffered output beyond this is handed to the writer (outside an open frame).
const FLUSH_AT: usize = 1 << 20;

pub(crate) struct Emitter<W: Write> {
    out: W,
    pub(crate) proto: u8,
    buf: Vec<u8>,
    framing: bool,
    frame_start: Option<usize>,
    memo_len: u32,
}

impl<W: Write> Emitter<W> {
    pub(crate) fn new(out: W, proto: u8) -> Self {
        Emitter { out, proto, buf: Vec::with_capacity(1 << 12), framing: false, frame_start: None, memo_len: 0 }
    }

    /// PROTO, then framing from protocol 4 on.
    pub(crate) fn start(&mut self) {
        if self.proto >= 2 {
            self.write(&[op::PROTO, self.proto]);
        }
        self.framing = self.proto >= 4;
    }

    /// STOP, close the last frame, flush.
    pub(crate) fn finish(mut self) -> Result<W> {
        self.write(&[op::STOP]);
        self.commit_frame();
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(self.out)
    }

    #[inline]
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        if self.framing && self.frame_start.is_none() {
            self.frame_start = Some(self.buf.len());
            self.buf.extend_from_slice(&[0; FRAME_HEADER]);
        }
        self.buf.extend_from_slice(bytes);
    }

    #[inline]
    pub(crate) fn op(&mut self, code: u8) {
        self.write(&[code]);
    }

    fn commit_frame(&mut self) {
        let Some(start) = self.frame_start.take() else { return };
        let len = self.buf.len() - start - FRAME_HEADER;
        if len >= FRAME_SIZE_MIN {
            self.buf[start] = op::FRAME;
            self.buf[start + 1..start + FRAME_HEADER].copy_from_slice(&(len as u64).to_le_bytes());
        } else {
            self.buf.drain(start..start + FRAME_HEADER);
        }
    }

    fn flush_buf(&mut self) -> Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Called before each object is saved: close a frame that has reached the target size.
    #[inline]
    pub(crate) fn boundary(&mut self) -> Result<()> {
        if let Some(start) = self.frame_start {
            if self.buf.len() - start - FRAME_HEADER >= FRAME_SIZE_TARGET {
                self.commit_frame();
                self.flush_buf()?;
            }
        } else if !self.framing && self.buf.len() >= FLUSH_AT {
            self.flush_buf()?;
        }
        Ok(())
    }

    /// A header and a payload; payloads of a frame's size or more go outside frames, straight
    /// to the writer, without being copied into the buffer.
    pub(crate) fn write_payload(&mut self, header: &[u8], data: &[u8]) -> Result<()> {
        if data.len() < FRAME_SIZE_TARGET {
            self.write(header);
            self.write(data);
            return Ok(());
        }
        self.commit_frame();
        let framing = std::mem::replace(&mut self.framing, false);
        self.write(header);
        self.flush_buf()?;
        self.out.write_all(data)?;
        self.framing = framing;
        Ok(())
    }

    /// Record the object just written in the memo; returns its index.
    pub(crate) fn memo_put(&mut self) -> u32 {
        let idx = self.memo_len;
        self.memo_len += 1;
        if self.proto >= 4 {
            self.op(op::MEMOIZE);
        } else if self.proto >= 1 {
            if idx < 256 {
                self.write(&[op::BINPUT, idx as u8]);
            } else {
                let b = idx.to_le_bytes();
                self.write(&[op::LONG_BINPUT, b[0], b[1], b[2], b[3]]);
            }
        } else {
            self.write(format!("p{idx}\n").as_bytes());
        }
        idx
    }

    pub(crate) fn memo_get(&mut self, idx: u32) {
        if self.proto >= 1 {
            if idx < 256 {
                self.write(&[op::BINGET, idx as u8]);
            } else {
                let b = idx.to_le_bytes();
                self.write(&[op::LONG_BINGET, b[0], b[1], b[2], b[3]]);
            }
        } else {
            self.write(format!("g{idx}\n").as_bytes());
        }
    }
}
