//! Link, network and transport header decoding: bytes in, borrowed views out.
//!
//! Pure functions, no allocation, no state: fragments are reassembled elsewhere
//! ([`crate::defrag`]) and fed back through [`decode_l4`]. Every failure is a
//! [`DecodeError`] naming a stable counter (`ipv4.truncated`...), never a panic.

use crate::capture::LinkType;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A decoding failure: the counter name under which the report lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeError(pub &'static str);

type Result<T> = std::result::Result<T, DecodeError>;

/// Most VLAN tags accepted in one frame (802.1Q inside 802.1ad inside ...).
pub const MAX_VLAN_TAGS: usize = 4;
/// Most IPv6 extension headers walked before giving up.
pub const MAX_IPV6_EXTENSIONS: usize = 8;

/// A decoded link-layer frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Sender's hardware address, where the link has one.
    pub src_mac: Option<[u8; 6]>,
    /// Receiver's hardware address, where the link has one.
    pub dst_mac: Option<[u8; 6]>,
    /// Outermost VLAN identifier.
    pub vlan: Option<u16>,
    /// What the frame carries.
    pub net: Net<'a>,
}

/// The network layer of a frame.
#[derive(Debug, Clone, Copy)]
pub enum Net<'a> {
    /// IPv4 or IPv6.
    Ip(IpPacket<'a>),
    /// An ARP request or reply for IPv4 over Ethernet.
    Arp(Arp),
    /// Anything else (LLDP, STP, ...), by EtherType.
    Other(u16),
}

/// An ARP message's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    /// 1 request, 2 reply.
    pub op: u16,
    /// Sender hardware address.
    pub sender_mac: [u8; 6],
    /// Sender protocol address.
    pub sender_ip: Ipv4Addr,
    /// Target protocol address.
    pub target_ip: Ipv4Addr,
}

/// An IP datagram (or one fragment of one).
#[derive(Debug, Clone, Copy)]
pub struct IpPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Upper-layer protocol number (after IPv6 extension headers).
    pub proto: u8,
    /// Set when this is a fragment.
    pub frag: Option<Fragment>,
    /// Bytes after the IP header(s): the transport header and data, or the fragment's data.
    pub payload: &'a [u8],
    /// Length of the whole datagram according to its header.
    pub ip_len: u32,
    /// The capture cut the datagram short (snaplen).
    pub truncated: bool,
}

/// Fragment position within the original datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment {
    /// Identification field.
    pub id: u32,
    /// Offset of this fragment's data in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
}

/// A transport-layer view.
#[derive(Debug, Clone, Copy)]
pub enum L4<'a> {
    /// A TCP segment.
    Tcp(TcpSegment<'a>),
    /// A UDP datagram.
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Payload (cut to the UDP length).
        payload: &'a [u8],
    },
    /// ICMP or ICMPv6.
    Icmp {
        /// Message type.
        icmp_type: u8,
        /// Message code.
        code: u8,
    },
    /// Another protocol: no ports.
    Other,
}

/// A TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct TcpSegment<'a> {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Flag bits (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10).
    pub flags: u8,
    /// Segment data.
    pub payload: &'a [u8],
}

/// TCP flag bits.
pub mod tcp_flags {
    /// No more data from sender.
    pub const FIN: u8 = 0x01;
    /// Synchronise sequence numbers.
    pub const SYN: u8 = 0x02;
    /// Reset the connection.
    pub const RST: u8 = 0x04;
    /// Acknowledgement field is significant.
    pub const ACK: u8 = 0x10;
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn mac(b: &[u8], at: usize) -> [u8; 6] {
    [b[at], b[at + 1], b[at + 2], b[at + 3], b[at + 4], b[at + 5]]
}

/// Decode a captured frame of the given link type down to the network layer.
pub fn decode_frame(link: LinkType, data: &[u8]) -> Result<Frame<'_>> {
    match link {
        LinkType::ETHERNET => ethernet(data),
        LinkType::LINUX_SLL => sll(data),
        LinkType::LINUX_SLL2 => sll2(data),
        LinkType::NULL | LinkType::LOOP => null(data, link == LinkType::LOOP),
        LinkType::IPV4 | LinkType::IPV6 | LinkType::RAW | LinkType(12) | LinkType(14) => raw(data),
        _ => Err(DecodeError("link.unsupported_type")),
    }
}

fn bare(net: Net<'_>) -> Frame<'_> {
    Frame { src_mac: None, dst_mac: None, vlan: None, net }
}

fn ethernet(data: &[u8]) -> Result<Frame<'_>> {
    if data.len() < 14 {
        return Err(DecodeError("ethernet.truncated"));
    }
    let (dst, src) = (mac(data, 0), mac(data, 6));
    let (vlan, ethertype, rest) = vlan_tags(be16(data, 12), &data[14..])?;
    Ok(Frame { src_mac: Some(src), dst_mac: Some(dst), vlan, net: network(ethertype, rest)? })
}

/// Walk 802.1Q (0x8100), 802.1ad (0x88a8) and the old QinQ 0x9100 tags; returns the outer VLAN.
fn vlan_tags(mut ethertype: u16, mut rest: &[u8]) -> Result<(Option<u16>, u16, &[u8])> {
    let mut outer = None;
    let mut tags = 0;
    while matches!(ethertype, 0x8100 | 0x88a8 | 0x9100) {
        tags += 1;
        if tags > MAX_VLAN_TAGS {
            return Err(DecodeError("vlan.too_many_tags"));
        }
        if rest.len() < 4 {
            return Err(DecodeError("vlan.truncated"));
        }
        outer.get_or_insert(be16(rest, 0) & 0x0fff);
        ethertype = be16(rest, 2);
        rest = &rest[4..];
    }
    Ok((outer, ethertype, rest))
}

fn network(ethertype: u16, rest: &[u8]) -> Result<Net<'_>> {
    match ethertype {
        0x0800 => Ok(Net::Ip(ipv4(rest)?)),
        0x86dd => Ok(Net::Ip(ipv6(rest)?)),
        0x0806 => arp(rest),
        other => Ok(Net::Other(other)),
    }
}

fn sll(data: &[u8]) -> Result<Frame<'_>> {
    if data.len() < 16 {
        return Err(DecodeError("sll.truncated"));
    }
    let hatype = be16(data, 2);
    let alen = be16(data, 4);
    let src = (hatype == 1 && alen == 6).then(|| mac(data, 6));
    let (vlan, ethertype, rest) = vlan_tags(be16(data, 14), &data[16..])?;
    Ok(Frame { src_mac: src, dst_mac: None, vlan, net: network(ethertype, rest)? })
}

fn sll2(data: &[u8]) -> Result<Frame<'_>> {
    if data.len() < 20 {
        return Err(DecodeError("sll2.truncated"));
    }
    let hatype = be16(data, 8);
    let alen = data[11];
    let src = (hatype == 1 && alen == 6).then(|| mac(data, 12));
    let (vlan, ethertype, rest) = vlan_tags(be16(data, 0), &data[20..])?;
    Ok(Frame { src_mac: src, dst_mac: None, vlan, net: network(ethertype, rest)? })
}

fn null(data: &[u8], network_order: bool) -> Result<Frame<'_>> {
    if data.len() < 4 {
        return Err(DecodeError("null.truncated"));
    }
    let raw = [data[0], data[1], data[2], data[3]];
    // DLT_NULL stores the family in the capturing host's byte order: accept either.
    let family = if network_order {
        u32::from_be_bytes(raw)
    } else {
        let le = u32::from_le_bytes(raw);
        if le < 256 { le } else { u32::from_be_bytes(raw) }
    };
    let rest = &data[4..];
    match family {
        2 => Ok(bare(Net::Ip(ipv4(rest)?))),
        // AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
        10 | 24 | 28 | 30 => Ok(bare(Net::Ip(ipv6(rest)?))),
        _ => Err(DecodeError("null.unknown_family")),
    }
}

fn raw(data: &[u8]) -> Result<Frame<'_>> {
    match data.first().map(|b| b >> 4) {
        Some(4) => Ok(bare(Net::Ip(ipv4(data)?))),
        Some(6) => Ok(bare(Net::Ip(ipv6(data)?))),
        _ => Err(DecodeError("raw.unknown_version")),
    }
}

fn arp(b: &[u8]) -> Result<Net<'_>> {
    if b.len() < 28 {
        return Err(DecodeError("arp.truncated"));
    }
    // Only Ethernet/IPv4 ARP names hosts; other hardware types are counted as other.
    if be16(b, 0) != 1 || be16(b, 2) != 0x0800 || b[4] != 6 || b[5] != 4 {
        return Ok(Net::Other(0x0806));
    }
    Ok(Net::Arp(Arp {
        op: be16(b, 6),
        sender_mac: mac(b, 8),
        sender_ip: Ipv4Addr::new(b[14], b[15], b[16], b[17]),
        target_ip: Ipv4Addr::new(b[24], b[25], b[26], b[27]),
    }))
}

/// Decode an IPv4 header (RFC 791).
pub fn ipv4(b: &[u8]) -> Result<IpPacket<'_>> {
    if b.len() < 20 {
        return Err(DecodeError("ipv4.truncated"));
    }
    if b[0] >> 4 != 4 {
        return Err(DecodeError("ipv4.bad_version"));
    }
    let ihl = usize::from(b[0] & 0x0f) * 4;
    let total = usize::from(be16(b, 2));
    if ihl < 20 || total < ihl {
        return Err(DecodeError("ipv4.bad_header_length"));
    }
    if b.len() < ihl {
        return Err(DecodeError("ipv4.truncated"));
    }
    let truncated = b.len() < total;
    // Frames are padded to the Ethernet minimum: the IP length, not the frame, is authoritative.
    let end = total.min(b.len());
    let flags_off = be16(b, 6);
    let more = flags_off & 0x2000 != 0;
    let offset = u32::from(flags_off & 0x1fff) * 8;
    let frag = (more || offset != 0).then_some(Fragment { id: u32::from(be16(b, 4)), offset, more });
    Ok(IpPacket {
        src: IpAddr::V4(Ipv4Addr::new(b[12], b[13], b[14], b[15])),
        dst: IpAddr::V4(Ipv4Addr::new(b[16], b[17], b[18], b[19])),
        proto: b[9],
        frag,
        payload: &b[ihl..end],
        ip_len: total as u32,
        truncated,
    })
}

/// Decode an IPv6 header and its extension headers (RFC 8200 §4).
pub fn ipv6(b: &[u8]) -> Result<IpPacket<'_>> {
    if b.len() < 40 {
        return Err(DecodeError("ipv6.truncated"));
    }
    if b[0] >> 4 != 6 {
        return Err(DecodeError("ipv6.bad_version"));
    }
    let plen = usize::from(be16(b, 4));
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&b[8..24]);
    dst.copy_from_slice(&b[24..40]);
    // Payload length 0 means a jumbogram (RFC 2675): take what was captured.
    let total = if plen == 0 { b.len() } else { 40 + plen };
    let truncated = b.len() < total;
    let body = &b[40..total.min(b.len())];
    let mut next = b[6];
    let mut at = 0usize;
    let mut frag = None;
    for _ in 0..=MAX_IPV6_EXTENSIONS {
        match next {
            // Hop-by-hop, routing, destination options, mobility, HIP, shim6: (len+1)*8 bytes.
            0 | 43 | 60 | 135 | 139 | 140 => (next, at) = skip_extension(body, at, |l| (l + 1) * 8)?,
            // Fragment header: 8 bytes (RFC 8200 §4.5).
            44 => {
                if body.len() < at + 8 {
                    return Err(DecodeError("ipv6.extension_truncated"));
                }
                let off_m = be16(body, at + 2);
                let f = Fragment {
                    id: be32(body, at + 4),
                    offset: u32::from(off_m & 0xfff8),
                    more: off_m & 1 != 0,
                };
                next = body[at];
                at += 8;
                // An atomic fragment (offset 0, no more) is a whole datagram (RFC 6946).
                if f.more || f.offset != 0 {
                    frag = Some(f);
                    break;
                }
            }
            // Authentication header: (len+2)*4 bytes (RFC 4302).
            51 => (next, at) = skip_extension(body, at, |l| (l + 2) * 4)?,
            _ => {
                return Ok(IpPacket {
                    src: IpAddr::V6(Ipv6Addr::from(src)),
                    dst: IpAddr::V6(Ipv6Addr::from(dst)),
                    proto: next,
                    frag,
                    payload: &body[at..],
                    ip_len: total as u32,
                    truncated,
                });
            }
        }
    }
    if frag.is_some() {
        return Ok(IpPacket {
            src: IpAddr::V6(Ipv6Addr::from(src)),
            dst: IpAddr::V6(Ipv6Addr::from(dst)),
            proto: next,
            frag,
            payload: &body[at..],
            ip_len: total as u32,
            truncated,
        });
    }
    Err(DecodeError("ipv6.too_many_extension_headers"))
}

/// Skip an extension header whose second byte is a length, converted to bytes by `size`;
/// returns its next-header value and the offset after it.
fn skip_extension(body: &[u8], at: usize, size: fn(usize) -> usize) -> Result<(u8, usize)> {
    if body.len() < at + 2 {
        return Err(DecodeError("ipv6.extension_truncated"));
    }
    let end = at + size(usize::from(body[at + 1]));
    if end > body.len() {
        return Err(DecodeError("ipv6.extension_truncated"));
    }
    Ok((body[at], end))
}

/// Decode the transport header of a whole (non-fragment or reassembled) datagram.
pub fn decode_l4(proto: u8, b: &[u8]) -> Result<L4<'_>> {
    match proto {
        6 => {
            if b.len() < 20 {
                return Err(DecodeError("tcp.truncated"));
            }
            let off = usize::from(b[12] >> 4) * 4;
            if off < 20 || off > b.len() {
                return Err(DecodeError("tcp.bad_header_length"));
            }
            Ok(L4::Tcp(TcpSegment {
                sport: be16(b, 0),
                dport: be16(b, 2),
                seq: be32(b, 4),
                ack: be32(b, 8),
                flags: b[13],
                payload: &b[off..],
            }))
        }
        17 => {
            if b.len() < 8 {
                return Err(DecodeError("udp.truncated"));
            }
            let len = usize::from(be16(b, 4));
            if len != 0 && len < 8 {
                return Err(DecodeError("udp.bad_length"));
            }
            // Length 0 appears in IPv6 jumbograms; a length beyond the capture means snaplen cut it.
            let end = if len == 0 { b.len() } else { len.min(b.len()) };
            Ok(L4::Udp { sport: be16(b, 0), dport: be16(b, 2), payload: &b[8..end] })
        }
        1 | 58 => {
            if b.len() < 2 {
                return Err(DecodeError("icmp.truncated"));
            }
            Ok(L4::Icmp { icmp_type: b[0], code: b[1] })
        }
        _ => Ok(L4::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet + 802.1ad 200 + 802.1Q 100 + IPv4/UDP 53, hand-assembled.
    fn qinq_udp() -> Vec<u8> {
        let mut f = vec![
            0x02, 0, 0, 0, 0, 2, // dst MAC
            0x02, 0, 0, 0, 0, 1, // src MAC
            0x88, 0xa8, 0x00, 0xc8, // 802.1ad tag, VLAN 200
            0x81, 0x00, 0x00, 0x64, // 802.1Q tag, VLAN 100
            0x08, 0x00, // EtherType IPv4
            0x45, 0x00, 0x00, 0x20, // v4, IHL 5, total length 32
            0x12, 0x34, 0x00, 0x00, // id, flags/offset 0
            0x40, 0x11, 0x00, 0x00, // TTL 64, UDP, checksum
            10, 0, 0, 1, // src
            10, 0, 0, 2, // dst
            0xc0, 0x00, 0x00, 0x35, // UDP 49152 -> 53
            0x00, 0x0c, 0x00, 0x00, // length 12, checksum
            b'a', b'b', b'c', b'd', // payload
        ];
        f.extend_from_slice(&[0; 6]); // Ethernet padding beyond the IP length
        f
    }

    #[test]
    fn qinq_frame_decodes_outer_vlan_and_trims_ethernet_padding() {
        let f = qinq_udp();
        let frame = decode_frame(LinkType::ETHERNET, &f).expect("decodes");
        assert_eq!(frame.vlan, Some(200));
        let Net::Ip(ip) = frame.net else { panic!("not IP") };
        assert_eq!(ip.payload.len(), 12, "padding must not reach UDP");
        let L4::Udp { dport, payload, .. } = decode_l4(ip.proto, ip.payload).expect("udp") else { panic!() };
        assert_eq!((dport, payload), (53, &b"abcd"[..]));
    }

    #[test]
    fn every_prefix_of_a_frame_fails_cleanly_or_decodes() {
        let f = qinq_udp();
        for n in 0..f.len() {
            if let Ok(Frame { net: Net::Ip(ip), .. }) = decode_frame(LinkType::ETHERNET, &f[..n]) {
                let _ = decode_l4(ip.proto, ip.payload);
            }
        }
    }

    #[test]
    fn ipv6_fragment_header_is_found_behind_hop_by_hop() {
        let mut p = vec![0x60, 0, 0, 0, 0, 24, 0, 64]; // v6, payload 24, next = hop-by-hop
        p.extend_from_slice(&[0xfd; 16]);
        p.extend_from_slice(&[0xfe; 16]);
        p.extend_from_slice(&[44, 0, 5, 2, 0, 0, 1, 0]); // HbH: next=frag, len 0 (8 bytes), router alert
        p.extend_from_slice(&[17, 0, 0x00, 0x09, 0, 0, 0, 7]); // frag: next UDP, offset 8, M=1, id 7
        p.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let ip = ipv6(&p).expect("decodes");
        assert_eq!(ip.proto, 17);
        assert_eq!(ip.frag, Some(Fragment { id: 7, offset: 8, more: true }));
        assert_eq!(ip.payload, &[1, 2, 3, 4, 5, 6, 7, 8]);
    }

    #[test]
    fn extension_header_chain_is_bounded() {
        let mut p = vec![0x60, 0, 0, 0, 0, 80, 60, 64];
        p.extend_from_slice(&[0; 32]);
        for _ in 0..10 {
            p.extend_from_slice(&[60, 0, 0, 0, 0, 0, 0, 0]); // destination options pointing at itself
        }
        assert_eq!(ipv6(&p).err(), Some(DecodeError("ipv6.too_many_extension_headers")));
    }
}
