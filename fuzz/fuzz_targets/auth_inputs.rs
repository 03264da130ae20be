#![no_main]
//! Fuzz target: what a client sends to sign-in (cookies, tokens, codes, passwords); see `ward_auth::fuzzing::auth_inputs`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| ward_auth::fuzzing::auth_inputs(data));
