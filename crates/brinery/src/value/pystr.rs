//! Python `str`: a sequence of code points that may include lone surrogates, stored as
//! CPython's `surrogatepass` UTF-8 (what BINUNICODE carries), so round trips are lossless.

use compact_str::CompactString;
use std::fmt;

/// A Python str. Valid Unicode is kept as text (up to 24 bytes inline, with no allocation of
/// its own); a str with lone surrogates keeps its surrogate-pass UTF-8 bytes. Either way it
/// takes 24 bytes in the arena plus, for longer text, its heap bytes.
///
/// ```
/// use brinery::PyStr;
/// let s = PyStr::from("café");
/// assert_eq!(s.as_str(), Some("café"));
/// let lone = PyStr::from_code_points([0x61, 0xd800]).unwrap();
/// assert_eq!(lone.as_str(), None);
/// assert_eq!(lone.as_bytes(), b"a\xed\xa0\x80");
/// ```
#[derive(Clone)]
pub struct PyStr(Repr);

#[derive(Clone)]
enum Repr {
    /// Valid Unicode.
    Text(CompactString),
    /// Contains lone surrogates: surrogate-pass UTF-8 bytes.
    Surrogates(Box<[u8]>),
}

impl PyStr {
    /// Decode surrogate-pass UTF-8, as CPython does for BINUNICODE payloads.
    pub fn from_utf8_surrogatepass(bytes: Vec<u8>) -> Result<PyStr, String> {
        match String::from_utf8(bytes) {
            Ok(s) => Ok(PyStr::from(s)),
            Err(e) => {
                let bytes = e.into_bytes();
                validate_surrogatepass(&bytes)?;
                Ok(PyStr(Repr::Surrogates(bytes.into_boxed_slice())))
            }
        }
    }

    /// Like [`PyStr::from_utf8_surrogatepass`] for a borrowed slice.
    pub fn from_slice(bytes: &[u8]) -> Result<PyStr, String> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(PyStr::from(s)),
            Err(_) => {
                validate_surrogatepass(bytes)?;
                Ok(PyStr(Repr::Surrogates(bytes.into())))
            }
        }
    }

    /// Build from code points (any value up to 0x10FFFF, surrogates included).
    pub fn from_code_points(cps: impl IntoIterator<Item = u32>) -> Option<PyStr> {
        let mut out = Vec::new();
        for cp in cps {
            push_code_point(&mut out, cp)?;
        }
        Some(match String::from_utf8(out) {
            Ok(s) => PyStr::from(s),
            Err(e) => PyStr(Repr::Surrogates(e.into_bytes().into_boxed_slice())),
        })
    }

    /// The text, if it has no lone surrogates.
    #[inline]
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Text(s) => Some(s),
            Repr::Surrogates(_) => None,
        }
    }

    /// Surrogate-pass UTF-8 bytes (what BINUNICODE writes).
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Text(s) => s.as_bytes(),
            Repr::Surrogates(b) => b,
        }
    }

    /// The text as a `String`, or the surrogate-pass UTF-8 bytes when it has lone surrogates.
    pub fn into_string(self) -> Result<String, Vec<u8>> {
        match self.0 {
            Repr::Text(s) => Ok(s.into_string()),
            Repr::Surrogates(b) => Err(b.into_vec()),
        }
    }

    /// The code points.
    pub fn code_points(&self) -> CodePoints<'_> {
        CodePoints { bytes: self.as_bytes() }
    }

    /// Number of code points (Python's `len`).
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Text(s) => s.chars().count(),
            Repr::Surrogates(_) => self.code_points().count(),
        }
    }

    /// True for the empty string.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// Lossy text: lone surrogates become U+FFFD.
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        match &self.0 {
            Repr::Text(s) => std::borrow::Cow::Borrowed(s),
            Repr::Surrogates(b) => String::from_utf8_lossy(b),
        }
    }
}

// Equality, order and hash go by the surrogate-pass bytes: text and surrogate forms never share
// bytes, and byte order is code point order.
impl PartialEq for PyStr {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for PyStr {}

impl PartialOrd for PyStr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PyStr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl std::hash::Hash for PyStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state)
    }
}

impl From<&str> for PyStr {
    #[inline]
    fn from(s: &str) -> Self {
        PyStr(Repr::Text(CompactString::new(s)))
    }
}

impl From<String> for PyStr {
    #[inline]
    fn from(s: String) -> Self {
        PyStr(Repr::Text(CompactString::from(s)))
    }
}

impl fmt::Debug for PyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Text(s) => fmt::Debug::fmt(s.as_str(), f),
            Repr::Surrogates(_) => {
                f.write_str("\"")?;
                for cp in self.code_points() {
                    match char::from_u32(cp) {
                        Some(c) => write!(f, "{}", c.escape_debug())?,
                        None => write!(f, "\\u{{{cp:x}}}")?,
                    }
                }
                f.write_str("\"")
            }
        }
    }
}

/// Append one code point as surrogate-pass UTF-8. `None` above U+10FFFF.
pub(crate) fn push_code_point(out: &mut Vec<u8>, cp: u32) -> Option<()> {
    match cp {
        0..=0x7f => out.push(cp as u8),
        0x80..=0x7ff => out.extend_from_slice(&[0xc0 | (cp >> 6) as u8, 0x80 | (cp & 0x3f) as u8]),
        0x800..=0xffff => {
            out.extend_from_slice(&[0xe0 | (cp >> 12) as u8, 0x80 | ((cp >> 6) & 0x3f) as u8, 0x80 | (cp & 0x3f) as u8])
        }
        0x10000..=0x10ffff => out.extend_from_slice(&[
            0xf0 | (cp >> 18) as u8,
            0x80 | ((cp >> 12) & 0x3f) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
        _ => return None,
    }
    Some(())
}

/// Check UTF-8 that may encode surrogates (ED A0..BF xx), rejecting everything else UTF-8 rejects.
fn validate_surrogatepass(b: &[u8]) -> Result<(), String> {
    let mut i = 0;
    while i < b.len() {
        match std::str::from_utf8(&b[i..]) {
            Ok(_) => return Ok(()),
            Err(e) => {
                let bad = i + e.valid_up_to();
                if bad + 2 < b.len()
                    && b[bad] == 0xed
                    && (0xa0..=0xbf).contains(&b[bad + 1])
                    && (0x80..=0xbf).contains(&b[bad + 2])
                {
                    i = bad + 3;
                } else {
                    return Err(format!(
                        "byte 0x{:02x} in position {}: invalid start byte or continuation",
                        b[bad], bad
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Iterator over the code points of surrogate-pass UTF-8.
pub struct CodePoints<'a> {
    bytes: &'a [u8],
}

impl Iterator for CodePoints<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let b = self.bytes;
        let first = *b.first()?;
        let (len, init) = match first {
            0..=0x7f => (1, first as u32),
            0xc0..=0xdf => (2, (first & 0x1f) as u32),
            0xe0..=0xef => (3, (first & 0x0f) as u32),
            _ => (4, (first & 0x07) as u32),
        };
        let len = len.min(b.len());
        let cp = b[1..len].iter().fold(init, |acc, &c| (acc << 6) | (c & 0x3f) as u32);
        self.bytes = &b[len..];
        Some(cp)
    }
}
