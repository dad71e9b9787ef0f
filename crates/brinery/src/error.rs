//! Typed errors. Every error from reading a pickle names the byte offset and the opcode where it
//! happened; the messages follow CPython's wording where CPython has one.

use std::fmt;

/// What went wrong, without the position.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended inside a pickle.
    #[error("pickle data was truncated")]
    Truncated,
    /// The input ended where an opcode should start.
    #[error("Ran out of input")]
    Eof,
    /// A byte that is no opcode.
    #[error("invalid load key, '{}'.", escape_byte(*.0))]
    UnknownOpcode(u8),
    /// PROTO names a protocol this reader does not know.
    #[error("unsupported pickle protocol: {0}")]
    UnsupportedProtocol(u64),
    /// An opcode needed more items than the stack holds.
    #[error("unpickling stack underflow")]
    StackUnderflow,
    /// An opcode that needs a MARK found none.
    #[error("could not find MARK")]
    MarkNotFound,
    /// An opcode that takes single items met a MARK.
    #[error("unexpected MARK found")]
    UnexpectedMark,
    /// GET of a memo index that was never PUT.
    #[error("Memo value not found at index {0}")]
    MemoNotFound(i64),
    /// PUT/GET with a negative index.
    #[error("negative {0} argument")]
    NegativeIndex(&'static str),
    /// A length field that is negative.
    #[error("{0} pickle has negative byte count")]
    NegativeLength(&'static str),
    /// A length field larger than this platform or the limits allow.
    #[error("{what} exceeds system's maximum size of {max} bytes")]
    TooLarge {
        /// The opcode or argument.
        what: &'static str,
        /// The maximum.
        max: u64,
    },
    /// A text argument (INT, LONG, FLOAT, GET, PUT …) that does not parse.
    #[error("{0}")]
    BadText(String),
    /// STRING opcode argument without matching quotes.
    #[error("the STRING opcode argument must be quoted")]
    BadQuotes,
    /// A str payload that is not UTF-8 (surrogates allowed, as CPython's `surrogatepass`).
    #[error("'utf-8' codec can't decode bytes: {0}")]
    BadUtf8(String),
    /// A Python 2 string that the chosen encoding cannot decode.
    #[error("'{encoding}' codec can't decode byte 0x{byte:02x}: ordinal not in range")]
    Decode {
        /// The encoding name.
        encoding: &'static str,
        /// The first bad byte.
        byte: u8,
    },
    /// A dict key or set item that Python cannot hash.
    #[error("unhashable type: '{0}'")]
    Unhashable(&'static str),
    /// An opcode applied to an object of the wrong type.
    #[error("{0}")]
    Type(String),
    /// A configured limit was reached.
    #[error("{what} limit of {limit} exceeded")]
    Limit {
        /// Which limit.
        what: &'static str,
        /// Its value.
        limit: u64,
    },
    /// Anything else malformed.
    #[error("{0}")]
    Invalid(String),
    /// A value the pickler cannot write in the requested protocol.
    #[error("{0}")]
    Unpicklable(String),
    /// An I/O error from the underlying reader or writer.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

fn escape_byte(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        (b as char).to_string()
    } else {
        format!("\\x{b:02x}")
    }
}

/// A brinery error: what went wrong and, when reading, where.
///
/// ```
/// let err = brinery::loads(b"\x80\x02]q\x00").unwrap_err();
/// assert_eq!(err.offset(), Some(5));
/// assert_eq!(err.to_string(), "offset 5: Ran out of input");
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    offset: Option<u64>,
    opcode: Option<u8>,
}

impl Error {
    /// An error of this kind with no position yet.
    pub fn new(kind: ErrorKind) -> Self {
        Error(Box::new(Inner { kind, offset: None, opcode: None }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The byte offset of the opcode that failed (for reading errors).
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// The name of the opcode that failed, when there was one.
    pub fn opcode(&self) -> Option<&'static str> {
        self.0.opcode.and_then(|b| crate::opcodes::lookup(b).map(|o| o.name))
    }

    /// Attach a position unless one is already set.
    pub(crate) fn at(mut self, offset: u64, opcode: Option<u8>) -> Self {
        if self.0.offset.is_none() {
            self.0.offset = Some(offset);
            self.0.opcode = opcode;
        }
        self
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        ErrorKind::Invalid(msg.into()).into()
    }

    pub(crate) fn type_error(msg: impl Into<String>) -> Self {
        ErrorKind::Type(msg.into()).into()
    }

    pub(crate) fn unpicklable(msg: impl Into<String>) -> Self {
        ErrorKind::Unpicklable(msg.into()).into()
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io(e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(offset) = self.0.offset {
            write!(f, "offset {offset}")?;
            if let Some(name) = self.opcode() {
                write!(f, " ({name})")?;
            }
            f.write_str(": ")?;
        }
        fmt::Display::fmt(&self.0.kind, f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error({self})")
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// `Result` with brinery's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
