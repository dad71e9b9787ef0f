//! `brinery show` against `python3 -m pickle`: byte for byte on the interop corpus (builtin and
//! known standard-library cases), on hand-written cases (widths, wrapped strings and bytes, key
//! sorting, recursion, pprint options) and on seeded random data; plus the forms for unknown
//! classes, limits on output size and depth, and error reporting.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

/// The Python side: see the script for what it prints.
const DRIVER: &str = include_str!("common/show_python.py");
const HEADER: &str = "#### brinery-show ";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn brinery(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brinery")).args(args).output().expect("run brinery")
}

fn show(args: &[&str]) -> (String, String, Option<i32>) {
    let mut all = vec!["show"];
    all.extend_from_slice(args);
    let out = brinery(&all);
    (
        String::from_utf8(out.stdout).expect("utf-8 output"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// A fresh scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("brinery-show-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn file(&self, name: &str, data: &[u8]) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, data).expect("write");
        p.to_str().expect("utf-8 path").to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `python3` if it is CPython 3.11 (whose pprint and reprs the output reproduces).
fn python311() -> Option<&'static str> {
    let out = Command::new("python3").args(["-c", "import sys; print(sys.version_info[:2])"]).output().ok()?;
    if String::from_utf8_lossy(&out.stdout).trim() == "(3, 11)" {
        Some("python3")
    } else {
        eprintln!("skipping: python3 is not CPython 3.11");
        None
    }
}

/// Recursion ids are memory addresses in CPython: compare them as `id=N`.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("id=") {
        out.push_str(&rest[..i + 3]);
        let tail = &rest[i + 3..];
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push('N');
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

fn first_difference(a: &str, b: &str) -> String {
    let line = a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(a.lines().count().min(b.lines().count()));
    format!(
        "first difference at line {}:\n  python:  {:?}\n  brinery: {:?}",
        line + 1,
        a.lines().nth(line).unwrap_or("<end>"),
        b.lines().nth(line).unwrap_or("<end>")
    )
}

#[test]
fn matches_python_m_pickle() {
    let Some(python) = python311() else { return };
    let started = Instant::now();
    let scratch = Scratch::new("py");
    let corpus_dir = scratch.0.join("corpus");
    let cases_dir = scratch.0.join("cases");
    std::fs::create_dir_all(&cases_dir).expect("cases dir");
    let interop = repo_root().join("tests/interop");
    let status = Command::new(python)
        .arg(interop.join("corpus.py"))
        .arg(&corpus_dir)
        .env("PYTHONHASHSEED", "0")
        .stdout(Stdio::null())
        .status()
        .expect("run corpus.py");
    assert!(status.success(), "corpus.py failed");
    // One Python process prints the expected output of every file.
    let out = Command::new(python)
        .args(["-c", DRIVER])
        .arg(&cases_dir)
        .arg(&corpus_dir)
        .env("PYTHONHASHSEED", "0")
        .env("PYTHONPATH", &interop)
        .output()
        .expect("run the pprint driver");
    assert!(out.status.success(), "driver failed: {}", String::from_utf8_lossy(&out.stderr));
    let expected = String::from_utf8(out.stdout).expect("utf-8");

    let (mut corpus_total, mut corpus_equal, mut cases_total, mut cases_equal) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for section in expected.split(HEADER).skip(1) {
        let (header, want) = section.split_once('\n').expect("header line");
        let mut words: Vec<&str> = header.split(' ').collect();
        let path = words.pop().expect("path");
        let is_case = Path::new(path).starts_with(&cases_dir);
        words.push(path);
        let (got, err, code) = show(&words);
        let equal = normalise(&got) == normalise(want) && code == Some(0);
        if is_case {
            cases_total += 1;
            cases_equal += equal as usize;
        } else {
            corpus_total += 1;
            corpus_equal += equal as usize;
        }
        if !equal {
            let name = Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or(path);
            failures.push(format!(
                "{name} [{header}] exit {code:?} {err}\n{}",
                first_difference(&normalise(want), &normalise(&got))
            ));
        }
    }
    eprintln!(
        "show vs python -m pickle: corpus {corpus_equal}/{corpus_total} equal, hand-written and \
         random cases {cases_equal}/{cases_total} equal ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    assert!(corpus_total > 800, "only {corpus_total} corpus files compared");
    assert!(cases_total > 300, "only {cases_total} cases compared");
    assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures.join("\n"));
}

/// Run corpus.py for the tests below that need its instance cases (any Python 3 will do).
fn corpus() -> Option<Scratch> {
    let scratch = Scratch::new("corpus");
    let status = Command::new("python3")
        .arg(repo_root().join("tests/interop/corpus.py"))
        .arg(&scratch.0)
        .env("PYTHONHASHSEED", "0")
        .stdout(Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        eprintln!("skipping: corpus.py failed");
        return None;
    }
    Some(scratch)
}

#[test]
fn unknown_classes_have_readable_forms() {
    let Some(dir) = corpus() else { return };
    let f = |name: &str| dir.0.join(name).to_str().expect("utf-8").to_owned();
    let cases: &[(&str, &str)] = &[
        ("inst_plain.p2.pkl", "corpus.Plain(a=1, b=['two', 3.0])\n"),
        ("inst_plain.p0.pkl", "corpus.Plain(a=1, b=['two', 3.0])\n"),
        ("inst_slots.p4.pkl", "[corpus.Slotted(x=1, y=[2]), corpus.Slotted(x='ex', y=None)]\n"),
        ("namedtuple.p4.pkl", "[corpus.Point(1, 2), corpus.Point('a', [3])]\n"),
        ("namedtuple.p0.pkl", "[corpus.Point((1, 2)), corpus.Point(('a', [3]))]\n"),
        ("inst_self_ref.p4.pkl", "corpus.Plain(a=..., b={'me': ...})\n"),
        (
            "inst_reduce_state.p3.pkl",
            "[<corpus.ReduceState object, args=(1,), state={'b': 'bee'}>,\n \
             <corpus.ReduceState object, args=([2],), state={'b': None}>]\n",
        ),
        ("inst_reduce_setstate.p4.pkl", "<corpus.ReduceSetState object, state=('a', (1, 2))>\n"),
        (
            "inst_reduce_items.p4.pkl",
            "<corpus.ReduceItems object, items=[0, 1, 2], setitems={'k': 'v', 2: [...]}>\n",
        ),
        (
            "inst_newargs_ex.p2.pkl",
            "[<corpus.NewArgsEx object,\n  args=(1, 2),\n  kwargs={'key': 'k'},\n  state={'args': (1, 2), 'key': 'k'}>,\n \
             <corpus.NewArgsEx object,\n  kwargs={'key': None},\n  state={'args': (), 'key': None}>]\n",
        ),
        (
            "globals.p4.pkl",
            "[<global corpus.Plain>,\n <built-in function len>,\n <class 'collections.OrderedDict'>,\n \
             <class 'int'>,\n <global json.dumps>,\n <global corpus.Point>]\n",
        ),
        (
            "datetime_custom_tz.p4.pkl",
            "[datetime.datetime(2020, 6, 1, 8, 0, 0, 5, tzinfo=corpus.FixedTZ(minutes=90, name='X')),\n \
             datetime.time(1, 2, 3, tzinfo=corpus.FixedTZ(minutes=-60, name='Y'))]\n",
        ),
        (
            "stream_mixed.p2.pkl",
            "corpus.Plain(a=1, b=2)\n1267650600228229401496703205376\nOrderedDict([(1, 2)])\n",
        ),
    ];
    for (file, want) in cases {
        let (got, err, code) = show(&[&f(file)]);
        assert_eq!((got.as_str(), code), (*want, Some(0)), "{file}: {err}");
    }
    // Too wide for the line: one field per line, aligned after the name.
    let (got, _, _) = show(&["--width", "20", &f("inst_plain.p4.pkl")]);
    assert_eq!(got, "corpus.Plain(a=1,\n             b=['two',\n                3.0])\n");
    let (got, _, _) = show(&["--width", "30", &f("inst_listsub_self.p4.pkl")]);
    assert_eq!(
        normalise(&got),
        "<corpus.ListSub object,\n state={'me': <Recursion on ListSub with id=N>,\n        'name': 'listsub'},\n \
         items=[1,\n        2,\n        [3],\n        <Recursion on ListSub with id=N>]>\n"
    );
}

#[test]
fn streams_files_and_first() {
    let scratch = Scratch::new("streams");
    let two = scratch.file("two.pkl", b"K\x01.\x80\x02]q\x00(K\x02K\x03e.");
    let one = scratch.file("one.pkl", b"X\x03\x00\x00\x00abc.");
    let (got, _, code) = show(&[&two, &one]);
    assert_eq!((got.as_str(), code), ("1\n[2, 3]\n'abc'\n", Some(0)));
    let (got, _, code) = show(&["--first", &two, &one]);
    assert_eq!((got.as_str(), code), ("1\n'abc'\n", Some(0)));
    // Standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_brinery"))
        .args(["show", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(b"\x80\x04\x88.").expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.stdout, b"True\n");
}

#[test]
fn errors_name_file_offset_and_opcode() {
    let scratch = Scratch::new("errors");
    let good = scratch.file("good.pkl", b"K\x07.");
    let truncated = scratch.file("truncated.pkl", b"\x80\x02]q\x00(K\x01K");
    let empty = scratch.file("empty.pkl", b"");
    let bad = scratch.file("bad.pkl", b"\x80\x02\xff.");
    let (got, err, code) = show(&[&good, &truncated, &empty, &bad, &good]);
    assert_eq!(code, Some(2));
    // Every file is tried; what could be read is printed.
    assert_eq!(got, "7\n7\n");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(lines[0], format!("brinery: {truncated}: offset 8 (BININT1): pickle data was truncated"));
    assert_eq!(lines[1], format!("brinery: {empty}: offset 0: Ran out of input"));
    assert_eq!(lines[2], format!("brinery: {bad}: offset 2: invalid load key, '\\xff'."));
    let missing = scratch.0.join("missing.pkl");
    let (_, err, code) = show(&[missing.to_str().expect("utf-8")]);
    assert_eq!(code, Some(2));
    assert!(err.starts_with(&format!("brinery: {}: ", missing.display())), "{err}");
}

#[test]
fn exponential_output_is_cut() {
    // [[1], [1]] doubled 60 times: 2**60 leaves if printed in full.
    let mut p = b"\x80\x02K\x01\x85q\x00".to_vec();
    for _ in 0..60 {
        p.extend_from_slice(b"h\x00h\x00\x86q\x00");
    }
    p.push(b'.');
    let scratch = Scratch::new("dag");
    let f = scratch.file("dag.pkl", &p);
    let started = Instant::now();
    let (got, err, code) = show(&["--max-output", "200000", &f]);
    assert!(started.elapsed().as_secs() < 20);
    assert_eq!(code, Some(2));
    assert!(got.len() < 200_100, "{}", got.len());
    assert!(got.ends_with("\n... (output cut at 200000 bytes)\n"));
    assert!(err.contains("output cut at 200000 bytes"), "{err}");
    // The library's repr and pformat are capped the same way.
    let g = brinery::loads(&p).expect("load");
    let r = brinery::pretty::PrettyPrinter::new().max_output(1 << 16).repr(&g, g.root());
    assert!(r.len() < (1 << 16) + 100 && r.ends_with("bytes)"));
}

#[test]
fn deep_nesting_does_not_overflow() {
    const N: usize = 100_000;
    let lists = [b"\x80\x02".to_vec(), vec![b']'; N], vec![b'a'; N - 1], b".".to_vec()].concat();
    let mut dicts = b"\x80\x02}".to_vec();
    for _ in 1..N {
        dicts.extend_from_slice(b"K\x00}");
    }
    dicts.extend(vec![b's'; N - 1]);
    dicts.push(b'.');
    let scratch = Scratch::new("deep");
    let (got, _, code) = show(&[&scratch.file("lists.pkl", &lists)]);
    assert_eq!(code, Some(0));
    assert_eq!(got, format!("{}{}\n", "[".repeat(N), "]".repeat(N)));
    let (got, _, code) = show(&[&scratch.file("dicts.pkl", &dicts)]);
    assert_eq!(code, Some(0));
    assert_eq!(got, format!("{}{{}}{}\n", "{0: ".repeat(N - 1), "}".repeat(N - 1)));
    // In the library, on a thread with a small stack.
    let handle = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            let g = brinery::loads(&lists).expect("load");
            let r = brinery::pretty::repr(&g, g.root());
            let p = brinery::pretty::pformat(&g, g.root(), 10);
            (r.len(), p.len())
        })
        .expect("thread");
    assert_eq!(handle.join().expect("no stack overflow"), (2 * N, 2 * N));
}

#[test]
fn width_is_validated() {
    let scratch = Scratch::new("width");
    let f = scratch.file("x.pkl", b"K\x01.");
    let (_, _, code) = show(&["--width", "0", &f]);
    assert_eq!(code, Some(2));
    let (got, _, code) = show(&["--width", "1", &f]);
    assert_eq!((got.as_str(), code), ("1\n", Some(0)));
}
