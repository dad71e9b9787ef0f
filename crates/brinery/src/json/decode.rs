//! Lossless JSON → graph. Every malformed input is a typed error, never a panic.

use super::FORMAT_VERSION;
use crate::error::{Error, Result};
use crate::value::{
    Buffer, Construct, Date, DateTime, DefaultDict, Deque, Dict, Global, Graph, Instance, ObjId, Object, PyStr, Time,
    TimeDelta, Value,
};
use base64::Engine as _;
use num_bigint::BigInt;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::fmt;

/// Deepest nesting of objects accepted (brinery writes at most 33: deeper objects go to the
/// table).
const MAX_DEPTH: u32 = 64;
/// Longest decimal `$int` accepted (larger ints are written in hexadecimal).
const MAX_DECIMAL_DIGITS: usize = 10_000;

/// Where in the document a value is, for error messages.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Entry(usize),
    Key(&'a str),
    Index(usize),
}

#[derive(Clone, Copy)]
struct Loc<'a> {
    seg: Seg<'a>,
    parent: Option<&'a Loc<'a>>,
}

impl<'a> Loc<'a> {
    fn key(&'a self, k: &'a str) -> Loc<'a> {
        Loc { seg: Seg::Key(k), parent: Some(self) }
    }

    fn index(&'a self, i: usize) -> Loc<'a> {
        Loc { seg: Seg::Index(i), parent: Some(self) }
    }
}

impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut segs = vec![self.seg];
        let mut at = self.parent;
        while let Some(l) = at {
            segs.push(l.seg);
            at = l.parent;
        }
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => f.write_str("root")?,
                Seg::Entry(i) => write!(f, "objects[{i}]")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

fn err(loc: &Loc<'_>, msg: impl fmt::Display) -> Error {
    Error::invalid(format!("JSON {loc}: {msg}"))
}

/// Items to put into a set or dict once every object exists (hashing needs the keys' contents).
struct Fill {
    target: ObjId,
    kind: FillKind,
    loc: String,
}

enum FillKind {
    Set(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}

/// The values an object is made from when it is loaded (and written before it when pickled):
/// everything but the contents that APPENDS, SETITEMS, ADDITEMS and BUILD add later. A
/// frozenset's and a Counter's contents are still in `fill`.
fn constructor_args(obj: &Object, fill: Option<&FillKind>, out: &mut Vec<Value>) {
    match obj {
        Object::Tuple(items) => out.extend_from_slice(items),
        Object::FrozenSet(_) | Object::Counter(_) => match fill {
            Some(FillKind::Set(items)) => out.extend_from_slice(items),
            Some(FillKind::Dict(pairs)) => out.extend(pairs.iter().flat_map(|&(k, v)| [k, v])),
            None => {}
        },
        Object::Instance(inst) => {
            out.extend([inst.callable, inst.args]);
            out.extend(inst.kwargs);
        }
        Object::PersistentId(v) => out.push(*v),
        Object::Range(r) | Object::Slice(r) => out.extend_from_slice(&r[..]),
        Object::Fraction(nd) => out.extend_from_slice(&nd[..]),
        Object::TimeZone(tz) => out.extend_from_slice(&tz[..]),
        Object::Time(t) => out.extend(t.tzinfo),
        Object::DateTime(dt) => out.extend(dt.time.tzinfo),
        Object::DefaultDict(dd) => out.push(dd.factory),
        Object::Deque(dq) => out.push(dq.maxlen),
        _ => {}
    }
}

/// A decoded node: the object, and the items it still needs.
struct Built {
    obj: Object,
    /// The items, and where they are in the document.
    fill: Option<(FillKind, String)>,
}

impl From<Object> for Built {
    fn from(obj: Object) -> Self {
        Built { obj, fill: None }
    }
}

struct Decoder {
    g: Graph,
    table: Vec<ObjId>,
    fills: Vec<Fill>,
    /// The document's str for each plain JSON string.
    strs: HashMap<String, Value>,
    /// The document's global for each `{"$global": [module, qualname]}`.
    globals: HashMap<(String, String), Value>,
    /// The document's empty tuple.
    empty_tuple: Option<Value>,
}

pub(crate) fn decode(doc: &Json) -> Result<Graph> {
    let top = Loc { seg: Seg::Root, parent: None };
    let Json::Object(map) = doc else {
        return Err(Error::invalid(format!(
            "JSON: a brinery document is an object {{\"brinery\": {FORMAT_VERSION}, \"root\": ...}}, not {}",
            kind(doc)
        )));
    };
    match map.get("brinery") {
        Some(v) if v.as_u64() == Some(FORMAT_VERSION) => {}
        Some(v) => return Err(Error::invalid(format!("JSON: unsupported brinery JSON version {v}"))),
        None => return Err(Error::invalid(
            "JSON: not a lossless brinery document (no \"brinery\" version key; the lossy form cannot be read back)",
        )),
    }
    if let Some(k) = map.keys().find(|k| !matches!(k.as_str(), "brinery" | "root" | "objects")) {
        return Err(Error::invalid(format!("JSON: unknown document key \"{k}\"")));
    }
    let objects: &[Json] = match map.get("objects") {
        None => &[],
        Some(Json::Array(a)) => a,
        Some(other) => return Err(Error::invalid(format!("JSON: \"objects\" must be an array, not {}", kind(other)))),
    };
    let root = map.get("root").ok_or_else(|| Error::invalid("JSON: the document has no \"root\""))?;
    let mut d = Decoder {
        g: Graph::new(),
        table: Vec::with_capacity(objects.len()),
        fills: Vec::new(),
        strs: HashMap::new(),
        globals: HashMap::new(),
        empty_tuple: None,
    };
    for _ in objects {
        // A placeholder per table entry, so references can point forward.
        let id = object_id(d.g.add(Object::Ext(0)))?;
        d.table.push(id);
    }
    let root = d.value(root, &top, 0)?;
    for (k, entry) in objects.iter().enumerate() {
        let loc = Loc { seg: Seg::Entry(k), parent: None };
        let built = d.node(entry, &loc, 0)?.ok_or_else(|| {
            let hint = match entry {
                Json::Object(m) if !(m.contains_key("$global") || m.contains_key("$tuple")) => "",
                Json::String(_) | Json::Object(_) => {
                    " (plain strings, {\"$global\": ...} and {\"$tuple\": []} are the document's shared \
                         objects, written inline; one of its own is {\"$str\": ...} or has \"new\": true)"
                }
                _ => "",
            };
            err(&loc, format!("a table entry must be an object node, not {}{hint}", value_kind(entry)))
        })?;
        d.place(d.table[k], built);
    }
    d.settle()?;
    d.g.set_root(root);
    Ok(d.g)
}

fn object_id(v: Value) -> Result<ObjId> {
    v.id().ok_or_else(|| Error::invalid("internal: Graph::add gave no reference"))
}

fn kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn value_kind(j: &Json) -> String {
    match j {
        Json::Object(m) => match m.keys().find(|k| k.starts_with('$')) {
            Some(t) => format!("a \"{t}\" value"),
            None => "an object".into(),
        },
        other => kind(other).into(),
    }
}

/// The one `$` key of a tagged object, after checking every other key is allowed for it.
fn tag_of<'j>(map: &'j Map<String, Json>, loc: &Loc<'_>) -> Result<(&'j str, &'j Json)> {
    let mut tags = map.iter().filter(|(k, _)| k.starts_with('$'));
    let Some((tag, value)) = tags.next() else {
        let keys: Vec<&str> = map.keys().map(String::as_str).take(3).collect();
        return Err(err(loc, format!("an object needs one \"$\" tag key, found keys {keys:?}")));
    };
    if let Some((second, _)) = tags.next() {
        return Err(err(loc, format!("an object has one \"$\" tag key, found \"{tag}\" and \"{second}\"")));
    }
    let allowed: &[&str] = match tag.as_str() {
        "$instance" => &["callable", "args", "kwargs", "state", "list_items", "dict_items"],
        "$buffer" => &["readonly"],
        "$global" | "$tuple" => &["new"],
        "$time" | "$datetime" => &["fold", "tzinfo"],
        "$timezone" => &["name"],
        "$defaultdict" => &["factory"],
        "$deque" => &["maxlen"],
        _ => &[],
    };
    if let Some(k) = map.keys().find(|k| !k.starts_with('$') && !allowed.contains(&k.as_str())) {
        return Err(err(loc, format!("unknown key \"{k}\" in a \"{tag}\" object")));
    }
    Ok((tag.as_str(), value))
}

impl Decoder {
    fn place(&mut self, id: ObjId, built: Built) {
        *self.g.get_mut(id) = built.obj;
        if let Some((kind, loc)) = built.fill {
            self.fills.push(Fill { target: id, kind, loc });
        }
    }

    /// A value: a scalar, a reference, or a new object.
    fn value(&mut self, j: &Json, loc: &Loc<'_>, depth: u32) -> Result<Value> {
        match j {
            Json::Null => return Ok(Value::None),
            Json::Bool(b) => return Ok(Value::Bool(*b)),
            Json::Number(n) => {
                if let Some(i) = n.as_i64() {
                    return Ok(Value::Int(i));
                }
                if let Some(u) = n.as_u64() {
                    return Ok(self.g.add(Object::Int(Box::new(BigInt::from(u)))));
                }
                return n.as_f64().map(Value::Float).ok_or_else(|| err(loc, format!("unreadable number {n}")));
            }
            Json::Object(map) => {
                let (tag, v) = tag_of(map, loc)?;
                let loc = loc.key(tag);
                match tag {
                    "$ref" => {
                        let idx = v.as_u64().and_then(|i| usize::try_from(i).ok());
                        return match idx.and_then(|i| self.table.get(i)) {
                            Some(&id) => Ok(Value::Ref(id)),
                            None => Err(err(
                                &loc,
                                format!("{v} is no index into \"objects\" (which has {} entries)", self.table.len()),
                            )),
                        };
                    }
                    "$float" => {
                        let t = text(v, &loc)?;
                        return parse_float(t).map(Value::Float).ok_or_else(|| err(&loc, format!("bad float {t:?}")));
                    }
                    "$dangling" => return Err(err(&loc, "a dangling reference (the graph was not valid)")),
                    "$tuple" if is_empty_array(v) && !is_new(map, &loc)? => {
                        return Ok(match self.empty_tuple {
                            Some(t) => t,
                            None => *self.empty_tuple.insert(self.g.tuple(Vec::new())),
                        });
                    }
                    "$global" if !is_new(map, &loc)? => {
                        let (module, name) = global_name(v, &loc)?;
                        if let Some(&g) = self.globals.get(&(module.to_owned(), name.to_owned())) {
                            return Ok(g);
                        }
                        let g = self.g.global(module, name);
                        self.globals.insert((module.to_owned(), name.to_owned()), g);
                        return Ok(g);
                    }
                    _ => {}
                }
            }
            Json::String(s) => {
                if let Some(&v) = self.strs.get(s) {
                    return Ok(v);
                }
                let v = self.g.str(s);
                self.strs.insert(s.clone(), v);
                return Ok(v);
            }
            Json::Array(_) => {}
        }
        let built = self.node(j, loc, depth)?.ok_or_else(|| err(loc, "expected a value"))?;
        let v = self.g.add(built.obj);
        if let Some((kind, loc)) = built.fill {
            self.fills.push(Fill { target: object_id(v)?, kind, loc });
        }
        Ok(v)
    }

    fn values(&mut self, j: &Json, loc: &Loc<'_>, depth: u32) -> Result<Vec<Value>> {
        let items = array(j, loc)?;
        items.iter().enumerate().map(|(i, item)| self.value(item, &loc.index(i), depth)).collect()
    }

    fn fixed<const N: usize>(&mut self, j: &Json, loc: &Loc<'_>, depth: u32) -> Result<[Value; N]> {
        let items = self.values(j, loc, depth)?;
        let n = items.len();
        items.try_into().map_err(|_| err(loc, format!("expected {N} items, found {n}")))
    }

    fn pairs(&mut self, j: &Json, loc: &Loc<'_>, depth: u32) -> Result<Vec<(Value, Value)>> {
        let items = array(j, loc)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, pair) in items.iter().enumerate() {
            let loc = loc.index(i);
            match pair {
                Json::Array(kv) if kv.len() == 2 => {
                    let k = self.value(&kv[0], &loc.index(0), depth)?;
                    let v = self.value(&kv[1], &loc.index(1), depth)?;
                    out.push((k, v));
                }
                other => return Err(err(&loc, format!("expected a [key, value] pair, found {}", kind(other)))),
            }
        }
        Ok(out)
    }

    fn opt_value(&mut self, map: &Map<String, Json>, key: &str, loc: &Loc<'_>, depth: u32) -> Result<Option<Value>> {
        match map.get_key_value(key) {
            Some((k, v)) => self.value(v, &loc.key(k), depth).map(Some),
            None => Ok(None),
        }
    }

    /// An object node; `None` for JSON that is a value but no object (scalars, `$ref`, `$float`).
    ///
    /// This is the recursive path, so it keeps a small stack frame: the leaf tags and the
    /// bulkier containers are decoded in functions of their own.
    fn node(&mut self, j: &Json, loc: &Loc<'_>, depth: u32) -> Result<Option<Built>> {
        if depth >= MAX_DEPTH {
            return Err(err(loc, format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let d = depth + 1;
        let map = match j {
            Json::Array(_) => return Ok(Some(Object::List(self.values(j, loc, d)?).into())),
            Json::Object(map) => map,
            _ => return Ok(None),
        };
        let (tag, v) = tag_of(map, loc)?;
        let tloc = loc.key(tag);
        let tl = &tloc;
        if (tag == "$global" || (tag == "$tuple" && is_empty_array(v))) && !is_new(map, loc)? {
            // The document's global for that name, or its empty tuple: a value, not an object of
            // its own.
            return Ok(None);
        }
        if let Some(leaf) = leaf_node(tag, v, map, loc, tl) {
            return leaf.map(|obj| Some(obj.into()));
        }
        let obj = match tag {
            "$ref" | "$float" | "$dangling" => return Ok(None),
            "$tuple" => Object::Tuple(self.values(v, tl, d)?),
            "$dict" | "$ordereddict" | "$counter" | "$defaultdict" | "$set" | "$frozenset" => {
                return self.collection(tag, v, map, loc, tl, d).map(Some)
            }
            "$instance" => self.instance(v, map, loc, tl, d)?,
            "$persistent_id" => Object::PersistentId(self.value(v, tl, d)?),
            "$range" => Object::Range(Box::new(self.fixed::<3>(v, tl, d)?)),
            "$slice" => Object::Slice(Box::new(self.fixed::<3>(v, tl, d)?)),
            "$fraction" => Object::Fraction(Box::new(self.fixed::<2>(v, tl, d)?)),
            "$time" | "$datetime" => self.time_node(tag, v, map, loc, tl, d)?,
            "$timezone" => {
                let offset = self.value(v, tl, d)?;
                let name = self.opt_value(map, "name", loc, d)?.unwrap_or(Value::None);
                Object::TimeZone(Box::new([offset, name]))
            }
            "$deque" => {
                let items = self.values(v, tl, d)?;
                let maxlen = self.opt_value(map, "maxlen", loc, d)?.unwrap_or(Value::None);
                Object::Deque(Box::new(Deque { items, maxlen }))
            }
            other => return Err(err(loc, format!("unknown tag \"{other}\""))),
        };
        Ok(Some(obj.into()))
    }

    /// Dicts and sets: the empty object now, the items once every object exists.
    #[inline(never)]
    fn collection(
        &mut self,
        tag: &str,
        v: &Json,
        map: &Map<String, Json>,
        loc: &Loc<'_>,
        tl: &Loc<'_>,
        d: u32,
    ) -> Result<Built> {
        let (obj, kind) = match tag {
            "$set" | "$frozenset" => {
                let items = self.values(v, tl, d)?;
                let obj = if tag == "$set" { Object::Set(Box::default()) } else { Object::FrozenSet(Box::default()) };
                (obj, FillKind::Set(items))
            }
            _ => {
                let pairs = self.pairs(v, tl, d)?;
                let obj = match tag {
                    "$dict" => Object::Dict(Box::default()),
                    "$ordereddict" => Object::OrderedDict(Box::default()),
                    "$counter" => Object::Counter(Box::default()),
                    _ => {
                        let factory = self.opt_value(map, "factory", loc, d)?.unwrap_or(Value::None);
                        Object::DefaultDict(Box::new(DefaultDict { factory, dict: Dict::default() }))
                    }
                };
                (obj, FillKind::Dict(pairs))
            }
        };
        Ok(Built { obj, fill: Some((kind, tl.to_string())) })
    }

    #[inline(never)]
    fn instance(&mut self, v: &Json, map: &Map<String, Json>, loc: &Loc<'_>, tl: &Loc<'_>, d: u32) -> Result<Object> {
        let construct = match v.as_str() {
            Some("reduce") => Construct::Reduce,
            Some("newobj") => Construct::NewObj,
            Some("newobj_ex") => Construct::NewObjEx,
            Some("inst") => Construct::Inst,
            Some("obj") => Construct::Obj,
            _ => return Err(err(tl, "expected \"reduce\", \"newobj\", \"newobj_ex\", \"inst\" or \"obj\"")),
        };
        let callable = self.opt_value(map, "callable", loc, d)?.ok_or_else(|| err(loc, "missing \"callable\""))?;
        let args = self.opt_value(map, "args", loc, d)?.ok_or_else(|| err(loc, "missing \"args\""))?;
        let kwargs = self.opt_value(map, "kwargs", loc, d)?;
        let state = self.opt_value(map, "state", loc, d)?;
        let list_items = match map.get_key_value("list_items") {
            Some((k, j)) => self.values(j, &loc.key(k), d)?,
            None => Vec::new(),
        };
        let dict_items = match map.get_key_value("dict_items") {
            Some((k, j)) => self.pairs(j, &loc.key(k), d)?,
            None => Vec::new(),
        };
        Ok(Object::Instance(Box::new(Instance { construct, callable, args, kwargs, state, list_items, dict_items })))
    }

    #[inline(never)]
    fn time_node(
        &mut self,
        tag: &str,
        v: &Json,
        map: &Map<String, Json>,
        loc: &Loc<'_>,
        tl: &Loc<'_>,
        d: u32,
    ) -> Result<Object> {
        let s = text(v, tl)?;
        let (date_part, time_part) = match tag {
            "$time" => (None, s),
            _ => match s.split_once('T') {
                Some((ds, ts)) => (Some(date(ds, tl)?), ts),
                None => return Err(err(tl, "expected YYYY-MM-DDTHH:MM:SS.ffffff")),
            },
        };
        let mut t = time(time_part, tl)?;
        t.fold = match map.get("fold") {
            None => false,
            Some(Json::Bool(b)) => *b,
            Some(_) => return Err(err(&loc.key("fold"), "expected true or false")),
        };
        t.tzinfo = self.opt_value(map, "tzinfo", loc, d)?;
        Ok(match date_part {
            None => Object::Time(t),
            Some(date) => Object::DateTime(Box::new(DateTime { date, time: t })),
        })
    }

    /// Check the graph could come from a pickle, then fill sets and dicts.
    ///
    /// Loading creates an object after its constructor arguments (a tuple's items, an
    /// instance's callable and arguments, a native's fields, ...), so no object can be among its
    /// own arguments; the pickler relies on that, and so does hashing, which walks tuples and
    /// frozensets. Such cycles are refused. Frozensets are then filled before anything that
    /// hashes them: in depth-first post-order along those same edges.
    fn settle(&mut self) -> Result<()> {
        let fills = std::mem::take(&mut self.fills);
        let n = self.g.len();
        let mut fill_of: Vec<Option<usize>> = vec![None; n];
        for (i, f) in fills.iter().enumerate() {
            if let Some(slot) = fill_of.get_mut(f.target.index()) {
                *slot = Some(i);
            }
        }
        enum Step {
            Enter(ObjId),
            Exit(ObjId),
        }
        let mut color = vec![0u8; n];
        let mut order: Vec<usize> = Vec::new();
        let mut stack: Vec<Step> = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        for start in self.g.objects().map(|(id, _)| id).collect::<Vec<_>>() {
            stack.push(Step::Enter(start));
            while let Some(step) = stack.pop() {
                let id = match step {
                    Step::Exit(id) => {
                        color[id.index()] = 2;
                        if let (Some(Object::FrozenSet(_)), Some(fi)) = (self.g.try_get(id), fill_of[id.index()]) {
                            order.push(fi);
                        }
                        continue;
                    }
                    Step::Enter(id) => id,
                };
                match color[id.index()] {
                    0 => {}
                    1 => {
                        let obj = self.g.try_get(id).map_or("object", Object::type_name);
                        let place = match id.index() < self.table.len() {
                            true => format!("objects[{}]", id.index()),
                            false => "document".into(),
                        };
                        return Err(Error::invalid(format!(
                            "JSON {place}: a '{obj}' is among its own constructor arguments (no pickle holds that)"
                        )));
                    }
                    _ => continue,
                }
                color[id.index()] = 1;
                stack.push(Step::Exit(id));
                args.clear();
                if let Some(obj) = self.g.try_get(id) {
                    constructor_args(obj, fill_of[id.index()].map(|fi| &fills[fi].kind), &mut args);
                }
                stack.extend(args.iter().filter_map(|v| v.id()).map(Step::Enter));
            }
        }
        let mut done = vec![false; fills.len()];
        for fi in order.into_iter().chain(0..fills.len()) {
            if !std::mem::replace(&mut done[fi], true) {
                self.fill(&fills[fi])?;
            }
        }
        Ok(())
    }

    fn fill(&mut self, f: &Fill) -> Result<()> {
        let target = Value::Ref(f.target);
        let at = |i: usize, what: &str| format!("JSON {}[{i}]{what}", f.loc);
        match &f.kind {
            FillKind::Set(items) => {
                for (i, &item) in items.iter().enumerate() {
                    self.g.set_add(target, item).map_err(|e| Error::invalid(format!("{}: {e}", at(i, ""))))?;
                    if self.len(f.target) != i + 1 {
                        return Err(Error::invalid(format!("{}: equal to an earlier item", at(i, ""))));
                    }
                }
            }
            FillKind::Dict(pairs) => {
                for (i, &(k, v)) in pairs.iter().enumerate() {
                    self.g.dict_insert(target, k, v).map_err(|e| Error::invalid(format!("{}: {e}", at(i, "[0]"))))?;
                    if self.len(f.target) != i + 1 {
                        return Err(Error::invalid(format!("{}: equal to an earlier key", at(i, "[0]"))));
                    }
                }
            }
        }
        Ok(())
    }

    fn len(&self, id: ObjId) -> usize {
        match self.g.try_get(id) {
            Some(Object::Set(s) | Object::FrozenSet(s)) => s.len(),
            Some(Object::Dict(d) | Object::OrderedDict(d) | Object::Counter(d)) => d.len(),
            Some(Object::DefaultDict(dd)) => dd.dict.len(),
            _ => 0,
        }
    }
}

/// The tags whose nodes hold no values: `None` for every other tag.
#[inline(never)]
fn leaf_node(tag: &str, v: &Json, map: &Map<String, Json>, loc: &Loc<'_>, tl: &Loc<'_>) -> Option<Result<Object>> {
    let obj = match tag {
        "$str" => surrogate_str(v, tl).map(Object::Str),
        "$bytes" => base64_data(v, tl).map(|b| Object::Bytes(b.into())),
        "$bytearray" => base64_data(v, tl).map(Object::ByteArray),
        "$int" => big_int(v, tl).map(|n| Object::Int(Box::new(n))),
        "$global" => global_name(v, tl)
            .map(|(module, name)| Object::Global(Box::new(Global { module: module.into(), name: name.into() }))),
        "$ext" => match v.as_i64().and_then(|c| i32::try_from(c).ok()) {
            Some(code) => Ok(Object::Ext(code)),
            None => Err(err(tl, "expected an extension code (a 32-bit int)")),
        },
        "$buffer" => (|| {
            let data = match v {
                Json::Null => None,
                _ => Some(base64_data(v, tl)?),
            };
            let readonly = match map.get("readonly") {
                None => false,
                Some(Json::Bool(b)) => *b,
                Some(_) => return Err(err(&loc.key("readonly"), "expected true or false")),
            };
            Ok(Object::Buffer(Box::new(Buffer { data, readonly })))
        })(),
        "$complex" => match v {
            Json::Array(parts) if parts.len() == 2 => {
                (|| Ok(Object::Complex(float_value(&parts[0], &tl.index(0))?, float_value(&parts[1], &tl.index(1))?)))()
            }
            _ => Err(err(tl, "expected [real, imag]")),
        },
        "$date" => text(v, tl).and_then(|s| date(s, tl)).map(Object::Date),
        "$timedelta" => {
            let parts: Option<Vec<i32>> = v
                .as_array()
                .filter(|p| p.len() == 3)
                .and_then(|p| p.iter().map(|x| x.as_i64().and_then(|i| i32::try_from(i).ok())).collect());
            match parts.as_deref() {
                Some(&[days, seconds, microseconds]) => {
                    Ok(Object::TimeDelta(TimeDelta { days, seconds, microseconds }))
                }
                _ => Err(err(tl, "expected [days, seconds, microseconds] (32-bit ints)")),
            }
        }
        "$decimal" => text(v, tl).map(|s| Object::Decimal(s.into())),
        "$uuid" => text(v, tl).and_then(|s| uuid(s, tl)).map(Object::Uuid),
        _ => return None,
    };
    Some(obj)
}

fn array<'j>(j: &'j Json, loc: &Loc<'_>) -> Result<&'j [Json]> {
    match j {
        Json::Array(a) => Ok(a),
        other => Err(err(loc, format!("expected an array, found {}", kind(other)))),
    }
}

fn text<'j>(j: &'j Json, loc: &Loc<'_>) -> Result<&'j str> {
    j.as_str().ok_or_else(|| err(loc, format!("expected a string, found {}", kind(j))))
}

fn base64_data(j: &Json, loc: &Loc<'_>) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text(j, loc)?).map_err(|e| err(loc, format!("bad base64: {e}")))
}

fn is_empty_array(j: &Json) -> bool {
    matches!(j, Json::Array(a) if a.is_empty())
}

fn is_new(map: &Map<String, Json>, loc: &Loc<'_>) -> Result<bool> {
    match map.get("new") {
        None => Ok(false),
        Some(Json::Bool(b)) => Ok(*b),
        Some(_) => Err(err(&loc.key("new"), "expected true or false")),
    }
}

fn global_name<'j>(j: &'j Json, loc: &Loc<'_>) -> Result<(&'j str, &'j str)> {
    match j.as_array().map(Vec::as_slice) {
        Some([Json::String(module), Json::String(name)]) => Ok((module, name)),
        _ => Err(err(loc, "expected [\"module\", \"qualname\"]")),
    }
}

/// A str of its own: its text, or runs of text and code points (for lone surrogates).
fn surrogate_str(j: &Json, loc: &Loc<'_>) -> Result<PyStr> {
    if let Json::String(s) = j {
        return Ok(PyStr::from(s.as_str()));
    }
    let mut cps: Vec<u32> = Vec::new();
    for (i, seg) in array(j, loc)?.iter().enumerate() {
        match seg {
            Json::String(s) => cps.extend(s.chars().map(u32::from)),
            Json::Number(n) => match n.as_u64().and_then(|c| u32::try_from(c).ok()).filter(|&c| c <= 0x10ffff) {
                Some(c) => cps.push(c),
                None => return Err(err(&loc.index(i), format!("{n} is no code point"))),
            },
            other => {
                return Err(err(&loc.index(i), format!("expected a string or a code point, found {}", kind(other))))
            }
        }
    }
    PyStr::from_code_points(cps).ok_or_else(|| err(loc, "code point out of range"))
}

fn float_value(j: &Json, loc: &Loc<'_>) -> Result<f64> {
    match j {
        Json::Number(n) => n.as_f64().ok_or_else(|| err(loc, format!("unreadable number {n}"))),
        Json::Object(map) => match tag_of(map, loc)? {
            ("$float", v) => {
                let t = text(v, loc)?;
                parse_float(t).ok_or_else(|| err(loc, format!("bad float {t:?}")))
            }
            (tag, _) => Err(err(loc, format!("expected a float, found a \"{tag}\" object"))),
        },
        other => Err(err(loc, format!("expected a float, found {}", kind(other)))),
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s {
        "nan" => Some(f64::NAN),
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        _ => match s.strip_prefix("0x") {
            Some(hex) if hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u64::from_str_radix(hex, 16).ok().map(f64::from_bits)
            }
            Some(_) => None,
            None => s.parse().ok(),
        },
    }
}

fn big_int(j: &Json, loc: &Loc<'_>) -> Result<BigInt> {
    let s = text(j, loc)?;
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (radix, digits) = match body.strip_prefix("0x") {
        Some(hex) => (16, hex),
        None => (10, body),
    };
    let valid = !digits.is_empty() && digits.bytes().all(|b| (b as char).is_digit(radix));
    if !valid {
        return Err(err(loc, format!("bad int text {s:?}")));
    }
    if radix == 10 && digits.len() > MAX_DECIMAL_DIGITS {
        return Err(err(
            loc,
            format!("decimal ints are limited to {MAX_DECIMAL_DIGITS} digits (write larger ones as \"0x...\")"),
        ));
    }
    let n = BigInt::parse_bytes(digits.as_bytes(), radix).ok_or_else(|| err(loc, format!("bad int text {s:?}")))?;
    Ok(if neg { -n } else { n })
}

fn number<T: std::str::FromStr>(s: &str, loc: &Loc<'_>, what: &str) -> Result<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(loc, format!("bad {what} {s:?}")));
    }
    s.parse().map_err(|_| err(loc, format!("{what} {s} out of range")))
}

fn date(s: &str, loc: &Loc<'_>) -> Result<Date> {
    let mut parts = s.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(err(loc, format!("expected a date YYYY-MM-DD, found {s:?}")));
    };
    Ok(Date { year: number(y, loc, "year")?, month: number(m, loc, "month")?, day: number(d, loc, "day")? })
}

fn time(s: &str, loc: &Loc<'_>) -> Result<Time> {
    let (hms, us) = s.split_once('.').unwrap_or((s, "0"));
    let mut parts = hms.splitn(3, ':');
    let (Some(h), Some(m), Some(sec)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(err(loc, format!("expected a time HH:MM:SS.ffffff, found {s:?}")));
    };
    Ok(Time {
        hour: number(h, loc, "hour")?,
        minute: number(m, loc, "minute")?,
        second: number(sec, loc, "second")?,
        microsecond: number(us, loc, "microsecond")?,
        fold: false,
        tzinfo: None,
    })
}

fn uuid(s: &str, loc: &Loc<'_>) -> Result<u128> {
    let hex: String = s.chars().filter(|&c| c != '-').collect();
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err(loc, format!("bad UUID {s:?}")));
    }
    u128::from_str_radix(&hex, 16).map_err(|_| err(loc, format!("bad UUID {s:?}")))
}
