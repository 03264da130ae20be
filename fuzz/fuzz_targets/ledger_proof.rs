#![no_main]
//! Fuzz target: decode and verify proof bytes; see `ward_ledger::fuzzing::ledger_proof` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ward_ledger::fuzzing::ledger_proof(data));
