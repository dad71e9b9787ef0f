//! Disassembly of pickles: the output of CPython's `pickletools.dis`, byte for byte.
//!
//! [`ops`] walks the opcodes of a pickle (pickletools' `genops`), decoding each argument as
//! pickletools does, with its validation and its error messages. [`Disassembler`] prints them
//! as `python -m pickletools` does — offsets, opcode bytes, MARK indentation, memo and stack
//! checks, `-a` annotations and the closing `highest protocol among opcodes` line — and fails
//! where pickletools fails, after the same lines.
//!
//! ```
//! // Python: pickletools.dis(pickle.dumps([1, 'a'], protocol=2))
//! let text = brinery::dis::dis(b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01e.").unwrap();
//! assert_eq!(text, "    0: \\x80 PROTO      2
//!     2: ]    EMPTY_LIST
//!     3: q    BINPUT     0
//!     5: (    MARK
//!     6: K        BININT1    1
//!     8: X        BINUNICODE 'a'
//!    14: q        BINPUT     1
//!    16: e        APPENDS    (MARK at 5)
//!    17: .    STOP
//! highest protocol among opcodes = 2
//! ");
//! ```

mod docs;
mod ops;
mod pytext;

pub use ops::{ops, ArgValue, Op, Ops};

use crate::error::{Error, Result};
use crate::opcodes::{Arg, Stk};
use num_bigint::BigInt;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::io::{self, BufRead, Write};

/// `repr(opcode.code)[1:-1]`: the opcode byte as pickletools shows it.
fn code_repr(code: u8) -> String {
    match code {
        b'\\' => "\\\\".into(),
        b'\t' => "\\t".into(),
        b'\n' => "\\n".into(),
        b'\r' => "\\r".into(),
        0x20..=0x7e => (code as char).to_string(),
        _ => format!("\\x{code:02x}"),
    }
}

/// A memo key: a Python int (`False` and `0` are the same key).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum MemoKey {
    Int(i128),
    Big(BigInt),
}

impl MemoKey {
    /// The key of an int argument (PUT, GET and their binary forms).
    pub(crate) fn of(arg: &ArgValue) -> Option<MemoKey> {
        match arg {
            ArgValue::BigInt(b) => Some(MemoKey::Big(b.clone())),
            _ => arg.as_int().map(MemoKey::Int),
        }
    }
}

/// The memo as pickletools' `dis` emulates it: which keys hold which kind of stack item.
/// Sharing one between disassemblies (`python -m pickletools -m`) lets later pickles refer to
/// what earlier ones stored.
///
/// ```
/// let mut memo = brinery::dis::Memo::default();
/// assert!(memo.is_empty());
/// let mut out = Vec::new();
/// brinery::dis::Disassembler::new().run(b"]\x94.", &mut out, &mut memo).unwrap();
/// assert_eq!(memo.len(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Memo {
    map: HashMap<MemoKey, Stk>,
}

impl Memo {
    /// Number of memo entries.
    ///
    /// ```
    /// let mut memo = brinery::dis::Memo::default();
    /// brinery::dis::Disassembler::new().run(b"Np0\np1\n0.", std::io::sink(), &mut memo).unwrap_err();
    /// assert_eq!(memo.len(), 2); // stored before STOP found the stack empty
    /// ```
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when nothing was stored.
    ///
    /// ```
    /// assert!(brinery::dis::Memo::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Forget every entry.
    ///
    /// ```
    /// let mut memo = brinery::dis::Memo::default();
    /// brinery::dis::Disassembler::new().run(b"N\x94.", std::io::sink(), &mut memo).unwrap();
    /// memo.clear();
    /// assert!(memo.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.map.clear();
    }
}

/// The disassembler, with pickletools' `dis` options.
///
/// ```
/// use brinery::dis::{Disassembler, Memo};
/// let mut out = Vec::new();
/// Disassembler::new().indent(2).annotate(30).run(b"(K\x01t.", &mut out, &mut Memo::default()).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert_eq!(text.lines().nth(1).unwrap(), "    1: K      BININT1    1            Push a one-byte unsigned integer.");
/// ```
#[derive(Clone, Debug)]
pub struct Disassembler {
    indent: usize,
    annotate: usize,
}

impl Default for Disassembler {
    fn default() -> Self {
        Disassembler::new()
    }
}

/// Write `n` blanks without building them.
fn write_blanks(out: &mut dyn Write, mut n: u64) -> io::Result<()> {
    const BLANKS: [u8; 256] = [b' '; 256];
    while n > 0 {
        let k = n.min(BLANKS.len() as u64) as usize;
        out.write_all(&BLANKS[..k])?;
        n -= k as u64;
    }
    Ok(())
}

impl Disassembler {
    /// pickletools' defaults: indent 4 per MARK level, no annotations.
    ///
    /// ```
    /// let text = {
    ///     let mut out = Vec::new();
    ///     brinery::dis::Disassembler::new().run(b"N.", &mut out, &mut Default::default()).unwrap();
    ///     String::from_utf8(out).unwrap()
    /// };
    /// assert!(text.starts_with("    0: N    NONE\n"));
    /// ```
    pub fn new() -> Self {
        Disassembler { indent: 4, annotate: 0 }
    }

    /// Blanks of indentation per MARK level (`-l`).
    ///
    /// ```
    /// let d = brinery::dis::Disassembler::new().indent(0);
    /// let mut out = Vec::new();
    /// d.run(b"(t.", &mut out, &mut Default::default()).unwrap();
    /// assert!(String::from_utf8(out).unwrap().contains("    1: t    TUPLE      (MARK at 0)"));
    /// ```
    pub fn indent(mut self, blanks: usize) -> Self {
        self.indent = blanks;
        self
    }

    /// Annotate each line with the opcode's description, aligned from this column hint
    /// (0: no annotations; `python -m pickletools -a` uses 30).
    ///
    /// ```
    /// let d = brinery::dis::Disassembler::new().annotate(30);
    /// let mut out = Vec::new();
    /// d.run(b"N.", &mut out, &mut Default::default()).unwrap();
    /// assert!(String::from_utf8(out).unwrap().starts_with("    0: N    NONE                      Push None on the stack.\n"));
    /// ```
    pub fn annotate(mut self, column: usize) -> Self {
        self.annotate = column;
        self
    }

    /// Disassemble the pickle at the start of `data` into `out` (see
    /// [`Disassembler::run_reader`]). Returns the offset just past its STOP.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// let err = brinery::dis::Disassembler::new().run(b"a.", &mut out, &mut Default::default()).unwrap_err();
    /// assert_eq!(err.to_string(), "offset 0 (APPEND): tries to pop 2 items from stack with only 0 items");
    /// assert_eq!(out, b"    0: a    APPEND\n");
    /// ```
    pub fn run<W: Write>(&self, data: &[u8], out: W, memo: &mut Memo) -> Result<u64> {
        self.disassemble(ops(data), out, memo)
    }

    /// Disassemble the next pickle of a reader into `out`, through its STOP, using (and
    /// updating) `memo`; offsets count from 0. Every line up to the failing opcode is written
    /// before an error is returned, exactly as pickletools prints them. Returns the offset just
    /// past the STOP; the reader stands right there, so passing `&mut reader` again
    /// disassembles the next pickle.
    ///
    /// ```
    /// let input = std::io::Cursor::new(b"K\x01K\x02.".to_vec());
    /// let mut out = Vec::new();
    /// let err = brinery::dis::Disassembler::new().run_reader(input, &mut out, &mut Default::default()).unwrap_err();
    /// assert_eq!(err.to_string(), "offset 4 (STOP): stack not empty after STOP: [int]");
    /// assert!(String::from_utf8(out).unwrap().ends_with("highest protocol among opcodes = 1\n"));
    /// ```
    pub fn run_reader<R: BufRead, W: Write>(&self, input: R, out: W, memo: &mut Memo) -> Result<u64> {
        self.run_reader_at(input, 0, out, memo)
    }

    /// [`Disassembler::run_reader`] with offsets counted from `offset`: where the reader stands
    /// in its stream (pickletools prints the stream's `tell()`).
    ///
    /// ```
    /// use brinery::dis::{Disassembler, Memo};
    /// let mut input = std::io::Cursor::new(b"K\x01.K\x02.".to_vec());
    /// let (d, mut memo, mut out) = (Disassembler::new(), Memo::default(), Vec::new());
    /// let end = d.run_reader(&mut input, &mut out, &mut memo).unwrap();
    /// d.run_reader_at(&mut input, end, &mut out, &mut memo).unwrap();
    /// assert!(String::from_utf8(out).unwrap().contains("    3: K    BININT1    2\n"));
    /// ```
    pub fn run_reader_at<R: BufRead, W: Write>(&self, input: R, offset: u64, out: W, memo: &mut Memo) -> Result<u64> {
        self.disassemble(Ops::from_reader_at(input, offset), out, memo)
    }

    fn disassemble<W: Write>(&self, mut ops: Ops<'_>, mut out: W, memo: &mut Memo) -> Result<u64> {
        let result = self.disassemble_inner(&mut ops, &mut out, memo);
        let flushed = out.flush();
        result?;
        flushed.map_err(Error::from)?;
        Ok(ops.offset())
    }

    fn disassemble_inner(&self, ops: &mut Ops<'_>, out: &mut dyn Write, memo: &mut Memo) -> Result<()> {
        let mut stack: Vec<Stk> = Vec::new();
        let mut markstack: Vec<u64> = Vec::new();
        let mut maxproto: i32 = -1;
        let mut annocol = self.annotate;
        let mut last_stop = 0u64;
        for op in ops {
            let op = op?;
            let info = op.info;
            let here = |e: Error| e.at(op.pos, Some(info.code));
            last_stop = op.pos;
            write!(out, "{:5}: ", op.pos)?;

            // The line is "%-4s %s%s" % (code, indentation, name) plus what follows; the
            // indentation is written in pieces, never built, as it grows with the MARK depth.
            let head = format!("{:<4} ", code_repr(info.code));
            let indent = (self.indent as u64).saturating_mul(markstack.len() as u64);
            let mut line = String::from(info.name);
            maxproto = maxproto.max(i32::from(info.proto));
            let before = info.before;
            let mut after: &[Stk] = info.after;
            let mut numtopop = before.len();

            // See whether a MARK should be popped.
            let mut markmsg: Option<String> = None;
            let mut errormsg: Option<String> = None;
            if before.contains(&Stk::Mark) || (info.name == "POP" && stack.last() == Some(&Stk::Mark)) {
                if let Some(markpos) = markstack.pop() {
                    markmsg = Some(format!("(MARK at {markpos})"));
                    loop {
                        match stack.pop() {
                            Some(Stk::Mark) => break,
                            Some(_) => {}
                            // pickletools indexes an empty list here: an IndexError.
                            None => return Err(here(Error::invalid("list index out of range"))),
                        }
                    }
                    numtopop = before.iter().position(|&s| s == Stk::Mark).unwrap_or(0);
                } else {
                    markmsg = Some("no MARK exists on stack".into());
                    errormsg = markmsg.clone();
                }
            }

            // Check for correct memo usage.
            let memo_value;
            match info.name {
                "PUT" | "BINPUT" | "LONG_BINPUT" | "MEMOIZE" => {
                    let key = if info.name == "MEMOIZE" {
                        let idx = memo.len();
                        markmsg = Some(format!("(as {idx})"));
                        Some(MemoKey::Int(idx as i128))
                    } else {
                        MemoKey::of(&op.arg)
                    };
                    if let Some(key) = key {
                        match memo.map.entry(key) {
                            Entry::Occupied(_) => {
                                errormsg = Some(format!("memo key {} already defined", op.arg.repr().map_err(here)?))
                            }
                            Entry::Vacant(slot) => match stack.last() {
                                None => errormsg = Some("stack is empty -- can't store into memo".into()),
                                Some(Stk::Mark) => errormsg = Some("can't store markobject in the memo".into()),
                                Some(&top) => {
                                    slot.insert(top);
                                }
                            },
                        }
                    }
                }
                "GET" | "BINGET" | "LONG_BINGET" => match MemoKey::of(&op.arg).and_then(|k| memo.map.get(&k)) {
                    Some(&v) => {
                        memo_value = [v];
                        after = &memo_value;
                    }
                    None => {
                        errormsg = Some(format!("memo key {} has never been stored into", op.arg.repr().map_err(here)?))
                    }
                },
                _ => {}
            }

            if info.arg != Arg::None || markmsg.is_some() {
                // make a mild effort to align arguments
                line.push_str(&" ".repeat(10usize.saturating_sub(info.name.len())));
                if info.arg != Arg::None {
                    let repr = op.arg.repr().map_err(here)?;
                    line.push(' ');
                    line.push_str(&repr);
                }
                if let Some(m) = &markmsg {
                    line.push(' ');
                    line.push_str(m);
                }
            }
            out.write_all(head.as_bytes())?;
            write_blanks(out, indent)?;
            out.write_all(line.as_bytes())?;
            if self.annotate > 0 {
                let len = (head.len() as u64).saturating_add(indent).saturating_add(line.chars().count() as u64);
                write_blanks(out, (annocol as u64).saturating_sub(len))?;
                // make a mild effort to align annotations
                annocol = len.max(annocol as u64).try_into().unwrap_or(usize::MAX);
                if annocol > 50 {
                    annocol = self.annotate;
                }
                write!(out, " {}", docs::annotation(info.code))?;
            }
            out.write_all(b"\n")?;

            if let Some(msg) = errormsg {
                return Err(here(Error::invalid(msg)));
            }

            // Emulate the stack effects.
            if stack.len() < numtopop {
                return Err(here(Error::invalid(format!(
                    "tries to pop {numtopop} items from stack with only {} items",
                    stack.len()
                ))));
            }
            stack.truncate(stack.len() - numtopop);
            if after.contains(&Stk::Mark) {
                markstack.push(op.pos);
            }
            stack.extend_from_slice(after);
        }
        writeln!(out, "highest protocol among opcodes = {maxproto}")?;
        if !stack.is_empty() {
            let names: Vec<&str> = stack.iter().map(|&s| s.name()).collect();
            return Err(
                Error::invalid(format!("stack not empty after STOP: [{}]", names.join(", "))).at(last_stop, Some(b'.'))
            );
        }
        Ok(())
    }
}

/// Disassemble the pickle at the start of `data` with pickletools' defaults, into a string.
///
/// ```
/// assert_eq!(brinery::dis::dis(b"N.").unwrap(), "    0: N    NONE\n    1: .    STOP\nhighest protocol among opcodes = 0\n");
/// assert!(brinery::dis::dis(b"N").is_err());
/// ```
pub fn dis(data: &[u8]) -> Result<String> {
    let mut out = Vec::new();
    Disassembler::new().run(data, &mut out, &mut Memo::default())?;
    String::from_utf8(out).map_err(|e| Error::invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mutated pickles never panic the disassembler or the optimizer.
    #[test]
    fn mutations_do_not_panic() {
        let seeds: [&[u8]; 6] = [
            b"\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00]\x94(\x8c\x01a\x94K\x01G?\xf0\x00\x00\x00\x00\x00\x00h\x01e.",
            b"(lp0\nI1\naS'a\\n'\np1\naVb\\u00e9\np2\nag1\naF1.5\naL5L\na(dp3\nccopy_reg\n_reconstructor\np4\ns.",
            b"\x80\x02]q\x00(X\x01\x00\x00\x00aq\x01h\x01\x8a\x02\xff\x00}q\x02(K\x01N\x88u\x85q\x03e.",
            b"\x80\x05\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x8f(K\x01\x90\x91\x97\x98\x8e\x01\x00\x00\x00\x00\x00\x00\x00z.",
            b"(i__main__\nC\n(dS'x'\nI00\nsbP1\nQ\x82\x01\x83\x01\x00\x84\x01\x00\x00\x00R0.",
            b"\x80\x04\x8c\x01m\x8c\x01n\x93)\x81}\x92\x8b\x02\x00\x00\x00\x00\x80C\x00B\x00\x00\x00\x00T\x00\x00\x00\x00U\x00\x8d\x00\x00\x00\x00\x00\x00\x00\x00.",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rand = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let dis = Disassembler::new().annotate(30).indent(3);
        for round in 0..20_000 {
            let mut data = seeds[round % seeds.len()].to_vec();
            for _ in 0..1 + rand(4) {
                let i = rand(data.len() + 1);
                match rand(5) {
                    0 if i < data.len() => data[i] = rand(256) as u8,
                    1 => data.insert(i, [b'(', b'0', b'1', b'.', 0x94, b'h', b'p', b'\n'][rand(8)]),
                    2 => data.truncate(i),
                    3 if i < data.len() => {
                        data.remove(i);
                    }
                    _ => data.insert(i, rand(256) as u8),
                }
            }
            let mut out = Vec::new();
            let _ = dis.run(&data, &mut out, &mut Memo::default());
            let mut out2 = Vec::new();
            let _ = dis.run_reader(&data[..], &mut out2, &mut Memo::default());
            assert_eq!(out, out2, "slice and reader disagree on {data:?}");
            let _ = crate::optimize::optimize(&data);
        }
    }

    /// A reader's I/O error is reported, with the lines before it.
    #[test]
    fn io_errors_propagate() {
        struct Failing(usize);
        impl io::Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk on fire"));
                }
                self.0 -= 1;
                buf[0] = b'N';
                Ok(1)
            }
        }
        let mut out = Vec::new();
        let err =
            Disassembler::new().run_reader(io::BufReader::new(Failing(2)), &mut out, &mut Memo::default()).unwrap_err();
        assert!(err.to_string().contains("disk on fire"), "{err}");
        assert_eq!(out, b"    0: N    NONE\n    1: N    NONE\n");
    }
}
