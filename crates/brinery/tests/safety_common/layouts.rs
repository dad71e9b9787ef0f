//! Real-world layouts, written by hand: PyTorch checkpoints (zip and legacy) and NumPy pickles,
//! byte for byte as torch and numpy write them.

use super::zipw::{zip, ZEntry};
use super::P;

/// One tensor entry of a state dict as torch pickles it: `key: _rebuild_tensor_v2(...)`.
fn tensor(p: P, key: &str, storage_key: &str, shape: &[i32], memo: &mut u8) -> P {
    let mut next = || {
        *memo += 1;
        *memo
    };
    let numel: i32 = shape.iter().product();
    let mut p = p
        .uni(key)
        .binput(next())
        .global("torch._utils", "_rebuild_tensor_v2")
        .binput(next())
        .mark()
        .mark()
        .uni("storage")
        .binput(next())
        .global("torch", "FloatStorage")
        .binput(next())
        .uni(storage_key)
        .binput(next())
        .uni("cpu")
        .binput(next())
        .int(numel)
        .tuple()
        .binput(next())
        .binpersid()
        .k(0);
    p = p.mark();
    for &d in shape {
        p = p.int(d);
    }
    p = p.tuple().binput(next()).mark();
    let mut strides = Vec::new();
    let mut stride = 1;
    for &d in shape.iter().rev() {
        strides.push(stride);
        stride *= d;
    }
    for s in strides.iter().rev() {
        p = p.int(*s);
    }
    p.tuple()
        .binput(next())
        .newfalse()
        .global("collections", "OrderedDict")
        .binput(next())
        .empty_tuple()
        .reduce()
        .binput(next())
        .tuple()
        .binput(next())
        .reduce()
        .binput(next())
}

/// The data.pkl of `{'fc.weight': 2x3, 'fc.bias': 3}` as `torch.save(model.state_dict())` writes
/// it (protocol 2, persistent ids `('storage', torch.FloatStorage, key, 'cpu', numel)`), with the
/// `_metadata` attribute set by BUILD.
pub fn torch_data_pkl(keys: [&str; 2]) -> Vec<u8> {
    let mut memo = 1u8;
    let mut p = P::proto(2).global("collections", "OrderedDict").binput(0).empty_tuple().reduce().binput(1).mark();
    p = tensor(p, "fc.weight", keys[0], &[2, 3], &mut memo);
    p = tensor(p, "fc.bias", keys[1], &[3], &mut memo);
    p.setitems()
        .empty_dict()
        .uni("_metadata")
        .global("collections", "OrderedDict")
        .empty_tuple()
        .reduce()
        .uni("")
        .empty_dict()
        .uni("version")
        .k(1)
        .setitem()
        .setitem()
        .setitem()
        .build()
        .stop()
        .0
}

pub fn floats(n: usize, seed: f32) -> Vec<u8> {
    (0..n).flat_map(|i| (seed + 0.25 * i as f32).to_le_bytes()).collect()
}

/// A PyTorch state-dict checkpoint with the real zip layout: `archive/data.pkl`,
/// `archive/data/0`, `archive/data/1`, `archive/version`, `archive/byteorder`,
/// `archive/.data/serialization_id`, data aligned to 64 bytes.
pub fn torch_zip(data_pkl: &[u8]) -> Vec<u8> {
    let mut e = vec![
        ZEntry::new("archive/data.pkl", data_pkl),
        ZEntry::new("archive/byteorder", b"little"),
        ZEntry::new("archive/data/0", &floats(6, 0.5)),
        ZEntry::new("archive/data/1", &floats(3, 1.5)),
        ZEntry::new("archive/version", b"3\n"),
        ZEntry::new("archive/.data/serialization_id", b"1003416157358410263600000067386287441486"),
    ];
    for z in &mut e {
        z.align64 = true;
    }
    zip(&e, b"")
}

/// A legacy (non-zip) torch file: magic, protocol, sys info, data, storage keys, storages.
pub fn torch_legacy(data_pkl: &[u8], keys: [&str; 2]) -> Vec<u8> {
    let mut out = P::proto(2).op(0x8a).op(10).raw(&0x1950a86a20f9469cfc6cu128.to_le_bytes()[..10]).stop().0;
    out.extend(P::proto(2).op(b'M').raw(&1001u16.to_le_bytes()).stop().0);
    out.extend(
        P::proto(2)
            .empty_dict()
            .mark()
            .uni("protocol_version")
            .op(b'M')
            .raw(&1001u16.to_le_bytes())
            .uni("little_endian")
            .newtrue()
            .uni("type_sizes")
            .empty_dict()
            .mark()
            .uni("short")
            .k(2)
            .uni("int")
            .k(4)
            .uni("long")
            .k(4)
            .setitems()
            .setitems()
            .stop()
            .0,
    );
    out.extend_from_slice(data_pkl);
    out.extend(P::proto(2).empty_list().mark().uni(keys[0]).uni(keys[1]).appends().stop().0);
    out.extend_from_slice(&6u64.to_le_bytes());
    out.extend(floats(6, 0.5));
    out.extend_from_slice(&3u64.to_le_bytes());
    out.extend(floats(3, 1.5));
    out
}

fn dtype_state(p: P, order: &str, flags: u8) -> P {
    p.mark().k(3).uni(order).none().none().none().int(-1).int(-1).k(flags).tuple().build()
}

/// `np.arange(6, dtype=np.float32).reshape(2, 3)` pickled at protocol 2 as NumPy writes it;
/// `core` is `numpy.core` (NumPy 1) or `numpy._core` (NumPy 2).
pub fn numpy_array_p2(core: &str) -> Vec<u8> {
    let data = super::latin1(&floats(6, 0.0));
    let p = P::proto(2)
        .global(&format!("{core}.multiarray"), "_reconstruct")
        .binput(0)
        .global("numpy", "ndarray")
        .binput(1)
        .k(0)
        .t1()
        .binput(2)
        .global("_codecs", "encode")
        .binput(3)
        .binuni("b")
        .binput(4)
        .binuni("latin1")
        .binput(5)
        .t2()
        .binput(6)
        .reduce()
        .binput(7)
        .t3()
        .binput(8)
        .reduce()
        .binput(9)
        .mark()
        .k(1)
        .k(2)
        .k(3)
        .t2()
        .binput(10)
        .global("numpy", "dtype")
        .binput(11)
        .binuni("f4")
        .binput(12)
        .newfalse()
        .newtrue()
        .t3()
        .binput(13)
        .reduce()
        .binput(14);
    dtype_state(p, "<", 0)
        .newfalse()
        .binget(3)
        .binuni(&data)
        .binput(17)
        .binget(5)
        .t2()
        .binput(18)
        .reduce()
        .binput(19)
        .tuple()
        .binput(20)
        .build()
        .stop()
        .0
}

/// The same array at protocol 4, the way NumPy 2 writes it (STACK_GLOBAL, memoize, a frame).
pub fn numpy_array_p4(core: &str) -> Vec<u8> {
    let p = P::new()
        .uni(&format!("{core}.multiarray"))
        .memoize()
        .uni("_reconstruct")
        .memoize()
        .stack_global()
        .memoize()
        .uni("numpy")
        .memoize()
        .uni("ndarray")
        .memoize()
        .stack_global()
        .memoize()
        .k(0)
        .t1()
        .memoize()
        .bytes(b"b")
        .memoize()
        .t3()
        .memoize()
        .reduce()
        .memoize()
        .mark()
        .k(1)
        .k(2)
        .k(3)
        .t2()
        .memoize()
        .binget(3)
        .uni("dtype")
        .memoize()
        .stack_global()
        .memoize()
        .uni("f4")
        .memoize()
        .newfalse()
        .newtrue()
        .t3()
        .memoize()
        .reduce()
        .memoize();
    let body = dtype_state(p, "<", 0).newfalse().bytes(&floats(6, 0.0)).memoize().tuple().memoize().build().stop().0;
    let mut out = P::proto(4).frame(body.len() as u64).0;
    out.extend(body);
    out
}

/// The same array at protocol 5: `_frombuffer(bytearray, dtype, shape, 'C')`.
pub fn numpy_array_p5(core: &str) -> Vec<u8> {
    let p = P::new()
        .uni(&format!("{core}.numeric"))
        .memoize()
        .uni("_frombuffer")
        .memoize()
        .stack_global()
        .memoize()
        .mark()
        .op(0x96)
        .raw(&24u64.to_le_bytes())
        .raw(&floats(6, 0.0))
        .memoize()
        .uni("numpy")
        .memoize()
        .uni("dtype")
        .memoize()
        .stack_global()
        .memoize()
        .uni("f4")
        .memoize()
        .newfalse()
        .newtrue()
        .t3()
        .memoize()
        .reduce()
        .memoize();
    let body = dtype_state(p, "<", 0)
        .k(2)
        .k(3)
        .t2()
        .memoize()
        .uni("C")
        .memoize()
        .tuple()
        .memoize()
        .reduce()
        .memoize()
        .stop()
        .0;
    let mut out = P::proto(5).frame(body.len() as u64).0;
    out.extend(body);
    out
}

/// `np.float64(1.5)` pickled at protocol 2.
pub fn numpy_scalar(core: &str) -> Vec<u8> {
    let p = P::proto(2)
        .global(&format!("{core}.multiarray"), "scalar")
        .binput(0)
        .global("numpy", "dtype")
        .binput(1)
        .binuni("f8")
        .binput(2)
        .newfalse()
        .newtrue()
        .t3()
        .binput(3)
        .reduce()
        .binput(4);
    dtype_state(p, "<", 0)
        .global("_codecs", "encode")
        .binput(7)
        .binuni(&super::latin1(&1.5f64.to_le_bytes()))
        .binput(8)
        .binuni("latin1")
        .binput(9)
        .t2()
        .binput(10)
        .reduce()
        .binput(11)
        .t2()
        .binput(12)
        .reduce()
        .binput(13)
        .stop()
        .0
}

/// An `.npy` file: header dict padded to 64 bytes, then `payload`.
pub fn npy(descr: &str, payload: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': {descr}, 'fortran_order': False, 'shape': (2,), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(payload);
    out
}

/// `np.array([1, {'k': 2}], dtype=object)` as `np.save` pickles it (protocol 4).
pub fn numpy_object_array_pickle() -> Vec<u8> {
    let p = P::proto(4)
        .uni("numpy._core.multiarray")
        .memoize()
        .uni("_reconstruct")
        .memoize()
        .stack_global()
        .memoize()
        .uni("numpy")
        .memoize()
        .uni("ndarray")
        .memoize()
        .stack_global()
        .memoize()
        .k(0)
        .t1()
        .memoize()
        .bytes(b"b")
        .memoize()
        .t3()
        .memoize()
        .reduce()
        .memoize()
        .mark()
        .k(1)
        .k(2)
        .t1()
        .memoize()
        .binget(3)
        .uni("dtype")
        .memoize()
        .stack_global()
        .memoize()
        .uni("O8")
        .memoize()
        .newfalse()
        .newtrue()
        .t3()
        .memoize()
        .reduce()
        .memoize();
    dtype_state(p, "|", 63)
        .newfalse()
        .empty_list()
        .memoize()
        .mark()
        .k(1)
        .empty_dict()
        .memoize()
        .uni("k")
        .memoize()
        .k(2)
        .setitem()
        .appends()
        .tuple()
        .memoize()
        .build()
        .stop()
        .0
}

/// An `.npz` (zip of `.npy` members), deflated as `np.savez_compressed` writes it.
pub fn npz(members: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let entries: Vec<ZEntry> = members.iter().map(|(n, d)| ZEntry { deflate, ..ZEntry::new(n, d) }).collect();
    zip(&entries, b"")
}
