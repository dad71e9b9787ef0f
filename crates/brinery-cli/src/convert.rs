//! `brinery convert`: re-encode pickles into another protocol.

use crate::io::{create_output, open_input, Compression};
use brinery::{DumpOptions, Encoding, LoadOptions, Stream};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Protocol to write (0-5).
    #[arg(short, long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(0..=5))]
    protocol: u8,
    /// How to decode Python 2 str data: ASCII (default), latin1, utf-8, cp1252 or bytes.
    #[arg(short, long, default_value = "ASCII")]
    encoding: Encoding,
    /// Input file, or - for standard input.
    input: PathBuf,
    /// Output file, or - for standard output.
    #[arg(short, long)]
    output: PathBuf,
    /// Compress the output.
    #[arg(long, value_enum)]
    compress: Option<Compression>,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let name = args.input.display().to_string();
    let input = open_input(&args.input)?;
    let mut out = create_output(&args.output, args.compress)?;
    let opts = LoadOptions::default().encoding(args.encoding);
    let mut count = 0;
    for graph in Stream::from_reader(input, opts) {
        let graph = graph.map_err(|e| format!("{name}: {e}"))?;
        brinery::dump_with(&mut out, &graph, &mut DumpOptions::new(args.protocol))
            .map_err(|e| format!("{name}: {e}"))?;
        count += 1;
    }
    if count == 0 {
        return Err(format!("{name}: Ran out of input"));
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
