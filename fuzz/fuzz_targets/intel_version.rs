#![no_main]
//! Fuzz target: see `ward_intel::fuzzing::version` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ward_intel::fuzzing::version(data));
