//! Classic libpcap files: a 24-byte global header, then 16-byte record headers each followed by
//! the captured bytes. Four magics: microsecond or nanosecond, little- or big-endian.

use super::file::{Buf, Located, ReaderCounters};
use super::{CaptureError, CaptureErrorKind, LinkType, MAX_PACKET};
use std::io::Read;
use ward_model::Timestamp;

const USEC: u32 = 0xa1b2_c3d4;
const NSEC: u32 = 0xa1b2_3c4d;

#[derive(Debug, Clone)]
pub(crate) struct PcapState {
    big_endian: bool,
    nanos: bool,
    pub(crate) link: LinkType,
    snaplen: u32,
}

pub(crate) fn is_magic(m: [u8; 4]) -> bool {
    let le = u32::from_le_bytes(m);
    let be = u32::from_be_bytes(m);
    matches!(le, USEC | NSEC) || matches!(be, USEC | NSEC)
}

fn u32_at(b: &[u8], at: usize, big: bool) -> u32 {
    let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if big { u32::from_be_bytes(v) } else { u32::from_le_bytes(v) }
}

pub(crate) fn read_header<R: Read>(buf: &mut Buf<R>) -> Result<PcapState, CaptureError> {
    if !buf.fill(24)? {
        return Err(buf.truncated("pcap file header", 24));
    }
    let h = buf.peek(24);
    let le = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    let big_endian = !matches!(le, USEC | NSEC);
    let magic = u32_at(h, 0, big_endian);
    let major = if big_endian { u16::from_be_bytes([h[4], h[5]]) } else { u16::from_le_bytes([h[4], h[5]]) };
    if major != 2 {
        return Err(CaptureError { offset: 4, kind: CaptureErrorKind::Malformed("unsupported pcap major version (expected 2)") });
    }
    let snaplen = u32_at(h, 16, big_endian);
    // The top bits of the link-type field carry FCS information (pcap-savefile(5)).
    let link = LinkType(u32_at(h, 20, big_endian) & 0x0fff_ffff);
    buf.consume(24);
    Ok(PcapState { big_endian, nanos: magic == NSEC, link, snaplen })
}

pub(crate) fn next<R: Read>(
    buf: &mut Buf<R>,
    st: &PcapState,
    counters: &mut ReaderCounters,
) -> Result<Option<Located>, CaptureError> {
    if !buf.fill(16)? {
        if buf.available() == 0 {
            return Ok(None);
        }
        return Err(buf.truncated("packet record header", 16));
    }
    let h = buf.peek(16);
    let secs = u32_at(h, 0, st.big_endian);
    let frac = u32_at(h, 4, st.big_endian);
    let caplen = u32_at(h, 8, st.big_endian);
    let orig_len = u32_at(h, 12, st.big_endian);
    if caplen > MAX_PACKET {
        return Err(CaptureError {
            offset: buf.offset() + 8,
            kind: CaptureErrorKind::BadLength { what: "packet captured length", value: u64::from(caplen) },
        });
    }
    if st.snaplen != 0 && caplen > st.snaplen {
        counters.caplen_over_snaplen += 1;
    }
    if caplen > orig_len {
        counters.caplen_over_origlen += 1;
    }
    let total = 16 + caplen as usize;
    if !buf.fill(total)? {
        return Err(buf.truncated("packet record", total));
    }
    let at = buf.consume(total) + 16;
    let nanos = if st.nanos { u64::from(frac) } else { u64::from(frac) * 1000 };
    Ok(Some(Located {
        ts: Timestamp::from_parts(u64::from(secs), nanos),
        link: st.link,
        at,
        len: caplen as usize,
        orig_len,
    }))
}
