//! The `brinery` command line: a thin layer over the `brinery` library.
//!
//! Exit codes: 0 success, 1 findings (commands that judge input), 2 bad input or usage.

mod convert;
mod dis;
mod io;
mod optimize;
mod scan;
mod show;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Python pickles without Python: convert, show, disassemble and scan them, never running their
/// code. Compressed input (gzip, bzip2, xz, lzma, zstd, lz4, zlib) is read transparently.
#[derive(Parser)]
#[command(name = "brinery", version, about, long_about = None)]
struct Cli {
    /// No progress bar on stderr (one appears when a large file is read on a terminal).
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Re-encode every pickle in INPUT into another protocol (keeping sharing and recursion),
    /// to lossless or plain JSON, or from JSON back to pickles. Compressed input is detected.
    Convert(convert::Args),
    /// Print each pickle's object as `python -m pickle` does, without running it.
    Show(show::Args),
    /// Disassemble pickles as `python -m pickletools` does.
    Dis(dis::Args),
    /// Drop unused PUTs, as `pickletools.optimize` does.
    Optimize(optimize::Args),
    /// Judge pickles, PyTorch and NumPy files against an allowlist without running them
    /// (exit 0 safe, 1 findings, 2 error).
    Scan(scan::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    io::set_quiet(cli.quiet);
    let result = match cli.command {
        Command::Convert(args) => convert::run(args),
        Command::Show(args) => show::run(args),
        Command::Dis(args) => dis::run(args),
        Command::Optimize(args) => optimize::run(args),
        Command::Scan(args) => scan::run(args),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("brinery: {msg}");
            ExitCode::from(2)
        }
    }
}
