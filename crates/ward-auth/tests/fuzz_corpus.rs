//! Runs the `auth_inputs` fuzz target's seed corpus (`fuzz/corpus/auth_inputs`) as ordinary
//! tests, so CI exercises what the fuzzer starts from without nightly, and checks that the
//! valid seeds are accepted (the properties are not vacuous).

use std::path::Path;

#[test]
fn auth_inputs_seeds_hold_the_properties() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/auth_inputs");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("corpus").flatten() {
        let data = std::fs::read(e.path()).expect("seed");
        ward_auth::fuzzing::auth_inputs(&data);
        for cut in 0..data.len() {
            ward_auth::fuzzing::auth_inputs(&data[..cut]);
        }
        n += 1;
    }
    assert!(n >= 5, "the corpus holds its seeds");
    let valid = std::fs::read_to_string(dir.join("totp-valid")).expect("seed");
    let secret = ward_auth::totp::TotpSecret::from_bytes(b"12345678901234567890".to_vec()).expect("secret");
    assert!(ward_auth::totp::verify(&secret, &valid, 1_700_000_000, None).is_ok(), "the valid code seed is accepted");
    let cookie = std::fs::read_to_string(dir.join("cookie-ok")).expect("seed");
    assert!(ward_auth::session::SessionToken::from_cookie_header(&cookie).is_some(), "the cookie seed carries a session id");
    assert!(ward_auth::api_token::parse(&std::fs::read_to_string(dir.join("api-token")).expect("seed")).is_ok());
}
