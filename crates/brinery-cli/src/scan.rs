//! `brinery scan`: static analysis of pickles and the containers that hold them, nothing
//! executed. Exit codes: 0 every file safe, 1 findings, 2 an error (unreadable path, bad usage).

use brinery::policy::{Policy, Preset};
use brinery::scan::{self, Report, ScanOptions, Verdict};
use serde_json::json;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Files or directories (scanned recursively) to scan; - reads standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Allowlist presets, comma-separated: data, numpy, torch (default: all three).
    #[arg(long, value_delimiter = ',')]
    preset: Vec<Preset>,
    /// Also allow this global, as MODULE:QUALNAME (repeatable).
    #[arg(long, value_name = "MODULE:QUALNAME")]
    allow: Vec<String>,
    /// Print a JSON report.
    #[arg(long, conflicts_with = "sarif")]
    json: bool,
    /// Print a SARIF 2.1.0 log, for CI code scanning.
    #[arg(long)]
    sarif: bool,
    /// List every global, allowed ones too, and call-site counts.
    #[arg(short, long)]
    verbose: bool,
}

enum Outcome {
    Scanned(Report),
    Error(String),
}

struct Walk {
    results: Vec<(String, Outcome)>,
    skipped: Vec<String>,
}

fn policy(args: &Args) -> Result<Policy, String> {
    let presets = if args.preset.is_empty() { Preset::ALL.to_vec() } else { args.preset.clone() };
    let mut policy = presets.iter().fold(Policy::new(), |p, &preset| p.with(preset));
    for entry in &args.allow {
        let Some((module, name)) = entry.split_once(':') else {
            return Err(format!("--allow {entry}: expected MODULE:QUALNAME, e.g. mylib.models:Point"));
        };
        if module.is_empty() || name.is_empty() {
            return Err(format!("--allow {entry}: module and qualname must not be empty"));
        }
        policy = policy.allow(module, name);
    }
    Ok(policy)
}

fn scan_path(path: &Path, explicit: bool, opts: &ScanOptions, walk: &mut Walk) {
    let shown = path.display().to_string();
    if path.as_os_str() == "-" {
        match read_decompressed(path, STDIN_LIMIT) {
            Ok(data) => walk.results.push((shown, Outcome::Scanned(scan::scan_bytes(&data, opts)))),
            Err(e) => walk.results.push((shown, Outcome::Error(e))),
        }
        return;
    }
    let meta = match if explicit { std::fs::metadata(path) } else { std::fs::symlink_metadata(path) } {
        Ok(m) => m,
        Err(e) => return walk.results.push((shown.clone(), Outcome::Error(e.to_string()))),
    };
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return walk.results.push((shown.clone(), Outcome::Error(e.to_string()))),
        };
        entries.sort();
        for entry in entries {
            scan_path(&entry, false, opts, walk);
        }
        return;
    }
    if !meta.is_file() {
        // Symlinks met while walking are not followed; sockets, fifos … are not files to scan.
        if explicit {
            walk.results.push((shown.clone(), Outcome::Error("not a regular file".to_owned())));
        }
        return;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    match read_file(path) {
        Ok(data) => {
            let report = scan::scan_named(&data, name.as_deref(), opts);
            if !explicit && !report.is_pickle() {
                walk.skipped.push(shown);
            } else {
                walk.results.push((shown, Outcome::Scanned(report)));
            }
        }
        Err(e) => walk.results.push((shown.clone(), Outcome::Error(e.to_string()))),
    }
}

/// The most a compressed file may decompress to before it is refused (a decompression bomb).
const DECOMPRESSED_LIMIT: u64 = 1 << 30;
/// The most read from standard input.
const STDIN_LIMIT: u64 = 1 << 34;

/// A file's bytes: read whole, or decompressed when its first bytes announce gzip, bzip2, xz,
/// lzma, zstd, lz4 or zlib (joblib's and pandas' compressed pickles).
fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let mut head = [0u8; 8];
    let n = {
        let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        n
    };
    if compressed(&head[..n]) {
        return read_decompressed(path, DECOMPRESSED_LIMIT);
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// Whether the first bytes announce a compression format `io::open_input` decompresses.
fn compressed(head: &[u8]) -> bool {
    match head {
        [0x1f, 0x8b, ..] | [b'B', b'Z', b'h', b'1'..=b'9', ..] | [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => true,
        [0x5d, 0x00, ..] | [0x28, 0xb5, 0x2f, 0xfd, ..] | [0x04, 0x22, 0x4d, 0x18, ..] => true,
        [0x78, flg, ..] => (0x7800 + u16::from(*flg)) % 31 == 0 && flg & 0x20 == 0,
        _ => false,
    }
}

fn read_decompressed(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let input = crate::io::open_input(path)?;
    let mut data = Vec::new();
    input.take(limit + 1).read_to_end(&mut data).map_err(|e| e.to_string())?;
    if data.len() as u64 > limit {
        return Err(format!("more than {limit} bytes once decompressed: not scanned"));
    }
    Ok(data)
}

fn format_name(r: &Report) -> &'static str {
    match r.format {
        scan::Format::Pickle => "pickle",
        scan::Format::Zip => "zip",
        scan::Format::TorchLegacy => "legacy torch",
        scan::Format::Npy => "npy",
        scan::Format::Data => "not a pickle",
    }
}

fn print_text(out: &mut dyn Write, walk: &Walk, verbose: bool) -> std::io::Result<()> {
    for (path, outcome) in &walk.results {
        match outcome {
            Outcome::Error(e) => writeln!(out, "{path}: error: {e}")?,
            Outcome::Scanned(r) => {
                let n = r.pickles.len();
                writeln!(
                    out,
                    "{path}: {} ({}, {n} pickle{})",
                    r.verdict,
                    format_name(r),
                    if n == 1 { "" } else { "s" }
                )?;
                for f in &r.findings {
                    let at = match (f.location.is_empty(), f.offset) {
                        (true, Some(o)) => format!("@{o}"),
                        (true, None) => String::new(),
                        (false, Some(o)) => format!("{}@{o}", f.location),
                        (false, None) => f.location.clone(),
                    };
                    writeln!(out, "  {:<9} {:<14} {at}  {}", f.verdict.name(), f.kind, f.message)?;
                }
                if verbose {
                    for p in &r.pickles {
                        writeln!(
                            out,
                            "  pickle {} bytes {}..{}, protocol {}, {} calls, {} persistent ids{}",
                            p.location,
                            p.start,
                            p.end,
                            p.protocol.map_or("-".to_owned(), |v| v.to_string()),
                            p.calls_total,
                            p.persistent_ids_total,
                            if p.complete { "" } else { ", incomplete" }
                        )?;
                        for g in &p.globals {
                            let offsets: Vec<String> =
                                g.uses.iter().map(|u| format!("{}@{}", u.opcode, u.offset)).collect();
                            writeln!(
                                out,
                                "    {:<9} {}.{} ×{}  {}",
                                g.status,
                                g.module,
                                g.name,
                                g.count,
                                offsets.join(" ")
                            )?;
                        }
                    }
                }
            }
        }
    }
    for s in &walk.skipped {
        if verbose {
            writeln!(out, "{s}: skipped (not a pickle)")?;
        }
    }
    let count =
        |v: Verdict| walk.results.iter().filter(|(_, o)| matches!(o, Outcome::Scanned(r) if r.verdict == v)).count();
    let errors = walk.results.iter().filter(|(_, o)| matches!(o, Outcome::Error(_))).count();
    writeln!(
        out,
        "{} scanned: {} safe, {} unknown, {} dangerous, {} errors; {} skipped (not pickles)",
        walk.results.len(),
        count(Verdict::Safe),
        count(Verdict::Unknown),
        count(Verdict::Dangerous),
        errors,
        walk.skipped.len()
    )
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let opts = ScanOptions::default().policy(policy(&args)?);
    let mut walk = Walk { results: Vec::new(), skipped: Vec::new() };
    for path in &args.paths {
        scan_path(path, true, &opts, &mut walk);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.sarif {
        let reports: Vec<(String, Report)> = walk
            .results
            .iter()
            .filter_map(|(p, o)| match o {
                Outcome::Scanned(r) => Some((p.clone(), r.clone())),
                Outcome::Error(_) => None,
            })
            .collect();
        let mut log = scan::sarif(&reports);
        let notifications: Vec<_> = walk
            .results
            .iter()
            .filter_map(|(p, o)| match o {
                Outcome::Error(e) => Some(json!({ "level": "error", "message": { "text": format!("{p}: {e}") } })),
                Outcome::Scanned(_) => None,
            })
            .collect();
        log["runs"][0]["invocations"] = json!([{
            "executionSuccessful": notifications.is_empty(),
            "toolExecutionNotifications": notifications,
        }]);
        serde_json::to_writer_pretty(&mut out, &log).map_err(|e| e.to_string())?;
        writeln!(out).map_err(|e| e.to_string())?;
    } else if args.json {
        let files: Vec<_> = walk
            .results
            .iter()
            .map(|(p, o)| match o {
                Outcome::Scanned(r) => json!({ "path": p, "verdict": r.verdict, "report": r }),
                Outcome::Error(e) => json!({ "path": p, "error": e }),
            })
            .collect();
        let doc = json!({ "files": files, "skipped": walk.skipped });
        serde_json::to_writer_pretty(&mut out, &doc).map_err(|e| e.to_string())?;
        writeln!(out).map_err(|e| e.to_string())?;
    } else {
        print_text(&mut out, &walk, args.verbose).map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    let error = walk.results.iter().any(|(_, o)| matches!(o, Outcome::Error(_)));
    let findings = walk.results.iter().any(|(_, o)| matches!(o, Outcome::Scanned(r) if r.verdict != Verdict::Safe));
    if error {
        for (path, o) in &walk.results {
            if let Outcome::Error(e) = o {
                eprintln!("brinery: {path}: {e}");
            }
        }
        Ok(ExitCode::from(2))
    } else if findings {
        Ok(ExitCode::from(1))
    } else {
        Ok(ExitCode::SUCCESS)
    }
}
