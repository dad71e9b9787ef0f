//! A small JSON tree with ordered object keys. The encoders build it, and it is either
//! serialized straight to a writer (keys in the order written) or turned into a
//! `serde_json::Value`. Its depth is bounded by the encoders, so recursion here is bounded too.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::collections::HashMap;

pub(crate) type Key = Cow<'static, str>;

/// A JSON value.
pub(crate) enum J {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    /// A finite float.
    F64(f64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(Key, J)>),
}

impl J {
    /// `{tag: value}`.
    pub(crate) fn tag(tag: &'static str, value: J) -> J {
        J::Obj(vec![(Cow::Borrowed(tag), value)])
    }

    pub(crate) fn str(s: impl Into<String>) -> J {
        J::Str(s.into())
    }

    pub(crate) fn into_value(self) -> Json {
        match self {
            J::Null => Json::Null,
            J::Bool(b) => Json::Bool(b),
            J::I64(i) => Json::from(i),
            J::U64(u) => Json::from(u),
            J::F64(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
            J::Str(s) => Json::String(s),
            J::Arr(items) => Json::Array(items.into_iter().map(J::into_value).collect()),
            J::Obj(entries) => {
                Json::Object(entries.into_iter().map(|(k, v)| (k.into_owned(), v.into_value())).collect())
            }
        }
    }
}

impl Serialize for J {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            J::Null => s.serialize_unit(),
            J::Bool(b) => s.serialize_bool(*b),
            J::I64(i) => s.serialize_i64(*i),
            J::U64(u) => s.serialize_u64(*u),
            J::F64(f) => s.serialize_f64(*f),
            J::Str(t) => s.serialize_str(t),
            J::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            J::Obj(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k.as_ref(), v)?;
                }
                map.end()
            }
        }
    }
}

/// Builds a JSON object whose keys may repeat: a repeated key keeps its first place and takes the
/// later value (what a JSON parser that keeps the last duplicate would see).
#[derive(Default)]
pub(crate) struct ObjBuilder {
    entries: Vec<(Key, J)>,
    /// Position of each key, once there are enough keys for a scan to cost more.
    index: Option<HashMap<String, usize>>,
}

/// Keys looked up by scanning below this many entries.
const SCAN: usize = 16;

impl ObjBuilder {
    pub(crate) fn insert(&mut self, key: Key, value: J) {
        let found = match &self.index {
            Some(index) => index.get(key.as_ref()).copied(),
            None => self.entries.iter().position(|(k, _)| *k == key),
        };
        if let Some(i) = found {
            self.entries[i].1 = value;
            return;
        }
        if let Some(index) = &mut self.index {
            index.insert(key.clone().into_owned(), self.entries.len());
        }
        self.entries.push((key, value));
        if self.index.is_none() && self.entries.len() >= SCAN {
            self.index = Some(self.entries.iter().enumerate().map(|(i, (k, _))| (k.clone().into_owned(), i)).collect());
        }
    }

    pub(crate) fn finish(self) -> J {
        J::Obj(self.entries)
    }
}
