//! Differential test against every CPython on the machine.
//!
//! Each interpreter writes a corpus (`tests/interop/corpus.py`) at every protocol it has;
//! brinery loads every file and re-encodes it at every protocol 0–5; then CPython loads each
//! result and compares it with the original, sharing and cycles included
//! (`tests/interop/check.py`). The interpreter that wrote a corpus checks the protocols it
//! reads; `python3` checks all six. For builtin-only data written by `python3` the bytes must
//! also equal `pickle.dumps` of the same objects.

use brinery::{Encoding, LoadOptions};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A corpus case whose set order changes on every reload in CPython itself, so no writer can
/// match CPython's bytes for it.
const UNSTABLE_BYTES: &[&str] = &["set_order_flips"];

struct Python {
    exe: PathBuf,
    version: String,
}

fn python_version(exe: &Path) -> Option<String> {
    let out = Command::new(exe).args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn pythons() -> Vec<Python> {
    let mut found: Vec<Python> = Vec::new();
    let mut add = |exe: PathBuf| {
        if let Some(version) = python_version(&exe) {
            if !found.iter().any(|p| p.version == version) {
                found.push(Python { exe, version });
            }
        }
    };
    add(PathBuf::from("python3"));
    let root = Command::new("pyenv").arg("root").output().ok();
    let versions = Command::new("pyenv").args(["versions", "--bare"]).output().ok();
    if let (Some(root), Some(versions)) = (root, versions) {
        let root = String::from_utf8_lossy(&root.stdout).trim().to_owned();
        for v in String::from_utf8_lossy(&versions.stdout).lines() {
            add(Path::new(&root).join("versions").join(v.trim()).join("bin/python"));
        }
    }
    found
}

/// A line of the run's summary, written past the test harness's output capture.
fn say(line: String) {
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{line}\n").as_bytes());
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// Runs check.py; returns (passed, failed, skipped, its output).
fn run_checker(py: &Python, jobs: &[Json], dir: &Path, tag: &str) -> (u64, u64, u64, String) {
    let jobs_file = dir.join(format!("jobs-{tag}.json"));
    std::fs::write(&jobs_file, serde_json::to_vec(jobs).unwrap()).unwrap();
    let out = Command::new(&py.exe)
        .arg(interop_dir().join("check.py"))
        .arg(&jobs_file)
        .env("PYTHONHASHSEED", "0")
        .output()
        .expect("run check.py");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let summary = stdout.lines().last().unwrap_or_default().to_owned();
    let mut nums = summary.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty());
    let passed = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let failed = nums.next().and_then(|n| n.parse().ok()).unwrap_or(u64::MAX);
    let skipped = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let report = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    (passed, failed, skipped, report)
}

#[test]
fn cpython_corpus_round_trips_through_brinery() {
    let pys = pythons();
    assert!(!pys.is_empty(), "no python3 found");
    let reference = pys[0].version.clone();
    // Straight to stderr, past the test harness's capture, so every run shows which ran.
    let ran =
        format!("differential: CPython {}\n", pys.iter().map(|p| p.version.as_str()).collect::<Vec<_>>().join(", "));
    let _ = std::io::Write::write_all(&mut std::io::stderr(), ran.as_bytes());
    let tmp = tempfile::tempdir().unwrap();
    let mut total_passed = 0;
    let mut failures = String::new();

    for py in &pys {
        let dir = tmp.path().join(&py.version);
        let out = Command::new(&py.exe)
            .arg(interop_dir().join("corpus.py"))
            .arg(&dir)
            .env("PYTHONHASHSEED", "0")
            .output()
            .expect("run corpus.py");
        assert!(out.status.success(), "corpus.py failed on {}: {}", py.version, String::from_utf8_lossy(&out.stderr));
        print!("{}", String::from_utf8_lossy(&out.stdout));
        let manifest: Vec<Json> = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        let py2 = py.version.starts_with("2.");
        // Python 2 str is bytes; keeping it as bytes round-trips to Python 2 as str again.
        let encoding = if py2 { "bytes" } else { "ASCII" };
        let opts = LoadOptions::default().encoding(if py2 { Encoding::Bytes } else { Encoding::Ascii });
        let own_highest =
            if py2 { 2 } else { manifest.iter().filter_map(|m| m["protocol"].as_u64()).max().unwrap_or(2) };

        let mut own_jobs = Vec::new();
        let mut ref_jobs = Vec::new();
        let mut files = 0;
        let mut views_checked = 0;
        for entry in &manifest {
            let file = entry["file"].as_str().unwrap();
            let case = entry["case"].as_str().unwrap();
            let count = entry["count"].as_u64().unwrap() as usize;
            let original = dir.join(file);
            let data = std::fs::read(&original).unwrap();
            let graphs = match brinery::loads_all(&data, &opts) {
                Ok(g) => g,
                Err(e) => {
                    failures.push_str(&format!("{} {file}: brinery cannot load: {e}\n", py.version));
                    continue;
                }
            };
            assert_eq!(graphs.len(), count, "{file}: pickle count");
            // The shared-input loader gives the same graphs (large bytes as views, not copies).
            let shared = brinery::bytes::Bytes::from(data.clone());
            let views: Vec<_> = brinery::Stream::shared(&shared, opts.clone()).collect::<Result<_, _>>().unwrap();
            let dump = |gs: &[brinery::Graph]| gs.iter().map(|g| brinery::dumps(g, 5).ok()).collect::<Vec<_>>();
            assert!(dump(&views) == dump(&graphs), "{file}: loads_shared differs from loads");
            let shared_views = views
                .iter()
                .flat_map(|g| g.objects().filter(|(_, o)| matches!(o, brinery::Object::Bytes(b) if b.is_shared())))
                .count();
            let big_bytes = matches!(case, "bytes_70k" | "share_big_bytes")
                && entry["protocol"].as_u64() >= Some(if py2 { 1 } else { 3 });
            assert!(shared_views > 0 || !big_bytes, "{file}: large bytes loaded as copies");
            views_checked += 1;
            files += 1;
            for proto in 0..=5u8 {
                let mut bytes = Vec::new();
                for g in &graphs {
                    match brinery::dumps(g, proto) {
                        Ok(b) => bytes.extend_from_slice(&b),
                        Err(e) => {
                            failures.push_str(&format!("{} {file}: cannot write protocol {proto}: {e}\n", py.version))
                        }
                    }
                }
                let candidate = dir.join(format!("{file}.out{proto}"));
                std::fs::write(&candidate, &bytes).unwrap();
                let exact = entry["builtin_only"].as_bool() == Some(true)
                    && py.version == reference
                    && !UNSTABLE_BYTES.contains(&case);
                let job = serde_json::json!({
                    "original": original, "candidate": candidate, "protocol": proto,
                    "exact": exact, "encoding": encoding,
                });
                if u64::from(proto) <= own_highest {
                    own_jobs.push(job.clone());
                }
                if py.version != reference {
                    let mut j = job;
                    j["exact"] = Json::Bool(false);
                    ref_jobs.push(j);
                }
            }
        }
        let (p, f, s, report) = run_checker(py, &own_jobs, &dir, "own");
        say(format!(
            "  {}: {files} files ({views_checked} also loaded as views), {} jobs checked by {}: {p} passed, {f} failed, \
             {s} not loadable by it",
            py.version,
            own_jobs.len(),
            py.version
        ));
        total_passed += p;
        if f != 0 || s != 0 {
            failures.push_str(&report);
        }
        if !ref_jobs.is_empty() {
            let (p, f, s, report) = run_checker(&pys[0], &ref_jobs, &dir, "ref");
            say(format!(
                "  {}: {} jobs checked by {reference}: {p} passed, {f} failed, {s} not loadable by it",
                py.version,
                ref_jobs.len()
            ));
            total_passed += p;
            if f != 0 {
                failures.push_str(&report);
            }
        }
    }
    say(format!("differential: {total_passed} checks passed"));
    assert!(failures.is_empty(), "differential failures:\n{failures}");
}
