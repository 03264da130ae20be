//! Runs the fuzz targets' seed corpus (and every capture the project and shared data hold) as
//! ordinary tests, so CI exercises what the fuzzers start from without needing nightly.

use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn capture_file_seeds_and_every_known_capture_hold_the_properties() {
    let mut files = Vec::new();
    files_under(&root().join("fuzz/corpus/capture_file"), &mut files);
    files_under(&root().join("tests/pcap"), &mut files);
    files_under(&root().join("../shared/data/captures"), &mut files);
    files_under(&root().join("../shared/data/peers"), &mut files);
    files.retain(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng") || p.starts_with(root().join("fuzz")));
    assert!(files.len() >= 10, "expected the shared captures to be present, found {}", files.len());
    for f in &files {
        let data = std::fs::read(f).expect("readable");
        ward_sensor::fuzzing::capture_file(&data);
    }
}

#[test]
fn frame_seeds_hold_the_properties() {
    let mut files = Vec::new();
    files_under(&root().join("fuzz/corpus/frame"), &mut files);
    assert!(!files.is_empty(), "frame corpus is empty");
    for f in &files {
        ward_sensor::fuzzing::frame(&std::fs::read(f).expect("readable"));
    }
}
