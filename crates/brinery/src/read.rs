//! Byte sources for the unpickler: a zero-copy slice reader and a buffered `std::io::Read`
//! reader. Neither allocates a length read from the input before the bytes exist.

use crate::error::{ErrorKind, Result};
use std::io;

/// Bytes handed from a reader to a builder: borrowed from the input for its whole life,
/// borrowed from the reader's buffer until the next read, or owned.
#[derive(Debug)]
pub enum Chunk<'de, 's> {
    /// Borrowed from the input (slice reader).
    Borrowed(&'de [u8]),
    /// Borrowed from the reader's buffer until the next read.
    Transient(&'s [u8]),
    /// Owned (large payloads from a stream).
    Owned(Vec<u8>),
}

impl Chunk<'_, '_> {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Chunk::Borrowed(b) => b,
            Chunk::Transient(b) => b,
            Chunk::Owned(v) => v,
        }
    }

    /// The bytes as an owned vector (no copy when already owned).
    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Chunk::Borrowed(b) => b.to_vec(),
            Chunk::Transient(b) => b.to_vec(),
            Chunk::Owned(v) => v,
        }
    }
}

/// A source of pickle bytes.
pub trait Read<'de> {
    /// Bytes consumed so far.
    fn offset(&self) -> u64;
    /// The next byte, or `None` at end of input.
    fn byte(&mut self) -> Result<Option<u8>>;
    /// Exactly `n` bytes, or [`ErrorKind::Truncated`].
    fn take<'s>(&'s mut self, n: u64) -> Result<Chunk<'de, 's>>;
    /// The bytes up to a newline (which is consumed, not returned).
    fn line<'s>(&'s mut self) -> Result<Chunk<'de, 's>>;
    /// Check that `n` more bytes exist (FRAME), reading ahead if needed.
    fn require(&mut self, n: u64) -> Result<()>;

    /// The bytes at hand past the current position without another read (all the rest, for a
    /// slice), for a loop that takes many short opcodes at once; empty for a reader that does
    /// not show them. Consumed with [`Read::skip_ahead`].
    #[inline(always)]
    fn ahead(&self) -> &[u8] {
        &[]
    }

    /// Consume the first `n` bytes of [`Read::ahead`].
    #[inline(always)]
    fn skip_ahead(&mut self, n: usize) {
        debug_assert_eq!(n, 0, "skip_ahead past what ahead showed");
    }

    /// A fixed-size array.
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let chunk = self.take(N as u64)?;
        let mut out = [0u8; N];
        out.copy_from_slice(chunk.as_slice());
        Ok(out)
    }
}

/// Reads from a byte slice; payloads are borrowed from it.
pub struct SliceRead<'de> {
    data: &'de [u8],
    pos: usize,
}

impl<'de> SliceRead<'de> {
    /// Read from the start of `data`.
    pub fn new(data: &'de [u8]) -> Self {
        SliceRead { data, pos: 0 }
    }

    /// The unread rest.
    pub fn rest(&self) -> &'de [u8] {
        &self.data[self.pos..]
    }
}

impl<'de> Read<'de> for SliceRead<'de> {
    #[inline]
    fn offset(&self) -> u64 {
        self.pos as u64
    }

    #[inline]
    fn byte(&mut self) -> Result<Option<u8>> {
        let b = self.data.get(self.pos).copied();
        self.pos += b.is_some() as usize;
        Ok(b)
    }

    #[inline]
    fn take<'s>(&'s mut self, n: u64) -> Result<Chunk<'de, 's>> {
        let rest = self.data.len() - self.pos;
        if n > rest as u64 {
            return Err(ErrorKind::Truncated.into());
        }
        let start = self.pos;
        self.pos += n as usize;
        Ok(Chunk::Borrowed(&self.data[start..self.pos]))
    }

    fn line<'s>(&'s mut self) -> Result<Chunk<'de, 's>> {
        let rest = &self.data[self.pos..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.pos += i + 1;
                Ok(Chunk::Borrowed(&rest[..i]))
            }
            None => Err(ErrorKind::Truncated.into()),
        }
    }

    fn require(&mut self, n: u64) -> Result<()> {
        if n > (self.data.len() - self.pos) as u64 {
            return Err(ErrorKind::Truncated.into());
        }
        Ok(())
    }

    #[inline(always)]
    fn ahead(&self) -> &[u8] {
        self.data.get(self.pos..).unwrap_or_default()
    }

    #[inline(always)]
    fn skip_ahead(&mut self, n: usize) {
        self.pos += n.min(self.data.len() - self.pos);
    }

    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        match self.data.get(self.pos..self.pos + N) {
            Some(bytes) => {
                self.pos += N;
                let mut out = [0u8; N];
                out.copy_from_slice(bytes);
                Ok(out)
            }
            None => Err(truncated()),
        }
    }
}

#[cold]
#[inline(never)]
fn truncated() -> crate::Error {
    ErrorKind::Truncated.into()
}

/// Payloads at least this large are read straight into their own vector.
const DIRECT_READ: u64 = 1 << 16;
const FILL: usize = 1 << 16;

/// Reads from any [`io::Read`] through its own buffer.
pub struct IoRead<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    /// Offset of `buf[0]` in the stream.
    base: u64,
    eof: bool,
}

impl<R: io::Read> IoRead<R> {
    /// Wrap a reader. It need not be buffered.
    pub fn new(inner: R) -> Self {
        IoRead { inner, buf: Vec::new(), pos: 0, base: 0, eof: false }
    }

    fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Read more into the buffer; false at end of input.
    fn fill(&mut self, want: usize) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 && self.pos == self.buf.len() {
            self.base += self.pos as u64;
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > FILL {
            self.base += self.pos as u64;
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let start = self.buf.len();
        let grow = want.max(FILL);
        self.buf.resize(start + grow, 0);
        let n = loop {
            match self.inner.read(&mut self.buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(start);
                    return Err(e.into());
                }
            }
        };
        self.buf.truncate(start + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }
}

impl<'de, R: io::Read> Read<'de> for IoRead<R> {
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    #[inline]
    fn byte(&mut self) -> Result<Option<u8>> {
        if self.pos == self.buf.len() && !self.fill(1)? {
            return Ok(None);
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        Ok(Some(b))
    }

    fn take<'s>(&'s mut self, n: u64) -> Result<Chunk<'de, 's>> {
        if n >= DIRECT_READ && n > self.buffered() as u64 {
            // Large payload: move what is buffered, then read the rest straight in, reserving
            // at most as much again as has already arrived (and at least 1 MiB) each step. A
            // lying length costs no more than twice the real input, and a true one ends with
            // the exact capacity, not a doubled one.
            let mut out = self.buf[self.pos..].to_vec();
            self.pos = self.buf.len();
            let mut rest = n - out.len() as u64;
            while rest > 0 {
                let step = rest.min((out.len() as u64).max(1 << 20));
                out.reserve_exact(step as usize);
                let got = io::Read::read_to_end(&mut io::Read::take(&mut self.inner, step), &mut out)? as u64;
                self.base += got;
                rest -= got;
                if got < step {
                    self.eof = true;
                    return Err(ErrorKind::Truncated.into());
                }
            }
            return Ok(Chunk::Owned(out));
        }
        let n = n as usize;
        while self.buffered() < n {
            let want = n - self.buffered();
            if !self.fill(want)? {
                return Err(ErrorKind::Truncated.into());
            }
        }
        let start = self.pos;
        self.pos += n;
        Ok(Chunk::Transient(&self.buf[start..start + n]))
    }

    fn line<'s>(&'s mut self) -> Result<Chunk<'de, 's>> {
        let mut scanned = 0;
        loop {
            if let Some(i) = self.buf[self.pos + scanned..].iter().position(|&b| b == b'\n') {
                let start = self.pos;
                let end = start + scanned + i;
                self.pos = end + 1;
                return Ok(Chunk::Transient(&self.buf[start..end]));
            }
            scanned = self.buffered();
            if !self.fill(FILL)? {
                return Err(ErrorKind::Truncated.into());
            }
        }
    }

    fn require(&mut self, n: u64) -> Result<()> {
        // Read ahead in bounded steps; memory follows the bytes that really arrive.
        while (self.buffered() as u64) < n {
            let want = (n - self.buffered() as u64).min(1 << 24) as usize;
            if !self.fill(want)? {
                return Err(ErrorKind::Truncated.into());
            }
        }
        Ok(())
    }

    #[inline(always)]
    fn ahead(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    #[inline(always)]
    fn skip_ahead(&mut self, n: usize) {
        self.pos += n.min(self.buf.len() - self.pos);
    }
}
