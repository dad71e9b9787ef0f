//! `PrettyPrinter._format` of CPython 3.11's `pprint`, run from a task stack instead of
//! recursion: each dispatch writes what Python writes before its children, then pushes the
//! children and the closing text as tasks.

use super::inst::{Form, InstView};
use super::text::{repr_code_points, wrap_bytes, wrap_str};
use super::walk::{Bounded, Cx, Item, Mode, Sink, Src};
use super::{repr_bytes, Node, Out};
use crate::value::{ObjId, Object, Value};
use std::borrow::Cow;

/// Separator state of `_format_items` in compact mode.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Delim {
    Empty,
    Comma,
    Newline,
}

struct ItemsTask<'g> {
    src: Src<'g>,
    pos: usize,
    indent: usize,
    allowance: usize,
    level: u32,
    width: i64,
    max_width: i64,
    delim: Delim,
}

struct DictTask<'g> {
    src: Src<'g>,
    pos: usize,
    indent: usize,
    allowance: usize,
    level: u32,
}

struct FieldsTask {
    fields: Vec<(Option<String>, Node)>,
    pos: usize,
    indent: usize,
    allowance: usize,
    level: u32,
}

enum Task<'g> {
    Format {
        node: Node,
        indent: usize,
        allowance: usize,
        level: u32,
    },
    Write(Cow<'static, str>),
    /// `,\n` and an indent.
    Newline(usize),
    Leave(ObjId),
    Items(Box<ItemsTask<'g>>),
    Dict(Box<DictTask<'g>>),
    Fields(Box<FieldsTask>),
}

pub(super) struct Formatter<'g, 'o, 'w> {
    cx: Cx<'g>,
    out: &'o mut Out<'w>,
    tasks: Vec<Task<'g>>,
    width: i64,
    indent_per_level: usize,
    compact: bool,
}

impl<'g, 'o, 'w> Formatter<'g, 'o, 'w> {
    pub(super) fn new(cx: Cx<'g>, out: &'o mut Out<'w>) -> Self {
        let width = cx.p.width.max(1) as i64;
        let indent_per_level = cx.p.indent;
        let compact = cx.p.compact;
        Formatter { cx, out, tasks: Vec::new(), width, indent_per_level, compact }
    }

    /// `pformat(node)`.
    pub(super) fn run(&mut self, node: Node) {
        self.tasks.push(Task::Format { node, indent: 0, allowance: 0, level: 0 });
        while let Some(task) = self.tasks.pop() {
            if self.out.full() {
                break;
            }
            match task {
                Task::Format { node, indent, allowance, level } => self.format(node, indent, allowance, level),
                Task::Write(s) => self.out.push(&s),
                Task::Newline(indent) => {
                    let s = format!(",\n{}", self.sp(indent));
                    self.write(&s)
                }
                Task::Leave(id) => self.cx.set_ctx(id, false),
                Task::Items(t) => self.items_step(t),
                Task::Dict(t) => self.dict_step(t),
                Task::Fields(t) => self.fields_step(t),
            }
        }
    }

    fn write(&mut self, s: &str) {
        self.out.push(s);
    }

    /// `n` spaces, or as many as may still be written.
    fn sp(&self, n: usize) -> String {
        " ".repeat(n.min(self.out.room()))
    }

    /// `self._repr(node, context, level)`, whole (up to the output budget).
    fn safe_repr(&mut self, node: Node, level: u32) -> (String, usize) {
        let mut b = Bounded::new(self.out.room());
        self.cx.walk(node, Mode::Safe(level), &mut b);
        (b.buf, b.chars)
    }

    /// Whether `_format` hands this node to a `_pprint_*` method when it is too wide.
    fn dispatchable(&self, node: Node) -> bool {
        match node {
            Node::V(Value::Ref(id)) => matches!(
                self.cx.g.try_get(id),
                Some(
                    Object::Dict(_)
                        | Object::List(_)
                        | Object::Tuple(_)
                        | Object::Set(_)
                        | Object::FrozenSet(_)
                        | Object::Str(_)
                        | Object::Bytes(_)
                        | Object::ByteArray(_)
                        | Object::OrderedDict(_)
                        | Object::DefaultDict(..)
                        | Object::Counter(_)
                        | Object::Deque(..)
                        | Object::Instance(_)
                )
            ),
            Node::V(_) => false,
            _ => true,
        }
    }

    fn format(&mut self, node: Node, indent: usize, allowance: usize, level: u32) {
        let real = node.real_id();
        if let Some(id) = real {
            if self.cx.in_ctx(id) {
                let marker = self.cx.recursion(id);
                return self.write(&marker);
            }
        }
        let max_width = self.width - indent as i64 - allowance as i64;
        let dispatchable = self.dispatchable(node);
        if max_width >= 0 {
            let room = self.out.room();
            let limit = (max_width as usize).min(room);
            let mut b = Bounded::new(limit);
            if self.cx.walk(node, Mode::Safe(level), &mut b) {
                return self.write(&b.buf);
            }
            if limit < max_width as usize {
                // Longer than what may still be written: the output ends here either way.
                return self.write(&b.buf);
            }
        }
        if !dispatchable {
            self.cx.walk(node, Mode::Safe(level), self.out);
            return;
        }
        if let Some(id) = real {
            self.cx.set_ctx(id, true);
            self.tasks.push(Task::Leave(id));
        }
        self.dispatch(node, indent, allowance, level + 1);
    }

    fn builtin_repr(&mut self, node: Node) {
        self.cx.walk(node, Mode::Builtin, self.out);
    }

    fn dispatch(&mut self, node: Node, indent: usize, allowance: usize, level: u32) {
        let g = self.cx.g;
        let id = match node {
            Node::V(Value::Ref(id)) => id,
            Node::V(_) => return,
            Node::OdItems(_) | Node::Items(_) => {
                let src = self.cx.virtual_src(node).unwrap_or(Src::Vals(&[]));
                return self.list(src, indent, allowance, level);
            }
            Node::OdPair(..) | Node::Args(_) => {
                let src = self.cx.virtual_src(node).unwrap_or(Src::Vals(&[]));
                return self.tuple(src, indent, allowance, level);
            }
            Node::SetItems(id) => {
                let entries = match g.try_get(id) {
                    Some(Object::Instance(inst)) => &inst.dict_items[..],
                    _ => &[],
                };
                let src = self.cx.dict_src(id, entries, true);
                return self.dict(src, indent, allowance, level);
            }
        };
        let Some(obj) = g.try_get(id) else { return };
        match obj {
            Object::Dict(d) => {
                let src = self.cx.dict_src(id, d.entries(), false);
                self.dict(src, indent, allowance, level)
            }
            Object::List(items) => self.list(Src::Vals(items), indent, allowance, level),
            Object::Tuple(items) => self.tuple(Src::Vals(items), indent, allowance, level),
            Object::Set(s) | Object::FrozenSet(s) => {
                if s.is_empty() {
                    return self.builtin_repr(node);
                }
                let (open, endchar, extra) =
                    if matches!(obj, Object::Set(_)) { ("{", "}", 0) } else { ("frozenset({", "})", 10) };
                self.write(open);
                let order = self.cx.set_order(id, s.items());
                self.tasks.push(Task::Write(Cow::Borrowed(endchar)));
                self.items(Src::Perm(s.items(), order), indent + extra, allowance + endchar.len(), level);
            }
            Object::Str(s) => {
                if s.is_empty() {
                    return self.builtin_repr(node);
                }
                let (mut indent, mut allowance) = (indent as i64, allowance as i64);
                if level == 1 {
                    indent += 1;
                    allowance += 1;
                }
                // Past the output budget the rest cannot show: wrap only what can.
                let keep = self.out.room().saturating_add(4 * self.width.max(0) as usize + 16);
                let cps: Vec<u32> = s.code_points().take(keep).collect();
                let chunks = wrap_str(&cps, self.width, indent, allowance);
                if chunks.len() == 1 {
                    return self.write(&chunks[0]);
                }
                if chunks.is_empty() {
                    return self.write(&repr_code_points(&cps));
                }
                if level == 1 {
                    self.write("(");
                }
                let sep = format!("\n{}", self.sp(indent.max(0) as usize));
                for (i, c) in chunks.iter().enumerate() {
                    if i > 0 {
                        self.write(&sep);
                    }
                    self.write(c);
                }
                if level == 1 {
                    self.write(")");
                }
            }
            Object::Bytes(b) => self.bytes(b, indent, allowance, level),
            Object::ByteArray(b) => {
                self.write("bytearray(");
                self.bytes(b, indent + 10, allowance + 1, level + 1);
                self.write(")");
            }
            Object::OrderedDict(d) => {
                if d.is_empty() {
                    return self.builtin_repr(node);
                }
                self.write("OrderedDict(");
                self.tasks.push(Task::Write(Cow::Borrowed(")")));
                self.tasks.push(Task::Format {
                    node: Node::OdItems(id),
                    indent: indent + 12,
                    allowance: allowance + 1,
                    level,
                });
            }
            Object::DefaultDict(dd) => {
                let d = &dd.dict;
                if d.is_empty() {
                    return self.builtin_repr(node);
                }
                let (rdf, _) = self.safe_repr(Node::V(dd.factory), level);
                let indent = indent + 12;
                self.write(&format!("defaultdict({rdf},\n{}", self.sp(indent)));
                self.tasks.push(Task::Write(Cow::Borrowed(")")));
                let src = self.cx.dict_src(id, d.entries(), false);
                self.dict(src, indent, allowance + 1, level);
            }
            Object::Counter(d) => {
                if d.is_empty() {
                    return self.builtin_repr(node);
                }
                self.write("Counter({");
                if self.indent_per_level > 1 {
                    self.write(&self.sp(self.indent_per_level - 1));
                }
                let order = self.cx.counter_order(id, d.entries());
                self.tasks.push(Task::Write(Cow::Borrowed("})")));
                self.dict_items(Src::Entries(d.entries(), Some(order)), indent + 8, allowance + 2, level);
            }
            Object::Deque(dq) => {
                let (items, maxlen) = (&dq.items, &dq.maxlen);
                if items.is_empty() {
                    return self.builtin_repr(node);
                }
                self.write("deque(");
                let indent = indent + 6;
                self.write("[");
                if *maxlen == Value::None {
                    self.tasks.push(Task::Write(Cow::Borrowed("])")));
                    self.items(Src::Vals(items), indent, allowance + 2, level);
                } else {
                    let (rml, _) = self.safe_repr(Node::V(*maxlen), level);
                    self.tasks.push(Task::Write(Cow::Owned(format!("],\n{}maxlen={rml})", self.sp(indent)))));
                    self.items(Src::Vals(items), indent, 2, level);
                }
            }
            Object::Instance(inst) => {
                let view = InstView::new(g, inst);
                let name = view.name().unwrap_or_default();
                match view.form(g, id) {
                    Form::Call(parts) => {
                        let fields = parts.into_iter().map(|(k, v)| (k.map(str::to_owned), Node::V(v))).collect();
                        self.write(&name);
                        self.write("(");
                        self.tasks.push(Task::Write(Cow::Borrowed(")")));
                        self.fields(fields, indent + name.chars().count() + 1, allowance + 1, level);
                    }
                    Form::Attrs(attrs) => {
                        let fields = attrs.into_iter().map(|(k, v)| (Some(k.to_owned()), Node::V(v))).collect();
                        self.write(&name);
                        self.write("(");
                        self.tasks.push(Task::Write(Cow::Borrowed(")")));
                        self.fields(fields, indent + name.chars().count() + 1, allowance + 1, level);
                    }
                    Form::Object(fields) => {
                        let head = if name.is_empty() { "<object".to_owned() } else { format!("<{name} object") };
                        self.write(&head);
                        if fields.is_empty() {
                            return self.write(">");
                        }
                        self.write(&format!(",\n{}", self.sp(indent + 1)));
                        let fields = fields.into_iter().map(|(k, n)| (Some(k.to_owned()), n)).collect();
                        self.tasks.push(Task::Write(Cow::Borrowed(">")));
                        self.fields(fields, indent + 1, allowance + 1, level);
                    }
                }
            }
            _ => self.builtin_repr(node),
        }
    }

    /// `_pprint_list`.
    fn list(&mut self, src: Src<'g>, indent: usize, allowance: usize, level: u32) {
        self.write("[");
        self.tasks.push(Task::Write(Cow::Borrowed("]")));
        self.items(src, indent, allowance + 1, level);
    }

    /// `_pprint_tuple`.
    fn tuple(&mut self, src: Src<'g>, indent: usize, allowance: usize, level: u32) {
        self.write("(");
        let endchar = if src.len() == 1 { ",)" } else { ")" };
        self.tasks.push(Task::Write(Cow::Borrowed(endchar)));
        self.items(src, indent, allowance + endchar.len(), level);
    }

    /// `_pprint_dict`.
    fn dict(&mut self, src: Src<'g>, indent: usize, allowance: usize, level: u32) {
        self.write("{");
        if self.indent_per_level > 1 {
            self.write(&self.sp(self.indent_per_level - 1));
        }
        self.tasks.push(Task::Write(Cow::Borrowed("}")));
        if src.len() > 0 {
            self.dict_items(src, indent, allowance + 1, level);
        }
    }

    /// `_pprint_bytes`.
    fn bytes(&mut self, b: &[u8], indent: usize, allowance: usize, level: u32) {
        if b.len() <= 4 {
            return self.write(&repr_bytes(b));
        }
        let (mut indent, mut allowance) = (indent as i64, allowance as i64);
        let parens = level == 1;
        if parens {
            indent += 1;
            allowance += 1;
            self.write("(");
        }
        let keep = self.out.room().saturating_add(self.width.max(0) as usize + 8);
        let b = &b[..b.len().min(keep)];
        let sep = format!("\n{}", self.sp(indent.max(0) as usize));
        for (i, rep) in wrap_bytes(b, self.width - indent, allowance).iter().enumerate() {
            if i > 0 {
                self.write(&sep);
            }
            self.write(rep);
        }
        if parens {
            self.write(")");
        }
    }

    /// Start `_format_items`.
    fn items(&mut self, src: Src<'g>, indent: usize, allowance: usize, level: u32) {
        let indent = indent + self.indent_per_level;
        if self.indent_per_level > 1 {
            self.write(&self.sp(self.indent_per_level - 1));
        }
        if src.len() == 0 {
            return;
        }
        let width = self.width - indent as i64 + 1;
        self.tasks.push(Task::Items(Box::new(ItemsTask {
            src,
            pos: 0,
            indent,
            allowance,
            level,
            width,
            max_width: width,
            delim: Delim::Empty,
        })));
    }

    fn write_delim(&mut self, d: Delim, indent: usize) {
        match d {
            Delim::Empty => {}
            Delim::Comma => self.write(", "),
            Delim::Newline => self.write(&format!(",\n{}", self.sp(indent))),
        }
    }

    /// One item of `_format_items`.
    fn items_step(&mut self, mut t: Box<ItemsTask<'g>>) {
        let last = t.pos + 1 == t.src.len();
        if last {
            t.max_width -= t.allowance as i64;
            t.width -= t.allowance as i64;
        }
        let node = match t.src.get(t.pos) {
            Item::One(n) => n,
            Item::Pair(k, _) => Node::V(k),
        };
        let (indent, level, allowance) = (t.indent, t.level, if last { t.allowance } else { 1 });
        if self.compact {
            let fits = if t.max_width >= 2 {
                let mut b = Bounded::new((t.max_width - 2) as usize);
                self.cx.walk(node, Mode::Safe(level), &mut b).then_some(b)
            } else {
                None
            };
            let w = fits.as_ref().map_or(i64::MAX, |b| b.chars as i64 + 2);
            if t.width < w {
                t.width = t.max_width;
                if t.delim != Delim::Empty {
                    t.delim = Delim::Newline;
                }
            }
            if let Some(b) = fits.filter(|_| t.width >= w) {
                t.width -= w;
                self.write_delim(t.delim, indent);
                t.delim = Delim::Comma;
                self.write(&b.buf);
                if !last {
                    t.pos += 1;
                    self.tasks.push(Task::Items(t));
                }
                return;
            }
        }
        self.write_delim(t.delim, indent);
        t.delim = Delim::Newline;
        if !last {
            t.pos += 1;
            self.tasks.push(Task::Items(t));
        }
        self.tasks.push(Task::Format { node, indent, allowance, level });
    }

    /// Start `_format_dict_items`.
    fn dict_items(&mut self, src: Src<'g>, indent: usize, allowance: usize, level: u32) {
        if src.len() == 0 {
            return;
        }
        let indent = indent + self.indent_per_level;
        self.tasks.push(Task::Dict(Box::new(DictTask { src, pos: 0, indent, allowance, level })));
    }

    /// One entry of `_format_dict_items`.
    fn dict_step(&mut self, mut t: Box<DictTask<'g>>) {
        let last = t.pos + 1 == t.src.len();
        let (k, v) = match t.src.get(t.pos) {
            Item::Pair(k, v) => (k, v),
            Item::One(n) => (n.value(), Value::None),
        };
        let (rep, len) = self.safe_repr(Node::V(k), t.level);
        self.write(&rep);
        self.write(": ");
        let node = Node::V(v);
        let (indent, level, allowance) = (t.indent, t.level, if last { t.allowance } else { 1 });
        if !last {
            t.pos += 1;
            self.tasks.push(Task::Dict(t));
            self.tasks.push(Task::Newline(indent));
        }
        self.tasks.push(Task::Format { node, indent: indent + len + 2, allowance, level });
    }

    /// Start a namespace-style list of `key=value` (or positional) fields.
    fn fields(&mut self, fields: Vec<(Option<String>, Node)>, indent: usize, allowance: usize, level: u32) {
        if fields.is_empty() {
            return;
        }
        self.tasks.push(Task::Fields(Box::new(FieldsTask { fields, pos: 0, indent, allowance, level })));
    }

    fn fields_step(&mut self, mut t: Box<FieldsTask>) {
        let last = t.pos + 1 == t.fields.len();
        if t.pos > 0 {
            self.write(&format!(",\n{}", self.sp(t.indent)));
        }
        let (key, node) = std::mem::replace(&mut t.fields[t.pos], (None, Node::V(Value::None)));
        let (indent, level, allowance) = (t.indent, t.level, if last { t.allowance } else { 1 });
        let mut inner = indent;
        let mut recursive = false;
        if let Some(k) = &key {
            self.write(k);
            self.write("=");
            inner += k.chars().count() + 1;
            recursive = node.real_id().is_some_and(|id| self.cx.in_ctx(id));
        }
        if !last {
            t.pos += 1;
            self.tasks.push(Task::Fields(t));
        }
        if recursive {
            self.write("...");
        } else {
            self.tasks.push(Task::Format { node, indent: inner, allowance, level });
        }
    }
}
