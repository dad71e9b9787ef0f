//! The default builder: makes a [`Graph`] of inert values. Nothing is imported or called;
//! the stdlib constructors it knows become native values (see `natives`).

use crate::builder::{Builder, Text};
use crate::error::{Error, ErrorKind, Result};
use crate::machine::Scratch;
use crate::natives;
use crate::options::LoadOptions;
use crate::policy::{Mode, PersistentIds, Policy};
use crate::read::Chunk;
use crate::value::{Buffer, Construct, Global, Graph, Instance, KeyCx, ObjId, Object, PyStr, Set, Value};
use num_bigint::BigInt;
use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Builds a [`Graph`].
#[derive(Default)]
pub struct GraphBuilder {
    pub(crate) graph: Graph,
    globals: HashMap<(String, String), ObjId>,
    buffers: Option<VecDeque<Vec<u8>>>,
    /// Python's empty tuple is one object; so is ours, per graph.
    empty_tuple: Option<Value>,
    policy: Arc<Policy>,
    max_objects: usize,
    /// The input, when large bytes payloads become views into it (see [`GraphBuilder::sharing`]).
    shared: Option<bytes::Bytes>,
}

/// Bytes payloads at least this long become views into a shared input instead of copies:
/// below it a copy costs less than the view, and keeps no large input alive for a small value.
pub const SHARE_FROM: usize = 4096;

impl GraphBuilder {
    /// A builder that hands NEXT_BUFFER these buffers in order (or placeholders when `None`).
    pub fn new(buffers: Option<Vec<Vec<u8>>>) -> Self {
        GraphBuilder { buffers: buffers.map(VecDeque::from), ..Default::default() }
    }

    /// A builder that applies these options' [`Policy`] and object limit, and hands NEXT_BUFFER
    /// their buffers.
    ///
    /// ```
    /// use brinery::{read::SliceRead, GraphBuilder, LoadOptions, Policy};
    /// let opts = LoadOptions::default().policy(Policy::default().strict());
    /// let mut b = GraphBuilder::with_options(&opts);
    /// let err = brinery::machine::run(&mut SliceRead::new(b"cos\nsystem\n."), &mut b, &opts).unwrap_err();
    /// assert!(err.to_string().contains("forbidden"));
    /// ```
    pub fn with_options(opts: &LoadOptions) -> Self {
        GraphBuilder {
            graph: Graph::default(),
            globals: HashMap::new(),
            buffers: opts.buffers.clone().map(VecDeque::from),
            empty_tuple: None,
            policy: Arc::clone(&opts.policy),
            max_objects: opts.limits.objects,
            shared: None,
        }
    }

    /// Make `bytes` payloads of [`SHARE_FROM`] bytes or more views into `input` instead of
    /// copies, when the machine reads from a slice of it (as [`loads_shared`](crate::loads_shared)
    /// does). A view keeps the whole input alive.
    pub fn sharing(mut self, input: &bytes::Bytes) -> Self {
        // A smaller input has no payload to share; it skips the reference count.
        if input.len() >= SHARE_FROM {
            self.shared = Some(input.clone());
        }
        self
    }

    /// Finish with this root.
    pub fn finish(mut self, root: Value) -> Graph {
        self.graph.root = Some(root);
        self.graph
    }

    /// Take the graph built so far for `root`, keeping the builder (and its buffers) for the next
    /// pickle in a stream.
    pub fn take(&mut self, root: Value) -> Graph {
        self.globals.clear();
        self.empty_tuple = None;
        let mut g = std::mem::take(&mut self.graph);
        g.root = Some(root);
        g
    }

    #[inline(always)]
    fn add(&mut self, obj: Object) -> Result<Value> {
        self.add_with(|| obj)
    }

    /// Add the object `make` builds, built in its arena slot (see [`Graph::add_with`]): for the
    /// objects every pickle is full of.
    #[inline(always)]
    fn add_with(&mut self, make: impl FnOnce() -> Object) -> Result<Value> {
        // A builder made by `new` (no options) has no object limit.
        if self.max_objects != 0 && self.graph.len() >= self.max_objects {
            return Err(ErrorKind::Limit { what: "object", limit: self.max_objects as u64 }.into());
        }
        Ok(self.graph.add_with(make))
    }

    /// A str with lone surrogates (protocol 0 or 1 text CPython wrote with `surrogatepass`).
    #[cold]
    fn str_with_surrogates(&mut self, b: Vec<u8>) -> Result<Value> {
        let s = PyStr::from_utf8_surrogatepass(b).map_err(Error::invalid)?;
        self.add(Object::Str(s))
    }

    /// Whether the policy lets `v` act as a known constructor: a global it allows.
    fn allowed_global(&self, v: Value) -> bool {
        match self.object_of(v) {
            Some(Object::Global(g)) => self.policy.allows(&g.module, &g.name),
            _ => false,
        }
    }

    /// `('storage', <allowed global>, key, location, numel)`, as torch writes them.
    fn torch_storage_id(&self, pid: Value) -> bool {
        let text = |v: Value| match self.object_of(v) {
            Some(Object::Str(s)) => s.as_str() == Some("storage"),
            Some(Object::Bytes(b)) => &b[..] == b"storage",
            _ => false,
        };
        matches!(self.tuple_items(pid), Some(&[tag, cls, _, _, Value::Int(_)]) if text(tag) && self.allowed_global(cls))
    }

    /// Strict mode calls only globals the policy allows.
    fn check_callable(&self, callable: Value) -> Result<()> {
        if self.policy.mode() == Mode::Strict && !self.allowed_global(callable) {
            let what = self.object_of(callable).map_or("value", Object::type_name);
            return Err(Error::type_error(format!(
                "calling a '{what}' object is forbidden: only allowed globals are called"
            )));
        }
        Ok(())
    }

    fn object_of(&self, v: Value) -> Option<&Object> {
        self.graph.object(v)
    }

    fn tuple_items(&self, v: Value) -> Option<&[Value]> {
        match self.object_of(v) {
            Some(Object::Tuple(items)) => Some(items),
            _ => None,
        }
    }

    fn instance(&mut self, construct: Construct, callable: Value, args: Value, kwargs: Option<Value>) -> Result<Value> {
        self.add(Object::Instance(Box::new(Instance {
            construct,
            callable,
            args,
            kwargs,
            state: None,
            list_items: Vec::new(),
            dict_items: Vec::new(),
        })))
    }

    fn set_of(&self, items: &[Value]) -> Result<Set> {
        let cx = KeyCx::new(&self.graph.objects);
        let mut set = Set::default();
        for &item in items {
            set.insert(&cx, item)?;
        }
        Ok(set)
    }

    fn target(&self, v: &Value) -> Result<ObjId> {
        v.id().ok_or_else(|| Error::type_error(format!("'{}' object is not a container", scalar_name(*v))))
    }
}

fn scalar_name(v: Value) -> &'static str {
    match v {
        Value::None => "NoneType",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Ref(_) => "object",
    }
}

thread_local! {
    /// The machine's working memory, kept between loads on this thread.
    static SCRATCH: Cell<Scratch<Value>> = Cell::new(Scratch::default());
}

/// Free the machine's working memory kept on this thread.
pub(crate) fn release_kept() {
    crate::kept::clear(&SCRATCH)
}

impl<'de> Builder<'de> for GraphBuilder {
    type Value = Value;

    fn take_scratch(&mut self) -> Scratch<Value> {
        crate::kept::take(&SCRATCH)
    }

    fn keep_scratch(&mut self, scratch: Scratch<Value>) {
        let bytes = scratch.capacity_bytes();
        crate::kept::keep(&SCRATCH, scratch, bytes)
    }

    fn none(&mut self) -> Value {
        Value::None
    }

    fn bool(&mut self, b: bool) -> Value {
        Value::Bool(b)
    }

    fn int(&mut self, i: i64) -> Value {
        Value::Int(i)
    }

    fn big_int(&mut self, n: BigInt) -> Result<Value> {
        match i64::try_from(&n) {
            Ok(i) => Ok(Value::Int(i)),
            Err(_) => self.add(Object::Int(Box::new(n))),
        }
    }

    fn float(&mut self, f: f64) -> Value {
        Value::Float(f)
    }

    // Inlined into the machine's loop, so the new value reaches its stack in registers: a value
    // returned through memory is stored in parts and loaded whole, which stalls the load (a
    // tenth of the time of decoding small str dicts). The str is built in its arena slot for
    // the same reason.
    #[inline(always)]
    fn str(&mut self, s: Text<'de, '_>) -> Result<Value> {
        match s {
            Text::Borrowed(s) => self.add_with(|| Object::Str(PyStr::from(s))),
            Text::Transient(s) => self.add_with(|| Object::Str(PyStr::from(s))),
            Text::Owned(s) => self.add_with(|| Object::Str(PyStr::from(s))),
            Text::Surrogates(b) => self.str_with_surrogates(b),
        }
    }

    fn bytes(&mut self, b: Chunk<'de, '_>) -> Result<Value> {
        if let (Chunk::Borrowed(part), Some(input)) = (&b, &self.shared) {
            if part.len() >= SHARE_FROM {
                if let Some(view) = view_of(input, part) {
                    return self.add_with(|| Object::Bytes(view.into()));
                }
            }
        }
        self.add_with(|| Object::Bytes(b.into_vec().into()))
    }

    fn bytearray(&mut self, b: Chunk<'de, '_>) -> Result<Value> {
        self.add_with(|| Object::ByteArray(b.into_vec()))
    }

    // Inlined like `str`: EMPTY_LIST and EMPTY_DICT are in every container a pickle holds.
    #[inline(always)]
    fn list(&mut self, items: &[Value]) -> Result<Value> {
        self.add_with(|| Object::List(items.to_vec()))
    }

    fn append(&mut self, list: &Value, item: Value) -> Result<()> {
        self.extend(list, &[item])
    }

    fn extend(&mut self, list: &Value, items: &[Value]) -> Result<()> {
        let id = self.target(list)?;
        let may_move = self.graph.large_rooms < crate::huge::MAX_LARGE_ROOMS;
        let mut moved = false;
        match self.graph.get_mut(id) {
            Object::List(v) => {
                moved = v.capacity() - v.len() < items.len() && crate::huge::reserve_list(v, items.len(), may_move);
                v.extend_from_slice(items);
            }
            Object::Deque(d) => d.items.extend_from_slice(items),
            Object::Instance(inst) => inst.list_items.extend_from_slice(items),
            other => {
                return Err(Error::type_error(format!("'{}' object has no attribute 'append'", other.type_name())))
            }
        }
        self.graph.large_rooms += u8::from(moved);
        Ok(())
    }

    fn tuple(&mut self, items: &[Value]) -> Result<Value> {
        if items.is_empty() {
            if let Some(t) = self.empty_tuple {
                return Ok(t);
            }
            let t = self.add(Object::Tuple(Vec::new()))?;
            self.empty_tuple = Some(t);
            return Ok(t);
        }
        self.add_with(|| Object::Tuple(items.to_vec()))
    }

    #[inline(always)]
    fn dict(&mut self, pairs: &[Value]) -> Result<Value> {
        let d = self.add_with(|| Object::Dict(Box::default()))?;
        if !pairs.is_empty() {
            self.set_items(&d, pairs)?;
        }
        Ok(d)
    }

    fn set_items(&mut self, dict: &Value, pairs: &[Value]) -> Result<()> {
        let id = self.target(dict)?;
        if let Object::Instance(inst) = self.graph.get_mut(id) {
            inst.dict_items.extend(pairs.chunks_exact(2).map(|kv| (kv[0], kv[1])));
            return Ok(());
        }
        self.graph.dict_extend_iter(*dict, pairs.chunks_exact(2).map(|kv| (kv[0], kv[1])))
    }

    fn empty_set(&mut self) -> Result<Value> {
        self.add_with(|| Object::Set(Box::default()))
    }

    fn add_items(&mut self, set: &Value, items: &[Value]) -> Result<()> {
        let id = self.target(set)?;
        if !matches!(self.graph.get(id), Object::Set(_)) {
            return Err(Error::type_error(format!(
                "'{}' object has no attribute 'add'",
                self.graph.get(id).type_name()
            )));
        }
        for &item in items {
            self.graph.set_add(*set, item)?;
        }
        Ok(())
    }

    fn frozenset(&mut self, items: &[Value]) -> Result<Value> {
        let set = self.set_of(items)?;
        self.add(Object::FrozenSet(Box::new(set)))
    }

    fn global(&mut self, module: &str, name: &str) -> Result<Value> {
        if self.policy.mode() == Mode::Strict && !self.policy.allows(module, name) {
            return Err(Policy::forbidden(module, name));
        }
        // One object per name, as one class object is one Python object.
        if let Some(&id) = self.globals.get(&(module.to_owned(), name.to_owned())) {
            return Ok(Value::Ref(id));
        }
        let v = self.add(Object::Global(Box::new(Global { module: module.to_owned(), name: name.to_owned() })))?;
        if let Value::Ref(id) = v {
            self.globals.insert((module.to_owned(), name.to_owned()), id);
        }
        Ok(v)
    }

    fn stack_global(&mut self, module: Value, name: Value, py2_names: bool) -> Result<Value> {
        let text = |v: Value| match self.graph.object(v) {
            Some(Object::Str(s)) => s.as_str().map(str::to_owned),
            _ => None,
        };
        let (Some(m), Some(n)) = (text(module), text(name)) else {
            return Err(Error::invalid("STACK_GLOBAL requires str"));
        };
        let (m, n) = if py2_names { crate::compat::to_py3(&m, &n) } else { (m.as_str(), n.as_str()) };
        self.global(m, n)
    }

    fn ext(&mut self, code: i32) -> Result<Value> {
        if let Some((module, name)) = self.policy.resolve_extension(code) {
            let (module, name) = (module.to_owned(), name.to_owned());
            return self.global(&module, &name);
        }
        if self.policy.mode() == Mode::Strict {
            return Err(Error::invalid(format!("unregistered extension code {code}")));
        }
        self.add(Object::Ext(code))
    }

    fn reduce(&mut self, callable: Value, args: Value) -> Result<Value> {
        self.check_callable(callable)?;
        if let (true, Some(Object::Global(g)), Some(items)) =
            (self.allowed_global(callable), self.object_of(callable), self.tuple_items(args))
        {
            if let Some(native) = natives::from_call(&self.graph, &g.module, &g.name, items)? {
                return self.add(native);
            }
        }
        self.instance(Construct::Reduce, callable, args, None)
    }

    fn new_obj(&mut self, cls: Value, args: Value) -> Result<Value> {
        self.check_callable(cls)?;
        if let (true, Some(Object::Global(g)), Some(items)) =
            (self.allowed_global(cls), self.object_of(cls), self.tuple_items(args))
        {
            if let Some(native) = natives::from_new(&self.graph, &g.module, &g.name, items)? {
                return self.add(native);
            }
        }
        self.instance(Construct::NewObj, cls, args, None)
    }

    fn new_obj_ex(&mut self, cls: Value, args: Value, kwargs: Value) -> Result<Value> {
        self.check_callable(cls)?;
        self.instance(Construct::NewObjEx, cls, args, Some(kwargs))
    }

    fn inst(&mut self, module: &str, name: &str, args: &[Value]) -> Result<Value> {
        let cls = self.global(module, name)?;
        let args = self.tuple(args)?;
        self.instance(Construct::Inst, cls, args, None)
    }

    fn obj(&mut self, cls: Value, args: &[Value]) -> Result<Value> {
        self.check_callable(cls)?;
        let args = self.tuple(args)?;
        self.instance(Construct::Obj, cls, args, None)
    }

    fn build(&mut self, obj: &Value, state: Value) -> Result<()> {
        let id = self.target(obj)?;
        // Only an instance made from allowed globals may turn into a native.
        let known = match self.graph.get(id) {
            Object::Instance(inst) => {
                self.allowed_global(inst.callable)
                    && self.tuple_items(inst.args).is_some_and(|items| {
                        items
                            .iter()
                            .all(|&v| !matches!(self.object_of(v), Some(Object::Global(_))) || self.allowed_global(v))
                    })
            }
            _ => false,
        };
        if let Some(native) = known.then(|| natives::from_build(&self.graph, id, state)).flatten() {
            *self.graph.get_mut(id) = native;
            return Ok(());
        }
        if state != Value::None && natives::is_native(self.graph.get(id)) {
            // Extra state on a known type: fall back on the general inert form, which keeps it.
            natives::to_instance(&mut self.graph, id)?;
        }
        match self.graph.get_mut(id) {
            Object::Instance(inst) => {
                inst.state = Some(state);
                Ok(())
            }
            _ if state == Value::None => Ok(()),
            other => Err(Error::type_error(format!("BUILD of a '{}' object with state", other.type_name()))),
        }
    }

    fn persistent_id(&mut self, pid: Value) -> Result<Value> {
        if self.policy.mode() == Mode::Strict {
            let accepted = match self.policy.accepts_persistent_ids() {
                PersistentIds::Any => true,
                PersistentIds::Refuse => false,
                PersistentIds::TorchStorage => self.torch_storage_id(pid),
            };
            if !accepted {
                return Err(Error::invalid("persistent id forbidden by the policy"));
            }
        }
        self.add(Object::PersistentId(pid))
    }

    fn next_buffer(&mut self) -> Result<Value> {
        let data = match &mut self.buffers {
            Some(queue) => Some(queue.pop_front().ok_or_else(|| Error::invalid("not enough out-of-band buffers"))?),
            None => None,
        };
        self.add(Object::Buffer(Box::new(Buffer { data, readonly: false })))
    }

    fn readonly_buffer(&mut self, buf: &Value) -> Result<()> {
        let id = self.target(buf)?;
        match self.graph.get_mut(id) {
            Object::Buffer(b) => {
                b.readonly = true;
                Ok(())
            }
            Object::Bytes(_) => Ok(()),
            other => Err(Error::type_error(format!("READONLY_BUFFER on a '{}' object", other.type_name()))),
        }
    }
}

/// `part` as a view into `input`, when it lies inside it.
fn view_of(input: &bytes::Bytes, part: &[u8]) -> Option<bytes::Bytes> {
    let start = (part.as_ptr() as usize).checked_sub(input.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= input.len()).then(|| input.slice(start..end))
}
