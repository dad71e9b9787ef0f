//! `repr` of the natives that have no children to walk: numbers, datetimes, decimals, UUIDs and
//! the names of globals.

use crate::value::{Date, Global, Graph, Object, TimeDelta, Value};
use num_bigint::{BigInt, Sign};
use num_traits::{Signed, Zero};

/// `repr(f)` for a float inside a complex: the shortest round-trip form without the `.0` that
/// `float.__repr__` adds.
fn complex_part(f: f64) -> String {
    let s = crate::float_repr(f);
    match s.strip_suffix(".0") {
        Some(short) => short.to_owned(),
        None => s,
    }
}

/// `repr(complex(re, im))`.
pub(super) fn complex_repr(re: f64, im: f64) -> String {
    let imag = |sign: bool| {
        let mut s = complex_part(im);
        if im.is_nan() {
            s = "nan".into();
        }
        if sign && !s.starts_with('-') {
            s.insert(0, '+');
        }
        s
    };
    if re == 0.0 && re.is_sign_positive() {
        format!("{}j", imag(false))
    } else {
        let real = if re.is_nan() { "nan".into() } else { complex_part(re) };
        format!("({real}{}j)", imag(true))
    }
}

/// Ints wider than this print in hexadecimal (`0x...`, the same value): decimal conversion
/// takes time quadratic in the length, and Python 3.11 refuses ints of more than 4300 digits.
pub(super) const MAX_DECIMAL_BITS: u64 = 1 << 20;

/// `repr(n)` for an int, in hexadecimal past [`MAX_DECIMAL_BITS`].
pub(super) fn int_repr(n: &BigInt) -> String {
    if n.bits() > MAX_DECIMAL_BITS {
        format!("{n:#x}")
    } else {
        n.to_string()
    }
}

/// Decimal digits of an int, with `_` every three digits when asked (`f"{n:_d}"`).
pub(super) fn int_text(digits: String, underscores: bool) -> String {
    if !underscores || digits.starts_with("0x") || digits.starts_with("-0x") {
        return digits;
    }
    let (sign, body) = match digits.strip_prefix('-') {
        Some(b) => ("-", b),
        None => ("", digits.as_str()),
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    out.push_str(sign);
    for (i, c) in body.chars().enumerate() {
        if i > 0 && (body.len() - i) % 3 == 0 {
            out.push('_');
        }
        out.push(c);
    }
    out
}

/// A decimal number as `decimal.Decimal` keeps it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Dec {
    /// `(-1)**neg * coeff * 10**exp`; `coeff` has no leading zeros (`"0"` for zero).
    Finite {
        neg: bool,
        coeff: String,
        exp: i64,
    },
    Inf {
        neg: bool,
    },
    NaN {
        neg: bool,
        signaling: bool,
        payload: String,
    },
}

/// Parse a string the way `Decimal(str)` does (ASCII digits only).
pub(super) fn parse_decimal(s: &str) -> Option<Dec> {
    let s = s.trim_matches(|c: char| c.is_whitespace());
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Some(Dec::Inf { neg });
    }
    for (prefix, signaling) in [("snan", true), ("nan", false)] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            let digits = underscored_digits(rest)?;
            let payload = digits.trim_start_matches('0').to_owned();
            return Some(Dec::NaN { neg, signaling, payload });
        }
    }
    let (mantissa, exp) = match lower.find('e') {
        Some(i) => (&lower[..i], Some(&lower[i + 1..])),
        None => (lower.as_str(), None),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    let int_digits = if int_part.is_empty() { String::new() } else { underscored_digits(int_part)? };
    let frac_digits = if frac_part.is_empty() { String::new() } else { underscored_digits(frac_part)? };
    if int_digits.is_empty() && frac_digits.is_empty() {
        return None;
    }
    let mut e: i64 = match exp {
        None => 0,
        Some(text) => {
            let (eneg, edigits) = match text.as_bytes().first()? {
                b'-' => (true, &text[1..]),
                b'+' => (false, &text[1..]),
                _ => (false, text),
            };
            let d = underscored_digits(edigits)?;
            let v: i64 = d.trim_start_matches('0').parse().unwrap_or(0);
            if d.trim_start_matches('0').len() > 17 {
                return None;
            }
            if eneg {
                -v
            } else {
                v
            }
        }
    };
    e -= frac_digits.len() as i64;
    let all = int_digits + &frac_digits;
    let trimmed = all.trim_start_matches('0');
    let coeff = if trimmed.is_empty() { "0".to_owned() } else { trimmed.to_owned() };
    Some(Dec::Finite { neg, coeff, exp: e })
}

/// ASCII digits with single underscores between them, as Python's numeric literals allow.
fn underscored_digits(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some(String::new());
    }
    let b = s.as_bytes();
    if b[0] == b'_' || b[b.len() - 1] == b'_' || s.contains("__") {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    for &c in b {
        match c {
            b'0'..=b'9' => out.push(c as char),
            b'_' => {}
            _ => return None,
        }
    }
    Some(out)
}

/// `str(Decimal)`: scientific notation as `Decimal.__str__` writes it.
pub(super) fn decimal_str(d: &Dec) -> String {
    match d {
        Dec::Inf { neg } => format!("{}Infinity", if *neg { "-" } else { "" }),
        Dec::NaN { neg, signaling, payload } => {
            format!("{}{}NaN{payload}", if *neg { "-" } else { "" }, if *signaling { "s" } else { "" })
        }
        Dec::Finite { neg, coeff, exp } => {
            let sign = if *neg { "-" } else { "" };
            let n = coeff.len() as i64;
            let leftdigits = exp + n;
            let dotplace = if *exp <= 0 && leftdigits > -6 { leftdigits } else { 1 };
            let (intpart, fracpart) = if dotplace <= 0 {
                ("0".to_owned(), format!(".{}{coeff}", "0".repeat((-dotplace) as usize)))
            } else if dotplace >= n {
                (format!("{coeff}{}", "0".repeat((dotplace - n) as usize)), String::new())
            } else {
                (coeff[..dotplace as usize].to_owned(), format!(".{}", &coeff[dotplace as usize..]))
            };
            let e = if leftdigits == dotplace { String::new() } else { format!("E{:+}", leftdigits - dotplace) };
            format!("{sign}{intpart}{fracpart}{e}")
        }
    }
}

/// `repr(Decimal(s))`.
pub(super) fn decimal_repr(s: &str) -> String {
    let text = match parse_decimal(s) {
        // Exponents too large to place as digits stay as given.
        Some(d @ Dec::Finite { exp, .. }) if exp.abs() < 1 << 40 => decimal_str(&d),
        Some(d @ (Dec::Inf { .. } | Dec::NaN { .. })) => decimal_str(&d),
        _ => s.to_owned(),
    };
    format!("Decimal('{text}')")
}

/// An int value of any size, if `v` is one (bools count, as Python's `int` subclass).
pub(super) fn big_int(g: &Graph, v: Value) -> Option<BigInt> {
    match v {
        Value::Int(i) => Some(BigInt::from(i)),
        Value::Bool(b) => Some(BigInt::from(b as i64)),
        Value::Ref(_) => match g.object(v) {
            Some(Object::Int(n)) => Some((**n).clone()),
            _ => None,
        },
        _ => None,
    }
}

fn gcd(a: &BigInt, b: &BigInt) -> BigInt {
    let (mut a, mut b) = (a.abs(), b.abs());
    while !b.is_zero() {
        let r = &a % &b;
        a = b;
        b = r;
    }
    a
}

/// A fraction in lowest terms with a positive denominator, as `Fraction(n, d)` keeps it
/// (`None` for a zero denominator, which Python refuses).
pub(super) fn fraction_parts(g: &Graph, n: Value, d: Value) -> Option<(BigInt, BigInt)> {
    let (n, d) = (big_int(g, n)?, big_int(g, d)?);
    if d.is_zero() || n.bits() > MAX_DECIMAL_BITS || d.bits() > MAX_DECIMAL_BITS {
        return None;
    }
    let k = gcd(&n, &d);
    let (mut n, mut d) = (n / &k, d / &k);
    if d.sign() == Sign::Minus {
        n = -n;
        d = -d;
    }
    Some((n, d))
}

/// `repr(Fraction(n, d))`.
pub(super) fn fraction_repr(g: &Graph, n: Value, d: Value) -> String {
    match fraction_parts(g, n, d) {
        Some((n, d)) => format!("Fraction({n}, {d})"),
        None => {
            let show = |v: Value| big_int(g, v).map(|i| int_repr(&i)).unwrap_or_else(|| "?".into());
            format!("Fraction({}, {})", show(n), show(d))
        }
    }
}

/// `repr(uuid.UUID(int=u))`.
pub(super) fn uuid_repr(u: u128) -> String {
    let h = format!("{u:032x}");
    format!("UUID('{}-{}-{}-{}-{}')", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

pub(super) fn date_repr(d: &Date) -> String {
    format!("datetime.date({}, {}, {})", d.year, d.month, d.day)
}

/// `repr(timedelta)`: the non-zero fields by keyword, or `datetime.timedelta(0)`.
pub(super) fn timedelta_repr(t: &TimeDelta) -> String {
    let mut parts = Vec::new();
    if t.days != 0 {
        parts.push(format!("days={}", t.days));
    }
    if t.seconds != 0 {
        parts.push(format!("seconds={}", t.seconds));
    }
    if t.microseconds != 0 {
        parts.push(format!("microseconds={}", t.microseconds));
    }
    if parts.is_empty() {
        "datetime.timedelta(0)".into()
    } else {
        format!("datetime.timedelta({})", parts.join(", "))
    }
}

/// The `h, m[, s[, us]]` arguments of a time or datetime repr.
pub(super) fn clock_args(h: u8, m: u8, s: u8, us: u32) -> String {
    if us != 0 {
        format!("{h}, {m}, {s}, {us}")
    } else if s != 0 {
        format!("{h}, {m}, {s}")
    } else {
        format!("{h}, {m}")
    }
}

/// Whether a timezone's offset is zero (a `datetime.timezone(timedelta(0))` is `timezone.utc`).
pub(super) fn is_zero_delta(g: &Graph, v: Value) -> bool {
    matches!(g.object(v), Some(Object::TimeDelta(t)) if t.days == 0 && t.seconds == 0 && t.microseconds == 0)
}

/// Builtin classes, by name in the `builtins` module (`repr` is `<class 'int'>`).
const BUILTIN_CLASSES: &[&str] = &[
    "object",
    "type",
    "int",
    "float",
    "complex",
    "bool",
    "str",
    "bytes",
    "bytearray",
    "list",
    "tuple",
    "dict",
    "set",
    "frozenset",
    "range",
    "slice",
    "memoryview",
    "property",
    "staticmethod",
    "classmethod",
    "super",
    "enumerate",
    "zip",
    "map",
    "filter",
    "reversed",
    "BaseException",
    "BaseExceptionGroup",
    "Exception",
    "ExceptionGroup",
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "EncodingWarning",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "NotADirectoryError",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
];

/// Builtin functions in the `builtins` module (`repr` is `<built-in function len>`).
const BUILTIN_FUNCTIONS: &[&str] = &[
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "breakpoint",
    "callable",
    "chr",
    "compile",
    "delattr",
    "dir",
    "divmod",
    "eval",
    "exec",
    "format",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "hex",
    "id",
    "input",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "locals",
    "max",
    "min",
    "next",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "repr",
    "round",
    "setattr",
    "sorted",
    "sum",
    "vars",
    "__import__",
    "__build_class__",
];

/// Classes of other modules whose `repr` is known: `(module, name)`.
const STDLIB_CLASSES: &[(&str, &str)] = &[
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    ("collections", "deque"),
    ("collections", "Counter"),
    ("collections", "ChainMap"),
    ("collections", "UserDict"),
    ("collections", "UserList"),
    ("collections", "UserString"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("datetime", "tzinfo"),
    ("decimal", "Decimal"),
    ("fractions", "Fraction"),
    ("uuid", "UUID"),
    ("functools", "partial"),
    ("operator", "itemgetter"),
    ("operator", "attrgetter"),
    ("operator", "methodcaller"),
    ("array", "array"),
    ("types", "SimpleNamespace"),
];

/// Builtin (C) functions of other modules: `(module, name)`.
const STDLIB_FUNCTIONS: &[(&str, &str)] = &[
    ("_codecs", "encode"),
    ("_codecs", "decode"),
    ("functools", "reduce"),
    ("array", "_array_reconstructor"),
    ("math", "sqrt"),
];

/// What a global is known to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum GlobalKind {
    /// A class: `<class 'name'>`.
    Class,
    /// A builtin function: `<built-in function name>`.
    BuiltinFunction,
    /// `Ellipsis` / `NotImplemented`.
    Constant,
    /// Not known: `<global module.name>`.
    Unknown,
}

pub(super) fn global_kind(gl: &Global) -> GlobalKind {
    let (m, n) = (gl.module.as_str(), gl.name.as_str());
    if m == "builtins" {
        if BUILTIN_CLASSES.contains(&n) || n == "EnvironmentError" || n == "IOError" {
            return GlobalKind::Class;
        }
        if BUILTIN_FUNCTIONS.contains(&n) {
            return GlobalKind::BuiltinFunction;
        }
        if n == "Ellipsis" || n == "NotImplemented" {
            return GlobalKind::Constant;
        }
    }
    if STDLIB_CLASSES.contains(&(m, n)) {
        return GlobalKind::Class;
    }
    if STDLIB_FUNCTIONS.contains(&(m, n)) {
        return GlobalKind::BuiltinFunction;
    }
    GlobalKind::Unknown
}

/// `repr` of a global reference.
pub(super) fn global_repr(gl: &Global) -> String {
    let (m, n) = (gl.module.as_str(), gl.name.as_str());
    match global_kind(gl) {
        GlobalKind::Class if m == "builtins" => {
            let n = if n == "EnvironmentError" || n == "IOError" { "OSError" } else { n };
            format!("<class '{n}'>")
        }
        GlobalKind::Class => format!("<class '{m}.{n}'>"),
        GlobalKind::BuiltinFunction => format!("<built-in function {n}>"),
        GlobalKind::Constant => n.to_owned(),
        GlobalKind::Unknown => format!("<global {m}.{n}>"),
    }
}

/// `type(g).__module__.__qualname__` of a global, as `str(type(g))` would name it.
pub(super) fn global_type_name(gl: &Global) -> &'static str {
    match global_kind(gl) {
        GlobalKind::Class => "type",
        GlobalKind::BuiltinFunction => "builtin_function_or_method",
        GlobalKind::Constant if gl.name == "Ellipsis" => "ellipsis",
        GlobalKind::Constant => "NotImplementedType",
        GlobalKind::Unknown if gl.name.rsplit('.').next().is_some_and(|s| s.starts_with(char::is_uppercase)) => "type",
        GlobalKind::Unknown => "function",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for (input, want) in [
            ("1.10", "1.10"),
            ("1.100e1", "11.00"),
            ("  -0.000E-3 ", "-0.000000"),
            ("nan123", "NaN123"),
            ("NaN0", "NaN"),
            ("-sNaN", "-sNaN"),
            ("1_000", "1000"),
            ("1E+10", "1E+10"),
            ("0.0000001", "1E-7"),
            ("0.000001", "0.000001"),
            ("123E-20", "1.23E-18"),
            ("-inf", "-Infinity"),
            ("100", "100"),
            ("1e2", "1E+2"),
            (".5", "0.5"),
            ("5.", "5"),
        ] {
            assert_eq!(decimal_str(&parse_decimal(input).unwrap()), want, "{input}");
        }
        assert!(parse_decimal("1__0").is_none());
        assert!(parse_decimal("abc").is_none());
        assert!(parse_decimal(".").is_none());
    }

    #[test]
    fn complexes() {
        assert_eq!(complex_repr(1.5, -2.0), "(1.5-2j)");
        assert_eq!(complex_repr(0.0, -0.0), "-0j");
        assert_eq!(complex_repr(f64::INFINITY, 1e300), "(inf+1e+300j)");
        assert_eq!(complex_repr(-0.0, 1.0), "(-0+1j)");
        assert_eq!(complex_repr(1.0, f64::NAN), "(1+nanj)");
        assert_eq!(complex_repr(1e16, 2.5e-7), "(1e+16+2.5e-07j)");
    }

    #[test]
    fn underscores() {
        assert_eq!(int_text("1234567".into(), true), "1_234_567");
        assert_eq!(int_text("-123".into(), true), "-123");
        assert_eq!(int_text("-1234".into(), true), "-1_234");
    }
}
