//! Large output vectors backed by transparent huge pages where the kernel offers them.
//!
//! A pickle written into a fresh vector of tens of MiB spends most of its time in page faults:
//! one per 4 KiB page, each handing over a zeroed page. Linux can back such a range with 2 MiB
//! pages instead (512× fewer faults) when asked with `madvise(MADV_HUGEPAGE)`; its default
//! setting (`transparent_hugepage=madvise`) gives them only to ranges that ask.

/// Vectors below this are left alone: glibc's allocator serves them from its heap, where pages
/// stay mapped from one allocation to the next and the advice would only split its mappings.
/// Above it (glibc's largest dynamic mmap threshold) every allocation is a mapping of its own.
/// The emitter's output reaches it by one doubling of its own, with the advice given before the
/// copy (see `VecSink`), so no part of a huge output is faulted in small pages.
pub(crate) const HUGE_MIN: usize = 32 << 20;

/// Ask for huge pages under `buf`'s whole allocation.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(crate) fn advise(buf: &mut Vec<u8>) {
    const PAGE: usize = 4096;
    let start = buf.as_mut_ptr() as usize;
    // The pages the allocation touches: its mapping, allocator header included, so the advice
    // covers one whole mapping and never splits it.
    let from = start & !(PAGE - 1);
    let to = (start + buf.capacity()).next_multiple_of(PAGE);
    // SAFETY: MADV_HUGEPAGE is advice only: it changes how the kernel backs these pages, never
    // their contents or whether they are mapped, so no memory is invalidated whatever the range
    // holds. A failure (no THP support) leaves the pages as they were and is ignored.
    unsafe {
        libc::madvise(from as *mut libc::c_void, to - from, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn advise(_buf: &mut Vec<u8>) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use crate::{dumps, Graph};

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

    fn assert_advised(out: &[u8]) {
        let flags = vm_flags(out.as_ptr() as usize + out.len() / 2);
        assert_eq!(flags.split_whitespace().any(|f| f == "hg"), kernel_has_thp(), "{flags}");
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
