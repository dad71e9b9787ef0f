//! How CPython reduces the stdlib types brinery keeps as natives, per protocol, so they are
//! written back the way CPython writes them.

use super::NativeCx;
use crate::error::{Error, Result};
use crate::value::{Construct, Dict, Instance, Object, PyStr, Time, Value};
use num_bigint::BigInt;

fn tuple(cx: &mut NativeCx<'_>, items: Vec<Value>) -> Value {
    cx.temp(Object::Tuple(items))
}

fn call(callable: Value, args: Value) -> Instance {
    Instance {
        construct: Construct::Reduce,
        callable,
        args,
        kwargs: None,
        state: None,
        list_items: Vec::new(),
        dict_items: Vec::new(),
    }
}

fn with_tz(cx: &mut NativeCx<'_>, state: Vec<u8>, tz: Option<Value>) -> Value {
    let state = cx.temp(Object::Bytes(state.into()));
    let items = match tz {
        Some(tz) => vec![state, tz],
        None => vec![state],
    };
    tuple(cx, items)
}

/// The `__reduce_ex__(proto)` of a native, as an inert instance whose temporaries live in `cx`.
pub(crate) fn native_reduction(native: &Object, proto: u8, cx: &mut NativeCx<'_>) -> Result<Instance> {
    Ok(match native {
        Object::Complex(re, im) => {
            let cls = cx.global("builtins", "complex");
            let args = tuple(cx, vec![Value::Float(*re), Value::Float(*im)]);
            let mut inst = call(cls, args);
            if proto >= 2 {
                inst.construct = Construct::NewObj;
            }
            inst
        }
        Object::Range(r) => {
            let f = cx.global("builtins", "range");
            call(f, tuple(cx, r.to_vec()))
        }
        Object::Slice(r) => {
            let f = cx.global("builtins", "slice");
            call(f, tuple(cx, r.to_vec()))
        }
        Object::Date(d) => {
            let f = cx.global("datetime", "date");
            call(f, with_tz(cx, d.state().to_vec(), None))
        }
        // CPython writes PEP 495's fold bit only from protocol 4 on.
        Object::Time(t) => {
            let f = cx.global("datetime", "time");
            let t = Time { fold: t.fold && proto > 3, ..*t };
            call(f, with_tz(cx, t.state().to_vec(), t.tzinfo))
        }
        Object::DateTime(dt) => {
            let f = cx.global("datetime", "datetime");
            let mut dt = **dt;
            dt.time.fold &= proto > 3;
            call(f, with_tz(cx, dt.state().to_vec(), dt.time.tzinfo))
        }
        Object::TimeDelta(td) => {
            let f = cx.global("datetime", "timedelta");
            let args =
                vec![Value::Int(td.days as i64), Value::Int(td.seconds as i64), Value::Int(td.microseconds as i64)];
            call(f, tuple(cx, args))
        }
        Object::TimeZone(tz) => {
            let f = cx.global("datetime", "timezone");
            let [offset, name] = **tz;
            let mut args = vec![offset];
            if name != Value::None {
                args.push(name);
            }
            call(f, tuple(cx, args))
        }
        Object::Decimal(s) => {
            let f = cx.global("decimal", "Decimal");
            let s = cx.temp(Object::Str(PyStr::from(&**s)));
            call(f, tuple(cx, vec![s]))
        }
        Object::Uuid(n) => {
            let cls = cx.global("uuid", "UUID");
            let key = cx.temp(Object::Str(PyStr::from("int")));
            let value = match i64::try_from(*n) {
                Ok(i) => Value::Int(i),
                Err(_) => cx.temp(Object::Int(Box::new(BigInt::from(*n)))),
            };
            let mut state = Dict::default();
            state.insert_unchecked(key, value);
            let state = cx.temp(Object::Dict(Box::new(state)));
            let mut inst = if proto >= 2 {
                let args = tuple(cx, Vec::new());
                let mut inst = call(cls, args);
                inst.construct = Construct::NewObj;
                inst
            } else {
                let f = cx.global("copyreg", "_reconstructor");
                let base = cx.global("builtins", "object");
                let args = tuple(cx, vec![cls, base, Value::None]);
                call(f, args)
            };
            inst.state = Some(state);
            inst
        }
        Object::Fraction(nd) => {
            let f = cx.global("fractions", "Fraction");
            call(f, tuple(cx, nd.to_vec()))
        }
        Object::OrderedDict(d) => {
            let f = cx.global("collections", "OrderedDict");
            let mut inst = call(f, tuple(cx, Vec::new()));
            inst.dict_items = d.entries().to_vec();
            inst
        }
        Object::DefaultDict(dd) => {
            let f = cx.global("collections", "defaultdict");
            let args = if dd.factory == Value::None { Vec::new() } else { vec![dd.factory] };
            let mut inst = call(f, tuple(cx, args));
            inst.dict_items = dd.dict.entries().to_vec();
            inst
        }
        Object::Deque(dq) => {
            let f = cx.global("collections", "deque");
            let args = if dq.maxlen == Value::None {
                Vec::new()
            } else {
                let empty = tuple(cx, Vec::new());
                vec![empty, dq.maxlen]
            };
            let mut inst = call(f, tuple(cx, args));
            inst.list_items = dq.items.clone();
            inst
        }
        Object::Counter(d) => {
            let f = cx.global("collections", "Counter");
            let copy = cx.temp(Object::Dict(d.clone()));
            call(f, tuple(cx, vec![copy]))
        }
        other => return Err(Error::unpicklable(format!("cannot reduce a '{}' object", other.type_name()))),
    })
}
