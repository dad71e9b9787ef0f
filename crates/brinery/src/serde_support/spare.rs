//! What serde's reading keeps per thread between loads (see [`crate::kept`]): the tape's arenas
//! and the machine's scratch.

use super::tape::{Tape, V};
use crate::kept;
use crate::machine::Scratch;
use std::cell::Cell;

thread_local! {
    static TAPE: Cell<Tape<'static>> = Cell::new(Tape::default());
    static SCRATCH: Cell<Scratch<V>> = Cell::new(Scratch::default());
}

/// Free serde reading's working memory kept on this thread.
pub(crate) fn release_kept() {
    kept::clear(&TAPE);
    kept::clear(&SCRATCH);
    super::direct::release_kept();
}

/// An empty tape, with the arenas of an earlier load when there are some.
pub(crate) fn tape<'de>() -> Tape<'de> {
    kept::take(&TAPE)
}

/// Keep a finished tape's arenas for the next load.
pub(crate) fn keep_tape(tape: Tape<'_>) {
    let bytes = tape.capacity_bytes();
    kept::keep(&TAPE, tape.emptied(), bytes)
}

/// The machine's scratch of an earlier load, or a new one.
pub(crate) fn scratch() -> Scratch<V> {
    kept::take(&SCRATCH)
}

/// Keep the machine's scratch for the next load.
pub(crate) fn keep_scratch(scratch: Scratch<V>) {
    let bytes = scratch.capacity_bytes();
    kept::keep(&SCRATCH, scratch, bytes)
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
