#![no_main]
//! Fuzz target: parse a signed note, checkpoint and verifier key; see `ward_ledger::fuzzing::ledger_checkpoint` for the properties checked.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ward_ledger::fuzzing::ledger_checkpoint(data));
