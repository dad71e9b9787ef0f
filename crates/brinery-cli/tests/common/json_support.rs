//! Shared by the JSON and compression tests: the CPython corpus and running the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One file of the corpus `tests/interop/corpus.py` writes.
pub struct Entry {
    pub file: PathBuf,
    pub case: String,
    pub protocol: u8,
    pub count: usize,
}

pub struct Corpus {
    pub dir: tempfile::TempDir,
    pub entries: Vec<Entry>,
}

impl Corpus {
    pub fn get(&self, case: &str, protocol: u8) -> &Entry {
        self.entries
            .iter()
            .find(|e| e.case == case && e.protocol == protocol)
            .unwrap_or_else(|| panic!("corpus has no {case} at protocol {protocol}"))
    }
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Write the corpus with `python3` into a fresh directory.
pub fn corpus() -> Corpus {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(repo_root().join("tests/interop/corpus.py"))
        .arg(dir.path())
        .env("PYTHONHASHSEED", "0")
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "corpus.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
    let entries = manifest
        .as_array()
        .unwrap()
        .iter()
        .map(|m| Entry {
            file: dir.path().join(m["file"].as_str().unwrap()),
            case: m["case"].as_str().unwrap().to_owned(),
            protocol: m["protocol"].as_u64().unwrap() as u8,
            count: m["count"].as_u64().unwrap() as usize,
        })
        .collect();
    Corpus { dir, entries }
}

/// Run the `brinery` binary.
pub fn brinery(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brinery")).args(args).output().expect("brinery runs")
}

/// Run the `brinery` binary and insist it succeeds.
pub fn brinery_ok(args: &[&str]) -> Output {
    let out = brinery(args);
    assert!(out.status.success(), "brinery {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// Run a Python snippet; `None` when it fails (a module it needs is missing).
pub fn python(code: &str, args: &[&str]) -> Option<Output> {
    let out = Command::new("python3").arg("-c").arg(code).args(args).output().ok()?;
    out.status.success().then_some(out)
}
