//! The compliance harness: the checks every dissector must pass, written once.
//!
//! Each dissector's `tests.rs` calls these with its own transcripts (real captures' payloads,
//! cut into the direction/chunk sequence the wire carried). The harness drives the dissector
//! through [`StreamDriver`], exactly as the sensor does, and panics with a precise message when
//! a property fails, so that a failure reads like a bug report.

use crate::registry::DissectorInfo;
use crate::{DissectEventKind, Limits, Output, Record, StreamDriver};
use ward_model::{Direction, Transport};

/// One chunk of a flow as it arrived: a TCP segment's payload or a UDP datagram.
pub type Chunk<'a> = (Direction, &'a [u8]);

/// Run a transcript through a fresh dissector, each chunk fed as given, then EOF both ways.
#[must_use]
pub fn run(info: &DissectorInfo, transport: Transport, limits: &Limits, chunks: &[Chunk<'_>]) -> Output {
    let mut d = StreamDriver::new(info, transport, limits);
    let mut out = Output::default();
    for (dir, data) in chunks {
        d.feed(*dir, data, &mut out);
    }
    for dir in Direction::BOTH {
        d.eof(dir, &mut out);
    }
    out
}

fn records(out: &Output) -> Vec<(Direction, Record)> {
    out.records.clone()
}

/// Same records and events whatever the split points: every chunk is split at every position
/// into two pieces, and separately fed one byte at a time. Stream transports only.
pub fn assert_split_invariant(info: &DissectorInfo, limits: &Limits, chunks: &[Chunk<'_>]) {
    let whole = run(info, Transport::Tcp, limits, chunks);
    assert!(
        !whole.records.is_empty(),
        "{:?}: transcript produced no record; the split test would prove nothing",
        info.protocol
    );
    for (m, (dir, data)) in chunks.iter().enumerate() {
        for s in 1..data.len() {
            let mut split: Vec<Chunk<'_>> = Vec::with_capacity(chunks.len() + 1);
            split.extend_from_slice(&chunks[..m]);
            split.push((*dir, &data[..s]));
            split.push((*dir, &data[s..]));
            split.extend_from_slice(&chunks[m + 1..]);
            let got = run(info, Transport::Tcp, limits, &split);
            assert_eq!(got.records, whole.records, "records differ when chunk {m} is split at byte {s}");
            assert_eq!(got.events, whole.events, "events differ when chunk {m} is split at byte {s}");
        }
    }
    let bytes: Vec<(Direction, [u8; 1])> =
        chunks.iter().flat_map(|(d, data)| data.iter().map(move |b| (*d, [*b]))).collect();
    let single: Vec<Chunk<'_>> = bytes.iter().map(|(d, b)| (*d, &b[..])).collect();
    let got = run(info, Transport::Tcp, limits, &single);
    assert_eq!(got.records, whole.records, "records differ when fed one byte at a time");
    assert_eq!(got.events, whole.events, "events differ when fed one byte at a time");
}

/// After a gap, a dissector resynchronises or stops: it never emits a record that the
/// gap-free stream would not have produced (no garbage parsed from mid-message bytes). Every
/// chunk has its bytes `[s, s+len)` replaced by a gap, for every `s` and a few lengths.
pub fn assert_clean_after_gap(info: &DissectorInfo, limits: &Limits, chunks: &[Chunk<'_>]) {
    let whole = records(&run(info, Transport::Tcp, limits, chunks));
    for (m, (dir, data)) in chunks.iter().enumerate() {
        for s in 0..data.len() {
            for len in [1usize, 2, 7, data.len()] {
                let end = (s + len).min(data.len());
                let mut d = StreamDriver::new(info, Transport::Tcp, limits);
                let mut out = Output::default();
                for (dd, c) in &chunks[..m] {
                    d.feed(*dd, c, &mut out);
                }
                d.feed(*dir, &data[..s], &mut out);
                d.gap(*dir, (end - s) as u64, &mut out);
                d.feed(*dir, &data[end..], &mut out);
                for (dd, c) in &chunks[m + 1..] {
                    d.feed(*dd, c, &mut out);
                }
                for dd in Direction::BOTH {
                    d.eof(dd, &mut out);
                }
                for r in &out.records {
                    assert!(
                        whole.contains(r),
                        "gap of {} bytes at {s} in chunk {m} produced a record the clean stream does not have: {r:?}",
                        end - s
                    );
                }
            }
        }
    }
}

/// With `limits`, the transcript raises a `LimitExceeded` event naming `limit`, and the
/// dissector survives it.
pub fn assert_limit_raised(
    info: &DissectorInfo,
    transport: Transport,
    limits: &Limits,
    chunks: &[Chunk<'_>],
    limit: &str,
) {
    let out = run(info, transport, limits, chunks);
    let hit = out
        .events
        .iter()
        .any(|e| matches!(e.kind, DissectEventKind::LimitExceeded { limit: l, .. } if l == limit));
    assert!(hit, "{:?}: limit {limit} was not raised; events: {:?}", info.protocol, out.events);
}

/// Every prefix of every chunk, fed alone, is handled without panic; a truncated datagram that
/// still yields a record different from the whole one must also raise a `Malformed` event.
pub fn assert_truncation_safe(info: &DissectorInfo, transport: Transport, limits: &Limits, chunks: &[Chunk<'_>]) {
    let whole = records(&run(info, transport, limits, chunks));
    for (dir, data) in chunks {
        for n in 0..data.len() {
            let out = run(info, transport, limits, &[(*dir, &data[..n])]);
            if transport == Transport::Udp {
                let flagged = out.events.iter().any(|e| matches!(e.kind, DissectEventKind::Malformed { .. }));
                for r in &out.records {
                    assert!(
                        whole.contains(r) || flagged,
                        "a datagram truncated to {n} bytes produced a new record without a malformed event: {r:?}"
                    );
                }
            }
        }
    }
}

/// Feed `data` as one direction of a TCP stream twice: whole, and cut in thirds. Fuzz entry
/// points use it to assert that cut points change nothing.
#[must_use]
pub fn whole_and_thirds(info: &DissectorInfo, limits: &Limits, dir: Direction, data: &[u8]) -> (Output, Output) {
    let run = |parts: &[&[u8]]| {
        let mut d = StreamDriver::new(info, Transport::Tcp, limits);
        let mut out = Output::default();
        for p in parts {
            d.feed(dir, p, &mut out);
        }
        out
    };
    let (a, b) = (data.len() / 3, data.len() * 2 / 3);
    (run(&[data]), run(&[&data[..a], &data[a..b], &data[b..]]))
}
