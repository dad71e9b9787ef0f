//! The scanner's builder: runs on the same machine as the loader, but its values are symbols
//! that remember where they came from. It records every global, call site and persistent id
//! with the offset of its opcode, and never fails where Python would succeed.

use super::{CallSite, GlobalRef, GlobalUse, PersistentRef, Verdict};
use crate::builder::{Builder, Text};
use crate::error::{Error, ErrorKind, Result};
use crate::policy::{PersistentIds, Policy, Status};
use crate::read::{Chunk, Read};
use num_bigint::BigInt;
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;

/// A symbolic value: an index into the builder's arena.
pub(crate) type Sym = u32;

/// Where the machine is: the offset and byte of the opcode being run.
pub(crate) type Position = Cell<(u64, u8)>;

/// Longest INT/LONG text read: 4300 digits (CPython's `sys.get_int_max_str_digits()`), a sign,
/// a base prefix and an `L`.
const MAX_INT_TEXT: usize = 4300 + 4;

/// A reader that tells the builder which opcode is running.
pub(crate) struct Tracked<'p, R> {
    pub(crate) inner: R,
    pub(crate) at: &'p Position,
}

impl<'de, R: Read<'de>> Read<'de> for Tracked<'_, R> {
    fn offset(&self) -> u64 {
        self.inner.offset()
    }

    fn byte(&mut self) -> Result<Option<u8>> {
        let off = self.inner.offset();
        let b = self.inner.byte()?;
        if let Some(code) = b {
            self.at.set((off, code));
        }
        Ok(b)
    }

    fn take<'s>(&'s mut self, n: u64) -> Result<Chunk<'de, 's>> {
        self.inner.take(n)
    }

    fn line<'s>(&'s mut self) -> Result<Chunk<'de, 's>> {
        let code = self.at.get().1;
        let line = self.inner.line()?;
        // Decimal text is parsed in quadratic time; CPython refuses more than 4300 digits too.
        if (code == crate::opcodes::op::INT || code == crate::opcodes::op::LONG) && line.as_slice().len() > MAX_INT_TEXT
        {
            return Err(Error::invalid(format!(
                "int literal of {} characters: CPython refuses more than 4300 digits",
                line.as_slice().len()
            )));
        }
        Ok(line)
    }

    fn require(&mut self, n: u64) -> Result<()> {
        self.inner.require(n)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        self.inner.array()
    }
}

#[derive(Debug)]
pub(crate) enum Node<'de> {
    None,
    Bool(bool),
    Int(i64),
    BigInt(BigInt),
    Float,
    Str(Cow<'de, str>),
    Bytes(Cow<'de, [u8]>),
    ByteArray(Cow<'de, [u8]>),
    List(Vec<Sym>),
    Tuple(Vec<Sym>),
    Dict(Vec<Sym>),
    Set(Vec<Sym>),
    /// Index into `globals`.
    Global(usize),
    Call {
        callable: Sym,
        args: Sym,
    },
    Pid(Sym),
    Ext(i32),
    Buffer,
}

/// Something worth a finding that is not simply a global outside the allowlist.
#[derive(Debug)]
pub(crate) struct Event {
    pub verdict: Verdict,
    pub kind: &'static str,
    pub offset: u64,
    pub message: String,
}

/// A call of a loader on data that may be a pickle.
pub(crate) struct NestedRequest {
    pub offset: u64,
    pub loader: String,
    pub arg: Sym,
}

pub(crate) struct SymBuilder<'de, 'p> {
    pub nodes: Vec<Node<'de>>,
    pub globals: Vec<GlobalRef>,
    global_index: HashMap<(String, String), usize>,
    pub calls: Vec<CallSite>,
    pub calls_total: u64,
    pub pids: Vec<PersistentRef>,
    pub pids_total: u64,
    pub events: Vec<Event>,
    events_seen: HashMap<(&'static str, String), usize>,
    pub events_total: u64,
    pub nested: Vec<NestedRequest>,
    policy: &'p Policy,
    at: &'p Position,
    max_nodes: usize,
    max_records: usize,
}

/// Callables that unpickle (or load) a bytes argument.
fn loader(module: &str, name: &str) -> bool {
    matches!(
        (module, name),
        (
            "pickle" | "_pickle" | "cPickle" | "dill" | "cloudpickle" | "dill._dill",
            "loads" | "_loads" | "load" | "_load"
        ) | ("numpy" | "numpy.core.numeric" | "numpy.core.multiarray", "loads")
            | ("torch" | "torch.serialization", "load")
            | ("torch.storage", "_load_from_bytes")
            | ("joblib" | "joblib.numpy_pickle", "load")
            | ("pandas" | "pandas.io.pickle", "read_pickle")
    )
}

impl<'de, 'p> SymBuilder<'de, 'p> {
    pub(crate) fn new(policy: &'p Policy, at: &'p Position, max_nodes: usize, max_records: usize) -> Self {
        SymBuilder {
            // Slot 0 is a None that scalars share once the object limit is reached.
            nodes: vec![Node::None],
            globals: Vec::new(),
            global_index: HashMap::new(),
            calls: Vec::new(),
            calls_total: 0,
            pids: Vec::new(),
            pids_total: 0,
            events: Vec::new(),
            events_seen: HashMap::new(),
            events_total: 0,
            nested: Vec::new(),
            policy,
            at,
            max_nodes,
            max_records,
        }
    }

    fn add(&mut self, node: Node<'de>) -> Result<Sym> {
        if self.nodes.len() >= self.max_nodes || self.nodes.len() >= u32::MAX as usize {
            return Err(ErrorKind::Limit { what: "object", limit: self.max_nodes as u64 }.into());
        }
        self.nodes.push(node);
        Ok((self.nodes.len() - 1) as Sym)
    }

    /// Infallible add for scalars: past the limit they share one slot.
    fn scalar(&mut self, node: Node<'de>) -> Sym {
        self.add(node).unwrap_or_default()
    }

    pub(crate) fn node(&self, s: Sym) -> Option<&Node<'de>> {
        self.nodes.get(s as usize)
    }

    fn here(&self) -> (u64, &'static str) {
        let (off, code) = self.at.get();
        (off, crate::opcodes::name(code))
    }

    pub(crate) fn event(&mut self, verdict: Verdict, kind: &'static str, message: String) {
        let (offset, _) = self.here();
        self.events_total += 1;
        let key = (kind, message);
        if let Some(&i) = self.events_seen.get(&key) {
            let e: &mut Event = &mut self.events[i];
            e.verdict = e.verdict.max(verdict);
            return;
        }
        if self.events.len() >= self.max_records {
            return;
        }
        self.events_seen.insert((key.0, key.1.clone()), self.events.len());
        self.events.push(Event { verdict, kind: key.0, offset, message: key.1 });
    }

    /// Record a use of a global and return its node.
    fn use_global(&mut self, module: &str, name: &str) -> Result<Sym> {
        let (offset, opcode) = self.here();
        let key = (module.to_owned(), name.to_owned());
        let idx = match self.global_index.get(&key) {
            Some(&i) => i,
            None => {
                let status = self.policy.status(module, name);
                let mut reason = match status {
                    Status::Dangerous(why) => Some(why.to_owned()),
                    _ => None,
                };
                if status == Status::Unknown && !crate::policy::importable(module, name) {
                    reason = Some("not an importable name".to_owned());
                }
                self.globals.push(GlobalRef {
                    module: key.0.clone(),
                    name: key.1.clone(),
                    status: status.name(),
                    reason,
                    count: 0,
                    uses: Vec::new(),
                });
                self.global_index.insert(key, self.globals.len() - 1);
                self.globals.len() - 1
            }
        };
        let g = &mut self.globals[idx];
        g.count += 1;
        if g.uses.len() < 100 && g.uses.len() < self.max_records {
            g.uses.push(GlobalUse { opcode, offset });
        }
        self.add(Node::Global(idx))
    }

    pub(crate) fn global_name(&self, s: Sym) -> Option<(&str, &str)> {
        match self.node(s)? {
            Node::Global(i) => self.globals.get(*i).map(|g| (g.module.as_str(), g.name.as_str())),
            _ => None,
        }
    }

    fn global_allowed(&self, s: Sym) -> bool {
        match self.node(s) {
            Some(Node::Global(i)) => self.globals.get(*i).is_some_and(|g| g.status == "allowed"),
            _ => false,
        }
    }

    fn kind_name(&self, s: Sym) -> &'static str {
        match self.node(s) {
            None => "value",
            Some(n) => match n {
                Node::None => "None",
                Node::Bool(_) => "bool",
                Node::Int(_) | Node::BigInt(_) => "int",
                Node::Float => "float",
                Node::Str(_) => "str",
                Node::Bytes(_) => "bytes",
                Node::ByteArray(_) => "bytearray",
                Node::List(_) => "list",
                Node::Tuple(_) => "tuple",
                Node::Dict(_) => "dict",
                Node::Set(_) => "set",
                Node::Global(_) => "global",
                Node::Call { .. } => "object",
                Node::Pid(_) => "persistent object",
                Node::Ext(_) => "extension object",
                Node::Buffer => "buffer",
            },
        }
    }

    /// A short description of a callable or object for call-site records.
    pub(crate) fn describe(&self, s: Sym) -> String {
        if let Some((m, n)) = self.global_name(s) {
            return format!("{m}.{n}");
        }
        match self.node(s) {
            Some(Node::Call { callable, .. }) => match self.global_name(*callable) {
                Some((m, n)) => format!("<{m}.{n}(...) result>"),
                None => "<call result>".to_owned(),
            },
            Some(Node::Ext(code)) => format!("<extension code {code}>"),
            _ => format!("<{}>", self.kind_name(s)),
        }
    }

    fn record_call(&mut self, op: u8, callable: Sym, target: Option<Sym>) {
        let (offset, opcode) = (self.at.get().0, crate::opcodes::name(op));
        self.calls_total += 1;
        if self.calls.len() < self.max_records {
            let callable = match target {
                Some(obj) => self.describe(obj),
                None => self.describe(callable),
            };
            self.calls.push(CallSite { opcode, offset, callable });
        }
    }

    /// A call of `callable`: record it, judge the callable, and note loaders of nested data.
    fn call(&mut self, op: u8, callable: Sym, args: Sym) -> Result<Sym> {
        self.record_call(op, callable, None);
        let opname = crate::opcodes::name(op);
        match self.node(callable) {
            Some(Node::Global(_)) => {
                let (m, n) = self.global_name(callable).map(|(m, n)| (m.to_owned(), n.to_owned())).unwrap_or_default();
                if loader(&m, &n) {
                    let offset = self.at.get().0;
                    self.nested.push(NestedRequest { offset, loader: format!("{m}.{n}"), arg: args });
                }
            }
            Some(Node::Ext(_)) => {}
            _ => {
                let what = self.describe(callable);
                self.event(Verdict::Unknown, "call", format!("{opname} calls {what}, which is not a global"));
            }
        }
        self.add(Node::Call { callable, args })
    }

    /// APPEND, SETITEM, ADDITEMS on `target`: fine on containers and on objects made by calls.
    fn mutate(&mut self, what: &'static str, target: Sym) {
        match self.node(target) {
            Some(Node::Global(_)) => {
                let name = self.describe(target);
                self.event(Verdict::Unknown, "mutation", format!("{what} on the global {name} itself"));
            }
            Some(Node::Call { .. } | Node::List(_) | Node::Dict(_) | Node::Set(_)) => {}
            Some(Node::Pid(_)) => {
                self.event(Verdict::Unknown, "mutation", format!("{what} on a persistent object"));
            }
            _ => {
                let kind = self.kind_name(target);
                self.event(Verdict::Unknown, "mutation", format!("{what} on a {kind}, which Python refuses"));
            }
        }
    }

    /// Render a persistent id, bounded in depth and length.
    pub(crate) fn render(&self, s: Sym, depth: usize, out: &mut String) {
        if out.len() > 200 {
            if !out.ends_with('…') {
                out.push('…');
            }
            return;
        }
        let Some(node) = self.node(s) else { return out.push('?') };
        match node {
            Node::None => out.push_str("None"),
            Node::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
            Node::Int(i) => out.push_str(&i.to_string()),
            Node::BigInt(n) => {
                let t = n.to_string();
                out.push_str(if t.len() > 40 { "<big int>" } else { &t });
            }
            Node::Float => out.push_str("<float>"),
            Node::Str(t) => {
                let t: String = t.chars().take(60).collect();
                out.push_str(&format!("{t:?}").replace('"', "'"));
            }
            Node::Bytes(b) | Node::ByteArray(b) => out.push_str(&format!("<{} bytes>", b.len())),
            Node::Tuple(items) | Node::List(items) => {
                let (open, close) = if matches!(node, Node::Tuple(_)) { ('(', ')') } else { ('[', ']') };
                out.push(open);
                if depth >= 4 {
                    out.push('…');
                } else {
                    for (i, &item) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        if i >= 8 || out.len() > 200 {
                            out.push('…');
                            break;
                        }
                        self.render(item, depth + 1, out);
                    }
                    if items.len() == 1 && open == '(' {
                        out.push(',');
                    }
                }
                out.push(close);
            }
            _ => out.push_str(&self.describe(s)),
        }
    }

    /// Whether a persistent id is the `('storage', <storage class>, key, location, numel)` torch
    /// writes, with an allowed storage class.
    pub(crate) fn torch_storage_pid(&self, pid: Sym, require_allowed: bool) -> Option<(String, u64, String)> {
        let Some(Node::Tuple(items)) = self.node(pid) else { return None };
        let [tag, cls, key, _location, numel] = items.as_slice() else { return None };
        let text = |s: Sym| match self.node(s) {
            Some(Node::Str(t)) => Some(t.to_string()),
            Some(Node::Bytes(b)) => std::str::from_utf8(b).ok().map(str::to_owned),
            _ => None,
        };
        if text(*tag)? != "storage" || (require_allowed && !self.global_allowed(*cls)) {
            return None;
        }
        let (m, n) = self.global_name(*cls)?;
        let size = crate::policy::torch_element_size(m, n)?;
        let Some(Node::Int(count)) = self.node(*numel) else { return None };
        let count = u64::try_from(*count).ok()?;
        Some((text(*key)?, count.checked_mul(size)?, format!("{m}.{n}")))
    }

    /// The bytes a loader's argument stands for, when they are known without running anything.
    pub(crate) fn bytes_of(&self, s: Sym, depth: usize) -> Option<Cow<'_, [u8]>> {
        if depth > 6 {
            return None;
        }
        match self.node(s)? {
            Node::Bytes(b) | Node::ByteArray(b) => Some(Cow::Borrowed(b)),
            Node::Str(t) => Some(latin1_or_utf8(t)),
            Node::Tuple(items) | Node::List(items) => self.bytes_of(*items.first()?, depth + 1),
            Node::Call { callable, args, .. } => {
                let (m, n) = self.global_name(*callable)?;
                let items = match self.node(*args)? {
                    Node::Tuple(items) => items.as_slice(),
                    _ => return None,
                };
                let first = *items.first()?;
                match (m, n) {
                    ("io" | "_io", "BytesIO") | ("builtins", "bytes" | "bytearray") => self.bytes_of(first, depth + 1),
                    ("_codecs" | "codecs", "encode") => match self.node(first)? {
                        Node::Str(t) => Some(latin1_or_utf8(t)),
                        _ => None,
                    },
                    (
                        "base64",
                        "b64decode" | "standard_b64decode" | "decodebytes" | "decodestring" | "urlsafe_b64decode",
                    )
                    | ("binascii", "a2b_base64") => {
                        let data = self.bytes_of(first, depth + 1)?;
                        base64_decode(&data, n == "urlsafe_b64decode").map(Cow::Owned)
                    }
                    ("builtins", "bytes.fromhex" | "bytearray.fromhex") | ("binascii", "unhexlify" | "a2b_hex") => {
                        let data = self.bytes_of(first, depth + 1)?;
                        hex_decode(&data).map(Cow::Owned)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn latin1_or_utf8<'a>(t: &'a str) -> Cow<'a, [u8]> {
    if t.is_ascii() {
        return Cow::Borrowed(t.as_bytes());
    }
    match t.chars().map(|c| u8::try_from(c as u32).ok()).collect::<Option<Vec<u8>>>() {
        Some(v) => Cow::Owned(v),
        None => Cow::Borrowed(t.as_bytes()),
    }
}

fn base64_decode(data: &[u8], urlsafe: bool) -> Option<Vec<u8>> {
    use base64::Engine;
    let clean: Vec<u8> = data.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    let engine =
        if urlsafe { &base64::engine::general_purpose::URL_SAFE } else { &base64::engine::general_purpose::STANDARD };
    engine.decode(&clean).ok()
}

fn hex_decode(data: &[u8]) -> Option<Vec<u8>> {
    let clean: Vec<u8> = data.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    if clean.len() % 2 != 0 {
        return None;
    }
    clean.chunks_exact(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok()).collect()
}

fn chunk_cow<'de>(c: Chunk<'de, '_>) -> Cow<'de, [u8]> {
    match c {
        Chunk::Borrowed(b) => Cow::Borrowed(b),
        other => Cow::Owned(other.into_vec()),
    }
}

impl<'de> Builder<'de> for SymBuilder<'de, '_> {
    type Value = Sym;

    fn none(&mut self) -> Sym {
        self.scalar(Node::None)
    }

    fn bool(&mut self, b: bool) -> Sym {
        self.scalar(Node::Bool(b))
    }

    fn int(&mut self, i: i64) -> Sym {
        self.scalar(Node::Int(i))
    }

    fn big_int(&mut self, n: BigInt) -> Result<Sym> {
        self.add(Node::BigInt(n))
    }

    fn float(&mut self, _f: f64) -> Sym {
        self.scalar(Node::Float)
    }

    fn str(&mut self, s: Text<'de, '_>) -> Result<Sym> {
        let t = match s {
            Text::Borrowed(s) => Cow::Borrowed(s),
            Text::Transient(s) => Cow::Owned(s.to_owned()),
            Text::Owned(s) => Cow::Owned(s),
            Text::Surrogates(b) => Cow::Owned(String::from_utf8_lossy(&b).into_owned()),
        };
        self.add(Node::Str(t))
    }

    fn bytes(&mut self, b: Chunk<'de, '_>) -> Result<Sym> {
        self.add(Node::Bytes(chunk_cow(b)))
    }

    fn bytearray(&mut self, b: Chunk<'de, '_>) -> Result<Sym> {
        self.add(Node::ByteArray(chunk_cow(b)))
    }

    fn list(&mut self, items: &[Sym]) -> Result<Sym> {
        self.add(Node::List(items.to_vec()))
    }

    fn append(&mut self, list: &Sym, item: Sym) -> Result<()> {
        self.extend(list, &[item])
    }

    fn extend(&mut self, list: &Sym, items: &[Sym]) -> Result<()> {
        self.mutate("APPEND", *list);
        if let Some(Node::List(v)) = self.nodes.get_mut(*list as usize) {
            v.extend_from_slice(items);
        }
        Ok(())
    }

    fn tuple(&mut self, items: &[Sym]) -> Result<Sym> {
        self.add(Node::Tuple(items.to_vec()))
    }

    fn dict(&mut self, pairs: &[Sym]) -> Result<Sym> {
        self.add(Node::Dict(pairs.to_vec()))
    }

    fn set_items(&mut self, dict: &Sym, pairs: &[Sym]) -> Result<()> {
        self.mutate("SETITEM", *dict);
        if let Some(Node::Dict(v)) = self.nodes.get_mut(*dict as usize) {
            v.extend_from_slice(pairs);
        }
        Ok(())
    }

    fn empty_set(&mut self) -> Result<Sym> {
        self.add(Node::Set(Vec::new()))
    }

    fn add_items(&mut self, set: &Sym, items: &[Sym]) -> Result<()> {
        self.mutate("ADDITEMS", *set);
        if let Some(Node::Set(v)) = self.nodes.get_mut(*set as usize) {
            v.extend_from_slice(items);
        }
        Ok(())
    }

    fn frozenset(&mut self, items: &[Sym]) -> Result<Sym> {
        self.add(Node::Set(items.to_vec()))
    }

    fn global(&mut self, module: &str, name: &str) -> Result<Sym> {
        self.use_global(module, name)
    }

    fn stack_global(&mut self, module: Sym, name: Sym, py2_names: bool) -> Result<Sym> {
        let text = |s: Sym| match self.node(s) {
            Some(Node::Str(t)) => Some(t.to_string()),
            _ => None,
        };
        match (text(module), text(name)) {
            (Some(m), Some(n)) => {
                let (m, n) = if py2_names { crate::compat::to_py3(&m, &n) } else { (m.as_str(), n.as_str()) };
                let (m, n) = (m.to_owned(), n.to_owned());
                self.use_global(&m, &n)
            }
            _ => {
                // Python needs two strs here. Operands made by calls are strs only at load time:
                // a name hidden from static reading.
                let computed = [module, name].iter().any(|&s| matches!(self.node(s), Some(Node::Call { .. })));
                if computed {
                    self.event(
                        Verdict::Dangerous,
                        "dynamic-global",
                        "STACK_GLOBAL names a global computed by a call at load time".to_owned(),
                    );
                    return self.add(Node::Global(usize::MAX));
                }
                Err(Error::from(ErrorKind::Invalid("STACK_GLOBAL requires str".to_owned())))
            }
        }
    }

    fn ext(&mut self, code: i32) -> Result<Sym> {
        if let Some((m, n)) = self.policy.resolve_extension(code) {
            let (m, n) = (m.to_owned(), n.to_owned());
            return self.use_global(&m, &n);
        }
        self.event(
            Verdict::Unknown,
            "extension",
            format!(
                "extension code {code} names a global through copyreg's registry, which this policy does not resolve"
            ),
        );
        self.add(Node::Ext(code))
    }

    fn reduce(&mut self, callable: Sym, args: Sym) -> Result<Sym> {
        self.call(crate::opcodes::op::REDUCE, callable, args)
    }

    fn new_obj(&mut self, cls: Sym, args: Sym) -> Result<Sym> {
        self.call(crate::opcodes::op::NEWOBJ, cls, args)
    }

    fn new_obj_ex(&mut self, cls: Sym, args: Sym, _kwargs: Sym) -> Result<Sym> {
        self.call(crate::opcodes::op::NEWOBJ_EX, cls, args)
    }

    fn inst(&mut self, module: &str, name: &str, args: &[Sym]) -> Result<Sym> {
        let cls = self.use_global(module, name)?;
        let args = self.tuple(args)?;
        self.call(crate::opcodes::op::INST, cls, args)
    }

    fn obj(&mut self, cls: Sym, args: &[Sym]) -> Result<Sym> {
        let args = self.tuple(args)?;
        self.call(crate::opcodes::op::OBJ, cls, args)
    }

    fn build(&mut self, obj: &Sym, _state: Sym) -> Result<()> {
        let obj = *obj;
        self.record_call(crate::opcodes::op::BUILD, obj, Some(obj));
        match self.node(obj) {
            Some(Node::Call { .. }) => {}
            Some(Node::Global(_)) => {
                let name = self.describe(obj);
                self.event(
                    Verdict::Dangerous,
                    "build",
                    format!("BUILD on the global {name} itself: sets its attributes or calls its __setstate__"),
                );
            }
            _ => {
                let kind = self.kind_name(obj);
                self.event(Verdict::Unknown, "build", format!("BUILD on a {kind}"));
            }
        }
        Ok(())
    }

    fn persistent_id(&mut self, pid: Sym) -> Result<Sym> {
        self.pids_total += 1;
        let allowed = match self.policy.accepts_persistent_ids() {
            PersistentIds::Any => true,
            PersistentIds::Refuse => false,
            PersistentIds::TorchStorage => self.torch_storage_pid(pid, true).is_some(),
        };
        if self.pids.len() < self.max_records {
            let mut id = String::new();
            self.render(pid, 0, &mut id);
            let offset = self.at.get().0;
            self.pids.push(PersistentRef { offset, id, allowed });
        }
        if !allowed {
            let what = match self.policy.accepts_persistent_ids() {
                PersistentIds::TorchStorage => "not a torch storage reference",
                _ => "not accepted",
            };
            self.event(
                Verdict::Unknown,
                "persistent-id",
                format!("persistent id ({what}): the loader's persistent_load resolves it, outside the allowlist"),
            );
        }
        self.add(Node::Pid(pid))
    }

    fn next_buffer(&mut self) -> Result<Sym> {
        self.add(Node::Buffer)
    }

    fn readonly_buffer(&mut self, _buf: &Sym) -> Result<()> {
        Ok(())
    }
}
