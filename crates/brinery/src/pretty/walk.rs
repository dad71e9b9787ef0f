//! One-line reprs, walked with an explicit stack: Python's builtin `repr` (insertion order,
//! `[...]`-style markers from `Py_ReprEnter`) and `pprint`'s `_safe_repr` (sorted dicts,
//! `<Recursion on ...>` markers, builtin `repr` below anything but dict, list and tuple).

use super::compare::{most_common, safe_sorted, short_type_name};
use super::inst::{Form, InstView};
use super::scalars::{
    big_int, clock_args, complex_repr, date_repr, decimal_repr, fraction_repr, global_repr, int_repr, int_text,
    is_zero_delta, timedelta_repr, uuid_repr,
};
use super::sethash::iteration_order;
use super::text::{bytes_repr_prefix, push_escaped, quote_for};
use super::{repr_str, Node, PrettyPrinter};
use crate::value::{Graph, ObjId, Object, PyStr, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

/// Flag: the object is in `pprint`'s context (being formatted, or walked by `_safe_repr`).
pub(super) const CTX: u8 = 1;
/// Flag: the object is inside builtin `repr` (`Py_ReprEnter`).
const BG: u8 = 2;

/// Which repr a walk produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// Python's builtin `repr`.
    Builtin,
    /// `pprint`'s `_safe_repr` at this level.
    Safe(u32),
}

/// Where reprs go: stops being written to once full.
pub(super) trait Sink {
    fn push(&mut self, s: &str);
    /// How many more characters make the sink full (0 when it is).
    fn room(&self) -> usize;
    fn full(&self) -> bool {
        self.room() == 0
    }
}

/// A string that is full once it holds more than `limit` characters.
pub(super) struct Bounded {
    pub buf: String,
    pub chars: usize,
    limit: usize,
}

impl Bounded {
    pub(super) fn new(limit: usize) -> Self {
        Bounded { buf: String::new(), chars: 0, limit }
    }
}

impl Sink for Bounded {
    fn push(&mut self, s: &str) {
        if self.chars <= self.limit {
            self.buf.push_str(s);
            self.chars += if s.is_ascii() { s.len() } else { s.chars().count() };
        }
    }

    fn room(&self) -> usize {
        self.limit.saturating_add(1).saturating_sub(self.chars)
    }
}

/// A sequence of children a frame walks.
#[derive(Clone)]
pub(super) enum Src<'g> {
    Vals(&'g [Value]),
    Perm(&'g [Value], Rc<[u32]>),
    /// `key: value` entries, in this order when a permutation is given.
    Entries(&'g [(Value, Value)], Option<Rc<[u32]>>),
    /// `(key, value)` tuples of an OrderedDict.
    OdPairs(ObjId, usize),
    /// The two items of one such tuple.
    Pair(Value, Value),
}

pub(super) enum Item {
    One(Node),
    Pair(Value, Value),
}

impl Src<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            Src::Vals(v) | Src::Perm(v, _) => v.len(),
            Src::Entries(e, _) => e.len(),
            Src::OdPairs(_, n) => *n,
            Src::Pair(..) => 2,
        }
    }

    pub(super) fn get(&self, i: usize) -> Item {
        match self {
            Src::Vals(v) => Item::One(Node::V(v[i])),
            Src::Perm(v, p) => Item::One(Node::V(v[p[i] as usize])),
            Src::Entries(e, p) => {
                let j = p.as_ref().map_or(i, |p| p[i] as usize);
                Item::Pair(e[j].0, e[j].1)
            }
            Src::OdPairs(id, _) => Item::One(Node::OdPair(*id, i as u32)),
            Src::Pair(k, v) => Item::One(Node::V(if i == 0 { *k } else { *v })),
        }
    }
}

/// What to undo when a frame ends.
#[derive(Clone, Copy)]
enum Leave {
    No,
    Flag(ObjId, u8),
    /// Restore the "unguarded" entry depth of an object.
    Ung(ObjId, Option<u32>),
}

enum Piece<'g> {
    S(Cow<'static, str>),
    N(Node, Mode),
    /// `defaultdict`'s factory, reprinted under its own `Py_ReprEnter`.
    Factory(Value),
    /// `dict.__repr__` of a defaultdict.
    DictPart(ObjId, &'g [(Value, Value)]),
}

enum Frame<'g> {
    Seq { src: Src<'g>, pos: usize, mode: Mode, close: Cow<'static, str>, leave: Leave },
    Pieces { pieces: Vec<Piece<'g>>, pos: usize, leave: Leave },
}

enum Step<'g> {
    Visit(Node, Mode),
    Push(Frame<'g>),
    Pop(Leave),
    Factory(Value),
    DictPart(ObjId, &'g [(Value, Value)]),
}

/// State shared by every walk over one graph: context flags, sort orders.
pub(super) struct Cx<'g> {
    pub g: &'g Graph,
    pub p: &'g PrettyPrinter,
    /// CTX and BG flags of the objects that have any (a map: a walk over a few objects of a
    /// large graph costs nothing per object of the graph).
    flags: HashMap<ObjId, u8>,
    /// Number of objects under `Py_ReprEnter` right now.
    bg_depth: u32,
    /// Objects without a recursion guard in CPython, on the current path: the `bg_depth` when
    /// they were entered. Seeing one again with no guarded object in between is a cycle Python
    /// would recurse on until `RecursionError`; it prints `...` here.
    ung: HashMap<ObjId, u32>,
    sorted: HashMap<(ObjId, u8), Rc<[u32]>>,
}

/// Kinds of cached orders.
const SORT_KEYS: u8 = 0;
const SORT_SET: u8 = 1;
const SORT_COUNTER: u8 = 2;
const SORT_SETITEMS: u8 = 3;
const SET_ITERATION: u8 = 4;

fn lit(s: &'static str) -> Piece<'static> {
    Piece::S(Cow::Borrowed(s))
}

impl<'g> Cx<'g> {
    pub(super) fn new(g: &'g Graph, p: &'g PrettyPrinter) -> Self {
        Cx { g, p, flags: HashMap::new(), bg_depth: 0, ung: HashMap::new(), sorted: HashMap::new() }
    }

    pub(super) fn in_ctx(&self, id: ObjId) -> bool {
        self.has(id, CTX)
    }

    pub(super) fn set_ctx(&mut self, id: ObjId, on: bool) {
        if on {
            self.set_flag(id, CTX);
        } else {
            self.clear_flag(id, CTX);
        }
    }

    fn has(&self, id: ObjId, flag: u8) -> bool {
        self.flags.get(&id).is_some_and(|f| f & flag != 0)
    }

    fn set_flag(&mut self, id: ObjId, flag: u8) {
        *self.flags.entry(id).or_insert(0) |= flag;
    }

    fn clear_flag(&mut self, id: ObjId, flag: u8) {
        if let Some(f) = self.flags.get_mut(&id) {
            *f &= !flag;
            if *f == 0 {
                self.flags.remove(&id);
            }
        }
    }

    fn enter(&mut self, id: ObjId, flag: u8) -> Leave {
        self.set_flag(id, flag);
        if flag == BG {
            self.bg_depth += 1;
        }
        Leave::Flag(id, flag)
    }

    /// Enter an object CPython does not guard; None when this is a guard-free cycle.
    fn enter_unguarded(&mut self, id: ObjId) -> Option<Leave> {
        let depth = self.bg_depth;
        match self.ung.insert(id, depth) {
            Some(prev) if prev == depth => {
                self.ung.insert(id, prev);
                None
            }
            prev => Some(Leave::Ung(id, prev)),
        }
    }

    fn leave(&mut self, l: Leave) {
        match l {
            Leave::No => {}
            Leave::Flag(id, flag) => {
                self.clear_flag(id, flag);
                if flag == BG {
                    self.bg_depth -= 1;
                }
            }
            Leave::Ung(id, prev) => match prev {
                Some(p) => {
                    self.ung.insert(id, p);
                }
                None => {
                    self.ung.remove(&id);
                }
            },
        }
    }

    /// Dict keys in `_safe_key` order (cached per object).
    pub(super) fn sorted_keys(&mut self, id: ObjId, kind: u8, entries: &[(Value, Value)]) -> Rc<[u32]> {
        let g = self.g;
        self.sorted
            .entry((id, kind))
            .or_insert_with(|| safe_sorted(g, |i| entries[i as usize].0, entries.len()).into())
            .clone()
    }

    /// Dict keys in `_safe_key` order; for an object's own dict.
    pub(super) fn dict_order(&mut self, id: ObjId, entries: &[(Value, Value)]) -> Rc<[u32]> {
        self.sorted_keys(id, SORT_KEYS, entries)
    }

    /// An instance's SETITEMS entries in `_safe_key` order.
    pub(super) fn setitems_order(&mut self, id: ObjId, entries: &[(Value, Value)]) -> Rc<[u32]> {
        self.sorted_keys(id, SORT_SETITEMS, entries)
    }

    /// The order CPython iterates a set in (see [`super::sethash`]), or None for pickled order.
    pub(super) fn set_iteration(&mut self, id: ObjId, items: &[Value]) -> Option<Rc<[u32]>> {
        if items.len() < 2 {
            return None;
        }
        let g = self.g;
        let order = self
            .sorted
            .entry((id, SET_ITERATION))
            .or_insert_with(|| iteration_order(g, items).map_or_else(|| Rc::from(&[][..]), Rc::from))
            .clone();
        (!order.is_empty()).then_some(order)
    }

    /// A set's items as CPython iterates them.
    fn set_src(&mut self, id: ObjId, items: &'g [Value]) -> Src<'g> {
        match self.set_iteration(id, items) {
            Some(order) => Src::Perm(items, order),
            None => Src::Vals(items),
        }
    }

    /// Set items in `_safe_key` order (sorting them as CPython iterates them).
    pub(super) fn set_order(&mut self, id: ObjId, items: &[Value]) -> Rc<[u32]> {
        if let Some(order) = self.sorted.get(&(id, SORT_SET)) {
            return order.clone();
        }
        let base: Vec<u32> = match self.set_iteration(id, items) {
            Some(order) => order.to_vec(),
            None => (0..items.len() as u32).collect(),
        };
        let sorted = safe_sorted(self.g, |i| items[base[i as usize] as usize], items.len());
        let order: Rc<[u32]> = sorted.iter().map(|&i| base[i as usize]).collect();
        self.sorted.insert((id, SORT_SET), order.clone());
        order
    }

    /// `Counter.most_common()` order, or insertion order when counts do not compare.
    pub(super) fn counter_order(&mut self, id: ObjId, entries: &[(Value, Value)]) -> Rc<[u32]> {
        let g = self.g;
        self.sorted
            .entry((id, SORT_COUNTER))
            .or_insert_with(|| most_common(g, entries).unwrap_or_else(|| (0..entries.len() as u32).collect()).into())
            .clone()
    }

    /// `<Recursion on list with id=N>`, with the id [`super::python_id`] gives.
    pub(super) fn recursion(&self, id: ObjId) -> String {
        format!("<Recursion on {} with id={}>", short_type_name(self.g, Value::Ref(id)), super::python_id(id))
    }

    /// The instance behind a virtual node.
    fn view(&self, id: ObjId) -> Option<InstView<'g>> {
        match self.g.try_get(id) {
            Some(Object::Instance(inst)) => Some(InstView::new(self.g, inst)),
            _ => None,
        }
    }

    /// The children of a virtual list, tuple or dict node.
    pub(super) fn virtual_src(&self, node: Node) -> Option<Src<'g>> {
        let g = self.g;
        Some(match node {
            Node::OdItems(id) => match g.try_get(id)? {
                Object::OrderedDict(d) => Src::OdPairs(id, d.len()),
                _ => return None,
            },
            Node::OdPair(id, i) => match g.try_get(id)? {
                Object::OrderedDict(d) => {
                    let &(k, v) = d.entries().get(i as usize)?;
                    Src::Pair(k, v)
                }
                _ => return None,
            },
            Node::Args(id) => Src::Vals(self.view(id)?.args.unwrap_or(&[])),
            Node::Items(id) => Src::Vals(self.view(id)?.items),
            Node::SetItems(id) => Src::Entries(self.view(id)?.set_items, None),
            Node::V(_) => return None,
        })
    }

    /// Walk `node` into `out`; false when `out` filled up first.
    pub(super) fn walk(&mut self, node: Node, mode: Mode, out: &mut dyn Sink) -> bool {
        let mut stack: Vec<Frame<'g>> = Vec::new();
        let mut step = Some(Step::Visit(node, mode));
        loop {
            if let Some(s) = step.take() {
                match s {
                    Step::Visit(n, m) => self.visit(n, m, &mut stack, out),
                    Step::Push(f) => stack.push(f),
                    Step::Pop(l) => {
                        stack.pop();
                        self.leave(l);
                    }
                    Step::Factory(v) => match v {
                        Value::Ref(id) if self.has(id, BG) => out.push("..."),
                        Value::Ref(id) => {
                            let leave = self.enter(id, BG);
                            stack.push(Frame::Pieces {
                                pieces: vec![Piece::N(Node::V(v), Mode::Builtin)],
                                pos: 0,
                                leave,
                            });
                        }
                        _ => self.visit(Node::V(v), Mode::Builtin, &mut stack, out),
                    },
                    Step::DictPart(id, entries) => {
                        if entries.is_empty() {
                            out.push("{}");
                        } else if self.has(id, BG) {
                            out.push("{...}");
                        } else {
                            let leave = self.enter(id, BG);
                            out.push("{");
                            stack.push(Frame::Seq {
                                src: Src::Entries(entries, None),
                                pos: 0,
                                mode: Mode::Builtin,
                                close: Cow::Borrowed("}"),
                                leave,
                            });
                        }
                    }
                }
            }
            if out.full() {
                while let Some(f) = stack.pop() {
                    let l = match f {
                        Frame::Seq { leave, .. } | Frame::Pieces { leave, .. } => leave,
                    };
                    self.leave(l);
                }
                return false;
            }
            let Some(top) = stack.last_mut() else { return true };
            step = Some(match top {
                Frame::Seq { src, pos, mode, close, leave } => {
                    if *pos == src.len() {
                        out.push(close);
                        Step::Pop(*leave)
                    } else {
                        if *pos > 0 {
                            out.push(", ");
                        }
                        let item = src.get(*pos);
                        *pos += 1;
                        match item {
                            Item::One(n) => Step::Visit(n, *mode),
                            Item::Pair(k, v) => Step::Push(Frame::Pieces {
                                pieces: vec![Piece::N(Node::V(k), *mode), lit(": "), Piece::N(Node::V(v), *mode)],
                                pos: 0,
                                leave: Leave::No,
                            }),
                        }
                    }
                }
                Frame::Pieces { pieces, pos, leave } => {
                    if *pos == pieces.len() {
                        Step::Pop(*leave)
                    } else {
                        let p = std::mem::replace(&mut pieces[*pos], lit(""));
                        *pos += 1;
                        match p {
                            Piece::S(s) => {
                                out.push(&s);
                                continue;
                            }
                            Piece::N(n, m) => Step::Visit(n, m),
                            Piece::Factory(v) => Step::Factory(v),
                            Piece::DictPart(id, e) => Step::DictPart(id, e),
                        }
                    }
                }
            });
        }
    }

    fn visit(&mut self, node: Node, mode: Mode, stack: &mut Vec<Frame<'g>>, out: &mut dyn Sink) {
        match mode {
            Mode::Safe(level) => self.visit_safe(node, level, stack, out),
            Mode::Builtin => self.visit_builtin(node, stack, out),
        }
    }

    fn too_deep(&self, level: u32) -> bool {
        self.p.depth.is_some_and(|d| level as usize >= d)
    }

    /// `_safe_repr` of a list or tuple (real or virtual).
    #[allow(clippy::too_many_arguments)]
    fn safe_seq(
        &mut self,
        id: Option<ObjId>,
        src: Src<'g>,
        tuple: bool,
        level: u32,
        stack: &mut Vec<Frame<'g>>,
        out: &mut dyn Sink,
    ) {
        let n = src.len();
        let (open, close) = match (tuple, n) {
            (false, 0) => return out.push("[]"),
            (false, _) => ("[", "]"),
            (true, 1) => ("(", ",)"),
            (true, 0) => return out.push("()"),
            (true, _) => ("(", ")"),
        };
        if self.too_deep(level) {
            out.push(open);
            out.push("...");
            return out.push(close);
        }
        if let Some(id) = id {
            if self.in_ctx(id) {
                return out.push(&self.recursion(id));
            }
        }
        let leave = id.map_or(Leave::No, |id| self.enter(id, CTX));
        out.push(open);
        stack.push(Frame::Seq { src, pos: 0, mode: Mode::Safe(level + 1), close: Cow::Borrowed(close), leave });
    }

    /// `_safe_repr` of a dict (real or virtual).
    fn safe_dict(
        &mut self,
        id: Option<ObjId>,
        src: Src<'g>,
        level: u32,
        stack: &mut Vec<Frame<'g>>,
        out: &mut dyn Sink,
    ) {
        if src.len() == 0 {
            return out.push("{}");
        }
        if self.too_deep(level) {
            return out.push("{...}");
        }
        if let Some(id) = id {
            if self.in_ctx(id) {
                return out.push(&self.recursion(id));
            }
        }
        let leave = id.map_or(Leave::No, |id| self.enter(id, CTX));
        out.push("{");
        stack.push(Frame::Seq { src, pos: 0, mode: Mode::Safe(level + 1), close: Cow::Borrowed("}"), leave });
    }

    /// Dict entries in the order `pprint` prints them.
    pub(super) fn dict_src(&mut self, id: ObjId, entries: &'g [(Value, Value)], setitems: bool) -> Src<'g> {
        if self.p.sort_dicts && entries.len() > 1 {
            let order = if setitems { self.setitems_order(id, entries) } else { self.dict_order(id, entries) };
            Src::Entries(entries, Some(order))
        } else {
            Src::Entries(entries, None)
        }
    }

    fn visit_safe(&mut self, node: Node, level: u32, stack: &mut Vec<Frame<'g>>, out: &mut dyn Sink) {
        let g = self.g;
        match node {
            Node::V(Value::Int(i)) => out.push(&int_text(i.to_string(), self.p.underscore_numbers)),
            Node::V(Value::Ref(id)) => match g.try_get(id) {
                Some(Object::Int(n)) => out.push(&int_text(int_repr(n), self.p.underscore_numbers)),
                Some(Object::Dict(d)) => {
                    let src = self.dict_src(id, d.entries(), false);
                    self.safe_dict(Some(id), src, level, stack, out)
                }
                Some(Object::List(items)) => self.safe_seq(Some(id), Src::Vals(items), false, level, stack, out),
                Some(Object::Tuple(items)) => self.safe_seq(Some(id), Src::Vals(items), true, level, stack, out),
                _ => self.visit_builtin(node, stack, out),
            },
            Node::V(_) => self.visit_builtin(node, stack, out),
            Node::OdItems(_) | Node::Items(_) => match self.virtual_src(node) {
                Some(src) => self.safe_seq(None, src, false, level, stack, out),
                None => out.push("[]"),
            },
            Node::OdPair(..) | Node::Args(_) => match self.virtual_src(node) {
                Some(src) => self.safe_seq(None, src, true, level, stack, out),
                None => out.push("()"),
            },
            Node::SetItems(id) => match self.view(id) {
                Some(view) => {
                    let src = self.dict_src(id, view.set_items, true);
                    self.safe_dict(None, src, level, stack, out)
                }
                None => out.push("{}"),
            },
        }
    }

    /// A container under `Py_ReprEnter`: empty form, recursion marker, or open + children.
    #[allow(clippy::too_many_arguments)]
    fn guarded(
        &mut self,
        id: ObjId,
        src: Src<'g>,
        empty: &'static str,
        marker: &'static str,
        open: &'static str,
        close: Cow<'static, str>,
        stack: &mut Vec<Frame<'g>>,
        out: &mut dyn Sink,
    ) {
        if src.len() == 0 && !empty.is_empty() {
            return out.push(empty);
        }
        if self.has(id, BG) {
            return out.push(marker);
        }
        let leave = self.enter(id, BG);
        out.push(open);
        stack.push(Frame::Seq { src, pos: 0, mode: Mode::Builtin, close, leave });
    }

    /// Children of an object CPython repr's without a recursion guard.
    fn unguarded(&mut self, id: ObjId, pieces: Vec<Piece<'g>>, stack: &mut Vec<Frame<'g>>, out: &mut dyn Sink) {
        match self.enter_unguarded(id) {
            Some(leave) => stack.push(Frame::Pieces { pieces, pos: 0, leave }),
            None => out.push("..."),
        }
    }

    fn visit_builtin(&mut self, node: Node, stack: &mut Vec<Frame<'g>>, out: &mut dyn Sink) {
        let g = self.g;
        let id = match node {
            Node::V(Value::None) => return out.push("None"),
            Node::V(Value::Bool(b)) => return out.push(if b { "True" } else { "False" }),
            Node::V(Value::Int(i)) => return out.push(&i.to_string()),
            Node::V(Value::Float(f)) => return out.push(&crate::float_repr(f)),
            Node::V(Value::Ref(id)) => id,
            Node::OdItems(_) | Node::Items(_) => {
                let src = self.virtual_src(node).unwrap_or(Src::Vals(&[]));
                if src.len() == 0 {
                    return out.push("[]");
                }
                out.push("[");
                return stack.push(Frame::Seq {
                    src,
                    pos: 0,
                    mode: Mode::Builtin,
                    close: Cow::Borrowed("]"),
                    leave: Leave::No,
                });
            }
            Node::OdPair(..) | Node::Args(_) => {
                let src = self.virtual_src(node).unwrap_or(Src::Vals(&[]));
                let close = match src.len() {
                    0 => return out.push("()"),
                    1 => ",)",
                    _ => ")",
                };
                out.push("(");
                return stack.push(Frame::Seq {
                    src,
                    pos: 0,
                    mode: Mode::Builtin,
                    close: Cow::Borrowed(close),
                    leave: Leave::No,
                });
            }
            Node::SetItems(_) => {
                let src = self.virtual_src(node).unwrap_or(Src::Entries(&[], None));
                if src.len() == 0 {
                    return out.push("{}");
                }
                out.push("{");
                return stack.push(Frame::Seq {
                    src,
                    pos: 0,
                    mode: Mode::Builtin,
                    close: Cow::Borrowed("}"),
                    leave: Leave::No,
                });
            }
        };
        let Some(obj) = g.try_get(id) else { return out.push("<missing object>") };
        let b = Cow::Borrowed;
        match obj {
            Object::Str(s) => push_str_repr(s, out),
            Object::Bytes(bytes) => push_bytes_repr(bytes, false, "", "", out),
            Object::ByteArray(bytes) => push_bytes_repr(bytes, true, "bytearray(", ")", out),
            Object::Int(n) => out.push(&int_repr(n)),
            Object::List(items) => self.guarded(id, Src::Vals(items), "[]", "[...]", "[", b("]"), stack, out),
            Object::Tuple(items) => {
                let close = if items.len() == 1 { ",)" } else { ")" };
                self.guarded(id, Src::Vals(items), "()", "(...)", "(", b(close), stack, out)
            }
            Object::Dict(d) => {
                self.guarded(id, Src::Entries(d.entries(), None), "{}", "{...}", "{", b("}"), stack, out)
            }
            Object::Set(s) => {
                let src = self.set_src(id, s.items());
                self.guarded(id, src, "set()", "set(...)", "{", b("}"), stack, out)
            }
            Object::FrozenSet(s) => {
                let src = self.set_src(id, s.items());
                self.guarded(id, src, "frozenset()", "frozenset(...)", "frozenset({", b("})"), stack, out)
            }
            Object::OrderedDict(d) => self.guarded(
                id,
                Src::OdPairs(id, d.len()),
                "OrderedDict()",
                "...",
                "OrderedDict([",
                b("])"),
                stack,
                out,
            ),
            Object::DefaultDict(dd) => stack.push(Frame::Pieces {
                pieces: vec![
                    lit("defaultdict("),
                    Piece::Factory(dd.factory),
                    lit(", "),
                    Piece::DictPart(id, dd.dict.entries()),
                    lit(")"),
                ],
                pos: 0,
                leave: Leave::No,
            }),
            Object::Deque(dq) => {
                let close = match dq.maxlen {
                    Value::None => b("])"),
                    m => Cow::Owned(format!("], maxlen={})", scalar_text(g, m))),
                };
                self.guarded(id, Src::Vals(&dq.items), "", "[...]", "deque([", close, stack, out)
            }
            Object::Counter(d) => {
                if d.is_empty() {
                    return out.push("Counter()");
                }
                let order = self.counter_order(id, d.entries());
                match self.enter_unguarded(id) {
                    Some(leave) => {
                        out.push("Counter({");
                        stack.push(Frame::Seq {
                            src: Src::Entries(d.entries(), Some(order)),
                            pos: 0,
                            mode: Mode::Builtin,
                            close: b("})"),
                            leave,
                        });
                    }
                    None => out.push("..."),
                }
            }
            Object::Global(gl) => out.push(&global_repr(gl)),
            Object::Instance(inst) => {
                if self.has(id, BG) {
                    return out.push("...");
                }
                let view = InstView::new(g, inst);
                let pieces = instance_pieces(g, &view, id);
                let leave = self.enter(id, BG);
                stack.push(Frame::Pieces { pieces, pos: 0, leave });
            }
            Object::PersistentId(pid) => self.unguarded(
                id,
                vec![lit("<persistent "), Piece::N(Node::V(*pid), Mode::Builtin), lit(">")],
                stack,
                out,
            ),
            Object::Ext(code) => out.push(&format!("<extension code {code}>")),
            Object::Buffer(buf) => match &buf.data {
                None => out.push("<out-of-band buffer>"),
                Some(data) if buf.readonly => push_bytes_repr(data, false, "<out-of-band buffer ", ">", out),
                Some(data) => push_bytes_repr(data, true, "<out-of-band buffer bytearray(", ")>", out),
            },
            Object::Complex(re, im) => out.push(&complex_repr(*re, *im)),
            Object::Range(r) => {
                let t = |v: Value| big_int(g, v).map(|i| int_repr(&i)).unwrap_or_else(|| "?".into());
                let [a, z, s] = **r;
                if big_int(g, s).is_some_and(|s| s == 1.into()) {
                    out.push(&format!("range({}, {})", t(a), t(z)))
                } else {
                    out.push(&format!("range({}, {}, {})", t(a), t(z), t(s)))
                }
            }
            Object::Slice(r) => self.unguarded(
                id,
                vec![
                    lit("slice("),
                    Piece::N(Node::V(r[0]), Mode::Builtin),
                    lit(", "),
                    Piece::N(Node::V(r[1]), Mode::Builtin),
                    lit(", "),
                    Piece::N(Node::V(r[2]), Mode::Builtin),
                    lit(")"),
                ],
                stack,
                out,
            ),
            Object::Date(d) => out.push(&date_repr(d)),
            Object::Time(t) => {
                let head = format!("datetime.time({}", clock_args(t.hour, t.minute, t.second, t.microsecond));
                let mut pieces = vec![Piece::S(Cow::Owned(head))];
                if let Some(tz) = t.tzinfo {
                    pieces.push(lit(", tzinfo="));
                    pieces.push(Piece::N(Node::V(tz), Mode::Builtin));
                }
                if t.fold {
                    pieces.push(lit(", fold=1"));
                }
                pieces.push(lit(")"));
                self.unguarded(id, pieces, stack, out)
            }
            Object::DateTime(dt) => {
                let (d, t) = (&dt.date, &dt.time);
                let head = format!(
                    "datetime.datetime({}, {}, {}, {}",
                    d.year,
                    d.month,
                    d.day,
                    clock_args(t.hour, t.minute, t.second, t.microsecond)
                );
                let mut pieces = vec![Piece::S(Cow::Owned(head))];
                if t.fold {
                    pieces.push(lit(", fold=1"));
                }
                if let Some(tz) = t.tzinfo {
                    pieces.push(lit(", tzinfo="));
                    pieces.push(Piece::N(Node::V(tz), Mode::Builtin));
                }
                pieces.push(lit(")"));
                self.unguarded(id, pieces, stack, out)
            }
            Object::TimeDelta(t) => out.push(&timedelta_repr(t)),
            Object::TimeZone(tz) => {
                let [offset, name] = **tz;
                if name == Value::None && is_zero_delta(g, offset) {
                    return out.push("datetime.timezone.utc");
                }
                let mut pieces = vec![lit("datetime.timezone("), Piece::N(Node::V(offset), Mode::Builtin)];
                if name != Value::None {
                    pieces.push(lit(", "));
                    pieces.push(Piece::N(Node::V(name), Mode::Builtin));
                }
                pieces.push(lit(")"));
                self.unguarded(id, pieces, stack, out)
            }
            Object::Decimal(s) => out.push(&decimal_repr(s)),
            Object::Uuid(u) => out.push(&uuid_repr(*u)),
            Object::Fraction(nd) => out.push(&fraction_repr(g, nd[0], nd[1])),
            #[allow(unreachable_patterns)]
            _ => out.push(&format!("<{}>", obj.type_name())),
        }
    }
}

/// `repr` of a scalar or an int object (deque's maxlen); `?` for anything else.
fn scalar_text(g: &Graph, v: Value) -> String {
    match v {
        Value::None => "None".into(),
        Value::Bool(b) => if b { "True" } else { "False" }.into(),
        Value::Float(f) => crate::float_repr(f),
        _ => big_int(g, v).map(|i| int_repr(&i)).unwrap_or_else(|| "?".into()),
    }
}

/// The builtin-repr pieces of an instance.
fn instance_pieces<'g>(g: &'g Graph, view: &InstView<'g>, id: ObjId) -> Vec<Piece<'g>> {
    let mut pieces = Vec::new();
    let name = view.name();
    match view.form(g, id) {
        Form::Call(parts) => {
            pieces.push(Piece::S(Cow::Owned(format!("{}(", name.unwrap_or_default()))));
            for (i, (key, v)) in parts.into_iter().enumerate() {
                if i > 0 {
                    pieces.push(lit(", "));
                }
                if let Some(k) = key {
                    pieces.push(Piece::S(Cow::Owned(format!("{k}="))));
                }
                pieces.push(Piece::N(Node::V(v), Mode::Builtin));
            }
            pieces.push(lit(")"));
        }
        Form::Attrs(attrs) => {
            pieces.push(Piece::S(Cow::Owned(format!("{}(", name.unwrap_or_default()))));
            for (i, (k, v)) in attrs.into_iter().enumerate() {
                if i > 0 {
                    pieces.push(lit(", "));
                }
                pieces.push(Piece::S(Cow::Owned(format!("{k}="))));
                pieces.push(Piece::N(Node::V(v), Mode::Builtin));
            }
            pieces.push(lit(")"));
        }
        Form::Object(fields) => {
            pieces.push(Piece::S(Cow::Owned(match &name {
                Some(n) => format!("<{n} object"),
                None => "<object".to_owned(),
            })));
            for (k, n) in fields {
                pieces.push(Piece::S(Cow::Owned(format!(", {k}="))));
                pieces.push(Piece::N(n, Mode::Builtin));
            }
            pieces.push(lit(">"));
        }
    }
    pieces
}

/// `repr(s)` into a sink, producing no more characters than the sink can still take.
fn push_str_repr(s: &PyStr, out: &mut dyn Sink) {
    let room = out.room();
    let bytes = s.as_bytes();
    if bytes.len().saturating_mul(10).saturating_add(2) <= room {
        return out.push(&repr_str(s));
    }
    let quote = quote_for(bytes);
    let mut buf = String::with_capacity(room.min(1 << 16) + 16);
    buf.push(quote as char);
    let mut chars = 1;
    for cp in s.code_points() {
        if chars >= room {
            break;
        }
        let before = buf.len();
        push_escaped(&mut buf, cp, quote);
        chars += buf[before..].chars().count();
    }
    if chars < room {
        buf.push(quote as char);
    }
    out.push(&buf);
}

/// `prefix + repr(b) + suffix` into a sink (with `bytearray`'s escaping when asked), bounded
/// like [`push_str_repr`].
fn push_bytes_repr(b: &[u8], bytearray: bool, prefix: &str, suffix: &str, out: &mut dyn Sink) {
    // Every byte takes at least one character: `room` bytes are enough to fill the sink.
    let (repr, complete) = bytes_repr_prefix(b, out.room(), bytearray);
    out.push(prefix);
    out.push(&repr);
    if complete {
        out.push(suffix);
    }
}
