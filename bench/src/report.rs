//! BENCHMARKS.md, the chart and a CSV of every figure.

use crate::measure::Outcome;
use crate::process::ProcOutcome;
use crate::svg::{chart, Panel, Series};
use crate::{Config, Op, Results};
use std::fmt::Write;
use std::path::Path;

// ---------------------------------------------------------------------------------------------
// Formatting

fn sig3(v: f64, unit: &str) -> String {
    if v >= 100.0 {
        format!("{v:.0} {unit}")
    } else if v >= 10.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.2} {unit}")
    }
}

pub fn fmt_time(s: f64) -> String {
    if s < 1e-6 {
        sig3(s * 1e9, "ns")
    } else if s < 1e-3 {
        sig3(s * 1e6, "µs")
    } else if s < 1.0 {
        sig3(s * 1e3, "ms")
    } else {
        sig3(s, "s")
    }
}

pub fn fmt_size(b: u64) -> String {
    let b = b as f64;
    if b < 1024.0 {
        format!("{b} B")
    } else if b < 1024.0 * 1024.0 {
        sig3(b / 1024.0, "KiB")
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        sig3(b / (1024.0 * 1024.0), "MiB")
    } else {
        sig3(b / (1024.0 * 1024.0 * 1024.0), "GiB")
    }
}

fn fmt_x(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}×")
    } else if v >= 10.0 {
        format!("{v:.1}×")
    } else {
        format!("{v:.2}×")
    }
}

/// How many times faster brinery is: other / brinery.
pub fn fmt_speedup(other: Option<f64>, brinery: Option<f64>) -> String {
    match ratio(other, brinery) {
        Some(r) => fmt_x(r),
        None => "n/a".into(),
    }
}

/// a / b.
pub fn fmt_factor(a: Option<f64>, b: Option<f64>) -> String {
    fmt_speedup(a, b)
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

pub fn fmt_outcome(o: &Outcome) -> String {
    match o {
        Outcome::Time(s) => fmt_time(s.median),
        Outcome::Failed(e) if e.starts_with("pending") => "pending".into(),
        Outcome::Failed(_) => "fails".into(),
    }
}

pub fn fmt_proc_wall(o: &ProcOutcome) -> String {
    match o {
        ProcOutcome::Ran(s) => fmt_time(s.wall.median),
        ProcOutcome::Failed(_) => "fails".into(),
    }
}

fn fmt_kib(k: u64) -> String {
    fmt_size(k * 1024)
}

pub fn fmt_proc_rss(o: &ProcOutcome) -> String {
    match o.rss() {
        Some(k) => fmt_kib(k),
        None => "n/a".into(),
    }
}

fn mbps(size: u64, secs: Option<f64>) -> String {
    match secs {
        Some(t) if t > 0.0 => {
            let v = size as f64 / t / 1e6;
            if v >= 10.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        }
        _ => "n/a".into(),
    }
}

/// Footnotes for failures: the cell gets a marker, the message goes under the table.
#[derive(Default)]
struct Notes(Vec<String>);

impl Notes {
    fn cell(&mut self, text: String, who: &str, failure: Option<&str>) -> String {
        match failure {
            None => text,
            Some(msg) => {
                let line = format!("{who}: {msg}");
                let i = match self.0.iter().position(|l| *l == line) {
                    Some(i) => i,
                    None => {
                        self.0.push(line);
                        self.0.len() - 1
                    }
                };
                format!("{text} [{}]", i + 1)
            }
        }
    }

    fn outcome(&mut self, o: &Outcome, who: &str) -> String {
        match o {
            Outcome::Failed(e) => self.cell(fmt_outcome(o), who, Some(e)),
            _ => fmt_outcome(o),
        }
    }

    fn proc(&mut self, o: &ProcOutcome, who: &str) -> String {
        match o {
            ProcOutcome::Failed(e) => self.cell(fmt_proc_wall(o), who, Some(e)),
            _ => fmt_proc_wall(o),
        }
    }

    fn flush(&mut self, md: &mut String) {
        if !self.0.is_empty() {
            md.push('\n');
            for (i, l) in self.0.iter().enumerate() {
                let _ = writeln!(md, "[{}] {}  ", i + 1, l.replace('|', "\\|"));
            }
        }
        self.0.clear();
    }
}

// ---------------------------------------------------------------------------------------------
// Targets

pub struct Check {
    pub target: &'static str,
    /// None: not measured in this run.
    pub pass: Option<bool>,
    pub figures: String,
}

fn per_workload_check(
    target: &'static str,
    items: Vec<(String, Option<f64>, Option<String>)>,
    want: f64,
    higher_is_better: bool,
    show: fn(f64) -> String,
) -> Check {
    let mut ok = Vec::new();
    let mut miss = Vec::new();
    let mut na = Vec::new();
    for (name, v, why) in items {
        match v {
            Some(v) if (higher_is_better && v >= want) || (!higher_is_better && v <= want) => {
                ok.push(format!("{name} {}", show(v)))
            }
            Some(v) => miss.push(format!("**{name} {}**", show(v))),
            None => na.push(format!("{name} ({})", why.unwrap_or_else(|| "no figure".into()))),
        }
    }
    let pass = if ok.is_empty() && miss.is_empty() { None } else { Some(miss.is_empty()) };
    let mut figures = String::new();
    if !miss.is_empty() {
        let _ = write!(figures, "misses: {}. ", miss.join(", "));
    }
    if !ok.is_empty() {
        let _ = write!(figures, "meets: {}. ", ok.join(", "));
    }
    if !na.is_empty() {
        let _ = write!(figures, "no figure: {}.", na.join(", "));
    }
    Check { target, pass, figures: figures.trim().to_string() }
}

fn failure_of(o: &Outcome) -> Option<String> {
    match o {
        Outcome::Failed(e) => Some(short(e)),
        _ => None,
    }
}

fn short(e: &str) -> String {
    let mut s: String = e.chars().take(60).collect();
    if s.len() < e.len() {
        s.push('…');
    }
    s
}

pub fn checks(cfg: &Config, r: &Results) -> Vec<Check> {
    let mut out = Vec::new();
    for (op, target) in [
        (Op::Decode, "decode ≥ 3× serde-pickle on every workload"),
        (Op::Encode, "encode ≥ 3× serde-pickle on every workload"),
    ] {
        let items = r
            .workloads
            .iter()
            .map(|w| {
                let row = w.ops.iter().find(|o| o.op == op).expect("every op");
                let why = failure_of(&row.serde_pickle).map(|e| format!("serde-pickle: {e}"));
                let why = why.or_else(|| failure_of(&row.brinery).map(|e| format!("brinery: {e}")));
                (w.name.clone(), ratio(row.serde_pickle.median(), row.brinery.median()), why)
            })
            .collect();
        out.push(per_workload_check(target, items, 3.0, true, fmt_x));
    }
    // The target is the round trip; its encode and decode halves are in the serde table.
    let items = match &r.serde {
        Some(s) => s
            .rows
            .iter()
            .filter(|row| row.subject == crate::records::RECORDS && row.label == "round trip")
            .map(|row| {
                (
                    row.label.to_string(),
                    ratio(row.serde_pickle.median(), row.brinery.median()),
                    failure_of(&row.brinery).or_else(|| failure_of(&row.serde_pickle)),
                )
            })
            .collect(),
        None => Vec::new(),
    };
    out.push(per_workload_check("serde round trip (100 000 records) ≥ 3× serde-pickle", items, 3.0, true, fmt_x));
    let proc_why = |o: &ProcOutcome, who: &str| match o {
        ProcOutcome::Failed(e) => Some(format!("{who}: {}", short(e))),
        _ => None,
    };
    let items = r
        .procs
        .iter()
        .map(|p| {
            let why = proc_why(&p.brinery, "brinery").or_else(|| proc_why(&p.cpython, "CPython"));
            (p.name.clone(), ratio(p.cpython.wall(), p.brinery.wall()), why)
        })
        .collect();
    out.push(per_workload_check("whole process decode+encode ≥ 2× CPython on every workload", items, 2.0, true, fmt_x));
    let items = r
        .procs
        .iter()
        .map(|p| {
            let why = proc_why(&p.brinery, "brinery").or_else(|| proc_why(&p.cpython, "CPython"));
            let v = ratio(p.brinery.rss().map(|k| k as f64), p.cpython.rss().map(|k| k as f64));
            (p.name.clone(), v, why)
        })
        .collect();
    out.push(per_workload_check(
        "peak RSS of `brinery convert` ≤ CPython's on every workload",
        items,
        1.0,
        false,
        fmt_x,
    ));
    let mut items = Vec::new();
    if let Some(p) = r.procs.iter().find(|p| p.name == "bytes_1g") {
        let copy = p.copy.as_ref().and_then(ProcOutcome::wall);
        items.push((
            "whole process (`brinery convert` / plain copy process)".into(),
            ratio(p.brinery.wall(), copy),
            None,
        ));
    }
    if let Some(b) = &r.big {
        items.push((
            "in process (load + dump / fs::read + fs::write)".into(),
            ratio(b.convert.median(), b.copy.median()),
            failure_of(&b.convert),
        ));
    }
    let mut c = per_workload_check("1 GiB bytes within 1.2× of a plain read + write", items, 1.2, false, fmt_x);
    if !cfg.big {
        c.figures = "not run (needs `--big`)".into();
    }
    out.push(c);
    out
}

pub fn targets_text(cfg: &Config, r: &Results) -> String {
    let mut s = String::from("targets:\n");
    for c in checks(cfg, r) {
        let verdict = match c.pass {
            Some(true) => "MEETS",
            Some(false) => "MISSES",
            None => "n/a",
        };
        let _ = writeln!(s, "  [{verdict}] {}: {}", c.target, c.figures.replace("**", ""));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Output

pub fn write_all(cfg: &Config, r: &Results) -> Result<(), String> {
    for p in [&cfg.svg, &cfg.csv, &cfg.out] {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    std::fs::write(&cfg.svg, svg_chart(cfg, r)).map_err(|e| format!("{}: {e}", cfg.svg.display()))?;
    std::fs::write(&cfg.csv, csv(r)).map_err(|e| format!("{}: {e}", cfg.csv.display()))?;
    std::fs::write(&cfg.out, markdown(cfg, r)).map_err(|e| format!("{}: {e}", cfg.out.display()))
}

fn relative(from_file: &Path, to: &Path) -> String {
    let base = from_file.parent().unwrap_or(Path::new(""));
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (base, to) = (canon(base), canon(to));
    match to.strip_prefix(&base) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => to.display().to_string(),
    }
}

fn svg_chart(cfg: &Config, r: &Results) -> String {
    let mut labels: Vec<String> = r.workloads.iter().map(|w| w.name.clone()).collect();
    for p in &r.procs {
        if !labels.contains(&p.name) {
            labels.push(p.name.clone());
        }
    }
    let serde_label = "serde: 100k records".to_string();
    if r.serde.is_some() {
        labels.push(serde_label.clone());
    }
    let ops = [("decode", "#2e86c1"), ("encode", "#28b463"), ("decode+encode", "#8e44ad")];
    let series = || ops.iter().map(|(n, c)| Series { name: n, color: c }).collect::<Vec<_>>();
    let in_proc = |l: &str, vs_sp: bool| -> Vec<Option<f64>> {
        if let Some(w) = r.workloads.iter().find(|w| w.name == l) {
            return w
                .ops
                .iter()
                .map(|o| ratio(if vs_sp { o.serde_pickle.median() } else { o.cpython.median() }, o.brinery.median()))
                .collect();
        }
        match (&r.serde, vs_sp && l == serde_label) {
            // decode, encode, round trip in the chart's order.
            (Some(s), true) => ["decode", "encode", "round trip"]
                .iter()
                .map(|lab| {
                    let row = s.rows.iter().find(|x| x.subject == crate::records::RECORDS && x.label == *lab)?;
                    ratio(row.serde_pickle.median(), row.brinery.median())
                })
                .collect(),
            _ => vec![None; 3],
        }
    };
    let p1 = Panel {
        title: "in process: brinery vs serde-pickle".into(),
        series: series(),
        values: labels.iter().map(|l| in_proc(l, true)).collect(),
        targets: vec![(3.0, "target 3×".into())],
    };
    let p2 = Panel {
        title: "in process: brinery vs CPython pickle".into(),
        series: series(),
        values: labels.iter().map(|l| in_proc(l, false)).collect(),
        targets: vec![],
    };
    let p3 = Panel {
        title: "whole process: brinery convert vs python3".into(),
        series: vec![
            Series { name: "time", color: "#d35400" },
            Series { name: "peak RSS (CPython ÷ brinery)", color: "#7f8c8d" },
        ],
        values: labels
            .iter()
            .map(|l| match r.procs.iter().find(|p| p.name == *l) {
                Some(p) => vec![
                    ratio(p.cpython.wall(), p.brinery.wall()),
                    ratio(p.cpython.rss().map(|k| k as f64), p.brinery.rss().map(|k| k as f64)),
                ],
                None => vec![None, None],
            })
            .collect(),
        targets: vec![(2.0, "target 2× (time)".into())],
    };
    chart(
        "brinery speedup (median time of the other ÷ median time of brinery; higher is better)",
        &format!(
            "{} · {} · {}{}",
            r.machine.date,
            r.machine.cpu,
            r.python_version_label(),
            if cfg.final_run { "" } else { " · preliminary run on a busy machine" }
        ),
        &labels,
        &[p1, p2, p3],
    )
}

impl Results {
    fn python_version_label(&self) -> String {
        format!("CPython {}", self.python_version)
    }
}

fn csv(r: &Results) -> String {
    let mut s = String::from("section,workload,op,impl,median_s,p25_s,p75_s,n,batch,peak_rss_kib,error\n");
    let mut line = |section: &str, w: &str, op: &str, who: &str, o: &Outcome, rss: Option<u64>| {
        let rss = rss.map(|k| k.to_string()).unwrap_or_default();
        match o {
            Outcome::Time(st) => {
                let _ = writeln!(
                    s,
                    "{section},{w},{op},{who},{:e},{:e},{:e},{},{},{rss},",
                    st.median, st.p25, st.p75, st.n, st.batch
                );
            }
            Outcome::Failed(e) => {
                let _ = writeln!(s, "{section},{w},{op},{who},,,,,,{rss},\"{}\"", e.replace('"', "'"));
            }
        }
    };
    for w in &r.workloads {
        for o in &w.ops {
            line("in-process", &w.name, o.op.label(), "brinery", &o.brinery, None);
            line("in-process", &w.name, o.op.label(), "serde-pickle", &o.serde_pickle, None);
            line("in-process", &w.name, o.op.label(), "cpython", &o.cpython, None);
        }
    }
    if let Some(sr) = &r.serde {
        for row in &sr.rows {
            line("serde", &row.subject, &row.label, "brinery", &row.brinery, None);
            line("serde", &row.subject, &row.label, "serde-pickle", &row.serde_pickle, None);
        }
    }
    for p in &r.procs {
        let all =
            [("brinery", Some(&p.brinery)), ("serde-pickle", Some(&p.serde_pickle)), ("cpython", Some(&p.cpython))];
        for (who, o) in all.into_iter().chain([("copy", p.copy.as_ref())]) {
            let Some(o) = o else { continue };
            let (out, rss) = match o {
                ProcOutcome::Ran(st) => (Outcome::Time(st.wall.clone()), st.rss_kib),
                ProcOutcome::Failed(e) => (Outcome::Failed(e.clone()), None),
            };
            line("whole-process", &p.name, "decode+encode", who, &out, rss);
        }
    }
    if let Some(b) = &r.big {
        line("in-process-file", &b.name, "load+dump", "brinery", &b.convert, None);
        line("in-process-file", &b.name, "read+write", "plain", &b.copy, None);
    }
    s
}

/// One table of serde rows, with their notes after it.
fn serde_table(md: &mut String, notes: &mut Notes, rows: &[&crate::records::SerdeRow]) {
    let _ = writeln!(md, "| op | what | brinery | serde-pickle | × serde-pickle |\n|---|---|---:|---:|---:|");
    for row in rows {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            row.label,
            row.what,
            notes.outcome(&row.brinery, "brinery"),
            notes.outcome(&row.serde_pickle, "serde-pickle"),
            fmt_speedup(row.serde_pickle.median(), row.brinery.median())
        );
    }
    notes.flush(md);
}

fn markdown(cfg: &Config, r: &Results) -> String {
    let m = &r.machine;
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "brinery against [serde-pickle](https://crates.io/crates/serde-pickle) 1.2 and CPython's `pickle` (its C \
         accelerator), measured side by side in one run of the harness in `bench/` (see bench/README.md). This \
         file, [the chart]({}) and [every figure as CSV]({}) are written by it:\n",
        relative(&cfg.out, &cfg.svg),
        relative(&cfg.out, &cfg.csv)
    );
    let _ = writeln!(md, "```sh\ncd bench && cargo run --release -- {}\n```\n", cfg.args);
    if cfg.final_run {
        let _ = writeln!(
            md,
            "Final run (`--final`: nothing else was started on the machine while it ran). Load average {} at the \
             start, {} at the end (one-minute means, so the start still counts what ran just before).\n",
            r.load_before, r.load_after
        );
    } else {
        let _ = writeln!(
            md,
            "> **Preliminary figures.** This run was made on a busy 2-core machine while other builds were \
             running (load average {} at the start, {} at the end). Medians of interleaved samples soften that, \
             but single figures can be off by 10–30 %.{} **A final run will be done on a quiet machine** (with \
             `--final`, which drops this note).\n",
            r.load_before,
            r.load_after,
            if cfg.clock == crate::measure::Clock::Cpu {
                " In-process figures are therefore thread CPU time (`--clock cpu`: it leaves out the time other \
                 processes held the core); whole-process figures are wall time."
            } else {
                ""
            }
        );
    }
    let _ = writeln!(md, "| | |\n|---|---|");
    let _ = writeln!(md, "| date | {} |", m.date);
    let _ = writeln!(md, "| CPU | {} |", m.cpu);
    let _ = writeln!(md, "| cores | {} |", m.cores);
    let _ = writeln!(md, "| memory | {} |", m.memory);
    let _ = writeln!(md, "| OS | {} |", m.os);
    let _ = writeln!(md, "| Rust | {} (release, `codegen-units = 4`, as the main workspace) |", m.rustc);
    let _ = writeln!(md, "| CPython | {} (`{}`) |", r.python_version, cfg.python);
    let _ = writeln!(md, "| brinery | commit {} |", m.commit);
    if let Some(b) = &r.brinery_bin {
        let _ = writeln!(md, "| `brinery` binary | `{b}` |");
    }
    let _ = writeln!(md, "| run time | {:.0} s |", r.elapsed_secs);
    let _ = writeln!(
        md,
        "| clock (in process) | {} |",
        match cfg.clock {
            crate::measure::Clock::Wall => "wall (`Instant`, `time.perf_counter`)",
            crate::measure::Clock::Cpu =>
                "thread CPU time (`CLOCK_THREAD_CPUTIME_ID`, `time.thread_time`): `--clock cpu`",
        }
    );
    for w in &r.warnings {
        let _ = writeln!(md, "\n**Warning:** {w}");
    }

    // Targets.
    let _ = writeln!(md, "\n## Targets\n");
    let _ = writeln!(md, "| target | verdict | figures (speedup = other ÷ brinery; RSS and 1 GiB: brinery ÷ other) |");
    let _ = writeln!(md, "|---|---|---|");
    for c in checks(cfg, r) {
        let verdict = match c.pass {
            Some(true) => "meets",
            Some(false) => "**misses**",
            None => "n/a",
        };
        let _ = writeln!(md, "| {} | {verdict} | {} |", c.target, c.figures.replace('|', "\\|"));
    }

    // In process.
    let _ = writeln!(md, "\n## In process\n");
    let _ = writeln!(md, "![brinery speedup per workload]({})\n", relative(&cfg.out, &cfg.svg));
    let _ = writeln!(
        md,
        "Median time per call (lower is better) and how many times faster brinery is (other ÷ brinery, higher is \
         better). Every input is the workload's pickle as CPython wrote it at protocol 5. decode: \
         `brinery::loads_shared(&input, ..)` (the input held as `bytes::Bytes`; bytes payloads of 4 KiB or more load \
         as views into it, everything else as `loads` does), `serde_pickle::value_from_slice(.., DeOptions::new())`, \
         `pickle.loads` (both copy every payload); encode (from an already decoded \
         value): `brinery::dumps(&graph, 5)`, `serde_pickle::value_to_vec(.., SerOptions::new())` (protocol 3, the \
         only one it writes), `pickle.dumps(obj, 5)`. Freeing the result is inside the timing on every side (CPython \
         frees it in the loop too). MB/s is the pickle's size over brinery's time.\n"
    );
    let mut notes = Notes::default();
    for op in Op::ALL {
        let title = match op {
            Op::Decode => "decode (bytes → value)",
            Op::Encode => "encode (value → bytes)",
            Op::RoundTrip => "decode+encode (bytes → value → bytes)",
        };
        let _ = writeln!(md, "\n### {title}\n");
        let _ = writeln!(
            md,
            "| workload | pickle size | brinery | serde-pickle | CPython | × serde-pickle | × CPython | brinery MB/s | spread |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for w in &r.workloads {
            let o = w.ops.iter().find(|o| o.op == op).expect("every op");
            let spread = match &o.brinery {
                Outcome::Time(s) => format!("±{:.0} %, n={}", s.spread() * 50.0, s.n),
                _ => String::new(),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {spread} |",
                w.name,
                fmt_size(w.size),
                notes.outcome(&o.brinery, &format!("brinery on {}", w.name)),
                notes.outcome(&o.serde_pickle, &format!("serde-pickle on {}", w.name)),
                notes.outcome(&o.cpython, &format!("CPython on {}", w.name)),
                fmt_speedup(o.serde_pickle.median(), o.brinery.median()),
                fmt_speedup(o.cpython.median(), o.brinery.median()),
                mbps(w.size, o.brinery.median()),
            );
        }
        notes.flush(&mut md);
    }
    let ident: Vec<&str> =
        r.workloads.iter().filter(|w| w.brinery_identical == Some(true)).map(|w| w.name.as_str()).collect();
    let not: Vec<String> = r
        .workloads
        .iter()
        .filter(|w| w.brinery_identical != Some(true))
        .map(|w| format!("{} ({:?})", w.name, w.brinery_identical))
        .collect();
    let _ = writeln!(
        md,
        "\nSpread: half the interquartile range of brinery's samples, relative to the median; n: samples.\n\n\
         Byte identity: `brinery::dumps(brinery::loads(file), 5)` is CPython's file byte for byte on {} of {} \
         workloads{}.",
        ident.len(),
        r.workloads.len(),
        if not.is_empty() { String::new() } else { format!(" (not: {})", not.join(", ")) }
    );

    // serde.
    let _ = writeln!(md, "\n## serde\n");
    match &r.serde {
        None => {
            let _ = writeln!(md, "Not run (`--only` without `serde`).");
        }
        Some(s) => {
            let _ = writeln!(
                md,
                "`#[derive(Serialize, Deserialize)] struct Record {{ id: u64, name: String, score: f64, tags: \
                 Vec<String> }}`, the Rust twin of records_100k, through `brinery::to_vec` / `brinery::from_slice` \
                 and `serde_pickle::to_vec(&v, Default::default())` / `serde_pickle::from_slice(&b, \
                 Default::default())`.\n"
            );
            let (records, shapes): (Vec<_>, Vec<_>) =
                s.rows.iter().partition(|row| row.subject == crate::records::RECORDS);
            serde_table(&mut md, &mut notes, &records);
            let _ = writeln!(
                md,
                "\nSizes: brinery {} (protocol 5), serde-pickle {} (protocol 3). brinery's `to_vec` output {}.",
                s.brinery_size.map(|b| fmt_size(b as u64)).unwrap_or_else(|| "n/a".into()),
                fmt_size(s.serde_pickle_size as u64),
                match s.same_as_cpython {
                    Some(true) => "is CPython's records_100k.pkl byte for byte",
                    Some(false) => "differs from CPython's records_100k.pkl",
                    None => "was not compared with CPython's",
                }
            );
            if !shapes.is_empty() {
                let _ = writeln!(
                    md,
                    "\n### One kind of value at a time\n\nThe same {} items of each shape `v` (ints are `i * 7919`, \
                     floats `i * 0.5`, strs `\"user{{i}}\"`), so the records' figures can be read field by field. \
                     Both sides decode serde-pickle's pickle (protocol 3); brinery's encode writes protocol 5, with \
                     CPython's framing and memo.\n",
                    if crate::records::COUNT == 100_000 {
                        "100 000".to_string()
                    } else {
                        crate::records::COUNT.to_string()
                    }
                );
                serde_table(&mut md, &mut notes, &shapes);
            }
        }
    }

    // Whole process.
    let _ = writeln!(md, "\n## Whole process\n");
    if r.procs.is_empty() {
        let _ = writeln!(md, "Not run (`--no-process`).");
    } else {
        let _ = writeln!(
            md,
            "Wall time of one process that reads the workload's file, decodes it, encodes it and writes the result \
             (median of {} interleaved runs, each started after `sync` so none waits on another's writeback, and with its input \
             read once beforehand so none reads it from disk; startup included), and its peak RSS (`ru_maxrss` via GNU time). \
             brinery: `brinery convert --protocol 5 IN -o OUT`; serde-pickle: `brinery-bench sp-convert IN OUT` \
             (`fs::read`, `value_from_slice`, `value_to_writer` through a `BufWriter`; protocol 3); CPython: \
             `python3 -c \"{}\" IN OUT` (run as `{}`, the interpreter itself rather than a launcher such as \
             pyenv's shim).\n",
            cfg.rounds,
            crate::process::PY_CONVERT,
            cfg.python
        );
        let _ = writeln!(
            md,
            "| workload | pickle size | brinery | serde-pickle | CPython | × CPython | × serde-pickle | RSS brinery | RSS serde-pickle | RSS CPython | RSS brinery ÷ CPython |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for p in &r.procs {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                p.name,
                fmt_size(p.size),
                notes.proc(&p.brinery, &format!("brinery convert on {}", p.name)),
                notes.proc(&p.serde_pickle, &format!("serde-pickle on {}", p.name)),
                notes.proc(&p.cpython, &format!("CPython on {}", p.name)),
                fmt_speedup(p.cpython.wall(), p.brinery.wall()),
                fmt_speedup(p.serde_pickle.wall(), p.brinery.wall()),
                fmt_proc_rss(&p.brinery),
                fmt_proc_rss(&p.serde_pickle),
                fmt_proc_rss(&p.cpython),
                fmt_factor(p.brinery.rss().map(|k| k as f64), p.cpython.rss().map(|k| k as f64)),
            );
        }
        notes.flush(&mut md);
        let checked: Vec<String> = r.procs.iter().flat_map(|p| p.notes.iter().cloned()).collect();
        if checked.is_empty() {
            let _ = writeln!(
                md,
                "\nThe output of `brinery convert` and of CPython was compared with the input (CPython's protocol 5 \
                 bytes) on every workload: identical."
            );
        } else {
            let _ = writeln!(md, "\nOutput checks: {}.", checked.join("; "));
        }
    }

    // 1 GiB.
    let _ = writeln!(md, "\n## 1 GiB of bytes against a plain read + write\n");
    let p = r.procs.iter().find(|p| p.name == "bytes_1g");
    if !cfg.big {
        let _ = writeln!(md, "Not run: needs `--big`.");
    } else {
        let _ = writeln!(
            md,
            "bytes_1g is `bytes(1 << 30)` in one BINBYTES8. The floor for converting it is reading the file and \
             writing it back: `fs::read` + `fs::write` (in process), the same as its own process \
             (`brinery-bench copy IN OUT`).\n"
        );
        let _ = writeln!(md, "| | brinery | plain read + write | brinery ÷ plain |\n|---|---:|---:|---:|");
        if let Some(b) = &r.big {
            let _ = writeln!(
                md,
                "| in process: `brinery::load(File)` + `brinery::dump(BufWriter<File>)` | {} | {} | {} |",
                notes.outcome(&b.convert, "brinery"),
                notes.outcome(&b.copy, "plain"),
                fmt_factor(b.convert.median(), b.copy.median())
            );
        }
        if let Some(p) = p {
            let copy = p.copy.as_ref();
            let _ = writeln!(
                md,
                "| whole process: `brinery convert` / `brinery-bench copy` | {} | {} | {} |",
                fmt_proc_wall(&p.brinery),
                copy.map(fmt_proc_wall).unwrap_or_else(|| "n/a".into()),
                fmt_factor(p.brinery.wall(), copy.and_then(ProcOutcome::wall))
            );
            let _ = writeln!(
                md,
                "| whole process: peak RSS | {} | {} | {} |",
                fmt_proc_rss(&p.brinery),
                copy.map(fmt_proc_rss).unwrap_or_else(|| "n/a".into()),
                fmt_factor(p.brinery.rss().map(|k| k as f64), copy.and_then(ProcOutcome::rss).map(|k| k as f64))
            );
            let min = |o: &ProcOutcome| match o {
                ProcOutcome::Ran(s) => Some(s.wall.min),
                ProcOutcome::Failed(_) => None,
            };
            let (bmin, cmin) = (min(&p.brinery), copy.and_then(min));
            let _ = writeln!(
                md,
                "| whole process, fastest of the runs (the kernel's page-cache writes vary a lot here) | {} | {} | {} |",
                bmin.map(fmt_time).unwrap_or_else(|| "n/a".into()),
                cmin.map(fmt_time).unwrap_or_else(|| "n/a".into()),
                fmt_factor(bmin, cmin)
            );
        }
        notes.flush(&mut md);
    }

    // Method.
    let plan = crate::measure::Plan::new(cfg.quick, cfg.clock);
    let _ = writeln!(md, "\n## Method\n");
    let _ = writeln!(
        md,
        "- Workloads: `python3 ../shared/bench/workloads.py DIR{}` (pyperformance's bm_pickle data and throughput \
         cases, protocol 5), written fresh by each run.\n\
         - In process, each implementation runs in a timing server of its own (CPython: one `python3`; brinery \
         and serde-pickle: `brinery-bench serve …`, the same line protocol), and only the value the op needs is \
         alive while it is timed (the decoded value for encode, nothing for decode). Sharing one process let one \
         contender's live or freed values decide another's figures: with glibc malloc, a live serde-pickle value \
         of 2M strings doubled brinery's decode of the same file, and the order of the runs moved single figures \
         by up to 3×.\n\
         - The servers take turns sample by sample (A B C, B C A, …) so a burst of load on the machine hits all \
         of them. Each first warms up and sizes a batch so one sample takes ≥ {} ms, and every sample follows \
         one untimed call of the same implementation; samples are taken until they add up to ≥ {} s and there \
         are ≥ {} of them (at most {}; calls so slow that {} samples would take over {} s get {}). The figure is \
         the median per-call time. Cold, fresh-process costs are in the whole process section.\n\
         - CPython times `pickle.loads` / `pickle.dumps` in its own `time.{}` loops (locals bound first, garbage \
         collector on, as programs run); the harness only sends commands between samples. The Rust servers time \
         their loops with {}.\n\
         - Whole process: {} rounds, the order of the contenders rotating each round; wall time is taken around \
         spawn and wait (so includes `/usr/bin/time`'s own exec, the same for all).\n\
         - serde-pickle cannot read `datetime.date` (pyperf_dict) with its default options (it would need \
         options that drop or replace the value); those cells say so instead of timing a different job.\n\
         - Profile a single op: `cargo run --release -- profile FILE decode 10` under `perf record -g` (see \
         bench/README.md).",
        if cfg.big { " --big" } else { "" },
        plan.sample_secs * 1e3,
        plan.target_secs,
        plan.min_n,
        plan.max_n,
        plan.min_n,
        plan.slow_cap_secs,
        plan.slow_n,
        if cfg.clock == crate::measure::Clock::Cpu { "thread_time" } else { "perf_counter" },
        if cfg.clock == crate::measure::Clock::Cpu {
            "the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`)"
        } else {
            "`Instant`"
        },
        cfg.rounds,
    );
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(fmt_time(1.234e-6), "1.23 µs");
        assert_eq!(fmt_time(0.0456), "45.6 ms");
        assert_eq!(fmt_time(2.0), "2.00 s");
        assert_eq!(fmt_time(5e-8), "50.0 ns");
        assert_eq!(fmt_size(683), "683 B");
        assert_eq!(fmt_size(70013617), "66.8 MiB");
        assert_eq!(fmt_speedup(Some(9.0), Some(3.0)), "3.00×");
        assert_eq!(fmt_speedup(None, Some(3.0)), "n/a");
    }

    #[test]
    fn checks_list_misses_and_gaps() {
        let c = per_workload_check(
            "t",
            vec![("a".into(), Some(4.0), None), ("b".into(), Some(2.0), None), ("c".into(), None, Some("x".into()))],
            3.0,
            true,
            fmt_x,
        );
        assert_eq!(c.pass, Some(false));
        assert!(c.figures.contains("**b 2.00×**") && c.figures.contains("a 4.00×") && c.figures.contains("c (x)"));
    }
}
