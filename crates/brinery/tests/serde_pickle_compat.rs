//! Every behaviour serde-pickle 1.2 documents (crate docs, README, option docs, its own test
//! suite and data), each checked against brinery, often with serde-pickle itself as the other
//! side: what one writes, the other reads.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use serde_pickle::{HashableValue, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::iter::FromIterator;

macro_rules! pyobj {
    (n=None)     => { Value::None };
    (b=True)     => { Value::Bool(true) };
    (b=False)    => { Value::Bool(false) };
    (i=$i:expr)  => { Value::I64($i) };
    (ii=$i:expr) => { Value::Int($i.clone()) };
    (f=$f:expr)  => { Value::F64($f) };
    (bb=$b:expr) => { Value::Bytes($b.to_vec()) };
    (s=$s:expr)  => { Value::String($s.into()) };
    (t=($($m:ident=$v:tt),*))  => { Value::Tuple(vec![$(pyobj!($m=$v)),*]) };
    (l=[$($m:ident=$v:tt),*])  => { Value::List(vec![$(pyobj!($m=$v)),*]) };
    (ss=($($m:ident=$v:tt),*)) => { Value::Set(BTreeSet::from_iter(vec![$(hpyobj!($m=$v)),*])) };
    (fs=($($m:ident=$v:tt),*)) => { Value::FrozenSet(BTreeSet::from_iter(vec![$(hpyobj!($m=$v)),*])) };
    (d={$($km:ident=$kv:tt => $vm:ident=$vv:tt),*}) => {
        Value::Dict(BTreeMap::from_iter(vec![$((hpyobj!($km=$kv), pyobj!($vm=$vv))),*])) };
}

macro_rules! hpyobj {
    (n=None)     => { HashableValue::None };
    (b=True)     => { HashableValue::Bool(true) };
    (b=False)    => { HashableValue::Bool(false) };
    (i=$i:expr)  => { HashableValue::I64($i) };
    (ii=$i:expr) => { HashableValue::Int($i.clone()) };
    (f=$f:expr)  => { HashableValue::F64($f) };
    (bb=$b:expr) => { HashableValue::Bytes($b.to_vec()) };
    (s=$s:expr)  => { HashableValue::String($s.into()) };
    (t=($($m:ident=$v:tt),*))  => { HashableValue::Tuple(vec![$(hpyobj!($m=$v)),*]) };
    (fs=($($m:ident=$v:tt),*)) => { HashableValue::FrozenSet(BTreeSet::from_iter(vec![$(hpyobj!($m=$v)),*])) };
}
/// serde-pickle 1.2's test data (test/data/*.pickle), written by CPython 2 and 3.
const FIXTURES: &[(&str, &[u8])] = &[
    ("tests_py2_proto0", b"(dp1\nI00\n(I00\nI01\ntp2\nsF1\nF1\nsL100000000000000000000L\nL100000000000000000000L\nsI7\nccopy_reg\n_reconstructor\np3\n(c__main__\nClass\np4\nc__builtin__\nobject\np5\nNtRp6\n(dp7\nS'attr'\np8\nI5\nsbsc__builtin__\nfrozenset\np9\n((lp10\nI0\naI42\natRp11\ng9\n((lp12\nI0\naI42\natRp13\nsVstring\np14\ng14\ns(I1\nI2\ntp15\n(I1\nI2\nI3\ntp16\nsNNsI1000\nI100000\nsS'bytes'\np17\ng17\ns(t(lp18\n(lp19\nI1\naI2\naI3\naac__builtin__\nset\np20\n((lp21\nI0\naI42\natRp22\na(dp23\nac__builtin__\nbytearray\np24\n(V\x00U\xaa\xff\nS'latin-1'\ntRp25\nas."),
    ("tests_py2_proto1", b"}q\x01(I00\n(I00\nI01\ntG?\xf0\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00L100000000000000000000L\nL100000000000000000000L\nK\x07ccopy_reg\n_reconstructor\nq\x02(c__main__\nClass\nq\x03c__builtin__\nobject\nq\x04NtRq\x05}q\x06U\x04attrq\x07K\x05sbc__builtin__\nfrozenset\nq\x08(]q\x09(K\x00K*etRq\nh\x08(]q\x0b(K\x00K*etRq\x0cX\x06\x00\x00\x00stringq\x0dh\x0d(K\x01K\x02tq\x0e(K\x01K\x02K\x03tq\x0fNNM\xe8\x03J\xa0\x86\x01\x00U\x05bytesq\x10h\x10)]q\x11(]q\x12(K\x01K\x02K\x03ec__builtin__\nset\nq\x13(]q\x14(K\x00K*etRq\x15}q\x16c__builtin__\nbytearray\nq\x17(X\x06\x00\x00\x00\x00U\xc2\xaa\xc3\xbfU\x07latin-1tRq\x18eu."),
    ("tests_py2_proto2", b"\x80\x02}q\x01(\x89\x89\x88\x86G?\xf0\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00\x8a\x09\x00\x00\x10c-^\xc7k\x05\x8a\x09\x00\x00\x10c-^\xc7k\x05K\x07c__main__\nClass\nq\x02)\x81q\x03}q\x04U\x04attrq\x05K\x05sbc__builtin__\nfrozenset\nq\x06]q\x07(K\x00K*e\x85Rq\x08h\x06]q\x09(K\x00K*e\x85Rq\nX\x06\x00\x00\x00stringq\x0bh\x0bK\x01K\x02\x86q\x0cK\x01K\x02K\x03\x87q\x0dNNM\xe8\x03J\xa0\x86\x01\x00U\x05bytesq\x0eh\x0e)]q\x0f(]q\x10(K\x01K\x02K\x03ec__builtin__\nset\nq\x11]q\x12(K\x00K*e\x85Rq\x13}q\x14c__builtin__\nbytearray\nq\x15X\x06\x00\x00\x00\x00U\xc2\xaa\xc3\xbfU\x07latin-1\x86Rq\x16eu."),
    ("tests_py3_proto0", b"(dp0\nNNsI00\n(I00\nI01\ntp1\nsI1000\nI100000\nsL100000000000000000000L\nL100000000000000000000L\nsF1.0\nF1.0\nsc_codecs\nencode\np2\n(Vbytes\np3\nVlatin1\np4\ntp5\nRp6\ng6\nsVstring\np7\ng7\ns(I1\nI2\ntp8\n(I1\nI2\nI3\ntp9\nsc__builtin__\nfrozenset\np10\n((lp11\nI0\naI42\natp12\nRp13\ng10\n((lp14\nI0\naI42\natp15\nRp16\ns(t(lp17\n(lp18\nI1\naI2\naI3\naac__builtin__\nset\np19\n((lp20\nI0\naI42\natp21\nRp22\na(dp23\nac__builtin__\nbytearray\np24\n(g2\n(V\\u0000U\xaa\xff\np25\ng4\ntp26\nRp27\ntp28\nRp29\nasI7\nccopy_reg\n_reconstructor\np30\n(c__main__\nClass\np31\nc__builtin__\nobject\np32\nNtp33\nRp34\n(dp35\nVattr\np36\nI5\nsbsI8\ng30\n(c__main__\nNamedTuple\np37\nc__builtin__\ntuple\np38\n(Vabc\np39\nI10\ntp40\ntp41\nRp42\nsI9\ng30\n(c__main__\nDataClass\np43\ng32\nNtp44\nRp45\n(dp46\nVtype\np47\nVabcd\np48\nsVquantity\np49\nI100\nsbsI42\nc__main__\nNormalEnum\np50\n(I30\ntp51\nRp52\nsI43\nc__main__\nByValueEnum\np53\n(I20\ntp54\nRp55\ns."),
    ("tests_py3_proto1", b"}q\x00(NNI00\n(I00\nI01\ntq\x01M\xe8\x03J\xa0\x86\x01\x00L100000000000000000000L\nL100000000000000000000L\nG?\xf0\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00c_codecs\nencode\nq\x02(X\x05\x00\x00\x00bytesq\x03X\x06\x00\x00\x00latin1q\x04tq\x05Rq\x06h\x06X\x06\x00\x00\x00stringq\x07h\x07(K\x01K\x02tq\x08(K\x01K\x02K\x03tq\x09c__builtin__\nfrozenset\nq\n(]q\x0b(K\x00K*etq\x0cRq\x0dh\n(]q\x0e(K\x00K*etq\x0fRq\x10)]q\x11(]q\x12(K\x01K\x02K\x03ec__builtin__\nset\nq\x13(]q\x14(K\x00K*etq\x15Rq\x16}q\x17c__builtin__\nbytearray\nq\x18(h\x02(X\x06\x00\x00\x00\x00U\xc2\xaa\xc3\xbfq\x19h\x04tq\x1aRq\x1btq\x1cRq\x1deK\x07ccopy_reg\n_reconstructor\nq\x1e(c__main__\nClass\nq\x1fc__builtin__\nobject\nq Ntq!Rq\"}q#X\x04\x00\x00\x00attrq$K\x05sbK\x08h\x1e(c__main__\nNamedTuple\nq%c__builtin__\ntuple\nq&(X\x03\x00\x00\x00abcq'K\ntq(tq)Rq*K\x09h\x1e(c__main__\nDataClass\nq+h Ntq,Rq-}q.(X\x04\x00\x00\x00typeq/X\x04\x00\x00\x00abcdq0X\x08\x00\x00\x00quantityq1KdubK*c__main__\nNormalEnum\nq2(K\x1etq3Rq4K+c__main__\nByValueEnum\nq5(K\x14tq6Rq7u."),
    ("tests_py3_proto2", b"\x80\x02}q\x00(NN\x89\x89\x88\x86q\x01M\xe8\x03J\xa0\x86\x01\x00\x8a\x09\x00\x00\x10c-^\xc7k\x05\x8a\x09\x00\x00\x10c-^\xc7k\x05G?\xf0\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00c_codecs\nencode\nq\x02X\x05\x00\x00\x00bytesq\x03X\x06\x00\x00\x00latin1q\x04\x86q\x05Rq\x06h\x06X\x06\x00\x00\x00stringq\x07h\x07K\x01K\x02\x86q\x08K\x01K\x02K\x03\x87q\x09c__builtin__\nfrozenset\nq\n]q\x0b(K\x00K*e\x85q\x0cRq\x0dh\n]q\x0e(K\x00K*e\x85q\x0fRq\x10)]q\x11(]q\x12(K\x01K\x02K\x03ec__builtin__\nset\nq\x13]q\x14(K\x00K*e\x85q\x15Rq\x16}q\x17c__builtin__\nbytearray\nq\x18h\x02X\x06\x00\x00\x00\x00U\xc2\xaa\xc3\xbfq\x19h\x04\x86q\x1aRq\x1b\x85q\x1cRq\x1deK\x07c__main__\nClass\nq\x1e)\x81q\x1f}q X\x04\x00\x00\x00attrq!K\x05sbK\x08c__main__\nNamedTuple\nq\"X\x03\x00\x00\x00abcq#K\n\x86q$\x81q%K\x09c__main__\nDataClass\nq&)\x81q'}q((X\x04\x00\x00\x00typeq)X\x04\x00\x00\x00abcdq*X\x08\x00\x00\x00quantityq+KdubK*c__main__\nNormalEnum\nq,K\x1e\x85q-Rq.K+c__main__\nByValueEnum\nq/K\x14\x85q0Rq1u."),
    ("tests_py3_proto3", b"\x80\x03}q\x00(NN\x89\x89\x88\x86q\x01M\xe8\x03J\xa0\x86\x01\x00\x8a\x09\x00\x00\x10c-^\xc7k\x05\x8a\x09\x00\x00\x10c-^\xc7k\x05G?\xf0\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00C\x05bytesq\x02h\x02X\x06\x00\x00\x00stringq\x03h\x03K\x01K\x02\x86q\x04K\x01K\x02K\x03\x87q\x05cbuiltins\nfrozenset\nq\x06]q\x07(K\x00K*e\x85q\x08Rq\x09h\x06]q\n(K\x00K*e\x85q\x0bRq\x0c)]q\x0d(]q\x0e(K\x01K\x02K\x03ecbuiltins\nset\nq\x0f]q\x10(K\x00K*e\x85q\x11Rq\x12}q\x13cbuiltins\nbytearray\nq\x14C\x04\x00U\xaa\xffq\x15\x85q\x16Rq\x17eK\x07c__main__\nClass\nq\x18)\x81q\x19}q\x1aX\x04\x00\x00\x00attrq\x1bK\x05sbK\x08c__main__\nNamedTuple\nq\x1cX\x03\x00\x00\x00abcq\x1dK\n\x86q\x1e\x81q\x1fK\x09c__main__\nDataClass\nq )\x81q!}q\"(X\x04\x00\x00\x00typeq#X\x04\x00\x00\x00abcdq$X\x08\x00\x00\x00quantityq%KdubK*c__main__\nNormalEnum\nq&K\x1e\x85q'Rq(K+c__main__\nByValueEnum\nq)K\x14\x85q*Rq+u."),
    ("tests_py3_proto4", b"\x80\x04\x95X\x01\x00\x00\x00\x00\x00\x00}\x94(NN\x89\x89\x88\x86\x94M\xe8\x03J\xa0\x86\x01\x00\x8a\x09\x00\x00\x10c-^\xc7k\x05\x8a\x09\x00\x00\x10c-^\xc7k\x05G?\xf0\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00C\x05bytes\x94h\x02\x8c\x06string\x94h\x03K\x01K\x02\x86\x94K\x01K\x02K\x03\x87\x94(K\x00K*\x91\x94(K\x00K*\x91\x94)]\x94(]\x94(K\x01K\x02K\x03e\x8f\x94(K\x00K*\x90}\x94\x8c\x08builtins\x94\x8c\x09bytearray\x94\x93\x94C\x04\x00U\xaa\xff\x94\x85\x94R\x94eK\x07\x8c\x08__main__\x94\x8c\x05Class\x94\x93\x94)\x81\x94}\x94\x8c\x04attr\x94K\x05sbK\x08h\x12\x8c\nNamedTuple\x94\x93\x94\x8c\x03abc\x94K\n\x86\x94\x81\x94K\x09h\x12\x8c\x09DataClass\x94\x93\x94)\x81\x94}\x94(\x8c\x04type\x94\x8c\x04abcd\x94\x8c\x08quantity\x94KdubK*h\x12\x8c\nNormalEnum\x94\x93\x94K\x1e\x85\x94R\x94K+h\x12\x8c\x0bByValueEnum\x94\x93\x94K\x14\x85\x94R\x94u."),
    ("tests_py3_proto5", b"\x80\x05\x95B\x01\x00\x00\x00\x00\x00\x00}\x94(NN\x89\x89\x88\x86\x94M\xe8\x03J\xa0\x86\x01\x00\x8a\x09\x00\x00\x10c-^\xc7k\x05\x8a\x09\x00\x00\x10c-^\xc7k\x05G?\xf0\x00\x00\x00\x00\x00\x00G?\xf0\x00\x00\x00\x00\x00\x00C\x05bytes\x94h\x02\x8c\x06string\x94h\x03K\x01K\x02\x86\x94K\x01K\x02K\x03\x87\x94(K\x00K*\x91\x94(K\x00K*\x91\x94)]\x94(]\x94(K\x01K\x02K\x03e\x8f\x94(K\x00K*\x90}\x94\x96\x04\x00\x00\x00\x00\x00\x00\x00\x00U\xaa\xff\x94eK\x07\x8c\x08__main__\x94\x8c\x05Class\x94\x93\x94)\x81\x94}\x94\x8c\x04attr\x94K\x05sbK\x08h\x0d\x8c\nNamedTuple\x94\x93\x94\x8c\x03abc\x94K\n\x86\x94\x81\x94K\x09h\x0d\x8c\x09DataClass\x94\x93\x94)\x81\x94}\x94(\x8c\x04type\x94\x8c\x04abcd\x94\x8c\x08quantity\x94KdubK*h\x0d\x8c\nNormalEnum\x94\x93\x94K\x1e\x85\x94R\x94K+h\x0d\x8c\x0bByValueEnum\x94\x93\x94K\x14\x85\x94R\x94u."),
    ("test_unresolvable_global", b"\x80\x05\x95\x1f\x00\x00\x00\x00\x00\x00\x00\x8c\x08__main__\x94\x8c\x0bReduceClass\x94\x93\x94)R\x94."),
];

fn fixture(name: &str) -> &'static [u8] {
    FIXTURES.iter().find(|(n, _)| *n == name).map(|(_, d)| *d).unwrap()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Inner {
    a: (),
    b: usize,
    c: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Outer {
    inner: Vec<Inner>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Unit;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Newtype(i32);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Tuple(i32, bool);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
enum Animal {
    Dog,
    AntHive(Vec<String>),
    Frog(String, Vec<isize>),
    Cat { age: usize, name: String },
}

/// brinery writes `value` (protocols 2, 3 and the default 5); serde-pickle reads `target`.
fn encode_ok<T: Serialize>(value: T, target: Value) {
    for proto in [2, 3, 5] {
        let bytes = brinery::to_vec_with(&value, &brinery::SerOptions::new().protocol(proto)).unwrap();
        let read = serde_pickle::value_from_slice(&bytes, Default::default()).unwrap();
        assert_eq!(read, target, "protocol {proto}");
    }
}

/// serde-pickle writes `pyvalue`; brinery reads `target`.
fn decode_ok<T>(pyvalue: Value, target: T)
where
    T: PartialEq + std::fmt::Debug + for<'de> Deserialize<'de>,
{
    for opts in [serde_pickle::SerOptions::new(), serde_pickle::SerOptions::new().proto_v2()] {
        let bytes = serde_pickle::value_to_vec(&pyvalue, opts).unwrap();
        let got: T = brinery::from_slice(&bytes).unwrap();
        assert_eq!(got, target);
    }
}

// ---- README -------------------------------------------------------------------------------

#[test]
fn readme_map_round_trip() {
    let mut map = BTreeMap::new();
    map.insert("x".to_string(), 1.0);
    map.insert("y".to_string(), 2.0);
    let serialized = brinery::to_vec(&map).unwrap();
    let deserialized: BTreeMap<String, f64> = brinery::from_slice(&serialized).unwrap();
    assert_eq!(map, deserialized);
    // And across the two libraries.
    let theirs = serde_pickle::to_vec(&map, Default::default()).unwrap();
    assert_eq!(brinery::from_slice::<BTreeMap<String, f64>>(&theirs).unwrap(), map);
    assert_eq!(serde_pickle::from_slice::<BTreeMap<String, f64>>(&serialized, Default::default()).unwrap(), map);
}

// ---- "Supported types" and the notes on enums and bytes -------------------------------------

#[test]
fn encode_types() {
    encode_ok((), pyobj!(n = None));
    encode_ok(true, pyobj!(b = True));
    encode_ok(None::<i32>, pyobj!(n = None));
    encode_ok(Some(false), pyobj!(b = False));
    encode_ok(10000000000_i64, pyobj!(i = 10000000000));
    encode_ok(4.5_f64, pyobj!(f = 4.5));
    encode_ok('ä', pyobj!(s = "ä"));
    encode_ok("string", pyobj!(s = "string"));
    // "Vec<u8>, [u8; N] and &[u8] are treated as sequences ... unless you use serde_bytes".
    encode_ok(&b"\x00\x01"[..], pyobj!(l = [i = 0, i = 1]));
    encode_ok(b"\x00\x01".to_vec(), pyobj!(l = [i = 0, i = 1]));
    encode_ok(*b"\x00\x01", pyobj!(t = (i = 0, i = 1)));
    encode_ok(ByteBuf::from(b"\x00\x01".to_vec()), pyobj!(bb = b"\x00\x01"));
    encode_ok(serde_bytes::Bytes::new(b"ab"), pyobj!(bb = b"ab"));
    encode_ok(vec![1, 2, 3], pyobj!(l = [i = 1, i = 2, i = 3]));
    encode_ok((1, 2, 3), pyobj!(t = (i = 1, i = 2, i = 3)));
    encode_ok(&[1, 2, 3][..], pyobj!(l = [i = 1, i = 2, i = 3]));
    encode_ok([1, 2, 3], pyobj!(t = (i = 1, i = 2, i = 3)));
    encode_ok(BTreeMap::from_iter(vec![(1, 2), (3, 4)]), pyobj!(d={i=1 => i=2, i=3 => i=4}));
    // Beyond serde-pickle: ints of 128 bits.
    let big = num_bigint_of("340282366920938463463374607431768211455");
    encode_ok(u128::MAX, Value::Int(big));
}

fn num_bigint_of(decimal: &str) -> num_bigint::BigInt {
    decimal.parse().unwrap()
}

#[test]
fn encode_struct() {
    encode_ok(Unit, pyobj!(n = None));
    encode_ok(Newtype(42), pyobj!(i = 42));
    encode_ok(Tuple(42, false), pyobj!(t = (i = 42, b = False)));
    encode_ok(
        Inner { a: (), b: 32, c: vec!["doc".into()] },
        pyobj!(d={s="a" => n=None, s="b" => i=32, s="c" => l=[s="doc"]}),
    );
    encode_ok(
        Outer { inner: vec![Inner { a: (), b: 1, c: vec![] }, Inner { a: (), b: 2, c: vec![] }] },
        pyobj!(d={s="inner" => l=[d={s="a" => n=None, s="b" => i=1, s="c" => l=[]},
                                  d={s="a" => n=None, s="b" => i=2, s="c" => l=[]}]}),
    );
}

#[test]
fn encode_enum() {
    encode_ok(Animal::Dog, pyobj!(s = "Dog"));
    encode_ok(Animal::AntHive(vec!["ant".into(), "aunt".into()]), pyobj!(d={s="AntHive" => l=[s="ant", s="aunt"]}));
    // serde-pickle writes a tuple variant's fields as a list; brinery writes the tuple they are.
    encode_ok(Animal::Frog("Henry".into(), vec![1, 5]), pyobj!(d={s="Frog" => t=(s="Henry", l=[i=1, i=5])}));
    encode_ok(
        Animal::Cat { age: 5, name: "Molyneux".into() },
        pyobj!(d={s="Cat" => d={s="age" => i=5, s="name" => s="Molyneux"}}),
    );
}

#[test]
fn compat_enum_repr_is_read() {
    // SerOptions::compat_enum_repr: ('Variant',), ('Variant', value): brinery reads it.
    let opts = serde_pickle::SerOptions::new().compat_enum_repr();
    for animal in [
        Animal::Dog,
        Animal::AntHive(vec!["ant".into()]),
        Animal::Frog("Henry".into(), vec![1, 5]),
        Animal::Cat { age: 5, name: "M".into() },
    ] {
        let bytes = serde_pickle::to_vec(&animal, opts.clone()).unwrap();
        assert_eq!(brinery::from_slice::<Animal>(&bytes).unwrap(), animal);
        let bytes = serde_pickle::to_vec(&animal, Default::default()).unwrap();
        assert_eq!(brinery::from_slice::<Animal>(&bytes).unwrap(), animal);
    }
}

#[test]
fn decode_types() {
    decode_ok(pyobj!(n = None), ());
    decode_ok(pyobj!(b = True), true);
    decode_ok(pyobj!(b = True), Some(true));
    decode_ok::<Option<bool>>(pyobj!(n = None), None);
    decode_ok(pyobj!(i = 10000000000), 10000000000_i64);
    decode_ok(pyobj!(f = 4.5), 4.5_f64);
    decode_ok(pyobj!(s = "ä"), 'ä');
    decode_ok(pyobj!(s = "string"), String::from("string"));
    // "Vec<u8> doesn't decode from serde bytes" in serde-pickle; it does here.
    decode_ok(pyobj!(bb = b"bytes"), String::from("bytes"));
    decode_ok(pyobj!(bb = b"bytes"), b"bytes".to_vec());
    decode_ok(pyobj!(bb = b"bytes"), ByteBuf::from(b"bytes".to_vec()));
    decode_ok(pyobj!(l = [i = 1, i = 2, i = 3]), vec![1, 2, 3]);
    decode_ok(pyobj!(t = (i = 1, i = 2, i = 3)), (1, 2, 3));
    decode_ok(pyobj!(l = [i = 1, i = 2, i = 3]), [1, 2, 3]);
    decode_ok(pyobj!(d={i=1 => i=2, i=3 => i=4}), BTreeMap::from_iter(vec![(1, 2), (3, 4)]));
    decode_ok(pyobj!(ss = (i = 1, i = 2)), BTreeSet::from([1, 2]));
    decode_ok(pyobj!(fs = (i = 1, i = 2)), vec![1, 2]);
    let big = num_bigint_of("100000000000000000000");
    decode_ok(Value::Int(big), 100000000000000000000u128);
}

#[test]
fn decode_struct() {
    decode_ok(pyobj!(n = None), Unit);
    decode_ok(pyobj!(i = 42), Newtype(42));
    decode_ok(pyobj!(t = (i = 42, b = False)), Tuple(42, false));
    decode_ok(
        pyobj!(d={s="a" => n=None, s="b" => i=32, s="c" => l=[s="doc"]}),
        Inner { a: (), b: 32, c: vec!["doc".into()] },
    );
}

#[test]
fn decode_enum() {
    // tuple representation
    decode_ok(pyobj!(t = (s = "Dog")), Animal::Dog);
    decode_ok(
        pyobj!(t = (s = "AntHive", l = [s = "ant", s = "aunt"])),
        Animal::AntHive(vec!["ant".into(), "aunt".into()]),
    );
    decode_ok(
        pyobj!(t = (s = "Frog", l = [s = "Henry", l = [i = 1, i = 5]])),
        Animal::Frog("Henry".into(), vec![1, 5]),
    );
    decode_ok(
        pyobj!(t=(s="Cat", d={s="age" => i=5, s="name" => s="Molyneux"})),
        Animal::Cat { age: 5, name: "Molyneux".into() },
    );
    decode_ok(
        pyobj!(l=[t=(s="Dog"), t=(s="Dog"), t=(s="Cat", d={s="age" => i=5, s="name" => s="?"})]),
        vec![Animal::Dog, Animal::Dog, Animal::Cat { age: 5, name: "?".into() }],
    );
    // string/dict representation
    decode_ok(pyobj!(s = "Dog"), Animal::Dog);
    decode_ok(pyobj!(d={s="AntHive" => l=[s="ant", s="aunt"]}), Animal::AntHive(vec!["ant".into(), "aunt".into()]));
    decode_ok(pyobj!(d={s="Frog" => l=[s="Henry", l=[i=1, i=5]]}), Animal::Frog("Henry".into(), vec![1, 5]));
    decode_ok(
        pyobj!(d={s="Cat" => d={s="age" => i=5, s="name" => s="Molyneux"}}),
        Animal::Cat { age: 5, name: "Molyneux".into() },
    );
    decode_ok(
        pyobj!(l=[s="Dog", s="Dog", d={s="Cat" => d={s="age" => i=5, s="name" => s="?"}}]),
        vec![Animal::Dog, Animal::Dog, Animal::Cat { age: 5, name: "?".into() }],
    );
}

#[test]
fn each_library_reads_the_others_output() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Rec {
        id: u32,
        name: String,
        scores: Vec<f64>,
        tags: BTreeMap<String, i64>,
        kind: Animal,
        maybe: Option<Newtype>,
    }
    let recs: Vec<Rec> = (0..2500)
        .map(|i| Rec {
            id: i,
            name: format!("r{i}"),
            scores: vec![i as f64, -0.5],
            tags: BTreeMap::from([("k".to_string(), i as i64 * -7)]),
            kind: if i % 2 == 0 { Animal::Dog } else { Animal::Cat { age: i as usize, name: "c".into() } },
            maybe: (i % 3 == 0).then_some(Newtype(i as i32)),
        })
        .collect();
    let theirs = serde_pickle::to_vec(&recs, Default::default()).unwrap();
    assert_eq!(brinery::from_slice::<Vec<Rec>>(&theirs).unwrap(), recs);
    for proto in 0..=5 {
        let ours = brinery::to_vec_with(&recs, &brinery::SerOptions::new().protocol(proto)).unwrap();
        assert_eq!(serde_pickle::from_slice::<Vec<Rec>>(&ours, Default::default()).unwrap(), recs, "protocol {proto}");
    }
}

// ---- serde-pickle's value tests --------------------------------------------------------------

/// serde-pickle's `get_test_object`: the object test/data/generate.py pickles.
fn test_object(pyver: u32) -> Value {
    let longish = num_bigint_of("100000000000000000000");
    let mut obj = pyobj!(d={
        n=None           => n=None,
        b=False          => t=(b=False, b=True),
        i=1000           => i=100000,
        ii=longish       => ii=longish,
        f=1.0            => f=1.0,
        bb=b"bytes"      => bb=b"bytes",
        s="string"       => s="string",
        fs=(i=0, i=42)   => fs=(i=0, i=42),
        t=(i=1, i=2)     => t=(i=1, i=2, i=3),
        t=()             => l=[
            l=[i=1, i=2, i=3],
            ss=(i=0, i=42),
            d={},
            bb=b"\x00\x55\xaa\xff"
        ]
    });
    let Value::Dict(map) = &mut obj else { unreachable!() };
    if pyver == 2 {
        // Python 2 str, read with DeOptions::encoding(Encoding::Bytes) as serde-pickle does.
        map.insert(hpyobj!(i = 7), pyobj!(d={bb=b"attr" => i=5}));
    } else {
        map.insert(hpyobj!(i = 7), pyobj!(d={s="attr" => i=5}));
        map.insert(hpyobj!(i = 8), pyobj!(t = (s = "abc", i = 10)));
        map.insert(hpyobj!(i = 9), pyobj!(d={s="type" => s="abcd", s="quantity" => i=100}));
        map.insert(hpyobj!(i = 42), pyobj!(t = (i = 30)));
        map.insert(hpyobj!(i = 43), pyobj!(t = (i = 20)));
    }
    obj
}

/// A graph as serde-pickle's `Value` with `keep_restore_state`: instances become their state,
/// or their constructor arguments (copyreg._reconstructor: the base's state).
fn as_value(g: &brinery::Graph, v: brinery::Value) -> Value {
    use brinery::Object as O;
    match v {
        brinery::Value::None => Value::None,
        brinery::Value::Bool(b) => Value::Bool(b),
        brinery::Value::Int(i) => Value::I64(i),
        brinery::Value::Float(f) => Value::F64(f),
        brinery::Value::Ref(id) => match g.get(id) {
            O::Str(s) => Value::String(s.as_str().unwrap().to_owned()),
            O::Bytes(b) => Value::Bytes(b.to_vec()),
            O::ByteArray(b) => Value::Bytes(b.clone()),
            O::Int(n) => Value::Int((**n).clone()),
            O::List(items) => Value::List(items.iter().map(|&i| as_value(g, i)).collect()),
            O::Tuple(items) => Value::Tuple(items.iter().map(|&i| as_value(g, i)).collect()),
            O::Set(s) => Value::Set(s.items().iter().map(|&i| as_value(g, i).into_hashable().unwrap()).collect()),
            O::FrozenSet(s) => {
                Value::FrozenSet(s.items().iter().map(|&i| as_value(g, i).into_hashable().unwrap()).collect())
            }
            O::Dict(d) => {
                Value::Dict(d.iter().map(|(k, v)| (as_value(g, k).into_hashable().unwrap(), as_value(g, v))).collect())
            }
            O::Instance(inst) => match inst.state {
                Some(state) => as_value(g, state),
                None => {
                    let Some(O::Tuple(args)) = g.object(inst.args) else { panic!("args") };
                    let reconstructor =
                        matches!(g.object(inst.callable), Some(O::Global(gl)) if gl.name == "_reconstructor");
                    if reconstructor {
                        as_value(g, args[2])
                    } else {
                        Value::Tuple(args.iter().map(|&a| as_value(g, a)).collect())
                    }
                }
            },
            other => panic!("unexpected {other:?}"),
        },
    }
}

#[test]
fn unpickle_all() {
    for (name, data) in FIXTURES.iter().filter(|(n, _)| n.starts_with("tests_py")) {
        let py2 = name.contains("py2");
        let opts =
            if py2 { brinery::DeOptions::new().encoding(brinery::Encoding::Bytes) } else { brinery::DeOptions::new() };
        let graph: brinery::Graph = brinery::from_slice_with(data, &opts).unwrap();
        let mut value = as_value(&graph, graph.root());
        if py2 {
            // The bytearray's Python 2 form names its encoding with a Python 2 str, so it is
            // only recognised when Python 2 strings are text.
            let latin1 = brinery::DeOptions::new().encoding(brinery::Encoding::Latin1);
            let g: brinery::Graph = brinery::from_slice_with(data, &latin1).unwrap();
            let Value::Dict(m) = as_value(&g, g.root()) else { unreachable!() };
            let Value::Dict(target) = &mut value else { unreachable!() };
            target.insert(HashableValue::Tuple(vec![]), m[&HashableValue::Tuple(vec![])].clone());
        }
        assert_eq!(value, test_object(if py2 { 2 } else { 3 }), "{name}");
    }
}

#[test]
fn roundtrip() {
    // serde-pickle's roundtrip test: its test object written by serde-pickle, read by brinery
    // as a graph, written by brinery, read by serde-pickle.
    let dict = test_object(2);
    let theirs = serde_pickle::value_to_vec(&dict, Default::default()).unwrap();
    let graph = brinery::loads(&theirs).unwrap();
    assert_eq!(as_value(&graph, graph.root()), dict);
    for proto in 0..=5 {
        let ours = brinery::dumps(&graph, proto).unwrap();
        assert_eq!(serde_pickle::value_from_slice(&ours, Default::default()).unwrap(), dict, "protocol {proto}");
    }
}

#[test]
fn recursive() {
    // rec_list = []; rec_list.append(([rec_list],)), at protocols 0-5 (CPython's bytes).
    let pickles: [&[u8]; 6] = [
        b"(lp0\n((lp1\ng0\natp2\na.",
        b"]q\x00(]q\x01h\x00atq\x02a.",
        b"\x80\x02]q\x00]q\x01h\x00a\x85q\x02a.",
        b"\x80\x03]q\x00]q\x01h\x00a\x85q\x02a.",
        b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94]\x94h\x00a\x85\x94a.",
        b"\x80\x05\x95\x0b\x00\x00\x00\x00\x00\x00\x00]\x94]\x94h\x00a\x85\x94a.",
    ];
    for (proto, data) in pickles.iter().enumerate() {
        let err = brinery::from_slice::<serde_json::Value>(data).unwrap_err();
        assert!(err.to_string().contains("recursive"), "protocol {proto}: {err}");
        let opts = brinery::DeOptions::new().recursive_as_none(true);
        let v: serde_json::Value = brinery::from_slice_with(data, &opts).unwrap();
        assert_eq!(v, serde_json::json!([[[null]]]), "protocol {proto}");
        // A Graph keeps the cycle itself.
        let g: brinery::Graph = brinery::from_slice(data).unwrap();
        let root = g.root();
        let brinery::Object::List(items) = g.object(root).unwrap() else { panic!() };
        let brinery::Object::Tuple(t) = g.object(items[0]).unwrap() else { panic!() };
        let brinery::Object::List(inner) = g.object(t[0]).unwrap() else { panic!() };
        assert_eq!(inner[0], root, "protocol {proto}");
    }
}

#[test]
fn fuzzing() {
    // Random streams must fail cleanly, never panic.
    let mut state = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..1000 {
        let stream: Vec<u8> = (0..1000).map(|_| next() as u8).collect();
        if *stream.last().unwrap() == b'.' {
            continue;
        }
        assert!(brinery::from_slice::<serde_json::Value>(&stream).is_err());
    }
}

#[test]
fn roundtrip_json() {
    let original: serde_json::Value = serde_json::from_str(
        r#"[
            {"null": null,
             "false": false,
             "true": true,
             "int": -1238571,
             "float": 1.5e10,
             "list": [false, 5, "true", 3.8]
            }
        ]"#,
    )
    .unwrap();
    let vec = brinery::to_vec(&original).unwrap();
    let tripped: serde_json::Value = brinery::from_slice(&vec).unwrap();
    assert_eq!(original, tripped);
}

#[test]
fn bytestring_v2_py3_roundtrip() {
    // Bytes at protocol 2 use `_codecs.encode(str, 'latin1')`, which reads back as bytes.
    let original = ByteBuf::from(b"123\xff\xfe".to_vec());
    let vec = brinery::to_vec_with(&original, &brinery::SerOptions::new().protocol(2)).unwrap();
    assert_eq!(brinery::from_slice::<ByteBuf>(&vec).unwrap(), original);
    let theirs = serde_pickle::value_from_slice(&vec, serde_pickle::DeOptions::new().decode_strings()).unwrap();
    assert_eq!(theirs, Value::Bytes(original.to_vec()));
}

#[test]
fn unresolvable_global() {
    // pickle.dumps(ReduceClass()) where ReduceClass.__reduce__ returns (ReduceClass, ()).
    let data = fixture("test_unresolvable_global");
    assert!(brinery::from_slice::<serde_json::Value>(data).is_err());
    let opts = brinery::DeOptions::new().opaque_as_none(true);
    assert_eq!(brinery::from_slice_with::<serde_json::Value>(data, &opts).unwrap(), serde_json::Value::Null);
    // With instances read as state, it is its (empty) constructor arguments.
    let opts = brinery::DeOptions::new().instances_as_state(true);
    assert_eq!(brinery::from_slice_with::<serde_json::Value>(data, &opts).unwrap(), serde_json::json!({}));
}

// ---- DeOptions / SerOptions -----------------------------------------------------------------

#[test]
fn decode_strings_is_an_encoding() {
    // serde-pickle keeps Python 2 str as bytes unless decode_strings(); brinery decodes them
    // as CPython does (ASCII by default) and takes any encoding.
    let py2 = b"(lp0\nS'caf\\xc3\\xa9'\np1\naS'abc'\np2\na.";
    assert!(brinery::from_slice::<Vec<String>>(py2).is_err(), "not ASCII");
    let utf8 = brinery::DeOptions::new().encoding(brinery::Encoding::Utf8);
    assert_eq!(brinery::from_slice_with::<Vec<String>>(py2, &utf8).unwrap(), ["café", "abc"]);
    let latin1 = brinery::DeOptions::new().encoding(brinery::Encoding::Latin1);
    assert_eq!(brinery::from_slice_with::<Vec<String>>(py2, &latin1).unwrap(), ["cafÃ©", "abc"]);
    let bytes = brinery::DeOptions::new().encoding(brinery::Encoding::Bytes);
    assert_eq!(
        brinery::from_slice_with::<Vec<ByteBuf>>(py2, &bytes).unwrap(),
        [ByteBuf::from(b"caf\xc3\xa9".to_vec()), ByteBuf::from(b"abc".to_vec())]
    );
    let theirs = serde_pickle::from_slice::<Vec<String>>(py2, serde_pickle::DeOptions::new().decode_strings()).unwrap();
    assert_eq!(theirs, ["café", "abc"]);
}

#[test]
fn keep_restore_state_is_instances_as_state() {
    let data = fixture("tests_py3_proto4");
    assert!(brinery::from_slice::<serde::de::IgnoredAny>(data).is_ok(), "skipping needs no option");
    #[derive(Deserialize)]
    struct Seven {
        attr: i32,
    }
    #[derive(Deserialize)]
    struct Nine {
        r#type: String,
        quantity: i64,
    }
    // Key 7 is Class() with __dict__ {'attr': 5}; 9 a dataclass; 8 a NamedTuple; 42 an IntEnum.
    #[derive(Deserialize)]
    struct Picked {
        seven: Seven,
        eight: (String, i32),
        nine: Nine,
        forty_two: (i32,),
    }
    let g = brinery::loads(data).unwrap();
    let brinery::Object::Dict(d) = g.object(g.root()).unwrap() else { panic!() };
    let mut picked = brinery::Graph::new();
    let _ = &mut picked;
    let opts = brinery::DeOptions::new().instances_as_state(true);
    let pick = |k: i64| -> brinery::Graph {
        // Re-root the loaded graph at one entry.
        let mut sub = g.clone();
        sub.set_root(d.get(&g, brinery::Value::Int(k)).unwrap());
        sub
    };
    let p = Picked {
        seven: brinery::from_graph_with(&pick(7), &opts).unwrap(),
        eight: brinery::from_graph_with(&pick(8), &opts).unwrap(),
        nine: brinery::from_graph_with(&pick(9), &opts).unwrap(),
        forty_two: brinery::from_graph_with(&pick(42), &opts).unwrap(),
    };
    assert_eq!(p.seven.attr, 5);
    assert_eq!(p.eight, ("abc".to_string(), 10));
    assert_eq!((p.nine.r#type.as_str(), p.nine.quantity), ("abcd", 100));
    assert_eq!(p.forty_two, (30,));
    assert!(brinery::from_graph::<Seven>(&pick(7)).is_err(), "instances need the option");
}

#[test]
fn reset_memo_is_a_stream() {
    // serde-pickle's Deserializer::reset_memo example input: two pickles and a stray byte.
    let input = vec![
        0x80, 0x04, 0x95, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f,
        0x94, 0x2e, 0x80, 0x04, 0x95, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x06, 0x70, 0x69, 0x63,
        0x6b, 0x6c, 0x65, 0x94, 0x2e, 0x00,
    ];
    let mut it = brinery::iter_from_reader::<_, String>(std::io::Cursor::new(input.as_slice()));
    assert_eq!(it.next().unwrap().unwrap(), "Hello");
    assert_eq!(it.next().unwrap().unwrap(), "pickle");
    assert!(it.next().unwrap().is_err(), "0x00 is no opcode");
    assert!(it.next().is_none());
    let strs: Vec<&str> = brinery::iter_from_slice(&input[..41]).collect::<Result<_, _>>().unwrap();
    assert_eq!(strs, ["Hello", "pickle"]);
}

#[test]
fn trailing_bytes_are_an_error() {
    // serde-pickle's from_reader ends with Deserializer::end(): trailing bytes are an error.
    let data = b"K\x01.K\x02.";
    assert!(serde_pickle::from_slice::<u8>(data, Default::default()).is_err());
    let err = brinery::from_slice::<u8>(data).unwrap_err();
    assert_eq!(err.offset(), Some(3));
    assert!(brinery::from_reader::<_, u8>(&data[..]).is_err());
    let opts = brinery::DeOptions::new().allow_trailing_bytes(true);
    assert_eq!(brinery::from_slice_with::<u8>(data, &opts).unwrap(), 1);
    assert_eq!(brinery::from_reader_with::<_, u8>(&data[..], &opts).unwrap(), 1);
}

#[test]
fn value_functions_are_graphs() {
    // value_from_slice / value_to_vec: brinery::loads / dumps; serde's view of a Graph, and a
    // Graph as a struct field (serde-pickle issue #30: big ints inside structs).
    #[derive(Deserialize)]
    struct Data {
        hello: brinery::Graph,
    }
    // Python: pickle.dumps({'hello': 2**130 + 12345}, 4)
    let pickle_long = b"\x80\x04\x95\x1f\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x05hello\x94\x8a\x1190\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04s.";
    let d: Data = brinery::from_slice(pickle_long).unwrap();
    let brinery::Object::Int(n) = d.hello.object(d.hello.root()).unwrap() else { panic!() };
    assert_eq!(n.to_string(), "1361129467683753853853498429727072858169");
    // Ints beyond 128 bits have no serde form other than a Graph.
    let err = brinery::from_slice::<serde_json::Value>(pickle_long).unwrap_err();
    assert!(err.to_string().contains("128 bits"), "{err}");
}

#[test]
fn out_of_band_buffers_read_as_bytes() {
    // "Unsupported: out-of-band data as introduced in Pickle protocol 5" -- supported here.
    // Python: pickle.dumps([PickleBuffer(b'ab'), 1], protocol=5, buffer_callback=bufs.append)
    let data = b"\x80\x05\x95\t\x00\x00\x00\x00\x00\x00\x00]\x94(\x97\x98K\x01e.";
    let opts = brinery::DeOptions::new().buffers(vec![b"ab".to_vec()]);
    let (buf, n): (ByteBuf, u8) = brinery::from_slice_with(data, &opts).unwrap();
    assert_eq!((buf.as_slice(), n), (&b"ab"[..], 1));
    assert!(brinery::from_slice::<(ByteBuf, u8)>(data).is_err(), "no buffer given");
}
