//! Inputs the fuzzers found (and fixed), kept under `tests/fuzz_regressions/`: each is run
//! through the loader, serde, the scanner and the disassembler, which must end without panicking
//! (or running out of memory).
//! See FUZZING.md.

mod safety_common;

use brinery::scan::{scan_bytes, ScanOptions, Verdict};
use brinery::{LoadOptions, Policy};
use std::path::Path;

fn regressions() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

#[test]
fn fuzz_regressions_run_clean() {
    let cases = regressions();
    assert!(!cases.is_empty());
    for (name, data) in cases {
        let _ = brinery::loads_all(&data, &LoadOptions::default());
        let _ = brinery::load(&data[..], &LoadOptions::default());
        let _ = brinery::loads_with(&data, &LoadOptions::default().policy(Policy::all_presets().strict()));
        if let Ok(graphs) = brinery::loads_all(&data, &LoadOptions::default()) {
            for g in &graphs {
                let _ = brinery::dumps(g, 5).map(|b| brinery::loads(&b).unwrap_or_else(|e| panic!("{name}: {e}")));
            }
        }
        let _ = brinery::from_slice::<serde_json::Value>(&data);
        let _ = brinery::dis::dis(&data);
        let report = scan_bytes(&data, &ScanOptions::default());
        if report.verdict == Verdict::Safe {
            assert!(report.pickles.iter().all(|p| p.complete), "{name}");
        }
        let _ = serde_json::to_string(&report).unwrap();
    }
}

/// `BRINERY_WRITE_SEEDS=DIR cargo test --test safety_fuzz_regressions write_seeds` writes the
/// hostile, benign and denial-of-service corpora as fuzzing seeds.
#[test]
fn write_seeds() {
    let Some(dir) = std::env::var_os("BRINERY_WRITE_SEEDS") else { return };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    use safety_common::layouts::*;
    let mut seeds: Vec<(String, Vec<u8>)> =
        safety_common::hostile::hostile().into_iter().map(|c| (c.name.to_owned(), c.data)).collect();
    seeds.extend(
        safety_common::bombs()
            .into_iter()
            .filter(|(_, d, _)| d.len() < 1 << 16)
            .map(|(n, d, _)| (n.replace(' ', "_"), d)),
    );
    seeds.push(("torch_zip".into(), torch_zip(&torch_data_pkl(["0", "1"]))));
    seeds.push(("torch_legacy".into(), torch_legacy(&torch_data_pkl(["0", "1"]), ["0", "1"])));
    seeds.push(("numpy_p2".into(), numpy_array_p2("numpy.core")));
    seeds.push(("numpy_p5".into(), numpy_array_p5("numpy._core")));
    seeds.push(("npy_object".into(), npy("'|O'", &numpy_object_array_pickle())));
    for (name, data) in seeds {
        std::fs::write(dir.join(name), data).unwrap();
    }
}
