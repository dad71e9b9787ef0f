//! Parsing of the text arguments of protocol 0 opcodes, as CPython reads them.

use crate::error::{Error, ErrorKind, Result};
use num_bigint::BigInt;

fn trim(line: &[u8]) -> &[u8] {
    line.trim_ascii()
}

fn as_text<'a>(line: &'a [u8], what: &str) -> Result<&'a str> {
    std::str::from_utf8(trim(line)).map_err(|_| ErrorKind::BadText(format!("invalid literal for {what}")).into())
}

/// An INT argument: `00`/`01` are False/True, anything else a decimal int of any size.
pub(crate) enum IntArg {
    Bool(bool),
    Small(i64),
    Big(BigInt),
}

/// INT: CPython reads it with C's `strtol(s, 0)` (so `010` is octal), falling back on
/// `int(s, 0)` for what strtol refuses (big values, `0o`, `0b`, underscores).
pub(crate) fn parse_int(line: &[u8]) -> Result<IntArg> {
    match line {
        b"00" => return Ok(IntArg::Bool(false)),
        b"01" => return Ok(IntArg::Bool(true)),
        _ => {}
    }
    let text = as_text(line, "int()")?;
    check_digits(text)?;
    let (neg, body) = split_sign(text);
    if body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return digits(neg, body, 8).ok_or_else(|| bad_int(text));
    }
    parse_base0(text).ok_or_else(|| bad_int(text))
}

/// LONG: `int(s, 0)` after dropping a trailing `L`.
pub(crate) fn parse_long(line: &[u8]) -> Result<IntArg> {
    let text = as_text(line, "int()")?;
    check_digits(text)?;
    let body = text.strip_suffix('L').unwrap_or(text);
    parse_base0(body).ok_or_else(|| bad_int(text))
}

fn bad_int(text: &str) -> Error {
    let shown: String = text.chars().take(200).collect();
    ErrorKind::BadText(format!("invalid literal for int() with base 0: '{shown}'")).into()
}

/// CPython refuses to convert decimal text longer than this to an int (`sys.int_info`), which
/// also keeps the conversion from going quadratic on hostile input.
pub(crate) const MAX_INT_DIGITS: usize = 4300;

fn too_many_digits(n: usize) -> Error {
    ErrorKind::BadText(format!(
        "Exceeds the limit ({MAX_INT_DIGITS} digits) for integer string conversion: value has {n} digits"
    ))
    .into()
}

/// Refuse long decimal text before parsing it (hex, octal and binary have no limit in CPython,
/// and convert in linear time).
fn check_digits(text: &str) -> Result<()> {
    let (_, body) = split_sign(text);
    let power_of_two = body.len() > 1 && matches!(body.as_bytes()[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B');
    let octal = body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if !power_of_two && !octal {
        let n = body.bytes().filter(u8::is_ascii_digit).count();
        if n > MAX_INT_DIGITS {
            return Err(too_many_digits(n));
        }
    }
    Ok(())
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// Python's `int(text, 0)`: optional sign, `0x`/`0o`/`0b` prefixes, underscores between digits,
/// no leading zeros on a nonzero decimal.
fn parse_base0(text: &str) -> Option<IntArg> {
    let (neg, body) = split_sign(text);
    let lower = body.get(..2).map(str::to_ascii_lowercase);
    let (radix, digits_part) = match lower.as_deref() {
        Some("0x") => (16, &body[2..]),
        Some("0o") => (8, &body[2..]),
        Some("0b") => (2, &body[2..]),
        _ => (10, body),
    };
    let digits_part = if radix != 10 { digits_part.strip_prefix('_').unwrap_or(digits_part) } else { digits_part };
    if radix == 10
        && digits_part.len() > 1
        && digits_part.starts_with('0')
        && digits_part.bytes().any(|b| b != b'0' && b != b'_')
    {
        return None;
    }
    digits(neg, digits_part, radix)
}

fn digits(neg: bool, body: &str, radix: u32) -> Option<IntArg> {
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    if !clean.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let n = BigInt::parse_bytes(clean.as_bytes(), radix)?;
    let n = if neg { -n } else { n };
    Some(match i64::try_from(&n) {
        Ok(i) => IntArg::Small(i),
        Err(_) => IntArg::Big(n),
    })
}

/// A FLOAT argument, as Python's `float()` reads it.
pub(crate) fn parse_float(line: &[u8]) -> Result<f64> {
    let text = as_text(line, "float()")?;
    text.parse::<f64>().map_err(|_| ErrorKind::BadText(format!("could not convert string to float: '{text}'")).into())
}

/// A memo index for GET/PUT.
pub(crate) fn parse_index(line: &[u8]) -> Result<i64> {
    let text = as_text(line, "int()")?;
    text.parse::<i64>().map_err(|_| bad_int(text))
}

/// The STRING argument: a quoted literal with Python 2 string escapes. Like Python 3, nothing
/// but the newline is stripped before the quotes are checked.
pub(crate) fn parse_string(s: &[u8]) -> Result<Vec<u8>> {
    if s.len() < 2 || s[0] != s[s.len() - 1] || (s[0] != b'\'' && s[0] != b'"') {
        return Err(ErrorKind::BadQuotes.into());
    }
    escape_decode(&s[1..s.len() - 1])
}

/// Python's `escape_decode` (the `string_escape` codec).
fn escape_decode(s: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != b'\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = s.get(i) else {
            return Err(ErrorKind::BadText("Trailing \\ in string".into()).into());
        };
        i += 1;
        match e {
            b'\n' => {}
            b'\\' => out.push(b'\\'),
            b'\'' => out.push(b'\''),
            b'"' => out.push(b'"'),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b't' => out.push(b'\t'),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b'v' => out.push(11),
            b'a' => out.push(7),
            b'0'..=b'7' => {
                let mut v = (e - b'0') as u32;
                for _ in 0..2 {
                    match s.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + (d - b'0') as u32;
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(v as u8);
            }
            b'x' => {
                let hex = s.get(i..i + 2).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) if hex.is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())) => {
                        out.push(v);
                        i += 2;
                    }
                    _ => return Err(ErrorKind::BadText(format!("invalid \\x escape at position {}", i - 2)).into()),
                }
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// The UNICODE argument: raw-unicode-escape (only `\uXXXX` and `\UXXXXXXXX` are escapes).
pub(crate) fn raw_unicode_escape_decode(s: &[u8]) -> Result<Vec<u32>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'\\' && matches!(s.get(i + 1), Some(b'u' | b'U')) {
            // An odd run of backslashes escapes; an even one is literal.
            let mut run = 0;
            while run < i && s[i - 1 - run] == b'\\' {
                run += 1;
            }
            if run % 2 == 0 {
                let n = if s[i + 1] == b'u' { 4 } else { 8 };
                let hex = s.get(i + 2..i + 2 + n).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                let Some(hex) = hex else {
                    let kind = if n == 4 { "\\uXXXX" } else { "\\UXXXXXXXX" };
                    return Err(ErrorKind::BadText(format!(
                        "'rawunicodeescape' codec can't decode bytes in position {i}: truncated {kind} escape"
                    ))
                    .into());
                };
                let cp = u32::from_str_radix(std::str::from_utf8(hex).unwrap_or("0"), 16).unwrap_or(u32::MAX);
                if cp > 0x10ffff {
                    return Err(ErrorKind::BadText(format!(
                        "'rawunicodeescape' codec can't decode bytes in position {i}: \\Uxxxxxxxx out of range"
                    ))
                    .into());
                }
                out.push(cp);
                i += 2 + n;
                continue;
            }
        }
        out.push(c as u32);
        i += 1;
    }
    Ok(out)
}

/// Little-endian two's-complement bytes (LONG1/LONG4) to an int.
pub(crate) fn decode_long(bytes: &[u8]) -> IntArg {
    if bytes.len() <= 8 {
        if bytes.is_empty() {
            return IntArg::Small(0);
        }
        let fill = if bytes[bytes.len() - 1] & 0x80 != 0 { 0xff } else { 0 };
        let mut buf = [fill; 8];
        buf[..bytes.len()].copy_from_slice(bytes);
        return IntArg::Small(i64::from_le_bytes(buf));
    }
    let n = BigInt::from_signed_bytes_le(bytes);
    match i64::try_from(&n) {
        Ok(i) => IntArg::Small(i),
        Err(_) => IntArg::Big(n),
    }
}
