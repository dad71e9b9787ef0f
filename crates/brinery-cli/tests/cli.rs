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
