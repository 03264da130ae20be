//! TCP stream reassembly, one [`TcpStream`] per direction.
//!
//! In-order data is handed on without copying; out-of-order segments wait in a sorted list
//! bounded per flow and globally. Overlaps keep the bytes that arrived first and count
//! conflicts. Missing bytes become a gap reported to the consumer when the peer acknowledges
//! past them, when a byte cap forces progress, or at the end of the flow. A stream picked up
//! without its SYN starts at the first segment seen.

/// Bounds on reassembly memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassemblyLimits {
    /// Out-of-order bytes held per direction of a flow.
    pub max_flow_bytes: usize,
    /// Out-of-order segments held per direction of a flow.
    pub max_flow_segments: usize,
    /// Out-of-order bytes held across all flows.
    pub max_total_bytes: usize,
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        ReassemblyLimits { max_flow_bytes: 1 << 20, max_flow_segments: 1024, max_total_bytes: 256 << 20 }
    }
}

/// What reassembly counted, across all flows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TcpCounters {
    /// Segments wholly made of bytes already delivered.
    pub retransmissions: u64,
    /// Segments overlapping held or delivered bytes in part.
    pub overlaps: u64,
    /// Overlaps with held bytes whose content differed (first copy kept).
    pub conflicting_overlaps: u64,
    /// Segments that arrived ahead of a hole.
    pub out_of_order: u64,
    /// Gaps reported to dissectors.
    pub gaps: u64,
    /// Bytes skipped over by gaps.
    pub gap_bytes: u64,
    /// Segments dropped because a byte or segment cap was reached.
    pub dropped_segments: u64,
    /// Segments too far ahead of the stream to be plausible.
    pub out_of_window: u64,
}

/// Something for the consumer, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    /// Contiguous bytes.
    Data(&'a [u8]),
    /// This many bytes are missing.
    Gap(u64),
}

/// Global byte budget shared by all streams.
#[derive(Debug, Default)]
pub struct Budget {
    /// Bytes held now.
    pub used: usize,
}

/// Reassembly state of one direction.
#[derive(Debug, Default)]
pub struct TcpStream {
    started: bool,
    next: u32,
    held: Vec<(u32, Vec<u8>)>,
    held_bytes: usize,
    fin: Option<u32>,
    /// Set once the FIN's sequence number has been reached.
    pub finished: bool,
}

const WINDOW: i64 = 1 << 30;

fn diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl TcpStream {
    /// Bytes this direction holds out of order.
    #[must_use]
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// A segment of this direction. `emit` receives data and gaps in order.
    #[allow(clippy::too_many_arguments)] // reason: the hot path passes shared state explicitly instead of boxing it.
    pub fn segment(
        &mut self,
        seq: u32,
        syn: bool,
        fin: bool,
        data: &[u8],
        limits: &ReassemblyLimits,
        budget: &mut Budget,
        counters: &mut TcpCounters,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let mut seq = seq;
        if syn {
            if !self.started || self.next == seq {
                self.started = true;
                self.next = seq.wrapping_add(1);
            }
            seq = seq.wrapping_add(1);
        }
        if !self.started {
            self.started = true;
            self.next = seq;
        }
        if fin {
            self.fin = Some(seq.wrapping_add(data.len() as u32));
        }
        if !data.is_empty() {
            self.place(seq, data, limits, budget, counters, emit);
        }
        self.check_fin();
    }

    fn place(
        &mut self,
        seq: u32,
        data: &[u8],
        limits: &ReassemblyLimits,
        budget: &mut Budget,
        counters: &mut TcpCounters,
        emit: &mut dyn FnMut(StreamEvent<'_>),
    ) {
        let rel = diff(seq, self.next);
        if rel <= 0 {
            let skip = (-rel) as usize;
            if skip >= data.len() {
                counters.retransmissions += 1;
                return;
            }
            if skip > 0 {
                counters.overlaps += 1;
            }
            let fresh = &data[skip..];
            self.next = self.next.wrapping_add(fresh.len() as u32);
            emit(StreamEvent::Data(fresh));
            self.drain(budget, counters, emit);
            return;
        }
        if rel > WINDOW {
            counters.out_of_window += 1;
            return;
        }
        counters.out_of_order += 1;
        let over_flow = self.held_bytes + data.len() > limits.max_flow_bytes || self.held.len() >= limits.max_flow_segments;
        let over_total = budget.used + data.len() > limits.max_total_bytes;
        if over_flow || over_total {
            // Make room by giving up on the hole before the first held segment.
            if self.held.is_empty() {
                counters.dropped_segments += 1;
                self.skip_to(seq, counters, emit);
                self.place(seq, data, limits, budget, counters, emit);
                return;
            }
            let first = self.held[0].0;
            self.skip_to(first, counters, emit);
            self.drain(budget, counters, emit);
            if self.held_bytes + data.len() > limits.max_flow_bytes || budget.used + data.len() > limits.max_total_bytes {
                counters.dropped_segments += 1;
                return;
            }
            self.place(seq, data, limits, budget, counters, emit);
            return;
        }
        self.hold(seq, data, budget, counters);
    }

    /// Keep the parts of an early segment not already held (first copy wins).
    fn hold(&mut self, seq: u32, data: &[u8], budget: &mut Budget, counters: &mut TcpCounters) {
        let base = self.next;
        let start0 = diff(seq, base);
        let end = start0 + data.len() as i64;
        let mut start = start0;
        let mut pieces: Vec<(i64, i64)> = Vec::new();
        let mut overlapped = false;
        for (hs, hd) in &self.held {
            let h_start = diff(*hs, base);
            let h_end = h_start + hd.len() as i64;
            if h_end <= start || h_start >= end {
                continue;
            }
            overlapped = true;
            let (o_s, o_e) = (start.max(h_start), end.min(h_end));
            let ours = &data[(o_s - start0) as usize..(o_e - start0) as usize];
            let theirs = &hd[(o_s - h_start) as usize..(o_e - h_start) as usize];
            if ours != theirs {
                counters.conflicting_overlaps += 1;
            }
            if start < h_start {
                pieces.push((start, h_start));
            }
            start = start.max(h_end);
        }
        if start < end {
            pieces.push((start, end));
        }
        if overlapped {
            counters.overlaps += 1;
        }
        for (s, e) in pieces {
            let bytes = data[(s - start0) as usize..(e - start0) as usize].to_vec();
            let at_seq = base.wrapping_add(s as u32);
            let idx = self.held.partition_point(|(hs, _)| diff(*hs, base) < s);
            self.held_bytes += bytes.len();
            budget.used += bytes.len();
            self.held.insert(idx, (at_seq, bytes));
        }
    }

    /// Deliver held segments that have become contiguous.
    fn drain(&mut self, budget: &mut Budget, counters: &mut TcpCounters, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        while let Some((hs, _)) = self.held.first() {
            let rel = diff(*hs, self.next);
            if rel > 0 {
                break;
            }
            let (_, data) = self.held.remove(0);
            self.held_bytes -= data.len();
            budget.used = budget.used.saturating_sub(data.len());
            let skip = (-rel) as usize;
            if skip >= data.len() {
                continue;
            }
            let _ = counters;
            self.next = self.next.wrapping_add((data.len() - skip) as u32);
            emit(StreamEvent::Data(&data[skip..]));
        }
    }

    fn skip_to(&mut self, seq: u32, counters: &mut TcpCounters, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        let rel = diff(seq, self.next);
        if rel > 0 {
            counters.gaps += 1;
            counters.gap_bytes += rel as u64;
            emit(StreamEvent::Gap(rel as u64));
            self.next = seq;
        }
    }

    fn check_fin(&mut self) {
        if let Some(f) = self.fin
            && self.held.is_empty()
            && diff(self.next, f) >= 0
        {
            self.finished = true;
        }
    }

    /// The other direction acknowledged up to `ack`: bytes before it that were never seen are
    /// a gap (the capture missed them), so stop waiting for them.
    pub fn acked(&mut self, ack: u32, budget: &mut Budget, counters: &mut TcpCounters, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        if !self.started {
            return;
        }
        let rel = diff(ack, self.next);
        if rel <= 0 || rel > WINDOW {
            return;
        }
        match self.held.first() {
            Some((hs, _)) if diff(ack, *hs) >= 0 => {
                let first = *hs;
                self.skip_to(first, counters, emit);
                self.drain(budget, counters, emit);
            }
            Some(_) => {}
            None => {
                // A FIN consumes one sequence number without data: that is no gap.
                if self.fin.is_some_and(|f| diff(ack, f) <= 1 && diff(self.next, f) >= 0) {
                    return;
                }
                self.skip_to(ack, counters, emit);
            }
        }
        self.check_fin();
    }

    /// End of the flow: report remaining holes as gaps and deliver what is held.
    pub fn flush(&mut self, budget: &mut Budget, counters: &mut TcpCounters, emit: &mut dyn FnMut(StreamEvent<'_>)) {
        while let Some((hs, _)) = self.held.first() {
            let first = *hs;
            self.skip_to(first, counters, emit);
            self.drain(budget, counters, emit);
        }
    }

    /// Drop everything held (the flow no longer needs its bytes).
    pub fn release(&mut self, budget: &mut Budget) {
        budget.used = budget.used.saturating_sub(self.held_bytes);
        self.held.clear();
        self.held_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(s: &mut TcpStream, segs: &[(u32, &[u8])], limits: &ReassemblyLimits) -> (Vec<u8>, Vec<u64>, TcpCounters) {
        let mut out = Vec::new();
        let mut gaps = Vec::new();
        let mut c = TcpCounters::default();
        let mut b = Budget::default();
        for (seq, data) in segs {
            s.segment(*seq, false, false, data, limits, &mut b, &mut c, &mut |e| match e {
                StreamEvent::Data(d) => out.extend_from_slice(d),
                StreamEvent::Gap(n) => gaps.push(n),
            });
        }
        s.flush(&mut b, &mut c, &mut |e| match e {
            StreamEvent::Data(d) => out.extend_from_slice(d),
            StreamEvent::Gap(n) => gaps.push(n),
        });
        s.release(&mut b);
        (out, gaps, c)
    }

    #[test]
    fn out_of_order_and_retransmitted_segments_give_the_original_stream() {
        let mut s = TcpStream::default();
        let l = ReassemblyLimits::default();
        let segs: &[(u32, &[u8])] = &[(100, b"abc"), (106, b"ghi"), (103, b"def"), (103, b"def"), (109, b"j")];
        let (out, gaps, c) = feed(&mut s, segs, &l);
        assert_eq!(out, b"abcdefghij");
        assert!(gaps.is_empty());
        assert_eq!(c.retransmissions, 1);
        assert_eq!(c.out_of_order, 1);
    }

    #[test]
    fn conflicting_overlap_keeps_first_bytes_and_is_counted() {
        let mut s = TcpStream::default();
        let l = ReassemblyLimits::default();
        // 'abc' delivered; 'ghi' held at 106; then 'XYZ' over 106 conflicts, then the hole fills.
        let segs: &[(u32, &[u8])] = &[(100, b"abc"), (106, b"ghi"), (106, b"XYZ"), (103, b"def")];
        let (out, _, c) = feed(&mut s, segs, &l);
        assert_eq!(out, b"abcdefghi");
        assert_eq!(c.conflicting_overlaps, 1);
    }

    #[test]
    fn a_hole_at_the_end_becomes_a_gap() {
        let mut s = TcpStream::default();
        let l = ReassemblyLimits::default();
        let (out, gaps, _) = feed(&mut s, &[(100, b"abc"), (110, b"xyz")], &l);
        assert_eq!(out, b"abcxyz");
        assert_eq!(gaps, vec![7]);
    }

    #[test]
    fn per_flow_cap_forces_a_gap_instead_of_growing() {
        let mut s = TcpStream::default();
        let l = ReassemblyLimits { max_flow_bytes: 8, ..Default::default() };
        let segs: &[(u32, &[u8])] = &[(0, b"a"), (10, b"12345"), (20, b"67890")];
        let mut b = Budget::default();
        let mut c = TcpCounters::default();
        let mut peak = 0;
        for (seq, d) in segs {
            s.segment(*seq, false, false, d, &l, &mut b, &mut c, &mut |_| {});
            peak = peak.max(s.held_bytes());
        }
        assert!(peak <= 8, "held {peak} bytes");
        assert!(c.gaps >= 1);
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut s = TcpStream::default();
        let l = ReassemblyLimits::default();
        let (out, gaps, _) = feed(&mut s, &[(u32::MAX - 1, b"ab"), (2, b"ef"), (0, b"cd")], &l);
        assert_eq!(out, b"abcdef");
        assert!(gaps.is_empty());
    }

    #[test]
    fn ack_past_missing_bytes_reports_a_gap() {
        let mut s = TcpStream::default();
        let l = ReassemblyLimits::default();
        let mut b = Budget::default();
        let mut c = TcpCounters::default();
        let mut gaps = Vec::new();
        s.segment(1000, false, false, b"abcd", &l, &mut b, &mut c, &mut |_| {});
        s.acked(1010, &mut b, &mut c, &mut |e| {
            if let StreamEvent::Gap(n) = e {
                gaps.push(n);
            }
        });
        assert_eq!(gaps, vec![6]);
    }
}
