//! Pure parsing of a BOOTP/DHCP message: bytes in, values out.

use std::net::Ipv4Addr;

/// The fixed BOOTP header (RFC 2131 §2, figure 1): 236 bytes, then the magic cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub op: u8,
    pub htype: u8,
    pub hlen: u8,
    pub xid: u32,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    pub chaddr: [u8; 16],
    pub sname: &'a [u8],
    pub file: &'a [u8],
}

/// RFC 2131 §3: the four octets 99, 130, 83, 99 that start the options field.
pub(crate) const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
pub(crate) const HEADER_LEN: usize = 236;

fn ip(b: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

/// Split a message into header and options (the bytes after the cookie).
pub(crate) fn header(b: &[u8]) -> Result<(Header<'_>, &[u8]), &'static str> {
    if b.len() < HEADER_LEN + 4 {
        return Err("dhcp.truncated_header");
    }
    if b[0] != 1 && b[0] != 2 {
        return Err("dhcp.bad_op");
    }
    if b[HEADER_LEN..HEADER_LEN + 4] != MAGIC_COOKIE {
        return Err("dhcp.no_magic_cookie");
    }
    let mut chaddr = [0u8; 16];
    chaddr.copy_from_slice(&b[28..44]);
    Ok((
        Header {
            op: b[0],                                           // op: 1 BOOTREQUEST, 2 BOOTREPLY
            htype: b[1],                                        // htype: 1 = 10 Mb Ethernet
            hlen: b[2],                                         // hlen: 6 for Ethernet
            xid: u32::from_be_bytes([b[4], b[5], b[6], b[7]]), // xid (hops at 3, secs 8..10, flags 10..12)
            ciaddr: ip(&b[12..16]),
            yiaddr: ip(&b[16..20]),
            siaddr: ip(&b[20..24]),
            giaddr: ip(&b[24..28]),
            chaddr,
            sname: &b[44..108],
            file: &b[108..236],
        },
        &b[HEADER_LEN + 4..],
    ))
}

/// One option: its code and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawOption<'a> {
    pub code: u8,
    pub value: &'a [u8],
}

/// How an options area ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AreaEnd {
    /// The END option (255) was reached.
    End,
    /// The bytes ran out without an END option.
    NoEnd,
    /// The option count limit stopped the walk.
    Limit,
}

/// Walk an options area (RFC 2132 §2): pad (0) is one byte, end (255) stops, every other option
/// is code, length, value. At most `max` options are collected in all; `Err` when a length runs
/// past the area.
pub(crate) fn options<'a>(b: &'a [u8], max: usize, out: &mut Vec<RawOption<'a>>) -> Result<AreaEnd, &'static str> {
    let mut at = 0;
    while at < b.len() {
        let code = b[at];
        match code {
            0 => at += 1,
            255 => return Ok(AreaEnd::End),
            _ => {
                let Some(&len) = b.get(at + 1) else { return Err("dhcp.option_truncated") };
                let end = at + 2 + usize::from(len);
                if end > b.len() {
                    return Err("dhcp.option_truncated");
                }
                if out.len() >= max {
                    return Ok(AreaEnd::Limit);
                }
                out.push(RawOption { code, value: &b[at + 2..end] });
                at = end;
            }
        }
    }
    Ok(AreaEnd::NoEnd)
}

/// Option values as IPv4 addresses (lists of 4-byte addresses); `None` if the length is wrong.
pub(crate) fn ip_list(v: &[u8]) -> Option<Vec<Ipv4Addr>> {
    (!v.is_empty() && v.len().is_multiple_of(4)).then(|| v.chunks_exact(4).map(ip).collect())
}

/// A single address.
pub(crate) fn one_ip(v: &[u8]) -> Option<Ipv4Addr> {
    (v.len() == 4).then(|| ip(v))
}

/// A 32-bit number of seconds.
pub(crate) fn u32_value(v: &[u8]) -> Option<u32> {
    (v.len() == 4).then(|| u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
}

/// Text as sent, lossily decoded, cut to `max` bytes.
pub(crate) fn text(v: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&v[..v.len().min(max)]).into_owned()
}

/// `aa:bb:cc` hex.
pub(crate) fn colon_hex(v: &[u8]) -> String {
    let mut s = String::with_capacity(v.len() * 3);
    for (i, b) in v.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Option 53 message type names (RFC 2132 §9.6, RFC 4388, RFC 6926).
pub(crate) fn message_type(v: u8) -> &'static str {
    match v {
        1 => "discover",
        2 => "offer",
        3 => "request",
        4 => "decline",
        5 => "ack",
        6 => "nak",
        7 => "release",
        8 => "inform",
        9 => "force_renew",
        10 => "lease_query",
        11 => "lease_unassigned",
        12 => "lease_unknown",
        13 => "lease_active",
        _ => "unknown",
    }
}

/// Names of requested parameters (option 55 entries) the way Suricata's EVE `params` list names
/// them; Suricata leaves out codes it has no name for, and so do we (the full list of codes is
/// in `parameter_request_list`). Verified against suricata-verify dhcp-eve-extended*.
pub(crate) fn param_name(code: u8) -> Option<&'static str> {
    match code {
        1 => Some("subnet_mask"),
        3 => Some("router"),
        6 => Some("dns_server"),
        15 => Some("domain"),
        _ => None,
    }
}

/// RFC 2132 names of common options, for documentation and the HTML report.
#[allow(dead_code)] // reason: kept next to `param_name` as the reference of what codes mean.
pub(crate) fn rfc2132_name(code: u8) -> String {
    let s = match code {
        1 => "subnet_mask",
        2 => "time_offset",
        3 => "router",
        4 => "time_server",
        6 => "dns_server",
        7 => "log_server",
        12 => "hostname",
        15 => "domain",
        26 => "interface_mtu",
        28 => "broadcast_address",
        31 => "router_discovery",
        33 => "static_route",
        35 => "arp_timeout",
        40 => "nis_domain",
        42 => "ntp_server",
        43 => "vendor_specific",
        44 => "netbios_name_server",
        46 => "netbios_node_type",
        47 => "netbios_scope",
        51 => "lease_time",
        54 => "server_identifier",
        58 => "renewal_time",
        59 => "rebinding_time",
        66 => "tftp_server_name",
        67 => "bootfile_name",
        81 => "client_fqdn",
        119 => "domain_search",
        121 => "classless_static_route",
        249 => "private_classless_static_route",
        252 => "web_proxy_auto_discovery",
        _ => return code.to_string(),
    };
    s.to_string()
}
