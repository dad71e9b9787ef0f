//! `pickletools.optimize`: drop the PUTs no GET uses, renumber the memo densely and re-frame,
//! producing the same bytes CPython's `pickletools.optimize` produces.
//!
//! ```
//! // Python: pickletools.optimize(pickle.dumps([[1], 'a'], protocol=2))
//! let data = b"\x80\x02]q\x00(]q\x01K\x01aX\x01\x00\x00\x00aq\x02e.";
//! assert_eq!(brinery::optimize::optimize(data).unwrap(), b"\x80\x02](]K\x01aX\x01\x00\x00\x00ae.");
//! ```

use crate::dis::{ops, ArgValue, MemoKey};
use crate::error::{Error, Result};
use std::collections::{HashMap, HashSet};

/// CPython's framing target (`pickle._Framer._FRAME_SIZE_TARGET`).
const FRAME_SIZE_TARGET: usize = 64 * 1024;
/// Frames smaller than this get no FRAME opcode (`_FRAME_SIZE_MIN`).
const FRAME_SIZE_MIN: usize = 4;

/// What the second pass writes.
enum Item {
    /// A memo store, keyed by the original index.
    Put(MemoKey),
    /// A memo fetch, keyed by the original index, at this offset.
    Get(MemoKey, u64),
    /// An opcode copied as it is: its byte range in the input.
    Raw(usize, usize),
}

/// `pickle._Framer` writing into a vector.
struct Framer {
    out: Vec<u8>,
    frame: Option<Vec<u8>>,
}

impl Framer {
    fn commit(&mut self, force: bool) {
        if let Some(frame) = &mut self.frame {
            if frame.len() >= FRAME_SIZE_TARGET || force {
                if frame.len() >= FRAME_SIZE_MIN {
                    self.out.push(0x95); // FRAME
                    self.out.extend_from_slice(&(frame.len() as u64).to_le_bytes());
                }
                self.out.append(frame);
            }
        }
    }

    fn write(&mut self, data: &[u8]) {
        match &mut self.frame {
            Some(frame) => frame.extend_from_slice(data),
            None => self.out.extend_from_slice(data),
        }
    }

    fn end(mut self) -> Vec<u8> {
        if self.frame.as_ref().is_some_and(|f| !f.is_empty()) {
            self.commit(true);
        }
        self.out
    }
}

/// Optimize the pickle at the start of `data` as `pickletools.optimize` does: PUTs (and
/// MEMOIZEs) that no GET refers to are dropped, the rest renumbered from 0 in the form the
/// pickle's protocol uses, FRAMEs rebuilt for protocol 4 and up, and bytes after STOP
/// dropped.
///
/// Errors are pickletools' (its reader's messages for malformed opcodes, `pickle protocol must
/// be <= 5` for a PROTO it cannot write, and the `TypeError` CPython raises for a binary GET
/// whose memo key no PUT before it defined).
///
/// ```
/// // Python: pickletools.optimize(pickle.dumps(('a', 'a'), protocol=4))
/// let data = b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00\x8c\x01a\x94h\x00\x86\x94.";
/// assert_eq!(
///     brinery::optimize::optimize(data).unwrap(),
///     b"\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00\x8c\x01a\x94h\x00\x86.",
/// );
/// ```
pub fn optimize(data: &[u8]) -> Result<Vec<u8>> {
    let mut oldids: HashSet<MemoKey> = HashSet::new();
    // GET keys; the value becomes the new index once a kept PUT defines it.
    let mut newids: HashMap<MemoKey, Option<u64>> = HashMap::new();
    let mut items: Vec<Item> = Vec::new();
    let mut proto: u64 = 0;
    let mut proto_at = 0u64;
    let mut header: &[u8] = &[];
    for op in ops(data) {
        let op = op?;
        let (pos, end) = (op.pos as usize, op.end as usize);
        let key = || MemoKey::of(&op.arg).ok_or_else(|| Error::invalid("memo index is not an int").at(op.pos, None));
        match op.info.name {
            "PUT" | "BINPUT" | "LONG_BINPUT" => {
                let key = key()?;
                oldids.insert(key.clone());
                items.push(Item::Put(key));
            }
            "MEMOIZE" => {
                let key = MemoKey::Int(oldids.len() as i128);
                oldids.insert(key.clone());
                items.push(Item::Put(key));
            }
            "FRAME" => {}
            "GET" | "BINGET" | "LONG_BINGET" => {
                proto = proto.max(op.info.proto.into());
                let key = key()?;
                newids.insert(key.clone(), None);
                items.push(Item::Get(key, op.pos));
            }
            "PROTO" => {
                let v = match op.arg {
                    ArgValue::Int(v) => v as u64,
                    _ => 0,
                };
                if v > proto {
                    proto = v;
                    proto_at = op.pos;
                }
                if pos == 0 {
                    header = &data[pos..end];
                } else {
                    items.push(Item::Raw(pos, end));
                }
            }
            _ => items.push(Item::Raw(pos, end)),
        }
    }
    drop(oldids);

    if proto > u64::from(crate::HIGHEST_PROTOCOL) {
        return Err(
            Error::invalid(format!("pickle protocol must be <= {}", crate::HIGHEST_PROTOCOL)).at(proto_at, Some(0x80))
        );
    }
    let binary = proto >= 1;
    let mut framer = Framer { out: header.to_vec(), frame: (proto >= 4).then(Vec::new) };
    let mut idx: u64 = 0;
    let mut buf = Vec::new();
    for item in &items {
        buf.clear();
        let mut frameless = false;
        let piece: &[u8] = match item {
            Item::Put(key) => {
                let Some(slot) = newids.get_mut(key) else { continue };
                *slot = Some(idx);
                if proto >= 4 {
                    buf.push(0x94); // MEMOIZE
                } else {
                    memo_op(&mut buf, binary, idx, [b'p', b'q', b'r']);
                }
                idx += 1;
                &buf
            }
            Item::Get(key, pos) => {
                match newids.get(key).copied().flatten() {
                    Some(i) => memo_op(&mut buf, binary, i, [b'g', b'h', b'j']),
                    // pickle.get(None): protocol 0 writes repr(None); the binary forms compare
                    // None < 256 and fail.
                    None if !binary => buf.extend_from_slice(b"gNone\n"),
                    None => {
                        return Err(Error::type_error("'<' not supported between instances of 'NoneType' and 'int'")
                            .at(*pos, data.get(*pos as usize).copied()))
                    }
                }
                &buf
            }
            Item::Raw(start, end) => {
                let piece = &data[*start..*end];
                frameless = piece.len() > FRAME_SIZE_TARGET;
                piece
            }
        };
        framer.commit(frameless);
        if frameless {
            framer.out.extend_from_slice(piece);
        } else {
            framer.write(piece);
        }
    }
    Ok(framer.end())
}

/// A PUT or GET of memo index `i` as `pickle._Pickler` writes it: text, 1-byte or 4-byte form
/// (`codes`: the text, short and long opcode bytes).
fn memo_op(buf: &mut Vec<u8>, binary: bool, i: u64, codes: [u8; 3]) {
    if !binary {
        buf.push(codes[0]);
        buf.extend_from_slice(i.to_string().as_bytes());
        buf.push(b'\n');
    } else if i < 256 {
        buf.extend_from_slice(&[codes[1], i as u8]);
    } else {
        buf.push(codes[2]);
        buf.extend_from_slice(&(i as u32).to_le_bytes());
    }
}
