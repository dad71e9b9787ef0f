//! How an inert `Instance` is shown: which class it is, its arguments, and
//! which of the three printed forms fits it.

use super::Node;
use crate::value::{Construct, Global, Graph, Instance, ObjId, Object, Value};

/// An instance seen through the usual pickling helpers (`copyreg._reconstructor`,
/// `copyreg.__newobj__`, `copyreg.__newobj_ex__`).
pub(super) struct InstView<'g> {
    /// The class (or callable) when it is a global.
    pub class: Option<&'g Global>,
    /// The callable, when it is not a global.
    pub callable: Value,
    /// Positional arguments, when they form a tuple.
    pub args: Option<&'g [Value]>,
    /// The argument value when it is not a tuple.
    pub raw_args: Value,
    /// Keyword arguments, when they form a dict.
    pub kwargs: Option<&'g [(Value, Value)]>,
    /// The keyword argument value when it is not a dict.
    pub raw_kwargs: Option<Value>,
    /// BUILD state (None when absent or `None`).
    pub state: Option<Value>,
    pub items: &'g [Value],
    pub set_items: &'g [(Value, Value)],
}

/// The printed form of an instance.
pub(super) enum Form<'g> {
    /// `module.Name(arg, ..., key=value)`: arguments only.
    Call(Vec<(Option<&'g str>, Value)>),
    /// `module.Name(attr=value, ...)`: no arguments, state is attributes.
    Attrs(Vec<(&'g str, Value)>),
    /// `<module.Name object, args=..., state=...>`: everything else.
    Object(Vec<(&'static str, Node)>),
}

fn global(g: &Graph, v: Value) -> Option<&Global> {
    match g.object(v) {
        Some(Object::Global(gl)) => Some(gl),
        _ => None,
    }
}

fn tuple(g: &Graph, v: Value) -> Option<&[Value]> {
    match g.object(v) {
        Some(Object::Tuple(items)) => Some(items),
        _ => None,
    }
}

fn dict_entries(g: &Graph, v: Value) -> Option<&[(Value, Value)]> {
    match g.object(v) {
        Some(Object::Dict(d)) => Some(d.entries()),
        _ => None,
    }
}

fn is_global(gl: Option<&Global>, module: &str, name: &str) -> bool {
    gl.is_some_and(|gl| gl.module == module && gl.name == name)
}

/// `functools.partial(cls.__new__, cls, *args, **kwargs)`, how protocols 2 and 3 write a class
/// with `__getnewargs_ex__`: `(cls, cls value, args, kwargs value)`.
#[allow(clippy::type_complexity)]
fn partial_new(g: &Graph, callable: Value) -> Option<(Value, &Global, &[Value], Option<Value>)> {
    let Some(Object::Instance(p)) = g.object(callable) else { return None };
    if p.construct != Construct::Reduce || !is_global(global(g, p.callable), "functools", "partial") {
        return None;
    }
    let [func, fargs, kw, _] = tuple(g, p.state?)? else { return None };
    let (cls, rest) = tuple(g, *fargs)?.split_first()?;
    let cls_g = global(g, *cls)?;
    // func is getattr(cls, '__new__')
    let Some(Object::Instance(f)) = g.object(*func) else { return None };
    if f.construct != Construct::Reduce || !is_global(global(g, f.callable), "builtins", "getattr") {
        return None;
    }
    let [owner, attr] = tuple(g, f.args)? else { return None };
    let is_new = matches!(g.object(*attr), Some(Object::Str(s)) if s.as_str() == Some("__new__"));
    if !is_new || global(g, *owner) != Some(cls_g) {
        return None;
    }
    let kw = match kw {
        Value::None => None,
        kw => Some(*kw),
    };
    Some((*cls, cls_g, rest, kw))
}

impl<'g> InstView<'g> {
    pub(super) fn new(g: &'g Graph, inst: &'g Instance) -> Self {
        let mut view = InstView {
            class: global(g, inst.callable),
            callable: inst.callable,
            args: tuple(g, inst.args),
            raw_args: inst.args,
            kwargs: None,
            raw_kwargs: inst.kwargs,
            state: inst.state.filter(|s| *s != Value::None),
            items: &inst.list_items,
            set_items: &inst.dict_items,
        };
        if let Some(kw) = inst.kwargs {
            view.kwargs = dict_entries(g, kw);
        }
        if inst.construct != Construct::Reduce {
            return view;
        }
        let Some(args) = view.args else { return view };
        if view.class.is_none() && args.is_empty() {
            if let Some((cls, cls_g, rest, kw)) = partial_new(g, inst.callable) {
                view.class = Some(cls_g);
                view.callable = cls;
                view.args = Some(rest);
                view.raw_kwargs = kw;
                view.kwargs = kw.and_then(|kw| dict_entries(g, kw));
            }
            return view;
        }
        if is_global(view.class, "copyreg", "_reconstructor") {
            // _reconstructor(cls, base, state): object.__new__(cls), or base.__new__(cls, state).
            if let [cls, base, base_state] = args {
                if let Some(cls_g) = global(g, *cls) {
                    view.class = Some(cls_g);
                    view.callable = *cls;
                    view.args = if is_global(global(g, *base), "builtins", "object") && *base_state == Value::None {
                        Some(&args[..0])
                    } else {
                        Some(&args[2..3])
                    };
                }
            }
        } else if is_global(view.class, "copyreg", "__newobj__") {
            if let Some((cls, rest)) = args.split_first() {
                if let Some(cls_g) = global(g, *cls) {
                    view.class = Some(cls_g);
                    view.callable = *cls;
                    view.args = Some(rest);
                }
            }
        } else if is_global(view.class, "copyreg", "__newobj_ex__") {
            if let [cls, a, kw] = args {
                if let (Some(cls_g), Some(items)) = (global(g, *cls), tuple(g, *a)) {
                    view.class = Some(cls_g);
                    view.callable = *cls;
                    view.args = Some(items);
                    view.raw_args = *a;
                    view.raw_kwargs = Some(*kw);
                    view.kwargs = dict_entries(g, *kw);
                }
            }
        }
        view
    }

    /// `module.Name`, or None when the callable is not a global.
    pub(super) fn name(&self) -> Option<String> {
        self.class.map(|gl| format!("{}.{}", gl.module, gl.name))
    }

    /// `type(obj).__name__`.
    pub(super) fn type_name(&self) -> &'g str {
        match self.class {
            Some(gl) => gl.name.rsplit('.').next().unwrap_or(&gl.name),
            None => "object",
        }
    }

    /// Choose the printed form.
    pub(super) fn form(&self, g: &'g Graph, id: ObjId) -> Form<'g> {
        let no_items = self.items.is_empty() && self.set_items.is_empty();
        if self.class.is_some() && no_items {
            if let Some(args) = self.args {
                let kwargs = match (self.raw_kwargs, self.kwargs) {
                    (None, _) => Some(Vec::new()),
                    (Some(_), Some(kw)) => keywords(g, kw),
                    (Some(_), None) => None,
                };
                if let Some(kwargs) = kwargs {
                    if self.state.is_none() {
                        let mut parts: Vec<(Option<&str>, Value)> = args.iter().map(|&a| (None, a)).collect();
                        parts.extend(kwargs.into_iter().map(|(k, v)| (Some(k), v)));
                        return Form::Call(parts);
                    }
                    if args.is_empty() && kwargs.is_empty() {
                        if let Some(attrs) = self.state.and_then(|s| attributes(g, s)) {
                            return Form::Attrs(attrs);
                        }
                    }
                }
            }
        }
        let mut fields: Vec<(&'static str, Node)> = Vec::new();
        if self.class.is_none() {
            fields.push(("callable", Node::V(self.callable)));
        }
        match self.args {
            Some([]) => {}
            Some(_) => fields.push(("args", Node::Args(id))),
            None => fields.push(("args", Node::V(self.raw_args))),
        }
        match (self.raw_kwargs, self.kwargs) {
            (Some(_), Some([])) | (None, _) => {}
            (Some(kw), _) => fields.push(("kwargs", Node::V(kw))),
        }
        if let Some(s) = self.state {
            fields.push(("state", Node::V(s)));
        }
        if !self.items.is_empty() {
            fields.push(("items", Node::Items(id)));
        }
        if !self.set_items.is_empty() {
            fields.push(("setitems", Node::SetItems(id)));
        }
        Form::Object(fields)
    }
}

/// Python's `str.isidentifier()`, near enough: a letter or `_`, then letters, digits or `_`.
fn identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => chars.all(|c| c == '_' || c.is_alphanumeric()),
        _ => false,
    }
}

/// The entries of a dict whose keys are all identifiers.
fn keywords<'g>(g: &'g Graph, entries: &'g [(Value, Value)]) -> Option<Vec<(&'g str, Value)>> {
    entries
        .iter()
        .map(|&(k, v)| match g.object(k) {
            Some(Object::Str(s)) => s.as_str().filter(|s| identifier(s)).map(|s| (s, v)),
            _ => None,
        })
        .collect()
}

/// Attributes from BUILD state: a dict of identifier keys, or the `(dict or None, slots dict)`
/// pair classes with `__slots__` pickle.
fn attributes(g: &Graph, state: Value) -> Option<Vec<(&str, Value)>> {
    match g.object(state)? {
        Object::Dict(d) => keywords(g, d.entries()),
        Object::Tuple(pair) if pair.len() == 2 => {
            let mut out = Vec::new();
            for &part in pair {
                if part == Value::None {
                    continue;
                }
                out.extend(keywords(g, dict_entries(g, part)?)?);
            }
            Some(out)
        }
        _ => None,
    }
}
