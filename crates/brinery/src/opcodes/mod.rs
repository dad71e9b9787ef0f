//! The opcode table: one entry per opcode of protocols 0–5, used by the reader, the writer,
//! the disassembler and the scanner alike.

mod table;

pub use table::{op, OPCODES};

/// How an opcode's argument is encoded in the byte stream (pickletools' argument descriptors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// No argument.
    None,
    /// One unsigned byte.
    U1,
    /// Two-byte little-endian unsigned int.
    U2,
    /// Four-byte little-endian signed int.
    I4,
    /// Four-byte little-endian unsigned int.
    U4,
    /// Eight-byte little-endian unsigned int.
    U8,
    /// Decimal text up to a newline (INT, GET, PUT).
    DecimalNlShort,
    /// Decimal text up to a newline with an optional `L` (LONG).
    DecimalNlLong,
    /// A quoted, escaped string literal up to a newline (STRING).
    StringNl,
    /// Raw text up to a newline (PERSID).
    StringNlNoEscape,
    /// Two raw text lines: module and name (GLOBAL, INST).
    StringNlNoEscapePair,
    /// One-byte length, then bytes (SHORT_BINSTRING).
    String1,
    /// Four-byte signed length, then bytes (BINSTRING).
    String4,
    /// One-byte length, then bytes.
    Bytes1,
    /// Four-byte length, then bytes.
    Bytes4,
    /// Eight-byte length, then bytes.
    Bytes8,
    /// Eight-byte length, then bytes for a bytearray.
    ByteArray8,
    /// raw-unicode-escape text up to a newline (UNICODE).
    UnicodeStringNl,
    /// One-byte length, then UTF-8.
    UnicodeString1,
    /// Four-byte length, then UTF-8.
    UnicodeString4,
    /// Eight-byte length, then UTF-8.
    UnicodeString8,
    /// Float as decimal text up to a newline.
    FloatNl,
    /// Eight-byte big-endian IEEE-754 double.
    Float8,
    /// One-byte length, then little-endian two's-complement bytes.
    Long1,
    /// Four-byte signed length, then little-endian two's-complement bytes.
    Long4,
}

impl Arg {
    /// pickletools' name for this argument kind.
    pub fn name(self) -> &'static str {
        match self {
            Arg::None => "none",
            Arg::U1 => "uint1",
            Arg::U2 => "uint2",
            Arg::I4 => "int4",
            Arg::U4 => "uint4",
            Arg::U8 => "uint8",
            Arg::DecimalNlShort => "decimalnl_short",
            Arg::DecimalNlLong => "decimalnl_long",
            Arg::StringNl => "stringnl",
            Arg::StringNlNoEscape => "stringnl_noescape",
            Arg::StringNlNoEscapePair => "stringnl_noescape_pair",
            Arg::String1 => "string1",
            Arg::String4 => "string4",
            Arg::Bytes1 => "bytes1",
            Arg::Bytes4 => "bytes4",
            Arg::Bytes8 => "bytes8",
            Arg::ByteArray8 => "bytearray8",
            Arg::UnicodeStringNl => "unicodestringnl",
            Arg::UnicodeString1 => "unicodestring1",
            Arg::UnicodeString4 => "unicodestring4",
            Arg::UnicodeString8 => "unicodestring8",
            Arg::FloatNl => "floatnl",
            Arg::Float8 => "float8",
            Arg::Long1 => "long1",
            Arg::Long4 => "long4",
        }
    }
}

/// The kinds of stack items pickletools names in its stack effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stk {
    /// Any object.
    Any,
    /// The mark object pushed by MARK.
    Mark,
    /// All items above the topmost mark.
    StackSlice,
    /// None.
    NoneType,
    /// bool.
    Bool,
    /// int.
    Int,
    /// int or bool.
    IntOrBool,
    /// float.
    Float,
    /// str.
    Str,
    /// bytes.
    Bytes,
    /// bytes or str (Python 2 strings).
    BytesOrStr,
    /// bytearray.
    ByteArray,
    /// An out-of-band buffer.
    Buffer,
    /// list.
    List,
    /// tuple.
    Tuple,
    /// dict.
    Dict,
    /// set.
    Set,
    /// frozenset.
    FrozenSet,
}

impl Stk {
    /// pickletools' name for this kind of stack item.
    pub fn name(self) -> &'static str {
        match self {
            Stk::Any => "any",
            Stk::Mark => "mark",
            Stk::StackSlice => "stackslice",
            Stk::NoneType => "None",
            Stk::Bool => "bool",
            Stk::Int => "int",
            Stk::IntOrBool => "int_or_bool",
            Stk::Float => "float",
            Stk::Str => "str",
            Stk::Bytes => "bytes",
            Stk::BytesOrStr => "bytes_or_str",
            Stk::ByteArray => "bytearray",
            Stk::Buffer => "buffer",
            Stk::List => "list",
            Stk::Tuple => "tuple",
            Stk::Dict => "dict",
            Stk::Set => "set",
            Stk::FrozenSet => "frozenset",
        }
    }
}

/// One opcode's facts.
#[derive(Debug)]
pub struct OpInfo {
    /// Name as pickletools spells it.
    pub name: &'static str,
    /// The opcode byte.
    pub code: u8,
    /// How the argument is encoded.
    pub arg: Arg,
    /// Stack items consumed, bottom first.
    pub before: &'static [Stk],
    /// Stack items produced, bottom first.
    pub after: &'static [Stk],
    /// The protocol that introduced it.
    pub proto: u8,
    /// One line saying what it does.
    pub doc: &'static str,
}

const NO_OP: u8 = u8::MAX;

/// Byte → index into [`OPCODES`], built at compile time from the table itself.
static INDEX: [u8; 256] = {
    let mut index = [NO_OP; 256];
    let mut i = 0;
    while i < OPCODES.len() {
        index[OPCODES[i].code as usize] = i as u8;
        i += 1;
    }
    index
};

/// The opcode with this byte, if there is one.
///
/// ```
/// let info = brinery::opcodes::lookup(b'(').unwrap();
/// assert_eq!(info.name, "MARK");
/// assert!(brinery::opcodes::lookup(b'z').is_none());
/// ```
pub fn lookup(code: u8) -> Option<&'static OpInfo> {
    match INDEX[code as usize] {
        NO_OP => None,
        i => Some(&OPCODES[i as usize]),
    }
}

/// The name of the opcode with this byte, or `"?"`.
pub fn name(code: u8) -> &'static str {
    lookup(code).map_or("?", |o| o.name)
}
