//! `brinery scan` end to end, and the denial-of-service cases through `show`, `convert` and
//! `scan`: each ends by itself within 10 s and 1 GiB of address space.

#[path = "../../brinery/tests/safety_common/mod.rs"]
mod safety_common;

use safety_common::hostile::hostile;
use safety_common::layouts::{torch_data_pkl, torch_zip};
use safety_common::{benign, bombs, evil, P};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_brinery");

fn brinery(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, data).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.pkl", &benign());
    let bad = write(dir.path(), "bad.pkl", &evil());
    let missing = dir.path().join("missing.pkl").to_str().unwrap().to_owned();
    assert_eq!(brinery(&["scan", &good]).0, 0);
    let (code, out, _) = brinery(&["scan", &good, &bad]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("dangerous") && out.contains("os.system"), "{out}");
    let (code, _, err) = brinery(&["scan", &good, &missing]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(brinery(&["scan", &bad, &missing]).0, 2);
    assert_eq!(brinery(&["scan", &good, "--allow", "nocolon"]).0, 2);
}

#[test]
fn json_report() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.pkl",
        &P::proto(4).uni("os").uni("system").stack_global().uni("id").t1().reduce().stop().0,
    );
    let (code, out, _) = brinery(&["scan", "--json", &bad]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let file = &doc["files"][0];
    assert_eq!(file["verdict"], "dangerous");
    let g = &file["report"]["pickles"][0]["globals"][0];
    assert_eq!((g["module"].as_str(), g["name"].as_str()), (Some("os"), Some("system")));
    assert_eq!(g["uses"][0]["opcode"], "STACK_GLOBAL");
    assert_eq!(g["uses"][0]["offset"], 14);
    assert_eq!(file["report"]["pickles"][0]["calls"][0]["callable"], "os.system");
}

#[test]
fn sarif_log() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.pkl", &evil());
    let good = write(dir.path(), "good.pkl", &benign());
    let (code, out, _) = brinery(&["scan", "--sarif", &bad, &good]);
    assert_eq!(code, 1);
    let log: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "brinery");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["level"], "error");
    assert_eq!(results[0]["ruleId"], "brinery/global");
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], bad.as_str());
    assert_eq!(results[0]["locations"][0]["physicalLocation"]["region"]["byteOffset"], 2);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules[results[0]["ruleIndex"].as_u64().unwrap() as usize]["id"], "brinery/global");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn directories_presets_and_allow() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "README.md", b"# not a pickle\n");
    write(dir.path(), "ckpt/model.pt", &torch_zip(&torch_data_pkl(["0", "1"])));
    write(dir.path(), "ckpt/config.json", b"{\"a\": 1}");
    let root = dir.path().to_str().unwrap();
    let (code, out, _) = brinery(&["scan", root]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("model.pt: safe (zip, 1 pickle)"), "{out}");
    assert!(out.contains("2 skipped"), "{out}");
    assert_eq!(brinery(&["scan", "--preset", "torch", root]).0, 0);
    let (code, out, _) = brinery(&["scan", "--preset", "data,numpy", root]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unknown"), "{out}");
    write(dir.path(), "deep/er/evil.bin", &evil());
    let (code, out, _) = brinery(&["scan", root]);
    assert_eq!(code, 1);
    assert!(out.contains("evil.bin: dangerous"), "{out}");
    // A user class, allowed by name.
    let user =
        write(dir.path(), "user.pkl", &P::proto(2).global("mylib.models", "Point").empty_tuple().reduce().stop().0);
    assert_eq!(brinery(&["scan", &user]).0, 1);
    assert_eq!(brinery(&["scan", "--allow", "mylib.models:Point", &user]).0, 0);
}

#[test]
fn compressed_pickles_are_scanned() {
    let dir = tempfile::tempdir().unwrap();
    // A zlib stream (joblib's compress='zlib'): 0x78 0x9c header, deflate, adler32.
    let mut z = vec![0x78, 0x9c];
    z.extend(miniz_oxide::deflate::compress_to_vec(&evil(), 6));
    let adler = {
        let (mut a, mut b) = (1u32, 0u32);
        for &x in &evil() {
            a = (a + x as u32) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    };
    z.extend_from_slice(&adler.to_be_bytes());
    let path = write(dir.path(), "model.joblib", &z);
    let (code, out, err) = brinery(&["scan", &path]);
    assert_eq!(code, 1, "{out}{err}");
    // Decompression is `io::open_input`'s; where it is not available the file is at least
    // never judged safe.
    assert!(out.contains("os.system") || out.contains("unknown"), "{out}");
}

#[test]
fn hostile_corpus_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let cases = hostile();
    let paths: Vec<String> = cases.iter().map(|c| write(dir.path(), &format!("{}.pt", c.name), &c.data)).collect();
    let mut args = vec!["scan", "--json"];
    args.extend(paths.iter().map(String::as_str));
    let (code, out, err) = brinery(&args);
    assert_eq!(code, 1, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), cases.len());
    for f in files {
        assert_ne!(f["verdict"], "safe", "{}", f["path"]);
    }
}

/// Run the CLI under a 1 GiB address-space cap; the time it took and its exit code (`None`
/// when killed by a signal, or by us after 30 s).
fn capped(args: &[&str]) -> (Option<i32>, Duration) {
    let start = Instant::now();
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), start.elapsed());
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            return (None, start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn dos(command: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.pkl");
    let out = out.to_str().unwrap();
    let mut failures = Vec::new();
    for (name, data, _) in bombs() {
        let path = write(dir.path(), &format!("{}.pkl", name.replace(' ', "_")), &data);
        let args: Vec<&str> = match command {
            "convert" => vec!["convert", &path, "-o", out],
            other => vec![other, &path],
        };
        let (code, took) = capped(&args);
        if !matches!(code, Some(0..=2)) || took > Duration::from_secs(10) {
            failures.push(format!("{command} {name}: exit {code:?} after {took:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn denial_of_service_scan() {
    dos("scan");
}

#[test]
fn denial_of_service_convert() {
    dos("convert");
}

#[test]
fn denial_of_service_show() {
    dos("show");
}

/// Bombs aimed at the loader behind `show` and `convert`: a dict key made of shared tuples that
/// double at each level (2^60 nodes if walked as a tree), and a 2-million-digit INT (CPython
/// refuses more than 4300 digits).
#[test]
fn denial_of_service_loader_bombs() {
    let dir = tempfile::tempdir().unwrap();
    let mut tuples = P::proto(2).k(1).t1().binput(0);
    for i in 0..60u8 {
        tuples = tuples.binget(i).binget(i).t2().binput(i + 1);
    }
    let tuples = tuples.empty_dict().binget(60).k(1).setitem().stop().0;
    let digits = [&b"\x80\x02I"[..], &vec![b'9'; 2_000_000], b"\n."].concat();
    let out = dir.path().join("out.pkl");
    let mut failures = Vec::new();
    for (name, data) in [("tuple key doubling", tuples), ("int digits", digits)] {
        let path = write(dir.path(), &format!("{}.pkl", name.replace(' ', "_")), &data);
        for args in
            [vec!["scan", path.as_str()], vec!["convert", &path, "-o", out.to_str().unwrap()], vec!["show", &path]]
        {
            let (code, took) = capped(&args);
            if !matches!(code, Some(0..=2)) || took > Duration::from_secs(10) {
                failures.push(format!("{} {name}: exit {code:?} after {took:?}", args[0]));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn scanner_survives_the_loader_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let mut tuples = P::proto(2).k(1).t1().binput(0);
    for i in 0..60u8 {
        tuples = tuples.binget(i).binget(i).t2().binput(i + 1);
    }
    let tuples = tuples.empty_dict().binget(60).k(1).setitem().stop().0;
    let digits = [&b"\x80\x02I"[..], &vec![b'9'; 2_000_000], b"\n."].concat();
    for (name, data) in [("tuples", tuples), ("digits", digits)] {
        let path = write(dir.path(), &format!("{name}.pkl"), &data);
        let (code, took) = capped(&["scan", &path]);
        assert!(matches!(code, Some(0..=1)) && took < Duration::from_secs(10), "{name}: {code:?} {took:?}");
    }
}
