//! Login throttling and lockout: a pure state machine, one per account and one per source
//! address, fed with outcomes and asked before each attempt.
//!
//! After `threshold` failures the subject is locked for `base_lock`, and every further failure
//! (once the lock has passed) doubles the lock, up to `max_lock`. Failures are forgotten after
//! `window` of quiet, counted from the last failure or the end of the last lock, whichever is
//! later, and a success forgets them at once. This follows OWASP's Authentication Cheat Sheet
//! (lock with an increasing delay rather than for ever, so that an attacker cannot lock a
//! clinician out of a device console for good).
//!
//! Accounts: 5 failures, then 1 min, 2, 4, … capped at 1 h. A source address (IPv6 taken by its
//! /64, the block one host usually has): 50 failures across any accounts, same back-off. The
//! per-source table is bounded: past its capacity the entry touched longest ago is evicted and
//! counted.
//!
//! The caller checks both before trying the password, answers with the same generic message
//! whether locked or wrong ([`crate::GENERIC_LOGIN_ERROR`]), and records the outcome in both.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// The numbers of one throttle. Times in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures allowed before the first lock.
    pub threshold: u32,
    /// The first lock's length.
    pub base_lock: i64,
    /// The longest lock.
    pub max_lock: i64,
    /// Quiet time after which failures are forgotten.
    pub window: i64,
}

impl LockoutPolicy {
    /// Per account: 5 failures, then 1 min doubling to 1 h; forgotten after 15 min of quiet.
    pub const ACCOUNT: Self = Self { threshold: 5, base_lock: 60, max_lock: 3600, window: 900 };
    /// Per source address: 50 failures, then 1 min doubling to 1 h; forgotten after 15 min.
    pub const SOURCE: Self = Self { threshold: 50, base_lock: 60, max_lock: 3600, window: 900 };

    /// The lock after `failures` failures (`None` below the threshold).
    fn lock_for(&self, failures: u32) -> Option<i64> {
        let over = failures.checked_sub(self.threshold)?;
        let factor = 1i64.checked_shl(over.min(40)).unwrap_or(i64::MAX);
        Some(self.base_lock.saturating_mul(factor).min(self.max_lock))
    }
}

/// What the caller may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try the credentials.
    Allowed,
    /// Do not try them; refuse with the generic message. `until` is Unix seconds (for the audit
    /// trail and a `Retry-After`, not for the login page: that would confirm the account exists).
    Locked {
        /// When the lock ends.
        until: i64,
    },
}

/// The result of one login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every factor was right.
    Success,
    /// Some factor was wrong (or the user does not exist).
    Failure,
}

/// The stored state of one throttle (keep it with the account row; serde for the store).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThrottleState {
    /// Failures since the last success or the last forgetting.
    pub failures: u32,
    /// Time of the last counted failure.
    pub last_failure: i64,
    /// End of the current or last lock (0: never locked).
    pub locked_until: i64,
}

/// One subject's throttle: a policy and its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    policy: LockoutPolicy,
    state: ThrottleState,
}

impl Throttle {
    /// An account's throttle from its stored state.
    #[must_use]
    pub const fn account(state: ThrottleState) -> Self {
        Self { policy: LockoutPolicy::ACCOUNT, state }
    }

    /// A throttle with any policy.
    #[must_use]
    pub const fn with_policy(policy: LockoutPolicy, state: ThrottleState) -> Self {
        Self { policy, state }
    }

    /// The state to store after [`Throttle::record`].
    #[must_use]
    pub const fn state(&self) -> ThrottleState {
        self.state
    }

    /// May an attempt be made at `now`?
    #[must_use]
    pub const fn check(&self, now: i64) -> Decision {
        if now < self.state.locked_until { Decision::Locked { until: self.state.locked_until } } else { Decision::Allowed }
    }

    /// Record the outcome of an attempt made at `now`. A failure reported while locked (the
    /// caller should not have tried) is not counted, so hammering a locked account does not
    /// push its lock further out.
    pub fn record(&mut self, outcome: Outcome, now: i64) {
        match outcome {
            Outcome::Success => self.state = ThrottleState::default(),
            Outcome::Failure => {
                if matches!(self.check(now), Decision::Locked { .. }) {
                    return;
                }
                let quiet_since = self.state.last_failure.max(self.state.locked_until);
                if self.state.failures > 0 && now.saturating_sub(quiet_since) >= self.policy.window {
                    self.state.failures = 0;
                }
                self.state.failures = self.state.failures.saturating_add(1);
                self.state.last_failure = now;
                if let Some(lock) = self.policy.lock_for(self.state.failures) {
                    self.state.locked_until = now.saturating_add(lock);
                }
            }
        }
    }
}

/// The key of a source: an IPv4 address, or the /64 of an IPv6 one (IPv4-mapped IPv6 addresses
/// count as IPv4).
#[must_use]
pub fn source_key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

#[derive(Debug, Clone, Copy)]
struct SourceEntry {
    throttle: Throttle,
    touched: (i64, u64),
}

/// Throttles per source address, in memory, bounded to `capacity` entries. A success removes
/// the source's entry; when full, the entry touched longest ago is evicted (and counted in
/// [`SourceThrottles::evicted`]). Eviction can free a locked source early: the account throttle
/// still holds, and the capacity should be sized well above the expected number of sources.
#[derive(Debug)]
pub struct SourceThrottles {
    policy: LockoutPolicy,
    capacity: usize,
    entries: HashMap<IpAddr, SourceEntry>,
    by_age: BTreeMap<(i64, u64), IpAddr>,
    sequence: u64,
    evicted: u64,
}

impl SourceThrottles {
    /// Default capacity: 100,000 sources (a few MB).
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// An empty table with the source policy and `capacity` (at least 1).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self::with_policy(LockoutPolicy::SOURCE, capacity)
    }

    /// An empty table with any policy.
    #[must_use]
    pub fn with_policy(policy: LockoutPolicy, capacity: usize) -> Self {
        Self { policy, capacity: capacity.max(1), entries: HashMap::new(), by_age: BTreeMap::new(), sequence: 0, evicted: 0 }
    }

    /// May `addr` make an attempt at `now`?
    #[must_use]
    pub fn check(&self, addr: IpAddr, now: i64) -> Decision {
        self.entries.get(&source_key(addr)).map_or(Decision::Allowed, |e| e.throttle.check(now))
    }

    /// Record an attempt's outcome from `addr` at `now`.
    pub fn record(&mut self, addr: IpAddr, outcome: Outcome, now: i64) {
        let key = source_key(addr);
        if outcome == Outcome::Success {
            if let Some(old) = self.entries.remove(&key) {
                self.by_age.remove(&old.touched);
            }
            return;
        }
        let mut throttle = match self.entries.remove(&key) {
            Some(old) => {
                self.by_age.remove(&old.touched);
                old.throttle
            }
            None => {
                while self.entries.len() >= self.capacity {
                    let Some((_, victim)) = self.by_age.pop_first() else { break };
                    self.entries.remove(&victim);
                    self.evicted = self.evicted.saturating_add(1);
                }
                Throttle::with_policy(self.policy, ThrottleState::default())
            }
        };
        throttle.record(outcome, now);
        self.sequence = self.sequence.wrapping_add(1);
        let touched = (now, self.sequence);
        self.by_age.insert(touched, key);
        self.entries.insert(key, SourceEntry { throttle, touched });
    }

    /// Sources currently tracked.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no source is tracked.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries evicted to stay within capacity, since creation.
    #[must_use]
    pub const fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn fail(t: &mut Throttle, now: i64, n: u32) {
        for _ in 0..n {
            t.record(Outcome::Failure, now);
        }
    }

    #[test]
    fn five_failures_lock_for_a_minute_then_doubling_to_an_hour() {
        let mut t = Throttle::account(ThrottleState::default());
        let mut now = 1_000;
        fail(&mut t, now, 4);
        assert_eq!(t.check(now), Decision::Allowed);
        fail(&mut t, now, 1);
        assert_eq!(t.check(now), Decision::Locked { until: now + 60 });
        assert_eq!(t.check(now + 59), Decision::Locked { until: now + 60 });
        let mut expected = 60;
        for _ in 0..8 {
            now = match t.check(now) {
                Decision::Locked { until } => until,
                Decision::Allowed => panic!("should be locked"),
            };
            assert_eq!(t.check(now), Decision::Allowed, "lock over at its end");
            fail(&mut t, now, 1);
            expected = (expected * 2).min(3600);
            assert_eq!(t.check(now), Decision::Locked { until: now + expected });
        }
        assert_eq!(expected, 3600, "capped at one hour");
    }

    #[test]
    fn failures_while_locked_do_not_extend_the_lock() {
        let mut t = Throttle::account(ThrottleState::default());
        fail(&mut t, 0, 5);
        fail(&mut t, 10, 100);
        assert_eq!(t.check(10), Decision::Locked { until: 60 });
        assert_eq!(t.state().failures, 5);
    }

    #[test]
    fn success_resets() {
        let mut t = Throttle::account(ThrottleState::default());
        fail(&mut t, 0, 4);
        t.record(Outcome::Success, 1);
        assert_eq!(t.state(), ThrottleState::default());
        fail(&mut t, 2, 4);
        assert_eq!(t.check(2), Decision::Allowed);
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_window() {
        let mut t = Throttle::account(ThrottleState::default());
        fail(&mut t, 0, 4);
        fail(&mut t, 899, 1);
        assert!(matches!(t.check(899), Decision::Locked { .. }), "899 s is inside the window");
        let mut t = Throttle::account(ThrottleState::default());
        fail(&mut t, 0, 4);
        fail(&mut t, 900, 1);
        assert_eq!(t.check(900), Decision::Allowed, "quiet for the whole window: starts again at 1");
        assert_eq!(t.state().failures, 1);
        // After a lock, the quiet time counts from the lock's end.
        let mut t = Throttle::account(ThrottleState::default());
        fail(&mut t, 0, 5);
        fail(&mut t, 60 + 899, 1);
        assert_eq!(t.check(959), Decision::Locked { until: 959 + 120 });
    }

    #[test]
    fn state_round_trips_through_the_store() {
        let mut t = Throttle::account(ThrottleState::default());
        fail(&mut t, 50, 5);
        let stored = t.state();
        let again = Throttle::account(stored);
        assert_eq!(again.check(51), Decision::Locked { until: 110 });
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let mut t = Throttle::account(ThrottleState::default());
        fail(&mut t, i64::MAX - 10, 5);
        assert_eq!(t.check(i64::MAX - 10), Decision::Locked { until: i64::MAX });
        let mut t = Throttle::with_policy(LockoutPolicy { threshold: 0, base_lock: i64::MAX, max_lock: i64::MAX, window: 1 }, ThrottleState::default());
        fail(&mut t, i64::MIN, 70);
        assert!(matches!(t.check(i64::MIN), Decision::Locked { .. }));
    }

    #[test]
    fn sources_have_a_higher_threshold_and_ipv6_counts_by_64() {
        let mut s = SourceThrottles::new(10);
        let a = IpAddr::V6("2001:db8:1:2:aaaa::1".parse::<Ipv6Addr>().expect("addr"));
        let b = IpAddr::V6("2001:db8:1:2:bbbb::9".parse::<Ipv6Addr>().expect("addr"));
        let other = IpAddr::V6("2001:db8:1:3::1".parse::<Ipv6Addr>().expect("addr"));
        for i in 0..49 {
            s.record(if i % 2 == 0 { a } else { b }, Outcome::Failure, 5);
        }
        assert_eq!(s.check(a, 5), Decision::Allowed);
        s.record(b, Outcome::Failure, 5);
        assert_eq!(s.check(a, 5), Decision::Locked { until: 65 }, "same /64");
        assert_eq!(s.check(other, 5), Decision::Allowed);
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        assert_eq!(source_key(mapped), IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
    }

    #[test]
    fn source_table_is_bounded_and_evicts_the_oldest() {
        let mut s = SourceThrottles::with_policy(LockoutPolicy { threshold: 1, ..LockoutPolicy::SOURCE }, 3);
        let ip = |n: u8| IpAddr::V4(Ipv4Addr::new(10, 0, 0, n));
        s.record(ip(1), Outcome::Failure, 1);
        s.record(ip(2), Outcome::Failure, 2);
        s.record(ip(3), Outcome::Failure, 3);
        s.record(ip(1), Outcome::Failure, 4); // touched again: now the newest
        s.record(ip(4), Outcome::Failure, 5); // evicts ip(2), the oldest
        assert_eq!(s.len(), 3);
        assert_eq!(s.evicted(), 1);
        assert_eq!(s.check(ip(2), 5), Decision::Allowed);
        assert!(matches!(s.check(ip(1), 5), Decision::Locked { .. }));
        for n in 10..=200 {
            s.record(ip(n), Outcome::Failure, 6);
        }
        assert_eq!(s.len(), 3);
        assert_eq!(s.by_age.len(), 3, "the age index stays in step");
        s.record(ip(200), Outcome::Success, 7);
        assert_eq!(s.len(), 2);
        assert_eq!(s.by_age.len(), 2);
    }

    proptest::proptest! {
        /// Any sequence of outcomes at any times: no panic, a lock never longer than the
        /// maximum from the moment it was set, and a success always unlocks.
        #[test]
        fn any_sequence_keeps_the_bounds(steps in proptest::collection::vec((proptest::bool::ANY, -10_000i64..10_000), 0..200)) {
            let mut t = Throttle::account(ThrottleState::default());
            let mut now = 1_000_000i64;
            for (ok, dt) in steps {
                now = now.saturating_add(dt);
                let before = t.check(now);
                t.record(if ok { Outcome::Success } else { Outcome::Failure }, now);
                match t.check(now) {
                    Decision::Locked { until } => {
                        proptest::prop_assert!(!ok);
                        proptest::prop_assert!(until - now <= LockoutPolicy::ACCOUNT.max_lock || before != Decision::Allowed);
                    }
                    Decision::Allowed => {}
                }
            }
        }
    }
}
