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
