//! `brinery-bench serve brinery|serde-pickle`: the Rust twin of the CPython server in
//! `python.rs`, speaking the same line protocol. Each implementation runs in a process of its
//! own, so none is timed in a heap another one left crowded or fragmented (with glibc malloc that
//! moved single figures by 3×), and only the value the op needs is alive while it is timed.

use crate::measure::Clock;
use crate::Op;
use std::hint::black_box;
use std::io::{BufRead, Write};

enum Value {
    Brinery(brinery::Graph),
    SerdePickle(serde_pickle::Value),
}

struct Server {
    serde_pickle: bool,
    /// The workload's pickle: brinery loads it with `loads_shared`, so large bytes payloads are
    /// views into it; serde-pickle reads the same bytes as a slice.
    data: brinery::bytes::Bytes,
    opts: brinery::LoadOptions,
    /// The decoded value, kept only while encode is being timed.
    value: Option<Value>,
    /// The serde records (kept while encode or round trip is timed) and the pickle decode reads.
    recs: Option<Vec<crate::records::Record>>,
    records_input: Vec<u8>,
    /// The serde shape being timed, and its pickle.
    shape: Option<crate::records::ShapeState>,
}

impl Server {
    fn new(serde_pickle: bool) -> Server {
        Server {
            serde_pickle,
            data: Default::default(),
            opts: Default::default(),
            value: None,
            recs: None,
            records_input: Vec::new(),
            shape: None,
        }
    }
    fn decode(&self) -> Result<Value, String> {
        if self.serde_pickle {
            serde_pickle::value_from_slice(&self.data, serde_pickle::DeOptions::new())
                .map(Value::SerdePickle)
                .map_err(|e| e.to_string())
        } else {
            brinery::loads_shared(&self.data, &self.opts).map(Value::Brinery).map_err(|e| e.to_string())
        }
    }

    fn encode(v: &Value) -> Result<Vec<u8>, String> {
        match v {
            Value::Brinery(g) => brinery::dumps(g, 5).map_err(|e| e.to_string()),
            Value::SerdePickle(v) => {
                serde_pickle::value_to_vec(v, serde_pickle::SerOptions::new()).map_err(|e| e.to_string())
            }
        }
    }

    /// Read a workload; `1` when encoding its value gives the file back (brinery), `0` otherwise.
    fn load(&mut self, path: &str) -> Result<String, String> {
        self.value = None;
        self.data = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?.into();
        let v = self.decode()?;
        let same = !self.serde_pickle && Self::encode(&v)? == self.data;
        Ok(if same { "1" } else { "0" }.into())
    }

    fn run(&mut self, op: Op, n: u64, clock: Clock) -> Result<String, String> {
        if matches!(op, Op::Encode) {
            if self.value.is_none() {
                self.value = Some(self.decode()?);
            }
        } else {
            self.value = None;
        }
        let t = clock.now();
        for _ in 0..n {
            match op {
                Op::Decode => drop(black_box(self.decode()?)),
                Op::Encode => drop(black_box(Self::encode(black_box(self.value.as_ref().expect("decoded")))?)),
                Op::RoundTrip => drop(black_box(Self::encode(&self.decode()?)?)),
            }
        }
        Ok(format!("{:e}", (clock.now() - t) / n as f64))
    }

    fn command(&mut self, line: &str) -> Result<String, String> {
        let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
        match cmd {
            "version" => Ok(if self.serde_pickle { "serde-pickle 1.2" } else { "brinery" }.into()),
            "load" => self.load(arg),
            "records-input" => {
                self.records_input = std::fs::read(arg).map_err(|e| format!("{arg}: {e}"))?;
                Ok(String::new())
            }
            "records" => {
                let mut it = arg.split_whitespace();
                let (Some(op), Some(n), Some(clock)) = (it.next(), it.next(), it.next()) else {
                    return Err(format!("bad records command {arg:?}"));
                };
                let n: u64 = n.parse().map_err(|e| format!("{n}: {e}"))?;
                let clock = if clock == "cpu" { Clock::Cpu } else { Clock::Wall };
                // Build (or drop) the records before the clock starts.
                crate::records::serve_op(self.serde_pickle, op, 0, &mut self.recs, &self.records_input)?;
                let t = clock.now();
                crate::records::serve_op(self.serde_pickle, op, n, &mut self.recs, &self.records_input)?;
                Ok(format!("{:e}", (clock.now() - t) / n.max(1) as f64))
            }
            "shape" => {
                let mut it = arg.split_whitespace();
                let (Some(name), Some(op), Some(n), Some(clock)) = (it.next(), it.next(), it.next(), it.next()) else {
                    return Err(format!("bad shape command {arg:?}"));
                };
                let shape = crate::records::Shape::parse(name).ok_or(format!("unknown shape {name}"))?;
                let n: u64 = n.parse().map_err(|e| format!("{n}: {e}"))?;
                let clock = if clock == "cpu" { Clock::Cpu } else { Clock::Wall };
                // Build the value and its pickle before the clock starts (once per shape).
                if self.shape.as_ref().is_none_or(|s| s.shape() != shape) {
                    self.shape = None;
                    self.shape = Some(crate::records::ShapeState::new(shape)?);
                }
                let state = self.shape.as_ref().ok_or("no shape")?;
                let t = clock.now();
                crate::records::serve_shape(self.serde_pickle, op, n, state)?;
                Ok(format!("{:e}", (clock.now() - t) / n.max(1) as f64))
            }
            "free" => {
                self.data = Default::default();
                self.value = None;
                Ok(String::new())
            }
            "run" => {
                let mut it = arg.split_whitespace();
                let (Some(op), Some(n), Some(clock)) = (it.next(), it.next(), it.next()) else {
                    return Err(format!("bad run command {arg:?}"));
                };
                let op = Op::parse(op).ok_or(format!("unknown op {op}"))?;
                let n = n.parse().map_err(|e| format!("{n}: {e}"))?;
                let clock = match clock {
                    "cpu" => Clock::Cpu,
                    _ => Clock::Wall,
                };
                self.run(op, n, clock)
            }
            other => Err(format!("unknown command {other}")),
        }
    }
}

pub fn serve(args: &[String]) -> Result<(), String> {
    let serde_pickle = match args {
        [w] if w == "brinery" => false,
        [w] if w == "serde-pickle" => true,
        _ => return Err("usage: brinery-bench serve brinery|serde-pickle".into()),
    };
    let mut s = Server::new(serde_pickle);
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let reply = match s.command(line.trim_end()) {
            Ok(r) => format!("ok {r}"),
            Err(e) => format!("err {}", e.replace('\n', " ")),
        };
        writeln!(out, "{reply}").and_then(|_| out.flush()).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// `brinery-bench profile IN OP SECS`: one server's op in a loop in this process, for `perf` and
/// callgrind. OP as the servers take it, `sp-` first for serde-pickle; `serde-…` ops run on the
/// records (IN ignored), decode reading that side's own pickle of them.
pub fn profile(args: &[String]) -> Result<(), String> {
    let [input, op, secs] = args else { return Err(crate::USAGE.into()) };
    // `NUMx`: exactly NUM calls, in one batch (for counting instructions, see `icount`).
    let calls: Option<u64> = match secs.strip_suffix('x') {
        Some(n) => Some(n.parse().map_err(|e| format!("{secs}: {e}"))?),
        None => None,
    };
    let secs: f64 = if calls.is_some() { 0.0 } else { secs.parse().map_err(|e| format!("{secs}: {e}"))? };
    let (serde_pickle, rest) = op.strip_prefix("sp-").map_or((false, op.as_str()), |r| (true, r));
    let mut s = Server::new(serde_pickle);
    enum Job<'a> {
        Graph(Op),
        Records(&'a str),
        Shape(crate::records::ShapeState, &'a str),
    }
    let job = if let Some(which) = rest.strip_prefix("serde-") {
        s.records_input = crate::records::own_pickle(serde_pickle)?;
        Job::Records(which)
    } else if let Some((name, which)) = rest.strip_prefix("shape-").and_then(|r| r.split_once('-')) {
        let shape = crate::records::Shape::parse(name).ok_or(format!("unknown shape {name}"))?;
        Job::Shape(crate::records::ShapeState::new(shape)?, which)
    } else {
        s.load(input)?;
        Job::Graph(Op::parse(rest).ok_or(format!("unknown op {op}\n{}", crate::USAGE))?)
    };
    let start = std::time::Instant::now();
    let (mut n, mut batch) = (0u64, calls.unwrap_or(1));
    while n == 0 || start.elapsed().as_secs_f64() < secs {
        let t = std::time::Instant::now();
        match job {
            Job::Graph(op) => drop(s.run(op, batch, Clock::Wall)?),
            Job::Records(which) => crate::records::serve_op(serde_pickle, which, batch, &mut s.recs, &s.records_input)?,
            Job::Shape(ref state, which) => crate::records::serve_shape(serde_pickle, which, batch, state)?,
        }
        n += batch;
        // Batches of ~10 ms keep the loop's own bookkeeping out of the profile.
        if calls.is_none() && t.elapsed().as_secs_f64() < 0.01 {
            batch *= 2;
        }
    }
    let t = start.elapsed().as_secs_f64();
    eprintln!("{op} {input}: {n} calls, {} per call", crate::report::fmt_time(t / n as f64));
    Ok(())
}

/// `icount IN OP...`: instructions per call of each op (the ops of `profile`), counted by
/// callgrind. Wall time on a shared machine moves by ±10–30 % between runs; this count does
/// not move, so it shows the effect of a small change that timing cannot (stalls and cache
/// misses are not in it: confirm with time). Each op runs twice under callgrind, for N and 4N
/// calls, and the difference is divided by 3N, so setup (reading, the first decode, warming
/// the kept memory) cancels out. With a brinery op and its `sp-` twin, prints their ratio.
pub fn icount(args: &[String]) -> Result<(), String> {
    let [input, ops @ ..] = args else { return Err(crate::USAGE.into()) };
    if ops.is_empty() {
        return Err(crate::USAGE.into());
    }
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut counts = Vec::new();
    for op in ops {
        // About 20 ms of calls natively (callgrind runs ~50 times slower).
        let per_call = native_time_per_call(&me, input, op)?;
        let n = ((0.02 / per_call) as u64).clamp(1, 1_000_000);
        let few = collected(&me, input, op, n)?;
        let many = collected(&me, input, op, 4 * n)?;
        let per = many.saturating_sub(few) as f64 / (3 * n) as f64;
        println!("{op} {input}: {per:.0} instructions per call ({n} and {} calls)", 4 * n);
        counts.push((op.as_str(), per));
    }
    for &(op, per) in &counts {
        let twin = format!("sp-{op}");
        if let Some(&(_, other)) = counts.iter().find(|(o, _)| *o == twin) {
            println!("{op}: serde-pickle runs {:.2}x the instructions of brinery", other / per);
        }
    }
    Ok(())
}

fn native_time_per_call(me: &std::path::Path, input: &str, op: &str) -> Result<f64, String> {
    let out = std::process::Command::new(me)
        .args(["profile", input, op, "0.2"])
        .output()
        .map_err(|e| format!("{}: {e}", me.display()))?;
    // "OP IN: N calls, T per call"
    let text = String::from_utf8_lossy(&out.stderr);
    let calls: Option<f64> = text.split(" calls,").next().and_then(|l| l.rsplit(' ').next()?.parse().ok());
    let calls = calls.ok_or(format!("profile {op}: {text}"))?;
    Ok(0.2 / calls.max(1.0))
}

/// Instructions callgrind counted for `profile IN OP Nx`.
fn collected(me: &std::path::Path, input: &str, op: &str, n: u64) -> Result<u64, String> {
    let out = std::process::Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(me)
        .args(["profile", input, op, &format!("{n}x")])
        .output()
        .map_err(|e| format!("valgrind (needed for icount): {e}"))?;
    let text = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("valgrind {op}: {text}"));
    }
    text.lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|v| v.trim().parse().ok())
        .ok_or(format!("valgrind {op}: no count in {text}"))
}
