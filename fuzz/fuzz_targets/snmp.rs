#![no_main]
//! Fuzz target: see `ward_dissect::snmp::fuzz` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ward_dissect::snmp::fuzz(data));
