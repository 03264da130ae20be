//! The buffering half of the stream contract, shared by the sensor and the compliance harness,
//! so that what the harness proves is what the sensor runs.

use crate::registry::DissectorInfo;
use crate::{DissectEventKind, Dissector, Limits, Output};
use ward_model::{AppProtocol, Direction, Transport};

/// Feeds one flow's bytes to its dissector, keeping unconsumed bytes per direction.
#[derive(Debug)]
pub struct StreamDriver {
    dissector: Box<dyn Dissector>,
    protocol: AppProtocol,
    transport: Transport,
    pending: [Vec<u8>; 2],
    needed: [usize; 2],
    stopped: [bool; 2],
    max_pending: usize,
}

impl StreamDriver {
    /// A driver with a fresh dissector from `info`.
    #[must_use]
    pub fn new(info: &DissectorInfo, transport: Transport, limits: &Limits) -> StreamDriver {
        StreamDriver {
            dissector: (info.new)(transport, limits),
            protocol: info.protocol,
            transport,
            pending: [Vec::new(), Vec::new()],
            needed: [0, 0],
            stopped: [false, false],
            max_pending: limits.max_pending,
        }
    }

    /// The protocol being dissected.
    #[must_use]
    pub fn protocol(&self) -> AppProtocol {
        self.protocol
    }

    /// Bytes currently held back waiting for more.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.pending[0].len() + self.pending[1].len()
    }

    /// New bytes in direction `dir`: a stream chunk for TCP, a whole datagram for UDP.
    pub fn feed(&mut self, dir: Direction, data: &[u8], out: &mut Output) {
        let i = dir.index();
        if self.stopped[i] || data.is_empty() {
            return;
        }
        if self.transport != Transport::Tcp {
            // Datagrams are whole messages: no carry-over between them by definition.
            let _whole = self.dissector.on_data(dir, data, out);
            return;
        }
        if self.pending[i].is_empty() {
            let used = Self::run(&mut *self.dissector, dir, data, out, &mut self.needed[i]);
            self.pending[i].extend_from_slice(&data[used..]);
        } else {
            self.pending[i].extend_from_slice(data);
            if self.pending[i].len() >= self.needed[i] {
                let buf = std::mem::take(&mut self.pending[i]);
                let used = Self::run(&mut *self.dissector, dir, &buf, out, &mut self.needed[i]);
                let mut buf = buf;
                buf.drain(..used);
                self.pending[i] = buf;
            }
        }
        let held = self.pending[i].len().max(self.needed[i]);
        if held > self.max_pending {
            out.event(
                self.protocol,
                dir,
                DissectEventKind::LimitExceeded { limit: "stream.max_pending", value: held as u64 },
            );
            let dropped = self.pending[i].len() as u64;
            self.pending[i] = Vec::new();
            self.needed[i] = 0;
            self.dissector.on_gap(dir, dropped, out);
        }
    }

    /// Call `on_data` until the slice is used up or the dissector waits for more; returns
    /// how many bytes were consumed.
    fn run(d: &mut dyn Dissector, dir: Direction, data: &[u8], out: &mut Output, needed: &mut usize) -> usize {
        let mut off = 0;
        *needed = 0;
        while off < data.len() {
            let rest = data.len() - off;
            let p = d.on_data(dir, &data[off..], out);
            let c = p.consumed.min(rest);
            off += c;
            if off == data.len() {
                break;
            }
            if p.needed > data.len() - off {
                *needed = p.needed;
                break;
            }
            if c == 0 {
                // No progress although enough bytes are there: wait for any new byte rather
                // than spin. A dissector doing this is buggy; the harness catches it.
                *needed = data.len() - off + 1;
                break;
            }
        }
        off
    }

    /// `len` bytes of direction `dir` were lost: drop what was held and tell the dissector.
    pub fn gap(&mut self, dir: Direction, len: u64, out: &mut Output) {
        let i = dir.index();
        if self.stopped[i] {
            return;
        }
        let held = self.pending[i].len() as u64;
        self.pending[i].clear();
        self.needed[i] = 0;
        self.dissector.on_gap(dir, len.saturating_add(held), out);
    }

    /// Direction `dir` has ended.
    pub fn eof(&mut self, dir: Direction, out: &mut Output) {
        let i = dir.index();
        if self.stopped[i] {
            return;
        }
        self.stopped[i] = true;
        self.pending[i] = Vec::new();
        self.dissector.on_eof(dir, out);
    }
}
