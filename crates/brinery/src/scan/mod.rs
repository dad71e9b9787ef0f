//! Static analysis of pickles: what a file would import and call if Python loaded it, judged
//! against an allowlist. Nothing is imported or executed.
//!
//! The scanner runs the same unpickling machine as the loader with a symbolic builder that
//! records every global (GLOBAL, STACK_GLOBAL operands however they reached the stack, INST,
//! EXT codes) with its opcode offset, every call site (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ,
//! BUILD) with its callable, every persistent id, and nested pickles handed to loaders such as
//! `pickle.loads(b'…')`, which it scans in turn.
//!
//! Containers are recognised by content, not by name: zip archives (PyTorch checkpoints, `.npz`;
//! read tolerantly, every member that holds a pickle is scanned), legacy PyTorch files (several
//! pickles then raw storages), `.npy` files with an object dtype, and any number of pickles back
//! to back.
//!
//! Each file gets a [`Verdict`]: [`Verdict::Safe`] only when every pickle was read to its end and
//! every global is in the [`Policy`]'s allowlist; [`Verdict::Dangerous`] when a global is a known
//! way to run code or reach files, processes or the network (see [`crate::policy::danger`]);
//! [`Verdict::Unknown`] for anything else (other globals, malformed or truncated data, persistent
//! ids the policy does not accept …).
//!
//! ```
//! use brinery::scan::{scan_bytes, ScanOptions, Verdict};
//!
//! // pickle.dumps({'a': [1, 2]}, protocol=2)
//! let benign = b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01]q\x02(K\x01K\x02es.";
//! assert_eq!(scan_bytes(benign, &ScanOptions::default()).verdict, Verdict::Safe);
//!
//! // os.system('echo pwned'), hidden behind STACK_GLOBAL and the memo
//! let evil = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x8c\x0aecho pwned\x85R.";
//! let report = scan_bytes(evil, &ScanOptions::default());
//! assert_eq!(report.verdict, Verdict::Dangerous);
//! let g = &report.pickles[0].globals[0];
//! assert_eq!((g.module.as_str(), g.name.as_str(), g.uses[0].opcode, g.uses[0].offset), ("os", "system", "STACK_GLOBAL", 16));
//! ```

mod container;
mod sarif;
mod symbolic;

pub use sarif::sarif;

use crate::machine;
use crate::options::{Encoding, Limits, LoadOptions};
use crate::policy::Policy;
use crate::read::{Read, SliceRead};
use serde::Serialize;
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use symbolic::{Node, SymBuilder, Tracked};

/// The judgement on a file, a pickle or a finding. Ordered: `Safe < Unknown < Dangerous`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Only allowlisted globals, every pickle complete.
    Safe,
    /// Something outside the allowlist, or data that could not be read to its end.
    Unknown,
    /// A known way to run code or reach files, processes or the network.
    Dangerous,
}

impl Verdict {
    /// `safe`, `unknown` or `dangerous`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Safe => "safe",
            Verdict::Unknown => "unknown",
            Verdict::Dangerous => "dangerous",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a scanned blob turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// One or more pickles back to back.
    Pickle,
    /// A zip archive (PyTorch checkpoint, `.npz`, …).
    Zip,
    /// A legacy (non-zip) PyTorch file: pickles, then raw storages.
    TorchLegacy,
    /// A NumPy `.npy` file.
    Npy,
    /// Not a pickle or a container of pickles.
    Data,
}

/// Scanner settings.
///
/// ```
/// use brinery::{policy::Preset, scan::ScanOptions, Policy};
/// let opts = ScanOptions::default().policy(Policy::new().with(Preset::Data).allow("mylib", "Point"));
/// assert!(opts.get_policy().allows("mylib", "Point"));
/// ```
#[derive(Clone, Debug)]
pub struct ScanOptions {
    policy: Policy,
    limits: Limits,
    max_depth: usize,
    max_records: usize,
    max_member_size: u64,
}

impl Default for ScanOptions {
    /// Every preset ([`Policy::all_presets`]), default limits with at most 2^26 symbolic
    /// objects per pickle, containers and nested pickles 8 deep, 10 000 records of each kind per
    /// pickle, zip members up to 1 GiB once decompressed.
    fn default() -> Self {
        ScanOptions {
            policy: Policy::all_presets(),
            limits: Limits { objects: 1 << 26, ..Limits::default() },
            max_depth: 8,
            max_records: 10_000,
            max_member_size: 1 << 30,
        }
    }
}

impl ScanOptions {
    /// The allowlist to judge globals by (its mode does not matter here).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Resource limits for each pickle.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How deep containers and nested pickles may go.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// How many globals uses, call sites, persistent ids and findings each pickle records (the
    /// totals are still counted, and the verdict still sees everything).
    pub fn max_records(mut self, n: usize) -> Self {
        self.max_records = n.max(1);
        self
    }

    /// The largest zip member (decompressed) that is read.
    pub fn max_member_size(mut self, n: u64) -> Self {
        self.max_member_size = n;
        self
    }

    /// The policy.
    pub fn get_policy(&self) -> &Policy {
        &self.policy
    }
}

/// One use of a global.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GlobalUse {
    /// GLOBAL, STACK_GLOBAL, INST, EXT1, EXT2 or EXT4.
    pub opcode: &'static str,
    /// Offset of that opcode.
    pub offset: u64,
}

/// A global a pickle names, with how the policy grades it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GlobalRef {
    /// Module.
    pub module: String,
    /// Qualified name.
    pub name: String,
    /// `allowed`, `unknown` or `dangerous`.
    pub status: &'static str,
    /// Why it is dangerous (or otherwise notable).
    pub reason: Option<String>,
    /// How many times the pickle names it.
    pub count: u64,
    /// The first uses (up to 100).
    pub uses: Vec<GlobalUse>,
}

/// A call site: REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ or BUILD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallSite {
    /// The opcode.
    pub opcode: &'static str,
    /// Its offset.
    pub offset: u64,
    /// What is called (for BUILD: the object that receives the state).
    pub callable: String,
}

/// A persistent id (PERSID, BINPERSID).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PersistentRef {
    /// Offset of the opcode.
    pub offset: u64,
    /// The id, rendered briefly.
    pub id: String,
    /// Whether the policy accepts it (torch storage references under the torch preset).
    pub allowed: bool,
}

/// One pickle in a blob.
#[derive(Clone, Debug, Serialize)]
pub struct PickleReport {
    /// Where it is: member name, `#` and its index in the stream.
    pub location: String,
    /// Offset of its first byte in its blob.
    pub start: u64,
    /// Offset just past its STOP (or where reading stopped).
    pub end: u64,
    /// The PROTO it declares, if any.
    pub protocol: Option<u8>,
    /// Read to its STOP without error.
    pub complete: bool,
    /// The error that stopped reading.
    pub error: Option<String>,
    /// Its verdict, nested pickles included.
    pub verdict: Verdict,
    /// Every global it names.
    pub globals: Vec<GlobalRef>,
    /// Call sites (the first ones, see [`ScanOptions::max_records`]).
    pub calls: Vec<CallSite>,
    /// Number of call sites.
    pub calls_total: u64,
    /// Persistent ids (the first ones).
    pub persistent_ids: Vec<PersistentRef>,
    /// Number of persistent ids.
    pub persistent_ids_total: u64,
    /// Data handed to loaders (`pickle.loads(b'…')`), scanned.
    pub nested: Vec<Report>,
}

/// Something that keeps a file from being `safe`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `unknown` or `dangerous`.
    pub verdict: Verdict,
    /// `global`, `call`, `build`, `mutation`, `dynamic-global`, `extension`, `persistent-id`,
    /// `nested`, `malformed`, `limit`, `container`, `trailing-data` or `not-pickle`.
    pub kind: &'static str,
    /// Member and pickle (`archive/data.pkl#0`), with ` > ` for nested pickles.
    pub location: String,
    /// Offset in that blob, when there is one.
    pub offset: Option<u64>,
    /// What was found.
    pub message: String,
}

/// A zip member.
#[derive(Clone, Debug, Serialize)]
pub struct Member {
    /// Name from its local header.
    pub name: String,
    /// Offset of its local header.
    pub offset: u64,
    /// Compressed size.
    pub compressed_size: u64,
    /// Decompressed size, when read.
    pub size: u64,
    /// `pickle`, `zip`, `npy`, `torch-legacy` or `data`.
    pub kind: &'static str,
}

/// The result of scanning one blob (a file, a zip member, a nested pickle).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// What it is.
    pub format: Format,
    /// The verdict.
    pub verdict: Verdict,
    /// Its size in bytes.
    pub size: u64,
    /// Every pickle found, members' included.
    pub pickles: Vec<PickleReport>,
    /// Zip members.
    pub members: Vec<Member>,
    /// Everything that keeps it from being safe, nested pickles' included.
    pub findings: Vec<Finding>,
}

impl Report {
    fn new(format: Format, size: u64) -> Self {
        Report { format, verdict: Verdict::Safe, size, pickles: Vec::new(), members: Vec::new(), findings: Vec::new() }
    }

    /// Add a finding and raise the verdict to match.
    pub(crate) fn finding(
        &mut self,
        verdict: Verdict,
        kind: &'static str,
        location: &str,
        offset: Option<u64>,
        message: String,
    ) {
        self.verdict = self.verdict.max(verdict);
        self.findings.push(Finding { verdict, kind, location: location.to_owned(), offset, message });
    }

    /// Take in a pickle and its findings.
    fn add_pickle(&mut self, p: PickleReport, findings: Vec<Finding>) {
        self.verdict = self.verdict.max(p.verdict);
        for f in findings {
            self.verdict = self.verdict.max(f.verdict);
            self.findings.push(f);
        }
        self.pickles.push(p);
    }

    /// Take in a member's or nested blob's report.
    fn absorb(&mut self, other: Report) {
        self.verdict = self.verdict.max(other.verdict);
        self.findings.extend(other.findings);
        self.pickles.extend(other.pickles);
        self.members.extend(other.members);
    }

    /// Whether any pickle was found (false for [`Format::Data`]).
    pub fn is_pickle(&self) -> bool {
        self.format != Format::Data
    }
}

/// Scan a blob held in memory. Never fails: problems are findings; data that is not a pickle
/// gets [`Format::Data`] with a `not-pickle` finding.
pub fn scan_bytes(data: &[u8], opts: &ScanOptions) -> Report {
    scan_named(data, None, opts)
}

/// [`scan_bytes`] for data with a file name, which counts as a hint that it holds a pickle
/// (`.pkl`, `.pt`, `.pth`, `.bin` … ): such a file that fails to parse is a malformed pickle
/// rather than unrelated data. Content decides everything else.
///
/// ```
/// use brinery::scan::{scan_named, Format, ScanOptions};
/// let opts = ScanOptions::default();
/// assert_eq!(scan_named(b"garbage", Some("notes.txt"), &opts).format, Format::Data);
/// assert_eq!(scan_named(b"garbage", Some("model.pt"), &opts).format, Format::Pickle);
/// ```
pub fn scan_named(data: &[u8], name: Option<&str>, opts: &ScanOptions) -> Report {
    let mut cx = Cx::new(opts, data.len() as u64);
    let mut r = cx.blob(data, "", Hint { name }, 0);
    if r.format == Format::Data {
        r.finding(Verdict::Unknown, "not-pickle", "", None, "not a pickle, nor a container of pickles".to_owned());
    }
    r
}

/// Scan a file (read whole). Only I/O errors fail.
pub fn scan_file(path: &Path, opts: &ScanOptions) -> std::io::Result<Report> {
    let data = std::fs::read(path)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    Ok(scan_named(&data, name.as_deref(), opts))
}

/// Whether a file's content looks like a pickle or a container of pickles (for directory walks:
/// files that do not are skipped). Reads what [`scan_bytes`] would.
///
/// ```
/// assert!(brinery::scan::looks_scannable(b"\x80\x04K\x01."));
/// assert!(brinery::scan::looks_scannable(b"PK\x03\x04"));
/// assert!(!brinery::scan::looks_scannable(b"# README\n"));
/// ```
pub fn looks_scannable(data: &[u8]) -> bool {
    scan_bytes(data, &ScanOptions::default()).is_pickle()
}

/// Hints about a blob that content alone cannot give.
#[derive(Clone, Copy)]
pub(crate) struct Hint<'a> {
    /// Its file or member name.
    pub name: Option<&'a str>,
}

fn pickle_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(&lower);
    [".pkl", ".pickle", ".pck", ".p", ".pt", ".pth", ".ckpt", ".bin", ".joblib", ".dill", ".sav", ".data"]
        .iter()
        .any(|ext| base.ends_with(ext))
        || base == "data.pkl"
}

/// What the symbolic root of a pickle was, for container formats that care.
#[derive(Default)]
pub(crate) struct RootInfo {
    pub torch_magic: bool,
    pub int: Option<i64>,
    pub strs: Option<Vec<String>>,
    /// Torch storages this pickle's persistent ids name: key, bytes, class.
    pub storages: Vec<(String, u64, String)>,
}

pub(crate) struct Outcome {
    pub report: PickleReport,
    pub findings: Vec<Finding>,
    pub root: RootInfo,
    /// Saw any global, call or persistent id.
    pub eventful: bool,
}

/// State shared by one top-level scan: nested-pickle dedupe and budget.
pub(crate) struct Cx<'o> {
    pub opts: &'o ScanOptions,
    load: LoadOptions,
    nested_seen: HashSet<u64>,
    nested_budget: u64,
    /// Work left for this scan, in bytes read or inflated: bounds archives whose members
    /// overlap (the same bytes scanned once per member) to a multiple of the input.
    work: u64,
}

const TORCH_MAGIC: u128 = 0x1950a86a20f9469cfc6c;

fn fingerprint(data: &[u8]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::fast::FixedState::with_seed(0x5ca9).build_hasher();
    h.write(data);
    h.write_usize(data.len());
    h.finish()
}

impl<'o> Cx<'o> {
    pub(crate) fn new(opts: &'o ScanOptions, size: u64) -> Self {
        let load = LoadOptions::default().encoding(Encoding::Latin1).limits(opts.limits);
        Cx {
            opts,
            load,
            nested_seen: HashSet::new(),
            nested_budget: size.saturating_mul(4).max(1 << 20),
            work: size.saturating_mul(8).max(1 << 28),
        }
    }

    /// Spend `n` bytes of work; false once the budget is gone.
    pub(crate) fn charge(&mut self, n: u64) -> bool {
        if self.work < n {
            self.work = 0;
            return false;
        }
        self.work -= n;
        true
    }

    pub(crate) fn exhausted(&self) -> bool {
        self.work == 0
    }

    /// Scan a blob of any kind, detected by content.
    pub(crate) fn blob(&mut self, data: &[u8], location: &str, hint: Hint<'_>, depth: usize) -> Report {
        if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") || data.starts_with(b"PK\x07\x08") {
            return container::zip(self, data, location, depth);
        }
        if data.starts_with(b"\x93NUMPY") {
            return container::npy(self, data, location, depth);
        }
        let mut report = self.pickle_stream(data, location, hint, depth);
        let read: u64 = report.pickles.iter().map(|p| p.end.saturating_sub(p.start)).sum();
        self.charge(read.saturating_add(data.len().min(65_557) as u64));
        // A pickle with a zip directory at its end is a zip too, to anything that reads the end.
        if container::has_zip_directory(data) {
            let z = container::zip(self, data, location, depth);
            if report.format == Format::Data {
                report.format = Format::Zip;
            }
            report.absorb(z);
        }
        report
    }

    fn pickle_stream(&mut self, data: &[u8], location: &str, hint: Hint<'_>, depth: usize) -> Report {
        self.stream(data, 0, location, hint, depth, false)
    }

    /// The pickles that start at `start` (in an `.npy` file), read as pickles whatever they hold.
    pub(crate) fn pickle_stream_at(
        &mut self,
        data: &[u8],
        start: u64,
        location: &str,
        depth: usize,
        forced: bool,
    ) -> Report {
        self.stream(data, start, location, Hint { name: None }, depth, forced)
    }

    /// One or more pickles back to back (or a legacy torch file).
    fn stream(
        &mut self,
        data: &[u8],
        start: u64,
        location: &str,
        hint: Hint<'_>,
        depth: usize,
        forced: bool,
    ) -> Report {
        let mut report = Report::new(Format::Pickle, data.len() as u64);
        let mut pos = start;
        let mut outcomes: Vec<Outcome> = Vec::new();
        let mut legacy = false;
        loop {
            if pos >= data.len() as u64 && !outcomes.is_empty() {
                break;
            }
            if depth > self.opts.max_depth {
                report.finding(
                    Verdict::Unknown,
                    "nested",
                    location,
                    Some(pos),
                    "nested too deep: not scanned".to_owned(),
                );
                break;
            }
            let index = outcomes.len();
            let Some(o) = self.pickle(data, pos, location, index, depth) else { break };
            let complete = o.report.complete;
            pos = o.report.end;
            if index == 0 {
                let starts_proto =
                    matches!(data.get(start as usize..), Some([0x80, p, ..]) if *p <= crate::HIGHEST_PROTOCOL);
                let named = hint.name.is_some_and(pickle_name);
                if !(forced || complete || starts_proto || named || o.eventful && self.importable_seen(&o)) {
                    // Not a pickle: the first pickle failed before naming anything Python could
                    // import or calling anything.
                    return Report::new(Format::Data, data.len() as u64);
                }
                legacy = o.root.torch_magic;
            }
            outcomes.push(o);
            if !complete || (legacy && outcomes.len() == 5) {
                break;
            }
        }
        if outcomes.is_empty() {
            if forced {
                report.finding(
                    Verdict::Unknown,
                    "malformed",
                    location,
                    Some(start),
                    "a pickle was expected here, and the data ends".to_owned(),
                );
                return report;
            }
            return Report::new(Format::Data, data.len() as u64);
        }
        if legacy {
            report.format = Format::TorchLegacy;
            let tail = container::torch_legacy_tail(&mut report, data, &outcomes, location);
            for o in outcomes {
                report.add_pickle(o.report, o.findings);
            }
            // Whatever the layout does not account for is read as pickles if it starts like one.
            if let Some(at) = tail.filter(|&at| matches!(data.get(at as usize), Some(0x80))) {
                let rest = self.stream(data, at, &format!("{location}@{at}"), hint, depth + 1, true);
                report.absorb(rest);
            }
            return report;
        }
        for o in outcomes {
            report.add_pickle(o.report, o.findings);
        }
        report
    }

    fn importable_seen(&self, o: &Outcome) -> bool {
        o.report.globals.iter().any(|g| crate::policy::importable(&g.module, &g.name))
            || o.report.calls_total > 0
            || o.report.persistent_ids_total > 0
            || o.findings.iter().any(|f| f.verdict == Verdict::Dangerous)
    }

    /// Scan the pickle that starts at `start`; `None` when `start` is the end of the data.
    pub(crate) fn pickle(
        &mut self,
        data: &[u8],
        start: u64,
        location: &str,
        index: usize,
        depth: usize,
    ) -> Option<Outcome> {
        let at = Cell::new((start, 0u8));
        let mut inner = SliceRead::new(data);
        if inner.take(start).is_err() {
            return None;
        }
        let mut r = Tracked { inner, at: &at };
        let opts = self.opts;
        let mut b = SymBuilder::new(&opts.policy, &at, opts.limits.objects, opts.max_records);
        let result = machine::run(&mut r, &mut b, &self.load);
        let end = r.offset();
        let loc = format!("{location}#{index}");
        let (root, error) = match result {
            Ok(None) => return None,
            Ok(Some(root)) => (Some(root), None),
            Err(e) => (None, Some(e)),
        };
        let protocol = match data.get(start as usize..start as usize + 2) {
            Some([0x80, p]) => Some(*p),
            _ => None,
        };
        let mut findings = Vec::new();
        let mut verdict = Verdict::Safe;
        let mut push = |f: Finding, verdict: &mut Verdict| {
            *verdict = (*verdict).max(f.verdict);
            findings.push(f);
        };
        for g in &b.globals {
            let v = match g.status {
                "allowed" => continue,
                "dangerous" => Verdict::Dangerous,
                _ => Verdict::Unknown,
            };
            let why = g.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            let times = if g.count > 1 { format!(" ({} uses)", g.count) } else { String::new() };
            let op = g.uses.first().map_or("GLOBAL", |u| u.opcode);
            let message = format!("{op} {}.{} is not in the allowlist{why}{times}", g.module, g.name);
            let offset = g.uses.first().map(|u| u.offset);
            push(Finding { verdict: v, kind: "global", location: loc.clone(), offset, message }, &mut verdict);
        }
        for e in &b.events {
            let f = Finding {
                verdict: e.verdict,
                kind: e.kind,
                location: loc.clone(),
                offset: Some(e.offset),
                message: e.message.clone(),
            };
            push(f, &mut verdict);
        }
        let dropped = b.events_total.saturating_sub(b.events.len() as u64);
        if b.events.len() >= opts.max_records && dropped > 0 {
            let message = format!("{dropped} more findings of the kinds above are not listed");
            push(
                Finding { verdict: Verdict::Unknown, kind: "limit", location: loc.clone(), offset: None, message },
                &mut verdict,
            );
        }
        if let Some(e) = &error {
            let kind = if matches!(e.kind(), crate::ErrorKind::Limit { .. }) { "limit" } else { "malformed" };
            let message = format!("reading stopped: {e}; what came before is listed, nothing after");
            push(
                Finding { verdict: Verdict::Unknown, kind, location: loc.clone(), offset: e.offset(), message },
                &mut verdict,
            );
        }
        // Root facts for container formats.
        let mut info = RootInfo::default();
        if let Some(root) = root {
            match b.node(root) {
                Some(Node::BigInt(n)) => info.torch_magic = u128::try_from(n).is_ok_and(|v| v == TORCH_MAGIC),
                Some(Node::Int(i)) => info.int = Some(*i),
                Some(Node::List(items)) => {
                    info.strs = items
                        .iter()
                        .map(|&s| match b.node(s) {
                            Some(Node::Str(t)) => Some(t.to_string()),
                            _ => None,
                        })
                        .collect();
                }
                _ => {}
            }
        }
        for n in &b.nodes {
            if let Node::Pid(pid) = n {
                if let Some(s) = b.torch_storage_pid(*pid, false) {
                    info.storages.push(s);
                }
            }
        }
        // Nested pickles.
        let mut nested = Vec::new();
        let requests = std::mem::take(&mut b.nested);
        for req in requests {
            let nloc = format!("{loc} > {}@{}", req.loader, req.offset);
            let bytes: Option<Cow<'_, [u8]>> = b.bytes_of(req.arg, 0);
            match bytes {
                None => push(
                    Finding {
                        verdict: Verdict::Unknown,
                        kind: "nested",
                        location: loc.clone(),
                        offset: Some(req.offset),
                        message: format!("{} loads data that is only known at load time", req.loader),
                    },
                    &mut verdict,
                ),
                Some(bytes) => {
                    let fp = fingerprint(&bytes);
                    if !self.nested_seen.insert(fp) {
                        continue;
                    }
                    if depth + 1 > opts.max_depth || bytes.len() as u64 > self.nested_budget {
                        let message = format!(
                            "{} loads {} bytes that were not scanned: nesting too deep or too large",
                            req.loader,
                            bytes.len()
                        );
                        push(
                            Finding {
                                verdict: Verdict::Unknown,
                                kind: "nested",
                                location: loc.clone(),
                                offset: Some(req.offset),
                                message,
                            },
                            &mut verdict,
                        );
                        continue;
                    }
                    self.nested_budget -= bytes.len() as u64;
                    let mut r = self.blob(&bytes, &nloc, Hint { name: None }, depth + 1);
                    if r.format == Format::Data {
                        r.finding(
                            Verdict::Unknown,
                            "not-pickle",
                            &nloc,
                            None,
                            format!("{} loads {} bytes that are not a pickle", req.loader, bytes.len()),
                        );
                    }
                    for f in &r.findings {
                        push(f.clone(), &mut verdict);
                    }
                    nested.push(r);
                }
            }
        }
        let eventful = !b.globals.is_empty() || b.calls_total > 0 || b.pids_total > 0;
        let report = PickleReport {
            location: loc,
            start,
            end,
            protocol,
            complete: error.is_none(),
            error: error.map(|e| e.to_string()),
            verdict,
            globals: b.globals,
            calls: b.calls,
            calls_total: b.calls_total,
            persistent_ids: b.pids,
            persistent_ids_total: b.pids_total,
            nested,
        };
        Some(Outcome { report, findings, root: info, eventful })
    }
}
