#![no_main]
//! Fuzz target: see `ward_dissect::syslog::fuzz` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ward_dissect::syslog::fuzz(data));
