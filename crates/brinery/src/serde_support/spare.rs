//! Memory kept between loads on one thread: the tape's arenas and the machine's scratch, emptied,
//! so a program that reads many pickles reuses them instead of growing (and page-faulting) them
//! from nothing on every call. At most 64 MiB of each are kept per thread.

use super::tape::{Tape, V};
use crate::machine::Scratch;
use crate::machine::SCRATCH_KEEP_BYTES as KEEP_BYTES;
use std::cell::Cell;

thread_local! {
    static TAPE: Cell<Tape<'static>> = Cell::new(Tape::default());
    static SCRATCH: Cell<Scratch<V>> = Cell::new(Scratch::default());
}

/// An empty tape, with the arenas of an earlier load when there are some.
pub(crate) fn tape<'de>() -> Tape<'de> {
    TAPE.try_with(Cell::take).unwrap_or_default()
}

/// Keep a finished tape's arenas for the next load.
pub(crate) fn keep_tape(tape: Tape<'_>) {
    if tape.capacity_bytes() <= KEEP_BYTES {
        let empty = tape.emptied();
        let _ = TAPE.try_with(|c| c.set(empty));
    }
}

/// The machine's scratch of an earlier load, or a new one.
pub(crate) fn scratch() -> Scratch<V> {
    Scratch::take_from(&SCRATCH)
}

/// Keep the machine's scratch for the next load.
pub(crate) fn keep_scratch(scratch: Scratch<V>) {
    scratch.keep_in(&SCRATCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arenas_come_back_with_their_capacity() {
        let data = crate::to_vec(&vec![vec!["a".to_string(); 3]; 500]).unwrap();
        // Through the tape (`from_slice` would read this layout directly).
        let mut de = crate::Deserializer::from_slice(&data, &Default::default()).unwrap();
        let _: Vec<Vec<String>> = serde::Deserialize::deserialize(&mut de).unwrap();
        drop(de);
        let t = tape();
        assert!(t.nodes.capacity() >= 500 && t.items.capacity() >= 1500, "{:?}", t.capacity_bytes());
        assert!(t.nodes.is_empty() && t.items.is_empty() && t.text.is_empty());
        let s = scratch();
        assert!(s.capacity_bytes() > 0);
    }
}
