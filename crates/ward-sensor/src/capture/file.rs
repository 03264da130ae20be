//! The buffered byte source under both file formats, and format detection.

use super::{CaptureError, CaptureErrorKind, LinkType, Packet, pcap, pcapng};
use std::io::{self, Read};

/// The file formats Ward reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic libpcap format (microsecond or nanosecond, either byte order).
    Pcap,
    /// pcapng: sections, several interfaces, several link types.
    Pcapng,
}

impl CaptureFormat {
    /// Name for reports.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            CaptureFormat::Pcap => "pcap",
            CaptureFormat::Pcapng => "pcapng",
        }
    }
}

/// A window over a byte source: reads in large chunks, hands out slices, never holds more
/// than the largest single record plus one read.
#[derive(Debug)]
pub(crate) struct Buf<R> {
    src: R,
    data: Vec<u8>,
    start: usize,
    end: usize,
    base: u64,
    eof: bool,
}

const CHUNK: usize = 1 << 18;

impl<R: Read> Buf<R> {
    fn new(src: R) -> Self {
        Buf { src, data: vec![0; CHUNK], start: 0, end: 0, base: 0, eof: false }
    }

    /// File offset of the next unconsumed byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    pub(crate) fn available(&self) -> usize {
        self.end - self.start
    }

    /// Make at least `n` bytes available; `Ok(false)` if the source ends first.
    pub(crate) fn fill(&mut self, n: usize) -> Result<bool, CaptureError> {
        if self.end - self.start >= n {
            return Ok(true);
        }
        if self.data.len() - self.start < n.max(CHUNK / 2) {
            self.data.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
            if self.data.len() < n {
                self.data.resize(n.next_power_of_two(), 0);
            }
        }
        while self.end - self.start < n && !self.eof {
            match self.src.read(&mut self.data[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CaptureError {
                        offset: self.base + self.end as u64,
                        kind: CaptureErrorKind::Io(e.to_string()),
                    });
                }
            }
        }
        Ok(self.end - self.start >= n)
    }

    /// The next `n` available bytes (call `fill(n)` first).
    pub(crate) fn peek(&self, n: usize) -> &[u8] {
        &self.data[self.start..self.start + n]
    }

    /// Consume `n` bytes, returning the index in `data` where they started.
    pub(crate) fn consume(&mut self, n: usize) -> usize {
        let at = self.start;
        self.start += n.min(self.end - self.start);
        at
    }

    /// Bytes at an index returned by `consume`, valid until the next `fill`.
    pub(crate) fn slice(&self, at: usize, len: usize) -> &[u8] {
        &self.data[at..at + len]
    }

    /// A truncation error at the current offset.
    pub(crate) fn truncated(&self, what: &'static str, needed: usize) -> CaptureError {
        CaptureError {
            offset: self.offset(),
            kind: CaptureErrorKind::Truncated { what, needed: needed as u64, available: self.available() as u64 },
        }
    }
}

/// Oddities a reader tolerated, counted for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReaderCounters {
    /// Packets whose captured length exceeds the header's snaplen (the header lied).
    pub caplen_over_snaplen: u64,
    /// Packets whose captured length exceeds their original length.
    pub caplen_over_origlen: u64,
    /// pcapng blocks of types Ward does not use, skipped.
    pub skipped_blocks: u64,
    /// pcapng packets naming an interface that was never described, skipped.
    pub unknown_interface: u64,
}

#[derive(Debug)]
enum State {
    Pcap(pcap::PcapState),
    Pcapng(pcapng::PcapngState),
}

/// Reads packets one at a time from a pcap or pcapng byte stream.
#[derive(Debug)]
pub struct CaptureReader<R> {
    buf: Buf<R>,
    state: State,
    failed: bool,
    /// Tolerated oddities.
    pub counters: ReaderCounters,
}

impl<R: Read> CaptureReader<R> {
    /// Detects the format from the first bytes and reads the file header.
    pub fn new(src: R) -> Result<Self, CaptureError> {
        let mut buf = Buf::new(src);
        if !buf.fill(4)? {
            return Err(buf.truncated("file header", 4));
        }
        let magic: [u8; 4] = [buf.peek(4)[0], buf.peek(4)[1], buf.peek(4)[2], buf.peek(4)[3]];
        let state = if magic == [0x0a, 0x0d, 0x0d, 0x0a] {
            State::Pcapng(pcapng::PcapngState::default())
        } else if pcap::is_magic(magic) {
            State::Pcap(pcap::read_header(&mut buf)?)
        } else {
            return Err(CaptureError { offset: 0, kind: CaptureErrorKind::UnknownFormat(magic) });
        };
        Ok(CaptureReader { buf, state, failed: false, counters: ReaderCounters::default() })
    }

    /// The format being read.
    pub fn format(&self) -> CaptureFormat {
        match self.state {
            State::Pcap(_) => CaptureFormat::Pcap,
            State::Pcapng(_) => CaptureFormat::Pcapng,
        }
    }

    /// Bytes of the file consumed so far.
    pub fn offset(&self) -> u64 {
        self.buf.offset()
    }

    /// Link types described so far (for pcap: the one in the header).
    pub fn link_types(&self) -> Vec<LinkType> {
        match &self.state {
            State::Pcap(s) => vec![s.link],
            State::Pcapng(s) => s.link_types(),
        }
    }

    /// The next packet; `Ok(None)` at a clean end of file. After an error, always `Ok(None)`.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        if self.failed {
            return Ok(None);
        }
        let found = match &mut self.state {
            State::Pcap(s) => pcap::next(&mut self.buf, s, &mut self.counters),
            State::Pcapng(s) => pcapng::next(&mut self.buf, s, &mut self.counters),
        };
        match found {
            Ok(Some(p)) => Ok(Some(Packet {
                ts: p.ts,
                link: p.link,
                data: self.buf.slice(p.at, p.len),
                orig_len: p.orig_len,
            })),
            Ok(None) => Ok(None),
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }
}

/// Where a packet sits in the buffer, before it is lent out.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Located {
    pub ts: ward_model::Timestamp,
    pub link: LinkType,
    pub at: usize,
    pub len: usize,
    pub orig_len: u32,
}
