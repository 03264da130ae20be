//! Runs the `intel_*` fuzz targets' seed corpus as ordinary tests (CI does not fuzz), plus every
//! real advisory and SBOM of the shared data through `intel_csaf`.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(dir: &Path, f: fn(&[u8]), min: usize) {
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("corpus directory exists").flatten() {
        if e.path().is_file() {
            f(&std::fs::read(e.path()).expect("readable"));
            n += 1;
        }
    }
    assert!(n >= min, "{}: only {n} seeds", dir.display());
}

#[test]
fn intel_version_seeds_hold_the_properties() {
    run(&root().join("fuzz/corpus/intel_version"), ward_intel::fuzzing::version, 10);
}

#[test]
fn intel_range_seeds_hold_the_properties() {
    run(&root().join("fuzz/corpus/intel_range"), ward_intel::fuzzing::range, 10);
}

#[test]
fn intel_csaf_seeds_hold_the_properties() {
    run(&root().join("fuzz/corpus/intel_csaf"), ward_intel::fuzzing::csaf, 5);
    run(&root().join("../shared/data/advisories/cisa-icsma-csaf"), ward_intel::fuzzing::csaf, 139);
    run(&root().join("../shared/data/sbom/medical-device-case-study"), ward_intel::fuzzing::csaf, 2);
}

#[test]
fn every_real_version_string_holds_the_range_properties() {
    let (ok, _) = ward_intel::csaf::load_path(&root().join("../shared/data/advisories/cisa-icsma-csaf"));
    for a in &ok {
        for p in &a.products {
            if let Some(v) = &p.version_text {
                ward_intel::fuzzing::range(v.as_bytes());
                ward_intel::fuzzing::version(format!("{v}\n{v}").as_bytes());
            }
        }
    }
}
