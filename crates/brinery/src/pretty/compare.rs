//! Python's `<` and `==` between values, as far as `pprint`'s sorting needs them, and
//! CPython's sort itself.
//!
//! `pprint` sorts dict keys and set items with `_safe_key`: `a < b`, or when that raises
//! `TypeError`, `(str(type(a)), id(a)) < (str(type(b)), id(b))`. Here `id` is
//! [`super::python_id`], which follows the graph index. Comparisons are exact for numbers (bool, int of any size, float, and
//! `Fraction`/`Decimal` among themselves and with ints), str, bytes/bytearray, tuples and lists
//! of comparable items, sets (subset order), dates, times, datetimes (naive, or aware with
//! `datetime.timezone` offsets), timedeltas and UUIDs; everything else is "unorderable" and
//! falls back to the type name and index, as `_safe_key` does.

use super::inst::InstView;
use super::scalars::{big_int, fraction_parts, global_type_name, parse_decimal, Dec};
use crate::value::{Graph, Object, Value};
use num_bigint::BigInt;
use num_traits::{FromPrimitive, Signed, Zero};
use std::cmp::Ordering;

/// Most element comparisons one `<` or `==` may make before it gives up (as unorderable /
/// unequal): shared sub-tuples can make a naive comparison exponential.
const STEP_LIMIT: usize = 1 << 20;
/// Element comparisons a sort of `n` items may make: plenty for any ordinary sort, and a bound
/// on pathological ones; past it every comparison is "unorderable" (and falls back to type
/// name and id).
fn sort_budget(n: usize) -> usize {
    let log = usize::BITS - n.leading_zeros();
    (1usize << 24).saturating_add(n.saturating_mul(64).saturating_mul(log as usize + 1))
}

#[derive(Clone, Copy)]
enum Num<'a> {
    I(i64),
    B(&'a BigInt),
    F(f64),
}

fn num(g: &Graph, v: Value) -> Option<Num<'_>> {
    match v {
        Value::Bool(b) => Some(Num::I(b as i64)),
        Value::Int(i) => Some(Num::I(i)),
        Value::Float(f) => Some(Num::F(f)),
        Value::Ref(_) => match g.object(v) {
            Some(Object::Int(n)) => Some(Num::B(n)),
            _ => None,
        },
        Value::None => None,
    }
}

fn to_big(n: Num<'_>) -> Option<BigInt> {
    match n {
        Num::I(i) => Some(BigInt::from(i)),
        Num::B(b) => Some(b.clone()),
        Num::F(_) => None,
    }
}

/// Exact comparison of an int with a finite or infinite float (None when the float is NaN).
fn cmp_int_float(n: &BigInt, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 { Ordering::Less } else { Ordering::Greater });
    }
    let t = f.trunc();
    let bt = BigInt::from_f64(t)?;
    Some(match n.cmp(&bt) {
        Ordering::Equal if f > t => Ordering::Less,
        Ordering::Equal if f < t => Ordering::Greater,
        o => o,
    })
}

fn num_cmp(a: Num<'_>, b: Num<'_>) -> Option<Ordering> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
        (Num::F(x), other) => cmp_int_float(&to_big(other)?, x).map(Ordering::reverse),
        (other, Num::F(y)) => cmp_int_float(&to_big(other)?, y),
        (x, y) => Some(to_big(x)?.cmp(&to_big(y)?)),
    }
}

/// A rational view of ints and fractions (numerator, positive denominator).
fn rational(g: &Graph, v: Value) -> Option<(BigInt, BigInt)> {
    match g.object(v) {
        Some(Object::Fraction(nd)) => fraction_parts(g, nd[0], nd[1]),
        _ => big_int(g, v).map(|i| (i, BigInt::from(1))),
    }
}

/// A float as an exact rational.
fn float_rational(f: f64) -> Option<(BigInt, BigInt)> {
    if !f.is_finite() {
        return None;
    }
    let bits = f.to_bits();
    let neg = bits >> 63 == 1;
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1 << 52) - 1);
    let (mant, e) = if exp == 0 { (frac, -1074) } else { (frac | (1 << 52), exp - 1075) };
    let mut n = BigInt::from(mant);
    if neg {
        n = -n;
    }
    if e >= 0 {
        Some((n << e as usize, BigInt::from(1)))
    } else {
        Some((n, BigInt::from(1) << (-e) as usize))
    }
}

fn cmp_rational(a: &(BigInt, BigInt), b: &(BigInt, BigInt)) -> Ordering {
    (&a.0 * &b.1).cmp(&(&b.0 * &a.1))
}

/// A Fraction compared with a number (int, float or Fraction).
fn fraction_cmp(g: &Graph, a: Value, b: Value) -> Option<Option<Ordering>> {
    let is_frac = |v: Value| matches!(g.object(v), Some(Object::Fraction(..)));
    if !is_frac(a) && !is_frac(b) {
        return None;
    }
    let side = |v: Value| -> Option<Option<(BigInt, BigInt)>> {
        if let Value::Float(f) = v {
            return Some(float_rational(f));
        }
        rational(g, v).map(Some)
    };
    let (x, y) = (side(a)?, side(b)?);
    Some(match (x, y) {
        (Some(x), Some(y)) => Some(cmp_rational(&x, &y)),
        // inf and nan against a fraction
        _ => {
            let f = match (a, b) {
                (Value::Float(f), _) => f,
                (_, Value::Float(f)) => -f,
                _ => return Some(None),
            };
            if f.is_nan() {
                None
            } else if f > 0.0 {
                Some(if matches!(a, Value::Float(_)) { Ordering::Greater } else { Ordering::Less })
            } else {
                Some(if matches!(a, Value::Float(_)) { Ordering::Less } else { Ordering::Greater })
            }
        }
    })
}

fn dec_of(g: &Graph, v: Value) -> Option<Dec> {
    match g.object(v) {
        Some(Object::Decimal(s)) => parse_decimal(s),
        _ => big_int(g, v).filter(|i| i.bits() <= 1 << 16).map(|i| Dec::Finite {
            neg: i.is_negative(),
            coeff: i.abs().to_string(),
            exp: 0,
        }),
    }
}

/// Decimal ordering (None for NaN, where Python raises).
fn dec_cmp(a: &Dec, b: &Dec) -> Option<Ordering> {
    let key = |d: &Dec| -> Option<(i8, Option<(i64, String)>)> {
        match d {
            Dec::NaN { .. } => None,
            Dec::Inf { neg } => Some((if *neg { -2 } else { 2 }, None)),
            Dec::Finite { neg, coeff, exp } => {
                if coeff == "0" {
                    Some((0, None))
                } else {
                    let adjusted = exp + coeff.len() as i64;
                    Some((if *neg { -1 } else { 1 }, Some((adjusted, coeff.trim_end_matches('0').to_owned()))))
                }
            }
        }
    };
    let (ka, kb) = (key(a)?, key(b)?);
    if ka.0 != kb.0 {
        return Some(ka.0.cmp(&kb.0));
    }
    let (Some((ea, ca)), Some((eb, cb))) = (ka.1, kb.1) else { return Some(Ordering::Equal) };
    let mag = ea.cmp(&eb).then_with(|| ca.cmp(&cb));
    Some(if ka.0 < 0 { mag.reverse() } else { mag })
}

fn decimal_cmp(g: &Graph, a: Value, b: Value) -> Option<Option<Ordering>> {
    let is_dec = |v: Value| matches!(g.object(v), Some(Object::Decimal(_)));
    if !is_dec(a) && !is_dec(b) {
        return None;
    }
    match (dec_of(g, a), dec_of(g, b)) {
        (Some(x), Some(y)) => Some(dec_cmp(&x, &y)),
        _ => None,
    }
}

/// A datetime or time as a comparable key: `(aware offset in µs or None, fields)`.
enum Clock {
    Naive([i64; 7]),
    Aware(i128),
    /// Aware with a tzinfo whose offset is unknown (an inert instance).
    Unknown(Value, [i64; 7]),
}

fn tz_offset_us(g: &Graph, tz: Value) -> Option<i128> {
    match g.object(tz)? {
        Object::TimeZone(tz) => match g.object(tz[0])? {
            Object::TimeDelta(t) => {
                Some(((t.days as i128 * 86400 + t.seconds as i128) * 1_000_000) + t.microseconds as i128)
            }
            _ => None,
        },
        _ => None,
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe
}

fn clock(g: &Graph, o: &Object) -> Option<Clock> {
    let (fields, tz) = match o {
        Object::DateTime(dt) => {
            let t = &dt.time;
            let days = days_from_civil(dt.date.year as i64, dt.date.month as i64, dt.date.day as i64);
            (
                [
                    dt.date.year as i64,
                    dt.date.month as i64,
                    dt.date.day as i64,
                    t.hour as i64,
                    t.minute as i64,
                    t.second as i64,
                    t.microsecond as i64,
                ],
                t.tzinfo.map(|tz| (tz, days)),
            )
        }
        Object::Time(t) => (
            [0, 0, 0, t.hour as i64, t.minute as i64, t.second as i64, t.microsecond as i64],
            t.tzinfo.map(|tz| (tz, 0)),
        ),
        _ => return None,
    };
    Some(match tz {
        None => Clock::Naive(fields),
        Some((tz, days)) => match tz_offset_us(g, tz) {
            Some(off) => {
                let us =
                    ((days as i128 * 86400 + fields[3] as i128 * 3600 + fields[4] as i128 * 60 + fields[5] as i128)
                        * 1_000_000)
                        + fields[6] as i128;
                Clock::Aware(us - off)
            }
            None => Clock::Unknown(tz, fields),
        },
    })
}

fn clock_cmp(a: &Clock, b: &Clock) -> Option<Ordering> {
    match (a, b) {
        (Clock::Naive(x), Clock::Naive(y)) => Some(x.cmp(y)),
        (Clock::Aware(x), Clock::Aware(y)) => Some(x.cmp(y)),
        (Clock::Unknown(tx, x), Clock::Unknown(ty, y)) if tx == ty => Some(x.cmp(y)),
        _ => None,
    }
}

/// Comparison context: the graph and a step budget.
pub(super) struct Cmp<'g> {
    g: &'g Graph,
    steps: usize,
    /// Steps left for the whole sort.
    budget: usize,
}

impl<'g> Cmp<'g> {
    /// For sorting `n` items.
    pub(super) fn new(g: &'g Graph, n: usize) -> Self {
        Cmp { g, steps: 0, budget: sort_budget(n) }
    }

    fn tick(&mut self) -> bool {
        self.steps += 1;
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        self.steps <= STEP_LIMIT
    }

    /// Python's `a == b` for the values `pprint` compares (identity for objects without value
    /// equality). Gives false when the step budget runs out.
    pub(super) fn eq(&mut self, a: Value, b: Value) -> bool {
        let g = self.g;
        let mut pending = vec![(a, b)];
        while let Some((a, b)) = pending.pop() {
            if !self.tick() {
                return false;
            }
            if let (Value::Ref(x), Value::Ref(y)) = (a, b) {
                if x == y {
                    continue;
                }
            }
            if let (Some(x), Some(y)) = (num(g, a), num(g, b)) {
                if num_cmp(x, y) != Some(Ordering::Equal) {
                    return false;
                }
                continue;
            }
            if let Some(o) = fraction_cmp(g, a, b).or_else(|| decimal_cmp(g, a, b)) {
                if o != Some(Ordering::Equal) {
                    return false;
                }
                continue;
            }
            let same = match (a, b) {
                (Value::None, Value::None) => true,
                (Value::Ref(_), _) | (_, Value::Ref(_)) => {
                    let complex_of = |v: Value| match (v, g.object(v)) {
                        (_, Some(Object::Complex(re, im))) => Some((*re, *im)),
                        (Value::Float(f), _) => Some((f, 0.0)),
                        (Value::Int(i), _) => Some((i as f64, 0.0)),
                        (Value::Bool(b), _) => Some((b as i64 as f64, 0.0)),
                        _ => None,
                    };
                    match (g.object(a), g.object(b)) {
                        (Some(Object::Complex(..)), _) | (_, Some(Object::Complex(..))) => {
                            complex_of(a).is_some() && complex_of(a) == complex_of(b)
                        }
                        (Some(x), Some(y)) => match (x, y) {
                            (Object::Str(p), Object::Str(q)) => p == q,
                            (Object::Bytes(_) | Object::ByteArray(_), Object::Bytes(_) | Object::ByteArray(_)) => {
                                x.bytes_like() == y.bytes_like()
                            }
                            (Object::Tuple(p), Object::Tuple(q)) | (Object::List(p), Object::List(q)) => {
                                if p.len() != q.len() {
                                    return false;
                                }
                                pending.extend(p.iter().copied().zip(q.iter().copied()).rev());
                                true
                            }
                            (Object::Set(p) | Object::FrozenSet(p), Object::Set(q) | Object::FrozenSet(q)) => {
                                p.len() == q.len() && self.subset(p.items(), q.items())
                            }
                            (Object::Global(p), Object::Global(q)) => p == q,
                            (Object::Uuid(p), Object::Uuid(q)) => p == q,
                            (Object::Date(p), Object::Date(q)) => p == q,
                            (Object::TimeDelta(p), Object::TimeDelta(q)) => p == q,
                            (Object::DateTime(_) | Object::Time(_), Object::DateTime(_) | Object::Time(_))
                                if std::mem::discriminant(x) == std::mem::discriminant(y) =>
                            {
                                match (clock(g, x), clock(g, y)) {
                                    (Some(cx), Some(cy)) => clock_cmp(&cx, &cy) == Some(Ordering::Equal),
                                    _ => false,
                                }
                            }
                            (Object::Range(a), Object::Range(b)) => {
                                range_key(g, a[0], a[1], a[2]) == range_key(g, b[0], b[1], b[2])
                            }
                            _ => false,
                        },
                        _ => false,
                    }
                }
                _ => false,
            };
            if !same {
                return false;
            }
        }
        true
    }

    /// Every item of `a` is in `b` (by `==`).
    fn subset(&mut self, a: &[Value], b: &[Value]) -> bool {
        a.iter().all(|&x| b.iter().any(|&y| self.eq(x, y)))
    }

    /// Python's `a < b`; None where Python raises `TypeError`.
    pub(super) fn lt(&mut self, a: Value, b: Value) -> Option<bool> {
        let g = self.g;
        let (mut a, mut b) = (a, b);
        loop {
            if !self.tick() {
                return None;
            }
            if let (Some(x), Some(y)) = (num(g, a), num(g, b)) {
                return Some(num_cmp(x, y) == Some(Ordering::Less));
            }
            if let Some(o) = fraction_cmp(g, a, b).or_else(|| decimal_cmp(g, a, b)) {
                return o.map(|o| o == Ordering::Less);
            }
            let (Some(x), Some(y)) = (g.object(a), g.object(b)) else { return None };
            return match (x, y) {
                (Object::Str(p), Object::Str(q)) => Some(p.as_bytes() < q.as_bytes()),
                (Object::Bytes(_) | Object::ByteArray(_), Object::Bytes(_) | Object::ByteArray(_)) => {
                    Some(x.bytes_like() < y.bytes_like())
                }
                (Object::Tuple(p), Object::Tuple(q)) | (Object::List(p), Object::List(q)) => {
                    let i = (0..p.len().min(q.len())).find(|&i| !self.eq(p[i], q[i]));
                    match i {
                        None => Some(p.len() < q.len()),
                        Some(i) => {
                            (a, b) = (p[i], q[i]);
                            continue;
                        }
                    }
                }
                (Object::Set(p) | Object::FrozenSet(p), Object::Set(q) | Object::FrozenSet(q)) => {
                    Some(p.len() < q.len() && self.subset(p.items(), q.items()))
                }
                (Object::Date(p), Object::Date(q)) => Some((p.year, p.month, p.day) < (q.year, q.month, q.day)),
                (Object::TimeDelta(p), Object::TimeDelta(q)) => {
                    Some((p.days, p.seconds, p.microseconds) < (q.days, q.seconds, q.microseconds))
                }
                (Object::DateTime(_), Object::DateTime(_)) | (Object::Time(_), Object::Time(_)) => {
                    match (clock(g, x), clock(g, y)) {
                        (Some(cx), Some(cy)) => clock_cmp(&cx, &cy).map(|o| o == Ordering::Less),
                        _ => None,
                    }
                }
                (Object::Uuid(p), Object::Uuid(q)) => Some(p < q),
                _ => None,
            };
        }
    }

    /// `_safe_key(a) < _safe_key(b)`.
    pub(super) fn safe_lt(&mut self, a: Value, b: Value) -> bool {
        self.steps = 0;
        match self.lt(a, b) {
            Some(r) => r,
            None => {
                let ta = type_repr(self.g, a);
                let tb = type_repr(self.g, b);
                (ta, ident(a)) < (tb, ident(b))
            }
        }
    }
}

fn range_key(g: &Graph, a: Value, b: Value, c: Value) -> Option<(BigInt, BigInt, BigInt)> {
    // Equal ranges are equal sequences: compare (len, first, step) as CPython does.
    let (start, stop, step) = (big_int(g, a)?, big_int(g, b)?, big_int(g, c)?);
    if step.is_zero() {
        return None;
    }
    let len = if step.is_positive() {
        if stop > start {
            (&stop - &start + &step - 1) / &step
        } else {
            BigInt::zero()
        }
    } else if start > stop {
        (&start - &stop - &step - 1) / (-&step)
    } else {
        BigInt::zero()
    };
    if len.is_zero() {
        return Some((len, BigInt::zero(), BigInt::zero()));
    }
    let step = if len == BigInt::from(1) { BigInt::zero() } else { step };
    Some((len, start, step))
}

/// The stand-in for `id(v)`: [`super::python_id`] for objects, 0 for scalars (which never
/// need it: they compare, or are the one `None`).
fn ident(v: Value) -> u64 {
    match v {
        Value::Ref(id) => super::python_id(id),
        _ => 0,
    }
}

/// `type(v).__module__ + '.' + type(v).__qualname__`, as `type.__repr__` names it (the module
/// is left out for builtins).
pub(super) fn class_name(g: &Graph, v: Value) -> String {
    let name: &str = match v {
        Value::None => "NoneType",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Ref(_) => match g.object(v) {
            None => "object",
            Some(o) => match o {
                Object::Global(gl) => global_type_name(gl),
                Object::Instance(inst) => {
                    return InstView::new(g, inst).name().unwrap_or_else(|| "object".into());
                }
                Object::PersistentId(_) => "brinery.PersistentId",
                Object::Ext(_) => "brinery.Extension",
                Object::Buffer(_) => "pickle.PickleBuffer",
                Object::Date(_) => "datetime.date",
                Object::Time(_) => "datetime.time",
                Object::DateTime(_) => "datetime.datetime",
                Object::TimeDelta(_) => "datetime.timedelta",
                Object::TimeZone(..) => "datetime.timezone",
                Object::Decimal(_) => "decimal.Decimal",
                Object::Uuid(_) => "uuid.UUID",
                Object::Fraction(..) => "fractions.Fraction",
                Object::OrderedDict(_) => "collections.OrderedDict",
                Object::DefaultDict(..) => "collections.defaultdict",
                Object::Deque(..) => "collections.deque",
                Object::Counter(_) => "collections.Counter",
                other => other.type_name(),
            },
        },
    };
    name.to_owned()
}

/// `str(type(v))`.
fn type_repr(g: &Graph, v: Value) -> String {
    format!("<class '{}'>", class_name(g, v))
}

/// `type(v).__name__`.
pub(super) fn short_type_name(g: &Graph, v: Value) -> String {
    let full = class_name(g, v);
    match g.object(v) {
        Some(Object::Instance(inst)) => InstView::new(g, inst).type_name().to_owned(),
        _ => full.rsplit('.').next().unwrap_or(&full).to_owned(),
    }
}

/// CPython's `list.sort` of indices under `lt`: exact (run detection and binary insertion)
/// below 64 items, a stable merge sort above (the same result whenever `lt` is a consistent
/// order). Never panics, whatever `lt` answers.
pub(super) fn py_sort(v: &mut [u32], mut lt: impl FnMut(u32, u32) -> bool) {
    let n = v.len();
    if n < 2 {
        return;
    }
    if n < 64 {
        // count_run
        let mut run = 2;
        if lt(v[1], v[0]) {
            while run < n && lt(v[run], v[run - 1]) {
                run += 1;
            }
            v[..run].reverse();
        } else {
            while run < n && !lt(v[run], v[run - 1]) {
                run += 1;
            }
        }
        // binarysort
        for start in run..n {
            let pivot = v[start];
            let (mut l, mut r) = (0, start);
            while l < r {
                let p = l + ((r - l) >> 1);
                if lt(pivot, v[p]) {
                    r = p;
                } else {
                    l = p + 1;
                }
            }
            v.copy_within(l..start, l + 1);
            v[l] = pivot;
        }
        return;
    }
    let mut buf = v.to_vec();
    let mut width = 1;
    let mut src_is_v = true;
    while width < n {
        {
            let (src, dst): (&[u32], &mut [u32]) = if src_is_v { (&*v, &mut buf) } else { (&buf, &mut *v) };
            let mut lo = 0;
            while lo < n {
                let mid = (lo + width).min(n);
                let hi = (lo + 2 * width).min(n);
                let (mut i, mut j, mut k) = (lo, mid, lo);
                while i < mid && j < hi {
                    if lt(src[j], src[i]) {
                        dst[k] = src[j];
                        j += 1;
                    } else {
                        dst[k] = src[i];
                        i += 1;
                    }
                    k += 1;
                }
                dst[k..k + (mid - i)].copy_from_slice(&src[i..mid]);
                k += mid - i;
                dst[k..k + (hi - j)].copy_from_slice(&src[j..hi]);
                lo = hi;
            }
        }
        src_is_v = !src_is_v;
        width *= 2;
    }
    if !src_is_v {
        v.copy_from_slice(&buf);
    }
}

/// Indices of `values` in `_safe_key` order.
pub(super) fn safe_sorted(g: &Graph, values: impl Fn(u32) -> Value, n: usize) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..n as u32).collect();
    let mut cmp = Cmp::new(g, n);
    py_sort(&mut idx, |a, b| cmp.safe_lt(values(a), values(b)));
    idx
}

/// `Counter.most_common()` order of entries (by count, largest first, ties in insertion order);
/// None when counts do not compare (Python raises `TypeError`).
pub(super) fn most_common(g: &Graph, entries: &[(Value, Value)]) -> Option<Vec<u32>> {
    let mut idx: Vec<u32> = (0..entries.len() as u32).rev().collect();
    let mut cmp = Cmp::new(g, entries.len());
    let mut failed = false;
    py_sort(&mut idx, |a, b| {
        cmp.steps = 0;
        match cmp.lt(entries[a as usize].1, entries[b as usize].1) {
            Some(r) => r,
            None => {
                failed = true;
                false
            }
        }
    });
    idx.reverse();
    (!failed).then_some(idx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_matches_python_small() {
        // sorted([3, 1, 2, 1.0, 0.5]) keeps 1 before 1.0 (stable)
        let vals = [3.0, 1.0, 2.0, 1.0, 0.5];
        let mut idx: Vec<u32> = (0..5).collect();
        py_sort(&mut idx, |a, b| vals[a as usize] < vals[b as usize]);
        assert_eq!(idx, [4, 1, 3, 2, 0]);
        let mut big: Vec<u32> = (0..200).rev().collect();
        py_sort(&mut big, |a, b| a % 7 < b % 7);
        let mut want: Vec<u32> = (0..200).rev().collect();
        want.sort_by_key(|a| a % 7);
        assert_eq!(big, want);
    }

    #[test]
    fn int_float_exact() {
        let big = BigInt::from(1u64 << 62) * 4 + 1;
        assert_eq!(cmp_int_float(&big, 2f64.powi(64)), Some(Ordering::Greater));
        assert_eq!(cmp_int_float(&BigInt::from(1), 1.5), Some(Ordering::Less));
        assert_eq!(cmp_int_float(&BigInt::from(-2), -1.5), Some(Ordering::Less));
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 719468);
        assert_eq!(days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28), 2);
    }
}
