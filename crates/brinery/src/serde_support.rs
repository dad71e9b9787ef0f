//! serde: Rust types to and from pickles (being written).
