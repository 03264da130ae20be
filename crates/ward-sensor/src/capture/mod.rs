//! Capture sources: classic pcap, pcapng and live interfaces, all read as a stream.
//!
//! A reader hands out one [`Packet`] at a time, borrowed from its own buffer: no capture is
//! ever read whole into memory, and a packet costs no allocation. Where a file is damaged the
//! reader stops with a [`CaptureError`] that names the byte offset, after handing out every
//! packet before it.

mod file;
pub mod live;
mod pcap;
mod pcapng;

pub use file::{CaptureFormat, CaptureReader};

use std::fmt;
use ward_model::Timestamp;

/// Link-layer header types, by their LINKTYPE_ number (tcpdump.org link-layer header types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II / 802.3, including 802.1Q and 802.1ad tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (some BSDs use 12 or 14 for the same).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux "cooked" capture v1 (16-byte header).
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux "cooked" capture v2 (20-byte header).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// A stable name for reports.
    #[must_use]
    pub fn name(self) -> String {
        match self.0 {
            0 => "null".into(),
            1 => "ethernet".into(),
            12 | 14 | 101 => "raw".into(),
            108 => "loop".into(),
            113 => "linux_sll".into(),
            228 => "ipv4".into(),
            229 => "ipv6".into(),
            276 => "linux_sll2".into(),
            n => format!("linktype_{n}"),
        }
    }
}

/// One captured packet, borrowed from the reader's buffer until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// When it was captured.
    pub ts: Timestamp,
    /// Its link-layer header type.
    pub link: LinkType,
    /// The captured bytes (possibly fewer than were on the wire).
    pub data: &'a [u8],
    /// Length on the wire.
    pub orig_len: u32,
}

/// Why a capture could not be read further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureError {
    /// Byte offset in the file where the problem starts.
    pub offset: u64,
    /// What is wrong.
    pub kind: CaptureErrorKind,
}

/// The kinds of capture damage.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaptureErrorKind {
    /// Not a pcap or pcapng file (the first four bytes are given).
    UnknownFormat([u8; 4]),
    /// The file ends inside a header or packet.
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes it needed.
        needed: u64,
        /// Bytes that were left.
        available: u64,
    },
    /// A length field is impossible (larger than any real packet or block).
    BadLength {
        /// Which field.
        what: &'static str,
        /// Its value.
        value: u64,
    },
    /// A structural rule was broken (bad magic, bad version, mismatched trailer...).
    Malformed(&'static str),
    /// The operating system refused a read.
    Io(String),
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte offset {}: ", self.offset)?;
        match &self.kind {
            CaptureErrorKind::UnknownFormat(m) => write!(
                f,
                "not a pcap or pcapng capture (starts with {:02x} {:02x} {:02x} {:02x})",
                m[0], m[1], m[2], m[3]
            ),
            CaptureErrorKind::Truncated { what, needed, available } => {
                write!(f, "file ends inside a {what}: {needed} bytes needed, {available} left")
            }
            CaptureErrorKind::BadLength { what, value } => write!(f, "impossible {what} of {value} bytes"),
            CaptureErrorKind::Malformed(m) => f.write_str(m),
            CaptureErrorKind::Io(e) => write!(f, "read error: {e}"),
        }
    }
}

impl std::error::Error for CaptureError {}

/// Largest packet accepted from a file, whatever the header's snaplen says. Real link MTUs
/// and tcpdump's maximum snaplen (262144) are below it; a larger length is corruption.
pub const MAX_PACKET: u32 = 262_144 * 4;
