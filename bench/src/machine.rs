//! What the figures were measured on.

use std::process::Command;

pub struct Machine {
    pub cpu: String,
    pub cores: String,
    pub memory: String,
    pub os: String,
    pub date: String,
    pub rustc: String,
    pub commit: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == name).then(|| v.trim().to_string())
            })
        };
        let cpu = field("model name").unwrap_or_else(|| "unknown CPU".into());
        let logical = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
        let avail = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
        let mut cores = format!("{avail} available to this process");
        if logical > 0 && logical != avail {
            cores = format!("{logical} logical, {cores}");
        }
        if let Some(mhz) = field("cpu MHz") {
            cores.push_str(&format!(", {mhz} MHz"));
        }
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| format!("{:.1} GiB", kib / (1024.0 * 1024.0)))
            .unwrap_or_else(|| "unknown".into());
        let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let pretty = release
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| "Linux".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let os = format!("{pretty}, kernel {}", kernel.trim());
        let date = run(&["date", "-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_else(|| "unknown date".into());
        let rustc = run(&["rustc", "--version"]).unwrap_or_else(|| "rustc (unknown version)".into());
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let commit = match run(&["git", "-C", root, "rev-parse", "--short", "HEAD"]) {
            Some(c) => {
                let dirty = run(&["git", "-C", root, "status", "--porcelain", "--", "crates"])
                    .is_some_and(|s| !s.trim().is_empty());
                if dirty {
                    format!("{c} with uncommitted changes in crates/")
                } else {
                    c
                }
            }
            None => "unknown".into(),
        };
        Machine { cpu, cores, memory, os, date, rustc, commit }
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn loadavg() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn run(argv: &[&str]) -> Option<String> {
    let out = Command::new(argv[0]).args(&argv[1..]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
