//! The default builder: makes a [`Graph`] of inert values. Nothing is imported or called;
//! the stdlib constructors it knows become native values (see `natives`).

use crate::builder::{Builder, Text};
use crate::error::{Error, Result};
use crate::natives;
use crate::read::Chunk;
use crate::value::{Buffer, Construct, Global, Graph, Instance, KeyCx, ObjId, Object, PyStr, Set, Value};
use num_bigint::BigInt;
use std::collections::{HashMap, VecDeque};

/// Builds a [`Graph`].
#[derive(Default)]
pub struct GraphBuilder {
    pub(crate) graph: Graph,
    globals: HashMap<(String, String), ObjId>,
    buffers: Option<VecDeque<Vec<u8>>>,
    /// Python's empty tuple is one object; so is ours, per graph.
    empty_tuple: Option<Value>,
}

impl GraphBuilder {
    /// A builder that hands NEXT_BUFFER these buffers in order (or placeholders when `None`).
    pub fn new(buffers: Option<Vec<Vec<u8>>>) -> Self {
        GraphBuilder { buffers: buffers.map(VecDeque::from), ..Default::default() }
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

    fn add(&mut self, obj: Object) -> Value {
        self.graph.add(obj)
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

    fn instance(&mut self, construct: Construct, callable: Value, args: Value, kwargs: Option<Value>) -> Value {
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

impl<'de> Builder<'de> for GraphBuilder {
    type Value = Value;

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
        Ok(self.graph.int(n))
    }

    fn float(&mut self, f: f64) -> Value {
        Value::Float(f)
    }

    fn str(&mut self, s: Text<'de, '_>) -> Result<Value> {
        let s = match s {
            Text::Borrowed(s) => PyStr::Utf8(s.into()),
            Text::Transient(s) => PyStr::Utf8(s.into()),
            Text::Owned(s) => PyStr::Utf8(s.into_boxed_str()),
            Text::Surrogates(b) => PyStr::Surrogates(b.into_boxed_slice()),
        };
        Ok(self.add(Object::Str(s)))
    }

    fn bytes(&mut self, b: Chunk<'de, '_>) -> Result<Value> {
        Ok(self.add(Object::Bytes(b.into_vec())))
    }

    fn bytearray(&mut self, b: Chunk<'de, '_>) -> Result<Value> {
        Ok(self.add(Object::ByteArray(b.into_vec())))
    }

    fn list(&mut self, items: &[Value]) -> Result<Value> {
        Ok(self.add(Object::List(items.to_vec())))
    }

    fn append(&mut self, list: &Value, item: Value) -> Result<()> {
        self.extend(list, &[item])
    }

    fn extend(&mut self, list: &Value, items: &[Value]) -> Result<()> {
        let id = self.target(list)?;
        match self.graph.get_mut(id) {
            Object::List(v) => v.extend_from_slice(items),
            Object::Deque(d) => d.items.extend_from_slice(items),
            Object::Instance(inst) => inst.list_items.extend_from_slice(items),
            other => {
                return Err(Error::type_error(format!("'{}' object has no attribute 'append'", other.type_name())))
            }
        }
        Ok(())
    }

    fn tuple(&mut self, items: &[Value]) -> Result<Value> {
        if items.is_empty() {
            if let Some(t) = self.empty_tuple {
                return Ok(t);
            }
            let t = self.add(Object::Tuple(Vec::new()));
            self.empty_tuple = Some(t);
            return Ok(t);
        }
        Ok(self.add(Object::Tuple(items.to_vec())))
    }

    fn dict(&mut self, pairs: &[Value]) -> Result<Value> {
        let d = self.add(Object::Dict(Box::default()));
        self.set_items(&d, pairs)?;
        Ok(d)
    }

    fn set_items(&mut self, dict: &Value, pairs: &[Value]) -> Result<()> {
        let id = self.target(dict)?;
        if let Object::Instance(inst) = self.graph.get_mut(id) {
            inst.dict_items.extend(pairs.chunks_exact(2).map(|kv| (kv[0], kv[1])));
            return Ok(());
        }
        for kv in pairs.chunks_exact(2) {
            self.graph.dict_insert(*dict, kv[0], kv[1])?;
        }
        Ok(())
    }

    fn empty_set(&mut self) -> Result<Value> {
        Ok(self.add(Object::Set(Box::default())))
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
        Ok(self.add(Object::FrozenSet(Box::new(set))))
    }

    fn global(&mut self, module: &str, name: &str) -> Result<Value> {
        // One object per name, as one class object is one Python object.
        if let Some(&id) = self.globals.get(&(module.to_owned(), name.to_owned())) {
            return Ok(Value::Ref(id));
        }
        let v = self.add(Object::Global(Box::new(Global { module: module.to_owned(), name: name.to_owned() })));
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
        Ok(self.add(Object::Ext(code)))
    }

    fn reduce(&mut self, callable: Value, args: Value) -> Result<Value> {
        if let (Some(Object::Global(g)), Some(items)) = (self.object_of(callable), self.tuple_items(args)) {
            if let Some(native) = natives::from_call(&self.graph, &g.module, &g.name, items)? {
                return Ok(self.add(native));
            }
        }
        Ok(self.instance(Construct::Reduce, callable, args, None))
    }

    fn new_obj(&mut self, cls: Value, args: Value) -> Result<Value> {
        if let (Some(Object::Global(g)), Some(items)) = (self.object_of(cls), self.tuple_items(args)) {
            if let Some(native) = natives::from_new(&self.graph, &g.module, &g.name, items)? {
                return Ok(self.add(native));
            }
        }
        Ok(self.instance(Construct::NewObj, cls, args, None))
    }

    fn new_obj_ex(&mut self, cls: Value, args: Value, kwargs: Value) -> Result<Value> {
        Ok(self.instance(Construct::NewObjEx, cls, args, Some(kwargs)))
    }

    fn inst(&mut self, module: &str, name: &str, args: &[Value]) -> Result<Value> {
        let cls = self.global(module, name)?;
        let args = self.tuple(args)?;
        Ok(self.instance(Construct::Inst, cls, args, None))
    }

    fn obj(&mut self, cls: Value, args: &[Value]) -> Result<Value> {
        let args = self.tuple(args)?;
        Ok(self.instance(Construct::Obj, cls, args, None))
    }

    fn build(&mut self, obj: &Value, state: Value) -> Result<()> {
        let id = self.target(obj)?;
        if let Some(native) = natives::from_build(&self.graph, id, state) {
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
        Ok(self.add(Object::PersistentId(pid)))
    }

    fn next_buffer(&mut self) -> Result<Value> {
        let data = match &mut self.buffers {
            Some(queue) => Some(queue.pop_front().ok_or_else(|| Error::invalid("not enough out-of-band buffers"))?),
            None => None,
        };
        Ok(self.add(Object::Buffer(Box::new(Buffer { data, readonly: false }))))
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
