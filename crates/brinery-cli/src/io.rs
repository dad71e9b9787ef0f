//! Input and output for every command: files or `-` for standard streams.
//!
//! Compressed input is detected by its first bytes and decompressed while it is read, in
//! streaming fashion (no whole file in memory); uncompressed input is passed through untouched.
//! The formats are the ones joblib and pandas write:
//!
//! | format | magic bytes |
//! | --- | --- |
//! | gzip (several members are read one after another, like Python's `gzip`) | `1f 8b` |
//! | bzip2 (several streams too) | `BZh` + `1`–`9` |
//! | xz (several streams too) | `fd 37 7a 58 5a 00` |
//! | legacy `.lzma` ("lzma-alone", joblib's `lzma`) | `5d 00` |
//! | Zstandard (several frames) | `28 b5 2f fd` |
//! | LZ4 frame (several frames) | `04 22 4d 18` |
//! | zlib (joblib's `zlib`) | `78` + a second byte that makes a valid zlib header |
//!
//! No pickle or JSON document can start with any of these. Output can be compressed with
//! `--compress`.

use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};
use std::fs::File;
use std::io::IsTerminal;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// A compression format recognised on input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    Gzip,
    Bzip2,
    Xz,
    LzmaAlone,
    Zstd,
    Lz4,
    Zlib,
}

/// The most bytes [`detect`] looks at.
const MAGIC_LEN: usize = 6;
const BUF_SIZE: usize = 1 << 16;

/// The compression format the first bytes of a stream announce, if any.
pub fn detect(head: &[u8]) -> Option<Detected> {
    match head {
        [0x1f, 0x8b, ..] => Some(Detected::Gzip),
        [b'B', b'Z', b'h', b'1'..=b'9', ..] => Some(Detected::Bzip2),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Some(Detected::Xz),
        [0x5d, 0x00, ..] => Some(Detected::LzmaAlone),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some(Detected::Zstd),
        [0x04, 0x22, 0x4d, 0x18, ..] => Some(Detected::Lz4),
        // CMF 0x78 (deflate, 32 KiB window); FLG makes the pair a multiple of 31, no preset
        // dictionary.
        [0x78, flg, ..] if (0x7800 + u16::from(*flg)) % 31 == 0 && flg & 0x20 == 0 => Some(Detected::Zlib),
        _ => None,
    }
}

/// Open a file (or standard input for `-`), decompressing transparently when the content
/// starts with a known compression magic.
pub fn open_input(path: &Path) -> Result<Box<dyn Read>, String> {
    let raw: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        with_progress(file, path)
    };
    let mut input = BufReader::with_capacity(BUF_SIZE, raw);
    let head = peek(&mut input, MAGIC_LEN).map_err(|e| format!("{}: {e}", path.display()))?;
    decompress(input, detect(&head)).map_err(|e| format!("{}: {e}", path.display()))
}

/// A regular, uncompressed file mapped into memory, for commands that load it whole: large
/// `bytes` payloads then load as views into the map (never copied) and are written out from it.
/// `None` for standard input, compressed files, empty files, and files big enough to show a
/// progress bar (which follows reads; those are read as a stream).
pub fn map_input(path: &Path) -> Result<Option<brinery::bytes::Bytes>, String> {
    if path.as_os_str() == "-" {
        return Ok(None);
    }
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = regular_size(&file);
    if size == 0 || shows_progress(size) {
        return Ok(None);
    }
    // SAFETY: the map is only read, through slices, while `brinery` holds it. Another process
    // changing the file meanwhile changes what is read (a truncation can end the process with
    // SIGBUS), the trade every tool reading files by mmap makes; a file still being written is
    // better piped in through `-`.
    let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) };
    let map = map.map_err(|e| format!("{}: {e}", path.display()))?;
    if detect(&map[..MAGIC_LEN.min(map.len())]).is_some() {
        return Ok(None);
    }
    Ok(Some(brinery::bytes::Bytes::from_owner(map)))
}

static QUIET: AtomicBool = AtomicBool::new(false);

/// Files at least this large show a progress bar while they are read (on a terminal).
const PROGRESS_FROM: u64 = 64 << 20;

/// Turn progress bars off (`--quiet`).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// The size of a regular file; 0 for anything else (pipes, devices).
fn regular_size(file: &File) -> u64 {
    file.metadata().map(|m| if m.is_file() { m.len() } else { 0 }).unwrap_or(0)
}

fn shows_progress(size: u64) -> bool {
    !QUIET.load(Ordering::Relaxed) && size >= PROGRESS_FROM && io::stderr().is_terminal()
}

/// A large regular file read while stderr is a terminal shows a progress bar there, cleared
/// when the read ends; anything else is read as it is.
fn with_progress(file: File, path: &Path) -> Box<dyn Read> {
    let size = regular_size(&file);
    if !shows_progress(size) {
        return Box::new(file);
    }
    let style = ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = ProgressBar::new(size)
        .with_style(style)
        .with_message(path.display().to_string())
        .with_finish(ProgressFinish::AndClear);
    Box::new(bar.wrap_read(file))
}

/// Look at up to `n` bytes without consuming them. Usually the first fill of the buffer holds
/// them; a pipe may hand out fewer, and then they are gathered and put back in front of the rest.
fn peek(input: &mut BufReader<Box<dyn Read>>, n: usize) -> io::Result<Vec<u8>> {
    let have = input.fill_buf()?.len();
    if have >= n || have == 0 {
        return Ok(input.buffer()[..have.min(n)].to_vec());
    }
    // Fewer than n bytes arrived in the first read: gather the rest by hand and put everything
    // back in front of the remaining input.
    let mut head = input.buffer().to_vec();
    input.consume(head.len());
    while head.len() < n {
        let mut more = vec![0u8; n - head.len()];
        let got = match input.read(&mut more) {
            Ok(0) => break,
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        head.extend_from_slice(&more[..got]);
    }
    let rest = std::mem::replace(input, BufReader::with_capacity(BUF_SIZE, Box::new(io::empty()) as Box<dyn Read>));
    let peeked = head.clone();
    *input = BufReader::with_capacity(BUF_SIZE, Box::new(io::Cursor::new(head).chain(rest)) as Box<dyn Read>);
    Ok(peeked)
}

/// Wrap the input in the decoder for `format` (or nothing). Every decoder reads through the
/// same buffered input and is buffered again for the caller.
pub fn decompress(input: BufReader<Box<dyn Read>>, format: Option<Detected>) -> io::Result<Box<dyn Read>> {
    let decoded: Box<dyn Read> = match format {
        None => return Ok(Box::new(input)),
        Some(Detected::Gzip) => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        Some(Detected::Zlib) => Box::new(flate2::bufread::ZlibDecoder::new(input)),
        Some(Detected::Bzip2) => Box::new(bzip2::bufread::MultiBzDecoder::new(input)),
        Some(Detected::Xz) => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(input)),
        Some(Detected::LzmaAlone) => {
            let stream = liblzma::stream::Stream::new_lzma_decoder(u64::MAX).map_err(io::Error::other)?;
            Box::new(liblzma::bufread::XzDecoder::new_stream(input, stream))
        }
        Some(Detected::Zstd) => Box::new(zstd::stream::read::Decoder::with_buffer(input)?),
        Some(Detected::Lz4) => Box::new(Lz4Frames(Some(lz4_flex::frame::FrameDecoder::new(input)))),
    };
    Ok(Box::new(BufReader::with_capacity(BUF_SIZE, decoded)))
}

/// LZ4 frames one after another: lz4_flex reports the end of each frame as the end of input,
/// and reads each further frame with a fresh decoder (reusing one trips its debug checks).
struct Lz4Frames(Option<lz4_flex::frame::FrameDecoder<BufReader<Box<dyn Read>>>>);

impl Read for Lz4Frames {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(dec) = self.0.as_mut() else { return Ok(0) };
            let n = dec.read(buf)?;
            // Each frame read consumes input, so this ends.
            if n > 0 || dec.get_mut().fill_buf()?.is_empty() {
                return Ok(n);
            }
            self.0 = self.0.take().map(|d| lz4_flex::frame::FrameDecoder::new(d.into_inner()));
        }
    }
}

/// Create a file (or standard output for `-`), compressing when asked.
///
/// Compressed output is finished when it is flushed (a later write starts a new member or
/// frame, which every reader of these formats reads as one stream), so finishing errors are
/// reported; dropping it unflushed finishes it too, ignoring errors.
pub fn create_output(path: &Path, compress: Option<Compression>) -> Result<Box<dyn Write>, String> {
    let raw: Box<dyn Write> = if path.as_os_str() == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(File::create(path).map_err(|e| format!("{}: {e}", path.display()))?)
    };
    Ok(match compress {
        None => Box::new(io::BufWriter::with_capacity(BUF_SIZE, raw)),
        Some(kind) => Box::new(io::BufWriter::with_capacity(BUF_SIZE, Compressor::new(raw, kind))),
    })
}

/// A running compressed stream over `W`.
enum Encoder<W: Write> {
    Gzip(flate2::write::GzEncoder<W>),
    Bz2(bzip2::write::BzEncoder<W>),
    Xz(liblzma::write::XzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
    Lz4(lz4_flex::frame::FrameEncoder<W>),
}

impl<W: Write> Encoder<W> {
    fn start(w: W, kind: Compression) -> io::Result<Self> {
        Ok(match kind {
            Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(w, flate2::Compression::default())),
            Compression::Bz2 => Encoder::Bz2(bzip2::write::BzEncoder::new(w, bzip2::Compression::best())),
            Compression::Xz => Encoder::Xz(liblzma::write::XzEncoder::new(w, 6)),
            Compression::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(w, 0)?),
            Compression::Lz4 => Encoder::Lz4(lz4_flex::frame::FrameEncoder::new(w)),
        })
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Encoder::Gzip(e) => e,
            Encoder::Bz2(e) => e,
            Encoder::Xz(e) => e,
            Encoder::Zstd(e) => e,
            Encoder::Lz4(e) => e,
        }
    }

    fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Gzip(e) => e.finish(),
            Encoder::Bz2(e) => e.finish(),
            Encoder::Xz(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
            Encoder::Lz4(e) => e.finish().map_err(io::Error::other),
        }
    }
}

/// Compresses everything written; `flush` finishes the current stream.
struct Compressor<W: Write> {
    kind: Compression,
    /// The sink while no stream is running.
    idle: Option<W>,
    running: Option<Encoder<W>>,
    /// Whether a stream was ever finished (an empty output still gets one, empty, stream).
    finished_one: bool,
}

impl<W: Write> Compressor<W> {
    fn new(w: W, kind: Compression) -> Self {
        Compressor { kind, idle: Some(w), running: None, finished_one: false }
    }

    fn running(&mut self) -> io::Result<&mut Encoder<W>> {
        if self.running.is_none() {
            let w = self.idle.take().ok_or_else(|| io::Error::other("compressed output already failed"))?;
            self.running = Some(Encoder::start(w, self.kind)?);
        }
        self.running.as_mut().ok_or_else(|| io::Error::other("compressed output already failed"))
    }

    fn finish_stream(&mut self) -> io::Result<()> {
        if self.running.is_none() && !self.finished_one {
            self.running()?;
        }
        if let Some(enc) = self.running.take() {
            let mut w = enc.finish()?;
            w.flush()?;
            self.idle = Some(w);
            self.finished_one = true;
        }
        Ok(())
    }
}

impl<W: Write> Write for Compressor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.running()?.writer().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.finish_stream()?;
        match &mut self.idle {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl<W: Write> Drop for Compressor<W> {
    fn drop(&mut self) {
        let _ = self.finish_stream();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compress(kind: Compression, chunks: &[&[u8]], flush_between: bool) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut c = Compressor::new(&mut out, kind);
            for chunk in chunks {
                c.write_all(chunk).unwrap();
                if flush_between {
                    c.flush().unwrap();
                }
            }
            c.flush().unwrap();
        }
        out
    }

    fn read_back(data: Vec<u8>) -> Vec<u8> {
        let format = detect(&data);
        assert!(format.is_some(), "not detected: {:02x?}", &data[..data.len().min(8)]);
        let input = BufReader::new(Box::new(io::Cursor::new(data)) as Box<dyn Read>);
        let mut out = Vec::new();
        decompress(input, format).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn every_format_round_trips_even_across_flushes() {
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for kind in [Compression::Gzip, Compression::Bz2, Compression::Xz, Compression::Zstd, Compression::Lz4] {
            for flush_between in [false, true] {
                let data = compress(kind, &[b"first ", &big, b"", b" last"], flush_between);
                let mut expected = b"first ".to_vec();
                expected.extend_from_slice(&big);
                expected.extend_from_slice(b" last");
                let back = read_back(data);
                assert!(
                    back == expected,
                    "{kind:?}, flushing between writes {flush_between}: {} bytes back",
                    back.len()
                );
            }
            assert!(read_back(compress(kind, &[], false)).is_empty(), "{kind:?} empty");
        }
    }

    #[test]
    fn uncompressed_input_is_untouched() {
        for head in [&b"\x80\x05K\x01."[..], b"]q\x00.", b"{\"brinery\":1}", b"(lp0\n.", b"", b"x", b"]"] {
            assert_eq!(detect(head), None, "{head:?}");
        }
    }

    #[test]
    fn peek_keeps_every_byte_of_a_trickling_reader() {
        /// Hands out one byte per read.
        struct Trickle(Vec<u8>, usize);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match (self.0.get(self.1), buf.first_mut()) {
                    (Some(&b), Some(slot)) => {
                        *slot = b;
                        self.1 += 1;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        for data in [b"\x80\x04K\x01.".to_vec(), b"ab".to_vec(), Vec::new(), b"0123456789".to_vec()] {
            let mut input = BufReader::new(Box::new(Trickle(data.clone(), 0)) as Box<dyn Read>);
            let head = peek(&mut input, MAGIC_LEN).unwrap();
            assert_eq!(head, data[..data.len().min(MAGIC_LEN)]);
            let mut all = Vec::new();
            input.read_to_end(&mut all).unwrap();
            assert_eq!(all, data);
        }
    }
}
