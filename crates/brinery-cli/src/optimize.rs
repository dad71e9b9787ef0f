//! `brinery optimize`: `pickletools.optimize` on the first pickle of a file.

use crate::io::{create_output, open_input, Compression};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Input file, or - for standard input. Its first pickle is optimized; bytes after its
    /// STOP are dropped, as pickletools drops them.
    input: PathBuf,
    /// Output file, or - for standard output.
    #[arg(short, long, default_value = "-")]
    output: PathBuf,
    /// Compress the output.
    #[arg(long, value_enum)]
    compress: Option<Compression>,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let name = args.input.display().to_string();
    let mut data = Vec::new();
    open_input(&args.input)?.read_to_end(&mut data).map_err(|e| format!("{name}: {e}"))?;
    let optimized = brinery::optimize::optimize(&data).map_err(|e| format!("{name}: {e}"))?;
    let mut out = create_output(&args.output, args.compress)?;
    out.write_all(&optimized).and_then(|()| out.flush()).map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}
