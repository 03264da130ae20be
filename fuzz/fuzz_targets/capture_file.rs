#![no_main]
//! Fuzz target: see `ward_sensor::fuzzing::capture_file` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ward_sensor::fuzzing::capture_file(data));

