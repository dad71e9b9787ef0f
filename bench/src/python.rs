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
    global obj
    # Only the value the op needs is alive while it is timed (as in the Rust servers).
    if op == 'encode':
        if obj is None:
            obj = pickle.loads(data)
    else:
        obj = None
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
            obj = None
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
    name: &'static str,
}

impl Python {
    pub fn start(python: &str) -> Result<Python, String> {
        let mut cmd = Command::new(python);
        cmd.arg("-c").arg(SERVER);
        Python::spawn(cmd, "python")
    }

    /// The Rust twin (`brinery-bench serve brinery|serde-pickle`), same protocol.
    pub fn start_rust(which: &'static str) -> Result<Python, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
        let mut cmd = Command::new(exe);
        cmd.arg("serve").arg(which);
        Python::spawn(cmd, which)
    }

    fn spawn(mut cmd: Command, name: &'static str) -> Result<Python, String> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the {name} server: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut py = Python { child, stdin: Some(stdin), stdout, version: String::new(), name };
        py.version = py.call("version")?;
        Ok(py)
    }

    pub fn call(&mut self, line: &str) -> Result<String, String> {
        let stdin = self.stdin.as_mut().expect("open until drop");
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).map_err(|e| format!("{}: {e}", self.name))?;
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).map_err(|e| format!("{}: {e}", self.name))?;
        let answer = answer.trim_end();
        if let Some(rest) = answer.strip_prefix("ok") {
            Ok(rest.trim_start().to_string())
        } else if let Some(msg) = answer.strip_prefix("err ") {
            Err(msg.to_string())
        } else {
            Err(format!("{}: unexpected answer {answer:?} (did it exit?)", self.name))
        }
    }

    /// Load a workload; true when `pickle.dumps(obj, 5)` gives back the file's bytes.
    pub fn load(&mut self, path: &Path) -> Result<bool, String> {
        Ok(self.call(&format!("load {}", path.display()))? == "1")
    }

    pub fn free(&mut self) -> Result<(), String> {
        self.call("free").map(drop)
    }

    pub fn runner(&mut self, op: Op) -> CmdRunner<'_> {
        self.command_runner(format!("run {}", op.py_name()))
    }

    /// Times `{prefix} N CLOCK` commands.
    pub fn command_runner(&mut self, prefix: String) -> CmdRunner<'_> {
        CmdRunner { py: self, prefix }
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        // Closing stdin ends the server's loop; wait for it so no process is left behind.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

pub struct CmdRunner<'a> {
    py: &'a mut Python,
    prefix: String,
}

impl Runner for CmdRunner<'_> {
    fn batch(&mut self, n: u64, clock: Clock) -> Result<f64, String> {
        let answer = self.py.call(&format!("{} {n} {}", self.prefix, clock.name()))?;
        answer.parse().map_err(|e| format!("{}: bad time {answer:?}: {e}", self.py.name))
    }
}
