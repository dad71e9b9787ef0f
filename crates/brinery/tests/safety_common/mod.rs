//! Shared by the safety tests (and the CLI's scan tests): a tiny pickle assembler, a zip writer,
//! and the hostile and benign corpora, all built in code.
#![allow(dead_code)]

/// A pickle assembler: every method appends one opcode.
#[derive(Clone, Default)]
pub struct P(pub Vec<u8>);

impl P {
    pub fn new() -> Self {
        P(Vec::new())
    }
    pub fn proto(n: u8) -> Self {
        P(vec![0x80, n])
    }
    pub fn raw(mut self, b: &[u8]) -> Self {
        self.0.extend_from_slice(b);
        self
    }
    pub fn op(self, c: u8) -> Self {
        self.raw(&[c])
    }
    pub fn global(self, m: &str, n: &str) -> Self {
        self.op(b'c').raw(m.as_bytes()).op(b'\n').raw(n.as_bytes()).op(b'\n')
    }
    pub fn inst(self, m: &str, n: &str) -> Self {
        self.op(b'i').raw(m.as_bytes()).op(b'\n').raw(n.as_bytes()).op(b'\n')
    }
    /// SHORT_BINUNICODE (or BINUNICODE when long).
    pub fn uni(self, s: &str) -> Self {
        if s.len() < 256 {
            self.op(0x8c).op(s.len() as u8).raw(s.as_bytes())
        } else {
            self.binuni(s)
        }
    }
    pub fn binuni(self, s: &str) -> Self {
        self.op(b'X').raw(&(s.len() as u32).to_le_bytes()).raw(s.as_bytes())
    }
    /// STRING: a quoted literal on a line.
    pub fn string(self, s: &str) -> Self {
        self.op(b'S').raw(format!("'{s}'\n").as_bytes())
    }
    /// UNICODE: raw-unicode-escape text on a line.
    pub fn unicode(self, s: &str) -> Self {
        self.op(b'V').raw(s.as_bytes()).op(b'\n')
    }
    pub fn sbs(self, b: &[u8]) -> Self {
        self.op(b'U').op(b.len() as u8).raw(b)
    }
    pub fn binstring(self, b: &[u8]) -> Self {
        self.op(b'T').raw(&(b.len() as i32).to_le_bytes()).raw(b)
    }
    pub fn bytes(self, b: &[u8]) -> Self {
        if b.len() < 256 {
            self.op(b'C').op(b.len() as u8).raw(b)
        } else {
            self.op(b'B').raw(&(b.len() as u32).to_le_bytes()).raw(b)
        }
    }
    pub fn int(self, i: i32) -> Self {
        self.op(b'J').raw(&i.to_le_bytes())
    }
    pub fn k(self, i: u8) -> Self {
        self.op(b'K').op(i)
    }
    pub fn mark(self) -> Self {
        self.op(b'(')
    }
    pub fn tuple(self) -> Self {
        self.op(b't')
    }
    pub fn t1(self) -> Self {
        self.op(0x85)
    }
    pub fn t2(self) -> Self {
        self.op(0x86)
    }
    pub fn t3(self) -> Self {
        self.op(0x87)
    }
    pub fn empty_tuple(self) -> Self {
        self.op(b')')
    }
    pub fn reduce(self) -> Self {
        self.op(b'R')
    }
    pub fn build(self) -> Self {
        self.op(b'b')
    }
    pub fn stop(self) -> Self {
        self.op(b'.')
    }
    pub fn none(self) -> Self {
        self.op(b'N')
    }
    pub fn stack_global(self) -> Self {
        self.op(0x93)
    }
    pub fn memoize(self) -> Self {
        self.op(0x94)
    }
    pub fn binput(self, i: u8) -> Self {
        self.op(b'q').op(i)
    }
    pub fn binget(self, i: u8) -> Self {
        self.op(b'h').op(i)
    }
    pub fn put(self, i: u64) -> Self {
        self.op(b'p').raw(format!("{i}\n").as_bytes())
    }
    pub fn get(self, i: u64) -> Self {
        self.op(b'g').raw(format!("{i}\n").as_bytes())
    }
    pub fn pop(self) -> Self {
        self.op(b'0')
    }
    pub fn newobj(self) -> Self {
        self.op(0x81)
    }
    pub fn newobj_ex(self) -> Self {
        self.op(0x92)
    }
    pub fn obj(self) -> Self {
        self.op(b'o')
    }
    pub fn empty_dict(self) -> Self {
        self.op(b'}')
    }
    pub fn empty_list(self) -> Self {
        self.op(b']')
    }
    pub fn setitem(self) -> Self {
        self.op(b's')
    }
    pub fn setitems(self) -> Self {
        self.op(b'u')
    }
    pub fn append(self) -> Self {
        self.op(b'a')
    }
    pub fn appends(self) -> Self {
        self.op(b'e')
    }
    pub fn binpersid(self) -> Self {
        self.op(b'Q')
    }
    pub fn newfalse(self) -> Self {
        self.op(0x89)
    }
    pub fn newtrue(self) -> Self {
        self.op(0x88)
    }
    pub fn frame(self, n: u64) -> Self {
        self.op(0x95).raw(&n.to_le_bytes())
    }
    /// `module.name(arg)` with a str argument, by GLOBAL.
    pub fn call1(self, m: &str, n: &str, arg: &str) -> Self {
        self.global(m, n).uni(arg).t1().reduce()
    }
}

/// `os.system('echo pwned')`: the classic payload, protocol 2.
pub fn evil() -> Vec<u8> {
    P::proto(2).call1("os", "system", "echo pwned").stop().0
}

/// A benign protocol-2 pickle: `{'a': [1, 2]}`.
pub fn benign() -> Vec<u8> {
    P::proto(2).empty_dict().uni("a").empty_list().mark().int(1).int(2).appends().setitem().stop().0
}

pub fn latin1(b: &[u8]) -> String {
    b.iter().map(|&c| c as char).collect()
}

pub fn b64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Hostile inputs that must end quickly with an error or a bounded result, through `loads`,
/// streaming `load` and the scanner.
pub fn bombs() -> Vec<(&'static str, Vec<u8>, bool)> {
    let len60 = (1u64 << 60).to_le_bytes();
    // (name, data, loads successfully with default limits)
    vec![
        ("huge memo index", P::proto(2).empty_list().op(b'r').raw(&[0xff; 4]).op(b'j').raw(&[0xff; 4]).stop().0, true),
        ("huge text memo index", b"(lp1152921504606846976\ng1152921504606846976\n.".to_vec(), true),
        ("binbytes8 2^60", [&b"\x80\x04\x8e"[..], &len60, b"abc."].concat(), false),
        ("binunicode8 2^60", [&b"\x80\x04\x8d"[..], &len60, b"abc."].concat(), false),
        ("bytearray8 2^60", [&b"\x80\x05\x96"[..], &len60, b"abc."].concat(), false),
        ("frame 2^60", [&b"\x80\x04\x95"[..], &len60, b"N."].concat(), false),
        ("binbytes 4 GiB", b"\x80\x03B\xff\xff\xff\xffabc.".to_vec(), false),
        ("binstring -1", b"T\xff\xff\xff\xff.".to_vec(), false),
        ("long4 -2", b"\x80\x02\x8b\xfe\xff\xff\xff.".to_vec(), false),
        (
            "list doubling via memo",
            {
                let mut p = P::proto(2).empty_list().binput(0);
                for i in 0..60u8 {
                    p = p.mark().binget(i).binget(i).op(b'l').binput(i + 1);
                }
                p.stop().0
            },
            true,
        ),
        ("dup flood", P::proto(2).empty_list().raw(&vec![b'2'; 1 << 20]).op(b'l').stop().0, false),
        ("dup appends", P::proto(2).empty_list().mark().raw(&vec![b'2'; 1 << 20]).appends().stop().0, false),
        ("deep lists", [&b"\x80\x02"[..], &vec![b']'; 1_000_000], &vec![b'a'; 999_999], b"."].concat(), true),
        ("deep tuples", [vec![b'('; 1_000_000], vec![b'N'], vec![b't'; 1_000_000], vec![b'.']].concat(), true),
        ("mark flood", vec![b'('; 3_000_000], false),
        ("persistent id chain", [&b"\x80\x02N"[..], &vec![b'Q'; 1_000_000], b"."].concat(), true),
    ]
}

pub mod hostile;
pub mod layouts;
pub mod zipw;
