//! Working memory kept per thread between calls: the machine's stack and memo, the serde tape's
//! arenas and memo, the pickler's task stack and memo table, and the room of a dropped graph's
//! large arena and large list (see `huge`). A call takes what an earlier one on its thread left,
//! and gives it back emptied, so a program that reads or writes many pickles reuses memory
//! already grown instead of growing (and page-faulting) it from nothing each time.

use std::cell::Cell;
use std::thread::LocalKey;

/// Where one kind of working memory waits between calls on a thread.
pub(crate) type Slot<T> = LocalKey<Cell<T>>;

/// The most memory kept in one slot; a call that grew more frees it as usual.
pub(crate) const MAX_BYTES: usize = 64 << 20;

/// Free what `slot` holds on this thread.
pub(crate) fn clear<T: Default>(slot: &'static Slot<T>) {
    drop(take(slot));
}

/// What an earlier call on this thread left in `slot`, or a new one.
pub(crate) fn take<T: Default>(slot: &'static Slot<T>) -> T {
    slot.try_with(Cell::take).unwrap_or_default()
}

/// Leave `value` (emptied, holding `bytes` of memory) in `slot` for the next call, unless it
/// holds more than [`MAX_BYTES`].
pub(crate) fn keep<T>(slot: &'static Slot<T>, value: T, bytes: usize) {
    if bytes <= MAX_BYTES {
        let _ = slot.try_with(|c| c.set(value));
    }
}
