#![no_main]
//! Fuzz target: decode a canonical entry (and read JSON); see `ward_ledger::fuzzing::ledger_entry` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ward_ledger::fuzzing::ledger_entry(data));
