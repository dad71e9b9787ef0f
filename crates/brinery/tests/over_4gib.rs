//! Objects over 4 GiB: a bytes object of 4 GiB + 16 bytes goes CPython → brinery → CPython, and
//! a str of the same size goes brinery → CPython, with brinery's peak memory near one copy of
//! the data. One test, so the two phases never overlap in memory.

use brinery::{Graph, Object, PyStr};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::process::Command;
use std::time::Instant;

const SIZE: u64 = (4 << 30) + 16;

/// Peak resident memory of this process since the last reset, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn python(script: &str, args: &[&std::path::Path]) {
    let out = Command::new("python3").arg("-c").arg(script).args(args).output().expect("python3");
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    print!("{}", String::from_utf8_lossy(&out.stdout));
}

fn gib(n: u64) -> f64 {
    n as f64 / (1u64 << 30) as f64
}

#[test]
fn objects_over_4_gib_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let from_cpython = dir.path().join("bytes.cpython.pkl");
    let from_brinery = dir.path().join("bytes.brinery.pkl");

    // CPython writes the bytes object (BINBYTES8) ...
    let t = Instant::now();
    python(
        "import pickle, sys\n\
         b = bytes(range(256)) * (1 << 24) + b'0123456789abcdef'\n\
         with open(sys.argv[1], 'wb') as f: pickle.dump(b, f, 5)\n",
        &[&from_cpython],
    );
    println!("CPython wrote {:.2} GiB of bytes in {:.1?}", gib(SIZE), t.elapsed());

    // ... brinery reads it from a stream and writes it again ...
    reset_peak_rss();
    let t = Instant::now();
    let graph = brinery::load(BufReader::new(File::open(&from_cpython).unwrap()), &Default::default()).unwrap();
    match graph.object(graph.root()) {
        Some(Object::Bytes(b)) => assert_eq!(b.len() as u64, SIZE),
        other => panic!("expected bytes, got {other:?}"),
    }
    brinery::dump(BufWriter::new(File::create(&from_brinery).unwrap()), &graph, 5).unwrap();
    drop(graph);
    let peak = peak_rss();
    println!("brinery read + wrote it in {:.1?}, peak RSS {:.2} GiB", t.elapsed(), gib(peak));
    assert!(peak < SIZE + SIZE / 4, "peak RSS {:.2} GiB is more than one copy of the data", gib(peak));
    assert_eq!(std::fs::metadata(&from_brinery).unwrap().len(), std::fs::metadata(&from_cpython).unwrap().len());
    std::fs::remove_file(&from_cpython).unwrap();

    // ... and CPython loads brinery's file to an equal object.
    python(
        "import pickle, sys\n\
         with open(sys.argv[1], 'rb') as f: b = pickle.load(f)\n\
         assert b == bytes(range(256)) * (1 << 24) + b'0123456789abcdef'\n\
         print('CPython loaded brinery bytes: equal, %d bytes' % len(b))\n",
        &[&from_brinery],
    );
    std::fs::remove_file(&from_brinery).unwrap();

    // A str of the same size, written by brinery (BINUNICODE8), loaded by CPython.
    let str_file = dir.path().join("str.brinery.pkl");
    reset_peak_rss();
    let t = Instant::now();
    let mut text = "abcdefghijklmnop".repeat((SIZE / 16) as usize);
    text.truncate(SIZE as usize);
    let mut g = Graph::new();
    let root = g.add(Object::Str(PyStr::from(text)));
    g.set_root(root);
    brinery::dump(BufWriter::new(File::create(&str_file).unwrap()), &g, 4).unwrap();
    drop(g);
    let peak = peak_rss();
    println!(
        "brinery built and wrote a {:.2} GiB str in {:.1?}, peak RSS {:.2} GiB",
        gib(SIZE),
        t.elapsed(),
        gib(peak)
    );
    assert!(peak < SIZE + SIZE / 4, "peak RSS {:.2} GiB is more than one copy of the data", gib(peak));
    python(
        "import pickle, sys\n\
         with open(sys.argv[1], 'rb') as f: s = pickle.load(f)\n\
         n = (4 << 30) + 16\n\
         assert len(s) == n and s[:32] == 'abcdefghijklmnop' * 2 and s[-16:] == 'abcdefghijklmnop'\n\
         assert s.count('p') == n // 16\n\
         print('CPython loaded brinery str: %d characters' % len(s))\n",
        &[&str_file],
    );
}
