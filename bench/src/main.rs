//! brinery's benchmark harness: brinery, serde-pickle and CPython's pickle side by side on the
//! project's standard workloads, in one run. See README.md.
//!
//! ```text
//! cargo run --release -- [--big] [--quick] [--only a,b] [--no-process] [--no-build]
//!                        [--brinery-bin PATH] [--python python3] [--out ../BENCHMARKS.md]
//! cargo run --release -- sp-convert IN OUT      # the serde-pickle whole-process program
//! cargo run --release -- copy IN OUT            # plain read + write (the 1 GiB baseline)
//! cargo run --release -- profile IN OP SECS     # loop one brinery op, for perf/callgrind
//! ```

mod machine;
mod measure;
mod process;
mod python;
mod records;
mod report;
mod serve;
mod svg;

use measure::{interleaved, Clock, Local, Outcome, Plan, Runner};
use process::{Contender, ProcOutcome};
use std::ffi::OsString;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// What is timed in process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// bytes → value
    Decode,
    /// value → bytes
    Encode,
    /// bytes → value → bytes
    RoundTrip,
}

impl Op {
    pub const ALL: [Op; 3] = [Op::Decode, Op::Encode, Op::RoundTrip];

    pub fn label(self) -> &'static str {
        match self {
            Op::Decode => "decode",
            Op::Encode => "encode",
            Op::RoundTrip => "decode+encode",
        }
    }

    pub fn py_name(self) -> &'static str {
        match self {
            Op::Decode => "decode",
            Op::Encode => "encode",
            Op::RoundTrip => "roundtrip",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.py_name() == s || o.label() == s)
    }
}

/// One op of one workload, in process.
pub struct OpRow {
    pub op: Op,
    pub brinery: Outcome,
    pub serde_pickle: Outcome,
    pub cpython: Outcome,
}

/// One workload, in process.
pub struct WorkloadResult {
    pub name: String,
    pub size: u64,
    pub ops: Vec<OpRow>,
    /// `brinery::dumps(loads(file), 5)` is the file (CPython wrote it at protocol 5).
    pub brinery_identical: Option<bool>,
    /// `pickle.dumps(pickle.loads(file), 5)` is the file.
    pub cpython_identical: Option<bool>,
}

/// One workload, whole process.
pub struct ProcRow {
    pub name: String,
    pub size: u64,
    pub brinery: ProcOutcome,
    pub serde_pickle: ProcOutcome,
    pub cpython: ProcOutcome,
    /// The plain read + write process (1 GiB case only).
    pub copy: Option<ProcOutcome>,
    pub notes: Vec<String>,
}

/// The 1 GiB case against a plain read + write, in process.
pub struct BigCopy {
    pub name: String,
    pub convert: Outcome,
    pub copy: Outcome,
}

pub struct Config {
    pub big: bool,
    pub quick: bool,
    pub only: Vec<String>,
    pub out: PathBuf,
    pub svg: PathBuf,
    pub csv: PathBuf,
    pub workdir: PathBuf,
    pub script: PathBuf,
    pub python: String,
    pub brinery_bin: Option<PathBuf>,
    pub build: bool,
    pub process: bool,
    pub rounds: usize,
    pub final_run: bool,
    pub clock: Clock,
    pub args: String,
}

pub struct Results {
    pub machine: machine::Machine,
    pub python_version: String,
    pub brinery_bin: Option<String>,
    pub workloads: Vec<WorkloadResult>,
    pub serde: Option<records::SerdeResult>,
    pub procs: Vec<ProcRow>,
    pub big: Option<BigCopy>,
    pub warnings: Vec<String>,
    pub elapsed_secs: f64,
    pub load_before: String,
    pub load_after: String,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("sp-convert") => sp_convert(&args[1..]),
        Some("copy") => plain_copy(&args[1..]),
        Some("profile") => serve::profile(&args[1..]),
        Some("icount") => serve::icount(&args[1..]),
        Some("serve") => serve::serve(&args[1..]),
        Some("-h" | "--help") => {
            println!("{}", USAGE);
            Ok(())
        }
        _ => parse_args(&args).and_then(harness),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("brinery-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) const USAGE: &str = "usage: brinery-bench [--big] [--quick] [--final] [--only NAME,NAME] [--clock wall|cpu]
                     [--no-process] [--no-build] [--brinery-bin PATH] [--python PYTHON] [--rounds N]
                     [--out FILE] [--results DIR] [--workdir DIR] [--workloads-script PATH]
       brinery-bench sp-convert IN OUT     serde-pickle: value_from_slice + value_to_writer
       brinery-bench copy IN OUT           plain read + write of the whole file
       brinery-bench serve brinery|serde-pickle   timing server (stdin/stdout), as the CPython one
       brinery-bench profile IN OP SECS    loop one op for SECS seconds: decode, encode, roundtrip,
                                           sp-decode, sp-encode, sp-roundtrip (serde-pickle Value),
                                           serde-encode, serde-decode, serde-roundtrip and their sp-
                                           forms (the 100 000 records; IN is ignored), shape-NAME-encode
                                           and shape-NAME-decode (NAME: ints, floats, strs, pairs, map);
                                           SECS as `Nx`: exactly N calls
       brinery-bench icount IN OP...       instructions per call of each op, by callgrind (needs valgrind)";

/// The serde-pickle twin of `brinery convert`: read the file, `value_from_slice` with default
/// options, write with `value_to_writer` (serde-pickle writes protocol 3).
fn sp_convert(args: &[String]) -> Result<(), String> {
    let [input, output] = args else { return Err(USAGE.into()) };
    let data = std::fs::read(input).map_err(|e| format!("{input}: {e}"))?;
    let value = serde_pickle::value_from_slice(&data, serde_pickle::DeOptions::new()).map_err(|e| e.to_string())?;
    drop(data);
    let file = std::fs::File::create(output).map_err(|e| format!("{output}: {e}"))?;
    let mut w = BufWriter::with_capacity(1 << 16, file);
    serde_pickle::value_to_writer(&mut w, &value, serde_pickle::SerOptions::new()).map_err(|e| e.to_string())?;
    w.flush().map_err(|e| e.to_string())
}

/// Read the whole file, write it back out: the floor for any decode + encode of one file.
fn plain_copy(args: &[String]) -> Result<(), String> {
    let [input, output] = args else { return Err(USAGE.into()) };
    copy_file(Path::new(input), Path::new(output))
}

fn copy_file(input: &Path, output: &Path) -> Result<(), String> {
    let data = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    std::fs::write(output, &data).map_err(|e| format!("{}: {e}", output.display()))
}

/// `brinery convert` in process: read through a file (brinery's own buffering), write through a
/// 64 KiB buffer.
fn brinery_convert_file(input: &Path, output: &Path) -> Result<(), String> {
    let file = std::fs::File::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let graph = brinery::load(file, &brinery::LoadOptions::default()).map_err(|e| e.to_string())?;
    let out = std::fs::File::create(output).map_err(|e| format!("{}: {e}", output.display()))?;
    let mut w = BufWriter::with_capacity(1 << 16, out);
    brinery::dump(&mut w, &graph, 5).map_err(|e| e.to_string())?;
    w.flush().map_err(|e| e.to_string())
}

fn parse_args(args: &[String]) -> Result<Config, String> {
    let bench = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = bench.parent().expect("bench/ is inside the repository").to_path_buf();
    let mut c = Config {
        big: false,
        quick: false,
        only: Vec::new(),
        out: root.join("BENCHMARKS.md"),
        svg: bench.join("results/chart.svg"),
        csv: bench.join("results/latest.csv"),
        workdir: bench.join("target/bench-work"),
        script: root.join("../shared/bench/workloads.py"),
        python: "python3".into(),
        brinery_bin: None,
        build: true,
        process: true,
        rounds: 0,
        final_run: false,
        clock: Clock::Wall,
        args: args.join(" "),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value\n{USAGE}"));
        match a.as_str() {
            "--big" => c.big = true,
            "--quick" => c.quick = true,
            "--only" => c.only = value()?.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
            "--no-process" => c.process = false,
            "--final" => c.final_run = true,
            "--clock" => {
                c.clock = match value()?.as_str() {
                    "wall" => Clock::Wall,
                    "cpu" => Clock::Cpu,
                    other => return Err(format!("--clock wall|cpu, not {other}")),
                }
            }
            "--results" => {
                let dir = PathBuf::from(value()?);
                c.svg = dir.join("chart.svg");
                c.csv = dir.join("latest.csv");
            }
            "--no-build" => c.build = false,
            "--brinery-bin" => c.brinery_bin = Some(value()?.into()),
            "--python" => c.python = value()?,
            "--rounds" => c.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?,
            "--out" => c.out = value()?.into(),
            "--workdir" => c.workdir = value()?.into(),
            "--workloads-script" => c.script = value()?.into(),
            _ => return Err(format!("unknown argument {a}\n{USAGE}")),
        }
    }
    if c.rounds == 0 {
        c.rounds = if c.quick { 3 } else { 5 };
    }
    Ok(c)
}

/// The interpreter itself, not a launcher in front of it: pyenv's `python3` shim is a shell
/// script that costs ~100 ms per start, which is not CPython's cost.
fn resolve_python(python: &str) -> Result<String, String> {
    let out = Command::new(python)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let exe = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || exe.is_empty() {
        return Err(format!("{python} does not say where its executable is"));
    }
    Ok(exe)
}

fn harness(mut cfg: Config) -> Result<(), String> {
    let start = Instant::now();
    cfg.python = resolve_python(&cfg.python)?;
    let machine = machine::Machine::detect();
    let load_before = machine::loadavg();
    let plan = Plan::new(cfg.quick, cfg.clock);
    let mut warnings = Vec::new();
    if !cfg!(feature = "serde-api") {
        warnings.push("built without the `serde-api` feature: the serde section is pending".into());
    }
    println!("machine: {} ({} cores, {}), load {load_before}", machine.cpu, machine.cores, machine.memory);
    let busy = load_before.split_whitespace().next().and_then(|l| l.parse::<f64>().ok()).unwrap_or(0.0);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as f64;
    if busy > cores * 0.5 && cfg.clock == Clock::Wall {
        println!("note: load average {busy} on {cores} cores: wall times will be noisy (`--clock cpu` is steadier)");
    }

    // Workloads, written by CPython.
    let wdir = cfg.workdir.join(if cfg.big { "workloads-big" } else { "workloads" });
    std::fs::create_dir_all(&wdir).map_err(|e| format!("{}: {e}", wdir.display()))?;
    let names = write_workloads(&cfg, &wdir)?;
    let selected: Vec<String> = names.iter().filter(|n| cfg.only.is_empty() || cfg.only.contains(n)).cloned().collect();
    if selected.is_empty() {
        return Err(format!("--only matches none of {names:?}"));
    }

    // In process.
    let mut sv = Servers {
        brinery: python::Python::start_rust("brinery")?,
        serde_pickle: python::Python::start_rust("serde-pickle")?,
        cpython: python::Python::start(&cfg.python)?,
    };
    println!("CPython {}; plan: {plan:?}", sv.cpython.version);
    let mut workloads = Vec::new();
    for name in &selected {
        let path = wdir.join(format!("{name}.pkl"));
        workloads.push(in_process(name, &path, &mut sv, &plan)?);
    }
    let python_version = sv.cpython.version.clone();
    drop(sv);

    // serde.
    let serde = if cfg.only.is_empty() || cfg.only.iter().any(|n| n == "serde") {
        println!("serde: {} records, then simple shapes of as many items", records::COUNT);
        let cpy = wdir.join("records_100k.pkl");
        let r = records::run(&plan, cpy.exists().then_some(cpy.as_path()), &cfg.workdir);
        for row in &r.rows {
            println!(
                "  {:<25} brinery {:>10}  serde-pickle {:>10}  {}",
                format!("{} {}", row.subject, row.label),
                report::fmt_outcome(&row.brinery),
                report::fmt_outcome(&row.serde_pickle),
                report::fmt_speedup(row.serde_pickle.median(), row.brinery.median()),
            );
        }
        Some(r)
    } else {
        None
    };

    // The 1 GiB case against a plain read + write, in process.
    let big = if cfg.big && selected.iter().any(|n| n == "bytes_1g") {
        Some(big_copy(&wdir.join("bytes_1g.pkl"), &cfg.workdir, &plan))
    } else {
        None
    };

    // Whole process.
    let mut procs = Vec::new();
    let mut brinery_bin = None;
    if cfg.process {
        let bin = locate_cli(&cfg, &mut warnings);
        brinery_bin = bin.as_ref().map(|b| b.display().to_string());
        let gnu_time = process::have_gnu_time();
        if !gnu_time {
            warnings.push("/usr/bin/time (GNU time) not found: no peak RSS figures".into());
        }
        let me = std::env::current_exe().map_err(|e| e.to_string())?;
        for name in &selected {
            let path = wdir.join(format!("{name}.pkl"));
            procs.push(whole_process(name, &path, bin.as_deref(), &me, &cfg, gnu_time));
        }
    }

    let load_after = machine::loadavg();
    let results = Results {
        machine,
        python_version,
        brinery_bin,
        workloads,
        serde,
        procs,
        big,
        warnings,
        elapsed_secs: start.elapsed().as_secs_f64(),
        load_before,
        load_after,
    };
    report::write_all(&cfg, &results)?;
    println!("\n{}", report::targets_text(&cfg, &results));
    println!(
        "wrote {}, {} and {} in {:.0} s",
        cfg.out.display(),
        cfg.svg.display(),
        cfg.csv.display(),
        results.elapsed_secs
    );
    Ok(())
}

/// Run the shared workloads script; the names it wrote, in its order.
fn write_workloads(cfg: &Config, dir: &Path) -> Result<Vec<String>, String> {
    println!("writing workloads with {} into {}", cfg.script.display(), dir.display());
    let mut cmd = Command::new(&cfg.python);
    cmd.arg(&cfg.script).arg(dir);
    if cfg.big {
        cmd.arg("--big");
    }
    let out = cmd.stderr(Stdio::inherit()).output().map_err(|e| format!("{}: {e}", cfg.script.display()))?;
    if !out.status.success() {
        return Err(format!("{} failed", cfg.script.display()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).split_whitespace().map(String::from).collect())
}

/// The three timing servers: brinery, serde-pickle and CPython, each a process of its own.
struct Servers {
    brinery: python::Python,
    serde_pickle: python::Python,
    cpython: python::Python,
}

/// A server's runner for `op`, or a runner that reports why the workload did not load there.
fn runner_or<'a>(server: &'a mut python::Python, loaded: &Result<bool, String>, op: Op) -> Box<dyn Runner + 'a> {
    match loaded {
        Ok(_) => Box::new(server.runner(op)),
        Err(e) => measure::failing(e.clone()),
    }
}

fn in_process(name: &str, path: &Path, sv: &mut Servers, plan: &Plan) -> Result<WorkloadResult, String> {
    let size = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.len();
    let b_loaded = sv.brinery.load(path);
    let s_loaded = sv.serde_pickle.load(path);
    let py_loaded = sv.cpython.load(path);
    let brinery_identical = b_loaded.as_ref().ok().copied();
    let cpython_identical = py_loaded.as_ref().ok().copied();
    println!("{name} ({})", report::fmt_size(size));
    let mut ops = Vec::new();
    for op in Op::ALL {
        let mut b = runner_or(&mut sv.brinery, &b_loaded, op);
        let mut s = runner_or(&mut sv.serde_pickle, &s_loaded, op);
        let mut p = runner_or(&mut sv.cpython, &py_loaded, op);
        let mut out = interleaved(&mut [&mut *b, &mut *s, &mut *p], plan).into_iter();
        let row =
            OpRow { op, brinery: out.next().unwrap(), serde_pickle: out.next().unwrap(), cpython: out.next().unwrap() };
        println!(
            "  {:<14} brinery {:>10}  serde-pickle {:>10} {:>8}  CPython {:>10} {:>8}",
            op.label(),
            report::fmt_outcome(&row.brinery),
            report::fmt_outcome(&row.serde_pickle),
            report::fmt_speedup(row.serde_pickle.median(), row.brinery.median()),
            report::fmt_outcome(&row.cpython),
            report::fmt_speedup(row.cpython.median(), row.brinery.median()),
        );
        ops.push(row);
    }
    sv.brinery.free()?;
    sv.serde_pickle.free()?;
    sv.cpython.free()?;
    Ok(WorkloadResult { name: name.to_string(), size, ops, brinery_identical, cpython_identical })
}

fn big_copy(path: &Path, workdir: &Path, plan: &Plan) -> BigCopy {
    println!("bytes_1g in process: brinery load(File) + dump(BufWriter<File>) vs fs::read + fs::write");
    let out_b = workdir.join("big-brinery.pkl");
    let out_c = workdir.join("big-copy.pkl");
    let mut b = Local(|| brinery_convert_file(path, &out_b));
    let mut c = Local(|| copy_file(path, &out_c));
    let mut out = interleaved(&mut [&mut b, &mut c], plan).into_iter();
    let r = BigCopy { name: "bytes_1g".into(), convert: out.next().unwrap(), copy: out.next().unwrap() };
    let _ = std::fs::remove_file(&out_b);
    let _ = std::fs::remove_file(&out_c);
    println!(
        "  brinery {}  plain {}  ({} of plain)",
        report::fmt_outcome(&r.convert),
        report::fmt_outcome(&r.copy),
        report::fmt_factor(r.convert.median(), r.copy.median())
    );
    r
}

/// Build `brinery` in the main workspace (unless told not to) and find it.
fn locate_cli(cfg: &Config, warnings: &mut Vec<String>) -> Option<PathBuf> {
    if let Some(b) = &cfg.brinery_bin {
        return Some(b.clone());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("repository root");
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let fallback = target.join("release/brinery");
    if cfg.build {
        println!("building the brinery CLI: cargo build --release -p brinery-cli (in {})", root.display());
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let out = Command::new(cargo)
            .args(["build", "--release", "-p", "brinery-cli", "--message-format=json-render-diagnostics"])
            .current_dir(root)
            .stderr(Stdio::inherit())
            .output();
        match out {
            Ok(o) if o.status.success() => {
                if let Some(exe) = find_executable(&String::from_utf8_lossy(&o.stdout), "brinery") {
                    return Some(exe);
                }
            }
            _ => warnings.push(format!(
                "building the brinery CLI failed; used the existing {} (may be stale)",
                fallback.display()
            )),
        }
    }
    if fallback.exists() {
        Some(fallback)
    } else {
        warnings.push("no brinery CLI binary: whole-process brinery figures missing".into());
        None
    }
}

/// The `"executable"` of the `brinery` binary in cargo's JSON messages.
fn find_executable(messages: &str, bin: &str) -> Option<PathBuf> {
    messages.lines().filter(|l| l.contains("\"compiler-artifact\"")).find_map(|l| {
        let (_, rest) = l.split_once("\"executable\":\"")?;
        let path = &rest[..rest.find('"')?];
        (Path::new(path).file_name()? == bin).then(|| PathBuf::from(path))
    })
}

fn whole_process(name: &str, input: &Path, bin: Option<&Path>, me: &Path, cfg: &Config, gnu_time: bool) -> ProcRow {
    let size = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let os = |s: &str| OsString::from(s);
    let mut contenders = vec![
        Contender::new(
            "brinery",
            match bin {
                Some(b) => vec![
                    b.as_os_str().to_owned(),
                    os("convert"),
                    os("--protocol"),
                    os("5"),
                    os("{in}"),
                    os("-o"),
                    os("{out}"),
                ],
                None => vec![os("false")],
            },
        ),
        Contender::new("serde-pickle", vec![me.as_os_str().to_owned(), os("sp-convert"), os("{in}"), os("{out}")]),
        Contender::new("CPython", vec![os(&cfg.python), os("-c"), os(process::PY_CONVERT), os("{in}"), os("{out}")]),
    ];
    let with_copy = name == "bytes_1g";
    if with_copy {
        contenders.push(Contender::new("copy", vec![me.as_os_str().to_owned(), os("copy"), os("{in}"), os("{out}")]));
    }
    let mut check = |label: &str, out: &Path| -> Option<String> {
        if label == "serde-pickle" || label == "copy" {
            return None;
        }
        match same_file(input, out) {
            Ok(true) => None,
            Ok(false) => Some(format!("{label}'s output differs from the input (CPython's protocol 5 bytes)")),
            Err(e) => Some(format!("{label}: cannot compare output: {e}")),
        }
    };
    let results = process::measure(&contenders, input, &cfg.workdir, cfg.rounds, gnu_time, &mut check);
    let mut notes: Vec<String> = results.iter().filter_map(|r| r.1.clone()).collect();
    let mut it = results.into_iter().map(|r| r.0);
    let mut brinery = it.next().unwrap();
    if bin.is_none() {
        brinery = ProcOutcome::Failed("no brinery CLI binary".into());
    }
    let row = ProcRow {
        name: name.to_string(),
        size,
        brinery,
        serde_pickle: it.next().unwrap(),
        cpython: it.next().unwrap(),
        copy: it.next(),
        notes: std::mem::take(&mut notes),
    };
    println!(
        "{name:<18} whole process: brinery {:>9} {:>9}  serde-pickle {:>9} {:>9}  CPython {:>9} {:>9}  {} vs CPython{}",
        report::fmt_proc_wall(&row.brinery),
        report::fmt_proc_rss(&row.brinery),
        report::fmt_proc_wall(&row.serde_pickle),
        report::fmt_proc_rss(&row.serde_pickle),
        report::fmt_proc_wall(&row.cpython),
        report::fmt_proc_rss(&row.cpython),
        report::fmt_speedup(row.cpython.wall(), row.brinery.wall()),
        row.copy.as_ref().map(|c| format!(", plain copy {}", report::fmt_proc_wall(c))).unwrap_or_default(),
    );
    for n in &row.notes {
        println!("  note: {n}");
    }
    row
}

/// Byte-for-byte comparison, in chunks.
fn same_file(a: &Path, b: &Path) -> std::io::Result<bool> {
    let (fa, fb) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if fa.metadata()?.len() != fb.metadata()?.len() {
        return Ok(false);
    }
    let (mut ra, mut rb) = (std::io::BufReader::new(fa), std::io::BufReader::new(fb));
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = ra.read(&mut ba)?;
        if n == 0 {
            return Ok(true);
        }
        rb.read_exact(&mut bb[..n])?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_executable() {
        let msgs = r#"{"reason":"compiler-artifact","target":{"name":"brinery"},"executable":null}
{"reason":"compiler-artifact","target":{"name":"brinery"},"executable":"/x/target/release/brinery","fresh":true}
{"reason":"build-finished","success":true}"#;
        assert_eq!(find_executable(msgs, "brinery"), Some(PathBuf::from("/x/target/release/brinery")));
    }

    #[test]
    fn ops_parse() {
        assert_eq!(Op::parse("roundtrip"), Some(Op::RoundTrip));
        assert_eq!(Op::parse("decode+encode"), Some(Op::RoundTrip));
    }
}
