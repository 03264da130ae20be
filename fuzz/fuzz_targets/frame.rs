#![no_main]
//! Fuzz target: see `ward_sensor::fuzzing::frame` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ward_sensor::fuzzing::frame(data));

