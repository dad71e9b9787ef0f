//! Options every command shares.

use std::process::Command;

fn brinery(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_brinery")).args(args).output().expect("run brinery")
}

#[test]
fn quiet_is_accepted_everywhere_and_changes_no_output() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sample.pkl");
    let plain = brinery(&["show", sample]);
    assert!(plain.status.success());
    for args in [["--quiet", "show", sample], ["show", "-q", sample]] {
        let out = brinery(&args);
        assert!(out.status.success(), "{args:?}");
        assert_eq!(out.stdout, plain.stdout);
        assert!(out.stderr.is_empty());
    }
    let help = String::from_utf8(brinery(&["--help"]).stdout).unwrap();
    for word in ["convert", "show", "dis", "optimize", "scan", "--quiet"] {
        assert!(help.contains(word), "help lacks {word}");
    }
}

#[test]
fn show_escapes_exactly_what_the_reference_cpython_escapes() {
    // Every code point from U+0300 up, in one str: printable or escaped per CPython 3.11's
    // Unicode tables (code points assigned after Unicode 14 are escaped there).
    let probe = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("python3");
    if String::from_utf8_lossy(&probe.stdout).trim() != "3.11" {
        panic!("the reference interpreter python3 is not CPython 3.11");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unicode.pkl");
    let script = "import pickle, sys\n\
                  s = ''.join(chr(c) for c in range(0x300, 0x30000) if not 0xd800 <= c < 0xe000)\n\
                  pickle.dump(s, open(sys.argv[1], 'wb'))";
    assert!(Command::new("python3").args(["-c", script]).arg(&file).status().unwrap().success());
    let theirs = Command::new("python3").args(["-m", "pickle"]).arg(&file).output().unwrap();
    let ours = brinery(&["show", file.to_str().unwrap()]);
    assert!(ours.stdout == theirs.stdout, "show differs from python -m pickle on Unicode text");
}

/// A file is read through a memory map (large bytes as views into it) and standard input as a
/// stream; both convert to what CPython writes for the same objects. Converting a file onto
/// itself is refused before anything is written.
#[test]
fn convert_from_a_mapped_file_or_a_stream_writes_what_cpython_writes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.pkl");
    let expected = dir.path().join("expected.pkl");
    let script = "import pickle, sys\n\
                  big = bytes(range(256)) * 400\n\
                  objs = [[big, big, (big, b'small')], {'k': big, 'n': 1}]\n\
                  with open(sys.argv[1], 'wb') as f:\n\
                  \x20   for o, p in zip(objs, (5, 3)): pickle.dump(o, f, p)\n\
                  with open(sys.argv[2], 'wb') as f:\n\
                  \x20   for o in objs: pickle.dump(o, f, 4)\n";
    let made = Command::new("python3").args(["-c", script]).arg(&input).arg(&expected).output().expect("python3");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let expected = std::fs::read(&expected).unwrap();

    let mapped = dir.path().join("mapped.pkl");
    let out = brinery(&["convert", "-p", "4", input.to_str().unwrap(), "-o", mapped.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read(&mapped).unwrap() == expected, "mapped file: not CPython's bytes");

    let streamed = Command::new(env!("CARGO_BIN_EXE_brinery"))
        .args(["convert", "-p", "4", "-", "-o", "-"])
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .unwrap();
    assert!(streamed.status.success());
    assert!(streamed.stdout == expected, "standard input: not CPython's bytes");

    let before = std::fs::read(&input).unwrap();
    let same = brinery(&["convert", input.to_str().unwrap(), "-o", input.to_str().unwrap()]);
    assert!(!same.status.success());
    assert!(String::from_utf8_lossy(&same.stderr).contains("input and output are the same file"));
    assert_eq!(std::fs::read(&input).unwrap(), before, "the input is untouched");
}
