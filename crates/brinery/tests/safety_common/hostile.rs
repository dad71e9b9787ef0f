//! The hostile corpus: every case must be judged anything but safe.

use super::layouts::{npy, torch_data_pkl, torch_legacy};
use super::zipw::{zip, ZEntry};
use super::{b64, benign, evil, latin1, P};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Must be judged dangerous.
    Dangerous,
    /// Must not be judged safe.
    NotSafe,
}

pub struct Case {
    pub name: &'static str,
    pub data: Vec<u8>,
    pub expect: Expect,
    /// Text the findings must mention, when there is one.
    pub mentions: Option<&'static str>,
    /// Whether the data holds a global or call that strict loading must refuse (as opposed to a
    /// container or stream the loader does not read as such).
    pub strict_refuses: bool,
}

fn case(name: &'static str, data: Vec<u8>, expect: Expect, mentions: Option<&'static str>) -> Case {
    Case { name, data, expect, mentions, strict_refuses: true }
}

fn container(name: &'static str, data: Vec<u8>, expect: Expect, mentions: Option<&'static str>) -> Case {
    Case { name, data, expect, mentions, strict_refuses: false }
}

/// `module.name(arg)` by STACK_GLOBAL with SHORT_BINUNICODE operands.
fn sg_call(proto: u8, m: &str, n: &str, arg: &str) -> Vec<u8> {
    P::proto(proto).uni(m).uni(n).stack_global().uni(arg).t1().reduce().stop().0
}

fn call(m: &str, n: &str, arg: &str) -> Vec<u8> {
    P::proto(2).call1(m, n, arg).stop().0
}

pub fn hostile() -> Vec<Case> {
    use Expect::*;
    let evil_data_pkl = P::proto(2).call1("os", "system", "id").stop().0;
    vec![
        // -- every global opcode form ----------------------------------------------------------
        case("global_os_system_p0", b"cos\nsystem\n(S'echo pwned'\ntR.".to_vec(), Dangerous, Some("os.system")),
        case("global_posix_system_p2", call("posix", "system", "id"), Dangerous, Some("posix.system")),
        case("global_nt_system_p1", P::proto(1).call1("nt", "system", "dir").stop().0, Dangerous, Some("nt.system")),
        case("stack_global_short_binunicode", sg_call(4, "os", "system", "id"), Dangerous, Some("os.system")),
        case(
            "stack_global_binunicode",
            P::proto(4).binuni("subprocess").binuni("getoutput").stack_global().uni("id").t1().reduce().stop().0,
            Dangerous,
            Some("subprocess.getoutput"),
        ),
        case(
            "stack_global_from_string_opcodes",
            P::proto(4).string("os").string("system").stack_global().string("id").t1().reduce().stop().0,
            Dangerous,
            Some("os.system"),
        ),
        case(
            "stack_global_from_short_binstring",
            P::proto(4).sbs(b"os").sbs(b"popen").stack_global().sbs(b"id").t1().reduce().stop().0,
            Dangerous,
            Some("os.popen"),
        ),
        case(
            "stack_global_from_binstring",
            P::proto(4).binstring(b"builtins").binstring(b"exec").stack_global().uni("print(1)").t1().reduce().stop().0,
            Dangerous,
            Some("builtins.exec"),
        ),
        case(
            "stack_global_from_unicode_escapes",
            P::proto(4).unicode("\\u006fs").unicode("sys\\u0074em").stack_global().uni("id").t1().reduce().stop().0,
            Dangerous,
            Some("os.system"),
        ),
        case(
            "stack_global_memo_gets_with_decoys",
            P::proto(4)
                .uni("collections")
                .binput(0)
                .uni("OrderedDict")
                .binput(1)
                .uni("os")
                .binput(2)
                .uni("system")
                .binput(3)
                .pop()
                .pop()
                .pop()
                .pop()
                .binget(0)
                .binget(1)
                .stack_global()
                .pop()
                .binget(2)
                .binget(3)
                .stack_global()
                .uni("id")
                .t1()
                .reduce()
                .stop()
                .0,
            Dangerous,
            Some("os.system"),
        ),
        case(
            "stack_global_memoize_and_text_get",
            P::proto(4)
                .uni("posix")
                .memoize()
                .pop()
                .uni("system")
                .put(77)
                .pop()
                .get(0)
                .get(77)
                .stack_global()
                .uni("id")
                .t1()
                .reduce()
                .stop()
                .0,
            Dangerous,
            Some("posix.system"),
        ),
        case(
            "stack_global_computed_by_call",
            P::proto(4)
                .global("builtins", "str")
                .uni("os")
                .t1()
                .reduce()
                .uni("system")
                .stack_global()
                .uni("id")
                .t1()
                .reduce()
                .stop()
                .0,
            Dangerous,
            Some("computed"),
        ),
        case(
            "inst_subprocess",
            b"(S'id'\nisubprocess\ncheck_output\n.".to_vec(),
            Dangerous,
            Some("subprocess.check_output"),
        ),
        case(
            "obj_builtins_eval",
            P::proto(1).mark().global("builtins", "eval").string("__import__('os').system('id')").obj().stop().0,
            Dangerous,
            Some("builtins.eval"),
        ),
        case(
            "newobj_popen",
            P::proto(2).global("subprocess", "Popen").mark().mark().uni("id").op(b'l').tuple().newobj().stop().0,
            Dangerous,
            Some("subprocess.Popen"),
        ),
        case(
            "newobj_ex_popen",
            P::proto(4).global("subprocess", "Popen").mark().uni("id").tuple().empty_dict().newobj_ex().stop().0,
            Dangerous,
            Some("subprocess.Popen"),
        ),
        case(
            "ext1_unregistered",
            P::proto(2).op(0x82).op(1).uni("id").t1().reduce().stop().0,
            NotSafe,
            Some("extension code 1"),
        ),
        case(
            "ext2_unregistered",
            P::proto(2).op(0x83).raw(&[0x01, 0x02]).uni("id").t1().reduce().stop().0,
            NotSafe,
            Some("extension code 513"),
        ),
        case(
            "ext4_unregistered",
            P::proto(2).op(0x84).raw(&7i32.to_le_bytes()).empty_tuple().reduce().stop().0,
            NotSafe,
            Some("extension code 7"),
        ),
        // -- builtins, operator and importlib chains ------------------------------------------
        case(
            "builtins_eval",
            call("builtins", "eval", "__import__('os').system('id')"),
            Dangerous,
            Some("builtins.eval"),
        ),
        case("py2_builtin_eval", call("__builtin__", "eval", "1"), Dangerous, Some("eval")),
        case(
            "py2_builtin_name_at_protocol_3",
            P::proto(3).call1("__builtin__", "exec", "1").stop().0,
            Dangerous,
            Some("exec"),
        ),
        case(
            "getattr_import_chain",
            P::proto(2)
                .global("builtins", "getattr")
                .global("builtins", "__import__")
                .uni("os")
                .t1()
                .reduce()
                .uni("system")
                .t2()
                .reduce()
                .uni("id")
                .t1()
                .reduce()
                .stop()
                .0,
            Dangerous,
            Some("builtins.getattr"),
        ),
        case(
            "compile_and_functiontype",
            P::proto(2)
                .global("types", "FunctionType")
                .global("builtins", "compile")
                .uni("print(1)")
                .uni("<x>")
                .uni("exec")
                .t3()
                .reduce()
                .empty_dict()
                .t2()
                .reduce()
                .stop()
                .0,
            Dangerous,
            Some("builtins.compile"),
        ),
        case(
            "operator_attrgetter",
            P::proto(2)
                .global("operator", "attrgetter")
                .uni("system")
                .t1()
                .reduce()
                .global("builtins", "__import__")
                .uni("os")
                .t1()
                .reduce()
                .t1()
                .reduce()
                .stop()
                .0,
            Dangerous,
            Some("operator.attrgetter"),
        ),
        case(
            "operator_methodcaller",
            call("_operator", "methodcaller", "system"),
            Dangerous,
            Some("_operator.methodcaller"),
        ),
        case("operator_itemgetter", call("operator", "itemgetter", "x"), Dangerous, Some("operator.itemgetter")),
        case(
            "importlib_import_module",
            call("importlib", "import_module", "os"),
            Dangerous,
            Some("importlib.import_module"),
        ),
        case("runpy_run_path", call("runpy", "run_path", "/tmp/x.py"), Dangerous, Some("runpy.run_path")),
        case(
            "marshal_loads",
            P::proto(2).global("marshal", "loads").bytes(b"\xe3").t1().reduce().stop().0,
            Dangerous,
            Some("marshal.loads"),
        ),
        case("webbrowser_open", call("webbrowser", "open", "http://x.invalid"), Dangerous, None),
        case("socket_create_connection", call("socket", "create_connection", "x"), Dangerous, None),
        case("shutil_rmtree", call("shutil", "rmtree", "/"), Dangerous, None),
        case("ctypes_cdll", call("ctypes", "CDLL", "libc.so.6"), Dangerous, None),
        case("pty_spawn", call("pty", "spawn", "/bin/sh"), Dangerous, None),
        case("sys_exit", call("sys", "exit", "1"), Dangerous, None),
        case("code_interact", call("code", "interact", "x"), Dangerous, None),
        case("codecs_open", call("codecs", "open", "/etc/passwd"), Dangerous, Some("codecs.open")),
        case("builtins_open", call("builtins", "open", "/etc/passwd"), Dangerous, Some("builtins.open")),
        case("timeit_timeit", call("timeit", "timeit", "__import__('os').system('id')"), Dangerous, None),
        case(
            "torch_load_from_bytes",
            P::proto(2).global("torch.storage", "_load_from_bytes").bytes(&evil()).t1().reduce().stop().0,
            Dangerous,
            Some("os.system"),
        ),
        // -- names that reach code through dotted traversal ------------------------------------
        case("dotted_torch_hub_os", sg_call(4, "torch", "hub.os.system", "id"), Dangerous, Some("hub.os.system")),
        case(
            "dotted_dunder_globals",
            sg_call(4, "torch._utils", "_rebuild_tensor_v2.__globals__", "x"),
            Dangerous,
            Some("dunder"),
        ),
        case(
            "dotted_via_allowed_class",
            sg_call(4, "collections", "OrderedDict.__init__.__builtins__", "x"),
            Dangerous,
            None,
        ),
        case("dotted_os_path_module", sg_call(4, "os.path", "os.system", "id"), Dangerous, None),
        case("dotted_numpy_runstring", sg_call(4, "numpy", "testing._private.utils.runstring", "x"), Dangerous, None),
        case(
            "dotted_allowed_prefix",
            sg_call(4, "numpy.core.multiarray", "_reconstruct.__call__", "x"),
            Dangerous,
            None,
        ),
        // -- nested pickles ----------------------------------------------------------------------
        case(
            "nested_pickle_loads_bytes",
            P::proto(2).global("pickle", "loads").bytes(&evil()).t1().reduce().stop().0,
            Dangerous,
            Some("os.system"),
        ),
        case(
            "nested_c_pickle_loads_latin1_str",
            P::proto(2).global("_pickle", "loads").binuni(&latin1(&evil())).t1().reduce().stop().0,
            Dangerous,
            Some("os.system"),
        ),
        case(
            "nested_via_codecs_encode",
            P::proto(2)
                .global("pickle", "loads")
                .global("_codecs", "encode")
                .binuni(&latin1(&evil()))
                .uni("latin1")
                .t2()
                .reduce()
                .t1()
                .reduce()
                .stop()
                .0,
            Dangerous,
            Some("os.system"),
        ),
        case(
            "nested_pickle_load_bytesio",
            P::proto(2)
                .global("pickle", "load")
                .global("io", "BytesIO")
                .bytes(&evil())
                .t1()
                .reduce()
                .t1()
                .reduce()
                .stop()
                .0,
            Dangerous,
            Some("os.system"),
        ),
        case(
            "nested_base64",
            P::proto(2)
                .global("pickle", "loads")
                .global("base64", "b64decode")
                .uni(&b64(&evil()))
                .t1()
                .reduce()
                .t1()
                .reduce()
                .stop()
                .0,
            Dangerous,
            Some("os.system"),
        ),
        case(
            "nested_twice",
            {
                let inner = P::proto(2).global("pickle", "loads").bytes(&evil()).t1().reduce().stop().0;
                P::proto(2).global("dill", "loads").bytes(&inner).t1().reduce().stop().0
            },
            Dangerous,
            Some("os.system"),
        ),
        // -- streams and garbage -----------------------------------------------------------------
        container("benign_then_evil", [benign(), evil()].concat(), Dangerous, Some("os.system")),
        container("benign_then_garbage", [benign(), b"\xff\xfe garbage".to_vec()].concat(), NotSafe, None),
        case("evil_then_garbage", [evil(), b"zzzz".to_vec()].concat(), Dangerous, None),
        case("truncated_evil", evil()[..evil().len() - 1].to_vec(), Dangerous, Some("os.system")),
        container("truncated_benign", benign()[..benign().len() - 3].to_vec(), NotSafe, None),
        // -- frame-length tricks -----------------------------------------------------------------
        case(
            "frame_longer_than_data",
            [P::proto(4).frame(1 << 20).0, sg_call(4, "os", "system", "id")[2..].to_vec()].concat(),
            NotSafe,
            None,
        ),
        container(
            "frame_2_pow_60",
            P::proto(4).frame(1 << 60).uni("os").uni("system").stack_global().stop().0,
            NotSafe,
            None,
        ),
        case(
            "frame_short_then_payload",
            [P::proto(4).frame(3).0, sg_call(4, "os", "system", "id")[2..].to_vec()].concat(),
            Dangerous,
            Some("os.system"),
        ),
        // -- state changes on the wrong objects ----------------------------------------------------
        case(
            "build_on_global",
            P::proto(2).global("collections", "OrderedDict").empty_dict().uni("x").k(1).setitem().build().stop().0,
            Dangerous,
            Some("BUILD"),
        ),
        case(
            "user_class",
            P::proto(2).global("__main__", "Exploit").empty_tuple().reduce().stop().0,
            NotSafe,
            Some("__main__.Exploit"),
        ),
        case("persistent_id_plain", P::proto(2).uni("anything").binpersid().stop().0, NotSafe, Some("persistent id")),
        case(
            "persistent_id_not_storage",
            P::proto(2).mark().uni("module").uni("os").tuple().binpersid().stop().0,
            NotSafe,
            Some("persistent id"),
        ),
        case(
            "setitem_on_global",
            P::proto(2).global("collections", "Counter").uni("k").uni("v").setitem().stop().0,
            NotSafe,
            None,
        ),
        case("append_on_str", P::proto(2).uni("x").uni("y").append().stop().0, NotSafe, None),
        // -- containers ------------------------------------------------------------------------------
        container(
            "torch_zip_bad_crc",
            zip(
                &[
                    ZEntry { bad_crc: true, ..ZEntry::new("archive/data.pkl", &evil_data_pkl) },
                    ZEntry::new("archive/version", b"3\n"),
                ],
                b"",
            ),
            Dangerous,
            Some("os.system"),
        ),
        container(
            "torch_zip_flag_bits",
            zip(&[ZEntry { flags: 0x0001 | 0x0040 | 0x0800, ..ZEntry::new("archive/data.pkl", &evil_data_pkl) }], b""),
            Dangerous,
            Some("os.system"),
        ),
        container(
            "torch_zip_data_descriptor",
            zip(
                &[
                    ZEntry { descriptor: true, ..ZEntry::new("archive/data.pkl", &evil_data_pkl) },
                    ZEntry::new("archive/version", b"3\n"),
                ],
                b"",
            ),
            Dangerous,
            Some("os.system"),
        ),
        container(
            "torch_zip_pickle_under_other_name",
            zip(
                &[
                    ZEntry::new("archive/data.pkl", &torch_data_pkl(["0", "1"])),
                    ZEntry::new("archive/data/0", &evil_data_pkl),
                ],
                b"",
            ),
            Dangerous,
            Some("os.system"),
        ),
        container(
            "zip_pickle_named_readme_deflated",
            zip(&[ZEntry { deflate: true, ..ZEntry::new("README.txt", &evil()) }], b""),
            Dangerous,
            Some("os.system"),
        ),
        container(
            "zip_central_name_mismatch",
            zip(
                &[ZEntry {
                    central_name: Some("archive/version".into()),
                    ..ZEntry::new("archive/data.pkl", &evil_data_pkl)
                }],
                b"",
            ),
            Dangerous,
            Some("central directory"),
        ),
        container(
            "zip_in_zip",
            zip(&[ZEntry::new("inner.pt", &zip(&[ZEntry::new("archive/data.pkl", &evil())], b""))], b""),
            Dangerous,
            Some("os.system"),
        ),
        container(
            "polyglot_pickle_then_zip",
            zip(&[ZEntry::new("archive/data.pkl", &evil())], &benign()),
            Dangerous,
            Some("os.system"),
        ),
        case("raw_pickle_named_pt", evil_data_pkl.clone(), Dangerous, Some("os.system")),
        container("npy_object_dtype_evil", npy("'|O'", &evil()), Dangerous, Some("os.system")),
        container(
            "npy_structured_object_field",
            npy("[('a', '<i4'), ('b', '|O')]", &evil()),
            Dangerous,
            Some("os.system"),
        ),
        container(
            "npz_with_evil_object_npy",
            zip(&[ZEntry { deflate: true, ..ZEntry::new("arr_0.npy", &npy("'|O'", &evil())) }], b""),
            Dangerous,
            Some("os.system"),
        ),
        container("torch_legacy_evil_data", torch_legacy(&evil_data_pkl, ["0", "1"]), Dangerous, Some("os.system")),
        container(
            "torch_legacy_trailing_evil",
            [torch_legacy(&torch_data_pkl(["0", "1"]), ["0", "1"]), evil()].concat(),
            NotSafe,
            Some("after the last"),
        ),
    ]
}
