//! `brinery convert`: re-encode pickles into another protocol, or to and from JSON.
//!
//! JSON output holds one document per pickle, each on its own line (JSON Lines; with
//! `--pretty`, indented documents one after another). JSON input is any sequence of documents,
//! separated by whitespace, or arrays of them; each becomes one pickle, so a stream of several
//! pickles converts to JSON and back to the same stream.

use crate::io::{create_output, map_input, open_input, Compression};
use brinery::{DumpOptions, Encoding, Graph, LoadOptions, Stream};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// What `convert` reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Python pickles, one after another.
    Pickle,
    /// brinery's JSON: one document per pickle, one per line (JSON Lines); any whitespace
    /// between documents, or arrays of them, on input.
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// Protocol to write (0-5).
    #[arg(short, long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(0..=5))]
    protocol: u8,
    /// How to decode Python 2 str data: ASCII (default), latin1, utf-8, cp1252 or bytes.
    #[arg(short, long, default_value = "ASCII")]
    encoding: Encoding,
    /// Input file, or - for standard input (compressed input is detected).
    input: PathBuf,
    /// Output file, or - for standard output.
    #[arg(short, long)]
    output: PathBuf,
    /// Compress the output.
    #[arg(long, value_enum)]
    compress: Option<Compression>,
    /// Input format.
    #[arg(long, value_enum, default_value_t = Format::Pickle)]
    from: Format,
    /// Output format: pickle at --protocol, or lossless JSON that converts back byte for byte.
    #[arg(long, value_enum, default_value_t = Format::Pickle)]
    to: Format,
    /// With --to json: plain JSON for people and jq (dicts as objects, bytes as base64, shared
    /// objects and cycles cut); it cannot be converted back.
    #[arg(long)]
    lossy: bool,
    /// With --to json: indent each document (they still follow one another, one per pickle).
    #[arg(long)]
    pretty: bool,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    if args.to != Format::Json && (args.lossy || args.pretty) {
        return Err(format!("--{} needs --to json", if args.lossy { "lossy" } else { "pretty" }));
    }
    let name = args.input.display().to_string();
    if same_file(&args.input, &args.output) {
        // Creating the output would empty the input before it is read.
        return Err(format!("{name}: input and output are the same file"));
    }
    let mapped = if args.from == Format::Pickle { map_input(&args.input)? } else { None };
    let opts = LoadOptions::default().encoding(args.encoding);
    let graphs: Box<dyn Iterator<Item = Result<Graph, String>>> = match (args.from, &mapped) {
        (Format::Pickle, Some(mapped)) => Box::new(Stream::shared(mapped, opts).map(|g| g.map_err(|e| e.to_string()))),
        (Format::Pickle, None) => {
            let input = open_input(&args.input)?;
            Box::new(Stream::from_reader(input, opts).map(|g| g.map_err(|e| e.to_string())))
        }
        (Format::Json, _) => Box::new(
            brinery::json::documents(open_input(&args.input)?)
                .enumerate()
                .map(|(i, g)| g.map_err(|e| format!("document {}: {e}", i + 1))),
        ),
    };
    let mut out = create_output(&args.output, args.compress)?;
    let mut count = 0;
    for graph in graphs {
        let graph = graph.map_err(|e| format!("{name}: {e}"))?;
        write_one(&mut out, &graph, &args).map_err(|e| format!("{name}: {e}"))?;
        count += 1;
    }
    if count == 0 {
        return Err(match args.from {
            Format::Pickle => format!("{name}: Ran out of input"),
            Format::Json => format!("{name}: no JSON document"),
        });
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// Whether two paths name one existing file (hard links and symlinks included).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    if a.as_os_str() == "-" || b.as_os_str() == "-" {
        return false;
    }
    let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        x.dev() == y.dev() && x.ino() == y.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (x, y);
        std::fs::canonicalize(a).ok().is_some_and(|p| std::fs::canonicalize(b).ok() == Some(p))
    }
}

fn write_one(out: &mut dyn Write, graph: &Graph, args: &Args) -> Result<(), String> {
    let result = match (args.to, args.lossy, args.pretty) {
        (Format::Pickle, _, _) => brinery::dump_with(&mut *out, graph, &mut DumpOptions::new(args.protocol)).map(drop),
        (Format::Json, false, false) => brinery::json::to_writer(&mut *out, graph),
        (Format::Json, false, true) => brinery::json::to_writer_pretty(&mut *out, graph),
        (Format::Json, true, false) => brinery::json::to_writer_lossy(&mut *out, graph),
        (Format::Json, true, true) => brinery::json::to_writer_lossy_pretty(&mut *out, graph),
    };
    result.map_err(|e| e.to_string())?;
    if args.to == Format::Json {
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    Ok(())
}
