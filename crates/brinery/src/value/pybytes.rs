//! Python `bytes`: owned, or a view into a shared buffer (the pickle it was loaded from), so a
//! large payload is never copied on the way in.

use std::fmt;
use std::ops::Deref;

/// A Python bytes object: its own vector, or a [`bytes::Bytes`] view into a buffer shared with
/// other objects (see [`loads_shared`](crate::loads_shared), which hands out views into the
/// input for large payloads instead of copying them). Either way it reads as a `[u8]`, and
/// equality, order and hashing go by content. It takes 24 bytes in the arena.
///
/// ```
/// use brinery::PyBytes;
/// let owned = PyBytes::from(b"abc".to_vec());
/// let input = bytes::Bytes::from_static(b"xxabcxx");
/// let view = PyBytes::from(input.slice(2..5));
/// assert_eq!(owned, view);
/// assert!(view.is_shared() && !owned.is_shared());
/// assert_eq!(&view[..], b"abc");
/// ```
#[derive(Clone)]
pub struct PyBytes(Repr);

#[derive(Clone)]
enum Repr {
    Owned(Vec<u8>),
    /// Boxed to keep the type at 24 bytes; views are only made for large payloads, where one
    /// more small allocation does not count.
    Shared(Box<bytes::Bytes>),
}

impl PyBytes {
    /// Empty bytes.
    pub const fn new() -> Self {
        PyBytes(Repr::Owned(Vec::new()))
    }

    /// The content.
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Owned(v) => v,
            Repr::Shared(b) => b,
        }
    }

    /// True when this is a view into a shared buffer rather than a vector of its own.
    pub fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(_))
    }

    /// The content as a vector (copied only when it is a view).
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Owned(v) => v,
            Repr::Shared(b) => b.to_vec(),
        }
    }

    /// The content as [`bytes::Bytes`] (no copy either way).
    pub fn into_shared(self) -> bytes::Bytes {
        match self.0 {
            Repr::Owned(v) => bytes::Bytes::from(v),
            Repr::Shared(b) => *b,
        }
    }
}

impl Default for PyBytes {
    fn default() -> Self {
        PyBytes::new()
    }
}

impl Deref for PyBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for PyBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<Vec<u8>> for PyBytes {
    fn from(v: Vec<u8>) -> Self {
        PyBytes(Repr::Owned(v))
    }
}

impl From<&[u8]> for PyBytes {
    fn from(b: &[u8]) -> Self {
        PyBytes(Repr::Owned(b.to_vec()))
    }
}

impl<const N: usize> From<&[u8; N]> for PyBytes {
    fn from(b: &[u8; N]) -> Self {
        PyBytes(Repr::Owned(b.to_vec()))
    }
}

impl FromIterator<u8> for PyBytes {
    fn from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Self {
        PyBytes(Repr::Owned(iter.into_iter().collect()))
    }
}

impl From<bytes::Bytes> for PyBytes {
    fn from(b: bytes::Bytes) -> Self {
        PyBytes(Repr::Shared(Box::new(b)))
    }
}

impl From<PyBytes> for Vec<u8> {
    fn from(b: PyBytes) -> Self {
        b.into_vec()
    }
}

impl PartialEq for PyBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for PyBytes {}

impl PartialEq<[u8]> for PyBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for PyBytes {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for PyBytes {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_slice() == *other
    }
}

impl PartialEq<Vec<u8>> for PyBytes {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl PartialOrd for PyBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PyBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl std::hash::Hash for PyBytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for PyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::PyBytes;

    #[test]
    fn views_and_vectors_are_equal_by_content() {
        let input = bytes::Bytes::from(b"--payload--".to_vec());
        let view = PyBytes::from(input.slice(2..9));
        assert!(view.is_shared());
        assert_eq!(view, PyBytes::from(b"payload".to_vec()));
        assert_eq!(view.as_ptr(), input[2..].as_ptr(), "a view, not a copy");
        assert_eq!(view.clone().into_vec(), b"payload");
        assert_eq!(view.into_shared(), input.slice(2..9));
        assert_eq!(std::mem::size_of::<PyBytes>(), 24);
    }
}
