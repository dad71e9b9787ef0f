//! The interface between the unpickling machine and what it builds.
//!
//! The machine decodes opcodes, keeps the stack, marks and memo, and checks the stream's
//! structure; a [`Builder`] decides what each value *is*. The [`crate::Graph`] builder makes inert
//! Rust values; a symbolic builder (for scanning) or a Python-object builder can plug into the
//! same machine.

use crate::error::Result;
use crate::machine::Scratch;
use crate::read::Chunk;
use num_bigint::BigInt;

/// Decoded str payload, validated once by the machine.
#[derive(Debug)]
pub enum Text<'de, 's> {
    /// Borrowed from the input.
    Borrowed(&'de str),
    /// Borrowed from the reader's buffer until the next read.
    Transient(&'s str),
    /// Owned.
    Owned(String),
    /// Contains lone surrogates: surrogate-pass UTF-8 bytes.
    Surrogates(Vec<u8>),
}

/// What the unpickling machine calls to make values. Items handed over as slices are clones the
/// builder may keep; the machine drops its own copies afterwards.
pub trait Builder<'de> {
    /// A stack item.
    type Value: Clone;

    /// `None`.
    fn none(&mut self) -> Self::Value;
    /// A bool.
    fn bool(&mut self, b: bool) -> Self::Value;
    /// An int that fits in 64 bits.
    fn int(&mut self, i: i64) -> Self::Value;
    /// A larger int.
    fn big_int(&mut self, n: BigInt) -> Result<Self::Value>;
    /// A float.
    fn float(&mut self, f: f64) -> Self::Value;
    /// A str.
    fn str(&mut self, s: Text<'de, '_>) -> Result<Self::Value>;
    /// bytes.
    fn bytes(&mut self, b: Chunk<'de, '_>) -> Result<Self::Value>;
    /// bytearray.
    fn bytearray(&mut self, b: Chunk<'de, '_>) -> Result<Self::Value>;

    /// A list of these items.
    fn list(&mut self, items: &[Self::Value]) -> Result<Self::Value>;
    /// `list.append(item)` or its equivalent on another object.
    fn append(&mut self, list: &Self::Value, item: Self::Value) -> Result<()>;
    /// `list.extend(items)` or its equivalent on another object.
    fn extend(&mut self, list: &Self::Value, items: &[Self::Value]) -> Result<()>;
    /// A tuple of these items.
    fn tuple(&mut self, items: &[Self::Value]) -> Result<Self::Value>;
    /// A dict from alternating keys and values.
    fn dict(&mut self, pairs: &[Self::Value]) -> Result<Self::Value>;
    /// Set items from alternating keys and values.
    fn set_items(&mut self, dict: &Self::Value, pairs: &[Self::Value]) -> Result<()>;
    /// An empty set.
    fn empty_set(&mut self) -> Result<Self::Value>;
    /// Add items to a set.
    fn add_items(&mut self, set: &Self::Value, items: &[Self::Value]) -> Result<()>;
    /// A frozenset of these items.
    fn frozenset(&mut self, items: &[Self::Value]) -> Result<Self::Value>;

    /// A global named by text (already mapped from Python 2 names when the protocol says so).
    fn global(&mut self, module: &str, name: &str) -> Result<Self::Value>;
    /// A global named by two stack values; `py2_names` asks for the Python 2 mapping.
    fn stack_global(&mut self, module: Self::Value, name: Self::Value, py2_names: bool) -> Result<Self::Value>;
    /// An extension code (EXT1/2/4).
    fn ext(&mut self, code: i32) -> Result<Self::Value>;
    /// `callable(*args)`.
    fn reduce(&mut self, callable: Self::Value, args: Self::Value) -> Result<Self::Value>;
    /// `cls.__new__(cls, *args)`.
    fn new_obj(&mut self, cls: Self::Value, args: Self::Value) -> Result<Self::Value>;
    /// `cls.__new__(cls, *args, **kwargs)`.
    fn new_obj_ex(&mut self, cls: Self::Value, args: Self::Value, kwargs: Self::Value) -> Result<Self::Value>;
    /// INST: a class named by text, called with these arguments.
    fn inst(&mut self, module: &str, name: &str, args: &[Self::Value]) -> Result<Self::Value>;
    /// OBJ: a class from the stack, called with these arguments.
    fn obj(&mut self, cls: Self::Value, args: &[Self::Value]) -> Result<Self::Value>;
    /// BUILD: apply state to an object.
    fn build(&mut self, obj: &Self::Value, state: Self::Value) -> Result<()>;
    /// A persistent reference.
    fn persistent_id(&mut self, pid: Self::Value) -> Result<Self::Value>;
    /// The next out-of-band buffer.
    fn next_buffer(&mut self) -> Result<Self::Value>;
    /// Make a buffer read-only.
    fn readonly_buffer(&mut self, buf: &Self::Value) -> Result<()>;

    /// The machine's working memory for the next pickle: a fresh one unless the builder kept
    /// the last one.
    fn take_scratch(&mut self) -> Scratch<Self::Value> {
        Scratch::default()
    }
    /// The machine is done with its working memory (emptied); a builder may keep it for the
    /// next pickle.
    fn keep_scratch(&mut self, scratch: Scratch<Self::Value>) {
        drop(scratch)
    }
}
