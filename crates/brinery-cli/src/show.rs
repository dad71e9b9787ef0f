//! `brinery show`: print each pickle as `python -m pickle` does (`pprint.pprint` of the loaded
//! object), without importing or running anything.
//!
//! `python -m pickle FILE...` loads one pickle per file; `brinery show` prints every pickle in
//! each file, one after the other (for a file of one pickle the output is the same), unless
//! `--first` asks for CPython's behaviour exactly.

use crate::io::open_input;
use brinery::pretty::{Outcome, PrettyPrinter, DEFAULT_MAX_OUTPUT};
use brinery::{Encoding, LoadOptions, Stream};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Pickle files, or - for standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Target line width, as pprint's `width`.
    #[arg(short, long, default_value_t = 80, value_parser = clap::value_parser!(u64).range(1..))]
    width: u64,
    /// Spaces per nesting level, as pprint's `indent`.
    #[arg(long, default_value_t = 1)]
    indent: usize,
    /// Print nested dicts, lists and tuples deeper than this as `...`, as pprint's `depth`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    depth: Option<u64>,
    /// Pack several items on a line where they fit, as pprint's `compact`.
    #[arg(long)]
    compact: bool,
    /// Keep dicts in insertion order instead of sorting their keys.
    #[arg(long)]
    no_sort_dicts: bool,
    /// Only the first pickle of each file (exactly what `python -m pickle` prints).
    #[arg(long)]
    first: bool,
    /// How to decode Python 2 str data: ASCII (default), latin1, utf-8, cp1252 or bytes.
    #[arg(short, long, default_value = "ASCII")]
    encoding: Encoding,
    /// Most bytes printed for one pickle; longer output is cut with a marker line.
    #[arg(long, default_value_t = DEFAULT_MAX_OUTPUT)]
    max_output: usize,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let printer = PrettyPrinter::new()
        .width(usize::try_from(args.width).unwrap_or(usize::MAX))
        .indent(args.indent)
        .depth(args.depth.map(|d| usize::try_from(d).unwrap_or(usize::MAX)))
        .compact(args.compact)
        .sort_dicts(!args.no_sort_dicts)
        .max_output(args.max_output);
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut failed = false;
    for path in &args.files {
        let name = path.display().to_string();
        let input = match open_input(path) {
            Ok(input) => input,
            Err(e) => {
                report(&mut out, &e)?;
                failed = true;
                continue;
            }
        };
        let opts = LoadOptions::default().encoding(args.encoding);
        let mut count = 0usize;
        let mut broken = false;
        for graph in Stream::from_reader(input, opts) {
            let graph = match graph {
                Ok(g) => g,
                Err(e) => {
                    report(&mut out, &format!("{name}: {e}"))?;
                    broken = true;
                    break;
                }
            };
            count += 1;
            match printer.pprint(&graph, graph.root(), &mut out) {
                Ok(Outcome::Complete) => {}
                Ok(Outcome::Truncated) => {
                    report(&mut out, &format!("{name}: output cut at {} bytes (see --max-output)", args.max_output))?;
                    failed = true;
                }
                // A closed pipe (`brinery show f | head`) ends the output quietly.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
                Err(e) => return Err(format!("writing output: {e}")),
            }
            if args.first {
                break;
            }
        }
        if count == 0 && !broken {
            report(&mut out, &format!("{name}: offset 0: Ran out of input"))?;
            broken = true;
        }
        failed |= broken;
    }
    flush(&mut out)?;
    Ok(if failed { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

/// An error for one file: flush what was printed so far, then say it on standard error.
fn report(out: &mut impl Write, msg: &str) -> Result<(), String> {
    flush(out)?;
    eprintln!("brinery: {msg}");
    Ok(())
}

fn flush(out: &mut impl Write) -> Result<(), String> {
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(format!("writing output: {e}")),
        _ => Ok(()),
    }
}
