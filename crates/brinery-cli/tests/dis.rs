//! `brinery dis` and `brinery optimize` against CPython's pickletools, byte for byte.
//!
//! The corpus is every pickle `tests/interop/corpus.py` writes (protocols 0-5) plus hand-made
//! malformed and odd pickles. pickletools runs once per test in a single Python process (its
//! real `__main__` block, in-process, per job); brinery runs once per job.

#[path = "common/dis_corpus.rs"]
mod dis_corpus;

use dis_corpus::{brinery, compare, malformed, mutations, parallel, python, run_python, PyResult};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// How many mutated pickles the differential tests add.
const MUTATIONS: usize = 250;

struct Corpus {
    dir: PathBuf,
    python: PathBuf,
    /// Pickles written by CPython.
    files: Vec<String>,
    /// Hand-made pickles.
    odd: Vec<String>,
    /// Mutated CPython pickles.
    mutated: Vec<String>,
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dis_corpus");
        let _ = std::fs::remove_dir_all(&dir);
        let pickles = dir.join("cpython");
        let odd_dir = dir.join("odd");
        std::fs::create_dir_all(&odd_dir).unwrap();
        let python = python();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/corpus.py");
        let status = Command::new(&python)
            .arg(&script)
            .arg(&pickles)
            .env("PYTHONHASHSEED", "0")
            .stdout(Stdio::null())
            .status()
            .expect("run corpus.py");
        assert!(status.success(), "corpus.py failed");
        let mut files: Vec<String> = std::fs::read_dir(&pickles)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "pkl"))
            .map(|p| p.to_str().unwrap().to_string())
            .collect();
        files.sort();
        assert!(files.len() > 500, "corpus.py wrote only {} pickles", files.len());
        let odd = malformed()
            .into_iter()
            .map(|(name, bytes)| {
                let path = odd_dir.join(format!("{name}.pkl"));
                std::fs::write(&path, bytes).unwrap();
                path.to_str().unwrap().to_string()
            })
            .collect();
        let mutated_dir = dir.join("mutated");
        std::fs::create_dir_all(&mutated_dir).unwrap();
        let sources: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
        let mutated = mutations(&sources, MUTATIONS)
            .into_iter()
            .enumerate()
            .map(|(i, bytes)| {
                let path = mutated_dir.join(format!("m{i:04}.pkl"));
                std::fs::write(&path, bytes).unwrap();
                path.to_str().unwrap().to_string()
            })
            .collect();
        Corpus { dir, python, files, odd, mutated }
    })
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

/// Run every job through pickletools and brinery dis; report per label and fail on any
/// difference.
fn check_dis(tag: &str, jobs: Vec<(String, Vec<String>)>) {
    let c = corpus();
    let argvs: Vec<Vec<String>> = jobs.iter().map(|(_, a)| a.clone()).collect();
    let py: Vec<PyResult> = run_python(&c.python, "dis", &argvs, &c.dir.join(tag));
    let problems: Vec<Option<String>> = parallel(jobs.len(), |i| {
        if out_of_memory(&py[i]) {
            return None;
        }
        let mut args = vec!["dis".to_string()];
        args.extend(argvs[i].iter().cloned());
        let out = brinery(&args);
        compare(&py[i], &out.stdout, out.status.code(), &out.stderr)
    });
    report(tag, &jobs, &problems, &py);
}

/// pickletools' file reader allocates a length before reading: a lying 8-byte length makes
/// it raise MemoryError, where brinery reports the short read. Such jobs are not compared.
fn out_of_memory(py: &PyResult) -> bool {
    py.err.as_deref().is_some_and(|e| e.starts_with("MemoryError"))
}

fn report(tag: &str, jobs: &[(String, Vec<String>)], problems: &[Option<String>], py: &[PyResult]) {
    let mut labels: Vec<&str> = jobs.iter().map(|(l, _)| l.as_str()).collect();
    labels.dedup();
    for label in labels {
        let (mut total, mut equal, mut skipped) = (0, 0, 0);
        for (((l, _), p), py) in jobs.iter().zip(problems).zip(py) {
            if l == label {
                total += 1;
                if out_of_memory(py) {
                    skipped += 1;
                } else if p.is_none() {
                    equal += 1;
                }
            }
        }
        let note =
            if skipped > 0 { format!(" ({skipped} not compared: MemoryError in pickletools)") } else { String::new() };
        eprintln!("{tag}: {label}: {equal}/{} equal to pickletools{note}", total - skipped);
    }
    let failures: Vec<String> = jobs
        .iter()
        .zip(problems)
        .filter_map(|((label, argv), p)| p.as_ref().map(|p| format!("[{label}] {}\n{p}", argv.join(" "))))
        .collect();
    assert!(
        failures.is_empty(),
        "{} differences, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(8)].join("\n\n")
    );
}

/// Split a multi-file disassembly at its preamble lines (`pre`): one segment per file.
fn segments(out: &[u8]) -> Vec<Vec<u8>> {
    let mut segs: Vec<Vec<u8>> = Vec::new();
    for line in out.split_inclusive(|&b| b == b'\n') {
        if line == b"pre\n" {
            segs.push(Vec::new());
        } else if let Some(seg) = segs.last_mut() {
            seg.extend_from_slice(line);
        }
    }
    segs
}

/// Every corpus file, plain, `-a` and `-l 2`: one run of each tool per option set, with `-p pre`
/// (so `-p` is covered too), compared file by file.
#[test]
fn corpus_dis_matches_pickletools() {
    let c = corpus();
    let option_sets: [&[&str]; 3] = [&[], &["-a"], &["-l", "2"]];
    let argvs: Vec<Vec<String>> = option_sets
        .iter()
        .map(|opts| {
            let mut argv = strings(opts);
            argv.extend(strings(&["-p", "pre"]));
            argv.extend(c.files.iter().cloned());
            argv
        })
        .collect();
    let py = run_python(&c.python, "dis", &argvs, &c.dir.join("corpus"));
    let runs = parallel(argvs.len(), |i| {
        let mut args = vec!["dis".to_string()];
        args.extend(argvs[i].iter().cloned());
        brinery(&args)
    });
    let mut failures = Vec::new();
    for ((opts, py), run) in option_sets.iter().zip(&py).zip(&runs) {
        let label = format!("-p pre {}", opts.join(" "));
        let (mine, theirs) = (segments(&run.stdout), segments(&py.out));
        assert_eq!(theirs.len(), c.files.len(), "pickletools failed: {:?}", py.err);
        let mut equal = 0;
        for (i, file) in c.files.iter().enumerate() {
            let verdict = compare(
                &PyResult { out: theirs[i].clone(), err: None },
                mine.get(i).map_or(&[][..], |s| s.as_slice()),
                Some(0),
                b"",
            );
            match verdict {
                None => equal += 1,
                Some(why) => failures.push(format!("[{label}] {file}\n{why}")),
            }
        }
        eprintln!("corpus: {label}: {equal}/{} files equal to pickletools", c.files.len());
        if let Some(why) = compare(py, &run.stdout, run.status.code(), &run.stderr) {
            failures.push(format!("[{label}] whole output\n{why}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(8)].join("\n\n")
    );
}

/// `-m FILE FILE` for every corpus file: the second pass sees the first one's memo.
#[test]
fn corpus_shared_memo_matches_pickletools() {
    let c = corpus();
    let jobs = c.files.iter().map(|f| ("-m FILE FILE".to_string(), strings(&["-m", f, f]))).collect();
    check_dis("corpus_memo", jobs);
}

#[test]
fn odd_pickles_dis_matches_pickletools() {
    let c = corpus();
    let mut jobs = Vec::new();
    for f in &c.odd {
        jobs.push(("plain".to_string(), strings(&[f])));
        jobs.push(("-a".to_string(), strings(&["-a", f])));
        jobs.push(("-l 2".to_string(), strings(&["-l", "2", f])));
        jobs.push(("-m -a FILE FILE".to_string(), strings(&["-m", "-a", f, f])));
    }
    jobs.sort_by(|a, b| a.0.cmp(&b.0));
    check_dis("odd", jobs);
}

#[test]
fn many_files_in_one_run_match_pickletools() {
    let c = corpus();
    let mut all = vec!["-p".to_string(), "==> {name!r:>20} <== {{}}".to_string()];
    all.extend(c.files.iter().cloned());
    let mut memo_all = vec!["-m".to_string(), "-l".to_string(), "-1".to_string()];
    memo_all.extend(c.files.iter().filter(|f| f.ends_with(".p4.pkl") || f.ends_with(".p5.pkl")).cloned());
    let mut stops = strings(&["-a"]);
    stops.extend(c.odd.iter().take(3).cloned());
    let jobs = vec![
        ("every file, one run".to_string(), all),
        ("every protocol 4-5 file, shared memo".to_string(), memo_all),
        ("stops at the first bad file".to_string(), stops),
        ("default preamble".to_string(), vec![c.files[0].clone(), c.files[1].clone()]),
    ];
    check_dis("multi", jobs);
}

fn check_optimize(tag: &str, files: &[String]) {
    let c = corpus();
    let argvs: Vec<Vec<String>> = files.iter().map(|f| vec![f.clone()]).collect();
    let work = c.dir.join(tag);
    let py = run_python(&c.python, "optimize", &argvs, &work);
    let problems: Vec<Option<String>> = parallel(files.len(), |i| {
        if out_of_memory(&py[i]) {
            return None;
        }
        let target = work.join(format!("rs_{i}.opt"));
        let out = brinery(&strings(&["optimize", &files[i], "-o", target.to_str().unwrap()]));
        let produced = if out.status.success() { std::fs::read(&target).unwrap() } else { Vec::new() };
        compare(&py[i], &produced, out.status.code(), &out.stderr)
    });
    let jobs: Vec<(String, Vec<String>)> = argvs.into_iter().map(|a| ("optimize".to_string(), a)).collect();
    report(tag, &jobs, &problems, &py);
}

/// Mutated pickles: whatever pickletools prints or raises, brinery prints and reports. Cases
/// where pickletools' file reader runs out of memory on a lying 8-byte length (brinery reports
/// the short read instead) are left out.
#[test]
fn mutated_pickles_match_pickletools() {
    let c = corpus();
    let jobs: Vec<(String, Vec<String>)> =
        c.mutated.iter().map(|f| ("-a -l 3".to_string(), strings(&["-a", "-l", "3", f]))).collect();
    check_dis("mutated", jobs);
    check_optimize("mutated_optimize", &c.mutated);
}

#[test]
fn corpus_optimize_matches_pickletools() {
    check_optimize("corpus_optimize", &corpus().files);
}

#[test]
fn odd_pickles_optimize_matches_pickletools() {
    check_optimize("odd_optimize", &corpus().odd);
}

#[test]
fn output_file_and_stdin() {
    let c = corpus();
    let file = c.files.iter().find(|f| f.ends_with(".p2.pkl")).unwrap();
    let plain = brinery(&strings(&["dis", file]));
    assert!(plain.status.success());
    // -o FILE writes what stdout would show.
    let target = c.dir.join("out.txt");
    let to_file = brinery(&strings(&["dis", "-o", target.to_str().unwrap(), file]));
    assert!(to_file.status.success() && to_file.stdout.is_empty());
    assert_eq!(std::fs::read(&target).unwrap(), plain.stdout);
    // - reads standard input: each - goes on after the previous one's STOP, offsets too, as
    // pickletools does on a redirected stdin.
    let stream = c.dir.join("stream.pkl");
    let mut data = std::fs::read(file).unwrap();
    data.extend_from_slice(&std::fs::read(&c.files[0]).unwrap());
    data.extend_from_slice(b"trailing junk");
    std::fs::write(&stream, &data).unwrap();
    let with_stdin = |exe: &Path, args: &[&str]| {
        let out = Command::new(exe)
            .args(args)
            .stdin(std::fs::File::open(&stream).unwrap())
            .stderr(Stdio::inherit())
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let theirs = with_stdin(&c.python, &["-m", "pickletools", "-", "-"]);
    assert_eq!(with_stdin(Path::new(env!("CARGO_BIN_EXE_brinery")), &["dis", "-", "-"]), theirs);
    // Through a pipe too (where pickletools itself cannot tell() its position).
    let mut child = Command::new(env!("CARGO_BIN_EXE_brinery"))
        .args(["dis", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(&data);
    });
    let piped = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(piped.status.success());
    assert_eq!(piped.stdout, theirs);
    // A missing file fails before anything is printed.
    let missing = brinery(&strings(&["dis", file, "/nonexistent/x.pkl"]));
    assert_eq!(missing.status.code(), Some(2));
    assert!(missing.stdout.is_empty());
    // The error names the file and the opcode.
    let bad = c.odd.iter().find(|f| f.ends_with("append_empty.pkl")).unwrap();
    let out = brinery(&strings(&["dis", bad]));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!("brinery: {bad}: offset 0 (APPEND): tries to pop 2 items from stack with only 0 items")
    );
}
