//! Interleaved, adaptive timing: every implementation of one measurement takes its samples in
//! turn (A B C, B C A, C A B, …), so a burst of load on the machine lands on all of them, and
//! the figure kept is the median of the per-call times of the samples. Each sample follows one
//! untimed call of its own implementation, so allocator state left by another one is not timed.

use std::sync::OnceLock;
use std::time::Instant;

/// Which clock times the samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Elapsed time (`Instant`, `time.perf_counter`): what a user waits for.
    Wall,
    /// The thread's CPU time, user + system (`CLOCK_THREAD_CPUTIME_ID`, `time.thread_time`):
    /// leaves out the time other processes had the core, so it is steadier on a busy machine.
    Cpu,
}

impl Clock {
    /// Seconds since some fixed point.
    pub fn now(self) -> f64 {
        match self {
            Clock::Wall => {
                static START: OnceLock<Instant> = OnceLock::new();
                START.get_or_init(Instant::now).elapsed().as_secs_f64()
            }
            Clock::Cpu => {
                let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
                t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Clock::Wall => "wall",
            Clock::Cpu => "cpu",
        }
    }
}

/// How long and how often to measure.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub clock: Clock,
    /// Calls are batched so that one sample takes at least this long (seconds).
    pub sample_secs: f64,
    /// Keep sampling until the samples add up to this (seconds)…
    pub target_secs: f64,
    /// …and there are at least this many samples…
    pub min_n: usize,
    /// …but never more than this many.
    pub max_n: usize,
    /// When `min_n` samples would take longer than this, take `slow_n` samples instead.
    pub slow_cap_secs: f64,
    /// Sample count for very slow calls.
    pub slow_n: usize,
}

impl Plan {
    pub fn new(quick: bool, clock: Clock) -> Plan {
        if quick {
            Plan { clock, sample_secs: 0.002, target_secs: 0.15, min_n: 3, max_n: 60, slow_cap_secs: 3.0, slow_n: 2 }
        } else {
            Plan { clock, sample_secs: 0.005, target_secs: 0.6, min_n: 5, max_n: 200, slow_cap_secs: 8.0, slow_n: 3 }
        }
    }
}

/// The spread of per-call times (seconds).
#[derive(Clone, Debug)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub p25: f64,
    pub p75: f64,
    /// Samples taken.
    pub n: usize,
    /// Calls per sample.
    pub batch: u64,
}

impl Stats {
    pub fn from_samples(mut v: Vec<f64>, batch: u64) -> Stats {
        assert!(!v.is_empty());
        v.sort_by(f64::total_cmp);
        Stats {
            median: quantile(&v, 0.5),
            min: v[0],
            p25: quantile(&v, 0.25),
            p75: quantile(&v, 0.75),
            n: v.len(),
            batch,
        }
    }

    /// Interquartile range relative to the median.
    pub fn spread(&self) -> f64 {
        (self.p75 - self.p25) / self.median
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// A timed figure, or why there is none.
#[derive(Clone, Debug)]
pub enum Outcome {
    Time(Stats),
    Failed(String),
}

impl Outcome {
    pub fn median(&self) -> Option<f64> {
        match self {
            Outcome::Time(s) => Some(s.median),
            Outcome::Failed(_) => None,
        }
    }
}

/// Something to time.
pub trait Runner {
    /// `n` calls in a row; seconds per call by `clock`.
    fn batch(&mut self, n: u64, clock: Clock) -> Result<f64, String>;
}

/// A Rust closure; a failing call stops the measurement with its message.
pub struct Local<F>(pub F);

impl<F: FnMut() -> Result<(), String>> Runner for Local<F> {
    fn batch(&mut self, n: u64, clock: Clock) -> Result<f64, String> {
        let t = clock.now();
        for _ in 0..n {
            (self.0)()?;
        }
        Ok((clock.now() - t) / n as f64)
    }
}

/// A runner that only reports why there is no figure (the implementation could not load the input).
pub fn failing<'a>(why: String) -> Box<dyn Runner + 'a> {
    Box::new(Local(move || -> Result<(), String> { Err(why.clone()) }))
}

struct State {
    batch: u64,
    want: usize,
    samples: Vec<f64>,
}

/// Measure every runner, interleaved sample by sample.
pub fn interleaved(runners: &mut [&mut dyn Runner], plan: &Plan) -> Vec<Outcome> {
    let mut states: Vec<Result<State, String>> = runners.iter_mut().map(|r| calibrate(&mut **r, plan)).collect();
    let k = runners.len();
    let mut round = 0;
    loop {
        let mut pending = false;
        for j in 0..k {
            let i = (j + round) % k;
            let Ok(st) = &mut states[i] else { continue };
            if st.samples.len() >= st.want {
                continue;
            }
            pending = true;
            // One untimed call first: each sample then runs in its own implementation's steady
            // state, not in the heap (free lists, trimmed pages) the previous one left behind.
            if let Err(e) = runners[i].batch(1, plan.clock) {
                states[i] = Err(e);
                continue;
            }
            let Ok(st) = &mut states[i] else { continue };
            match runners[i].batch(st.batch, plan.clock) {
                Ok(t) => st.samples.push(t),
                Err(e) => states[i] = Err(e),
            }
        }
        if !pending {
            break;
        }
        round += 1;
    }
    states
        .into_iter()
        .map(|s| match s {
            Ok(st) => Outcome::Time(Stats::from_samples(st.samples, st.batch)),
            Err(e) => Outcome::Failed(e),
        })
        .collect()
}

/// Warm up (one call, and a second when the first was short) and size the batches.
fn calibrate(r: &mut dyn Runner, plan: &Plan) -> Result<State, String> {
    let mut t = r.batch(1, plan.clock)?;
    if t < 0.2 {
        t = r.batch(1, plan.clock)?;
    }
    if t < 0.01 {
        // Short calls: time a few to get past timer granularity and cold caches.
        let n = ((0.01 / t.max(1e-9)) as u64).clamp(1, 1_000_000);
        t = r.batch(n, plan.clock)?;
    }
    let t = t.max(1e-9);
    let batch = ((plan.sample_secs / t).floor() as u64).max(1);
    let per_sample = batch as f64 * t;
    let mut want = ((plan.target_secs / per_sample).ceil() as usize).clamp(plan.min_n, plan.max_n);
    if per_sample * plan.min_n as f64 > plan.slow_cap_secs {
        want = plan.slow_n;
    }
    Ok(State { batch, want, samples: Vec::with_capacity(want) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        let s = Stats::from_samples(vec![5.0, 1.0, 3.0, 2.0, 4.0], 1);
        assert_eq!(s.median, 3.0);
        assert_eq!(s.p25, 2.0);
        assert_eq!(s.p75, 4.0);
        let s = Stats::from_samples(vec![1.0, 2.0], 1);
        assert_eq!(s.median, 1.5);
    }

    #[test]
    fn interleaves_and_reports_failures() {
        let mut calls = 0u64;
        let mut ok = Local(|| {
            calls += 1;
            Ok(())
        });
        let mut bad = Local(|| Err("nope".to_string()));
        let plan = Plan {
            clock: Clock::Cpu,
            sample_secs: 1e-4,
            target_secs: 1e-3,
            min_n: 3,
            max_n: 10,
            slow_cap_secs: 1.0,
            slow_n: 2,
        };
        let out = interleaved(&mut [&mut ok, &mut bad], &plan);
        assert!(matches!(&out[0], Outcome::Time(s) if s.n >= 3));
        assert!(matches!(&out[1], Outcome::Failed(e) if e == "nope"));
    }
}
