//! The flow table: bounded, with idle and absolute timeouts driven by packet time.
//!
//! Flows live in a slab indexed through a hash map keyed by the direction-independent
//! [`FlowKey`]. Expiry uses a timing wheel of one-second buckets: a flow is filed under the
//! second its deadline falls in, and re-filed lazily when that bucket comes due and the flow
//! has been active since, so each packet costs no timer work at all. When the table is full, the
//! flow filed nearest to its deadline is evicted (and counted).

use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// Direction-independent identity of a flow: both endpoints in canonical order.
///
/// Looked up on every packet, so it compares and hashes as three words (two 128-bit
/// addresses, and ports, VLAN, protocol and family packed in one) rather than field by field
/// and byte by byte.
#[derive(Debug, Clone, Copy)]
pub struct FlowKey {
    lo_ip: [u8; 16],
    hi_ip: [u8; 16],
    lo_port: u16,
    hi_port: u16,
    vlan: u16,
    proto: u8,
    v6: bool,
}

fn ip_bytes(ip: IpAddr) -> ([u8; 16], bool) {
    match ip {
        IpAddr::V4(a) => {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&a.octets());
            (b, false)
        }
        IpAddr::V6(a) => (a.octets(), true),
    }
}

impl PartialEq for FlowKey {
    fn eq(&self, other: &FlowKey) -> bool {
        u128::from_ne_bytes(self.lo_ip) == u128::from_ne_bytes(other.lo_ip)
            && u128::from_ne_bytes(self.hi_ip) == u128::from_ne_bytes(other.hi_ip)
            && self.rest() == other.rest()
    }
}

impl Eq for FlowKey {}

impl std::hash::Hash for FlowKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u128(u128::from_ne_bytes(self.lo_ip));
        state.write_u128(u128::from_ne_bytes(self.hi_ip));
        state.write_u64(self.rest());
    }
}

impl FlowKey {
    /// Everything but the addresses, in one word (equal keys, equal words).
    fn rest(&self) -> u64 {
        u64::from(self.lo_port) | u64::from(self.hi_port) << 16 | u64::from(self.vlan) << 32 | u64::from(self.proto) << 48 | u64::from(self.v6) << 56
    }

    /// The key for a packet, and whether its source is the key's low endpoint.
    #[must_use]
    pub fn new(src: IpAddr, sport: u16, dst: IpAddr, dport: u16, proto: u8, vlan: Option<u16>) -> (FlowKey, bool) {
        let (s, v6) = ip_bytes(src);
        let (d, _) = ip_bytes(dst);
        // Big-endian integers order as the bytes do: the same canonical order, one comparison.
        let src_lo = (u128::from_be_bytes(s), sport) <= (u128::from_be_bytes(d), dport);
        let (lo_ip, lo_port, hi_ip, hi_port) = if src_lo { (s, sport, d, dport) } else { (d, dport, s, sport) };
        (FlowKey { lo_ip, hi_ip, lo_port, hi_port, vlan: vlan.unwrap_or(0), proto, v6 }, src_lo)
    }
}

/// Why a flow left the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// TCP closed (FIN both ways or RST) and went quiet.
    Closed,
    /// No packet for the idle timeout.
    IdleTimeout,
    /// Open longer than the absolute timeout.
    AbsoluteTimeout,
    /// Evicted because the table was full.
    Evicted,
    /// The capture ended.
    EndOfCapture,
}

impl EndReason {
    /// Name used in reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Closed => "closed",
            EndReason::IdleTimeout => "idle_timeout",
            EndReason::AbsoluteTimeout => "absolute_timeout",
            EndReason::Evicted => "evicted",
            EndReason::EndOfCapture => "end_of_capture",
        }
    }
}

/// A flow's value must say when it is due.
pub trait Expiring {
    /// Second (packet time) at which the flow expires if nothing more arrives, and why.
    fn deadline(&self) -> (u64, EndReason);
}

#[derive(Debug)]
struct Slot<F> {
    generation: u32,
    key: FlowKey,
    value: Option<F>,
}

const WHEEL: usize = 512;

/// The table.
#[derive(Debug)]
pub struct FlowTable<F> {
    map: FxHashMap<FlowKey, u32>,
    slots: Vec<Slot<F>>,
    free: Vec<u32>,
    wheel: Vec<Vec<(u32, u32)>>,
    now: Option<u64>,
    cap: usize,
    /// Flows evicted because the table was full.
    pub evicted: u64,
}

impl<F: Expiring> FlowTable<F> {
    /// A table holding at most `cap` flows.
    #[must_use]
    pub fn new(cap: usize) -> FlowTable<F> {
        FlowTable {
            map: FxHashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            wheel: (0..WHEEL).map(|_| Vec::new()).collect(),
            now: None,
            cap: cap.max(1),
            evicted: 0,
        }
    }

    /// Flows in the table.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Index of the flow for `key`, if present.
    #[must_use]
    pub fn find(&self, key: &FlowKey) -> Option<u32> {
        self.map.get(key).copied()
    }

    /// The flow at an index returned by `find` or `insert`.
    pub fn get_mut(&mut self, idx: u32) -> Option<&mut F> {
        self.slots.get_mut(idx as usize).and_then(|s| s.value.as_mut())
    }

    /// Insert a new flow; evicts one first if the table is full (handed to `ended`).
    pub fn insert(&mut self, key: FlowKey, value: F, ended: &mut dyn FnMut(FlowKey, F, EndReason)) -> u32 {
        if self.map.len() >= self.cap {
            self.evict_one(ended);
        }
        let (due, _) = value.deadline();
        let idx = if let Some(i) = self.free.pop() {
            let s = &mut self.slots[i as usize];
            s.generation = s.generation.wrapping_add(1);
            s.key = key;
            s.value = Some(value);
            i
        } else {
            self.slots.push(Slot { generation: 0, key, value: Some(value) });
            (self.slots.len() - 1) as u32
        };
        self.map.insert(key, idx);
        let generation = self.slots[idx as usize].generation;
        self.file(idx, generation, due);
        idx
    }

    fn file(&mut self, idx: u32, generation: u32, due: u64) {
        let now = self.now.unwrap_or(due);
        let due = due.clamp(now + 1, now + WHEEL as u64 - 1);
        self.wheel[(due % WHEEL as u64) as usize].push((idx, generation));
    }

    /// Remove a flow now (e.g. a TCP connection replaced by a new one on the same ports).
    pub fn remove(&mut self, idx: u32) -> Option<(FlowKey, F)> {
        let slot = self.slots.get_mut(idx as usize)?;
        let value = slot.value.take()?;
        let key = slot.key;
        self.map.remove(&key);
        self.free.push(idx);
        Some((key, value))
    }

    /// Advance packet time to `now_secs`, expiring every flow whose deadline has passed.
    pub fn advance(&mut self, now_secs: u64, ended: &mut dyn FnMut(FlowKey, F, EndReason)) {
        let Some(prev) = self.now else {
            self.now = Some(now_secs);
            return;
        };
        if now_secs <= prev {
            return;
        }
        self.now = Some(now_secs);
        let steps = (now_secs - prev).min(WHEEL as u64);
        for step in 1..=steps {
            let t = if steps == WHEEL as u64 { now_secs + step } else { prev + step };
            let bucket = std::mem::take(&mut self.wheel[(t % WHEEL as u64) as usize]);
            for (idx, generation) in bucket {
                let Some(slot) = self.slots.get(idx as usize) else { continue };
                if slot.generation != generation {
                    continue;
                }
                let Some(v) = slot.value.as_ref() else { continue };
                let (due, reason) = v.deadline();
                if due <= now_secs {
                    if let Some((key, value)) = self.remove(idx) {
                        ended(key, value, reason);
                    }
                } else {
                    self.file(idx, generation, due);
                }
            }
        }
    }

    fn evict_one(&mut self, ended: &mut dyn FnMut(FlowKey, F, EndReason)) {
        let now = self.now.unwrap_or(0);
        for step in 1..=WHEEL as u64 {
            let b = ((now + step) % WHEEL as u64) as usize;
            while let Some((idx, generation)) = self.wheel[b].pop() {
                let live = self.slots.get(idx as usize).is_some_and(|s| s.generation == generation && s.value.is_some());
                if live
                    && let Some((key, value)) = self.remove(idx) {
                        self.evicted += 1;
                        ended(key, value, EndReason::Evicted);
                        return;
                    }
            }
        }
    }

    /// Empty the table (end of capture), oldest slots first.
    pub fn drain(&mut self, ended: &mut dyn FnMut(FlowKey, F, EndReason)) {
        for idx in 0..self.slots.len() as u32 {
            if let Some((key, value)) = self.remove(idx) {
                ended(key, value, EndReason::EndOfCapture);
            }
        }
        self.free.clear();
        self.slots.clear();
        for b in &mut self.wheel {
            b.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[derive(Debug)]
    struct F(u64);
    impl Expiring for F {
        fn deadline(&self) -> (u64, EndReason) {
            (self.0, EndReason::IdleTimeout)
        }
    }

    fn key(n: u16) -> FlowKey {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        FlowKey::new(a, n, b, 80, 6, None).0
    }

    #[test]
    fn both_directions_share_a_key() {
        let a = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let (k1, s1) = FlowKey::new(a, 1234, b, 80, 6, None);
        let (k2, s2) = FlowKey::new(b, 80, a, 1234, 6, None);
        assert_eq!(k1, k2);
        assert_ne!(s1, s2);
    }

    #[test]
    fn keys_are_equal_exactly_when_every_field_is() {
        let a: IpAddr = Ipv4Addr::new(10, 0, 0, 1).into();
        let b: IpAddr = Ipv4Addr::new(10, 0, 0, 2).into();
        let v6: IpAddr = "::ffff:10.0.0.1".parse().unwrap_or(a);
        let base = FlowKey::new(a, 1234, b, 80, 6, Some(7)).0;
        let others = [
            FlowKey::new(a, 1235, b, 80, 6, Some(7)).0,
            FlowKey::new(a, 1234, b, 81, 6, Some(7)).0,
            FlowKey::new(a, 1234, b, 80, 17, Some(7)).0,
            FlowKey::new(a, 1234, b, 80, 6, None).0,
            FlowKey::new(a, 1234, a, 80, 6, Some(7)).0,
            FlowKey::new(v6, 1234, b, 80, 6, Some(7)).0,
        ];
        for o in others {
            assert_ne!(base, o);
        }
        let same = FlowKey::new(b, 80, a, 1234, 6, Some(7)).0;
        assert_eq!(base, same);
        let h = |k: &FlowKey| {
            use std::hash::BuildHasher;
            rustc_hash::FxBuildHasher.hash_one(k)
        };
        assert_eq!(h(&base), h(&same));
        // The low endpoint is the lower address, then the lower port, as the bytes order them.
        let hi: IpAddr = Ipv4Addr::new(192, 168, 0, 1).into();
        assert!(FlowKey::new(a, 9, hi, 1, 6, None).1);
        assert!(!FlowKey::new(hi, 1, a, 9, 6, None).1);
        assert!(FlowKey::new(a, 1, a, 2, 6, None).1);
    }

    #[test]
    fn flows_expire_at_their_deadline_and_not_before() {
        let mut t = FlowTable::new(10);
        let mut gone = Vec::new();
        t.advance(100, &mut |_, _, _| {});
        let i = t.insert(key(1), F(130), &mut |_, _, _| {});
        t.advance(129, &mut |_, f: F, _| gone.push(f.0));
        assert!(gone.is_empty());
        if let Some(f) = t.get_mut(i) {
            f.0 = 200; // activity extends the deadline
        }
        t.advance(131, &mut |_, f: F, _| gone.push(f.0));
        assert!(gone.is_empty(), "re-filed, not expired");
        t.advance(1000, &mut |_, f: F, _| gone.push(f.0));
        assert_eq!(gone, vec![200]);
        assert!(t.is_empty());
    }

    #[test]
    fn a_full_table_evicts_instead_of_growing() {
        let mut t = FlowTable::new(3);
        t.advance(10, &mut |_, _, _| {});
        let mut evicted = 0;
        for n in 0..100u16 {
            t.insert(key(n), F(10 + u64::from(n)), &mut |_, _, r| {
                assert_eq!(r, EndReason::Evicted);
                evicted += 1;
            });
            assert!(t.len() <= 3);
        }
        assert_eq!(evicted, 97);
        assert_eq!(t.evicted, 97);
    }
}
