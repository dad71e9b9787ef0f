//! The stdlib constructors brinery knows: recognising them while loading (this file) and
//! writing them back the way CPython does (`dump/reduce.rs`). Only exact, well-formed calls
//! become natives; anything else stays an inert [`crate::Instance`].

use crate::error::Result;
use crate::value::{
    Date, DateTime, DefaultDict, Deque, Dict, Graph, KeyCx, ObjId, Object, Set, Time, TimeDelta, Value,
};
use num_bigint::BigInt;

fn obj(g: &Graph, v: Value) -> Option<&Object> {
    g.object(v)
}

fn text(g: &Graph, v: Value) -> Option<&str> {
    match obj(g, v) {
        Some(Object::Str(s)) => s.as_str(),
        _ => None,
    }
}

/// A codec name, as a str or (Python 2 data kept as bytes) as ASCII bytes.
fn codec_name(g: &Graph, v: Value) -> Option<&str> {
    match obj(g, v) {
        Some(Object::Str(s)) => s.as_str(),
        Some(Object::Bytes(b)) => std::str::from_utf8(b).ok(),
        _ => None,
    }
}

/// `Fraction(n, d)` as CPython holds it: in lowest terms with a positive denominator. A zero
/// denominator (CPython raises ZeroDivisionError) stays an inert call.
fn fraction(g: &Graph, n: Value, d: Value) -> Option<Object> {
    use num_integer::Integer;
    let big = |v: Value| match v {
        Value::Int(i) => Some(BigInt::from(i)),
        Value::Bool(b) => Some(BigInt::from(b as i64)),
        _ => match obj(g, v) {
            Some(Object::Int(n)) => Some((**n).clone()),
            _ => None,
        },
    };
    let (nv, dv) = (n, d);
    let (n, d) = (big(n)?, big(d)?);
    let zero = BigInt::from(0);
    if d == zero {
        return None;
    }
    let gcd = n.gcd(&d);
    if gcd == BigInt::from(1) && d > zero {
        // Already in lowest terms (as CPython always writes it): keep the parts as they are.
        return Some(Object::Fraction(Box::new([nv, dv])));
    }
    let (n, d) = if d < zero { (-(n / &gcd), -(d / &gcd)) } else { (n / &gcd, d / &gcd) };
    let small = |x: &BigInt| i64::try_from(x).ok().map(Value::Int);
    match (small(&n), small(&d)) {
        (Some(n), Some(d)) => Some(Object::Fraction(Box::new([n, d]))),
        // Reduced parts outside 64 bits would need new objects; keep the call inert instead.
        _ => None,
    }
}

fn is_latin1_name(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().replace('_', "-").as_str(),
        "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1"
    )
}

/// Bytes from a `bytes` object, or from a str of code points below 256 (how Python 2 and the
/// `_codecs.encode(s, 'latin1')` form carry bytes).
fn byte_data(g: &Graph, v: Value) -> Option<Vec<u8>> {
    match obj(g, v)? {
        Object::Bytes(b) => Some(b.to_vec()),
        Object::Str(s) => s.code_points().map(|c| u8::try_from(c).ok()).collect(),
        _ => None,
    }
}

fn is_int(v: Value, g: &Graph) -> bool {
    matches!(v, Value::Int(_) | Value::Bool(_)) || matches!(obj(g, v), Some(Object::Int(_)))
}

fn as_f64(v: Value, g: &Graph) -> Option<f64> {
    match v {
        Value::Float(f) => Some(f),
        Value::Int(i) => Some(i as f64),
        Value::Bool(b) => Some(b as i64 as f64),
        _ => match obj(g, v) {
            Some(Object::Int(n)) => num_traits::ToPrimitive::to_f64(&**n),
            _ => None,
        },
    }
}

fn small(v: Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(i),
        _ => None,
    }
}

fn items_of(g: &Graph, v: Value) -> Option<&[Value]> {
    match obj(g, v)? {
        Object::List(items) | Object::Tuple(items) => Some(items),
        _ => None,
    }
}

fn set_from(g: &Graph, items: &[Value]) -> Result<Set> {
    let cx = KeyCx::new(&g.objects);
    let mut set = Set::default();
    for &item in items {
        set.insert(&cx, item)?;
    }
    Ok(set)
}

fn dict_from(g: &Graph, pairs: impl IntoIterator<Item = (Value, Value)>) -> Result<Dict> {
    let cx = KeyCx::new(&g.objects);
    let mut d = Dict::default();
    for (k, v) in pairs {
        d.insert(&cx, k, v)?;
    }
    Ok(d)
}

fn tzinfo(g: &Graph, v: Option<&Value>) -> Option<Option<Value>> {
    match v {
        None | Some(Value::None) => Some(None),
        Some(&tz @ Value::Ref(_)) if !matches!(obj(g, tz), Some(Object::Str(_) | Object::Bytes(_))) => Some(Some(tz)),
        _ => None,
    }
}

/// `module.name(*args)` as a native value, when it is one brinery knows.
pub(crate) fn from_call(g: &Graph, module: &str, name: &str, args: &[Value]) -> Result<Option<Object>> {
    let native = match (module, name, args) {
        ("_codecs", "encode", [s, enc]) if text(g, *enc).is_some_and(is_latin1_name) => match obj(g, *s) {
            Some(Object::Str(_)) => byte_data(g, *s).map(|b| Object::Bytes(b.into())),
            _ => None,
        },
        ("builtins", "bytes", []) => Some(Object::Bytes(crate::PyBytes::new())),
        ("builtins", "bytearray", []) => Some(Object::ByteArray(Vec::new())),
        ("builtins", "bytearray", [b]) if matches!(obj(g, *b), Some(Object::Bytes(_))) => {
            byte_data(g, *b).map(Object::ByteArray)
        }
        ("builtins", "bytearray", [s, enc]) if codec_name(g, *enc).is_some_and(is_latin1_name) => {
            byte_data(g, *s).map(Object::ByteArray)
        }
        ("builtins", "set", []) => Some(Object::Set(Box::default())),
        ("builtins", "frozenset", []) => Some(Object::FrozenSet(Box::default())),
        ("builtins", "set", [items]) => match items_of(g, *items) {
            Some(items) => Some(Object::Set(Box::new(set_from(g, items)?))),
            None => None,
        },
        ("builtins", "frozenset", [items]) => match items_of(g, *items) {
            Some(items) => Some(Object::FrozenSet(Box::new(set_from(g, items)?))),
            None => None,
        },
        ("builtins", "complex", [re]) => as_f64(*re, g).map(|re| Object::Complex(re, 0.0)),
        ("builtins", "complex", [re, im]) => match (as_f64(*re, g), as_f64(*im, g)) {
            (Some(re), Some(im)) => Some(Object::Complex(re, im)),
            _ => None,
        },
        ("builtins", "range", [a, b, c]) if [a, b, c].iter().all(|v| is_int(**v, g)) => {
            Some(Object::Range(Box::new([*a, *b, *c])))
        }
        ("builtins", "slice", [a, b, c]) => Some(Object::Slice(Box::new([*a, *b, *c]))),
        ("datetime", "date", [state]) => match byte_data(g, *state) {
            Some(b) if b.len() == 4 => Date::from_state(&b).map(Object::Date),
            _ => None,
        },
        ("datetime", "time", [state, rest @ ..]) if rest.len() <= 1 => {
            match (byte_data(g, *state), tzinfo(g, rest.first())) {
                (Some(b), Some(tz)) if b.len() == 6 => Time::from_state(&b, tz).map(Object::Time),
                _ => None,
            }
        }
        ("datetime", "datetime", [state, rest @ ..]) if rest.len() <= 1 => {
            match (byte_data(g, *state), tzinfo(g, rest.first())) {
                (Some(b), Some(tz)) if b.len() == 10 => {
                    DateTime::from_state(&b, tz).map(|dt| Object::DateTime(Box::new(dt)))
                }
                _ => None,
            }
        }
        ("datetime", "timedelta", [d, s, us]) => match (small(*d), small(*s), small(*us)) {
            (Some(days), Some(seconds), Some(microseconds))
                if i32::try_from(days).is_ok()
                    && (0..86400).contains(&seconds)
                    && (0..1_000_000).contains(&microseconds) =>
            {
                Some(Object::TimeDelta(TimeDelta {
                    days: days as i32,
                    seconds: seconds as i32,
                    microseconds: microseconds as i32,
                }))
            }
            _ => None,
        },
        ("datetime", "timezone", [offset, rest @ ..])
            if rest.len() <= 1 && matches!(obj(g, *offset), Some(Object::TimeDelta(_))) =>
        {
            match rest.first() {
                None => Some(Object::TimeZone(Box::new([*offset, Value::None]))),
                Some(name) if text(g, *name).is_some() => Some(Object::TimeZone(Box::new([*offset, *name]))),
                _ => None,
            }
        }
        ("decimal", "Decimal", [s]) => match obj(g, *s) {
            Some(Object::Str(s)) => s.as_str().map(|s| Object::Decimal(s.into())),
            Some(Object::Bytes(b)) if b.is_ascii() => Some(Object::Decimal(String::from_utf8_lossy(b).into())),
            _ => None,
        },
        ("fractions", "Fraction", [n, d]) if is_int(*n, g) && is_int(*d, g) => fraction(g, *n, *d),
        ("collections", "OrderedDict", []) => Some(Object::OrderedDict(Box::default())),
        ("collections", "OrderedDict", [pairs]) => match items_of(g, *pairs) {
            Some(items) => {
                let mut kv = Vec::with_capacity(items.len());
                for &pair in items {
                    match items_of(g, pair) {
                        Some(&[k, v]) => kv.push((k, v)),
                        _ => return Ok(None),
                    }
                }
                Some(Object::OrderedDict(Box::new(dict_from(g, kv)?)))
            }
            None => None,
        },
        ("collections", "defaultdict", []) => Some(Object::DefaultDict(Box::default())),
        ("collections", "defaultdict", [factory]) => {
            Some(Object::DefaultDict(Box::new(DefaultDict { factory: *factory, dict: Dict::default() })))
        }
        ("collections", "deque", [items, rest @ ..]) if rest.len() <= 1 => {
            let maxlen = rest.first().copied().unwrap_or(Value::None);
            match (items_of(g, *items), maxlen) {
                (Some(items), Value::None | Value::Int(_)) => {
                    Some(Object::Deque(Box::new(Deque { items: items.to_vec(), maxlen })))
                }
                _ => None,
            }
        }
        ("collections", "deque", []) => Some(Object::Deque(Box::new(Deque { items: Vec::new(), maxlen: Value::None }))),
        ("collections", "Counter", []) => Some(Object::Counter(Box::default())),
        ("collections", "Counter", [d]) => match obj(g, *d) {
            Some(Object::Dict(d)) => Some(Object::Counter(d.clone())),
            _ => None,
        },
        ("uuid", "UUID", [s]) => text(g, *s).and_then(parse_uuid).map(Object::Uuid),
        _ => None,
    };
    Ok(native)
}

fn parse_uuid(s: &str) -> Option<u128> {
    let hex: String = s.trim_start_matches("urn:").trim_start_matches("uuid:").chars().filter(|&c| c != '-').collect();
    (hex.len() == 32).then(|| u128::from_str_radix(&hex, 16).ok()).flatten()
}

/// `cls.__new__(cls, *args)` as a native value, when it is one brinery knows.
pub(crate) fn from_new(g: &Graph, module: &str, name: &str, args: &[Value]) -> Result<Option<Object>> {
    match (module, name) {
        ("builtins", "complex") => from_call(g, module, name, args),
        _ => Ok(None),
    }
}

/// BUILD that turns an inert instance into a native (`uuid.UUID` state `{'int': n}`).
pub(crate) fn from_build(g: &Graph, id: ObjId, state: Value) -> Option<Object> {
    let Object::Instance(inst) = g.get(id) else { return None };
    if inst.state.is_some() || !inst.list_items.is_empty() || !inst.dict_items.is_empty() {
        return None;
    }
    let class = instance_class(g, inst)?;
    if class != ("uuid", "UUID") {
        return None;
    }
    let Some(Object::Dict(d)) = obj(g, state) else { return None };
    if d.len() != 1 {
        return None;
    }
    let value = d.get_str(g, "int")?;
    let n = match value {
        Value::Int(i) => u128::try_from(i).ok()?,
        _ => match obj(g, value)? {
            Object::Int(n) => u128::try_from(&**n).ok()?,
            _ => return None,
        },
    };
    Some(Object::Uuid(n))
}

/// The class an inert instance was made from, when it was made the plain way: NEWOBJ with no
/// arguments, or `copyreg._reconstructor(cls, object, None)`.
fn instance_class<'g>(g: &'g Graph, inst: &crate::Instance) -> Option<(&'g str, &'g str)> {
    let global = |v: Value| match obj(g, v) {
        Some(Object::Global(gl)) => Some((gl.module.as_str(), gl.name.as_str())),
        _ => None,
    };
    let args = match obj(g, inst.args)? {
        Object::Tuple(items) => items.as_slice(),
        _ => return None,
    };
    match inst.construct {
        crate::Construct::NewObj if args.is_empty() => global(inst.callable),
        crate::Construct::Reduce if global(inst.callable) == Some(("copyreg", "_reconstructor")) => match args {
            [cls, base, Value::None] if global(*base) == Some(("builtins", "object")) => global(*cls),
            _ => None,
        },
        _ => None,
    }
}

/// Turn the native at `id` back into the inert instance CPython's `__reduce_ex__(4)` describes,
/// in place (same id, so sharing holds). Used when BUILD gives a native extra state (an
/// OrderedDict with attributes, say), which only the general form can carry.
pub(crate) fn to_instance(g: &mut Graph, id: ObjId) -> Result<()> {
    let mut scratch = Vec::new();
    let inst = {
        let native = g.get(id);
        let base = g.len() as u32;
        let named = &mut Vec::new();
        crate::dump::native_reduction(native, 4, &mut crate::dump::NativeCx { base, scratch: &mut scratch, named })?
    };
    // Temporaries were numbered from the end of the arena, so appending keeps their ids.
    g.objects.extend(scratch);
    *g.get_mut(id) = Object::Instance(Box::new(inst));
    Ok(())
}

/// True for the values `natives` makes (the ones [`to_instance`] can unfold).
pub(crate) fn is_native(o: &Object) -> bool {
    matches!(
        o,
        Object::Complex(..)
            | Object::Range(..)
            | Object::Slice(..)
            | Object::Date(_)
            | Object::Time(_)
            | Object::DateTime(_)
            | Object::TimeDelta(_)
            | Object::TimeZone(..)
            | Object::Decimal(_)
            | Object::Uuid(_)
            | Object::Fraction(..)
            | Object::OrderedDict(_)
            | Object::DefaultDict(..)
            | Object::Deque(..)
            | Object::Counter(_)
    )
}
