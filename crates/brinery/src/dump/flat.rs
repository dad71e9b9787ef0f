//! Flat tuples in runs: a tuple whose items are all values a run writes by themselves
//! (scalars, memo hits, strs and bytes of a few bytes to 255) is written whole inside the run,
//! as the general path writes it. Rows and pairs then cost no `save` dispatch, task or
//! recursion bookkeeping each (a list of 100 000 pairs of ints took 682 instructions a pair
//! that way, 246 this way).
//!
//! Its items are measured before anything is written, so a tuple that does not fit the run's
//! room, or holds anything else, is refused with nothing to undo; and as no item is a
//! container, writing one never comes back to it. A tuple met here while the general path is
//! writing its items (it holds a list that holds it) is written as that path would write it
//! there, and the outer copy then drops its items and fetches it, as in CPython. Lists and
//! dicts are left to the general path, which writes small ones of scalars whole already;
//! taking them here too cost records and nested documents more in failed looks than it saved.

use super::{emit, put_payload, run_payload, MemoTable};
use crate::opcodes::op;
use crate::value::{Graph, Object, Value};

/// The most items a tuple written whole holds (a run's room, 1 KiB, holds fewer anyway).
const MAX_ITEMS: usize = 100;

/// Whether `obj` (not in the memo) is a tuple written whole, and the most bytes that takes with
/// its opcodes; `None` for any other object.
#[inline]
pub(super) fn flat_bytes(g: &Graph, memo: &MemoTable, obj: &Object) -> Option<usize> {
    let Object::Tuple(items) = obj else { return None };
    if items.len() > MAX_ITEMS {
        return None;
    }
    // MARK, TUPLE, MEMOIZE at most.
    let mut bytes = 3;
    for &v in items {
        bytes += leaf_bytes(g, memo, v)?;
    }
    Some(bytes)
}

/// The most bytes a run takes to write `v` by itself (see [`put_leaf`]); `None` when it
/// does not.
#[inline(always)]
fn leaf_bytes(g: &Graph, memo: &MemoTable, v: Value) -> Option<usize> {
    let Value::Ref(id) = v else { return Some(emit::MAX_BIN_SCALAR) };
    if memo.get(id.0).is_some() {
        // LONG_BINGET at most.
        return Some(5);
    }
    // SHORT_BINUNICODE or SHORT_BINBYTES, the length, the payload, MEMOIZE.
    let (_, payload) = run_payload(g.objects.get(id.index())?)?;
    Some(payload.len() + 3)
}

/// A run's value other than a str (see `put_inline`), not in the memo: a bytes [`run_payload`]
/// takes, or a tuple [`flat_bytes`] takes and the room holds; where the run then stands, or
/// `None` (nothing written). Out of the run's loop, and the run comes and goes by value, so the
/// loop keeps its position in registers; cold, so the loop is laid out for strs and scalars
/// (a dict of str keys took 3 % more instructions without).
#[cold]
#[inline(never)]
pub(super) fn put_other(
    mut w: emit::Run<'_>,
    g: &Graph,
    memo: &mut MemoTable,
    id: u32,
    obj: &Object,
) -> Option<emit::RunMark> {
    if let Object::Tuple(_) = obj {
        return put_flat(w, g, memo, id, obj);
    }
    let (code, data) = run_payload(obj)?;
    put_payload(&mut w, memo, id, code, data).then(|| w.mark())
}

/// A value a run writes by itself: a scalar, an object already in the memo, or a str or bytes
/// [`run_payload`] takes; `false` (nothing written) for any other.
#[inline(always)]
fn put_leaf(w: &mut emit::Run<'_>, g: &Graph, memo: &mut MemoTable, v: Value) -> bool {
    let Value::Ref(id) = v else { return w.scalar(v) };
    if let Some(&idx) = memo.get(id.0) {
        return w.memo_get(idx);
    }
    match g.objects.get(id.index()).and_then(run_payload) {
        Some((code, data)) => put_payload(w, memo, id.0, code, data),
        None => false,
    }
}

/// `obj` (object `id`, not in the memo) written whole into `w` when [`flat_bytes`] takes it and
/// the room holds it; where the run then stands, or `None` (nothing written).
fn put_flat(mut w: emit::Run<'_>, g: &Graph, memo: &mut MemoTable, id: u32, obj: &Object) -> Option<emit::RunMark> {
    let bytes = flat_bytes(g, memo, obj)?;
    let Object::Tuple(items) = obj else { return None };
    // Each write looks at a whole value's room past where it starts.
    if w.left() < bytes + emit::RUN_ITEM {
        return None;
    }
    let n = items.len();
    let mut ok = true;
    if n == 0 {
        ok &= w.ops(&[op::EMPTY_TUPLE]);
    } else {
        if n > 3 {
            ok &= w.ops(&[op::MARK]);
        }
        for &v in items {
            ok &= put_leaf(&mut w, g, memo, v);
        }
        let code = if n > 3 { op::TUPLE } else { [op::TUPLE1, op::TUPLE2, op::TUPLE3][n - 1] };
        let idx = w.next_memo();
        ok &= w.memoized(code, &[]);
        memo.insert(id, idx);
    }
    // The count above rules out running out of room, and every item is a leaf.
    debug_assert!(ok, "a flat tuple did not fit the room counted for it");
    Some(w.mark())
}
