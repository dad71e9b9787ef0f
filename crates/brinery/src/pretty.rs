//! Printing values as Python prints them: `repr` and `pprint`, as `python -m pickle` shows a
//! pickle.

use crate::value::PyStr;
use std::fmt::Write;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// Python's `str.isprintable()` for one code point: everything but the Other and Separator
/// categories, except the ASCII space.
fn printable(cp: u32) -> bool {
    if cp == 0x20 {
        return true;
    }
    match char::from_u32(cp) {
        None => false, // a lone surrogate
        Some(c) => !matches!(c.general_category_group(), GeneralCategoryGroup::Other | GeneralCategoryGroup::Separator),
    }
}

/// `repr(s)` for a Python str.
///
/// ```
/// use brinery::{pretty::repr_str, PyStr};
/// assert_eq!(repr_str(&PyStr::from("a'b")), r#""a'b""#);
/// assert_eq!(repr_str(&PyStr::from("a\"b'")), r#"'a"b\''"#);
/// assert_eq!(repr_str(&PyStr::from("\n\u{7f}é\u{2028}")), r"'\n\x7fé\u2028'");
/// ```
pub fn repr_str(s: &PyStr) -> String {
    let bytes = s.as_bytes();
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') { '"' } else { '\'' };
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push(quote);
    for cp in s.code_points() {
        match cp {
            0x5c => out.push_str("\\\\"),
            0x09 => out.push_str("\\t"),
            0x0a => out.push_str("\\n"),
            0x0d => out.push_str("\\r"),
            _ if cp == quote as u32 => {
                out.push('\\');
                out.push(quote);
            }
            _ if (0x20..0x7f).contains(&cp) => out.push(cp as u8 as char),
            _ if cp >= 0x7f && printable(cp) => out.push(char::from_u32(cp).expect("printable is a char")),
            _ if cp < 0x100 => {
                let _ = write!(out, "\\x{cp:02x}");
            }
            _ if cp < 0x10000 => {
                let _ = write!(out, "\\u{cp:04x}");
            }
            _ => {
                let _ = write!(out, "\\U{cp:08x}");
            }
        }
    }
    out.push(quote);
    out
}

/// `repr(b)` for Python bytes (`b'...'`).
///
/// ```
/// assert_eq!(brinery::pretty::repr_bytes(b"\x00a'\"\x7f"), r#"b'\x00a\'"\x7f'"#);
/// ```
pub fn repr_bytes(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') { b'"' } else { b'\'' };
    let mut out = String::with_capacity(b.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if c == quote => {
                out.push('\\');
                out.push(quote as char);
            }
            0x20..=0x7e => out.push(c as char),
            _ => {
                let _ = write!(out, "\\x{c:02x}");
            }
        }
    }
    out.push(quote as char);
    out
}
