//! Options for loading and dumping.

use crate::policy::Policy;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// How Python 2 `str` payloads (STRING, BINSTRING, SHORT_BINSTRING) are decoded, like the
/// `encoding` argument of CPython's `pickle.load`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// 7-bit ASCII (CPython's default); other bytes are an error.
    #[default]
    Ascii,
    /// Latin-1: every byte is a code point (the usual choice for NumPy and datetime data).
    Latin1,
    /// UTF-8.
    Utf8,
    /// Windows-1252.
    Cp1252,
    /// Keep them as `bytes`.
    Bytes,
}

impl Encoding {
    /// The name CPython would use.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Ascii => "ascii",
            Encoding::Latin1 => "latin-1",
            Encoding::Utf8 => "utf-8",
            Encoding::Cp1252 => "cp1252",
            Encoding::Bytes => "bytes",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Encoding {
    type Err = String;

    /// Accepts the names and aliases Python accepts for these codecs, in any case.
    fn from_str(s: &str) -> Result<Self, String> {
        let norm: String = s.to_ascii_lowercase().replace(['-', ' '], "_");
        Ok(match norm.as_str() {
            "ascii" | "us_ascii" | "646" => Encoding::Ascii,
            "latin1" | "latin_1" | "iso_8859_1" | "iso8859_1" | "8859" | "cp819" | "l1" => Encoding::Latin1,
            "utf8" | "utf_8" | "u8" => Encoding::Utf8,
            "cp1252" | "windows_1252" => Encoding::Cp1252,
            "bytes" => Encoding::Bytes,
            _ => return Err(format!("unknown encoding: {s}")),
        })
    }
}

/// Resource limits for reading. Every limit is checked before the memory it guards is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most items on the stack at once.
    pub stack: usize,
    /// Most open MARKs at once (nesting depth of marked containers).
    pub marks: usize,
    /// Most memo entries.
    pub memo: usize,
    /// Most payload bytes (str, bytes, ints) materialised in one pickle.
    pub bytes: u64,
    /// Most opcodes executed in one pickle.
    pub opcodes: u64,
    /// Most objects a builder keeps for one pickle (the [`crate::Graph`] arena, or the
    /// scanner's symbolic values).
    pub objects: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { stack: 1 << 28, marks: 1 << 20, memo: 1 << 28, bytes: 1 << 40, opcodes: u64::MAX, objects: 1 << 28 }
    }
}

/// Options for reading pickles.
///
/// ```
/// use brinery::{Encoding, LoadOptions};
/// let py2 = b"U\x03caf."; // a Python 2 str of 3 bytes
/// let g = brinery::loads_with(py2, &LoadOptions::default().encoding(Encoding::Bytes)).unwrap();
/// assert!(matches!(g.object(g.root()), Some(brinery::Object::Bytes(b)) if b == b"caf"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    pub(crate) encoding: Encoding,
    pub(crate) limits: Limits,
    pub(crate) buffers: Option<Vec<Vec<u8>>>,
    /// Shared with every builder made from these options (cloned by reference count, not
    /// copied, on each load).
    pub(crate) policy: Arc<Policy>,
}

impl LoadOptions {
    /// Decoding of Python 2 strings.
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// Resource limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Which globals are allowed, and what happens to the others (see [`crate::policy`]). The
    /// default is [`Policy::default`]: the `data` preset in inspect mode.
    ///
    /// ```
    /// use brinery::{LoadOptions, Policy, Preset};
    /// let torch = LoadOptions::default().policy(Policy::new().with(Preset::Torch).strict());
    /// assert!(torch.get_policy().allows("torch._utils", "_rebuild_tensor_v2"));
    /// assert!(brinery::loads_with(b"cbuiltins\neval\n.", &torch).is_err());
    /// ```
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Arc::new(policy);
        self
    }

    /// The policy in force.
    pub fn get_policy(&self) -> &Policy {
        &self.policy
    }

    /// The limits in force.
    pub fn get_limits(&self) -> &Limits {
        &self.limits
    }

    /// Out-of-band buffers for NEXT_BUFFER, in order (protocol 5).
    pub fn buffers(mut self, buffers: Vec<Vec<u8>>) -> Self {
        self.buffers = Some(buffers);
        self
    }
}
