//! `brinery dis`: `python -m pickletools`, same options, same output.

use crate::io::{create_output, open_input};
use brinery::dis::{Disassembler, Memo};
use brinery::pretty::repr_str;
use brinery::PyStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Pickle files (- for standard input). Each file's first pickle is disassembled.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The file where the output should be written.
    #[arg(short, long, default_value = "-")]
    output: PathBuf,
    /// Preserve memo between disassemblies.
    #[arg(short, long)]
    memo: bool,
    /// The number of blanks by which to indent a new MARK level.
    #[arg(short = 'l', long, default_value_t = 4, allow_negative_numbers = true)]
    indentlevel: i64,
    /// Annotate each line with a short opcode description.
    #[arg(short, long)]
    annotate: bool,
    /// If more than one pickle file is specified, print this before each disassembly
    /// (`{name}` is the file name).
    #[arg(short, long, default_value = "==> {name} <==")]
    preamble: String,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    // pickletools opens every file before printing anything.
    for path in &args.files {
        if path.as_os_str() != "-" {
            std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    let names: Vec<String> = args
        .files
        .iter()
        .map(|p| if p.as_os_str() == "-" { "<stdin>".to_string() } else { p.display().to_string() })
        .collect();
    let preambles = if args.files.len() > 1 {
        names.iter().map(|n| format_preamble(&args.preamble, n)).collect::<Result<Vec<_>, _>>()?
    } else {
        Vec::new()
    };
    let mut out = create_output(&args.output, None)?;
    // pickletools: `' ' * indentlevel` (nothing when negative), annotation column hint 30.
    let indent = usize::try_from(args.indentlevel).unwrap_or(0);
    let dis = Disassembler::new().indent(indent).annotate(if args.annotate { 30 } else { 0 });
    let mut memo = Memo::default();
    // Standard input is one stream: each `-` goes on where the previous one stopped, and its
    // offsets go on too (pickletools prints the stream's `tell()`).
    let mut stdin: Option<(BufReader<Box<dyn Read>>, u64)> = None;
    for (i, path) in args.files.iter().enumerate() {
        let mut file = None;
        let (input, offset): (&mut dyn BufRead, u64) = if path.as_os_str() == "-" {
            let (reader, offset) = match &mut stdin {
                Some(s) => s,
                None => stdin.insert((BufReader::new(open_input(path)?), 0)),
            };
            (reader, *offset)
        } else {
            (file.insert(BufReader::new(open_input(path)?)), 0)
        };
        if let Some(preamble) = preambles.get(i) {
            writeln!(out, "{preamble}").map_err(|e| e.to_string())?;
        }
        if !args.memo {
            memo.clear();
        }
        match dis.run_reader_at(input, offset, &mut out, &mut memo) {
            Ok(end) => {
                if let Some((_, offset)) = stdin.as_mut().filter(|_| path.as_os_str() == "-") {
                    *offset = end;
                }
            }
            Err(e) => {
                let _ = out.flush();
                return Err(format!("{}: {e}", names[i]));
            }
        }
    }
    out.flush().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

/// `preamble.format(name=name)`: Python's `str.format` with one keyword, `name` (with an
/// optional `!s`/`!r` conversion and a string format spec `[[fill]align][width][.precision]`).
fn format_preamble(template: &str, name: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err("preamble: Single '}' encountered in format string".into()),
            '{' => {
                let mut field = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => field.push(c),
                        None => return Err("preamble: expected '}' before end of string".into()),
                    }
                }
                out.push_str(&format_field(&field, name)?);
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

fn format_field(field: &str, name: &str) -> Result<String, String> {
    let (head, spec) = field.split_once(':').unwrap_or((field, ""));
    let (key, conversion) = match head.split_once('!') {
        Some((k, c)) => (k, Some(c)),
        None => (head, None),
    };
    if key != "name" {
        return Err(format!("preamble: unknown field {{{key}}} (only {{name}} is available)"));
    }
    let value = match conversion {
        None | Some("s") => name.to_string(),
        Some("r") | Some("a") => repr_str(&PyStr::from(name)),
        Some(c) => return Err(format!("preamble: Unknown conversion specifier {c}")),
    };
    apply_spec(&value, spec).ok_or_else(|| format!("preamble: unsupported format spec {spec:?}"))
}

/// A string format spec: `[[fill]align][width][.precision]`.
fn apply_spec(value: &str, spec: &str) -> Option<String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let mut fill = ' ';
    let mut align = '<';
    if chars.len() >= 2 && matches!(chars[1], '<' | '>' | '^') {
        fill = chars[0];
        align = chars[1];
        i = 2;
    } else if !chars.is_empty() && matches!(chars[0], '<' | '>' | '^') {
        align = chars[0];
        i = 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    let width: usize = match digits(&mut i) {
        w if w.is_empty() => 0,
        w => w.parse().ok()?,
    };
    let mut text: Vec<char> = value.chars().collect();
    if chars.get(i) == Some(&'.') {
        i += 1;
        let precision: usize = digits(&mut i).parse().ok()?;
        text.truncate(precision);
    }
    if i != chars.len() {
        return None;
    }
    let pad = width.saturating_sub(text.len());
    let (left, right) = match align {
        '>' => (pad, 0),
        '^' => (pad / 2, pad - pad / 2),
        _ => (0, pad),
    };
    let fill_n = |n: usize| std::iter::repeat_n(fill, n).collect::<String>();
    Some(format!("{}{}{}", fill_n(left), text.into_iter().collect::<String>(), fill_n(right)))
}

#[cfg(test)]
mod tests {
    use super::format_preamble;

    #[test]
    fn preamble() {
        assert_eq!(format_preamble("==> {name} <==", "a.pkl").unwrap(), "==> a.pkl <==");
        assert_eq!(format_preamble("{{{name!r:>9}}}", "a.pkl").unwrap(), "{  'a.pkl'}");
        assert_eq!(format_preamble("{name:*^9.3}", "a.pkl").unwrap(), "***a.p***");
        assert!(format_preamble("{}", "a").is_err());
        assert!(format_preamble("}", "a").is_err());
    }
}
