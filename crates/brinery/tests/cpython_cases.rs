//! Malformed-input and edge cases from CPython 3.11's unpickling test suite
//! (`Lib/test/pickletester.py`, `AbstractUnpickleTests`), rewritten as brinery tests, plus the
//! hostile-input cases a Rust reader has to survive: every prefix of a valid pickle, every byte
//! that is no opcode, declared lengths far beyond the input, and nesting a million levels deep.
//!
//! Tests are named after the CPython test they port (`test_bad_stack` -> `bad_stack`). The pickle
//! byte strings are CPython's test data; the expectations are what CPython's C unpickler does,
//! and a comment says so wherever CPython's C and Python unpicklers disagree or brinery
//! deliberately differs.
//!
//! Cases that could take the whole process down (a stack overflow, an aborting allocation) run
//! in a child copy of this test binary (see [`isolated`]), so they fail alone and say why.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::time::{Duration, Instant};

use brinery::{Encoding, Error, Graph, LoadOptions, Object, Value};

// ---------------------------------------------------------------------------------------------
// The brinery API, in one place: adjust these if a name changes.
// ---------------------------------------------------------------------------------------------

fn load(data: &[u8]) -> Result<Graph, Error> {
    brinery::loads(data)
}

fn load_with_encoding(data: &[u8], encoding: Encoding) -> Result<Graph, Error> {
    brinery::loads_with(data, &LoadOptions::default().encoding(encoding))
}

fn error_offset(e: &Error) -> Option<u64> {
    e.offset()
}

fn error_opcode(e: &Error) -> Option<&'static str> {
    e.opcode()
}

fn root(g: &Graph) -> Value {
    g.root()
}

fn object(g: &Graph, v: Value) -> Option<&Object> {
    match v {
        Value::Ref(id) => Some(g.get(id)),
        _ => None,
    }
}

/// The text of a str without lone surrogates.
fn text(g: &Graph, v: Value) -> Option<String> {
    match object(g, v)? {
        Object::Str(s) => s.as_str().map(str::to_owned),
        _ => None,
    }
}

/// True for a str that holds lone surrogates (not representable as a Rust `str`).
fn is_surrogate_str(g: &Graph, v: Value) -> bool {
    matches!(object(g, v), Some(Object::Str(s)) if s.as_str().is_none())
}

fn bytes(g: &Graph, v: Value) -> Option<&[u8]> {
    match object(g, v)? {
        Object::Bytes(b) => Some(b),
        _ => None,
    }
}

fn bytearray(g: &Graph, v: Value) -> Option<&[u8]> {
    match object(g, v)? {
        Object::ByteArray(b) => Some(b),
        _ => None,
    }
}

/// An int of any size (inline or big) as decimal text.
fn int_decimal(g: &Graph, v: Value) -> Option<String> {
    match v {
        Value::Int(i) => Some(i.to_string()),
        Value::Ref(_) => match object(g, v)? {
            Object::Int(n) => Some(n.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn list_items(g: &Graph, v: Value) -> Option<&[Value]> {
    match object(g, v)? {
        Object::List(items) => Some(items),
        _ => None,
    }
}

fn tuple_items(g: &Graph, v: Value) -> Option<&[Value]> {
    match object(g, v)? {
        Object::Tuple(items) => Some(items),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Checking helpers.
// ---------------------------------------------------------------------------------------------

/// Python-style rendering of a pickle, for failure messages.
fn show(data: &[u8]) -> String {
    const SHOWN: usize = 72;
    let mut s = String::from("b'");
    for &b in data.iter().take(SHOWN) {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\'' => s.push_str("\\'"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('\'');
    if data.len() > SHOWN {
        s.push_str(&format!("... ({} bytes)", data.len()));
    }
    s
}

enum Outcome {
    Loaded(Graph),
    Failed(Error),
    Panicked(String),
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

fn attempt_with(data: &[u8], encoding: Option<Encoding>) -> Outcome {
    let result = catch_unwind(AssertUnwindSafe(|| match encoding {
        None => load(data),
        Some(enc) => load_with_encoding(data, enc),
    }));
    match result {
        Ok(Ok(g)) => Outcome::Loaded(g),
        Ok(Err(e)) => Outcome::Failed(e),
        Err(p) => Outcome::Panicked(panic_text(p)),
    }
}

fn attempt(data: &[u8]) -> Outcome {
    attempt_with(data, None)
}

/// What is wrong with an error from reading `data`, if anything: it must have a non-empty
/// message that names the offset, and the offset must lie within the input.
fn error_problem(e: &Error, data: &[u8]) -> Option<String> {
    let msg = e.to_string();
    if msg.trim().is_empty() {
        return Some("error with an empty message".to_owned());
    }
    if !mentions_offset(e) {
        return Some(format!("error message does not mention the offset: {msg:?}"));
    }
    match error_offset(e) {
        None => Some(format!("error has no offset: {msg:?}")),
        Some(off) if off > data.len() as u64 => {
            Some(format!("offset {off} is past the end of the {}-byte input: {msg:?}", data.len()))
        }
        Some(_) => None,
    }
}

fn mentions_offset(e: &Error) -> bool {
    e.to_string().contains("offset")
}

/// `Ok(error)` when loading `data` fails properly, otherwise a description of what happened.
fn check_fails(data: &[u8]) -> Result<Error, String> {
    check_fails_with(data, None)
}

fn check_fails_with(data: &[u8], encoding: Option<Encoding>) -> Result<Error, String> {
    match attempt_with(data, encoding) {
        Outcome::Failed(e) => match error_problem(&e, data) {
            None => Ok(e),
            Some(p) => Err(format!("{}: {p}", show(data))),
        },
        Outcome::Loaded(g) => {
            Err(format!("{}: loaded without error (root = {:?}), expected an error", show(data), root(&g)))
        }
        Outcome::Panicked(m) => Err(format!("{}: PANICKED: {m}", show(data))),
    }
}

/// Load `data`, which must fail with a proper error; returns the error.
#[track_caller]
fn expect_error(data: &[u8]) -> Error {
    check_fails(data).unwrap_or_else(|p| panic!("{p}"))
}

#[track_caller]
fn expect_error_with(data: &[u8], encoding: Encoding) -> Error {
    check_fails_with(data, Some(encoding)).unwrap_or_else(|p| panic!("{p}"))
}

/// Every case must fail with a proper error. All cases are tried; the report lists every one
/// that did not.
#[track_caller]
fn expect_all_fail(what: &str, cases: &[&[u8]]) {
    let problems: Vec<String> = cases.iter().filter_map(|c| check_fails(c).err()).collect();
    assert!(
        problems.is_empty(),
        "{what}: {} of {} cases did not fail properly:\n  {}",
        problems.len(),
        cases.len(),
        problems.join("\n  ")
    );
}

/// Load `data`, which must succeed.
#[track_caller]
fn expect_ok(data: &[u8]) -> Graph {
    expect_ok_with_opt(data, None)
}

#[track_caller]
fn expect_ok_with(data: &[u8], encoding: Encoding) -> Graph {
    expect_ok_with_opt(data, Some(encoding))
}

#[track_caller]
fn expect_ok_with_opt(data: &[u8], encoding: Option<Encoding>) -> Graph {
    match attempt_with(data, encoding) {
        Outcome::Loaded(g) => g,
        Outcome::Failed(e) => panic!("{}: expected to load, got error: {e}", show(data)),
        Outcome::Panicked(m) => panic!("{}: expected to load, PANICKED: {m}", show(data)),
    }
}

#[track_caller]
fn expect_text(data: &[u8], want: &str) {
    let g = expect_ok(data);
    assert_eq!(text(&g, root(&g)).as_deref(), Some(want), "{}", show(data));
}

#[track_caller]
fn expect_root(data: &[u8], want: Value) {
    let g = expect_ok(data);
    assert_eq!(root(&g), want, "{}", show(data));
}

/// A load that may succeed or fail (CPython's two unpicklers disagree, or brinery may refuse by
/// policy), but must not panic and, when it fails, must fail properly. Returns the graph if any.
#[track_caller]
fn expect_no_panic(data: &[u8]) -> Option<Graph> {
    match attempt(data) {
        Outcome::Loaded(g) => Some(g),
        Outcome::Failed(e) => {
            if let Some(p) = error_problem(&e, data) {
                panic!("{}: {p}", show(data));
            }
            None
        }
        Outcome::Panicked(m) => panic!("{}: PANICKED: {m}", show(data)),
    }
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// ---------------------------------------------------------------------------------------------
// Process isolation and allocation accounting for the hostile-size cases.
// ---------------------------------------------------------------------------------------------

/// Wraps the system allocator to record, per thread, the largest single allocation, and refuses
/// any single allocation above [`REFUSE_ABOVE`] (so a reader that trusts a declared length fails
/// its test instead of paging the machine to death).
struct TrackingAlloc;

const REFUSE_ABOVE: usize = 1 << 30;

thread_local! {
    static LARGEST_ALLOC: Cell<usize> = const { Cell::new(0) };
}

fn note_alloc(size: usize) {
    let _ = LARGEST_ALLOC.try_with(|c| {
        if size > c.get() {
            c.set(size)
        }
    });
}

unsafe impl GlobalAlloc for TrackingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        if layout.size() > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_alloc(layout.size());
        if layout.size() > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_alloc(new_size);
        if new_size > REFUSE_ABOVE {
            return std::ptr::null_mut();
        }
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: TrackingAlloc = TrackingAlloc;

/// Run `f` and report the largest single allocation it made on this thread.
fn largest_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST_ALLOC.with(|c| c.set(0));
    let r = f();
    (r, LARGEST_ALLOC.with(|c| c.get()))
}

/// The most a hostile-length case may allocate at once: far below any declared length used here
/// (the smallest is 2 GiB), far above what a few bytes of real input need.
const SMALL_ALLOC_LIMIT: usize = 16 << 20;
/// How long a hostile-length case may take.
const QUICK: Duration = Duration::from_secs(2);

const CHILD_ENV: &str = "BRINERY_CPYTHON_CASES_CHILD";

/// Run `body` in a child copy of this test binary (on a thread with the usual 2 MiB stack), so
/// a stack overflow or an aborted allocation fails this test alone, with the child's output.
fn isolated(name: &str, body: fn()) {
    if std::env::var(CHILD_ENV).as_deref() == Ok(name) {
        let worker = std::thread::Builder::new()
            .name(name.to_owned())
            .stack_size(2 << 20)
            .spawn(body)
            .expect("spawn worker thread");
        if let Err(p) = worker.join() {
            std::panic::resume_unwind(p);
        }
        return;
    }
    let exe = std::env::current_exe().expect("path of the test binary");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .output()
        .expect("run the test binary as a child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A crash prints a backtrace; its first lines say enough.
    let stderr: String = stderr.lines().take(40).collect::<Vec<_>>().join("\n");
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "isolated run of `{name}` failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
}

/// The case must fail properly, quickly, and without a large allocation.
#[track_caller]
fn expect_cheap_error(data: &[u8]) {
    let start = Instant::now();
    let (outcome, largest) = largest_allocation(|| check_fails(data));
    let took = start.elapsed();
    if let Err(p) = outcome {
        panic!("{p}");
    }
    assert!(
        largest <= SMALL_ALLOC_LIMIT,
        "{}: failed as it should, but allocated {largest} bytes at once on the way",
        show(data)
    );
    assert!(took <= QUICK, "{}: took {took:?} to fail", show(data));
}

/// The case may load or fail, but must not panic, must be quick and must not allocate much.
#[track_caller]
fn expect_cheap_outcome(data: &[u8]) -> Option<Graph> {
    let start = Instant::now();
    let (g, largest) = largest_allocation(|| expect_no_panic(data));
    let took = start.elapsed();
    assert!(
        largest <= SMALL_ALLOC_LIMIT,
        "{}: allocated {largest} bytes at once (outcome: {})",
        show(data),
        if g.is_some() { "loaded" } else { "error" }
    );
    assert!(took <= QUICK, "{}: took {took:?}", show(data));
    g
}

// ---------------------------------------------------------------------------------------------
// test_bad_stack: opcodes that find too few items on the stack.
// ---------------------------------------------------------------------------------------------

/// (pickle, offset of the failing opcode, its name).
const BAD_STACK: &[(&[u8], u64, &str)] = &[
    (b".", 0, "STOP"),
    (b"0", 0, "POP"),
    (b"1", 0, "POP_MARK"),
    (b"2", 0, "DUP"),
    (b"(2", 1, "DUP"),
    (b"R", 0, "REDUCE"),
    (b")R", 1, "REDUCE"),
    (b"a", 0, "APPEND"),
    (b"Na", 1, "APPEND"),
    (b"b", 0, "BUILD"),
    (b"Nb", 1, "BUILD"),
    (b"d", 0, "DICT"),
    (b"e", 0, "APPENDS"),
    (b"(e", 1, "APPENDS"),
    (b"ibuiltins\nlist\n", 0, "INST"),
    (b"l", 0, "LIST"),
    (b"o", 0, "OBJ"),
    (b"(o", 1, "OBJ"),
    (b"p1\n", 0, "PUT"),
    (b"q\x00", 0, "BINPUT"),
    (b"r\x00\x00\x00\x00", 0, "LONG_BINPUT"),
    (b"s", 0, "SETITEM"),
    (b"Ns", 1, "SETITEM"),
    (b"NNs", 2, "SETITEM"),
    (b"t", 0, "TUPLE"),
    (b"u", 0, "SETITEMS"),
    (b"(u", 1, "SETITEMS"),
    (b"}(Nu", 3, "SETITEMS"),
    (b"\x81", 0, "NEWOBJ"),
    (b")\x81", 1, "NEWOBJ"),
    (b"\x85", 0, "TUPLE1"),
    (b"\x86", 0, "TUPLE2"),
    (b"N\x86", 1, "TUPLE2"),
    (b"\x87", 0, "TUPLE3"),
    (b"N\x87", 1, "TUPLE3"),
    (b"NN\x87", 2, "TUPLE3"),
    (b"\x90", 0, "ADDITEMS"),
    (b"(\x90", 1, "ADDITEMS"),
    (b"\x91", 0, "FROZENSET"),
    (b"\x92", 0, "NEWOBJ_EX"),
    (b")}\x92", 2, "NEWOBJ_EX"),
    (b"\x93", 0, "STACK_GLOBAL"),
    (b"Vlist\n\x93", 6, "STACK_GLOBAL"),
    (b"\x94", 0, "MEMOIZE"),
];

#[test]
fn bad_stack() {
    let cases: Vec<&[u8]> = BAD_STACK.iter().map(|c| c.0).collect();
    expect_all_fail("bad_stack", &cases);
}

/// Each failure is reported at the opcode that found the stack short, not at the end of input.
#[test]
fn bad_stack_offsets_and_opcodes() {
    check_positions("bad_stack", BAD_STACK);
}

fn check_positions(what: &str, cases: &[(&[u8], u64, &str)]) {
    let mut problems = Vec::new();
    for &(data, offset, opcode) in cases {
        match check_fails(data) {
            Err(p) => problems.push(p),
            Ok(e) => {
                if error_offset(&e) != Some(offset) || error_opcode(&e) != Some(opcode) {
                    problems.push(format!(
                        "{}: expected offset {offset} ({opcode}), got offset {:?} ({:?}): {e}",
                        show(data),
                        error_offset(&e),
                        error_opcode(&e)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{what}: wrong positions:\n  {}", problems.join("\n  "));
}

// ---------------------------------------------------------------------------------------------
// test_bad_mark: opcodes that find a MARK where they need an item.
// ---------------------------------------------------------------------------------------------

const BAD_MARK: &[(&[u8], u64, &str)] = &[
    (b"N(.", 2, "STOP"),
    (b"N(2", 2, "DUP"),
    (b"cbuiltins\nlist\n)(R", 17, "REDUCE"),
    (b"cbuiltins\nlist\n()R", 17, "REDUCE"),
    (b"]N(a", 3, "APPEND"),
    (b"cbuiltins\nValueError\n)R}(b", 25, "BUILD"),
    (b"cbuiltins\nValueError\n)R(}b", 25, "BUILD"),
    (b"(Nd", 2, "DICT"),
    (b"N(p1\n", 2, "PUT"),
    (b"N(q\x00", 2, "BINPUT"),
    (b"N(r\x00\x00\x00\x00", 2, "LONG_BINPUT"),
    (b"}NN(s", 4, "SETITEM"),
    (b"}N(Ns", 4, "SETITEM"),
    (b"}(NNs", 4, "SETITEM"),
    (b"}((u", 3, "SETITEMS"),
    (b"cbuiltins\nlist\n)(\x81", 17, "NEWOBJ"),
    (b"cbuiltins\nlist\n()\x81", 17, "NEWOBJ"),
    (b"N(\x85", 2, "TUPLE1"),
    (b"NN(\x86", 3, "TUPLE2"),
    (b"N(N\x86", 3, "TUPLE2"),
    (b"NNN(\x87", 4, "TUPLE3"),
    (b"NN(N\x87", 4, "TUPLE3"),
    (b"N(NN\x87", 4, "TUPLE3"),
    (b"]((\x90", 3, "ADDITEMS"),
    (b"cbuiltins\nlist\n)}(\x92", 18, "NEWOBJ_EX"),
    (b"cbuiltins\nlist\n)(}\x92", 18, "NEWOBJ_EX"),
    (b"cbuiltins\nlist\n()}\x92", 18, "NEWOBJ_EX"),
    (b"Vbuiltins\n(Vlist\n\x93", 17, "STACK_GLOBAL"),
    (b"Vbuiltins\nVlist\n(\x93", 17, "STACK_GLOBAL"),
    (b"N(\x94", 2, "MEMOIZE"),
];

#[test]
fn bad_mark() {
    let cases: Vec<&[u8]> = BAD_MARK.iter().map(|c| c.0).collect();
    expect_all_fail("bad_mark", &cases);
}

#[test]
fn bad_mark_offsets_and_opcodes() {
    check_positions("bad_mark", BAD_MARK);
}

// ---------------------------------------------------------------------------------------------
// Misplaced MARK: opcodes that need a MARK and find none (CPython: "could not find MARK").
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_mark() {
    let cases: &[(&[u8], u64, &str)] = &[
        (b"Nt.", 1, "TUPLE"),
        (b"Nl.", 1, "LIST"),
        (b"Nd.", 1, "DICT"),
        (b"}NNu.", 3, "SETITEMS"),
        (b"]Ne.", 2, "APPENDS"),
        (b"\x8fN\x90.", 2, "ADDITEMS"),
        (b"N\x91.", 1, "FROZENSET"),
        (b"N1.", 1, "POP_MARK"),
        (b"ibuiltins\nlist\n.", 0, "INST"),
        (b"cbuiltins\nlist\no.", 15, "OBJ"),
        (b"\x80\x02NN\x86t.", 5, "TUPLE"),
        // The one MARK is used up by the first TUPLE.
        (b"(Nt]Ne.", 5, "APPENDS"),
    ];
    let data: Vec<&[u8]> = cases.iter().map(|c| c.0).collect();
    expect_all_fail("missing_mark", &data);
    check_positions("missing_mark", cases);
}

// ---------------------------------------------------------------------------------------------
// POP / POP_MARK / DUP on an empty stack, STOP with an empty or crowded stack.
// ---------------------------------------------------------------------------------------------

#[test]
fn pop_dup_on_empty_stack() {
    let cases: &[(&[u8], u64, &str)] = &[
        (b"0N.", 0, "POP"),
        (b"1N.", 0, "POP_MARK"),
        (b"2N.", 0, "DUP"),
        (b"\x80\x020N.", 2, "POP"),
        (b"N00N.", 2, "POP"),
        (b"(12N.", 2, "DUP"),
        (b"(11N.", 2, "POP_MARK"),
    ];
    let data: Vec<&[u8]> = cases.iter().map(|c| c.0).collect();
    expect_all_fail("pop_dup_on_empty_stack", &data);
    check_positions("pop_dup_on_empty_stack", cases);
}

/// CPython's POP removes the topmost MARK when no item sits above it, and POP_MARK discards the
/// items above the MARK; both unpicklers accept these.
#[test]
fn pop_takes_a_bare_mark() {
    expect_root(b"(0N.", Value::None);
    expect_root(b"(1N.", Value::None);
    expect_root(b"N(1.", Value::None);
    expect_root(b"N(K\x01K\x021.", Value::None);
    expect_root(b"K\x07((01.", Value::Int(7));
}

#[test]
fn stop_with_empty_stack() {
    let cases: &[(&[u8], u64, &str)] = &[
        (b".", 0, "STOP"),
        (b"\x80\x02.", 2, "STOP"),
        (b"N0.", 2, "STOP"),
        (b"(N1.", 3, "STOP"),
        (b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00.", 11, "STOP"),
    ];
    let data: Vec<&[u8]> = cases.iter().map(|c| c.0).collect();
    expect_all_fail("stop_with_empty_stack", &data);
    check_positions("stop_with_empty_stack", cases);
}

/// STOP with more than one item on the stack, or with a MARK still open: CPython (both
/// unpicklers) returns the top item and ignores whatever lies below it.
#[test]
fn stop_with_extra_items() {
    expect_root(b"NN.", Value::None);
    expect_root(b"K\x01K\x02.", Value::Int(2));
    expect_root(b"N(N.", Value::None);
    expect_root(b"(N.", Value::None);
    expect_root(b"(((K\x03.", Value::Int(3));
    let g = expect_ok(b"\x80\x04]\x8c\x01a.");
    assert_eq!(text(&g, root(&g)).as_deref(), Some("a"));
}

// ---------------------------------------------------------------------------------------------
// test_truncated_data: every cut-off opcode, and every prefix of valid pickles.
// ---------------------------------------------------------------------------------------------

const TRUNCATED: &[&[u8]] = &[
    b"",
    b"N",
    b"B", // BINBYTES
    b"B\x03\x00\x00",
    b"B\x03\x00\x00\x00",
    b"B\x03\x00\x00\x00ab",
    b"C", // SHORT_BINBYTES
    b"C\x03",
    b"C\x03ab",
    b"F", // FLOAT
    b"F0.0",
    b"F0.00",
    b"G", // BINFLOAT
    b"G\x00\x00\x00\x00\x00\x00\x00",
    b"I", // INT
    b"I0",
    b"J", // BININT
    b"J\x00\x00\x00",
    b"K", // BININT1
    b"L", // LONG
    b"L0",
    b"L10",
    b"L0L",
    b"L10L",
    b"M", // BININT2
    b"M\x00",
    b"S", // STRING
    b"S'abc'",
    b"T", // BINSTRING
    b"T\x03\x00\x00",
    b"T\x03\x00\x00\x00",
    b"T\x03\x00\x00\x00ab",
    b"U", // SHORT_BINSTRING
    b"U\x03",
    b"U\x03ab",
    b"V", // UNICODE
    b"Vabc",
    b"X", // BINUNICODE
    b"X\x03\x00\x00",
    b"X\x03\x00\x00\x00",
    b"X\x03\x00\x00\x00ab",
    b"(c", // GLOBAL
    b"(cbuiltins",
    b"(cbuiltins\n",
    b"(cbuiltins\nlist",
    b"Ng", // GET
    b"Ng0",
    b"(i", // INST
    b"(ibuiltins",
    b"(ibuiltins\n",
    b"(ibuiltins\nlist",
    b"Nh", // BINGET
    b"Nj", // LONG_BINGET
    b"Nj\x00\x00\x00",
    b"Np", // PUT
    b"Np0",
    b"Nq", // BINPUT
    b"Nr", // LONG_BINPUT
    b"Nr\x00\x00\x00",
    b"\x80", // PROTO
    b"\x82", // EXT1
    b"\x83", // EXT2
    b"\x84\x01",
    b"\x84", // EXT4
    b"\x84\x01\x00\x00",
    b"\x8a", // LONG1
    b"\x8b", // LONG4
    b"\x8b\x00\x00\x00",
    b"\x8c", // SHORT_BINUNICODE
    b"\x8c\x03",
    b"\x8c\x03ab",
    b"\x8d", // BINUNICODE8
    b"\x8d\x03\x00\x00\x00\x00\x00\x00",
    b"\x8d\x03\x00\x00\x00\x00\x00\x00\x00",
    b"\x8d\x03\x00\x00\x00\x00\x00\x00\x00ab",
    b"\x8e", // BINBYTES8
    b"\x8e\x03\x00\x00\x00\x00\x00\x00",
    b"\x8e\x03\x00\x00\x00\x00\x00\x00\x00",
    b"\x8e\x03\x00\x00\x00\x00\x00\x00\x00ab",
    b"\x96", // BYTEARRAY8
    b"\x96\x03\x00\x00\x00\x00\x00\x00",
    b"\x96\x03\x00\x00\x00\x00\x00\x00\x00",
    b"\x96\x03\x00\x00\x00\x00\x00\x00\x00ab",
    b"\x95", // FRAME
    b"\x95\x02\x00\x00\x00\x00\x00\x00",
    b"\x95\x02\x00\x00\x00\x00\x00\x00\x00",
    b"\x95\x02\x00\x00\x00\x00\x00\x00\x00N",
];

#[test]
fn truncated_data() {
    expect_all_fail("truncated_data", TRUNCATED);
}

fn check_every_prefix(what: &str, pickles: &[&[u8]]) {
    let mut problems = Vec::new();
    for (n, full) in pickles.iter().enumerate() {
        match attempt(full) {
            Outcome::Loaded(_) => {}
            Outcome::Failed(e) => problems.push(format!("{what}[{n}]: the complete pickle does not load: {e}")),
            Outcome::Panicked(m) => problems.push(format!("{what}[{n}]: the complete pickle PANICKED: {m}")),
        }
        for cut in 0..full.len() {
            if let Err(p) = check_fails(&full[..cut]) {
                problems.push(format!("{what}[{n}] cut at {cut}: {p}"));
            }
        }
    }
    // Keep the message readable when a whole family of prefixes fails the same way.
    let shown = problems.len().min(40);
    assert!(
        problems.is_empty(),
        "{what}: {} problems (first {shown} shown):\n  {}",
        problems.len(),
        problems[..shown].join("\n  ")
    );
}

/// Every proper prefix of a valid pickle (protocols 0-5, plus Python 2 style streams) must fail
/// with an error, never panic and never load.
#[test]
fn truncated_data_every_prefix() {
    check_every_prefix("valid pickles", VALID_PLAIN);
}

/// The same for pickles that reach bytes, set and bytearray through GLOBAL/STACK_GLOBAL + REDUCE.
#[test]
fn truncated_data_every_prefix_with_globals() {
    check_every_prefix("pickles with globals", VALID_WITH_GLOBALS);
}

// ---------------------------------------------------------------------------------------------
// STRING quoting and escapes: test_badly_escaped_string, test_badly_quoted_string,
// test_correctly_quoted_string.
// ---------------------------------------------------------------------------------------------

#[test]
fn badly_escaped_string() {
    expect_error(b"S'\\'\n.");
    // A \x escape with one hex digit.
    expect_error(b"S'\\x4'\n.");
}

#[test]
fn badly_quoted_string() {
    expect_all_fail(
        "badly_quoted_string",
        &[
            b"S'\n.",
            b"S\"\n.",
            b"S' \n.",
            b"S\" \n.",
            b"S'\"\n.",
            b"S\"'\n.",
            b"S' ' \n.",
            b"S\" \" \n.",
            b"S ''\n.",
            b"S \"\"\n.",
            b"S \n.",
            b"S\n.",
            b"S.",
            b"Ssans quotes\n.",
            // Python 3 strips only the newline: a trailing space or CR leaves the quotes unmatched.
            b"S'abc' \n.",
            b"S'abc'\r\n.",
        ],
    );
}

#[test]
fn correctly_quoted_string() {
    expect_text(b"S''\n.", "");
    expect_text(b"S\"\"\n.", "");
    expect_text(b"S\"\\n\"\n.", "\n");
    expect_text(b"S'\\n'\n.", "\n");
    // Only the outer quotes delimit; an unknown escape is kept as is (both as CPython).
    expect_text(b"S'a'b'\n.", "a'b");
    expect_text(b"S'\\q'\n.", "\\q");
}

// ---------------------------------------------------------------------------------------------
// Memo: test_negative_put, test_negative_32b_binput, test_get / test_binget / test_long_binget /
// test_dup, test_misc_get, and a GET of an index never PUT.
// ---------------------------------------------------------------------------------------------

#[test]
fn negative_put() {
    let e = expect_error(b"Va\np-1\n.");
    assert_eq!(error_offset(&e), Some(3), "{e}");
    expect_error(b"Va\np-1\ng-1\n.");
    expect_error(b"Va\np0\ng-1\n.");
}

/// On 32-bit CPython a LONG_BINPUT index of 2**32-1 is refused; on 64-bit the C unpickler tries
/// to grow its memo array to that size (MemoryError) and the Python one stores it in a dict and
/// returns 'a'. brinery may return 'a' or an error, but must not allocate for the index.
#[test]
fn negative_32b_binput() {
    isolated("negative_32b_binput", || {
        for data in [
            &b"\x80\x03X\x01\x00\x00\x00ar\xff\xff\xff\xff."[..],
            b"\x80\x03X\x01\x00\x00\x00ar\xff\xff\xff\xff0j\xff\xff\xff\xff.",
            b"Va\np4294967295\n.",
            b"Va\np4294967295\n0g4294967295\n.",
            b"Va\np18446744073709551616\n.",
        ] {
            if let Some(g) = expect_cheap_outcome(data) {
                assert_eq!(text(&g, root(&g)).as_deref(), Some("a"), "{}", show(data));
            }
        }
    });
}

/// `(` `(` LIST PUT GET TUPLE: a tuple holding the same list twice.
#[track_caller]
fn expect_same_list_twice(data: &[u8]) {
    let g = expect_ok(data);
    let items = tuple_items(&g, root(&g)).unwrap_or_else(|| panic!("{}: root is not a tuple", show(data)));
    assert_eq!(items.len(), 2, "{}", show(data));
    assert_eq!(items[0], items[1], "{}: the two items must be one object", show(data));
    assert_eq!(list_items(&g, items[0]).map(<[Value]>::len), Some(0), "{}", show(data));
}

#[test]
fn get() {
    expect_same_list_twice(b"((lp100000\ng100000\nt.");
}

#[test]
fn binget() {
    expect_same_list_twice(b"(]q\xffh\xfft.");
}

#[test]
fn long_binget() {
    expect_same_list_twice(b"(]r\x00\x00\x01\x00j\x00\x00\x01\x00t.");
}

#[test]
fn dup() {
    expect_same_list_twice(b"((l2t.");
}

#[test]
fn misc_get() {
    let e = expect_error(b"g0\np0");
    assert_eq!(error_offset(&e), Some(0), "{e}");
    expect_error(b"jens:");
    expect_error(b"hens:");
    // [(100,), (100,)], one tuple twice; the bytes after STOP are never read.
    let data = b"((Kdtp0\nh\x00l.))";
    let g = expect_ok(data);
    let items = list_items(&g, root(&g)).expect("root is a list");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], items[1]);
    assert_eq!(tuple_items(&g, items[0]), Some(&[Value::Int(100)][..]));
}

#[test]
fn memo_not_found() {
    let cases: &[(&[u8], u64, &str)] = &[
        (b"g0\n.", 0, "GET"),
        (b"Ng0\n.", 1, "GET"),
        (b"h\x00.", 0, "BINGET"),
        (b"Nh\x05.", 1, "BINGET"),
        (b"j\x00\x00\x00\x00.", 0, "LONG_BINGET"),
        (b"Np0\ng1\n.", 4, "GET"),
        (b"Nq\x01h\x00.", 3, "BINGET"),
        (b"\x80\x04N\x94j\x01\x00\x00\x00.", 4, "LONG_BINGET"),
    ];
    let data: Vec<&[u8]> = cases.iter().map(|c| c.0).collect();
    expect_all_fail("memo_not_found", &data);
    check_positions("memo_not_found", cases);
}

/// PUT to an index already used replaces the entry; MEMOIZE numbers from the memo's size.
#[test]
fn memo_put_and_memoize() {
    expect_text(b"Vb\nq\x00Va\nq\x00h\x00.", "a");
    expect_root(b"\x80\x04N\x94h\x00.", Value::None);
    expect_text(b"\x80\x04Va\n\x94Vb\n\x94h\x00.", "a");
    expect_text(b"\x80\x04Va\n\x94Vb\n\x94h\x01.", "b");
}

/// A list that contains itself, through the memo.
#[test]
fn recursive_list() {
    let g = expect_ok(b"]q\x00h\x00a.");
    let items = list_items(&g, root(&g)).expect("root is a list");
    assert_eq!(items, &[root(&g)][..]);
}

// ---------------------------------------------------------------------------------------------
// Lengths: test_negative_32b_binbytes, test_negative_32b_binunicode, test_large_32b_binbytes8,
// test_large_32b_bytearray8, test_large_32b_binunicode8, and lengths of 2**60 and beyond.
// On 64-bit CPython these are truncated-data errors; either way they must fail, quickly, without
// allocating what the length field claims.
// ---------------------------------------------------------------------------------------------

#[test]
fn negative_32b_binbytes() {
    isolated("negative_32b_binbytes", || {
        expect_cheap_error(b"\x80\x03B\xff\xff\xff\xffxyzq\x00.");
    });
}

#[test]
fn negative_32b_binunicode() {
    isolated("negative_32b_binunicode", || {
        expect_cheap_error(b"\x80\x03X\xff\xff\xff\xffxyzq\x00.");
        // BINSTRING's length is signed: negative is refused outright.
        expect_cheap_error(b"T\xff\xff\xff\xffxyz.");
    });
}

#[test]
fn large_32b_binbytes8() {
    isolated("large_32b_binbytes8", || {
        expect_cheap_error(b"\x80\x04\x8e\x04\x00\x00\x00\x01\x00\x00\x00\xe2\x82\xac\x00.");
    });
}

#[test]
fn large_32b_bytearray8() {
    isolated("large_32b_bytearray8", || {
        expect_cheap_error(b"\x80\x05\x96\x04\x00\x00\x00\x01\x00\x00\x00\xe2\x82\xac\x00.");
    });
}

#[test]
fn large_32b_binunicode8() {
    isolated("large_32b_binunicode8", || {
        expect_cheap_error(b"\x80\x04\x8d\x04\x00\x00\x00\x01\x00\x00\x00\xe2\x82\xac\x00.");
    });
}

/// BINBYTES8 / BINUNICODE8 / BYTEARRAY8 / FRAME claiming 2**60, 2**63 and 2**64-1 bytes with only
/// a few present, and LONG4 claiming 2**31-1 bytes.
#[test]
fn huge_declared_lengths() {
    isolated("huge_declared_lengths", || {
        for len in [1u64 << 60, 1 << 63, u64::MAX, 1 << 32, (1 << 31) - 1] {
            let n = len.to_le_bytes();
            for (proto, op) in [(4u8, 0x8eu8), (4, 0x8d), (5, 0x96), (4, 0x95)] {
                expect_cheap_error(&cat(&[&[0x80, proto, op], &n, b"abc."]));
                expect_cheap_error(&cat(&[&[0x80, proto, op], &n]));
            }
        }
        expect_cheap_error(b"\x8b\xff\xff\xff\x7f\x01\x02.");
        expect_cheap_error(b"\x80\x02\x8b\x00\x00\x00\x40\x01.");
        expect_cheap_error(b"B\xff\xff\xff\x7fabc.");
        expect_cheap_error(b"X\xff\xff\xff\x7fabc.");
        expect_cheap_error(b"T\xff\xff\xff\x7fabc.");
    });
}

/// A FRAME whose declared length runs past the end of the input. CPython's C unpickler refuses
/// it ("pickle data was truncated"); the Python one loads it.
#[test]
fn frame_exceeds_input() {
    expect_all_fail(
        "frame_exceeds_input",
        &[
            b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00N.",
            b"\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00N.",
            b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N\x95\x10\x00\x00\x00\x00\x00\x00\x00.",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// LONG1 / LONG4, test_maxint64, text number parsing.
// ---------------------------------------------------------------------------------------------

#[test]
fn long4_bad_lengths() {
    let e = expect_error(b"\x8b\xff\xff\xff\xff.");
    assert_eq!(error_offset(&e), Some(0), "{e}");
    expect_error(b"\x8b\x00\x00\x00\x80.");
    expect_error(b"\x80\x02\x8b\xfe\xff\xff\xff\x00\x00.");
    // Lengths beyond the input.
    expect_error(b"\x8a\x05\x01.");
    expect_error(b"\x8b\x05\x00\x00\x00\x01.");
}

#[test]
fn long1_long4_values() {
    let cases: &[(&[u8], &str)] = &[
        (b"\x8a\x00.", "0"),
        (b"\x8a\x01\xff.", "-1"),
        (b"\x8a\x02\xff\x00.", "255"),
        (b"\x8a\x01\x80.", "-128"),
        (b"\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f.", "9223372036854775807"),
        (b"\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.", "-9223372036854775808"),
        (b"\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.", "18446744073709551616"),
        (b"\x8b\x00\x00\x00\x00.", "0"),
        (b"\x8b\x02\x00\x00\x00\x00\x80.", "-32768"),
        (b"\x8b\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80.", "-2361183241434822606848"),
    ];
    for &(data, want) in cases {
        let g = expect_ok(data);
        assert_eq!(int_decimal(&g, root(&g)).as_deref(), Some(want), "{}", show(data));
    }
}

#[test]
fn maxint64() {
    expect_root(b"I9223372036854775807\n.", Value::Int(i64::MAX));
    expect_root(b"I-9223372036854775808\n.", Value::Int(i64::MIN));
    expect_error(b"I9223372036854775807JUNK\n.");
    // One past either end of i64 still loads, as a big int.
    for (data, want) in [
        (&b"I9223372036854775808\n."[..], "9223372036854775808"),
        (b"I-9223372036854775809\n.", "-9223372036854775809"),
        (b"L9223372036854775808L\n.", "9223372036854775808"),
        (b"L-9223372036854775809\n.", "-9223372036854775809"),
    ] {
        let g = expect_ok(data);
        assert_eq!(int_decimal(&g, root(&g)).as_deref(), Some(want), "{}", show(data));
    }
}

/// INT/LONG/FLOAT text that neither CPython unpickler accepts.
#[test]
fn bad_text_numbers() {
    expect_all_fail(
        "bad_text_numbers",
        &[b"I\n.", b"L\n.", b"F\n.", b"Fjunk\n.", b"IJUNK\n.", b"L12X\n.", b"I1.5\n.", b"F1.5x\n."],
    );
}

/// INT and LONG text goes through Python's `int(text, 0)` in both CPython unpicklers: a sign,
/// surrounding whitespace, 0x/0o/0b prefixes and single underscores between digits are accepted.
#[test]
fn int_text_forms() {
    let cases: &[(&[u8], i64)] = &[
        (b"I+5\n.", 5),
        (b"I 5\n.", 5),
        (b"I5 \n.", 5),
        (b"I\t7\t\n.", 7),
        (b"I0x10\n.", 16),
        (b"I-0x10\n.", -16),
        (b"I0o17\n.", 15),
        (b"I0b101\n.", 5),
        (b"I1_0\n.", 10),
        (b"L0x10L\n.", 16),
        (b"L1_0L\n.", 10),
        (b"L 5L\n.", 5),
    ];
    let mut problems = Vec::new();
    for &(data, want) in cases {
        match attempt(data) {
            Outcome::Loaded(g) if root(&g) == Value::Int(want) => {}
            Outcome::Loaded(g) => problems.push(format!("{}: got {:?}, want {want}", show(data), root(&g))),
            Outcome::Failed(e) => problems.push(format!("{}: error {e}, want {want}", show(data))),
            Outcome::Panicked(m) => problems.push(format!("{}: PANICKED {m}", show(data))),
        }
    }
    assert!(problems.is_empty(), "int_text_forms:\n  {}", problems.join("\n  "));
    expect_all_fail("int_text_forms", &[b"I1__0\n.", b"I_1\n.", b"I0x\n.", b"L0b2L\n."]);
}

/// FLOAT text: the spellings of infinity and NaN that both CPython unpicklers accept.
#[test]
fn float_text_forms() {
    for (data, want) in [
        (&b"Finf\n."[..], f64::INFINITY),
        (b"F-inf\n.", f64::NEG_INFINITY),
        (b"FInfinity\n.", f64::INFINITY),
        (b"F1e+300\n.", 1e300),
    ] {
        expect_root(data, Value::Float(want));
    }
    let g = expect_ok(b"Fnan\n.");
    assert!(matches!(root(&g), Value::Float(f) if f.is_nan()), "{:?}", root(&g));
    expect_error(b"F0x10\n.");
}

#[test]
fn constants() {
    expect_root(b"N.", Value::None);
    expect_root(b"\x88.", Value::Bool(true));
    expect_root(b"\x89.", Value::Bool(false));
    expect_root(b"I01\n.", Value::Bool(true));
    expect_root(b"I00\n.", Value::Bool(false));
}

// ---------------------------------------------------------------------------------------------
// test_bad_proto and test_frame_readline.
// ---------------------------------------------------------------------------------------------

#[test]
fn bad_proto() {
    for data in [&b"\x80\x06N."[..], b"\x80\xffN.", b"\x80\x07N."] {
        let e = expect_error(data);
        assert!(e.to_string().contains("unsupported pickle protocol"), "{}: {e}", show(data));
        assert_eq!(error_offset(&e), Some(0), "{e}");
        assert_eq!(error_opcode(&e), Some("PROTO"), "{e}");
    }
    for proto in 0u8..=5 {
        expect_root(&[0x80, proto, b'N', b'.'], Value::None);
    }
}

#[test]
fn frame_readline() {
    // PROTO 4, FRAME 5, INT 42 (a newline-terminated argument read inside the frame), STOP.
    expect_root(b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00I42\n.", Value::Int(42));
    // A frame of just NONE, then STOP outside it.
    expect_root(b"\x80\x04\x95\x01\x00\x00\x00\x00\x00\x00\x00N.", Value::None);
}

// ---------------------------------------------------------------------------------------------
// Python 2 str under each encoding: test_load_python2_str_as_bytes,
// test_load_long_python2_str_as_bytes, test_load_python2_unicode_as_str, test_empty_bytestring.
// ---------------------------------------------------------------------------------------------

#[test]
fn load_python2_str_as_bytes() {
    for data in [&b"S'a\\x00\\xa0'\n."[..], b"U\x03a\x00\xa0.", b"\x80\x02U\x03a\x00\xa0."] {
        let g = expect_ok_with(data, Encoding::Bytes);
        assert_eq!(bytes(&g, root(&g)), Some(&b"a\x00\xa0"[..]), "{}", show(data));
    }
}

/// The same Python 2 strs under the default encoding (ASCII, strict), explicit ASCII and Latin-1.
#[test]
fn load_python2_str_under_text_encodings() {
    for data in [&b"S'a\\x00\\xa0'\n."[..], b"U\x03a\x00\xa0.", b"\x80\x02U\x03a\x00\xa0."] {
        expect_error(data);
        expect_error_with(data, Encoding::Ascii);
        let g = expect_ok_with(data, Encoding::Latin1);
        assert_eq!(text(&g, root(&g)).as_deref(), Some("a\u{0}\u{a0}"), "{}", show(data));
    }
    // Plain ASCII Python 2 strs load as str by default.
    expect_text(b"U\x03abc.", "abc");
    expect_text(b"T\x03\x00\x00\x00abc.", "abc");
}

#[test]
fn load_long_python2_str_as_bytes() {
    let data = cat(&[b"T", &300u32.to_le_bytes(), &[b'x'; 300], b"."]);
    let g = expect_ok_with(&data, Encoding::Bytes);
    assert_eq!(bytes(&g, root(&g)), Some(&[b'x'; 300][..]));
}

#[test]
fn load_python2_unicode_as_str() {
    for data in [&b"V\\u03c0\n."[..], b"X\x02\x00\x00\x00\xcf\x80.", b"\x80\x02X\x02\x00\x00\x00\xcf\x80."] {
        let g = expect_ok_with(data, Encoding::Bytes);
        assert_eq!(text(&g, root(&g)).as_deref(), Some("\u{3c0}"), "{}", show(data));
    }
}

#[test]
fn empty_bytestring() {
    // CPython uses encoding='koi8-r'; any encoding gives '' for an empty string.
    let data = b"\x80\x03U\x00q\x00.";
    expect_text(data, "");
    let g = expect_ok_with(data, Encoding::Latin1);
    assert_eq!(text(&g, root(&g)).as_deref(), Some(""));
    let g = expect_ok_with(data, Encoding::Bytes);
    assert_eq!(bytes(&g, root(&g)), Some(&b""[..]));
}

// ---------------------------------------------------------------------------------------------
// Bytes and str payloads: test_short_binbytes, test_binbytes, test_binbytes8, test_bytearray8,
// test_short_binunicode, test_binunicode8, and bad UTF-8.
// ---------------------------------------------------------------------------------------------

#[test]
fn short_binbytes() {
    let g = expect_ok(b"\x80\x03C\x04\xe2\x82\xac\x00.");
    assert_eq!(bytes(&g, root(&g)), Some(&b"\xe2\x82\xac\x00"[..]));
}

#[test]
fn binbytes() {
    let g = expect_ok(b"\x80\x03B\x04\x00\x00\x00\xe2\x82\xac\x00.");
    assert_eq!(bytes(&g, root(&g)), Some(&b"\xe2\x82\xac\x00"[..]));
}

#[test]
fn binbytes8() {
    let g = expect_ok(b"\x80\x04\x8e\x04\x00\x00\x00\x00\x00\x00\x00\xe2\x82\xac\x00.");
    assert_eq!(bytes(&g, root(&g)), Some(&b"\xe2\x82\xac\x00"[..]));
}

#[test]
fn bytearray8() {
    let g = expect_ok(b"\x80\x05\x96\x03\x00\x00\x00\x00\x00\x00\x00xxx.");
    assert_eq!(bytearray(&g, root(&g)), Some(&b"xxx"[..]));
}

#[test]
fn short_binunicode() {
    expect_text(b"\x80\x04\x8c\x04\xe2\x82\xac\x00.", "\u{20ac}\u{0}");
}

#[test]
fn binunicode8() {
    expect_text(b"\x80\x04\x8d\x04\x00\x00\x00\x00\x00\x00\x00\xe2\x82\xac\x00.", "\u{20ac}\u{0}");
}

/// Payloads that are not UTF-8 (CPython: UnicodeDecodeError), for each binary str opcode.
#[test]
fn bad_utf8_in_binunicode() {
    let payloads: &[&[u8]] = &[
        b"\xff",             // never valid
        b"\xc0\x80",         // overlong NUL
        b"\xc3",             // sequence cut short
        b"a\xe2\x82",        // sequence cut short at the end
        b"\xf5\x80\x80\x80", // beyond U+10FFFF
        b"\xed\xa0",         // half a surrogate
        b"\x80abc",          // stray continuation byte
    ];
    let mut cases = Vec::new();
    for p in payloads {
        let n = p.len();
        cases.push(cat(&[b"X", &(n as u32).to_le_bytes(), p, b"."]));
        cases.push(cat(&[b"\x80\x04\x8c", &[n as u8], p, b"."]));
        cases.push(cat(&[b"\x80\x04\x8d", &(n as u64).to_le_bytes(), p, b"."]));
    }
    let refs: Vec<&[u8]> = cases.iter().map(Vec::as_slice).collect();
    expect_all_fail("bad_utf8_in_binunicode", &refs);
}

/// CPython decodes BINUNICODE with 'surrogatepass': an encoded lone surrogate loads.
#[test]
fn lone_surrogate_in_binunicode() {
    for data in [&b"X\x03\x00\x00\x00\xed\xa0\x80."[..], b"\x80\x04\x8c\x04a\xed\xb2\x80.", b"V\\ud800\n."] {
        let g = expect_ok(data);
        assert!(is_surrogate_str(&g, root(&g)), "{}: expected a str with a lone surrogate", show(data));
    }
}

// ---------------------------------------------------------------------------------------------
// Every byte value that is no opcode (CPython: "invalid load key").
// ---------------------------------------------------------------------------------------------

/// The opcodes of protocols 0-5, as pickletools lists them.
const OPCODE_BYTES: &[u8] = b"().012BCFGIJKLMNPQRSTUVX]abcdeghijlopqrstu}\
    \x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\
    \x90\x91\x92\x93\x94\x95\x96\x97\x98";

#[test]
fn unknown_opcodes() {
    assert_eq!(OPCODE_BYTES.len(), 68);
    let mut problems = Vec::new();
    for b in 0u8..=255 {
        if OPCODE_BYTES.contains(&b) {
            continue;
        }
        for (data, at) in [(vec![b, b'.'], 0u64), (vec![b'N', b], 1), (vec![0x80, 4, b'(', b'N', b, b'.'], 4)] {
            match check_fails(&data) {
                Err(p) => problems.push(p),
                Ok(e) => {
                    if error_offset(&e) != Some(at) {
                        problems.push(format!(
                            "{}: expected offset {at}, got {:?}: {e}",
                            show(&data),
                            error_offset(&e)
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "unknown_opcodes:\n  {}", problems.join("\n  "));
}

/// NEXT_BUFFER with no buffers supplied and EXT1/2/4 with an empty extension registry: CPython
/// refuses these, while brinery may keep them as inert `Buffer` / `Ext` objects. Either is
/// fine; a panic is not.
#[test]
fn buffers_and_extensions_unavailable() {
    for data in [&b"\x80\x05\x97."[..], b"\x80\x05\x97\x98.", b"\x82\x01.", b"\x83\x01\x00.", b"\x84\x01\x00\x00\x00."]
    {
        expect_no_panic(data);
    }
}

/// READONLY_BUFFER with nothing on the stack, and extension codes that are zero or negative
/// (CPython: "EXT specifies code <= 0").
#[test]
fn bad_buffers_and_extension_codes() {
    expect_all_fail(
        "bad_buffers_and_extension_codes",
        &[b"\x80\x05\x98.", b"\x82\x00.", b"\x83\x00\x00.", b"\x84\x00\x00\x00\x00.", b"\x84\x00\x00\x00\x80."],
    );
}

// ---------------------------------------------------------------------------------------------
// Unhashable dict keys and set items (CPython: TypeError "unhashable type").
// ---------------------------------------------------------------------------------------------

#[test]
fn unhashable_dict_key() {
    expect_all_fail(
        "unhashable_dict_key",
        &[
            b"}]Ns.",                                            // SETITEM with a list key
            b"}}Ns.",                                            // a dict key
            b"}]\x85Ns.",                                        // a tuple holding a list
            b"}(]Nu.",                                           // SETITEMS
            b"(]Nd.",                                            // DICT
            b"\x80\x04}\x8f(\x90Ns.",                            // a set key
            b"\x80\x05}\x96\x00\x00\x00\x00\x00\x00\x00\x00Ns.", // a bytearray key
            b"}K\x01]\x86Ns.",                                   // a tuple holding a list, second place
        ],
    );
}

#[test]
fn unhashable_set_item() {
    expect_all_fail(
        "unhashable_set_item",
        &[
            b"\x80\x04\x8f(]\x90.",     // ADDITEMS a list
            b"\x80\x04(]\x91.",         // FROZENSET of a list
            b"\x80\x04\x8f(}\x90.",     // a dict
            b"\x80\x04\x8f(]\x85\x90.", // a tuple holding a list
            b"\x80\x04\x8f(\x8f\x90.",  // a set
        ],
    );
}

/// Hashable keys of every immutable kind load, and equal keys collapse as in Python.
#[test]
fn hashable_keys() {
    for data in [
        &b"}K\x01K\x02\x86Ns."[..],    // (1, 2)
        b"\x80\x04}(\x8c\x01a\x91Ns.", // frozenset({'a'})
        b"\x80\x04}(K\x01NC\x01aNG?\xf8\x00\x00\x00\x00\x00\x00N\x88NNNu.",
        b"\x80\x04}\x8c\x01a\x8c\x01a\x86)\x86Ns.",
    ] {
        expect_ok(data);
    }
    // {1: None, 1.0: None, True: None} is one entry in Python.
    let g = expect_ok(b"}(K\x01NG?\xf0\x00\x00\x00\x00\x00\x00N\x88Nu.");
    match object(&g, root(&g)) {
        Some(Object::Dict(d)) => assert_eq!(d.len(), 1),
        other => panic!("expected a dict, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Deep nesting: a million levels must load or fail, never overflow the stack, and a loaded
// million-level value must drop without overflowing either. Each runs in a child process.
// ---------------------------------------------------------------------------------------------

const DEEP: usize = 1_000_000;

fn repeat(b: &[u8], n: usize) -> Vec<u8> {
    b.repeat(n)
}

/// Follow the first item of nested lists or tuples; the number of levels.
fn nesting_depth(g: &Graph, mut v: Value) -> usize {
    let mut depth = 0;
    while let Some(items) = list_items(g, v).or_else(|| tuple_items(g, v)) {
        depth += 1;
        match items.first() {
            Some(&first) => v = first,
            None => break,
        }
    }
    depth
}

/// Load a deep pickle that CPython loads, check its depth, then drop it.
fn deep_load_and_drop(data: &[u8], want_depth: usize) {
    match expect_no_panic(data) {
        Some(g) => {
            assert_eq!(nesting_depth(&g, root(&g)), want_depth, "{}", show(data));
            drop(g);
        }
        None => {
            // A documented nesting limit may refuse it; that is allowed, an overflow is not.
        }
    }
}

/// `(` x N then LIST x N: N nested lists, built with marks.
#[test]
fn deep_nesting_mark_lists() {
    isolated("deep_nesting_mark_lists", || {
        deep_load_and_drop(&cat(&[&repeat(b"(", DEEP), &repeat(b"l", DEEP), b"."]), DEEP);
    });
}

/// EMPTY_LIST x N then APPEND x (N-1): N nested lists, built without marks. CPython loads it;
/// so must brinery (no nesting limit applies to a flat stack of empty lists).
#[test]
fn deep_nesting_append_lists() {
    isolated("deep_nesting_append_lists", || {
        let data = cat(&[&repeat(b"]", DEEP), &repeat(b"a", DEEP - 1), b"."]);
        let g = expect_ok(&data);
        assert_eq!(nesting_depth(&g, root(&g)), DEEP);
        drop(g);
    });
}

/// EMPTY_TUPLE then TUPLE1 x N.
#[test]
fn deep_nesting_tuples() {
    isolated("deep_nesting_tuples", || {
        deep_load_and_drop(&cat(&[b")", &repeat(b"\x85", DEEP), b"."]), DEEP + 1);
    });
}

/// `{0: {0: {...}}}` a million deep, through SETITEM.
#[test]
fn deep_nesting_dicts() {
    isolated("deep_nesting_dicts", || {
        let data = cat(&[b"}", &repeat(b"K\x00}", DEEP - 1), &repeat(b"s", DEEP - 1), b"."]);
        if let Some(g) = expect_no_panic(&data) {
            drop(g);
        }
    });
}

/// frozenset({frozenset({...})}) a million deep: each level hashes the one inside it.
#[test]
fn deep_nesting_frozensets() {
    isolated("deep_nesting_frozensets", || {
        let data = cat(&[&repeat(b"(", DEEP), &repeat(b"\x91", DEEP), b"."]);
        if let Some(g) = expect_no_panic(&data) {
            drop(g);
        }
    });
}

/// A million-deep tuple as a dict key (CPython's C unpickler crashes on this one with a
/// segmentation fault while hashing), and the same with a list at the bottom, which is
/// unhashable and must be refused.
#[test]
fn deep_tuple_as_dict_key() {
    isolated("deep_tuple_as_dict_key", || {
        let data = cat(&[b"})", &repeat(b"\x85", DEEP), b"Ns."]);
        if let Some(g) = expect_no_panic(&data) {
            drop(g);
        }
        expect_error(&cat(&[b"}]", &repeat(b"\x85", DEEP), b"Ns."]));
        expect_error(&cat(&[b"\x80\x04\x8f(]", &repeat(b"\x85", DEEP), b"\x90."]));
    });
}

/// Deep input that must fail: unclosed marks, no STOP, and an error after a deep value was built
/// (the partial graph must drop cleanly).
#[test]
fn deep_nesting_errors() {
    isolated("deep_nesting_errors", || {
        expect_error(&cat(&[&repeat(b"(", DEEP), b"."]));
        expect_error(&repeat(b"]", DEEP));
        expect_error(&repeat(b"(", DEEP));
        expect_error(&cat(&[&repeat(b"]", DEEP), &repeat(b"a", DEEP - 1)]));
        expect_error(&cat(&[&repeat(b"(", DEEP), &repeat(b"l", DEEP), b"l."]));
        expect_error(&cat(&[&repeat(b"]", DEEP), &repeat(b"a", DEEP - 1), b"a."]));
    });
}

/// Writing is as deep-proof as reading: lists, tuples and dicts nested inside one another (each
/// kind inside each other kind) a quarter of a million levels deep, and frozensets 20 000 deep,
/// written in every protocol and read back to the same depth. The pickler writes items in place a few levels
/// deep and queues the rest, so no depth reaches the Rust stack.
#[test]
fn deep_nesting_dumped_in_every_protocol() {
    isolated("deep_nesting_dumped_in_every_protocol", || {
        const LEVELS: usize = 250_000;
        const FROZEN: usize = 20_000;
        let mut g = Graph::new();
        let mut v = Value::None;
        for i in 0..LEVELS {
            v = match i % 8 {
                0 | 4 => g.list(vec![v, Value::Int(i as i64)]),
                1 | 6 => g.tuple(vec![v]),
                2 | 5 => {
                    let d = g.dict();
                    g.dict_insert(d, Value::Int(i as i64), v).unwrap();
                    d
                }
                _ => g.tuple(vec![Value::Int(1), v, Value::Int(2), Value::Int(3)]),
            };
        }
        // Frozensets at the bottom (their items must hash, so only frozensets go inside one).
        let mut bottom = Value::None;
        for _ in 0..FROZEN {
            let f = g.add(Object::FrozenSet(Box::default()));
            if bottom != Value::None {
                g.set_add(f, bottom).unwrap();
            }
            bottom = f;
        }
        let top = g.list(vec![v, bottom]);
        g.set_root(top);
        for proto in 0..=5 {
            let data = brinery::dumps(&g, proto).unwrap();
            let back = expect_ok(&data);
            let top = list_items(&back, root(&back)).unwrap();
            let (mut depth, mut at) = (0, top[0]);
            while let Some(obj) = back.object(at) {
                at = match obj {
                    Object::List(items) => items[0],
                    Object::Tuple(items) => items[items.len().min(2) / 2],
                    Object::Dict(d) => d.iter().next().unwrap().1,
                    other => panic!("protocol {proto}: {other:?} at depth {depth}"),
                };
                depth += 1;
            }
            assert_eq!((depth, at), (LEVELS, Value::None), "protocol {proto}");
            let (mut depth, mut at) = (1, top[1]);
            while let Some(Object::FrozenSet(s)) = back.object(at).filter(|_| depth < FROZEN) {
                (depth, at) = (depth + 1, s.items()[0]);
            }
            assert!(matches!(back.object(at), Some(Object::FrozenSet(s)) if s.is_empty()), "protocol {proto}");
            assert_eq!(depth, FROZEN, "protocol {proto}");
        }
    });
}

/// Nesting CPython's own pickler produces and its unpickler loads: 600 levels of frozensets
/// (`pickle.dumps` of it works in CPython 3.11, and `loads` gives it back).
#[test]
fn moderately_deep_frozensets() {
    let data = cat(&[b"\x80\x04", &repeat(b"(", 600), &repeat(b"\x91", 600), b"."]);
    let g = expect_ok(&data);
    drop(g);
}

/// A 600-deep tuple used as a dict key (CPython 3.11 pickles and unpickles `{t: 1}`).
#[test]
fn moderately_deep_tuple_as_dict_key() {
    let data = cat(&[b"\x80\x04})", &repeat(b"\x85", 600), b"K\x01s."]);
    let g = expect_ok(&data);
    drop(g);
}

// ---------------------------------------------------------------------------------------------
// Valid pickles for the prefix tests, made by CPython 3.11's `pickle.dumps` from
//
//     shared = [1, 2]; rec = []; rec.append(rec)
//     PLAIN = {'none': None, 't': True, 'f': False,
//              'ints': [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**63, -2**64,
//                       10**30],
//              'floats': (0.0, -1.5, 1e300),
//              'text': ('', 'abc', '\u20ac\x00', 'x' * 260),
//              'nest': [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), {}, {'k': [shared, shared]}],
//              'rec': rec}
//     RICH = dict(PLAIN, b=b'\x00\xffbytes', bl=b'y' * 260, set={1, 2, 3},
//                 fs=frozenset({'a'}), ba=bytearray(b'abc'))
// ---------------------------------------------------------------------------------------------

/// The complete pickles load, with the structure CPython gives them.
#[test]
fn valid_pickles_load() {
    for (n, data) in VALID_PLAIN.iter().enumerate() {
        let g = expect_ok(data);
        match object(&g, root(&g)) {
            Some(Object::Dict(_)) | Some(Object::List(_)) | Some(Object::Tuple(_)) => {}
            other => panic!("VALID_PLAIN[{n}]: unexpected root {other:?}"),
        }
    }
    for data in VALID_WITH_GLOBALS {
        expect_ok(data);
    }
}

/// Python 2 style pickle (STRING, LONG with an L suffix, PUT/GET).
const PY2_0: &[u8] = b"(lp0\nS'abc'\np1\naL12345678901234567890L\naI01\naF1.5\naS\"q\\'\"\np2\nag1\na.";

/// Python 2 style pickle (SHORT_BINSTRING, BINSTRING, BINGET).
const PY2_1: &[u8] = b"(U\x03abcq\x00T\x03\x00\x00\x00defq\x01h\x00t.";
/// `pickle.dumps(PLAIN, protocol=0)` (builtin containers and scalars only).
const PLAIN_P0: &[u8] = b"(dp0\nVnone\np1\nNsVt\np2\nI01\nsVf\np3\nI00\nsVints\np4\n(lp5\nI0\naI1\naI-1\naI255\naI\
    256\naI65535\naI65536\naI-2147483648\naI2147483647\naL9223372036854775808L\naL-184467440\
    73709551616L\naL1000000000000000000000000000000L\nasVfloats\np6\n(F0.0\nF-1.5\nF1e+300\n\
    tp7\nsVtext\np8\n(V\np9\nVabc\np10\nV\\u20ac\\u0000\np11\nVxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\np12\ntp13\nsVnest\np14\n(lp15\n\
    (ta(I1\ntp16\na(I1\nI2\ntp17\na(I1\nI2\nI3\ntp18\na(I1\nI2\nI3\nI4\ntp19\na(dp20\na(dp21\
    \nVk\np22\n(lp23\n(lp24\nI1\naI2\naag24\nasasVrec\np25\n(lp26\ng26\nas.";

/// `pickle.dumps(PLAIN, protocol=1)` (builtin containers and scalars only).
const PLAIN_P1: &[u8] = b"}q\x00(X\x04\x00\x00\x00noneq\x01NX\x01\x00\x00\x00tq\x02I01\nX\x01\x00\x00\x00fq\x03I00\
    \nX\x04\x00\x00\x00intsq\x04]q\x05(K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ\
    \x00\x00\x01\x00J\x00\x00\x00\x80J\xff\xff\xff\x7fL9223372036854775808L\nL-1844674407370\
    9551616L\nL1000000000000000000000000000000L\neX\x06\x00\x00\x00floatsq\x06(G\x00\x00\x00\
    \x00\x00\x00\x00\x00G\xbf\xf8\x00\x00\x00\x00\x00\x00G~7\xe4<\x88\x00u\x9ctq\x07X\x04\
    \x00\x00\x00textq\x08(X\x00\x00\x00\x00q\x09X\x03\x00\x00\x00abcq\nX\x04\x00\x00\x00\xe2\
    \x82\xac\x00q\x0bX\x04\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxq\x0ctq\x0dX\x04\x00\x00\x00nestq\x0e]q\x0f()(K\x01tq\x10(\
    K\x01K\x02tq\x11(K\x01K\x02K\x03tq\x12(K\x01K\x02K\x03K\x04tq\x13}q\x14}q\x15X\x01\x00\
    \x00\x00kq\x16]q\x17(]q\x18(K\x01K\x02eh\x18eseX\x03\x00\x00\x00recq\x19]q\x1ah\x1aau.";

/// `pickle.dumps(PLAIN, protocol=2)` (builtin containers and scalars only).
const PLAIN_P2: &[u8] = b"\x80\x02}q\x00(X\x04\x00\x00\x00noneq\x01NX\x01\x00\x00\x00tq\x02\x88X\x01\x00\x00\x00fq\
    \x03\x89X\x04\x00\x00\x00intsq\x04]q\x05(K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\
    \xffJ\x00\x00\x01\x00J\x00\x00\x00\x80J\xff\xff\xff\x7f\x8a\x09\x00\x00\x00\x00\x00\x00\
    \x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff\x8a\x0d\x00\x00\x00@\xea\xedtF\
    \xd0\x9c,\x9f\x0ceX\x06\x00\x00\x00floatsq\x06G\x00\x00\x00\x00\x00\x00\x00\x00G\xbf\xf8\
    \x00\x00\x00\x00\x00\x00G~7\xe4<\x88\x00u\x9c\x87q\x07X\x04\x00\x00\x00textq\x08(X\x00\
    \x00\x00\x00q\x09X\x03\x00\x00\x00abcq\nX\x04\x00\x00\x00\xe2\x82\xac\x00q\x0bX\x04\x01\
    \x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxq\x0ctq\x0dX\x04\x00\x00\x00nestq\x0e]q\x0f()K\x01\x85q\x10K\x01K\x02\x86q\x11K\x01K\
    \x02K\x03\x87q\x12(K\x01K\x02K\x03K\x04tq\x13}q\x14}q\x15X\x01\x00\x00\x00kq\x16]q\x17(]\
    q\x18(K\x01K\x02eh\x18eseX\x03\x00\x00\x00recq\x19]q\x1ah\x1aau.";

/// `pickle.dumps(PLAIN, protocol=3)` (builtin containers and scalars only).
const PLAIN_P3: &[u8] = b"\x80\x03}q\x00(X\x04\x00\x00\x00noneq\x01NX\x01\x00\x00\x00tq\x02\x88X\x01\x00\x00\x00fq\
    \x03\x89X\x04\x00\x00\x00intsq\x04]q\x05(K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\
    \xffJ\x00\x00\x01\x00J\x00\x00\x00\x80J\xff\xff\xff\x7f\x8a\x09\x00\x00\x00\x00\x00\x00\
    \x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff\x8a\x0d\x00\x00\x00@\xea\xedtF\
    \xd0\x9c,\x9f\x0ceX\x06\x00\x00\x00floatsq\x06G\x00\x00\x00\x00\x00\x00\x00\x00G\xbf\xf8\
    \x00\x00\x00\x00\x00\x00G~7\xe4<\x88\x00u\x9c\x87q\x07X\x04\x00\x00\x00textq\x08(X\x00\
    \x00\x00\x00q\x09X\x03\x00\x00\x00abcq\nX\x04\x00\x00\x00\xe2\x82\xac\x00q\x0bX\x04\x01\
    \x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxq\x0ctq\x0dX\x04\x00\x00\x00nestq\x0e]q\x0f()K\x01\x85q\x10K\x01K\x02\x86q\x11K\x01K\
    \x02K\x03\x87q\x12(K\x01K\x02K\x03K\x04tq\x13}q\x14}q\x15X\x01\x00\x00\x00kq\x16]q\x17(]\
    q\x18(K\x01K\x02eh\x18eseX\x03\x00\x00\x00recq\x19]q\x1ah\x1aau.";

/// `pickle.dumps(PLAIN, protocol=4)` (builtin containers and scalars only).
const PLAIN_P4: &[u8] = b"\x80\x04\x95\xfc\x01\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04none\x94N\x8c\x01t\x94\x88\x8c\
    \x01f\x94\x89\x8c\x04ints\x94]\x94(K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ\
    \x00\x00\x01\x00J\x00\x00\x00\x80J\xff\xff\xff\x7f\x8a\x09\x00\x00\x00\x00\x00\x00\x00\
    \x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\
    \x9c,\x9f\x0ce\x8c\x06floats\x94G\x00\x00\x00\x00\x00\x00\x00\x00G\xbf\xf8\x00\x00\x00\
    \x00\x00\x00G~7\xe4<\x88\x00u\x9c\x87\x94\x8c\x04text\x94(\x8c\x00\x94\x8c\x03abc\x94\
    \x8c\x04\xe2\x82\xac\x00\x94X\x04\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x94t\x94\x8c\x04nest\x94]\x94()K\x01\x85\x94K\
    \x01K\x02\x86\x94K\x01K\x02K\x03\x87\x94(K\x01K\x02K\x03K\x04t\x94}\x94}\x94\x8c\x01k\
    \x94]\x94(]\x94(K\x01K\x02eh\x18ese\x8c\x03rec\x94]\x94h\x1aau.";

/// `pickle.dumps(PLAIN, protocol=5)` (builtin containers and scalars only).
const PLAIN_P5: &[u8] = b"\x80\x05\x95\xfc\x01\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04none\x94N\x8c\x01t\x94\x88\x8c\
    \x01f\x94\x89\x8c\x04ints\x94]\x94(K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ\
    \x00\x00\x01\x00J\x00\x00\x00\x80J\xff\xff\xff\x7f\x8a\x09\x00\x00\x00\x00\x00\x00\x00\
    \x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\
    \x9c,\x9f\x0ce\x8c\x06floats\x94G\x00\x00\x00\x00\x00\x00\x00\x00G\xbf\xf8\x00\x00\x00\
    \x00\x00\x00G~7\xe4<\x88\x00u\x9c\x87\x94\x8c\x04text\x94(\x8c\x00\x94\x8c\x03abc\x94\
    \x8c\x04\xe2\x82\xac\x00\x94X\x04\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x94t\x94\x8c\x04nest\x94]\x94()K\x01\x85\x94K\
    \x01K\x02\x86\x94K\x01K\x02K\x03\x87\x94(K\x01K\x02K\x03K\x04t\x94}\x94}\x94\x8c\x01k\
    \x94]\x94(]\x94(K\x01K\x02eh\x18ese\x8c\x03rec\x94]\x94h\x1aau.";

/// `pickle.dumps(RICH, protocol=5)`: adds bytes, set, frozenset and bytearray.
const RICH_P5: &[u8] = b"\x80\x05\x95G\x03\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04none\x94N\x8c\x01t\x94\x88\x8c\
    \x01f\x94\x89\x8c\x04ints\x94]\x94(K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ\
    \x00\x00\x01\x00J\x00\x00\x00\x80J\xff\xff\xff\x7f\x8a\x09\x00\x00\x00\x00\x00\x00\x00\
    \x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\
    \x9c,\x9f\x0ce\x8c\x06floats\x94G\x00\x00\x00\x00\x00\x00\x00\x00G\xbf\xf8\x00\x00\x00\
    \x00\x00\x00G~7\xe4<\x88\x00u\x9c\x87\x94\x8c\x04text\x94(\x8c\x00\x94\x8c\x03abc\x94\
    \x8c\x04\xe2\x82\xac\x00\x94X\x04\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x94t\x94\x8c\x04nest\x94]\x94()K\x01\x85\x94K\
    \x01K\x02\x86\x94K\x01K\x02K\x03\x87\x94(K\x01K\x02K\x03K\x04t\x94}\x94}\x94\x8c\x01k\
    \x94]\x94(]\x94(K\x01K\x02eh\x18ese\x8c\x03rec\x94]\x94h\x1aa\x8c\x01b\x94C\x07\x00\xffb\
    ytes\x94\x8c\x02bl\x94B\x04\x01\x00\x00yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
    yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
    yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
    yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\x94\x8c\x03set\x94\x8f\x94(K\x01K\x02K\x03\x90\x8c\
    \x02fs\x94(\x8c\x01a\x94\x91\x94\x8c\x02ba\x94\x96\x03\x00\x00\x00\x00\x00\x00\x00abc\
    \x94u.";

/// `pickle.dumps(RICH, protocol=2)`: bytes/set/bytearray go through GLOBAL/STACK_GLOBAL + REDUCE.
const RICH_GLOBALS_P2: &[u8] =
    b"\x80\x02}q\x00(X\x04\x00\x00\x00noneq\x01NX\x01\x00\x00\x00tq\x02\x88X\x01\x00\x00\x00fq\
    \x03\x89X\x04\x00\x00\x00intsq\x04]q\x05(K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\
    \xffJ\x00\x00\x01\x00J\x00\x00\x00\x80J\xff\xff\xff\x7f\x8a\x09\x00\x00\x00\x00\x00\x00\
    \x00\x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff\x8a\x0d\x00\x00\x00@\xea\xedtF\
    \xd0\x9c,\x9f\x0ceX\x06\x00\x00\x00floatsq\x06G\x00\x00\x00\x00\x00\x00\x00\x00G\xbf\xf8\
    \x00\x00\x00\x00\x00\x00G~7\xe4<\x88\x00u\x9c\x87q\x07X\x04\x00\x00\x00textq\x08(X\x00\
    \x00\x00\x00q\x09X\x03\x00\x00\x00abcq\nX\x04\x00\x00\x00\xe2\x82\xac\x00q\x0bX\x04\x01\
    \x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxq\x0ctq\x0dX\x04\x00\x00\x00nestq\x0e]q\x0f()K\x01\x85q\x10K\x01K\x02\x86q\x11K\x01K\
    \x02K\x03\x87q\x12(K\x01K\x02K\x03K\x04tq\x13}q\x14}q\x15X\x01\x00\x00\x00kq\x16]q\x17(]\
    q\x18(K\x01K\x02eh\x18eseX\x03\x00\x00\x00recq\x19]q\x1ah\x1aaX\x01\x00\x00\x00bq\x1bc_c\
    odecs\nencode\nq\x1cX\x08\x00\x00\x00\x00\xc3\xbfbytesq\x1dX\x06\x00\x00\x00latin1q\x1e\
    \x86q\x1fRq\x20X\x02\x00\x00\x00blq!h\x1cX\x04\x01\x00\x00yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
    yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
    yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
    yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyq\"h\x1e\x86q#Rq$X\x03\x00\x00\x00\
    setq%c__builtin__\nset\nq&]q'(K\x01K\x02K\x03e\x85q(Rq)X\x02\x00\x00\x00fsq*c__builtin__\
    \nfrozenset\nq+]q,X\x01\x00\x00\x00aq-a\x85q.Rq/X\x02\x00\x00\x00baq0c__builtin__\nbytea\
    rray\nq1h\x1cX\x03\x00\x00\x00abcq2h\x1e\x86q3Rq4\x85q5Rq6u.";

/// `pickle.dumps(RICH, protocol=4)`: bytes/set/bytearray go through GLOBAL/STACK_GLOBAL + REDUCE.
const RICH_GLOBALS_P4: &[u8] = b"\x80\x04\x95]\x03\x00\x00\x00\x00\x00\x00}\x94(\x8c\x04none\x94N\x8c\x01t\x94\x88\x8c\
    \x01f\x94\x89\x8c\x04ints\x94]\x94(K\x00K\x01J\xff\xff\xff\xffK\xffM\x00\x01M\xff\xffJ\
    \x00\x00\x01\x00J\x00\x00\x00\x80J\xff\xff\xff\x7f\x8a\x09\x00\x00\x00\x00\x00\x00\x00\
    \x80\x00\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff\x8a\x0d\x00\x00\x00@\xea\xedtF\xd0\
    \x9c,\x9f\x0ce\x8c\x06floats\x94G\x00\x00\x00\x00\x00\x00\x00\x00G\xbf\xf8\x00\x00\x00\
    \x00\x00\x00G~7\xe4<\x88\x00u\x9c\x87\x94\x8c\x04text\x94(\x8c\x00\x94\x8c\x03abc\x94\
    \x8c\x04\xe2\x82\xac\x00\x94X\x04\x01\x00\x00xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\
    xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\x94t\x94\x8c\x04nest\x94]\x94()K\x01\x85\x94K\
    \x01K\x02\x86\x94K\x01K\x02K\x03\x87\x94(K\x01K\x02K\x03K\x04t\x94}\x94}\x94\x8c\x01k\
    \x94]\x94(]\x94(K\x01K\x02eh\x18ese\x8c\x03rec\x94]\x94h\x1aa\x8c\x01b\x94C\x07\x00\xffb\
    ytes\x94\x8c\x02bl\x94B\x04\x01\x00\x00yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
    yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
    yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\
    yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\x94\x8c\x03set\x94\x8f\x94(K\x01K\x02K\x03\x90\x8c\
    \x02fs\x94(\x8c\x01a\x94\x91\x94\x8c\x02ba\x94\x8c\x08builtins\x94\x8c\x09bytearray\x94\
    \x93\x94C\x03abc\x94\x85\x94R\x94u.";

const VALID_PLAIN: &[&[u8]] = &[PLAIN_P0, PLAIN_P1, PLAIN_P2, PLAIN_P3, PLAIN_P4, PLAIN_P5, RICH_P5, PY2_0, PY2_1];
const VALID_WITH_GLOBALS: &[&[u8]] = &[RICH_GLOBALS_P2, RICH_GLOBALS_P4];
