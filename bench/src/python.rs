//! One long-lived `python3` process that times `pickle.loads` / `pickle.dumps` in its own
//! `time.perf_counter` loops, driven line by line over its standard input.

use crate::measure::{Clock, Runner};
use crate::Op;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// The server. Each command is one line; each answer is one line, `ok …` or `err …`.
/// The timed loops bind everything to locals first, as pyperformance does, and leave the
/// garbage collector on (as programs run); per-call times include freeing the result, as
/// they do on the Rust side.
const SERVER: &str = r#"
import gc, pickle, sys, time
data = obj = None

def run(op, n, clock):
    pc = time.thread_time if clock == 'cpu' else time.perf_counter
    loads, dumps, d, o, r = pickle.loads, pickle.dumps, data, obj, range(n)
    if op == 'decode':
        t0 = pc()
        for _ in r:
            loads(d)
        t1 = pc()
    elif op == 'encode':
        t0 = pc()
        for _ in r:
            dumps(o, 5)
        t1 = pc()
    elif op == 'roundtrip':
        t0 = pc()
        for _ in r:
            dumps(loads(d), 5)
        t1 = pc()
    else:
        raise ValueError('unknown op ' + op)
    return (t1 - t0) / n

for line in sys.stdin:
    cmd, _, arg = line.rstrip('\n').partition(' ')
    try:
        if cmd == 'load':
            data = obj = None
            gc.collect()
            with open(arg, 'rb') as f:
                data = f.read()
            obj = pickle.loads(data)
            reply = 'ok %d' % (pickle.dumps(obj, 5) == data)
        elif cmd == 'free':
            data = obj = None
            gc.collect()
            reply = 'ok'
        elif cmd == 'run':
            op, n, clock = arg.split()
            reply = 'ok %r' % run(op, int(n), clock)
        elif cmd == 'version':
            reply = 'ok ' + sys.version.split()[0]
        else:
            reply = 'err unknown command ' + cmd
    except BaseException as e:
        reply = 'err ' + (type(e).__name__ + ': ' + str(e)).replace('\n', ' ')[:300]
    sys.stdout.write(reply + '\n')
    sys.stdout.flush()
"#;

pub struct Python {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    pub version: String,
}

impl Python {
    pub fn start(python: &str) -> Result<Python, String> {
        let mut child = Command::new(python)
            .arg("-c")
            .arg(SERVER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {python}: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut py = Python { child, stdin: Some(stdin), stdout, version: String::new() };
        py.version = py.call("version")?;
        Ok(py)
    }

    fn call(&mut self, line: &str) -> Result<String, String> {
        let stdin = self.stdin.as_mut().expect("open until drop");
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).map_err(|e| format!("python: {e}"))?;
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).map_err(|e| format!("python: {e}"))?;
        let answer = answer.trim_end();
        if let Some(rest) = answer.strip_prefix("ok") {
            Ok(rest.trim_start().to_string())
        } else if let Some(msg) = answer.strip_prefix("err ") {
            Err(msg.to_string())
        } else {
            Err(format!("python: unexpected answer {answer:?} (did it exit?)"))
        }
    }

    /// Load a workload; true when `pickle.dumps(obj, 5)` gives back the file's bytes.
    pub fn load(&mut self, path: &Path) -> Result<bool, String> {
        Ok(self.call(&format!("load {}", path.display()))? == "1")
    }

    pub fn free(&mut self) -> Result<(), String> {
        self.call("free").map(drop)
    }

    pub fn runner(&mut self, op: Op) -> PyRunner<'_> {
        PyRunner { py: self, op }
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        // Closing stdin ends the server's loop; wait for it so no process is left behind.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

pub struct PyRunner<'a> {
    py: &'a mut Python,
    op: Op,
}

impl Runner for PyRunner<'_> {
    fn batch(&mut self, n: u64, clock: Clock) -> Result<f64, String> {
        let answer = self.py.call(&format!("run {} {n} {}", self.op.py_name(), clock.name()))?;
        answer.parse().map_err(|e| format!("python: bad time {answer:?}: {e}"))
    }
}
