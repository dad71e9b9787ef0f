//! Small containers written by recursion: a list, dict or tuple of fewer than [`BATCH`] items
//! writes its items and its closing opcode as soon as it is met, and whatever an item queues
//! (an instance's reduction, a long list) is run to its end before the next item. Most
//! containers in most pickles are small, and this skips the task stack's round trips for
//! them: `(1, [2])` took 1 890 instructions to dump through tasks, 1 180 this way.
//!
//! The task stack stays for long containers (their batches) and for nesting deeper than
//! [`INLINE_DEPTH`], so no input can overflow the Rust stack. A tuple is not counted as
//! entered here (see [`Pickler::enter`]): a tuple that reaches itself through tuples alone
//! recurses until the depth bound hands it to the task stack, which refuses it there.

use super::emit::Sink;
use super::{Pickler, BATCH, INLINE_DEPTH, RUN_MIN};
use crate::error::Result;
use crate::opcodes::op;
use crate::value::{Graph, Object, Value};

impl<'g, S: Sink> Pickler<'g, '_, '_, S> {
    /// Whether a list, dict or tuple of `len` items is written now (not as tasks): protocol 2+,
    /// no persistent_id hook, fewer than [`BATCH`] items (one batch, no CPython batch quirks)
    /// and fewer than [`INLINE_DEPTH`] containers around it written so.
    #[inline(always)]
    pub(super) fn writes_now(&self, len: usize) -> bool {
        len < BATCH as usize && self.inline < INLINE_DEPTH && self.proto() >= 2 && self.opts.persistent_id.is_none()
    }

    /// An exact list, as CPython's `save_list` writes it: EMPTY_LIST and its memo, then one
    /// item and APPEND, or MARK, the items and APPENDS (a list of scalars that fits, whole).
    pub(super) fn list_now(&mut self, id: u32, items: &'g [Value]) -> Result<()> {
        if let Some(idx) = self.e.scalar_list(items, BATCH as usize) {
            self.memo.insert(id, idx);
            return Ok(());
        }
        self.batch_now(id, items.len(), false, [op::EMPTY_LIST, op::APPEND, op::APPENDS])
    }

    /// An exact dict, as CPython's `save_dict` writes it: EMPTY_DICT and its memo, then one
    /// pair and SETITEM, or MARK, the pairs and SETITEMS (a dict of scalars that fits, whole).
    pub(super) fn dict_now(&mut self, id: u32, pairs: &'g [(Value, Value)]) -> Result<()> {
        if let Some(idx) = self.e.scalar_dict(pairs, BATCH as usize) {
            self.memo.insert(id, idx);
            return Ok(());
        }
        self.batch_now(id, pairs.len(), true, [op::EMPTY_DICT, op::SETITEM, op::SETITEMS])
    }

    /// The `empty` opcode and its memo, then the single item (or pair) and `one`, or MARK, the
    /// `len` items and `many`: a list's or dict's one batch.
    #[inline(always)]
    fn batch_now(&mut self, id: u32, len: usize, pairs: bool, [empty, one, many]: [u8; 3]) -> Result<()> {
        self.e.op(empty);
        self.memoize_as(id, None);
        let close = match len {
            0 => return Ok(()),
            1 => one,
            _ => {
                self.e.op(op::MARK);
                many
            }
        };
        self.items_now(id, len as u32, pairs)?;
        self.e.op(close);
        Ok(())
    }

    /// A tuple, as CPython's `save_tuple` writes it: EMPTY_TUPLE, or the items and TUPLE1–3,
    /// or MARK, the items and TUPLE; a tuple its items reached meanwhile is dropped and
    /// fetched instead (see [`Pickler::tuple_end`]).
    pub(super) fn tuple_now(&mut self, id: u32, len: u32) -> Result<()> {
        if len == 0 {
            self.e.op(op::EMPTY_TUPLE);
            return Ok(());
        }
        let marked = len > 3;
        if marked {
            self.e.op(op::MARK);
        }
        self.items_now(id, len, false)?;
        self.tuple_end(id, len, marked);
        Ok(())
    }

    /// The `len` items (or pairs) of arena sequence `seq`, and then everything they queued,
    /// so the caller can close the container. Short ones are saved one by one here; long ones
    /// go through the general items loop, for its runs.
    fn items_now(&mut self, seq: u32, len: u32, pairs: bool) -> Result<()> {
        let mark = self.tasks.len();
        self.inline += 1;
        let g: &'g Graph = self.g;
        let done = match g.objects.get(seq as usize) {
            Some(Object::List(items) | Object::Tuple(items)) if len < RUN_MIN => self.each_now(items, mark),
            Some(Object::Dict(d)) if len < RUN_MIN / 2 => {
                d.entries().iter().try_for_each(|&(k, v)| self.each_now(&[k, v], mark))
            }
            _ if pairs => self.pairs(seq, 0, len),
            _ => self.items(seq, 0, len),
        };
        let done = done.and_then(|()| self.run_to(mark));
        self.inline -= 1;
        done
    }

    /// Each of `items` saved in turn, and what it queued run before the next.
    #[inline(always)]
    fn each_now(&mut self, items: &[Value], mark: usize) -> Result<()> {
        for &v in items {
            // A boundary before each value, as `save` has.
            self.e.boundary()?;
            self.save_now(v, mark)?;
        }
        Ok(())
    }

    /// One item of a container written now: the commonest values without [`Pickler::save`]'s
    /// dispatch (a scalar, a memo hit, a short str, a small container), any other through it
    /// and then what it queued.
    #[inline(always)]
    fn save_now(&mut self, v: Value, mark: usize) -> Result<()> {
        if self.written_inline(v) {
            return Ok(());
        }
        let g: &'g Graph = self.g;
        if let Some((id, obj)) = v.id().and_then(|id| Some((id.0, g.objects.get(id.index())?))) {
            if let Some(done) = self.container_now(id, obj) {
                return done;
            }
        }
        self.save(v)?;
        self.run_to(mark)
    }

    /// A list, dict or tuple [`Pickler::writes_now`] takes, written now; `None` (nothing
    /// written) for any other object.
    #[inline(always)]
    pub(super) fn container_now(&mut self, id: u32, obj: &'g Object) -> Option<Result<()>> {
        match obj {
            Object::List(items) if self.writes_now(items.len()) => Some(self.list_now(id, items)),
            Object::Dict(d) if self.writes_now(d.len()) => Some(self.dict_now(id, d.entries())),
            Object::Tuple(items) if self.writes_now(items.len()) => Some(self.tuple_now(id, items.len() as u32)),
            _ => None,
        }
    }

    /// Run the tasks above `mark` (queued by the items being written now).
    #[inline(always)]
    fn run_to(&mut self, mark: usize) -> Result<()> {
        while self.tasks.len() > mark {
            let Some(task) = self.tasks.pop() else { break };
            self.do_task(task)?;
        }
        Ok(())
    }
}
