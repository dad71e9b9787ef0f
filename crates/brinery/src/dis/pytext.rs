//! The bits of Python's text handling that pickletools' argument readers lean on, with
//! CPython's exact error messages: `int(bytes)`, `float(bytes)`, `codecs.escape_decode`,
//! the `ascii`, `raw-unicode-escape` and `utf-8`/`surrogatepass` decoders, and the digit limit
//! of `repr(int)`.

use crate::pretty::repr_bytes;
use crate::value::PyStr;
use num_bigint::BigInt;

/// CPython's default `sys.get_int_max_str_digits()`.
pub(crate) const MAX_STR_DIGITS: usize = 4300;

/// `Py_ISSPACE`: the C locale's whitespace.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// A Python int: small ones as `i128`, the rest as a [`BigInt`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum PyInt {
    Small(i128),
    Big(BigInt),
}

impl PyInt {
    pub(crate) fn from_big(n: BigInt) -> PyInt {
        match i128::try_from(&n) {
            Ok(v) => PyInt::Small(v),
            Err(_) => PyInt::Big(n),
        }
    }
}

/// `int(s)` for a bytes object `s` (base 10), with CPython's messages.
pub(crate) fn parse_int(s: &[u8]) -> Result<PyInt, String> {
    // "%.200R" of the first 200 bytes: the repr itself is cut at 200 characters.
    let invalid = || {
        let repr: String = repr_bytes(&s[..s.len().min(200)]).chars().take(200).collect();
        format!("invalid literal for int() with base 10: {repr}")
    };
    // CPython parses the NUL-terminated buffer: an embedded NUL ends the text, and then the
    // bytes object is rejected for not being consumed whole.
    let cut = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    let t = &s[..cut];
    let mut i = 0;
    while i < t.len() && is_space(t[i]) {
        i += 1;
    }
    let negative = match t.get(i) {
        Some(b'+') => {
            i += 1;
            false
        }
        Some(b'-') => {
            i += 1;
            true
        }
        _ => false,
    };
    if t.get(i) == Some(&b'_') {
        return Err(invalid());
    }
    let mut digits = Vec::new();
    let mut prev = 0u8;
    while i < t.len() && (t[i].is_ascii_digit() || t[i] == b'_') {
        if t[i] == b'_' {
            if prev == b'_' {
                return Err(invalid());
            }
        } else {
            digits.push(t[i]);
        }
        prev = t[i];
        i += 1;
    }
    if prev == b'_' {
        return Err(invalid());
    }
    if digits.len() > MAX_STR_DIGITS {
        return Err(format!(
            "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion: value has {} digits; use \
             sys.set_int_max_str_digits() to increase the limit",
            digits.len()
        ));
    }
    if digits.is_empty() {
        return Err(invalid());
    }
    while i < t.len() && is_space(t[i]) {
        i += 1;
    }
    if i != t.len() || cut != s.len() {
        return Err(invalid());
    }
    if digits.len() <= 38 {
        let mut v: i128 = 0;
        for d in &digits {
            v = v * 10 + i128::from(d - b'0');
        }
        return Ok(PyInt::Small(if negative { -v } else { v }));
    }
    let n = BigInt::parse_bytes(&digits, 10).ok_or_else(invalid)?;
    Ok(PyInt::from_big(if negative { -n } else { n }))
}

/// `repr(n)`, refused past CPython's 4300-digit limit as CPython refuses it.
pub(crate) fn int_repr(n: &PyInt) -> Result<String, String> {
    let limit = || {
        format!(
            "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion; use \
             sys.set_int_max_str_digits() to increase the limit"
        )
    };
    match n {
        PyInt::Small(v) => Ok(v.to_string()),
        PyInt::Big(b) => {
            // More than 15000 bits is certainly more than 4300 digits: refuse before the
            // (quadratic) conversion.
            if b.bits() > 15_000 {
                return Err(limit());
            }
            let s = b.to_string();
            let digits = s.len() - usize::from(s.starts_with('-'));
            if digits > MAX_STR_DIGITS {
                return Err(limit());
            }
            Ok(s)
        }
    }
}

/// `float(s)` for a bytes object `s`, with CPython's message.
pub(crate) fn parse_float(s: &[u8]) -> Result<f64, String> {
    let err = || format!("could not convert string to float: {}", repr_bytes(s));
    let mut start = 0;
    let mut end = s.len();
    while start < end && is_space(s[start]) {
        start += 1;
    }
    while start + 1 < end && is_space(s[end - 1]) {
        end -= 1;
    }
    let t = &s[start..end];
    if t.contains(&0) {
        return Err(err());
    }
    let mut clean = Vec::with_capacity(t.len());
    let mut prev = 0u8;
    for &c in t {
        if c == b'_' {
            if !prev.is_ascii_digit() {
                return Err(err());
            }
        } else {
            if prev == b'_' && !c.is_ascii_digit() {
                return Err(err());
            }
            clean.push(c);
        }
        prev = c;
    }
    if prev == b'_' {
        return Err(err());
    }
    // What is left is ASCII if it parses at all; Rust's grammar for decimal floats, `inf`,
    // `infinity` and `nan` (any case, optional sign) is the one CPython's strtod accepts.
    std::str::from_utf8(&clean).ok().and_then(|t| t.parse::<f64>().ok()).ok_or_else(err)
}

/// `codecs.escape_decode(s)[0]`: Python 2 string-literal escapes.
pub(crate) fn escape_decode(s: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
            continue;
        }
        let backslash = i;
        i += 1;
        let Some(&c) = s.get(i) else {
            return Err("Trailing \\ in string".into());
        };
        i += 1;
        match c {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'b' => out.push(0x08),
            b'f' => out.push(0x0c),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(0x0b),
            b'a' => out.push(0x07),
            b'0'..=b'7' => {
                let mut v = u32::from(c - b'0');
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = (v << 3) + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8); // CPython keeps the low byte of \400-\777
            }
            b'x' => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (s.get(i).copied().and_then(hex), s.get(i + 1).copied().and_then(hex)) {
                    (Some(h), Some(l)) if i + 1 < s.len() => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => return Err(format!("invalid \\x escape at position {backslash}")),
                }
            }
            _ => {
                // Unknown escapes stay as they are (CPython only warns).
                out.push(b'\\');
                i -= 1;
            }
        }
    }
    Ok(out)
}

/// `b.decode("ascii")`.
pub(crate) fn ascii_decode(b: Vec<u8>) -> Result<PyStr, String> {
    match b.iter().position(|&c| c >= 0x80) {
        Some(p) => {
            Err(format!("'ascii' codec can't decode byte 0x{:02x} in position {p}: ordinal not in range(128)", b[p]))
        }
        None => Ok(PyStr::from(String::from_utf8(b).map_err(|e| e.to_string())?)),
    }
}

/// `b.decode("latin-1")`.
pub(crate) fn latin1_decode(b: &[u8]) -> PyStr {
    PyStr::from(b.iter().map(|&c| c as char).collect::<String>())
}

/// CPython's `UnicodeDecodeError.__str__`.
fn decode_error(codec: &str, data: &[u8], start: usize, end: usize, reason: &str) -> String {
    if end == start + 1 {
        format!("'{codec}' codec can't decode byte 0x{:02x} in position {start}: {reason}", data[start])
    } else {
        format!("'{codec}' codec can't decode bytes in position {start}-{}: {reason}", end - 1)
    }
}

/// `str(b, 'raw-unicode-escape')`.
pub(crate) fn raw_unicode_escape_decode(b: &[u8]) -> Result<PyStr, String> {
    let mut cps: Vec<u32> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        if c != b'\\' {
            cps.push(u32::from(c));
            continue;
        }
        let start = i - 1;
        let Some(&c) = b.get(i) else {
            cps.push(u32::from(b'\\'));
            break;
        };
        i += 1;
        let (mut count, mut message) = match c {
            b'u' => (4, "truncated \\uXXXX escape"),
            b'U' => (8, "truncated \\UXXXXXXXX escape"),
            _ => {
                cps.push(u32::from(b'\\'));
                cps.push(u32::from(c));
                continue;
            }
        };
        let mut ch: u32 = 0;
        while count > 0 {
            let Some(d) = b.get(i).and_then(|&d| (d as char).to_digit(16)) else {
                break;
            };
            ch = (ch << 4) | d;
            i += 1;
            count -= 1;
        }
        if count == 0 {
            if ch <= 0x10ffff {
                cps.push(ch);
                continue;
            }
            message = "\\Uxxxxxxxx out of range";
        }
        return Err(decode_error("rawunicodeescape", b, start, i, message));
    }
    PyStr::from_code_points(cps).ok_or_else(|| "code point out of range".to_string())
}

/// How one UTF-8 sequence starting at `i` fails, as CPython's decoder reports it: the end of
/// the reported range and the reason.
fn utf8_step(b: &[u8], i: usize) -> Result<usize, (usize, &'static str)> {
    const END: &str = "unexpected end of data";
    const START: &str = "invalid start byte";
    const CONT: &str = "invalid continuation byte";
    let cont = |c: u8| (0x80..0xc0).contains(&c);
    let n = b.len();
    let rem = n - i;
    let c = b[i];
    if c < 0x80 {
        return Ok(1);
    }
    if c < 0xc2 {
        return Err((i + 1, START));
    }
    if c < 0xe0 {
        if rem < 2 {
            return Err((n, END));
        }
        if !cont(b[i + 1]) {
            return Err((i + 1, CONT));
        }
        return Ok(2);
    }
    if c < 0xf0 {
        if rem < 2 {
            return Err((n, END));
        }
        let c2 = b[i + 1];
        if !cont(c2) || (c == 0xe0 && c2 < 0xa0) || (c == 0xed && c2 >= 0xa0) {
            return Err((i + 1, CONT));
        }
        if rem < 3 {
            return Err((n, END));
        }
        if !cont(b[i + 2]) {
            return Err((i + 2, CONT));
        }
        return Ok(3);
    }
    if c < 0xf5 {
        if rem < 2 {
            return Err((n, END));
        }
        let c2 = b[i + 1];
        if !cont(c2) || (c == 0xf0 && c2 < 0x90) || (c == 0xf4 && c2 >= 0x90) {
            return Err((i + 1, CONT));
        }
        if rem < 3 {
            return Err((n, END));
        }
        if !cont(b[i + 2]) {
            return Err((i + 2, CONT));
        }
        if rem < 4 {
            return Err((n, END));
        }
        if !cont(b[i + 3]) {
            return Err((i + 3, CONT));
        }
        return Ok(4);
    }
    Err((i + 1, START))
}

/// `str(b, 'utf-8', 'surrogatepass')`.
pub(crate) fn utf8_surrogatepass_decode(b: Vec<u8>) -> Result<PyStr, String> {
    let b = match String::from_utf8(b) {
        Ok(s) => return Ok(PyStr::from(s)),
        Err(e) => e.into_bytes(),
    };
    let mut i = 0;
    while i < b.len() {
        match utf8_step(&b, i) {
            Ok(len) => i += len,
            Err((end, reason)) => {
                // surrogatepass: a three-byte encoding of U+D800..U+DFFF is accepted.
                if b.len() - i >= 3
                    && b[i] == 0xed
                    && (0xa0..0xc0).contains(&b[i + 1])
                    && (0x80..0xc0).contains(&b[i + 2])
                {
                    i += 3;
                    continue;
                }
                return Err(decode_error("utf-8", &b, i, end, reason));
            }
        }
    }
    PyStr::from_utf8_surrogatepass(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_int(b" -1_000 "), Ok(PyInt::Small(-1000)));
        assert_eq!(parse_int(b"1__0").unwrap_err(), "invalid literal for int() with base 10: b'1__0'");
        assert!(parse_int(b"1\x00").is_err());
        assert!(parse_int(&[b'1'; 5000]).unwrap_err().contains("value has 5000 digits"));
        let big = parse_int(&[b'9'; 60]).unwrap();
        assert_eq!(int_repr(&big).unwrap(), "9".repeat(60));
    }

    #[test]
    fn floats() {
        assert_eq!(parse_float(b" 1_0.5\t"), Ok(10.5));
        assert!(parse_float(b"-nan").unwrap().is_nan());
        assert_eq!(parse_float(b"inFinity"), Ok(f64::INFINITY));
        assert_eq!(parse_float(b"1_e5").unwrap_err(), "could not convert string to float: b'1_e5'");
        assert!(parse_float(b"0x10").is_err());
    }

    #[test]
    fn escapes() {
        assert_eq!(escape_decode(br"a\n\x41\101\777\q").unwrap(), b"a\nAA\xff\\q");
        assert_eq!(escape_decode(br"ab\xg1").unwrap_err(), "invalid \\x escape at position 2");
        assert_eq!(escape_decode(br"\x4").unwrap_err(), "invalid \\x escape at position 0");
        assert_eq!(escape_decode(b"\\").unwrap_err(), "Trailing \\ in string");
    }

    #[test]
    fn raw_unicode_escape() {
        assert_eq!(raw_unicode_escape_decode(b"\xe9\\u00e9").unwrap(), PyStr::from("éé"));
        assert_eq!(raw_unicode_escape_decode(b"\\\\u0041").unwrap(), PyStr::from("\\\\u0041"));
        assert_eq!(
            raw_unicode_escape_decode(b"abc\\u12").unwrap_err(),
            "'rawunicodeescape' codec can't decode bytes in position 3-6: truncated \\uXXXX escape"
        );
        assert_eq!(
            raw_unicode_escape_decode(b"\\U00110000x").unwrap_err(),
            "'rawunicodeescape' codec can't decode bytes in position 0-9: \\Uxxxxxxxx out of range"
        );
    }

    #[test]
    fn utf8() {
        assert_eq!(utf8_surrogatepass_decode(b"a\xed\xa0\x80".to_vec()).unwrap().as_bytes(), b"a\xed\xa0\x80");
        assert_eq!(
            utf8_surrogatepass_decode(b"\xe2\x28\xa1".to_vec()).unwrap_err(),
            "'utf-8' codec can't decode byte 0xe2 in position 0: invalid continuation byte"
        );
        assert_eq!(
            utf8_surrogatepass_decode(b"x\xe2\x82".to_vec()).unwrap_err(),
            "'utf-8' codec can't decode bytes in position 1-2: unexpected end of data"
        );
        assert_eq!(
            utf8_surrogatepass_decode(b"\xff".to_vec()).unwrap_err(),
            "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
        );
    }
}
