//! Dicts and sets with Python's key semantics: equal keys (1 == 1.0 == True, equal strs,
//! equal tuples …) collapse to one entry, insertion order is kept, unhashable keys are refused.

use super::{ObjId, Object, Value};
use crate::error::{ErrorKind, Result};
use hashbrown::HashTable;
use num_bigint::BigInt;
use num_traits::{FromPrimitive, ToPrimitive};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};

/// Up to this many items, set lookups scan the stored hashes instead of building a table.
const SCAN_LIMIT: usize = 8;
/// Up to this many entries a dict keeps no hashes at all and finds keys by comparing them: for
/// the small dicts pickles are full of, cheaper than hashing every key and allocating a table.
/// Keys that are objects (strs, tuples) cost a lookup per comparison, so they switch earlier.
const DICT_SCAN_LIMIT: usize = 16;
const DICT_SCAN_LIMIT_OBJECT_KEYS: usize = 8;
/// Equal frozensets nested deeper than this compare unequal rather than recurse further.
const MAX_KEY_DEPTH: usize = 1000;

/// Hashing and comparing keys needs the arena the keys point into.
pub(crate) struct KeyCx<'a> {
    objects: &'a [Object],
}

fn hasher() -> impl BuildHasher {
    // One fixed seed: every hash of a key must agree with every other, in any table.
    foldhash::fast::FixedState::with_seed(0x5eed)
}

impl<'a> KeyCx<'a> {
    pub(crate) fn new(objects: &'a [Object]) -> Self {
        KeyCx { objects }
    }

    /// Python-consistent hash of a key. Tuples are walked with an explicit stack and frozensets
    /// reuse their items' stored hashes, so no nesting depth recurses.
    pub(crate) fn hash(&self, v: Value) -> Result<u64> {
        if let Some(h) = self.leaf_hash(v)? {
            return Ok(h);
        }
        enum Work {
            Visit(Value),
            Tuple(ObjId, usize),
        }
        // Tuples may share sub-tuples (a DAG): each is hashed once, so the work stays linear.
        // A tuple reached from inside itself (only possible through the Graph API) is refused.
        let mut done_tuples: HashMap<ObjId, Option<u64>> = HashMap::new();
        let mut work = vec![Work::Visit(v)];
        let mut done: Vec<u64> = Vec::new();
        while let Some(w) = work.pop() {
            match w {
                Work::Visit(v) => match self.leaf_hash(v)? {
                    Some(h) => done.push(h),
                    None => {
                        let id = v.id().expect("leaf_hash handles every scalar");
                        match done_tuples.get(&id) {
                            Some(Some(h)) => done.push(*h),
                            Some(None) => {
                                return Err(ErrorKind::Invalid("a tuple used as a key contains itself".into()).into())
                            }
                            None => {
                                let Object::Tuple(items) = &self.objects[id.index()] else {
                                    unreachable!("leaf_hash handles everything but tuples")
                                };
                                done_tuples.insert(id, None);
                                work.push(Work::Tuple(id, items.len()));
                                work.extend(items.iter().rev().map(|&i| Work::Visit(i)));
                            }
                        }
                    }
                },
                Work::Tuple(id, n) => {
                    let start = done.len() - n;
                    let mut h = hasher().build_hasher();
                    4u8.hash(&mut h);
                    done[start..].hash(&mut h);
                    done.truncate(start);
                    let h = h.finish();
                    done_tuples.insert(id, Some(h));
                    done.push(h);
                }
            }
        }
        Ok(done[0])
    }

    /// The hash of anything but a non-empty tuple (`None` for those).
    fn leaf_hash(&self, v: Value) -> Result<Option<u64>> {
        let mut h = hasher().build_hasher();
        match v {
            Value::None => 0u8.hash(&mut h),
            Value::Bool(b) => hash_int(b as i64, &mut h),
            Value::Int(i) => hash_int(i, &mut h),
            Value::Float(f) => hash_float(f, &mut h),
            Value::Ref(id) => match &self.objects[id.index()] {
                Object::Str(s) => {
                    2u8.hash(&mut h);
                    s.as_bytes().hash(&mut h);
                }
                Object::Bytes(b) => {
                    3u8.hash(&mut h);
                    b.hash(&mut h);
                }
                Object::Int(n) => hash_big(n, &mut h),
                Object::Tuple(items) if !items.is_empty() => return Ok(None),
                Object::Tuple(_) => 4u8.hash(&mut h),
                Object::FrozenSet(s) => {
                    // Order-independent: a commutative sum of the stored item hashes.
                    let sum = s.index.hashes.iter().fold(0u64, |acc, &x| acc.wrapping_add(x));
                    5u8.hash(&mut h);
                    sum.hash(&mut h);
                }
                Object::Global(g) => {
                    6u8.hash(&mut h);
                    g.hash(&mut h);
                }
                Object::Complex(re, im) if *im == 0.0 => hash_float(*re, &mut h),
                Object::Decimal(s) => {
                    7u8.hash(&mut h);
                    s.hash(&mut h);
                }
                Object::Uuid(u) => {
                    8u8.hash(&mut h);
                    u.hash(&mut h);
                }
                Object::Date(d) => {
                    9u8.hash(&mut h);
                    d.hash(&mut h);
                }
                Object::List(_)
                | Object::Dict(_)
                | Object::Set(_)
                | Object::ByteArray(_)
                | Object::OrderedDict(_)
                | Object::DefaultDict(..)
                | Object::Counter(_)
                | Object::Deque(..)
                | Object::Slice(..) => return Err(ErrorKind::Unhashable(self.objects[id.index()].type_name()).into()),
                // Everything else hashes by identity, as a plain Python object does.
                _ => {
                    10u8.hash(&mut h);
                    id.hash(&mut h);
                }
            },
        }
        Ok(Some(h.finish()))
    }

    #[inline]
    pub(crate) fn eq(&self, a: Value, b: Value) -> bool {
        match (a, b) {
            (Value::Ref(x), Value::Ref(y)) if x == y => true,
            (Value::Int(x), Value::Int(y)) => x == y,
            _ => self.eq_at(a, b, 0),
        }
    }

    /// Python equality of two keys; tuples are compared with an explicit stack.
    fn eq_at(&self, a: Value, b: Value, depth: usize) -> bool {
        // Most keys are one str or number: settle those without the tuple machinery.
        match (a, b) {
            (Value::Ref(x), Value::Ref(y)) if x == y => return true,
            (Value::Ref(x), Value::Ref(y)) => match (&self.objects[x.index()], &self.objects[y.index()]) {
                (Object::Str(p), Object::Str(q)) => return p == q,
                (Object::Str(_), _) | (_, Object::Str(_)) => return false,
                _ => {}
            },
            (Value::Int(x), Value::Int(y)) => return x == y,
            _ => {}
        }
        let mut pending = vec![(a, b)];
        // Pairs of tuples already taken apart: shared sub-tuples are compared once.
        let mut opened: HashSet<(ObjId, ObjId)> = HashSet::new();
        while let Some((a, b)) = pending.pop() {
            if let (Some(x), Some(y)) = (self.number(a), self.number(b)) {
                if x != y {
                    return false;
                }
                continue;
            }
            let same = match (a, b) {
                (Value::None, Value::None) => true,
                (Value::Ref(x), Value::Ref(y)) if x == y => true,
                (Value::Ref(x), Value::Ref(y)) => match (&self.objects[x.index()], &self.objects[y.index()]) {
                    (Object::Str(p), Object::Str(q)) => p == q,
                    (Object::Bytes(p), Object::Bytes(q)) => p == q,
                    (Object::Tuple(p), Object::Tuple(q)) => {
                        if p.len() == q.len() && opened.insert((x, y)) {
                            pending.extend(p.iter().copied().zip(q.iter().copied()));
                        }
                        p.len() == q.len()
                    }
                    (Object::FrozenSet(p), Object::FrozenSet(q)) => {
                        // Nested frozensets recurse only while their hashes keep colliding.
                        depth < MAX_KEY_DEPTH
                            && p.len() == q.len()
                            && p.items()
                                .iter()
                                .zip(&p.index.hashes)
                                .all(|(&i, &h)| q.index.find(h, |j| self.eq_at(i, q.items[j], depth + 1)).is_some())
                    }
                    (Object::Global(p), Object::Global(q)) => p == q,
                    (Object::Decimal(p), Object::Decimal(q)) => p == q,
                    (Object::Uuid(p), Object::Uuid(q)) => p == q,
                    (Object::Date(p), Object::Date(q)) => p == q,
                    _ => false,
                },
                _ => false,
            };
            if !same {
                return false;
            }
        }
        true
    }

    /// Keys that can never be unhashable, so a small dict need not hash them to find out.
    fn trivially_hashable(&self, v: Value) -> bool {
        match v {
            Value::Ref(id) => matches!(&self.objects[id.index()], Object::Str(_) | Object::Bytes(_) | Object::Int(_)),
            _ => true,
        }
    }

    /// Numeric view for cross-type equality (1 == 1.0 == True).
    fn number(&self, v: Value) -> Option<Num<'_>> {
        match v {
            Value::Bool(b) => Some(Num::Int(b as i64)),
            Value::Int(i) => Some(Num::Int(i)),
            Value::Float(f) => Some(Num::Float(f)),
            Value::Ref(id) => match &self.objects[id.index()] {
                Object::Int(n) => Some(Num::Big(n)),
                Object::Complex(re, im) if *im == 0.0 => Some(Num::Float(*re)),
                _ => None,
            },
            Value::None => None,
        }
    }
}

enum Num<'a> {
    Int(i64),
    Float(f64),
    Big(&'a BigInt),
}

impl PartialEq for Num<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a == b,
            (Num::Float(a), Num::Float(b)) => a == b,
            (Num::Big(a), Num::Big(b)) => a == b,
            (Num::Int(i), Num::Float(f)) | (Num::Float(f), Num::Int(i)) => {
                f.fract() == 0.0 && (*f as i128) == (*i as i128) && f.abs() < 1e19
            }
            (Num::Big(n), Num::Float(f)) | (Num::Float(f), Num::Big(n)) => {
                f.is_finite() && f.fract() == 0.0 && BigInt::from_f64(*f).as_ref() == Some(*n)
            }
            (Num::Big(_), Num::Int(_)) | (Num::Int(_), Num::Big(_)) => false,
        }
    }
}

fn hash_int(i: i64, h: &mut impl Hasher) {
    1u8.hash(h);
    i.hash(h);
}

fn hash_big(n: &BigInt, h: &mut impl Hasher) {
    11u8.hash(h);
    n.to_signed_bytes_le().hash(h);
}

fn hash_float(f: f64, h: &mut impl Hasher) {
    if f.is_finite() && f.fract() == 0.0 {
        if let Some(i) = f.to_i64().filter(|&i| i as f64 == f) {
            return hash_int(i, h);
        }
        if let Some(n) = BigInt::from_f64(f) {
            return hash_big(&n, h);
        }
    }
    12u8.hash(h);
    f.to_bits().hash(h);
}

/// Hashes of the keys in insertion order, with a table once there are enough of them.
#[derive(Clone, Debug, Default)]
struct KeyIndex {
    hashes: Vec<u64>,
    table: Option<HashTable<u32>>,
}

impl KeyIndex {
    fn find(&self, hash: u64, mut is_key: impl FnMut(usize) -> bool) -> Option<usize> {
        match &self.table {
            Some(t) => t.find(hash, |&i| self.hashes[i as usize] == hash && is_key(i as usize)).map(|&i| i as usize),
            None => (0..self.hashes.len()).find(|&i| self.hashes[i] == hash && is_key(i)),
        }
    }

    /// An index over these hashes, with room for `capacity` keys.
    fn build(mut hashes: Vec<u64>, capacity: usize) -> Self {
        hashes.reserve(capacity.saturating_sub(hashes.len()));
        let table = (hashes.len() > SCAN_LIMIT).then(|| table_of(&hashes, capacity));
        KeyIndex { hashes, table }
    }

    fn push(&mut self, hash: u64) {
        let pos = self.hashes.len() as u32;
        self.hashes.push(hash);
        let hashes = &self.hashes;
        match &mut self.table {
            Some(t) => {
                t.insert_unique(hash, pos, |&i| hashes[i as usize]);
            }
            None if hashes.len() > SCAN_LIMIT => self.table = Some(table_of(hashes, hashes.len() * 2)),
            None => {}
        }
    }
}

/// A table over positions in `hashes`, with room for `capacity` of them.
fn table_of(hashes: &[u64], capacity: usize) -> HashTable<u32> {
    let mut t = HashTable::with_capacity(capacity);
    for (i, &h) in hashes.iter().enumerate() {
        t.insert_unique(h, i as u32, |&j| hashes[j as usize]);
    }
    t
}

/// A Python dict: insertion-ordered entries with unique keys.
///
/// Up to sixteen scalar keys (eight once a key is an object) it keeps no hashes and compares
/// keys directly; past that it builds a hash index.
#[derive(Clone, Debug, Default)]
pub struct Dict {
    entries: Vec<(Value, Value)>,
    index: Option<Box<KeyIndex>>,
    /// Some key is an object (compared through the arena), not an inline scalar.
    object_keys: bool,
}

impl PartialEq for Dict {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Dict {
    /// The entries in insertion order.
    pub fn entries(&self) -> &[(Value, Value)] {
        &self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Iterate over `(key, value)` pairs in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (Value, Value)> + '_ {
        self.entries.iter().copied()
    }

    fn find(&self, cx: &KeyCx<'_>, key: Value, hash: Option<u64>) -> Option<usize> {
        match (&self.index, hash) {
            (Some(index), Some(h)) => index.find(h, |i| cx.eq(self.entries[i].0, key)),
            _ => self.entries.iter().position(|e| cx.eq(e.0, key)),
        }
    }

    pub(crate) fn insert(&mut self, cx: &KeyCx<'_>, key: Value, value: Value) -> Result<()> {
        // The hash also proves the key hashable; small dicts skip it for keys that always are.
        let hash = if self.index.is_some() || !cx.trivially_hashable(key) { Some(cx.hash(key)?) } else { None };
        match self.find(cx, key, hash) {
            Some(i) => self.entries[i].1 = value,
            None => {
                self.object_keys |= matches!(key, Value::Ref(_));
                self.entries.push((key, value));
                let limit = self.scan_limit();
                match (&mut self.index, hash) {
                    (Some(index), Some(h)) => index.push(h),
                    (None, _) if self.entries.len() > limit => {
                        let capacity = self.entries.capacity().max(2 * self.entries.len());
                        let mut hashes = Vec::with_capacity(capacity);
                        for &(k, _) in &self.entries {
                            hashes.push(cx.hash(k)?);
                        }
                        self.index = Some(Box::new(KeyIndex::build(hashes, capacity)));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn scan_limit(&self) -> usize {
        if self.object_keys {
            DICT_SCAN_LIMIT_OBJECT_KEYS
        } else {
            DICT_SCAN_LIMIT
        }
    }

    /// Room for `n` more entries (the pairs a SETITEMS already holds); whether the entries
    /// moved into large room from [`crate::huge::reserve`] now (to be given back with
    /// [`Dict::into_entries`]).
    pub(crate) fn reserve(&mut self, n: usize, may_move: bool) -> bool {
        crate::huge::reserve(&mut self.entries, n, may_move)
    }

    /// The entries' vector, for its room (see [`crate::huge::give_back`]).
    pub(crate) fn into_entries(self) -> Vec<(Value, Value)> {
        self.entries
    }

    /// Append an entry known to be new, to a dict of at most eight entries (temporaries the
    /// pickler builds).
    pub(crate) fn insert_unchecked(&mut self, key: Value, value: Value) {
        debug_assert!(self.entries.len() < SCAN_LIMIT && self.index.is_none());
        self.object_keys |= matches!(key, Value::Ref(_));
        self.entries.push((key, value));
    }

    /// Look a key up with Python equality.
    pub fn get(&self, graph: &super::Graph, key: Value) -> Option<Value> {
        let cx = KeyCx::new(&graph.objects);
        let hash = if self.index.is_some() { Some(cx.hash(key).ok()?) } else { None };
        self.find(&cx, key, hash).map(|i| self.entries[i].1)
    }

    /// Look up a str key.
    pub fn get_str(&self, graph: &super::Graph, key: &str) -> Option<Value> {
        self.entries.iter().find_map(|&(k, v)| match graph.object(k) {
            Some(Object::Str(s)) if s.as_str() == Some(key) => Some(v),
            _ => None,
        })
    }
}

/// A Python set or frozenset: unique items in insertion order.
#[derive(Clone, Debug, Default)]
pub struct Set {
    items: Vec<Value>,
    index: KeyIndex,
}

impl PartialEq for Set {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl Set {
    /// The items in insertion order.
    pub fn items(&self) -> &[Value] {
        &self.items
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn insert(&mut self, cx: &KeyCx<'_>, item: Value) -> Result<()> {
        let hash = cx.hash(item)?;
        let items = &self.items;
        if self.index.find(hash, |i| cx.eq(items[i], item)).is_none() {
            self.index.push(hash);
            self.items.push(item);
        }
        Ok(())
    }
}
