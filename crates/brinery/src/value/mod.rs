//! The `Value` graph: every object a pickle can carry, in an arena that keeps identity.
//!
//! A [`Graph`] owns its objects; a [`Value`] is either an immediate scalar (None, bool, a
//! machine-size int, float) or a reference to an object in the arena. Two references to the same
//! [`ObjId`] are one Python object: sharing and cycles survive load and dump. Dropping a graph
//! frees a flat vector, so no nesting depth can overflow the stack.

mod keys;
mod pybytes;
mod pystr;
mod stdlib;

pub use keys::{Dict, Set};
pub use pybytes::PyBytes;
pub use pystr::{CodePoints, PyStr};
pub use stdlib::{Date, DateTime, Time, TimeDelta};

#[cfg(test)]
mod size_tests {
    #[test]
    fn objects_stay_small() {
        assert_eq!(std::mem::size_of::<super::Value>(), 16);
        assert!(std::mem::size_of::<super::Object>() <= 32, "{}", std::mem::size_of::<super::Object>());
        assert_eq!(std::mem::size_of::<super::PyStr>(), 24);
    }
}

#[cfg(test)]
mod dict_tests {
    use super::{Graph, Object, Value};

    /// Python equality across the switch from scanning to hashing: `n`, `float(n)` and an equal
    /// str made twice are one key each, whichever size the dict has reached.
    #[test]
    fn equal_keys_stay_one_key_at_every_size() {
        for n in [1usize, 8, 15, 16, 17, 18, 40] {
            let mut g = Graph::new();
            let d = g.dict();
            for i in 0..n {
                let s = g.str(&format!("k{i}"));
                g.dict_insert(d, Value::Int(i as i64), Value::Int(1)).unwrap();
                g.dict_insert(d, s, Value::Int(1)).unwrap();
            }
            for i in 0..n {
                let s = g.str(&format!("k{i}"));
                g.dict_insert(d, Value::Float(i as f64), Value::Int(2)).unwrap();
                g.dict_insert(d, s, Value::Int(3)).unwrap();
            }
            let Some(Object::Dict(dict)) = g.object(d) else { panic!("a dict") };
            assert_eq!(dict.len(), 2 * n, "size {n}");
            for i in 0..n {
                assert_eq!(dict.get(&g, Value::Int(i as i64)), Some(Value::Int(2)), "size {n}");
                assert_eq!(dict.get_str(&g, &format!("k{i}")), Some(Value::Int(3)), "size {n}");
            }
            assert_eq!(dict.entries()[0].0, Value::Int(0), "the first key object stays");
        }
    }

    /// The same with scalar keys only, which switch to hashing later (past sixteen).
    #[test]
    fn equal_scalar_keys_stay_one_key_at_every_size() {
        for n in [1usize, 8, 9, 15, 16, 17, 18, 40] {
            let mut g = Graph::new();
            let d = g.dict();
            for i in 0..n {
                g.dict_insert(d, Value::Int(i as i64), Value::Int(1)).unwrap();
            }
            for i in 0..n {
                g.dict_insert(d, Value::Float(i as f64), Value::Int(2)).unwrap();
            }
            g.dict_insert(d, Value::Bool(true), Value::Int(3)).unwrap();
            let Some(Object::Dict(dict)) = g.object(d) else { panic!("a dict") };
            // True == 1: one more key only when there is no 1 yet.
            assert_eq!(dict.len(), if n > 1 { n } else { n + 1 }, "size {n}");
            assert_eq!(dict.get(&g, Value::Int(1)), Some(Value::Int(3)), "size {n}");
            assert_eq!(dict.get(&g, Value::Float(0.0)), Some(Value::Int(2)), "size {n}");
            assert_eq!(dict.get(&g, Value::Int(n as i64 + 1)), None, "size {n}");
        }
    }
}

pub(crate) use keys::KeyCx;
pub(crate) use pystr::push_code_point;

use num_bigint::BigInt;

/// The index of an object in its [`Graph`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjId(pub(crate) u32);

impl ObjId {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A value: an immediate scalar or a reference to an object in a [`Graph`].
///
/// Python does not memoize None, bools, ints and floats, so they carry no identity here either.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Value {
    /// `None`.
    #[default]
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An int that fits in 64 bits (larger ints are [`Object::Int`]).
    Int(i64),
    /// A float.
    Float(f64),
    /// Any other object.
    Ref(ObjId),
}

impl Value {
    /// The object id, for [`Value::Ref`].
    pub fn id(self) -> Option<ObjId> {
        match self {
            Value::Ref(id) => Some(id),
            _ => None,
        }
    }
}

/// A global reference: `module.qualname` (a class or function), kept as a name, never imported.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Global {
    /// Module name, e.g. `collections`.
    pub module: String,
    /// Qualified name, e.g. `OrderedDict` or `Outer.Inner`.
    pub name: String,
}

/// How an inert [`Instance`] was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Construct {
    /// `callable(*args)` (REDUCE).
    Reduce,
    /// `cls.__new__(cls, *args)` (NEWOBJ).
    NewObj,
    /// `cls.__new__(cls, *args, **kwargs)` (NEWOBJ_EX).
    NewObjEx,
    /// INST: class named inline, arguments from the stack.
    Inst,
    /// OBJ: class and arguments from the stack.
    Obj,
}

/// The inert form of anything built by calling: a class instance or a call result, kept as data.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// How it was created.
    pub construct: Construct,
    /// The callable or class (usually a [`Global`]).
    pub callable: Value,
    /// The argument tuple.
    pub args: Value,
    /// Keyword arguments (NEWOBJ_EX only).
    pub kwargs: Option<Value>,
    /// State given by BUILD, if any (the last one; earlier ones in `extra_states`).
    pub state: Option<Value>,
    /// Items appended by APPEND/APPENDS (list subclasses, deque-likes).
    pub list_items: Vec<Value>,
    /// Items set by SETITEM/SETITEMS (dict subclasses).
    pub dict_items: Vec<(Value, Value)>,
}

/// An out-of-band buffer (protocol 5 `PickleBuffer`).
#[derive(Clone, Debug, PartialEq)]
pub struct Buffer {
    /// The bytes, when the caller supplied them.
    pub data: Option<Vec<u8>>,
    /// Read-only view (READONLY_BUFFER, or a bytes-backed buffer).
    pub readonly: bool,
}

/// An object in the arena. Large variants are boxed so every object takes 32 bytes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Object {
    /// `str`.
    Str(PyStr),
    /// `bytes`.
    Bytes(PyBytes),
    /// `bytearray`.
    ByteArray(Vec<u8>),
    /// An `int` beyond 64 bits.
    Int(Box<BigInt>),
    /// `list`.
    List(Vec<Value>),
    /// `tuple`.
    Tuple(Vec<Value>),
    /// `dict`.
    Dict(Box<Dict>),
    /// `set`.
    Set(Box<Set>),
    /// `frozenset`.
    FrozenSet(Box<Set>),
    /// A class or function reference.
    Global(Box<Global>),
    /// An inert call result or class instance.
    Instance(Box<Instance>),
    /// A persistent reference (PERSID/BINPERSID) holding its id.
    PersistentId(Value),
    /// An extension code (EXT1/2/4) not resolved to a name.
    Ext(i32),
    /// An out-of-band buffer.
    Buffer(Box<Buffer>),
    /// `complex`.
    Complex(f64, f64),
    /// `range(start, stop, step)`.
    Range(Box<[Value; 3]>),
    /// `slice(start, stop, step)`.
    Slice(Box<[Value; 3]>),
    /// `datetime.date`.
    Date(Date),
    /// `datetime.time`.
    Time(Time),
    /// `datetime.datetime`.
    DateTime(Box<DateTime>),
    /// `datetime.timedelta`.
    TimeDelta(TimeDelta),
    /// `datetime.timezone(offset, name)`: offset is a timedelta object, name None or a str.
    TimeZone(Box<[Value; 2]>),
    /// `decimal.Decimal`, by its string form.
    Decimal(Box<str>),
    /// `uuid.UUID`, by its 128-bit value.
    Uuid(u128),
    /// `fractions.Fraction(numerator, denominator)`.
    Fraction(Box<[Value; 2]>),
    /// `collections.OrderedDict`.
    OrderedDict(Box<Dict>),
    /// `collections.defaultdict(factory)`.
    DefaultDict(Box<DefaultDict>),
    /// `collections.deque(items, maxlen)`.
    Deque(Box<Deque>),
    /// `collections.Counter`.
    Counter(Box<Dict>),
}

/// `collections.defaultdict`: the factory (None or a callable) and the items.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DefaultDict {
    /// `default_factory`.
    pub factory: Value,
    /// The items.
    pub dict: Dict,
}

/// `collections.deque`.
#[derive(Clone, Debug, PartialEq)]
pub struct Deque {
    /// The items, left to right.
    pub items: Vec<Value>,
    /// None or an int.
    pub maxlen: Value,
}

impl Object {
    /// The content of a `bytes` or `bytearray`.
    pub(crate) fn bytes_like(&self) -> Option<&[u8]> {
        match self {
            Object::Bytes(b) => Some(b),
            Object::ByteArray(b) => Some(b),
            _ => None,
        }
    }

    /// Call `f` with every value this object refers to directly (items, keys and values,
    /// arguments, state …), in the order writers visit them.
    pub fn for_each_value(&self, mut f: impl FnMut(Value)) {
        match self {
            Object::List(v) | Object::Tuple(v) => v.iter().copied().for_each(f),
            Object::Dict(d) | Object::OrderedDict(d) | Object::Counter(d) => d.iter().for_each(|(k, v)| {
                f(k);
                f(v)
            }),
            Object::DefaultDict(dd) => {
                dd.dict.iter().for_each(|(k, v)| {
                    f(k);
                    f(v)
                });
                f(dd.factory)
            }
            Object::Set(s) | Object::FrozenSet(s) => s.items().iter().copied().for_each(f),
            Object::Instance(i) => {
                f(i.callable);
                f(i.args);
                i.kwargs.into_iter().chain(i.state).for_each(&mut f);
                i.list_items.iter().copied().for_each(&mut f);
                i.dict_items.iter().for_each(|&(k, v)| {
                    f(k);
                    f(v)
                });
            }
            Object::PersistentId(v) => f(*v),
            Object::Range(r) | Object::Slice(r) => r.iter().copied().for_each(f),
            Object::TimeZone(p) | Object::Fraction(p) => p.iter().copied().for_each(f),
            Object::Time(t) => t.tzinfo.into_iter().for_each(f),
            Object::DateTime(dt) => dt.time.tzinfo.into_iter().for_each(f),
            Object::Deque(d) => {
                d.items.iter().copied().for_each(&mut f);
                f(d.maxlen)
            }
            Object::Str(_)
            | Object::Bytes(_)
            | Object::ByteArray(_)
            | Object::Int(_)
            | Object::Global(_)
            | Object::Ext(_)
            | Object::Buffer(_)
            | Object::Complex(..)
            | Object::Date(_)
            | Object::TimeDelta(_)
            | Object::Decimal(_)
            | Object::Uuid(_) => {}
        }
    }

    /// The Python type name, as `type(obj).__name__` would say.
    pub fn type_name(&self) -> &'static str {
        match self {
            Object::Str(_) => "str",
            Object::Bytes(_) => "bytes",
            Object::ByteArray(_) => "bytearray",
            Object::Int(_) => "int",
            Object::List(_) => "list",
            Object::Tuple(_) => "tuple",
            Object::Dict(_) => "dict",
            Object::Set(_) => "set",
            Object::FrozenSet(_) => "frozenset",
            Object::Global(_) => "global",
            Object::Instance(_) => "object",
            Object::PersistentId(_) => "persistent",
            Object::Ext(_) => "extension",
            Object::Buffer(_) => "PickleBuffer",
            Object::Complex(..) => "complex",
            Object::Range(..) => "range",
            Object::Slice(..) => "slice",
            Object::Date(_) => "date",
            Object::Time(_) => "time",
            Object::DateTime(_) => "datetime",
            Object::TimeDelta(_) => "timedelta",
            Object::TimeZone(..) => "timezone",
            Object::Decimal(_) => "Decimal",
            Object::Uuid(_) => "UUID",
            Object::Fraction(..) => "Fraction",
            Object::OrderedDict(_) => "OrderedDict",
            Object::DefaultDict(..) => "defaultdict",
            Object::Deque(..) => "deque",
            Object::Counter(_) => "Counter",
        }
    }
}

/// One unpickled object graph: an arena of objects and the root value.
///
/// ```
/// let g = brinery::loads(b"\x80\x04\x95\t\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01h\x00e.").unwrap();
/// // [1, <the list itself>]
/// let list = g.root().id().unwrap();
/// match g.get(list) {
///     brinery::Object::List(items) => {
///         assert_eq!(items[0], brinery::Value::Int(1));
///         assert_eq!(items[1], brinery::Value::Ref(list)); // a cycle, kept as one object
///     }
///     _ => unreachable!(),
/// }
/// ```
#[derive(Clone, Default)]
pub struct Graph {
    pub(crate) objects: Vec<Object>,
    pub(crate) root: Option<Value>,
    /// How many lists and dicts moved into large room while loading (see
    /// [`crate::huge::reserve`]; at most [`crate::huge::MAX_LARGE_ROOMS`]), so that dropping the
    /// graph looks for them.
    pub(crate) large_rooms: u8,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph").field("objects", &self.objects).field("root", &self.root).finish()
    }
}

thread_local! {
    /// The room of a dropped graph's large arena, list and dict entries (see
    /// [`crate::huge::Spare`]).
    static SPARE_OBJECTS: std::cell::Cell<Vec<Object>> = const { std::cell::Cell::new(Vec::new()) };
    static SPARE_VALUES: std::cell::Cell<Vec<Value>> = const { std::cell::Cell::new(Vec::new()) };
    static SPARE_PAIRS: std::cell::Cell<Vec<(Value, Value)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Free the room of dropped graphs kept on this thread.
pub(crate) fn release_kept() {
    crate::kept::clear(&SPARE_OBJECTS);
    crate::kept::clear(&SPARE_VALUES);
    crate::kept::clear(&SPARE_PAIRS);
}

impl crate::huge::Spare for Object {
    fn slot() -> &'static crate::kept::Slot<Vec<Self>> {
        &SPARE_OBJECTS
    }
}

impl crate::huge::Spare for Value {
    fn slot() -> &'static crate::kept::Slot<Vec<Self>> {
        &SPARE_VALUES
    }
}

impl crate::huge::Spare for (Value, Value) {
    fn slot() -> &'static crate::kept::Slot<Vec<Self>> {
        &SPARE_PAIRS
    }
}

impl Drop for Graph {
    /// The room of a large arena, and of large lists and dicts, goes back to this thread's
    /// spares, for the next graph loaded here.
    fn drop(&mut self) {
        if self.large_rooms > 0 {
            // In the one pass that drops the objects.
            for obj in self.objects.drain(..) {
                match obj {
                    Object::List(items) => crate::huge::give_back(items),
                    Object::Dict(dict) => crate::huge::give_back(dict.into_entries()),
                    _ => {}
                }
            }
        }
        crate::huge::give_back(std::mem::take(&mut self.objects));
    }
}

impl Graph {
    /// An empty graph whose root is None.
    pub fn new() -> Self {
        Graph::default()
    }

    /// The root value (None for an empty graph).
    pub fn root(&self) -> Value {
        self.root.unwrap_or(Value::None)
    }

    /// Set the root value.
    pub fn set_root(&mut self, root: Value) {
        self.root = Some(root);
    }

    /// The object behind an id.
    ///
    /// # Panics
    /// If the id is not from this graph.
    pub fn get(&self, id: ObjId) -> &Object {
        &self.objects[id.index()]
    }

    /// The object behind an id, if it exists.
    pub fn try_get(&self, id: ObjId) -> Option<&Object> {
        self.objects.get(id.index())
    }

    /// The object a value refers to, if it is a reference.
    pub fn object(&self, v: Value) -> Option<&Object> {
        v.id().and_then(|id| self.try_get(id))
    }

    /// Mutable access to an object.
    pub fn get_mut(&mut self, id: ObjId) -> &mut Object {
        &mut self.objects[id.index()]
    }

    /// Check that every reference (the root's and every object's) points into this graph —
    /// a graph assembled by hand could hold an id from another one.
    ///
    /// ```
    /// let mut g = brinery::Graph::new();
    /// let l = g.list(vec![]);
    /// g.set_root(l);
    /// assert!(g.check().is_ok());
    /// let mut other = brinery::Graph::new();
    /// other.set_root(l); // an id from `g`, not `other`
    /// assert!(other.check().is_err());
    /// ```
    pub fn check(&self) -> crate::Result<()> {
        let n = self.objects.len();
        let mut bad = None;
        let mut visit = |v: Value| {
            if let Value::Ref(id) = v {
                if id.index() >= n && bad.is_none() {
                    bad = Some(id);
                }
            }
        };
        visit(self.root());
        for o in &self.objects {
            o.for_each_value(&mut visit);
        }
        match bad {
            None => Ok(()),
            Some(id) => Err(crate::Error::invalid(format!(
                "object #{} is referenced but the graph has only {n} objects",
                id.index()
            ))),
        }
    }

    /// Number of objects in the arena.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// True when the arena holds no objects.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// All objects with their ids.
    pub fn objects(&self) -> impl Iterator<Item = (ObjId, &Object)> {
        self.objects.iter().enumerate().map(|(i, o)| (ObjId(i as u32), o))
    }

    /// Add an object and return a reference to it.
    #[inline]
    pub fn add(&mut self, obj: Object) -> Value {
        self.add_with(|| obj)
    }

    /// Add the object `make` builds, built straight into the arena's next slot (an object
    /// built first and then pushed is stored to the stack in parts and loaded back whole, a
    /// load that stalls).
    #[inline(always)]
    pub(crate) fn add_with(&mut self, make: impl FnOnce() -> Object) -> Value {
        let id = ObjId(self.objects.len() as u32);
        if self.objects.len() == self.objects.capacity() {
            self.grow_arena();
        }
        self.objects.extend(std::iter::once_with(make));
        Value::Ref(id)
    }

    /// Room for one more object, large room from [`crate::huge`] once the arena is large.
    #[cold]
    #[inline(never)]
    fn grow_arena(&mut self) {
        crate::huge::reserve(&mut self.objects, 1, true);
    }

    /// Add a str.
    pub fn str(&mut self, s: &str) -> Value {
        self.add(Object::Str(PyStr::from(s)))
    }

    /// Add bytes.
    pub fn bytes(&mut self, b: &[u8]) -> Value {
        self.add(Object::Bytes(PyBytes::from(b)))
    }

    /// Add a list.
    pub fn list(&mut self, items: Vec<Value>) -> Value {
        self.add(Object::List(items))
    }

    /// Add a tuple.
    pub fn tuple(&mut self, items: Vec<Value>) -> Value {
        self.add(Object::Tuple(items))
    }

    /// Add an int of any size (stored inline when it fits in 64 bits).
    pub fn int(&mut self, n: BigInt) -> Value {
        match i64::try_from(&n) {
            Ok(i) => Value::Int(i),
            Err(_) => self.add(Object::Int(Box::new(n))),
        }
    }

    /// Add a global reference.
    pub fn global(&mut self, module: &str, name: &str) -> Value {
        self.add(Object::Global(Box::new(Global { module: module.into(), name: name.into() })))
    }

    /// Add an empty dict.
    pub fn dict(&mut self) -> Value {
        self.add(Object::Dict(Box::default()))
    }

    /// Insert into a dict-like object (dict, OrderedDict, defaultdict, Counter), as Python's
    /// `d[key] = value`: an equal key keeps its place and takes the new value.
    ///
    /// ```
    /// let mut g = brinery::Graph::new();
    /// let d = g.dict();
    /// let k = g.str("a");
    /// g.dict_insert(d, k, brinery::Value::Int(1)).unwrap();
    /// let k2 = g.str("a");
    /// g.dict_insert(d, k2, brinery::Value::Int(2)).unwrap();
    /// let brinery::Object::Dict(dict) = g.object(d).unwrap() else { unreachable!() };
    /// assert_eq!(dict.len(), 1);
    /// assert_eq!(dict.get_str(&g, "a"), Some(brinery::Value::Int(2)));
    /// ```
    pub fn dict_insert(&mut self, dict: Value, key: Value, value: Value) -> crate::Result<()> {
        self.dict_extend(dict, &[(key, value)])
    }

    /// [`Graph::dict_insert`] for several pairs, in order.
    pub fn dict_extend(&mut self, dict: Value, pairs: &[(Value, Value)]) -> crate::Result<()> {
        self.dict_extend_iter(dict, pairs.iter().copied())
    }

    /// [`Graph::dict_extend`] from an iterator of pairs (SETITEMS: straight off the stack).
    pub(crate) fn dict_extend_iter(
        &mut self,
        dict: Value,
        pairs: impl ExactSizeIterator<Item = (Value, Value)>,
    ) -> crate::Result<()> {
        let id = dict.id().ok_or_else(|| crate::Error::type_error("dict_insert needs a dict object"))?;
        let mut taken = match self.take_dict(id) {
            Some(d) => d,
            None => {
                return Err(crate::Error::type_error(format!(
                    "'{}' object does not support item assignment",
                    self.get(id).type_name()
                )))
            }
        };
        let cx = KeyCx::new(&self.objects);
        let may_move = self.large_rooms < crate::huge::MAX_LARGE_ROOMS;
        self.large_rooms += u8::from(taken.reserve(pairs.len(), may_move));
        let result = pairs.into_iter().try_for_each(|(k, v)| taken.insert(&cx, k, v));
        self.put_dict(id, taken);
        result
    }

    /// Add to a set or frozenset object.
    pub fn set_add(&mut self, set: Value, item: Value) -> crate::Result<()> {
        let id = set.id().ok_or_else(|| crate::Error::type_error("set_add needs a set object"))?;
        let mut taken = match &mut self.objects[id.index()] {
            Object::Set(s) | Object::FrozenSet(s) => std::mem::take(&mut **s),
            other => {
                return Err(crate::Error::type_error(format!("'{}' object has no attribute 'add'", other.type_name())))
            }
        };
        let result = taken.insert(&KeyCx::new(&self.objects), item);
        match &mut self.objects[id.index()] {
            Object::Set(s) | Object::FrozenSet(s) => **s = taken,
            _ => unreachable!("checked above"),
        }
        result
    }

    fn dict_slot(&mut self, id: ObjId) -> Option<&mut Dict> {
        match &mut self.objects[id.index()] {
            Object::Dict(d) | Object::OrderedDict(d) | Object::Counter(d) => Some(d),
            Object::DefaultDict(dd) => Some(&mut dd.dict),
            _ => None,
        }
    }

    fn take_dict(&mut self, id: ObjId) -> Option<Dict> {
        self.dict_slot(id).map(std::mem::take)
    }

    fn put_dict(&mut self, id: ObjId, dict: Dict) {
        if let Some(d) = self.dict_slot(id) {
            *d = dict;
        }
    }
}
