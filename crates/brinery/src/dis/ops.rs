//! The opcode iterator: pickletools' `genops` and its argument readers, driven by the opcode
//! table.

use super::pytext::{self, PyInt};
use crate::error::{Error, ErrorKind, Result};
use crate::opcodes::{lookup, Arg, OpInfo};
use crate::pretty::{repr_bytes, repr_str};
use crate::value::PyStr;
use num_bigint::BigInt;
use std::io::{self, BufRead};

/// An opcode's decoded argument: the Python value pickletools' reader returns for it.
///
/// ```
/// use brinery::dis::{ops, ArgValue};
/// let op = ops(b"I01\n.").next().unwrap().unwrap();
/// assert_eq!(op.arg, ArgValue::Bool(true)); // INT's "01" is True
/// assert_eq!(op.arg.repr().unwrap(), "True");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum ArgValue {
    /// The opcode takes no argument.
    None,
    /// An int (every integer kind, and text ints that fit in an `i128`).
    Int(i128),
    /// An int too large for an `i128` (decimal text, LONG1, LONG4).
    BigInt(BigInt),
    /// INT's `00` and `01`.
    Bool(bool),
    /// A str: text arguments as pickletools decodes them (STRING and PERSID through
    /// `escape_decode` and ASCII, BINSTRING as latin-1, the unicode kinds as UTF-8).
    Str(PyStr),
    /// A bytes payload.
    Bytes(Vec<u8>),
    /// A bytearray payload (BYTEARRAY8).
    ByteArray(Vec<u8>),
    /// A float.
    Float(f64),
}

impl ArgValue {
    fn from_int(n: PyInt) -> ArgValue {
        match n {
            PyInt::Small(v) => ArgValue::Int(v),
            PyInt::Big(b) => ArgValue::BigInt(b),
        }
    }

    /// The int value (for bools too, as Python's `False == 0`), if this is an int.
    ///
    /// ```
    /// use brinery::dis::ArgValue;
    /// assert_eq!(ArgValue::Bool(false).as_int(), Some(0));
    /// assert_eq!(ArgValue::Float(1.0).as_int(), None);
    /// ```
    pub fn as_int(&self) -> Option<i128> {
        match self {
            ArgValue::Int(v) => Some(*v),
            ArgValue::Bool(b) => Some(i128::from(*b)),
            _ => None,
        }
    }

    /// Python's `repr()` of the value, as pickletools prints it. Fails only for an int of
    /// more than 4300 digits, which CPython refuses to convert.
    ///
    /// ```
    /// use brinery::dis::ArgValue;
    /// assert_eq!(ArgValue::Bytes(b"a'".to_vec()).repr().unwrap(), r#"b"a'""#);
    /// assert_eq!(ArgValue::ByteArray(b"x".to_vec()).repr().unwrap(), "bytearray(b'x')");
    /// assert_eq!(ArgValue::Float(1e16).repr().unwrap(), "1e+16");
    /// ```
    pub fn repr(&self) -> Result<String> {
        Ok(match self {
            ArgValue::None => "None".into(),
            ArgValue::Int(v) => v.to_string(),
            ArgValue::BigInt(b) => pytext::int_repr(&PyInt::Big(b.clone())).map_err(Error::invalid)?,
            ArgValue::Bool(true) => "True".into(),
            ArgValue::Bool(false) => "False".into(),
            ArgValue::Str(s) => repr_str(s),
            ArgValue::Bytes(b) => repr_bytes(b),
            ArgValue::ByteArray(b) => bytearray_repr(b),
            ArgValue::Float(f) => crate::float_repr(*f),
        })
    }
}

/// `repr(bytearray)`: like bytes, except that `'` is escaped whichever quote is used.
fn bytearray_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') { '"' } else { '\'' };
    let mut out = String::from("bytearray(b");
    out.push(quote);
    for &c in b {
        match c {
            b'\'' | b'\\' => {
                out.push('\\');
                out.push(c as char);
            }
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote);
    out.push(')');
    out
}

/// One opcode of a pickle: what it is, its argument, and where it lies in the input.
///
/// ```
/// let op = brinery::dis::ops(b"K\x05.").next().unwrap().unwrap();
/// assert_eq!((op.info.name, op.pos, op.end), ("BININT1", 0, 2));
/// ```
#[derive(Clone, Debug)]
pub struct Op {
    /// The opcode's table entry.
    pub info: &'static OpInfo,
    /// Its decoded argument.
    pub arg: ArgValue,
    /// Offset of the opcode byte.
    pub pos: u64,
    /// Offset just past its argument.
    pub end: u64,
}

/// Where the opcode bytes come from. Reads never allocate a length taken from the input
/// before the bytes arrive.
trait Source {
    fn pos(&self) -> u64;
    fn byte(&mut self) -> io::Result<Option<u8>>;
    /// Up to `n` bytes; fewer only at end of input.
    fn bytes(&mut self, n: u64) -> io::Result<Vec<u8>>;
    /// Up to and including the next newline, or to end of input.
    fn line(&mut self) -> io::Result<Vec<u8>>;
}

struct SliceSource<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Source for SliceSource<'_> {
    fn pos(&self) -> u64 {
        self.pos as u64
    }

    fn byte(&mut self) -> io::Result<Option<u8>> {
        let b = self.data.get(self.pos).copied();
        self.pos += usize::from(b.is_some());
        Ok(b)
    }

    fn bytes(&mut self, n: u64) -> io::Result<Vec<u8>> {
        let rest = &self.data[self.pos..];
        let take = usize::try_from(n).unwrap_or(usize::MAX).min(rest.len());
        self.pos += take;
        Ok(rest[..take].to_vec())
    }

    fn line(&mut self) -> io::Result<Vec<u8>> {
        let rest = &self.data[self.pos..];
        let take = rest.iter().position(|&b| b == b'\n').map_or(rest.len(), |i| i + 1);
        self.pos += take;
        Ok(rest[..take].to_vec())
    }
}

struct ReaderSource<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Source for ReaderSource<R> {
    fn pos(&self) -> u64 {
        self.pos
    }

    fn byte(&mut self) -> io::Result<Option<u8>> {
        loop {
            match self.inner.fill_buf() {
                Ok(buf) => {
                    let Some(&b) = buf.first() else { return Ok(None) };
                    self.inner.consume(1);
                    self.pos += 1;
                    return Ok(Some(b));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn bytes(&mut self, n: u64) -> io::Result<Vec<u8>> {
        // The vector grows as bytes arrive, so a lying length costs only the real input.
        let mut out = Vec::new();
        io::Read::read_to_end(&mut io::Read::take(&mut self.inner, n), &mut out)?;
        self.pos += out.len() as u64;
        Ok(out)
    }

    fn line(&mut self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.inner.read_until(b'\n', &mut out)?;
        self.pos += out.len() as u64;
        Ok(out)
    }
}

/// Why an argument could not be read: pickletools' `ValueError` text, or an I/O error.
enum ReadError {
    Value(String),
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

impl From<String> for ReadError {
    fn from(s: String) -> Self {
        ReadError::Value(s)
    }
}

type ArgResult<T> = std::result::Result<T, ReadError>;

fn fixed<const N: usize>(src: &mut dyn Source, what: &str) -> ArgResult<[u8; N]> {
    let data = src.bytes(N as u64)?;
    <[u8; N]>::try_from(data.as_slice())
        .map_err(|_| ReadError::Value(format!("not enough data in stream to read {what}")))
}

fn uint1(src: &mut dyn Source) -> ArgResult<u8> {
    src.byte()?.ok_or_else(|| ReadError::Value("not enough data in stream to read uint1".into()))
}

fn int4(src: &mut dyn Source) -> ArgResult<i32> {
    fixed::<4>(src, "int4").map(i32::from_le_bytes)
}

fn uint4(src: &mut dyn Source) -> ArgResult<u32> {
    fixed::<4>(src, "uint4").map(u32::from_le_bytes)
}

fn uint8(src: &mut dyn Source) -> ArgResult<u64> {
    fixed::<8>(src, "uint8").map(u64::from_le_bytes)
}

/// `read_stringnl` without the decoding: a line, its quotes optionally stripped.
fn stringnl_bytes(src: &mut dyn Source, stripquotes: bool) -> ArgResult<Vec<u8>> {
    let mut data = src.line()?;
    if data.pop() != Some(b'\n') {
        return Err(ReadError::Value("no newline found when trying to read stringnl".into()));
    }
    if stripquotes {
        match [b'"', b'\''].into_iter().find(|&q| data.first() == Some(&q)) {
            Some(q) => {
                if data.last() != Some(&q) {
                    return Err(ReadError::Value(format!(
                        "strinq quote {} not found at both ends of {}",
                        repr_bytes(&[q]),
                        repr_bytes(&data)
                    )));
                }
                data = if data.len() >= 2 { data[1..data.len() - 1].to_vec() } else { Vec::new() };
            }
            None => return Err(ReadError::Value(format!("no string quotes around {}", repr_bytes(&data)))),
        }
    }
    Ok(data)
}

/// `read_stringnl`: escapes undone, then decoded as ASCII.
fn stringnl_str(src: &mut dyn Source, stripquotes: bool) -> ArgResult<PyStr> {
    Ok(pytext::ascii_decode(pytext::escape_decode(&stringnl_bytes(src, stripquotes)?)?)?)
}

/// A counted payload: `len` bytes or pickletools' "expected N bytes in a KIND" error.
fn counted(src: &mut dyn Source, len: u64, kind: &str) -> ArgResult<Vec<u8>> {
    let data = src.bytes(len)?;
    if data.len() as u64 != len {
        return Err(ReadError::Value(format!("expected {len} bytes in a {kind}, but only {} remain", data.len())));
    }
    Ok(data)
}

/// An 8-byte count, refused past `sys.maxsize` as pickletools refuses it.
fn count8(src: &mut dyn Source, kind: &str) -> ArgResult<u64> {
    let n = uint8(src)?;
    if n > i64::MAX as u64 {
        return Err(ReadError::Value(format!("{kind} byte count > sys.maxsize: {n}")));
    }
    Ok(n)
}

fn read_arg(kind: Arg, src: &mut dyn Source) -> ArgResult<ArgValue> {
    Ok(match kind {
        Arg::None => ArgValue::None,
        Arg::U1 => ArgValue::Int(uint1(src)?.into()),
        Arg::U2 => ArgValue::Int(u16::from_le_bytes(fixed::<2>(src, "uint2")?).into()),
        Arg::I4 => ArgValue::Int(int4(src)?.into()),
        Arg::U4 => ArgValue::Int(uint4(src)?.into()),
        Arg::U8 => ArgValue::Int(uint8(src)?.into()),
        Arg::DecimalNlShort => {
            let s = stringnl_bytes(src, false)?;
            match s.as_slice() {
                b"00" => ArgValue::Bool(false),
                b"01" => ArgValue::Bool(true),
                _ => ArgValue::from_int(pytext::parse_int(&s)?),
            }
        }
        Arg::DecimalNlLong => {
            let mut s = stringnl_bytes(src, false)?;
            if s.last() == Some(&b'L') {
                s.pop();
            }
            ArgValue::from_int(pytext::parse_int(&s)?)
        }
        Arg::FloatNl => ArgValue::Float(pytext::parse_float(&stringnl_bytes(src, false)?)?),
        Arg::StringNl => ArgValue::Str(stringnl_str(src, true)?),
        Arg::StringNlNoEscape => ArgValue::Str(stringnl_str(src, false)?),
        Arg::StringNlNoEscapePair => {
            let first = stringnl_str(src, false)?;
            let second = stringnl_str(src, false)?;
            let mut joined = first.as_bytes().to_vec();
            joined.push(b' ');
            joined.extend_from_slice(second.as_bytes());
            ArgValue::Str(pytext::ascii_decode(joined)?)
        }
        Arg::String1 => {
            let n = uint1(src)?;
            ArgValue::Str(pytext::latin1_decode(&counted(src, n.into(), "string1")?))
        }
        Arg::String4 => {
            let n = int4(src)?;
            if n < 0 {
                return Err(ReadError::Value(format!("string4 byte count < 0: {n}")));
            }
            ArgValue::Str(pytext::latin1_decode(&counted(src, n as u64, "string4")?))
        }
        Arg::Bytes1 => {
            let n = uint1(src)?;
            ArgValue::Bytes(counted(src, n.into(), "bytes1")?)
        }
        Arg::Bytes4 => {
            let n = uint4(src)?;
            ArgValue::Bytes(counted(src, n.into(), "bytes4")?)
        }
        Arg::Bytes8 => {
            let n = count8(src, "bytes8")?;
            ArgValue::Bytes(counted(src, n, "bytes8")?)
        }
        Arg::ByteArray8 => {
            let n = count8(src, "bytearray8")?;
            ArgValue::ByteArray(counted(src, n, "bytearray8")?)
        }
        Arg::UnicodeStringNl => {
            let mut data = src.line()?;
            if data.pop() != Some(b'\n') {
                return Err(ReadError::Value("no newline found when trying to read unicodestringnl".into()));
            }
            ArgValue::Str(pytext::raw_unicode_escape_decode(&data)?)
        }
        Arg::UnicodeString1 => {
            let n = uint1(src)?;
            ArgValue::Str(pytext::utf8_surrogatepass_decode(counted(src, n.into(), "unicodestring1")?)?)
        }
        Arg::UnicodeString4 => {
            let n = uint4(src)?;
            ArgValue::Str(pytext::utf8_surrogatepass_decode(counted(src, n.into(), "unicodestring4")?)?)
        }
        Arg::UnicodeString8 => {
            let n = count8(src, "unicodestring8")?;
            ArgValue::Str(pytext::utf8_surrogatepass_decode(counted(src, n, "unicodestring8")?)?)
        }
        Arg::Float8 => ArgValue::Float(f64::from_be_bytes(fixed::<8>(src, "float8")?)),
        Arg::Long1 => {
            let n = uint1(src)?;
            let data = src.bytes(n.into())?;
            if data.len() != usize::from(n) {
                return Err(ReadError::Value("not enough data in stream to read long1".into()));
            }
            ArgValue::from_int(PyInt::from_big(BigInt::from_signed_bytes_le(&data)))
        }
        Arg::Long4 => {
            let n = int4(src)?;
            if n < 0 {
                return Err(ReadError::Value(format!("long4 byte count < 0: {n}")));
            }
            let data = src.bytes(n as u64)?;
            if data.len() as u64 != n as u64 {
                return Err(ReadError::Value("not enough data in stream to read long4".into()));
            }
            ArgValue::from_int(PyInt::from_big(BigInt::from_signed_bytes_le(&data)))
        }
    })
}

/// Iterator over the opcodes of one pickle, as pickletools' `genops`: it stops after STOP,
/// and ends with an error (then nothing) at the first opcode that cannot be read.
///
/// Errors carry the offset of the opcode and, when the byte is an opcode, its name; their
/// messages are pickletools' (`pickle exhausted before seeing STOP`, `at position 3, opcode
/// b'z' unknown`, `expected 5 bytes in a bytes1, but only 2 remain`, …).
///
/// ```
/// use brinery::dis::ops;
/// let names: Vec<_> = ops(b"\x80\x04K\x01.extra").map(|op| op.unwrap().info.name).collect();
/// assert_eq!(names, ["PROTO", "BININT1", "STOP"]);
///
/// let err = ops(b"C\x05ab").last().unwrap().unwrap_err();
/// assert_eq!(err.to_string(), "offset 0 (SHORT_BINBYTES): expected 5 bytes in a bytes1, but only 2 remain");
/// ```
pub struct Ops<'a> {
    src: Box<dyn Source + 'a>,
    done: bool,
}

/// The opcodes of the pickle at the start of `data` (see [`Ops`]).
///
/// ```
/// let op = brinery::dis::ops(b"N.").next().unwrap().unwrap();
/// assert_eq!(op.info.name, "NONE");
/// ```
pub fn ops(data: &[u8]) -> Ops<'_> {
    Ops { src: Box::new(SliceSource { data, pos: 0 }), done: false }
}

impl<'a> Ops<'a> {
    /// The opcodes of the pickle a reader yields next, offsets counted from 0. Reading stops
    /// right after STOP, so the same reader (pass `&mut reader`) continues with what follows.
    ///
    /// ```
    /// let mut input = std::io::Cursor::new(b"]\x94.N.".to_vec());
    /// let names: Vec<_> = brinery::dis::Ops::from_reader(&mut input).map(|op| op.unwrap().info.name).collect();
    /// assert_eq!(names, ["EMPTY_LIST", "MEMOIZE", "STOP"]);
    /// assert_eq!(input.position(), 3);
    /// ```
    pub fn from_reader<R: BufRead + 'a>(reader: R) -> Ops<'a> {
        Ops::from_reader_at(reader, 0)
    }

    /// Like [`Ops::from_reader`], with offsets counted from `offset` (where the reader stands
    /// in its stream, as pickletools reports `tell()`).
    ///
    /// ```
    /// let mut input = std::io::Cursor::new(b"N.".to_vec());
    /// let op = brinery::dis::Ops::from_reader_at(&mut input, 10).next().unwrap().unwrap();
    /// assert_eq!((op.pos, op.end), (10, 11));
    /// ```
    pub fn from_reader_at<R: BufRead + 'a>(reader: R, offset: u64) -> Ops<'a> {
        Ops { src: Box::new(ReaderSource { inner: reader, pos: offset }), done: false }
    }

    /// The offset just past what was read so far.
    ///
    /// ```
    /// let mut ops = brinery::dis::ops(b"K\x01.");
    /// ops.next();
    /// assert_eq!(ops.offset(), 2);
    /// ```
    pub fn offset(&self) -> u64 {
        self.src.pos()
    }

    fn next_op(&mut self) -> Result<Op> {
        let pos = self.src.pos();
        let code = self.src.byte().map_err(|e| Error::from(e).at(pos, None))?;
        let Some(code) = code else {
            self.done = true;
            return Err(Error::invalid("pickle exhausted before seeing STOP").at(pos, None));
        };
        let Some(info) = lookup(code) else {
            self.done = true;
            return Err(
                Error::invalid(format!("at position {pos}, opcode {} unknown", repr_bytes(&[code]))).at(pos, None)
            );
        };
        let arg = read_arg(info.arg, &mut *self.src).map_err(|e| {
            match e {
                ReadError::Value(msg) => Error::invalid(msg),
                ReadError::Io(e) => Error::from(ErrorKind::Io(e)),
            }
            .at(pos, Some(code))
        })?;
        if info.name == "STOP" {
            self.done = true;
        }
        Ok(Op { info, arg, pos, end: self.src.pos() })
    }
}

impl Iterator for Ops<'_> {
    type Item = Result<Op>;

    fn next(&mut self) -> Option<Result<Op>> {
        if self.done {
            return None;
        }
        let op = self.next_op();
        if op.is_err() {
            self.done = true;
        }
        Some(op)
    }
}
