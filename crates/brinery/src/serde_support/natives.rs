//! How stdlib objects look to serde: `datetime` values as ISO 8601 strings, `Decimal` and
//! `UUID` as strings, `OrderedDict`/`Counter`/`defaultdict` as maps, `deque` as a sequence, and
//! `complex`, `timedelta`, `timezone`, `Fraction`, `range`, `slice` as the tuple of their
//! constructor arguments. The same view serves pickles read with serde and [`crate::Graph`]s.

use super::de::Core;
use super::tape::{Items, Made, Node, Txt, V};
use crate::error::Result;
use crate::{Date, DateTime, Time};
use std::fmt::Write as _;

/// The value serde sees for the instance node `id`, when it is a known stdlib object.
pub(crate) fn view(core: &mut Core<'_>, id: u32) -> Result<Option<V>> {
    let t = &core.tape;
    let Some(Node::Instance(inst)) = t.nodes.get(id as usize) else { return Ok(None) };
    let global = |v: V| match t.node(v) {
        Some(Node::Global(g)) => Some((g.0.as_str(), g.1.as_str())),
        _ => None,
    };
    let Some((mut module, mut name)) = global(inst.callable) else { return Ok(None) };
    let mut args: &[V] = t.tuple_of(inst.args).unwrap_or_default();
    // copyreg._reconstructor(cls, object, None): a plain instance of cls (protocols 0 and 1).
    if inst.made == Made::Reduce && (module, name) == ("copyreg", "_reconstructor") {
        match args {
            [cls, base, V::None] if global(*base) == Some(("builtins", "object")) => match global(*cls) {
                Some((m, n)) => {
                    (module, name) = (m, n);
                    args = &[];
                }
                None => return Ok(None),
            },
            _ => return Ok(None),
        }
    }
    let plain = inst.state.is_none() && inst.list_items.is_empty() && inst.dict_items.is_empty();
    let call = matches!(inst.made, Made::Reduce | Made::NewObj);
    let items_of = |v: V| t.items_of(v);
    let node = match (module, name) {
        ("collections", "OrderedDict" | "defaultdict" | "Counter") if call && inst.state.is_none() => {
            let mut pairs = Vec::new();
            match (name, args) {
                (_, []) | ("defaultdict", [_]) => {}
                ("OrderedDict", [seq]) => {
                    for &pair in items_of(*seq).unwrap_or_default() {
                        match items_of(pair) {
                            Some(&[k, v]) => pairs.push((k, v)),
                            _ => return Ok(None),
                        }
                    }
                }
                ("Counter", [d]) => match t.dict_of(*d) {
                    Some(kv) => pairs.extend_from_slice(kv),
                    None => return Ok(None),
                },
                _ => return Ok(None),
            }
            pairs.extend_from_slice(&inst.dict_items);
            Node::Dict(Items::Own(pairs))
        }
        ("collections", "deque") if call && inst.state.is_none() => {
            let mut items = match args {
                [] => Vec::new(),
                [seq, ..] if args.len() <= 2 => match items_of(*seq) {
                    Some(items) => items.to_vec(),
                    None => return Ok(None),
                },
                _ => return Ok(None),
            };
            items.extend_from_slice(&inst.list_items);
            Node::List(Items::Own(items))
        }
        ("builtins", "list") if call && plain => match args {
            [seq] => match items_of(*seq) {
                Some(items) => Node::List(Items::Own(items.to_vec())),
                None => return Ok(None),
            },
            _ => return Ok(None),
        },
        ("builtins", "int") if call && plain => match args {
            [n @ (V::Int(_) | V::Bool(_))] => return Ok(Some(*n)),
            [n] if matches!(t.node(*n), Some(Node::Big(_))) => return Ok(Some(*n)),
            _ => return Ok(None),
        },
        ("decimal", "Decimal") if call && plain => match args {
            [s] if t.text(*s).is_some() => return Ok(Some(*s)),
            _ => return Ok(None),
        },
        ("uuid", "UUID") => {
            let n = match (args, inst.state) {
                ([s], None) => match t.text(*s).and_then(parse_uuid) {
                    Some(n) => n,
                    None => return Ok(None),
                },
                ([], Some(state)) => match t.dict_of(state) {
                    Some(kv) => match kv.iter().find(|(k, _)| t.text(*k) == Some("int")) {
                        Some(&(_, V::Int(i))) => match u128::try_from(i) {
                            Ok(n) => n,
                            Err(_) => return Ok(None),
                        },
                        Some(&(_, v @ V::N(_))) => match t.node(v) {
                            Some(Node::Big(n)) => match u128::try_from(n) {
                                Ok(n) => n,
                                Err(_) => return Ok(None),
                            },
                            _ => return Ok(None),
                        },
                        _ => return Ok(None),
                    },
                    _ => return Ok(None),
                },
                _ => return Ok(None),
            };
            Node::Str(Txt::Heap(0, 0)).with_text(core, &uuid_text(n))
        }
        ("datetime", "date" | "time" | "datetime") if call && plain => {
            let Some((state, rest)) = args.split_first() else { return Ok(None) };
            let Some(bytes) = byte_state(core, *state) else { return Ok(None) };
            let offset = match rest {
                [] | [V::None] => None,
                [tz] => match tz_offset(core, *tz) {
                    Some(off) => Some(off),
                    None => return Ok(None),
                },
                _ => return Ok(None),
            };
            let text = match (name, bytes.len()) {
                ("date", 4) if rest.is_empty() => Date::from_state(&bytes).map(|d| date_text(&d)),
                ("time", 6) => Time::from_state(&bytes, None).map(|tm| time_text(&tm, offset)),
                ("datetime", 10) => DateTime::from_state(&bytes, None).map(|dt| datetime_text(&dt, offset)),
                _ => None,
            };
            match text {
                Some(text) => Node::Str(Txt::Heap(0, 0)).with_text(core, &text),
                None => return Ok(None),
            }
        }
        ("datetime", "timedelta" | "timezone")
        | ("builtins", "complex" | "range" | "slice")
        | ("fractions", "Fraction")
            if call && plain =>
        {
            return Ok(Some(inst.args))
        }
        _ => return Ok(None),
    };
    core.tape.push(node).map(Some)
}

impl<'de> Node<'de> {
    /// A str node holding `text` (copied into the tape's text heap).
    fn with_text(self, core: &mut Core<'de>, text: &str) -> Node<'de> {
        let start = core.tape.text.len();
        core.tape.text.push_str(text);
        Node::Str(Txt::Heap(start, core.tape.text.len()))
    }
}

/// The state bytes of a date/time: bytes, or a str of code points below 256 (Python 2).
fn byte_state(core: &Core<'_>, v: V) -> Option<Vec<u8>> {
    match core.tape.node(v)? {
        Node::Bytes(b) => Some(core.tape.bytes_of(*b).to_vec()),
        Node::Str(t) => core.tape.str_of(*t).chars().map(|c| u8::try_from(c as u32).ok()).collect(),
        _ => None,
    }
}

/// The UTC offset of a `datetime.timezone(timedelta)` tzinfo, in microseconds.
fn tz_offset(core: &Core<'_>, tz: V) -> Option<i64> {
    let t = &core.tape;
    let Some(Node::Instance(inst)) = t.node(tz) else { return None };
    let Some(Node::Global(g)) = t.node(inst.callable) else { return None };
    if (g.0.as_str(), g.1.as_str()) != ("datetime", "timezone") {
        return None;
    }
    let args = t.tuple_of(inst.args)?;
    let Some(Node::Instance(td)) = t.node(*args.first()?) else { return None };
    let Some(Node::Global(g)) = t.node(td.callable) else { return None };
    if (g.0.as_str(), g.1.as_str()) != ("datetime", "timedelta") {
        return None;
    }
    match t.tuple_of(td.args) {
        Some(parts) => match parts[..] {
            [V::Int(d), V::Int(s), V::Int(us)] => {
                let off = d.checked_mul(86_400_000_000)?.checked_add(s.checked_mul(1_000_000)?)?.checked_add(us)?;
                (off.unsigned_abs() < 86_400_000_000).then_some(off)
            }
            _ => None,
        },
        _ => None,
    }
}

fn parse_uuid(s: &str) -> Option<u128> {
    let hex: String = s.trim_start_matches("urn:").trim_start_matches("uuid:").chars().filter(|&c| c != '-').collect();
    (hex.len() == 32).then(|| u128::from_str_radix(&hex, 16).ok()).flatten()
}

/// `str(uuid.UUID(int=n))`.
pub(crate) fn uuid_text(n: u128) -> String {
    let h = format!("{n:032x}");
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// `date.isoformat()`.
pub(crate) fn date_text(d: &Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// `time.isoformat()` with a UTC offset in microseconds.
pub(crate) fn time_text(t: &Time, offset: Option<i64>) -> String {
    let mut s = format!("{:02}:{:02}:{:02}", t.hour, t.minute, t.second);
    if t.microsecond != 0 {
        let _ = write!(s, ".{:06}", t.microsecond);
    }
    if let Some(off) = offset {
        let sign = if off < 0 { '-' } else { '+' };
        let off = off.unsigned_abs();
        let (secs, us) = (off / 1_000_000, off % 1_000_000);
        let _ = write!(s, "{sign}{:02}:{:02}", secs / 3600, secs / 60 % 60);
        if secs % 60 != 0 || us != 0 {
            let _ = write!(s, ":{:02}", secs % 60);
        }
        if us != 0 {
            let _ = write!(s, ".{us:06}");
        }
    }
    s
}

/// `datetime.isoformat()` with a UTC offset in microseconds.
pub(crate) fn datetime_text(dt: &DateTime, offset: Option<i64>) -> String {
    format!("{}T{}", date_text(&dt.date), time_text(&dt.time, offset))
}
