//! IPv4 and IPv6 fragment reassembly, bounded in trains, fragments, bytes and time.
//!
//! Overlapping fragments keep the bytes that arrived first (the policy of most end hosts since
//! RFC 5722 forbids overlaps in IPv6); overlaps whose bytes differ are counted, since they are
//! how evasion is attempted.

use crate::decode::IpPacket;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::net::IpAddr;
use ward_model::Timestamp;

/// Bounds on fragment reassembly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefragLimits {
    /// Datagrams being reassembled at once.
    pub max_trains: usize,
    /// Fragments per datagram.
    pub max_fragments: usize,
    /// Bytes held across all incomplete datagrams.
    pub max_bytes: usize,
    /// Seconds an incomplete datagram is kept (RFC 791 suggests 15, Linux uses 30).
    pub timeout_secs: u64,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits { max_trains: 4096, max_fragments: 128, max_bytes: 32 << 20, timeout_secs: 30 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct TrainKey {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
}

#[derive(Debug)]
struct Train {
    started: Timestamp,
    /// Non-overlapping pieces sorted by offset.
    pieces: Vec<(u32, Vec<u8>)>,
    total: Option<u32>,
    bytes: usize,
}

/// What fragment handling counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefragCounters {
    /// Datagrams completed.
    pub reassembled: u64,
    /// Fragments that overlapped earlier ones.
    pub overlaps: u64,
    /// Overlaps whose bytes differed from the earlier fragment's.
    pub conflicting_overlaps: u64,
    /// Incomplete datagrams dropped (table full, too many fragments, byte cap, timeout).
    pub dropped_trains: u64,
    /// Fragments that would make a datagram longer than 65535 bytes.
    pub oversize: u64,
}

/// The reassembly table.
#[derive(Debug)]
pub struct Defragmenter {
    trains: FxHashMap<TrainKey, Train>,
    order: VecDeque<(TrainKey, Timestamp)>,
    bytes: usize,
    limits: DefragLimits,
    /// Counters.
    pub counters: DefragCounters,
}

const MAX_DATAGRAM: u32 = 65_535;

impl Defragmenter {
    /// An empty table.
    #[must_use]
    pub fn new(limits: DefragLimits) -> Defragmenter {
        Defragmenter {
            trains: FxHashMap::default(),
            order: VecDeque::new(),
            bytes: 0,
            limits,
            counters: DefragCounters::default(),
        }
    }

    /// Add a fragment; returns the transport protocol and the whole payload when complete.
    pub fn insert(&mut self, now: Timestamp, ip: &IpPacket<'_>) -> Option<(u8, Vec<u8>)> {
        let frag = ip.frag?;
        self.expire(now);
        let key = TrainKey { src: ip.src, dst: ip.dst, id: frag.id, proto: ip.proto };
        let end = frag.offset.saturating_add(ip.payload.len() as u32);
        if end > MAX_DATAGRAM {
            self.counters.oversize += 1;
            self.drop_train(&key);
            return None;
        }
        if !self.trains.contains_key(&key) {
            while self.trains.len() >= self.limits.max_trains {
                if !self.evict_oldest() {
                    break;
                }
            }
            self.trains.insert(key, Train { started: now, pieces: Vec::new(), total: None, bytes: 0 });
            self.order.push_back((key, now));
        }
        let train = self.trains.get_mut(&key)?;
        if train.pieces.len() >= self.limits.max_fragments {
            self.drop_train(&key);
            return None;
        }
        if !frag.more {
            train.total = Some(end);
        }
        let added = add_piece(train, frag.offset, ip.payload, &mut self.counters);
        train.bytes += added;
        self.bytes += added;
        let complete = train.total.is_some_and(|t| covers(&train.pieces, t));
        if complete {
            let train = self.trains.remove(&key)?;
            self.bytes -= train.bytes;
            self.counters.reassembled += 1;
            let total = train.total.unwrap_or(0) as usize;
            let mut out = Vec::with_capacity(total);
            for (_, data) in train.pieces {
                out.extend_from_slice(&data);
            }
            out.truncate(total);
            return Some((ip.proto, out));
        }
        while self.bytes > self.limits.max_bytes {
            if !self.evict_oldest() {
                break;
            }
        }
        None
    }

    fn drop_train(&mut self, key: &TrainKey) {
        if let Some(t) = self.trains.remove(key) {
            self.bytes -= t.bytes;
            self.counters.dropped_trains += 1;
        }
    }

    fn evict_oldest(&mut self) -> bool {
        while let Some((key, started)) = self.order.pop_front() {
            if self.trains.get(&key).is_some_and(|t| t.started == started) {
                self.drop_train(&key);
                return true;
            }
        }
        false
    }

    fn expire(&mut self, now: Timestamp) {
        let limit = self.limits.timeout_secs.saturating_mul(1_000_000_000);
        while let Some((key, started)) = self.order.front().copied() {
            if now.0.saturating_sub(started.0) <= limit {
                break;
            }
            self.order.pop_front();
            if self.trains.get(&key).is_some_and(|t| t.started == started) {
                self.drop_train(&key);
            }
        }
    }

    /// Incomplete datagrams held now.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.trains.len()
    }
}

/// Insert the parts of `data` at `offset` not already covered (first wins); returns bytes added.
fn add_piece(train: &mut Train, offset: u32, data: &[u8], counters: &mut DefragCounters) -> usize {
    let mut added = 0;
    let mut start = offset;
    let end = offset + data.len() as u32;
    let mut overlapped = false;
    let mut conflict = false;
    let mut new_pieces: Vec<(u32, Vec<u8>)> = Vec::new();
    for (p_off, p_data) in &train.pieces {
        let p_end = p_off + p_data.len() as u32;
        if p_end <= start || *p_off >= end {
            continue;
        }
        overlapped = true;
        let o_start = start.max(*p_off);
        let o_end = end.min(p_end);
        let ours = &data[(o_start - offset) as usize..(o_end - offset) as usize];
        let theirs = &p_data[(o_start - p_off) as usize..(o_end - p_off) as usize];
        conflict |= ours != theirs;
        if start < *p_off {
            new_pieces.push((start, data[(start - offset) as usize..(*p_off - offset) as usize].to_vec()));
        }
        start = start.max(p_end);
    }
    if start < end {
        new_pieces.push((start, data[(start - offset) as usize..].to_vec()));
    }
    if overlapped {
        counters.overlaps += 1;
    }
    if conflict {
        counters.conflicting_overlaps += 1;
    }
    for piece in new_pieces {
        added += piece.1.len();
        let at = train.pieces.partition_point(|p| p.0 < piece.0);
        train.pieces.insert(at, piece);
    }
    added
}

fn covers(pieces: &[(u32, Vec<u8>)], total: u32) -> bool {
    let mut next = 0u32;
    for (off, data) in pieces {
        if *off > next {
            return false;
        }
        next = next.max(off + data.len() as u32);
    }
    next >= total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::Fragment;
    use std::net::Ipv4Addr;

    fn frag(offset: u32, more: bool, data: &[u8]) -> IpPacket<'_> {
        IpPacket {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            proto: 17,
            frag: Some(Fragment { id: 9, offset, more }),
            payload: data,
            ip_len: 0,
            truncated: false,
        }
    }

    #[test]
    fn out_of_order_fragments_reassemble() {
        let mut d = Defragmenter::new(DefragLimits::default());
        assert!(d.insert(Timestamp(1), &frag(16, false, b"CCCC")).is_none());
        assert!(d.insert(Timestamp(2), &frag(0, true, b"AAAAAAAA")).is_none());
        let (proto, data) = d.insert(Timestamp(3), &frag(8, true, b"BBBBBBBB")).expect("complete");
        assert_eq!((proto, &data[..]), (17, &b"AAAAAAAABBBBBBBBCCCC"[..]));
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn overlapping_fragment_keeps_first_bytes_and_counts_conflict() {
        let mut d = Defragmenter::new(DefragLimits::default());
        assert!(d.insert(Timestamp(1), &frag(0, true, b"AAAAAAAA")).is_none());
        let (_, data) = d.insert(Timestamp(2), &frag(0, false, b"XXXXXXXXYYYY")).expect("complete");
        assert_eq!(&data[..], b"AAAAAAAAYYYY");
        assert_eq!(d.counters.conflicting_overlaps, 1);
    }

    #[test]
    fn table_is_bounded_and_old_trains_time_out() {
        let limits = DefragLimits { max_trains: 2, timeout_secs: 30, ..Default::default() };
        let mut d = Defragmenter::new(limits);
        for id in 0..10u32 {
            let mut p = frag(0, true, b"AAAAAAAA");
            p.frag = Some(Fragment { id, offset: 0, more: true });
            let _ = d.insert(Timestamp(u64::from(id)), &p);
            assert!(d.pending() <= 2);
        }
        assert_eq!(d.counters.dropped_trains, 8);
        let _ = d.insert(Timestamp(100_000_000_000), &frag(0, true, b"AAAAAAAA"));
        assert_eq!(d.pending(), 1, "the two old trains expired");
    }

    #[test]
    fn datagram_longer_than_65535_is_refused() {
        let mut d = Defragmenter::new(DefragLimits::default());
        assert!(d.insert(Timestamp(1), &frag(65_528, false, b"0123456789")).is_none());
        assert_eq!(d.counters.oversize, 1);
    }
}
