//! Whole-process runs: wall time (measured here, around spawn and wait) and peak RSS (from
//! GNU time's `%M`, the child's `ru_maxrss`).

use crate::measure::Stats;
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const GNU_TIME: &str = "/usr/bin/time";

/// `pickle.load` then `pickle.dump` at protocol 5, as one process.
pub const PY_CONVERT: &str =
    "import pickle,sys; pickle.dump(pickle.load(open(sys.argv[1],'rb')), open(sys.argv[2],'wb'), 5)";

/// One contender: a label and its argument vector, with `{in}` / `{out}` placeholders.
#[derive(Clone, Debug)]
pub struct Contender {
    pub label: &'static str,
    pub argv: Vec<OsString>,
}

impl Contender {
    pub fn new(label: &'static str, argv: Vec<OsString>) -> Contender {
        Contender { label, argv }
    }

    fn argv_for(&self, input: &Path, output: &Path) -> Vec<OsString> {
        self.argv
            .iter()
            .map(|a| match a.to_str() {
                Some("{in}") => input.as_os_str().to_owned(),
                Some("{out}") => output.as_os_str().to_owned(),
                _ => a.clone(),
            })
            .collect()
    }
}

/// Medians over the runs.
#[derive(Clone, Debug)]
pub struct ProcStats {
    pub wall: Stats,
    /// Peak resident set, KiB (median over the runs); None without GNU time.
    pub rss_kib: Option<u64>,
}

#[derive(Clone, Debug)]
pub enum ProcOutcome {
    Ran(ProcStats),
    Failed(String),
}

impl ProcOutcome {
    pub fn wall(&self) -> Option<f64> {
        match self {
            ProcOutcome::Ran(s) => Some(s.wall.median),
            ProcOutcome::Failed(_) => None,
        }
    }
    pub fn rss(&self) -> Option<u64> {
        match self {
            ProcOutcome::Ran(s) => s.rss_kib,
            ProcOutcome::Failed(_) => None,
        }
    }
}

pub fn have_gnu_time() -> bool {
    Command::new(GNU_TIME).args(["-f", "%M", "true"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Wall seconds and peak RSS in KiB of one run.
type Run = (f64, Option<u64>);

/// Run once.
fn run_once(argv: &[OsString], timefile: &Path, gnu_time: bool) -> Result<Run, String> {
    let mut cmd = if gnu_time {
        let mut c = Command::new(GNU_TIME);
        c.arg("-f").arg("%e %M").arg("-o").arg(timefile).args(argv);
        c
    } else {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..]);
        c
    };
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
    let t = Instant::now();
    let out = cmd.output().map_err(|e| format!("cannot run {:?}: {e}", argv[0]))?;
    let wall = t.elapsed().as_secs_f64();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        let mut msg = format!("exit {}: {}", out.status.code().unwrap_or(-1), first.trim());
        msg.truncate(200);
        return Err(msg);
    }
    let rss = if gnu_time {
        let text = std::fs::read_to_string(timefile).map_err(|e| format!("time output: {e}"))?;
        let last = text.lines().last().unwrap_or("");
        Some(last.split_whitespace().nth(1).and_then(|m| m.parse().ok()).ok_or(format!("time output {text:?}"))?)
    } else {
        None
    };
    Ok((wall, rss))
}

/// `rounds` runs of every contender, interleaved (the order rotates each round). The output of
/// each run is removed after it; `check` sees the first output of each contender.
pub fn measure(
    contenders: &[Contender],
    input: &Path,
    workdir: &Path,
    rounds: usize,
    gnu_time: bool,
    check: &mut dyn FnMut(&str, &Path) -> Option<String>,
) -> Vec<(ProcOutcome, Option<String>)> {
    let k = contenders.len();
    let mut walls: Vec<Result<Vec<Run>, String>> = vec![Ok(Vec::new()); k];
    let mut notes: Vec<Option<String>> = vec![None; k];
    let timefile = workdir.join("time.out");
    for round in 0..rounds {
        for j in 0..k {
            let i = (j + round) % k;
            let Ok(runs) = &mut walls[i] else { continue };
            let output = workdir.join(format!("out-{i}.pkl"));
            let _ = std::fs::remove_file(&output);
            // Start every run with no dirty pages left by earlier ones, so no run is throttled
            // by another's writeback (what decided the 1 GiB figures before; not timed).
            let _ = Command::new("sync").status();
            // And with the input in the page cache: the kernel here reclaims cold file pages
            // (DAMON), so a run could otherwise start by reading part of a 1 GiB input from disk.
            warm(input);
            match run_once(&contenders[i].argv_for(input, &output), &timefile, gnu_time) {
                Ok(r) => {
                    if runs.is_empty() {
                        notes[i] = check(contenders[i].label, &output);
                    }
                    runs.push(r);
                }
                Err(e) => walls[i] = Err(e),
            }
            let _ = std::fs::remove_file(&output);
        }
    }
    walls
        .into_iter()
        .zip(notes)
        .map(|(w, note)| match w {
            Ok(runs) => {
                let wall = Stats::from_samples(runs.iter().map(|r| r.0).collect(), 1);
                let mut rss: Vec<u64> = runs.iter().filter_map(|r| r.1).collect();
                rss.sort_unstable();
                let rss_kib = rss.get(rss.len() / 2).copied();
                (ProcOutcome::Ran(ProcStats { wall, rss_kib }), note)
            }
            Err(e) => (ProcOutcome::Failed(e), note),
        })
        .collect()
}

/// Read `path` through once (not timed), so its pages are in the page cache.
fn warm(path: &Path) {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return };
    let mut chunk = vec![0u8; 1 << 20];
    while matches!(file.read(&mut chunk), Ok(n) if n > 0) {}
}
