//! The `brinery` command line.

mod convert;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Python pickles without Python: convert, inspect and check them, never running their code.
#[derive(Parser)]
#[command(name = "brinery", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Re-encode every pickle in INPUT into another protocol, keeping sharing and recursion.
    Convert(convert::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Convert(args) => convert::run(args),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("brinery: {msg}");
            ExitCode::from(2)
        }
    }
}
