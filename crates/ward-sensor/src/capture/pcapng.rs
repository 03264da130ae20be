//! pcapng (draft-ietf-opsawg-pcapng): a sequence of sections, each opened by a Section Header
//! Block that fixes the byte order, with Interface Description Blocks giving each interface
//! its link type and timestamp resolution, and packets in Enhanced, Simple or (obsolete)
//! Packet Blocks. Unknown block types are skipped by their length.

use super::file::{Buf, Located, ReaderCounters};
use super::{CaptureError, CaptureErrorKind, LinkType};
use std::io::Read;
use ward_model::Timestamp;

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
/// Largest block accepted: a packet of the maximum size plus generous options.
const MAX_BLOCK: u32 = 16 << 20;
/// Interfaces per section; more is corruption or an attack on memory.
const MAX_INTERFACES: usize = 65_536;

#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    snaplen: u32,
    /// Timestamp units per second as (base, exponent): 10^6 by default.
    resol: Resolution,
    offset_secs: i64,
}

#[derive(Debug, Clone, Copy)]
enum Resolution {
    Pow10(u32),
    Pow2(u32),
}

#[derive(Debug, Default)]
pub(crate) struct PcapngState {
    big_endian: bool,
    in_section: bool,
    interfaces: Vec<Interface>,
    seen_links: Vec<LinkType>,
}

impl PcapngState {
    pub(crate) fn link_types(&self) -> Vec<LinkType> {
        self.seen_links.clone()
    }

    fn u16(&self, b: &[u8], at: usize) -> u16 {
        let v = [b[at], b[at + 1]];
        if self.big_endian { u16::from_be_bytes(v) } else { u16::from_le_bytes(v) }
    }

    fn u32(&self, b: &[u8], at: usize) -> u32 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big_endian { u32::from_be_bytes(v) } else { u32::from_le_bytes(v) }
    }
}

fn malformed(offset: u64, what: &'static str) -> CaptureError {
    CaptureError { offset, kind: CaptureErrorKind::Malformed(what) }
}

pub(crate) fn next<R: Read>(
    buf: &mut Buf<R>,
    st: &mut PcapngState,
    counters: &mut ReaderCounters,
) -> Result<Option<Located>, CaptureError> {
    loop {
        if !buf.fill(12)? {
            if buf.available() == 0 {
                return Ok(None);
            }
            return Err(buf.truncated("pcapng block header", 12));
        }
        let offset = buf.offset();
        let head = buf.peek(12);
        let raw_type = [head[0], head[1], head[2], head[3]];
        if u32::from_le_bytes(raw_type) == SHB {
            st.big_endian = match [head[8], head[9], head[10], head[11]] {
                [0x4d, 0x3c, 0x2b, 0x1a] => false,
                [0x1a, 0x2b, 0x3c, 0x4d] => true,
                _ => return Err(malformed(offset + 8, "section header block has a bad byte-order magic")),
            };
        } else if !st.in_section {
            return Err(malformed(offset, "pcapng data before the first section header block"));
        }
        let btype = st.u32(head, 0);
        let total = st.u32(head, 4);
        if total < 12 || !total.is_multiple_of(4) || total > MAX_BLOCK {
            return Err(CaptureError {
                offset: offset + 4,
                kind: CaptureErrorKind::BadLength { what: "pcapng block total length", value: u64::from(total) },
            });
        }
        let total = total as usize;
        if !buf.fill(total)? {
            return Err(buf.truncated("pcapng block", total));
        }
        let block = buf.peek(total);
        if st.u32(block, total - 4) != total as u32 {
            return Err(malformed(offset + total as u64 - 4, "pcapng block trailing length differs from its header"));
        }
        match btype {
            SHB => {
                if total < 28 {
                    return Err(malformed(offset, "section header block shorter than 28 bytes"));
                }
                if st.u16(block, 12) != 1 {
                    return Err(malformed(offset + 12, "unsupported pcapng major version (expected 1)"));
                }
                st.in_section = true;
                st.interfaces.clear();
                buf.consume(total);
            }
            IDB => {
                if total < 20 {
                    return Err(malformed(offset, "interface description block shorter than 20 bytes"));
                }
                if st.interfaces.len() >= MAX_INTERFACES {
                    return Err(malformed(offset, "more than 65536 interfaces in one section"));
                }
                let iface = parse_idb(st, block, total);
                if !st.seen_links.contains(&iface.link) {
                    st.seen_links.push(iface.link);
                }
                st.interfaces.push(iface);
                buf.consume(total);
            }
            EPB | PB => {
                if total < 32 {
                    return Err(malformed(offset, "packet block shorter than 32 bytes"));
                }
                let iface_id = if btype == EPB { st.u32(block, 8) as usize } else { st.u16(block, 8) as usize };
                let ts_raw = (u64::from(st.u32(block, 12)) << 32) | u64::from(st.u32(block, 16));
                let caplen = st.u32(block, 20) as usize;
                let orig_len = st.u32(block, 24);
                if 28 + caplen > total - 4 {
                    return Err(malformed(offset + 20, "packet block captured length runs past the block"));
                }
                let Some(iface) = st.interfaces.get(iface_id).copied() else {
                    counters.unknown_interface += 1;
                    buf.consume(total);
                    continue;
                };
                note_lengths(counters, iface.snaplen, caplen, orig_len);
                let at = buf.consume(total) + 28;
                return Ok(Some(Located { ts: timestamp(iface, ts_raw), link: iface.link, at, len: caplen, orig_len }));
            }
            SPB => {
                if total < 16 {
                    return Err(malformed(offset, "simple packet block shorter than 16 bytes"));
                }
                let orig_len = st.u32(block, 8);
                let Some(iface) = st.interfaces.first().copied() else {
                    counters.unknown_interface += 1;
                    buf.consume(total);
                    continue;
                };
                let mut caplen = (orig_len as usize).min(total - 16);
                if iface.snaplen != 0 {
                    caplen = caplen.min(iface.snaplen as usize);
                }
                let at = buf.consume(total) + 12;
                // Simple packet blocks carry no timestamp.
                return Ok(Some(Located { ts: Timestamp(0), link: iface.link, at, len: caplen, orig_len }));
            }
            _ => {
                counters.skipped_blocks += 1;
                buf.consume(total);
            }
        }
    }
}

fn note_lengths(counters: &mut ReaderCounters, snaplen: u32, caplen: usize, orig_len: u32) {
    if snaplen != 0 && caplen > snaplen as usize {
        counters.caplen_over_snaplen += 1;
    }
    if caplen > orig_len as usize {
        counters.caplen_over_origlen += 1;
    }
}

fn parse_idb(st: &PcapngState, block: &[u8], total: usize) -> Interface {
    let mut iface = Interface {
        link: LinkType(u32::from(st.u16(block, 8))),
        snaplen: st.u32(block, 12),
        resol: Resolution::Pow10(6),
        offset_secs: 0,
    };
    let end = total - 4;
    let mut at = 16;
    while at + 4 <= end {
        let code = st.u16(block, at);
        let len = st.u16(block, at + 2) as usize;
        let val = at + 4;
        if code == 0 || val + len > end {
            break;
        }
        match (code, len) {
            (9, 1) => {
                let v = block[val];
                let exp = u32::from(v & 0x7f);
                iface.resol = if v & 0x80 == 0 { Resolution::Pow10(exp) } else { Resolution::Pow2(exp) };
            }
            (14, 8) => {
                let hi = st.u32(block, val);
                let lo = st.u32(block, val + 4);
                let raw = if st.big_endian {
                    (u64::from(hi) << 32) | u64::from(lo)
                } else {
                    (u64::from(st.u32(block, val + 4)) << 32) | u64::from(st.u32(block, val))
                };
                iface.offset_secs = raw as i64;
            }
            _ => {}
        }
        at = val + len.div_ceil(4) * 4;
    }
    iface
}

fn timestamp(iface: Interface, raw: u64) -> Timestamp {
    let raw = u128::from(raw);
    let nanos: u128 = match iface.resol {
        Resolution::Pow10(e) if e <= 9 => raw * 10u128.pow(9 - e),
        Resolution::Pow10(e) => raw / 10u128.pow(e.min(38) - 9),
        Resolution::Pow2(e) => {
            let e = e.min(127);
            let secs = raw >> e;
            let frac = raw & ((1u128 << e) - 1);
            secs * 1_000_000_000 + ((frac * 1_000_000_000) >> e)
        }
    };
    let off = i128::from(iface.offset_secs) * 1_000_000_000;
    let total = (nanos as i128 + off).clamp(0, i128::from(u64::MAX));
    Timestamp(total as u64)
}
