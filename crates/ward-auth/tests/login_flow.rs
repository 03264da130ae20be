//! The login flow as `ward server` will wire it: throttles, password, TOTP with reuse refusal,
//! recovery code, session, CSRF, the policy; with the store played by local variables. Every
//! `Debug` and error text produced on the way is searched for the fixture's secrets.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use ward_auth::password;
use ward_auth::session::{CsrfKey, SessionTimes, SessionToken, check_session, reauth_fresh, session_cookie};
use ward_auth::throttle::{Decision, Outcome, SourceThrottles, Throttle, ThrottleState};
use ward_auth::totp::{self, TotpSecret};
use ward_auth::{Action, Resource, Role, SystemRandomSource, allowed, api_token, recovery};

const USER: &str = "nurse.jackie";
const PASSWORD: &str = "violet lantern on ward nine";

/// What the server keeps for one user.
struct UserRow {
    phc: String,
    totp: TotpSecret,
    last_step: Option<u64>,
    recovery: Vec<String>,
    throttle: ThrottleState,
    role: Role,
}

#[derive(Debug, PartialEq)]
enum Login {
    Ok,
    Refused,
}

fn login(row: &mut UserRow, sources: &mut SourceThrottles, from: IpAddr, password: &str, code: &str, now: i64, seen: &mut Vec<String>) -> Login {
    let mut account = Throttle::account(row.throttle);
    if account.check(now) != Decision::Allowed || sources.check(from, now) != Decision::Allowed {
        return Login::Refused;
    }
    let password_ok = password::verify(password, &row.phc).unwrap_or(false);
    // The second factor is only tried after the password: no code oracle for a password guesser.
    let second = if !password_ok {
        false
    } else if code.contains('-') {
        match recovery::find(code, &row.recovery) {
            Some(i) => {
                row.recovery.remove(i);
                true
            }
            None => false,
        }
    } else {
        match totp::verify(&row.totp, code, now, row.last_step) {
            Ok(step) => {
                row.last_step = Some(step);
                true
            }
            Err(why) => {
                seen.push(format!("{why:?}"));
                false
            }
        }
    };
    let outcome = if password_ok && second { Outcome::Success } else { Outcome::Failure };
    account.record(outcome, now);
    sources.record(from, outcome, now);
    row.throttle = account.state();
    seen.push(format!("{account:?} {outcome:?}"));
    if outcome == Outcome::Success { Login::Ok } else { Login::Refused }
}

#[test]
fn a_whole_login_and_nothing_leaks() {
    let rng = SystemRandomSource::new();
    let mut seen = Vec::new();
    password::check_policy(PASSWORD, USER).expect("a good password");
    let weak = password::check_policy("nurse.jackie2024!", USER).expect_err("contains the user name");
    seen.push(format!("{weak} {weak:?}"));

    let secret = TotpSecret::generate(&rng).expect("secret");
    let codes = recovery::generate(&rng).expect("codes");
    let uri = totp::otpauth_uri(&secret, "Ward", USER);
    seen.push(format!("{secret:?} {codes:?}"));
    let mut row = UserRow {
        phc: password::hash(PASSWORD, &rng).expect("hash"),
        totp: secret.clone(),
        last_step: None,
        recovery: codes.stored.clone(),
        throttle: ThrottleState::default(),
        role: Role::Clinician,
    };
    let mut sources = SourceThrottles::new(1000);
    let from = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
    let now = 1_800_000_000;
    let code = totp::code_for_step(&secret, totp::step_at(now).expect("step"));

    // Right password and code: in. The same code again: refused (reuse).
    assert_eq!(login(&mut row, &mut sources, from, PASSWORD, &code, now, &mut seen), Login::Ok);
    assert_eq!(login(&mut row, &mut sources, from, PASSWORD, &code, now + 5, &mut seen), Login::Refused);
    // A recovery code works once.
    assert_eq!(login(&mut row, &mut sources, from, PASSWORD, &codes.shown[3], now + 6, &mut seen), Login::Ok);
    assert_eq!(login(&mut row, &mut sources, from, PASSWORD, &codes.shown[3], now + 7, &mut seen), Login::Refused);
    // Five wrong passwords lock the account, even for the right password afterwards.
    for i in 0..5 {
        let next = totp::code_for_step(&secret, totp::step_at(now + 60).expect("step"));
        assert_eq!(login(&mut row, &mut sources, from, "wrong wrong wrong", &next, now + 60 + i, &mut seen), Login::Refused);
    }
    let next = totp::code_for_step(&secret, totp::step_at(now + 90).expect("step"));
    assert_eq!(login(&mut row, &mut sources, from, PASSWORD, &next, now + 90, &mut seen), Login::Refused, "locked");
    let later = now + 60 + 4 + 60;
    let fresh = totp::code_for_step(&secret, totp::step_at(later).expect("step"));
    assert_eq!(login(&mut row, &mut sources, from, PASSWORD, &fresh, later, &mut seen), Login::Ok, "lock over");

    // The session, its cookie and CSRF token.
    let token = SessionToken::generate(&rng).expect("session");
    let (csrf_key, _) = CsrfKey::generate(&rng).expect("key");
    let cookie = session_cookie(&token);
    let back = SessionToken::from_cookie_header(cookie.split(';').next().expect("pair")).expect("parse");
    assert_eq!(back.storage_hash(), token.storage_hash());
    let csrf = csrf_key.token(&token);
    assert!(csrf_key.verify(&back, &csrf));
    let times = SessionTimes { created_at: later, last_seen_at: later, last_auth_at: later };
    assert_eq!(check_session(&times, later + 60), Ok(()));
    assert!(!reauth_fresh(later + 600, times.last_auth_at));
    seen.push(format!("{token:?} {csrf_key:?} {times:?}"));

    // The clinician reads assets and nothing of the audit trail; a token cannot widen that.
    assert!(allowed(row.role, Action::Read, Resource::Asset));
    assert!(!allowed(row.role, Action::Read, Resource::Audit));
    let overreach = api_token::mint(&rng, USER, row.role, BTreeSet::from([api_token::Scope { action: Action::Export, resource: Resource::Asset }]), later, 3600);
    seen.push(format!("{overreach:?}"));
    assert!(overreach.is_err());

    // Invariant 2: no secret in anything printed on the way.
    let printed = seen.join("\n");
    let b32 = secret.to_base32();
    for needle in [PASSWORD, b32.as_str(), token.as_str(), &csrf, uri.as_str()] {
        assert!(!printed.contains(needle), "a secret leaked into Debug or error output");
    }
    for shown in &codes.shown {
        assert!(!printed.contains(shown.as_str()));
    }
}
