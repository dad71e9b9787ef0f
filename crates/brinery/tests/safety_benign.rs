//! Benign files are judged safe by the matching preset, and the strict loader reads them: CPython's
//! own builtin and stdlib pickles at every protocol, PyTorch checkpoints (zip and legacy) and NumPy
//! arrays with the layouts torch and numpy write.

mod safety_common;

use brinery::policy::{Policy, Preset};
use brinery::scan::{scan_bytes, Format, ScanOptions, Verdict};
use brinery::LoadOptions;
use safety_common::layouts::*;
use std::path::Path;
use std::process::Command;

fn preset(p: Preset) -> ScanOptions {
    ScanOptions::default().policy(Policy::new().with(p))
}

fn assert_safe(name: &str, data: &[u8], opts: &ScanOptions) {
    let r = scan_bytes(data, opts);
    assert_eq!(r.verdict, Verdict::Safe, "{name}: {:#?}", r.findings);
    assert!(r.findings.is_empty(), "{name}: {:#?}", r.findings);
}

/// Stdlib cases of tests/interop/corpus.py that use only the standard library.
const STDLIB_CASES: &[&str] = &[
    "complex",
    "counter",
    "date",
    "datetime_fold",
    "datetime_naive",
    "datetime_named_tz",
    "datetime_offset",
    "datetime_shared_tz",
    "datetime_utc",
    "decimal",
    "defaultdict",
    "deque",
    "fraction",
    "ordereddict",
    "ordereddict_self",
    "range",
    "slice",
    "time",
    "time_tz",
    "timedelta",
    "timezone",
    "uuid",
];

#[test]
fn cpython_corpus_is_safe_under_the_data_preset() {
    let out = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/corpus.py");
    let status = Command::new("python3").arg(&script).arg(out.path()).env("PYTHONHASHSEED", "0").output();
    let Ok(status) = status else {
        eprintln!("python3 not found: skipping the CPython corpus");
        return;
    };
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    let opts = preset(Preset::Data);
    let strict = LoadOptions::default().policy(Policy::new().with(Preset::Data).strict());
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in manifest.as_array().unwrap() {
        let case = entry["case"].as_str().unwrap();
        let builtin = entry["builtin_only"].as_bool().unwrap();
        if !builtin
            && !STDLIB_CASES.contains(&case)
            && !case.starts_with("stream_builtin")
            && case != "stream_shared_text"
        {
            continue;
        }
        let file = entry["file"].as_str().unwrap();
        let data = std::fs::read(out.path().join(file)).unwrap();
        let r = scan_bytes(&data, &opts);
        if r.verdict != Verdict::Safe {
            failures.push(format!("{file}: {} {:?}", r.verdict, r.findings));
        }
        let count = entry["count"].as_u64().unwrap() as usize;
        assert_eq!(r.pickles.len(), count, "{file}");
        match brinery::loads_all(&data, &strict) {
            Ok(g) => assert_eq!(g.len(), count, "{file}"),
            Err(e) => failures.push(format!("{file}: strict load: {e}")),
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 500, "only {checked} files checked");
}

#[test]
fn other_corpus_cases_are_unknown_not_dangerous() {
    // Classes defined by the corpus script are not in any allowlist, and not dangerous either.
    let plain = safety_common::P::proto(2)
        .global("copyreg", "_reconstructor")
        .global("corpus", "Plain")
        .global("builtins", "object")
        .none()
        .t3()
        .reduce()
        .empty_dict()
        .uni("a")
        .k(1)
        .setitem()
        .build()
        .stop()
        .0;
    let r = scan_bytes(&plain, &preset(Preset::Data));
    assert_eq!(r.verdict, Verdict::Unknown, "{:?}", r.findings);
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    assert!(r.findings[0].message.contains("corpus.Plain"));
}

#[test]
fn torch_zip_state_dict_is_safe_under_torch() {
    let data_pkl = torch_data_pkl(["0", "1"]);
    let zip = torch_zip(&data_pkl);
    assert_safe("torch zip", &zip, &preset(Preset::Torch));
    assert_safe("torch zip (all presets)", &zip, &ScanOptions::default());
    let r = scan_bytes(&zip, &preset(Preset::Torch));
    assert_eq!(r.format, Format::Zip);
    assert_eq!(r.pickles.len(), 1, "{:?}", r.members);
    assert_eq!(r.pickles[0].location, "archive/data.pkl#0");
    assert_eq!(r.pickles[0].persistent_ids_total, 2);
    assert!(r.pickles[0].persistent_ids.iter().all(|p| p.allowed));
    assert_eq!(r.pickles[0].persistent_ids[0].id, "('storage', torch.FloatStorage, '0', 'cpu', 6)");
    let kinds: Vec<_> = r.members.iter().map(|m| (m.name.as_str(), m.kind)).collect();
    assert!(
        kinds.contains(&("archive/data.pkl", "pickle")) && kinds.contains(&("archive/data/0", "data")),
        "{kinds:?}"
    );
    // Under the data preset alone, torch's names are unknown, not dangerous.
    assert_eq!(scan_bytes(&zip, &preset(Preset::Data)).verdict, Verdict::Unknown);
    // The strict torch loader reads data.pkl, keeping the OrderedDict's _metadata.
    let strict = LoadOptions::default().policy(Policy::new().with(Preset::Torch).strict());
    let g = brinery::loads_with(&data_pkl, &strict).unwrap();
    assert!(
        matches!(g.object(g.root()), Some(brinery::Object::Instance(i)) if i.state.is_some() && i.dict_items.len() == 2)
    );
    // ... and writes it back the way CPython would: items, then BUILD with the attributes.
    let again = brinery::dumps(&g, 2).unwrap();
    assert!(again.ends_with(b"K\x01sssb."), "{again:?}");
    let g2 = brinery::loads_with(&again, &strict).unwrap();
    assert_eq!(brinery::dumps(&g2, 2).unwrap(), again);
    let err = brinery::loads_with(&data_pkl, &LoadOptions::default().policy(Policy::default().strict())).unwrap_err();
    assert!(err.to_string().contains("forbidden"), "{err}");
}

#[test]
fn torch_zip_variants_are_safe() {
    let data_pkl = torch_data_pkl(["0", "1"]);
    // Deflated members, a data descriptor, zip64-free: what re-packing tools produce.
    use safety_common::zipw::{zip, ZEntry};
    let z = zip(
        &[
            ZEntry { deflate: true, ..ZEntry::new("model/data.pkl", &data_pkl) },
            ZEntry { descriptor: true, ..ZEntry::new("model/data/0", &floats(6, 0.5)) },
            ZEntry { deflate: true, ..ZEntry::new("model/data/1", &floats(3, 1.5)) },
            ZEntry::new("model/version", b"3\n"),
        ],
        b"",
    );
    assert_safe("re-packed torch zip", &z, &preset(Preset::Torch));
}

#[test]
fn torch_legacy_file_is_safe_under_torch() {
    let legacy = torch_legacy(&torch_data_pkl(["94123", "94125"]), ["94123", "94125"]);
    assert_safe("legacy torch", &legacy, &preset(Preset::Torch));
    let r = scan_bytes(&legacy, &preset(Preset::Torch));
    assert_eq!(r.format, Format::TorchLegacy);
    assert_eq!(r.pickles.len(), 5);
    // A storage cut short is not.
    let cut = &legacy[..legacy.len() - 4];
    assert_eq!(scan_bytes(cut, &preset(Preset::Torch)).verdict, Verdict::Unknown);
}

#[test]
fn numpy_pickles_are_safe_under_numpy() {
    for core in ["numpy.core", "numpy._core"] {
        for (name, data) in [
            ("array p2", numpy_array_p2(core)),
            ("array p4", numpy_array_p4(core)),
            ("array p5", numpy_array_p5(core)),
            ("scalar", numpy_scalar(core)),
        ] {
            assert_safe(&format!("{core} {name}"), &data, &preset(Preset::Numpy));
            let strict = LoadOptions::default().policy(Policy::new().with(Preset::Numpy).strict());
            brinery::loads_with(&data, &strict).unwrap_or_else(|e| panic!("{core} {name}: {e}"));
            assert_eq!(scan_bytes(&data, &preset(Preset::Data)).verdict, Verdict::Unknown, "{core} {name}");
        }
    }
}

#[test]
fn npy_and_npz_are_safe() {
    let numeric = npy("'<f4'", &floats(2, 0.0));
    let r = scan_bytes(&numeric, &preset(Preset::Numpy));
    assert_eq!((r.format, r.verdict, r.pickles.len()), (Format::Npy, Verdict::Safe, 0));
    // A numeric array whose bytes happen to start like a pickle is still raw data.
    let lookalike = npy("'|u1'", &[0x80, 0x02, b'c', b'o', b's', b'\n']);
    assert_eq!(scan_bytes(&lookalike, &preset(Preset::Numpy)).verdict, Verdict::Safe);
    let object = npy("'|O'", &numpy_object_array_pickle());
    let r = scan_bytes(&object, &preset(Preset::Numpy));
    assert_eq!((r.format, r.verdict, r.pickles.len()), (Format::Npy, Verdict::Safe, 1), "{:?}", r.findings);
    for deflate in [false, true] {
        let z = npz(
            &[("a.npy", numeric.clone()), ("b.npy", object.clone()), ("c.npy", npy("'<f8'", &vec![0; 1 << 17]))],
            deflate,
        );
        let r = scan_bytes(&z, &preset(Preset::Numpy));
        assert_eq!(r.verdict, Verdict::Safe, "{:?}", r.findings);
        assert_eq!(r.pickles.len(), 1);
    }
}

#[test]
fn several_pickles_back_to_back_are_each_judged() {
    let two = [safety_common::benign(), safety_common::benign()].concat();
    let r = scan_bytes(&two, &ScanOptions::default());
    assert_eq!((r.verdict, r.pickles.len()), (Verdict::Safe, 2));
    assert_eq!(r.pickles[1].start as usize, safety_common::benign().len());
}

#[test]
fn not_a_pickle_is_never_safe() {
    for data in [&b""[..], b"hello world\n", b"{\"json\": true}", b"\x00\x01\x02"] {
        let r = scan_bytes(data, &ScanOptions::default());
        assert_eq!((r.format, r.verdict), (Format::Data, Verdict::Unknown), "{data:?}");
    }
}

#[test]
fn inspect_mode_never_turns_disallowed_globals_into_natives() {
    // pickle.dumps(OrderedDict(a=1), 2)
    let od = safety_common::P::proto(2)
        .global("collections", "OrderedDict")
        .mark()
        .mark()
        .uni("a")
        .k(1)
        .op(b'l')
        .op(b'l')
        .t1()
        .reduce()
        .stop()
        .0;
    let g = brinery::loads(&od).unwrap();
    assert!(matches!(g.object(g.root()), Some(brinery::Object::OrderedDict(_))));
    let none = LoadOptions::default().policy(Policy::new());
    let g = brinery::loads_with(&od, &none).unwrap();
    assert!(matches!(g.object(g.root()), Some(brinery::Object::Instance(_))));
    assert!(brinery::loads_with(&od, &none.clone().policy(Policy::new().strict())).is_err());
}
