//! Compressed input is detected by its magic bytes and read transparently; `--compress` writes
//! every format; files compressed by Python's own modules are read without a flag.

#[path = "common/json_support.rs"]
mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::{brinery_ok, corpus, path_str, python};

const FORMATS: [(&str, &[u8]); 5] = [
    ("gzip", b"\x1f\x8b"),
    ("bz2", b"BZh9"),
    ("xz", b"\xfd7zXZ\x00"),
    ("zstd", b"\x28\xb5\x2f\xfd"),
    ("lz4", b"\x04\x22\x4d\x18"),
];

/// Several pickles back to back: a stream, a large payload, a large dict.
fn sample(dir: &Path) -> PathBuf {
    let c = corpus();
    let mut data = Vec::new();
    for (case, p) in [("stream_mixed", 4), ("bytes_70k", 5), ("dict_n2500", 2), ("str_70k_mixed", 0)] {
        data.extend(std::fs::read(&c.get(case, p).file).unwrap());
    }
    let path = dir.join("sample.pkl");
    std::fs::write(&path, data).unwrap();
    path
}

fn convert(input: &Path, output: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec!["convert", "-p", "4", path_str(input), "-o", path_str(output)];
    args.extend_from_slice(extra);
    brinery_ok(&args);
    std::fs::read(output).unwrap()
}

/// `brinery convert -p 4 - -o -` with the file on standard input.
fn convert_stdin(input: &Path) -> Vec<u8> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brinery"))
        .args(["convert", "-p", "4", "-", "-o", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let data = std::fs::read(input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Feed it in small pieces, so magic detection sees a trickle.
    let feeder = std::thread::spawn(move || {
        for chunk in data.chunks(3) {
            if stdin.write_all(chunk).is_err() {
                break;
            }
            stdin.flush().ok();
        }
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn every_format_round_trips_through_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = sample(tmp.path());
    let expected = convert(&raw, &tmp.path().join("direct.pkl"), &[]);
    assert!(expected.len() > 100_000);
    for (kind, magic) in FORMATS {
        let packed = tmp.path().join(format!("packed.{kind}"));
        let data = convert(&raw, &packed, &["--compress", kind]);
        assert!(data.starts_with(magic), "{kind}: starts {:02x?}", &data[..8]);
        assert!(data.len() < expected.len(), "{kind} did not compress");
        // Read back without saying how it is compressed, from a file and from a pipe.
        let back = convert(&packed, &tmp.path().join(format!("back.{kind}.pkl")), &[]);
        assert!(back == expected, "{kind}: file round trip differs");
        assert!(convert_stdin(&packed) == expected, "{kind}: stdin round trip differs");
        // Compressed JSON, both ways.
        let json = tmp.path().join(format!("packed.{kind}.json"));
        brinery_ok(&["convert", "--to", "json", "--compress", kind, path_str(&packed), "-o", path_str(&json)]);
        assert!(std::fs::read(&json).unwrap().starts_with(magic), "{kind}: JSON not compressed");
        let back = convert(&json, &tmp.path().join(format!("json.{kind}.pkl")), &["--from", "json"]);
        assert!(back == expected, "{kind}: compressed JSON round trip differs");
    }
    // Python's own modules read what --compress wrote (where Python has them).
    let check = r#"
import sys
kind, path, want = sys.argv[1], sys.argv[2], open(sys.argv[3], 'rb').read()
mod = {'gzip': 'gzip', 'bz2': 'bz2', 'xz': 'lzma'}[kind]
data = __import__(mod).decompress(open(path, 'rb').read())
sys.exit(0 if data == want else 1)
"#;
    let direct = tmp.path().join("direct.pkl");
    for kind in ["gzip", "bz2", "xz"] {
        let packed = tmp.path().join(format!("packed.{kind}"));
        if python("import gzip, bz2, lzma", &[]).is_some() {
            assert!(
                python(check, &[kind, path_str(&packed), path_str(&direct)]).is_some(),
                "Python cannot read our {kind}"
            );
        }
    }
}

#[test]
fn files_compressed_by_python_are_read_without_a_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = sample(tmp.path());
    let expected = convert(&raw, &tmp.path().join("direct.pkl"), &[]);
    // Each format in a separate try, so a Python without one of the modules still checks the rest.
    let script = r#"
import sys, os
raw = open(sys.argv[1], 'rb').read()
out = sys.argv[2]
def w(name, fn):
    try:
        data = fn()
    except Exception:
        return
    open(os.path.join(out, name), 'wb').write(data)
    print(name)
def gz():
    import gzip
    return gzip.compress(raw)
def gz2():
    import gzip
    half = len(raw) // 2
    return gzip.compress(raw[:half]) + gzip.compress(raw[half:])
def bz():
    import bz2
    return bz2.compress(raw)
def xz():
    import lzma
    return lzma.compress(raw)
def alone():
    import lzma
    return lzma.compress(raw, format=lzma.FORMAT_ALONE)
def zl(level):
    import zlib
    return lambda: zlib.compress(raw, level)
w('gzip', gz)
w('gzip-two-members', gz2)
w('bz2', bz)
w('xz', xz)
w('lzma-alone', alone)
w('zlib-1', zl(1))
w('zlib-6', zl(6))
w('zlib-9', zl(9))
"#;
    let out = python(script, &[path_str(&raw), path_str(tmp.path())]).expect("python3 runs");
    let written = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = written.lines().collect();
    println!("Python wrote: {names:?}");
    assert!(names.contains(&"gzip"), "Python has no gzip module?");
    for name in names {
        let back = convert(&tmp.path().join(name), &tmp.path().join(format!("{name}.pkl")), &[]);
        assert!(back == expected, "{name}: read back differs");
    }
}

#[test]
fn truncated_or_corrupt_compressed_input_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = sample(tmp.path());
    for (kind, _) in FORMATS {
        let packed = tmp.path().join(format!("packed.{kind}"));
        let data = convert(&raw, &packed, &["--compress", kind]);
        for (what, bad) in [
            ("truncated", data[..data.len() / 2].to_vec()),
            ("corrupt", {
                let mut d = data.clone();
                let mid = d.len() / 2;
                for b in &mut d[mid..mid + 64] {
                    *b ^= 0x5a;
                }
                d
            }),
        ] {
            let bad_path = tmp.path().join(format!("{what}.{kind}"));
            std::fs::write(&bad_path, bad).unwrap();
            let res = support::brinery(&["convert", path_str(&bad_path), "-o", path_str(&tmp.path().join("x"))]);
            assert_eq!(res.status.code(), Some(2), "{kind} {what}: {res:?}");
        }
    }
}
