//! Python's `repr` of str and bytes, piece by piece: escapes, lengths, and the line and word
//! splitting `pprint` uses to wrap long strings.

use std::fmt::Write;

/// Python's `str.isprintable()` for one code point, by the Unicode tables of the reference
/// CPython (see `printable.rs`), so escapes match its `repr` exactly.
pub(super) fn printable(cp: u32) -> bool {
    use super::printable::NOT_PRINTABLE;
    let i = NOT_PRINTABLE.partition_point(|&(_, end)| end < cp);
    NOT_PRINTABLE.get(i).is_none_or(|&(start, _)| start > cp)
}

/// The quote `repr` picks for a str or bytes: `"` only when the text has `'` and no `"`.
pub(super) fn quote_for(bytes: &[u8]) -> u8 {
    if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        b'"'
    } else {
        b'\''
    }
}

/// Append the escaped form of one code point of a str repr quoted with `quote`.
pub(super) fn push_escaped(out: &mut String, cp: u32, quote: u8) {
    match cp {
        0x5c => out.push_str("\\\\"),
        0x09 => out.push_str("\\t"),
        0x0a => out.push_str("\\n"),
        0x0d => out.push_str("\\r"),
        _ if cp == quote as u32 => {
            out.push('\\');
            out.push(quote as char);
        }
        _ if (0x20..0x7f).contains(&cp) => out.push(cp as u8 as char),
        _ if cp >= 0x7f && printable(cp) => match char::from_u32(cp) {
            Some(c) => out.push(c),
            None => {
                let _ = write!(out, "\\u{cp:04x}");
            }
        },
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

/// Length in characters of [`push_escaped`]'s output, not counting quote characters (which the
/// caller counts, as their cost depends on the quote chosen for the whole string).
pub(super) fn escaped_len(cp: u32) -> usize {
    match cp {
        0x5c | 0x09 | 0x0a | 0x0d => 2,
        0x22 | 0x27 => 0,
        0x20..=0x7e => 1,
        _ if cp >= 0x7f && printable(cp) => 1,
        _ if cp < 0x100 => 4,
        _ if cp < 0x10000 => 6,
        _ => 10,
    }
}

/// Running length of `repr(s)` for a str built piece by piece.
#[derive(Clone, Copy, Default)]
pub(super) struct ReprLen {
    base: usize,
    single: usize,
    double: usize,
}

impl ReprLen {
    pub(super) fn push(&mut self, cp: u32) {
        match cp {
            0x27 => self.single += 1,
            0x22 => self.double += 1,
            _ => self.base += escaped_len(cp),
        }
    }

    pub(super) fn extend(&mut self, other: &ReprLen) {
        self.base += other.base;
        self.single += other.single;
        self.double += other.double;
    }

    /// `len(repr(s))`.
    pub(super) fn len(&self) -> usize {
        let single_cost = if self.single > 0 && self.double == 0 { 1 } else { 2 };
        2 + self.base + self.double + self.single * single_cost
    }
}

/// `repr` of a str given as code points.
pub(super) fn repr_code_points(cps: &[u32]) -> String {
    let quote = if cps.contains(&0x27) && !cps.contains(&0x22) { b'"' } else { b'\'' };
    let mut out = String::with_capacity(cps.len() + 2);
    out.push(quote as char);
    for &cp in cps {
        push_escaped(&mut out, cp, quote);
    }
    out.push(quote as char);
    out
}

/// Python's `str.isspace()` for one code point (also what `\s` matches in a str pattern).
pub(super) fn is_space(cp: u32) -> bool {
    matches!(
        cp,
        0x09..=0x0d
            | 0x1c..=0x20
            | 0x85
            | 0xa0
            | 0x1680
            | 0x2000..=0x200a
            | 0x2028
            | 0x2029
            | 0x202f
            | 0x205f
            | 0x3000
    )
}

/// `s.splitlines(True)`: the lines with their line ends.
pub(super) fn split_lines(cps: &[u32]) -> Vec<&[u32]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < cps.len() {
        let end = match cps[i] {
            0x0d if cps.get(i + 1) == Some(&0x0a) => Some(i + 2),
            0x0a | 0x0b | 0x0c | 0x0d | 0x1c | 0x1d | 0x1e | 0x85 | 0x2028 | 0x2029 => Some(i + 1),
            _ => None,
        };
        match end {
            Some(e) => {
                lines.push(&cps[start..e]);
                start = e;
                i = e;
            }
            None => i += 1,
        }
    }
    if start < cps.len() {
        lines.push(&cps[start..]);
    }
    lines
}

/// `re.findall(r'\S*\s*', line)` without its final empty match: runs of non-space followed by
/// runs of space.
pub(super) fn words(line: &[u32]) -> Vec<&[u32]> {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < line.len() {
        let start = i;
        while i < line.len() && !is_space(line[i]) {
            i += 1;
        }
        while i < line.len() && is_space(line[i]) {
            i += 1;
        }
        parts.push(&line[start..i]);
    }
    parts
}

/// Append the escaped form of one byte of a bytes repr quoted with `quote`. `bytearray`'s repr
/// escapes `'` whatever the quote (`bytearray(b"it\'s")`); `bytes` escapes only the quote.
pub(super) fn push_byte_escaped(out: &mut String, c: u8, quote: u8, bytearray: bool) {
    match c {
        b'\\' => out.push_str("\\\\"),
        b'\t' => out.push_str("\\t"),
        b'\n' => out.push_str("\\n"),
        b'\r' => out.push_str("\\r"),
        _ if c == quote || (bytearray && c == b'\'') => {
            out.push('\\');
            out.push(c as char);
        }
        0x20..=0x7e => out.push(c as char),
        _ => {
            let _ = write!(out, "\\x{c:02x}");
        }
    }
}

/// `repr(b)`, or the `b'...'` part of `repr(bytearray(b))`.
pub(super) fn bytes_repr(b: &[u8], bytearray: bool) -> String {
    bytes_repr_prefix(b, usize::MAX, bytearray).0
}

/// The start of a bytes repr (see [`bytes_repr`]): at least `max_chars` characters of it, or
/// all of it (then true).
pub(super) fn bytes_repr_prefix(b: &[u8], max_chars: usize, bytearray: bool) -> (String, bool) {
    let quote = quote_for(b);
    let mut out = String::with_capacity(max_chars.min(b.len() + 3).min(1 << 16) + 8);
    out.push('b');
    out.push(quote as char);
    for &c in b {
        if out.len() >= max_chars {
            return (out, false);
        }
        push_byte_escaped(&mut out, c, quote, bytearray);
    }
    out.push(quote as char);
    (out, true)
}

/// Escaped length of one byte in a bytes repr, not counting quote bytes.
fn byte_escaped_len(c: u8) -> usize {
    match c {
        b'\\' | b'\t' | b'\n' | b'\r' => 2,
        b'\'' | b'"' => 0,
        0x20..=0x7e => 1,
        _ => 4,
    }
}

/// Running length of `repr(b)` for bytes built piece by piece.
#[derive(Clone, Copy, Default)]
pub(super) struct BytesReprLen {
    base: usize,
    single: usize,
    double: usize,
}

impl BytesReprLen {
    pub(super) fn of(b: &[u8]) -> Self {
        let mut l = BytesReprLen::default();
        for &c in b {
            match c {
                b'\'' => l.single += 1,
                b'"' => l.double += 1,
                _ => l.base += byte_escaped_len(c),
            }
        }
        l
    }

    pub(super) fn plus(&self, o: &BytesReprLen) -> Self {
        BytesReprLen { base: self.base + o.base, single: self.single + o.single, double: self.double + o.double }
    }

    /// `len(repr(b))`.
    pub(super) fn len(&self) -> usize {
        let single_cost = if self.single > 0 && self.double == 0 { 1 } else { 2 };
        3 + self.base + self.double + self.single * single_cost
    }
}

/// `pprint._wrap_bytes_repr`: the reprs of the 4-byte-aligned pieces a long bytes is cut into.
pub(super) fn wrap_bytes(b: &[u8], width: i64, allowance: i64) -> Vec<String> {
    let mut width = width;
    let mut out = Vec::new();
    let mut current: &[u8] = &[];
    let mut current_len = BytesReprLen::default();
    let last = b.len() / 4 * 4;
    let mut i = 0;
    while i < b.len() {
        let part = &b[i..(i + 4).min(b.len())];
        let part_len = BytesReprLen::of(part);
        let cand_len = current_len.plus(&part_len);
        if i == last {
            width -= allowance;
        }
        if cand_len.len() as i64 > width {
            if !current.is_empty() {
                out.push(super::repr_bytes(current));
            }
            current = part;
            current_len = part_len;
        } else {
            // `current` is a prefix of `b` ending at `i`, so the candidate is a longer slice.
            let start = i - current.len();
            current = &b[start..i + part.len()];
            current_len = cand_len;
        }
        i += 4;
    }
    if !current.is_empty() {
        out.push(super::repr_bytes(current));
    }
    out
}

/// `pprint`'s chunks of a long str (`PrettyPrinter._pprint_str`): the reprs to write, one per
/// line of output, and whether the whole string fit as one chunk.
pub(super) fn wrap_str(cps: &[u32], width: i64, indent: i64, allowance: i64) -> Vec<String> {
    let lines = split_lines(cps);
    let max_width = width - indent;
    let mut max_width1 = max_width;
    let mut chunks = Vec::new();
    let n = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let mut line_len = ReprLen::default();
        for &cp in line.iter() {
            line_len.push(cp);
        }
        if i == n - 1 {
            max_width1 -= allowance;
        }
        if line_len.len() as i64 <= max_width1 {
            chunks.push(repr_code_points(line));
            continue;
        }
        let parts = words(line);
        let mut max_width2 = max_width;
        // `current` is always a contiguous run of `line`: [cur_start, cur_end).
        let mut cur_start = 0;
        let mut cur_end = 0;
        let mut cur_len = ReprLen::default();
        let mut offset = 0;
        for (j, part) in parts.iter().enumerate() {
            let mut part_len = ReprLen::default();
            for &cp in part.iter() {
                part_len.push(cp);
            }
            let mut cand = cur_len;
            cand.extend(&part_len);
            if j == parts.len() - 1 && i == n - 1 {
                max_width2 -= allowance;
            }
            if cand.len() as i64 > max_width2 {
                if cur_end > cur_start {
                    chunks.push(repr_code_points(&line[cur_start..cur_end]));
                }
                cur_start = offset;
                cur_len = part_len;
            } else {
                cur_len = cand;
            }
            offset += part.len();
            cur_end = offset;
        }
        if cur_end > cur_start {
            chunks.push(repr_code_points(&line[cur_start..cur_end]));
        }
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cps(s: &str) -> Vec<u32> {
        s.chars().map(|c| c as u32).collect()
    }

    #[test]
    fn lines_and_words() {
        let s = cps("a\r\nb\rc\u{2028}d");
        let lines: Vec<String> =
            split_lines(&s).iter().map(|l| l.iter().map(|&c| char::from_u32(c).unwrap()).collect()).collect();
        assert_eq!(lines, ["a\r\n", "b\r", "c\u{2028}", "d"]);
        let w = cps("  ab cd  e");
        let parts: Vec<usize> = words(&w).iter().map(|p| p.len()).collect();
        assert_eq!(parts, [2, 3, 4, 1]);
    }

    #[test]
    fn repr_lengths() {
        for s in ["", "a'b", "a\"b'", "\u{7f}\u{e9}\n\\", "\u{1f600}\u{d7ff}"] {
            let c = cps(s);
            let mut l = ReprLen::default();
            c.iter().for_each(|&cp| l.push(cp));
            assert_eq!(l.len(), repr_code_points(&c).chars().count(), "{s:?}");
        }
        for b in [&b"a'b"[..], b"a\"'", b"\x00\xff\\", b""] {
            assert_eq!(BytesReprLen::of(b).len(), super::super::repr_bytes(b).len());
        }
    }
}
