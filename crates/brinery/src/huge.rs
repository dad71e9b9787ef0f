//! Large vectors backed by transparent huge pages where the kernel offers them.
//!
//! A vector of tens of MiB filled from nothing spends much of its time in page faults: one
//! per 4 KiB page, each handing over a zeroed page (loading 200 000 strs faulted 4 400 pages per
//! call, more than half its time). Linux can back such a range with 2 MiB pages instead (512×
//! fewer faults) when asked with `madvise(MADV_HUGEPAGE)`; its default setting
//! (`transparent_hugepage=madvise`) gives them only to ranges that ask.
//!
//! Both directions use it: the emitter's output buffer, and while loading, the graph's arena,
//! lists and dicts (see [`reserve`]).

use crate::kept::{self, Slot};

/// Vectors below this are left alone: glibc's allocator serves them from its heap, where pages
/// stay mapped from one allocation to the next and the advice would only split its mappings.
/// Above it (glibc's largest dynamic mmap threshold) every allocation is a mapping of its own.
/// The emitter's output reaches it by one doubling of its own, with the advice given before the
/// copy (see `VecSink`), so no part of a huge output is faulted in small pages.
pub(crate) const HUGE_MIN: usize = 32 << 20;

/// Past this, a vector that [`reserve`] grows goes straight to [`HUGE_MIN`] bytes of advised
/// room. Only the pages written are ever faulted in, so the room costs address space, not
/// memory: a 2 MiB list takes one huge page, not 512 small ones.
const GROW_HUGE_FROM: usize = 1 << 20;

/// How many lists and dicts of one graph may move into large room: each takes [`HUGE_MIN`] of
/// address space, so a pickle of many lists just past [`GROW_HUGE_FROM`] could otherwise reserve
/// 32 MiB for every 64 KiB of its own length. Later ones grow as vectors do.
pub(crate) const MAX_LARGE_ROOMS: u8 = 8;

/// Vectors whose room, once they are dropped, is kept per thread for the next one that grows
/// past [`GROW_HUGE_FROM`] (see [`give_back`]): a program that loads one large pickle after
/// another then fills memory already faulted in, where the allocator would hand it fresh
/// zeroed pages each time.
pub(crate) trait Spare: Sized + 'static {
    fn slot() -> &'static Slot<Vec<Self>>;
}

/// Room for `extra` more items in `v`. When growing takes it past [`GROW_HUGE_FROM`] bytes and
/// `may_move`, it moves once into room of at least [`HUGE_MIN`] bytes, asked to be backed by
/// huge pages (or kept from an earlier vector, see [`Spare`]), and one already that large is
/// asked again whenever it grows; otherwise it grows as [`Vec::reserve`] grows it. Returns
/// whether `v` moved now.
#[inline(always)]
pub(crate) fn reserve<T: Spare>(v: &mut Vec<T>, extra: usize, may_move: bool) -> bool {
    if v.capacity() - v.len() >= extra {
        return false;
    }
    let large = GROW_HUGE_FROM / std::mem::size_of::<T>().max(1);
    // Past the line once grown: a vector doubles, so it may cross it without ever holding that much.
    if v.len().saturating_add(extra).max(2 * v.capacity()) >= large {
        return grow(v, extra, may_move);
    }
    v.reserve(extra);
    false
}

/// [`reserve`] out of line, for a list about to grow (most lists never grow large).
#[inline(never)]
pub(crate) fn reserve_list<T: Spare>(v: &mut Vec<T>, extra: usize, may_move: bool) -> bool {
    reserve(v, extra, may_move)
}

#[cold]
#[inline(never)]
fn grow<T: Spare>(v: &mut Vec<T>, extra: usize, may_move: bool) -> bool {
    let size = std::mem::size_of::<T>().max(1);
    let need = v.len().saturating_add(extra);
    if !cfg!(target_os = "linux") || !may_move {
        v.reserve(extra);
        false
    } else if v.capacity().saturating_mul(size) >= HUGE_MIN {
        // A mapping of its own: the allocator moves it without copying (mremap); the advice
        // goes with the pages it has, and is given again for the room added.
        v.reserve(extra);
        advise(v);
        false
    } else {
        let mut bigger = kept::take(T::slot());
        if bigger.capacity() < need {
            bigger = Vec::with_capacity(need.max(2 * v.capacity()).max(HUGE_MIN / size));
            advise(&mut bigger);
        }
        bigger.append(v);
        *v = bigger;
        true
    }
}

/// Keep the room of `v`, a vector being dropped, for the next one of its kind that grows
/// large on this thread, if it is such room (grown by [`reserve`], at most
/// [`kept::MAX_BYTES`]) and larger than what is kept already; otherwise drop it.
#[inline]
pub(crate) fn give_back<T: Spare>(v: Vec<T>) {
    if cfg!(target_os = "linux") && v.capacity() * std::mem::size_of::<T>() >= HUGE_MIN {
        keep_room(v);
    }
}

#[cold]
#[inline(never)]
fn keep_room<T: Spare>(mut v: Vec<T>) {
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes > kept::MAX_BYTES {
        return;
    }
    let kept = kept::take(T::slot());
    if kept.capacity() > v.capacity() {
        kept::keep(T::slot(), kept, 0);
        return;
    }
    drop(kept);
    v.clear();
    kept::keep(T::slot(), v, bytes);
}

/// Ask for huge pages under `buf`'s whole allocation.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(crate) fn advise<T>(buf: &mut Vec<T>) {
    const PAGE: usize = 4096;
    let start = buf.as_mut_ptr() as usize;
    // The pages the allocation touches: its mapping, allocator header included, so the advice
    // covers one whole mapping and never splits it.
    let from = start & !(PAGE - 1);
    let to = (start + buf.capacity() * std::mem::size_of::<T>()).next_multiple_of(PAGE);
    // SAFETY: MADV_HUGEPAGE is advice only: it changes how the kernel backs these pages, never
    // their contents or whether they are mapped, so no memory is invalidated whatever the range
    // holds. A failure (no THP support) leaves the pages as they were and is ignored.
    unsafe {
        libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn advise<T>(_buf: &mut Vec<T>) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::Spare;
    use crate::kept;
    use crate::{dumps, loads, Graph, Object, Value};

    /// The `VmFlags` of the mapping that holds `addr`, from `/proc/self/smaps`.
    fn vm_flags(addr: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            let range = line.split(' ').next().and_then(|r| r.split_once('-'));
            let range =
                range.and_then(|(a, b)| Some((usize::from_str_radix(a, 16).ok()?, usize::from_str_radix(b, 16).ok()?)));
            if let Some((from, to)) = range.filter(|_| !line.starts_with("VmFlags")) {
                inside = (from..to).contains(&addr);
            } else if inside && line.starts_with("VmFlags:") {
                return line.to_owned();
            }
        }
        panic!("no mapping holds {addr:#x}")
    }

    /// Whether this kernel has transparent huge pages at all (`madvise` fails without them).
    fn kernel_has_thp() -> bool {
        std::path::Path::new("/sys/kernel/mm/transparent_hugepage/enabled").exists()
    }

    fn assert_advised<T>(v: &[T]) {
        let flags = vm_flags(v.as_ptr() as usize + std::mem::size_of_val(v) / 2);
        assert_eq!(flags.split_whitespace().any(|f| f == "hg"), kernel_has_thp(), "{flags}");
    }

    /// The room kept on this thread for vectors of `T`, left in place; its address and capacity.
    fn spare_room<T: Spare>() -> (*const T, usize) {
        let room = kept::take(T::slot());
        let seen = (room.as_ptr(), room.capacity());
        kept::keep(T::slot(), room, 0);
        seen
    }

    /// The items of the list at the root of `g`.
    fn root_items(g: &Graph) -> &Vec<Value> {
        match g.get(g.root().id().unwrap()) {
            Object::List(items) => items,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_large_list_loads_into_huge_pages_and_its_room_serves_the_next_load() {
        // 200 000 ints: 3.2 MB of values, past GROW_HUGE_FROM.
        let mut g = Graph::new();
        let list = g.list((0..200_000).map(Value::Int).collect());
        g.set_root(list);
        let pickle = dumps(&g, 5).unwrap();

        let first = loads(&pickle).unwrap();
        let items = root_items(&first);
        assert!(items.iter().copied().eq((0..200_000).map(Value::Int)));
        assert!(std::mem::size_of_val(items.as_slice()) >= super::GROW_HUGE_FROM);
        assert_advised(items);
        let room = (items.as_ptr(), items.capacity());
        drop(first);
        assert_eq!(spare_room::<Value>(), room);

        // Another list as long on this thread: written into the room the first one left, with
        // nothing of the first left in it.
        let mut g = Graph::new();
        let list = g.list((0..200_000).rev().map(|i| Value::Float(i as f64)).collect());
        g.set_root(list);
        let second = loads(&dumps(&g, 5).unwrap()).unwrap();
        let items = root_items(&second);
        assert!(items.iter().copied().eq((0..200_000).rev().map(|i| Value::Float(i as f64))));
        assert_eq!((items.as_ptr(), items.capacity()), room);
        assert_eq!(spare_room::<Value>().1, 0);

        // Handed back on request.
        drop(second);
        assert_eq!(spare_room::<Value>(), room);
        crate::release_thread_memory();
        assert_eq!(spare_room::<Value>().1, 0);
    }

    #[test]
    fn only_a_few_lists_of_one_graph_take_large_room() {
        // Twelve lists of 70 000 ints, each just past GROW_HUGE_FROM: the first eight move into
        // large room, the rest grow as vectors do (a hostile pickle of many such lists cannot
        // reserve 32 MiB of address space for each).
        let mut g = Graph::new();
        let lists: Vec<Value> = (0..12).map(|k| g.list((0..70_000).map(|i| Value::Int(i * k)).collect())).collect();
        let root = g.list(lists);
        g.set_root(root);
        let loaded = loads(&dumps(&g, 5).unwrap()).unwrap();
        let mut large = 0;
        for (k, v) in root_items(&loaded).iter().enumerate() {
            let Object::List(items) = loaded.get(v.id().unwrap()) else { panic!("not a list") };
            assert!(items.iter().copied().eq((0..70_000).map(|i| Value::Int(i * k as i64))), "list {k}");
            large += usize::from(std::mem::size_of::<Value>() * items.capacity() >= super::HUGE_MIN);
        }
        assert_eq!(large, usize::from(super::MAX_LARGE_ROOMS));
        assert_eq!(loaded.large_rooms, super::MAX_LARGE_ROOMS);
    }

    #[test]
    fn a_large_dict_loads_into_huge_pages_and_its_room_serves_the_next_load() {
        // 40 000 int keys: 40 000 entries of 32 bytes, past GROW_HUGE_FROM.
        let mut g = Graph::new();
        let d = g.dict();
        for i in 0..40_000 {
            g.dict_insert(d, Value::Int(i), Value::Float(i as f64)).unwrap();
        }
        g.set_root(d);
        let pickle = dumps(&g, 5).unwrap();
        let entries = |g: &Graph| match g.get(g.root().id().unwrap()) {
            Object::Dict(d) => (d.entries().as_ptr(), d.len()),
            other => panic!("{other:?}"),
        };

        let first = loads(&pickle).unwrap();
        let (at, len) = entries(&first);
        assert_eq!(len, 40_000);
        let kept_before = spare_room::<(Value, Value)>().1;
        drop(first);
        let (room, capacity) = spare_room::<(Value, Value)>();
        assert_eq!(room, at);
        assert!(capacity * 32 >= super::HUGE_MIN && capacity >= kept_before);
        assert!(kernel_has_thp() == vm_flags(room as usize).split_whitespace().any(|f| f == "hg"));

        let second = loads(&pickle).unwrap();
        assert_eq!(entries(&second), (room, 40_000));
        let Object::Dict(d) = second.get(second.root().id().unwrap()) else { unreachable!() };
        assert!(d.entries().iter().copied().eq((0..40_000).map(|i| (Value::Int(i), Value::Float(i as f64)))));
    }

    #[test]
    fn a_large_arena_loads_into_huge_pages_and_its_room_serves_the_next_load() {
        // 60 000 strs: 60 000 objects of 32 bytes, past GROW_HUGE_FROM.
        let mut g = Graph::new();
        let strs = (0..60_000).map(|i| g.str(&format!("s{i}"))).collect();
        let list = g.list(strs);
        g.set_root(list);
        let pickle = dumps(&g, 5).unwrap();

        let first = loads(&pickle).unwrap();
        assert!(std::mem::size_of_val(first.objects.as_slice()) >= super::GROW_HUGE_FROM);
        assert_advised(&first.objects);
        let room = (first.objects.as_ptr(), first.objects.capacity());
        drop(first);
        assert_eq!(spare_room::<Object>(), room);

        let second = loads(&pickle).unwrap();
        assert_eq!((second.objects.as_ptr(), second.objects.capacity()), room);
        assert_eq!(spare_room::<Object>().1, 0);
        let items = root_items(&second);
        assert_eq!(items.len(), 60_000);
        for (i, v) in items.iter().enumerate() {
            assert!(matches!(second.get(v.id().unwrap()), Object::Str(s) if s.as_str() == Some(&*format!("s{i}"))));
        }
    }

    #[test]
    fn a_large_payload_lands_in_huge_pages() {
        let mut g = Graph::new();
        let payload: Vec<u8> = (0..super::HUGE_MIN + 3).map(|i| (i % 251) as u8).collect();
        let b = g.bytes(&payload);
        g.set_root(b);
        let out = dumps(&g, 5).unwrap();
        assert_advised(&out);
        // The opcodes after the payload fit in the room reserved with it: no growth (a
        // doubling would copy the payload into fresh memory that was never advised).
        assert!(
            out.capacity() - out.len() <= crate::dump::emit::FRAME_SIZE_TARGET,
            "{} for {}",
            out.capacity(),
            out.len()
        );
        assert_eq!(out[..7], [0x80, 5, b'B', 3, 0, 0, 2]);
        assert_eq!(out[7..out.len() - 2], payload[..]);
        assert_eq!(out[out.len() - 2..], [0x94, b'.']);
    }

    #[test]
    fn a_vector_grown_bit_by_bit_lands_in_huge_pages_in_every_protocol() {
        let mut g = Graph::new();
        let items: Vec<_> = (0..1100).map(|i| g.str(&format!("{i:0>40000}"))).collect();
        let list = g.list(items);
        g.set_root(list);
        for proto in 0..=5 {
            let out = dumps(&g, proto).unwrap();
            assert!(out.capacity() >= super::HUGE_MIN, "protocol {proto}");
            // Grown as a vector grows by itself: to at most twice what it holds.
            assert!(out.capacity() <= 2 * out.len(), "protocol {proto}: {} for {}", out.capacity(), out.len());
            assert_advised(&out);
            // The same bytes as written to a stream, which never holds more than a frame.
            let mut streamed = Vec::new();
            crate::dump(&mut streamed, &g, proto).unwrap();
            assert!(streamed == out, "protocol {proto}");
        }
    }

    #[test]
    fn small_vectors_are_left_alone() {
        let mut g = Graph::new();
        let b = g.bytes(&vec![1; 1 << 20]);
        g.set_root(b);
        let out = dumps(&g, 5).unwrap();
        assert!(!vm_flags(out.as_ptr() as usize).split_whitespace().any(|f| f == "hg"));
    }
}
