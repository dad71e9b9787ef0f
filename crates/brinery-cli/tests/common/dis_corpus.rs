//! Helpers for `tests/dis.rs`: the Python driver that runs pickletools for many jobs in one
//! process, hand-made malformed pickles, and a parallel runner for the `brinery` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs pickletools for every job of a job file in one process.
///
/// `driver.py dis JOBS OUTDIR`: each line of JOBS is a tab-separated argv for
/// `python -m pickletools`; the real `__main__` block of pickletools runs in-process with that
/// argv and stdout captured. `driver.py optimize JOBS OUTDIR`: each line is a file for
/// `pickletools.optimize`. Job N writes OUTDIR/N.out (stdout, or the optimized bytes) and, when
/// it raised, OUTDIR/N.err as `ExceptionType: message`.
pub const DRIVER: &str = r#"
import io, os, sys, textwrap, pickletools

def main_block():
    src = open(pickletools.__file__, encoding='utf-8').read()
    marker = 'if __name__ == "__main__":\n'
    body = textwrap.dedent(src[src.index(marker) + len(marker):])
    return compile(body, pickletools.__file__, 'exec')

def run_dis(code, argv):
    buf = io.BytesIO()
    out = io.TextIOWrapper(buf, encoding='utf-8')
    saved = sys.stdout, sys.argv
    sys.stdout, sys.argv = out, ['pickletools'] + argv
    ns = dict(vars(pickletools))
    err = None
    try:
        exec(code, ns)
    except SystemExit as e:
        err = 'SystemExit: %s' % e.code
    except Exception as e:
        err = '%s: %s' % (type(e).__name__, e)
    finally:
        try:
            out.flush()
        except Exception:
            pass
        sys.stdout, sys.argv = saved
        args = ns.get('args')
        if args is not None:
            for f in list(getattr(args, 'pickle_file', None) or ()) + [getattr(args, 'output', None)]:
                if f is not None and f is not out and hasattr(f, 'close'):
                    f.close()
        ns.clear()
    return buf.getvalue(), err

def main():
    mode, jobs, outdir = sys.argv[1:4]
    code = main_block()
    with open(jobs, encoding='utf-8') as fh:
        lines = [l for l in fh.read().split('\n') if l]
    for n, line in enumerate(lines):
        argv = line.split('\t')
        if mode == 'dis':
            out, err = run_dis(code, argv)
        else:
            out, err = b'', None
            try:
                with open(argv[0], 'rb') as f:
                    out = pickletools.optimize(f.read())
            except Exception as e:
                err = '%s: %s' % (type(e).__name__, e)
        with open(os.path.join(outdir, '%d.out' % n), 'wb') as f:
            f.write(out)
        if err is not None:
            with open(os.path.join(outdir, '%d.err' % n), 'w', encoding='utf-8') as f:
                f.write(err)

main()
"#;

/// The Python whose pickletools is the reference: `python3.11` when there is one (the
/// version whose output brinery reproduces), else `python3`.
pub fn python() -> PathBuf {
    for exe in ["python3.11", "python3"] {
        let ok = Command::new(exe)
            .args(["-c", "import pickletools"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return PathBuf::from(exe);
        }
    }
    panic!("no python3 found: these tests compare brinery with CPython's pickletools");
}

/// What one pickletools job produced.
pub struct PyResult {
    pub out: Vec<u8>,
    /// `ExceptionType: message`, when it raised.
    pub err: Option<String>,
}

/// Run the driver over `jobs` (each an argv, or a single file for `optimize`).
pub fn run_python(py: &Path, mode: &str, jobs: &[Vec<String>], dir: &Path) -> Vec<PyResult> {
    let work = dir.join(format!("py_{mode}"));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let driver = dir.join("driver.py");
    std::fs::write(&driver, DRIVER).unwrap();
    let job_file = work.join("jobs.txt");
    let text: String = jobs.iter().map(|j| j.join("\t") + "\n").collect();
    std::fs::write(&job_file, text).unwrap();
    let status = Command::new(py)
        .arg(&driver)
        .arg(mode)
        .arg(&job_file)
        .arg(&work)
        .env("PYTHONWARNINGS", "ignore")
        .status()
        .expect("run python driver");
    assert!(status.success(), "python driver failed");
    (0..jobs.len())
        .map(|n| PyResult {
            out: std::fs::read(work.join(format!("{n}.out"))).unwrap(),
            err: std::fs::read_to_string(work.join(format!("{n}.err"))).ok(),
        })
        .collect()
}

/// Run `f` over `0..n` on a few threads, collecting the results in order.
pub fn parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    let mut results: Vec<(usize, T)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break mine;
                        }
                        mine.push((i, f(i)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, t)| t).collect()
}

/// Run the brinery binary.
pub fn brinery(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_brinery")).args(args).stdin(Stdio::null()).output().expect("run brinery")
}

/// Does brinery's run match pickletools'? `None` when it does, else why not.
pub fn compare(py: &PyResult, out: &[u8], code: Option<i32>, stderr: &[u8]) -> Option<String> {
    let stderr = String::from_utf8_lossy(stderr);
    if out != py.out.as_slice() {
        let (a, b) = (String::from_utf8_lossy(out), String::from_utf8_lossy(&py.out));
        let line =
            a.lines().zip(b.lines()).position(|(x, y)| x != y).unwrap_or(a.lines().count().min(b.lines().count()));
        return Some(format!(
            "stdout differs at line {line}:\n  brinery:     {:?}\n  pickletools: {:?}\n  stderr: {stderr}",
            a.lines().nth(line),
            b.lines().nth(line)
        ));
    }
    match &py.err {
        None if code == Some(0) && stderr.is_empty() => None,
        None => Some(format!("brinery failed ({code:?}) where pickletools did not: {stderr}")),
        Some(err) => {
            let message = err.split_once(": ").map_or(err.as_str(), |(_, m)| m);
            if code != Some(2) {
                Some(format!("pickletools raised {err:?} but brinery exited {code:?}"))
            } else if !stderr.trim_end().ends_with(&format!(": {message}")) {
                Some(format!("error differs:\n  brinery:     {}\n  pickletools: {err}", stderr.trim_end()))
            } else {
                None
            }
        }
    }
}

fn le4(n: u32) -> [u8; 4] {
    n.to_le_bytes()
}

fn le8(n: u64) -> [u8; 8] {
    n.to_le_bytes()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Hand-made pickles: malformed ones for every reader and checker error, and odd but valid
/// ones for the corners of the output format.
pub fn malformed() -> Vec<(&'static str, Vec<u8>)> {
    let big_long = |n: usize| cat(&[b"\x80\x02\x8b", &le4(n as u32), &vec![0x7f; n], b"."]);
    let mut v: Vec<(&'static str, Vec<u8>)> = vec![
        // genops
        ("empty", b"".to_vec()),
        ("truncated", b"\x80\x02]q\x00(K\x01".to_vec()),
        ("unknown_opcode", b"K\x01\xff.".to_vec()),
        ("unknown_opcode_ascii", b"z".to_vec()),
        ("trailing_garbage", b"N.garbage\xff".to_vec()),
        // fixed-size readers
        ("uint1_missing", b"K".to_vec()),
        ("uint2_short", b"M\x01".to_vec()),
        ("int4_short", b"J\x01\x02".to_vec()),
        ("uint4_short", b"N]j\x01".to_vec()),
        ("uint8_short", b"\x80\x04\x95\x01\x00".to_vec()),
        ("float8_short", b"G\x00\x00".to_vec()),
        ("float8_values", b"(G\x7f\xf0\x00\x00\x00\x00\x00\x00G\x80\x00\x00\x00\x00\x00\x00\x00G\x3f\xb9\x99\x99\x99\x99\x99\x9at.".to_vec()),
        // stringnl
        ("string_no_newline", b"S'abc'".to_vec()),
        ("string_quote_mismatch", b"S'abc\n.".to_vec()),
        ("string_dquote_mismatch", b"S\"abc'\n.".to_vec()),
        ("string_no_quotes", b"Sabc\n.".to_vec()),
        ("string_single_quote_char", b"S'\n.".to_vec()),
        ("string_bad_x_escape", b"S'\\x4'\n.".to_vec()),
        ("string_trailing_backslash", b"S'ab\\'\n.".to_vec()),
        ("string_non_ascii", b"S'\xe9'\n.".to_vec()),
        ("string_escaped_non_ascii", b"S'\\xe9'\n.".to_vec()),
        ("string_escapes", b"S'a\\n\\x41\\101\\q\\\\\\t\\'\"'\n.".to_vec()),
        ("string_dquoted", b"S\"it's\"\n.".to_vec()),
        ("persid", b"Pabc\\x41 def\n.".to_vec()),
        ("persid_non_ascii", b"P\xe9\n.".to_vec()),
        ("persid_no_newline", b"Pabc".to_vec()),
        ("global", b"cmod.sub\nname\n.".to_vec()),
        ("global_missing_name", b"cmod\n".to_vec()),
        ("global_quote", b"cm'o\"d\nn\n.".to_vec()),
        ("inst", b"(imod\ncls\n.".to_vec()),
        // decimal text
        ("int_bools", b"(I00\nI01\nI-1\nI 1_0 \nt.".to_vec()),
        ("int_with_l", b"I1L\n.".to_vec()),
        ("int_empty", b"I\n.".to_vec()),
        ("int_nul", b"I12\x00\n.".to_vec()),
        ("int_too_many_digits", cat(&[b"I", &[b'7'; 4400], b"\n."])),
        ("int_long_garbage", cat(&[b"I", &[b'x'; 300], b"\n."])),
        ("int_big", b"I123456789012345678901234567890123456789012345678901234567890\n.".to_vec()),
        ("long_text", b"(L123L\nL-5\nL0L\nt.".to_vec()),
        ("long_only_l", b"LL\n.".to_vec()),
        ("float_text", b"(F1.5\nFnan\nF-inf\nF1_0.5\nF1e400\nF0.1\nF-0.0\nF 2 \nt.".to_vec()),
        ("float_bad", b"Fabc\n.".to_vec()),
        ("float_bad_underscore", b"F1_.5\n.".to_vec()),
        // counted strings and bytes
        ("string1_short", b"U\x05ab".to_vec()),
        ("string1_latin1", b"U\x03\xe9\xff'.".to_vec()),
        ("string4_negative", b"T\xff\xff\xff\xff".to_vec()),
        ("string4_short", b"T\x05\x00\x00\x00ab".to_vec()),
        ("bytes1_short", b"C\x05ab".to_vec()),
        ("bytes4_short", b"B\x10\x00\x00\x00ab".to_vec()),
        ("bytes8_short", cat(&[b"\x8e", &le8(1000), b"ab"])),
        ("bytes8_over_maxsize", cat(&[b"\x8e", &le8(u64::MAX), b"ab"])),
        ("bytearray8", cat(&[b"\x80\x05\x96", &le8(3), b"a'\x00."])),
        ("bytearray8_both_quotes", cat(&[b"\x80\x05\x96", &le8(4), b"'\"\\\n."])),
        ("bytearray8_over_maxsize", cat(&[b"\x96", &le8(1 << 63)])),
        ("bytes_quotes", b"(C\x02'\"C\x01'C\x01\"C\x01\\t.".to_vec()),
        // unicode
        ("unicode_text", b"Vabc\\u00e9\\U0001f600\xe9\\x\\\\u0041\n.".to_vec()),
        ("unicode_truncated_escape", b"V\\u12\n.".to_vec()),
        ("unicode_out_of_range", b"Vab\\U00110000\n.".to_vec()),
        ("unicode_no_newline", b"Vabc".to_vec()),
        ("unicode_trailing_backslash", b"V\xe9\\\n.".to_vec()),
        ("unicode_surrogates", b"(V\\ud800\n\x8c\x03\xed\xa0\x80\x8c\x06\xed\xa0\xbd\xed\xb8\x80t.".to_vec()),
        ("binunicode_bad_start", b"\x8c\x01\xff.".to_vec()),
        ("binunicode_bad_continuation", b"X\x03\x00\x00\x00\xe2\x28\xa1.".to_vec()),
        ("binunicode_truncated_sequence", b"\x8c\x03x\xe2\x82.".to_vec()),
        ("binunicode_bad_third", cat(&[b"\x8d", &le8(3), b"\xe2\x82\x28."])),
        ("binunicode_short", b"\x8c\x05ab".to_vec()),
        ("binunicode8_over_maxsize", cat(&[b"\x8d", &le8(u64::MAX - 1)])),
        ("binunicode_printable", "X\u{7}\u{0}\u{0}\u{0}é\u{a0}\u{2028}.".as_bytes().to_vec()),
        // long1/long4
        ("long1", b"(\x8a\x02\xff\x00\x8a\x00\x8a\x01\x80t.".to_vec()),
        ("long1_short", b"\x8a\x05\x01".to_vec()),
        ("long4_negative", b"\x8b\xff\xff\xff\xff".to_vec()),
        ("long4_short", b"\x8b\x05\x00\x00\x00\x01".to_vec()),
        ("long4_4287_digits", big_long(1780)),
        ("long4_4311_digits", big_long(1790)),
        ("long4_huge", big_long(3000)),
        // stack and marks
        ("append_empty", b"a.".to_vec()),
        ("tuple_no_mark", b"t.".to_vec()),
        ("mark_popped_by_append", b"](al.".to_vec()),
        ("pop_mark_with_pop", b"(0N.".to_vec()),
        ("pop_mark", b"(NN1N.".to_vec()),
        ("stop_empty", b"\x80\x02.".to_vec()),
        ("stop_pops_mark", b"(.".to_vec()),
        ("stack_left", b"NK\x01(N.".to_vec()),
        ("stack_left_kinds", b"\x80\x04]}\x8f)\x88G\x00\x00\x00\x00\x00\x00\x00\x00(.".to_vec()),
        ("deep_marks", b"((((((K\x01ttttt(t.".to_vec()),
        ("dup_and_pop", b"N20.".to_vec()),
        ("setitems_odd", b"}(K\x01u.".to_vec()),
        // memo
        ("put_twice", b"Np0\np0\n.".to_vec()),
        ("put_empty_stack", b"p0\n.".to_vec()),
        ("put_mark", b"(p0\n.".to_vec()),
        ("get_unknown", b"g0\n.".to_vec()),
        ("binget_unknown", b"]q\x01h\x02.".to_vec()),
        ("memoize_collision", b"Nq\x01\x94\x94.".to_vec()),
        ("memoize_empty", b"\x94.".to_vec()),
        ("put_bool_key", b"]p00\n0g0\n.".to_vec()),
        ("put_negative_and_big_keys", b"(Np-1\nNp99999999999999999999999999999999999999999999\ng-1\ng99999999999999999999999999999999999999999999\nt.".to_vec()),
        ("get_typed", b"(Np0\n]p1\n\x88p2\ng0\ng1\ng2\nt0.".to_vec()),
        ("long_binput", b"]r\x00\x01\x00\x00j\x00\x01\x00\x000.".to_vec()),
        // framing, protocols, annotation columns
        ("frame", b"\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00N\x94.".to_vec()),
        ("proto_255", b"\x80\xffN.".to_vec()),
        ("proto_late", b"N\x80\x04.".to_vec()),
        ("ext", b"(\x82\x01\x83\x01\x02\x84\xff\xff\xff\xfft.".to_vec()),
        ("long_names_annotation", cat(&[b"(X", &le4(60), &[b'a'; 60], b"K\x01X\x01\x00\x00\x00bJ\x00\x00\x00\x80t."])),
        // optimize corners
        ("opt_get_before_put_text", b"g0\n]p0\n0g0\n.".to_vec()),
        ("opt_get_before_put_binary", b"\x80\x02h\x00]q\x00.".to_vec()),
        ("opt_memoize_in_proto2", b"\x80\x02]\x94h\x000h\x00.".to_vec()),
        ("opt_text_put_binget_free", b"]q\x00g0\n0.".to_vec()),
        ("opt_duplicate_put", b"]p0\n0]p0\ng0\n0.".to_vec()),
        ("opt_memoize_after_put", b"\x80\x04]q\x05\x94h\x01h\x050.".to_vec()),
        ("opt_bool_keys", b"]p00\ng0\n0.".to_vec()),
    ];
    // Many memo entries: LONG_BINPUT/LONG_BINGET after optimize, across a frame boundary.
    let mut many = b"\x80\x04(".to_vec();
    for i in 0..300u32 {
        many.extend_from_slice(b"\x8c\x01x\x94");
        many.push(b'j');
        many.extend_from_slice(&i.to_le_bytes());
    }
    many.extend_from_slice(b"l.");
    v.push(("many_memo_entries", many));
    let mut many_text = b"(".to_vec();
    for i in 0..300 {
        many_text.extend_from_slice(format!("Np{i}\ng{i}\n").as_bytes());
    }
    many_text.extend_from_slice(b"l.");
    v.push(("many_memo_text", many_text));
    // A large payload that goes outside frames when optimized.
    v.push(("opt_large_payload", cat(&[b"\x80\x04\x8e", &le8(70_000), &vec![b'z'; 70_000], b"\x94h\x00\x86."])));
    v
}

/// Deterministic mutations of real pickles (byte changes, inserted opcodes, cuts), for the
/// differential test: `count` of them, drawn from `sources`.
pub fn mutations(sources: &[Vec<u8>], count: usize) -> Vec<Vec<u8>> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rand = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let inserts: [&[u8]; 12] =
        [b"(", b"0", b"1", b"2", b".", b"\x94", b"q\x00", b"h\x00", b"p0\n", b"g1\n", b"N", b"\x80\x04"];
    (0..count)
        .map(|_| {
            let src = &sources[rand(sources.len())];
            let mut data = src[..src.len().min(3000)].to_vec();
            for _ in 0..1 + rand(4) {
                if data.is_empty() {
                    break;
                }
                let i = rand(data.len());
                match rand(6) {
                    0 => data[i] = rand(256) as u8,
                    1 => data[i] ^= 1 << rand(8),
                    2 => {
                        let code = 0x80 + rand(0x19) as u8;
                        data.insert(i, code);
                    }
                    3 => {
                        let end = (i + 1 + rand(8)).min(data.len());
                        data.drain(i..end);
                    }
                    4 => data.truncate(i),
                    _ => {
                        let ins = inserts[rand(inserts.len())];
                        data.splice(i..i, ins.iter().copied());
                    }
                }
            }
            data
        })
        .collect()
}
