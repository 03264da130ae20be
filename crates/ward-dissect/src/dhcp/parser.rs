//! Pure parsing of one BOOTP/DHCP message: bytes in, values out, no state.
//!
//! Everything reads through [`Reader`], which cannot read past its slice. A message parses into
//! a [`Parsed`]: the record, when the fixed header and the magic cookie are whole, and the
//! problems met on the way, each a typed event. A damaged option area keeps the options read
//! before the damage; a value of the wrong length for its option loses only that value.

use super::record::{DhcpFqdn, DhcpRecord};
use super::session::DhcpLimits;
use crate::DissectEventKind;
use std::net::Ipv4Addr;

/// A stable identifier of what is wrong, e.g. `dhcp.bad_magic_cookie`.
pub(crate) type Reason = &'static str;

/// A cursor over a byte slice that fails, with the caller's reason, instead of reading past
/// the end.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(crate) fn bytes(&mut self, n: usize, why: Reason) -> Result<&'a [u8], Reason> {
        let end = self.pos.checked_add(n).ok_or(why)?;
        let b = self.buf.get(self.pos..end).ok_or(why)?;
        self.pos = end;
        Ok(b)
    }

    pub(crate) fn array<const N: usize>(&mut self, why: Reason) -> Result<[u8; N], Reason> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N, why)?);
        Ok(a)
    }

    pub(crate) fn u8(&mut self, why: Reason) -> Result<u8, Reason> {
        let [b] = self.array::<1>(why)?;
        Ok(b)
    }

    pub(crate) fn u16(&mut self, why: Reason) -> Result<u16, Reason> {
        Ok(u16::from_be_bytes(self.array(why)?))
    }

    pub(crate) fn u32(&mut self, why: Reason) -> Result<u32, Reason> {
        Ok(u32::from_be_bytes(self.array(why)?))
    }

    pub(crate) fn ipv4(&mut self, why: Reason) -> Result<Ipv4Addr, Reason> {
        Ok(Ipv4Addr::from(self.array::<4>(why)?))
    }
}

/// The fixed BOOTP header (RFC 2131 §2, figure 1) is 236 octets; the options field follows.
pub(crate) const FIXED_LEN: usize = 236;
/// RFC 2131 §3: the options field starts with the four octets 99, 130, 83, 99 (RFC 1497).
pub(crate) const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];

/// `op` (RFC 2131 §2): the only two message kinds.
pub(crate) const BOOTREQUEST: u8 = 1;
pub(crate) const BOOTREPLY: u8 = 2;

/// The fixed header (RFC 2131 §2, table 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    /// 1 BOOTREQUEST, 2 BOOTREPLY.
    pub op: u8,
    /// Hardware address type, as in ARP (1 = Ethernet).
    pub htype: u8,
    /// Hardware address length (6 for Ethernet).
    pub hlen: u8,
    /// Relay agents passed; RFC 1542 §4.1.1 has relays drop a message above 16.
    pub hops: u8,
    pub xid: u32,
    pub ciaddr: Ipv4Addr,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub giaddr: Ipv4Addr,
    /// 16 octets, of which `hlen` are the address.
    pub chaddr: [u8; 16],
    /// 64 octets: a server name, or options when option 52 says so.
    pub sname: &'a [u8],
    /// 128 octets: a boot file name, or options when option 52 says so.
    pub file: &'a [u8],
}

const TRUNCATED_HEADER: Reason = "dhcp.truncated_header";

/// The 236-octet fixed header, whatever follows it. `op` must be 1 or 2.
pub(crate) fn fixed_header(msg: &[u8]) -> Result<Header<'_>, Reason> {
    let r = &mut Reader::new(msg);
    let t = TRUNCATED_HEADER;
    let [op, htype, hlen, hops] = r.array(t)?; // octets 0-3
    let xid = r.u32(t)?; // 4-7
    let _secs = r.u16(t)?; // 8-9: seconds since the client began
    let _flags = r.u16(t)?; // 10-11: the broadcast bit
    let (ciaddr, yiaddr, siaddr, giaddr) = (r.ipv4(t)?, r.ipv4(t)?, r.ipv4(t)?, r.ipv4(t)?); // 12-27
    let chaddr = r.array(t)?; // 28-43
    let sname = r.bytes(64, t)?; // 44-107
    let file = r.bytes(128, t)?; // 108-235
    if op != BOOTREQUEST && op != BOOTREPLY {
        return Err("dhcp.bad_op");
    }
    Ok(Header { op, htype, hlen, hops, xid, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file })
}

/// The options field, after checking the magic cookie at octet 236 (RFC 2131 §3). Without
/// the cookie the vendor area is not in RFC 1497 format, and there are no options to read.
pub(crate) fn options_field(msg: &[u8]) -> Result<&[u8], Reason> {
    let cookie = msg.get(FIXED_LEN..FIXED_LEN + 4).ok_or(TRUNCATED_HEADER)?;
    if cookie != MAGIC_COOKIE {
        return Err("dhcp.bad_magic_cookie");
    }
    Ok(msg.get(FIXED_LEN + 4..).unwrap_or_default())
}

/// Does a fixed header look like BOOTP: a hardware type in ARP's range, an address that fits
/// `chaddr`, no more relay hops than a relay forwards?
pub(crate) fn plausible(h: &Header<'_>) -> bool {
    (1..=40).contains(&h.htype) && h.hlen <= 16 && h.hops <= 16
}

/// One option: its code and value (RFC 2132 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawOption<'a> {
    pub code: u8,
    pub value: &'a [u8],
}

/// What the next step through an option area found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step<'a> {
    /// A length-prefixed option.
    Option(RawOption<'a>),
    /// The end option (255): the area is done.
    End,
    /// The area ran out without an end option.
    Exhausted,
    /// An option's length runs past the end of the area.
    Overrun,
}

/// The next option of an area (RFC 2132 §2): pad (0) is a lone octet and is skipped, end
/// (255) is a lone octet, every other option is code, length, value.
pub(crate) fn next_option<'a>(r: &mut Reader<'a>) -> Step<'a> {
    loop {
        // Each turn consumes an octet, so this ends with the area.
        let Ok(code) = r.u8("") else { return Step::Exhausted };
        match code {
            0 => {}
            255 => return Step::End,
            _ => {
                let Ok(len) = r.u8("") else { return Step::Overrun };
                let Ok(value) = r.bytes(usize::from(len), "") else { return Step::Overrun };
                return Step::Option(RawOption { code, value });
            }
        }
    }
}

/// Which area of the message an option came from (RFC 2131 §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Options,
    File,
    Sname,
}

/// Events met while parsing one message, each once (a hundred over-long values make one
/// `LimitExceeded`, not a hundred).
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub events: Vec<DissectEventKind>,
}

impl Findings {
    fn push(&mut self, e: DissectEventKind) {
        let same = |a: &DissectEventKind| match (a, &e) {
            (DissectEventKind::LimitExceeded { limit: x, .. }, DissectEventKind::LimitExceeded { limit: y, .. }) => x == y,
            _ => *a == e,
        };
        if !self.events.iter().any(same) {
            self.events.push(e);
        }
    }

    fn malformed(&mut self, reason: Reason) {
        self.push(DissectEventKind::Malformed { reason });
    }

    fn misbehaving(&mut self, reason: Reason) {
        self.push(DissectEventKind::PeerMisbehaving { reason });
    }

    fn limit(&mut self, limit: &'static str, value: usize) {
        self.push(DissectEventKind::LimitExceeded { limit, value: value as u64 });
    }
}

/// One message, parsed.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// Present when the fixed header and the magic cookie are whole and valid.
    pub record: Option<DhcpRecord>,
    pub findings: Findings,
}

/// Parse one whole message (one UDP payload).
pub(crate) fn message(msg: &[u8], limits: &DhcpLimits) -> Parsed {
    let mut findings = Findings::default();
    let record = parse_message(msg, limits, &mut findings);
    Parsed { record, findings }
}

fn parse_message(msg: &[u8], limits: &DhcpLimits, f: &mut Findings) -> Option<DhcpRecord> {
    let (h, options) = match fixed_header(msg).and_then(|h| options_field(msg).map(|o| (h, o))) {
        Ok(parts) => parts,
        Err(reason) => {
            f.malformed(reason);
            return None;
        }
    };
    if h.hlen > 16 {
        f.misbehaving("dhcp.hlen_too_long");
    }
    let mut rec = header_record(&h);
    let mut walk = Walk { limits, f, rec: &mut rec, count: 0, seen: [false; 256], overload: None };
    walk.area(options, Area::Options);
    // RFC 2131 §4.1: `file` is read next, then `sname`, each only if option 52 says so.
    let overload = walk.overload.unwrap_or(0);
    let areas = [(1u8, h.file, Area::File), (2u8, h.sname, Area::Sname)];
    let wanted: Vec<(&[u8], Area)> = areas.iter().filter(|(bit, ..)| overload & bit != 0).map(|(_, b, a)| (*b, *a)).collect();
    if wanted.len() > limits.max_option_overload_passes {
        walk.f.limit("dhcp.max_option_overload_passes", wanted.len());
    }
    for (bytes, area) in wanted.iter().take(limits.max_option_overload_passes) {
        walk.area(bytes, *area);
    }
    if walk.count > limits.max_options {
        walk.f.limit("dhcp.max_options", walk.count);
    }
    // A field holding options holds no name.
    if overload & 1 == 0 {
        rec.boot_file = nul_terminated(h.file, limits, f);
    }
    if overload & 2 == 0 {
        rec.server_name = nul_terminated(h.sname, limits, f);
    }
    Some(rec)
}

/// The record's fixed-header fields, every option field empty.
fn header_record(h: &Header<'_>) -> DhcpRecord {
    DhcpRecord {
        kind: if h.op == BOOTREQUEST { "request" } else { "reply" },
        id: h.xid,
        client_mac: (h.htype == 1 && h.hlen == 6).then(|| colon_hex(h.chaddr.get(..6).unwrap_or_default())),
        client_ip: h.ciaddr,
        assigned_ip: h.yiaddr,
        relay_ip: h.giaddr,
        next_server_ip: h.siaddr,
        server_name: None,
        boot_file: None,
        dhcp_type: None,
        hostname: None,
        fqdn: None,
        vendor_class_identifier: None,
        params: Vec::new(),
        parameter_request_list: Vec::new(),
        client_id: None,
        client_id_type: None,
        requested_ip: None,
        server_id: None,
        lease_time: None,
        renewal_time: None,
        rebinding_time: None,
        subnet_mask: None,
        routers: Vec::new(),
        dns_servers: Vec::new(),
        domain_name: None,
        message: None,
        user_class: Vec::new(),
        options: Vec::new(),
    }
}

/// The walk through a message's option areas, filling one record.
struct Walk<'a> {
    limits: &'a DhcpLimits,
    f: &'a mut Findings,
    rec: &'a mut DhcpRecord,
    /// Options met so far (pad and end excepted), decoded or not.
    count: usize,
    /// Codes already decoded: the first of a repeated option wins.
    seen: [bool; 256],
    /// Option 52's value, from the options field only.
    overload: Option<u8>,
}

impl Walk<'_> {
    /// Every option of one area. Past `max_options` the walk goes on counting (the area is
    /// bounded) so that the event says how many there were and damage further on is seen.
    fn area(&mut self, bytes: &[u8], area: Area) {
        let mut r = Reader::new(bytes);
        loop {
            match next_option(&mut r) {
                Step::Option(o) => {
                    self.count += 1;
                    if self.count <= self.limits.max_options {
                        self.rec.options.push(o.code);
                        self.option(o, area);
                    }
                }
                Step::End => return,
                // RFC 2131 §4.1: the options field and each overloaded field end with `end`.
                Step::Exhausted if area == Area::Options => return self.f.malformed("dhcp.missing_end_option"),
                Step::Exhausted => return self.f.misbehaving("dhcp.overload_missing_end_option"),
                Step::Overrun if area == Area::Options => return self.f.malformed("dhcp.option_overruns_message"),
                // `file` and `sname` are whole: an option crossing their end is not truncation.
                Step::Overrun => return self.f.malformed("dhcp.option_overruns_field"),
            }
        }
    }

    /// Decode one option into the record (RFC 2132 §3-§9, RFC 3004, RFC 4702).
    fn option(&mut self, o: RawOption<'_>, area: Area) {
        let seen = &mut self.seen[usize::from(o.code)];
        if std::mem::replace(seen, true) {
            // RFC 3396 would concatenate the parts of a long option; Ward keeps the first.
            return self.f.misbehaving("dhcp.option_repeated");
        }
        let v = o.value;
        let (lim, f, rec) = (self.limits, &mut *self.f, &mut *self.rec);
        let ok = match o.code {
            1 => set(&mut rec.subnet_mask, ipv4(v)),
            3 => set_list(&mut rec.routers, addresses(v, lim, f)),
            6 => set_list(&mut rec.dns_servers, addresses(v, lim, f)),
            12 => set(&mut rec.hostname, non_empty(v).map(|v| text(v, lim, f))),
            15 => set(&mut rec.domain_name, non_empty(v).map(|v| text(v, lim, f))),
            50 => set(&mut rec.requested_ip, ipv4(v)),
            51 => set(&mut rec.lease_time, seconds(v)),
            // Option 52 counts in the options field only (RFC 2131 §4.1).
            52 if area == Area::Options => set(&mut self.overload, overload(v)),
            53 => set(&mut rec.dhcp_type, one(v).map(message_type)),
            54 => set(&mut rec.server_id, ipv4(v)),
            55 => {
                rec.params = v.iter().filter_map(|c| param_name(*c)).collect();
                rec.parameter_request_list = v.to_vec();
                !v.is_empty()
            }
            56 => set(&mut rec.message, non_empty(v).map(|v| text(v, lim, f))),
            58 => set(&mut rec.renewal_time, seconds(v)),
            59 => set(&mut rec.rebinding_time, seconds(v)),
            60 => set(&mut rec.vendor_class_identifier, non_empty(v).map(|v| text(v, lim, f))),
            61 => match v {
                // RFC 2132 §9.14: a type octet and at least one octet of identifier.
                [kind, id @ ..] if !id.is_empty() => {
                    rec.client_id_type = Some(*kind);
                    rec.client_id = Some(colon_hex(cut(id, lim, f)));
                    true
                }
                _ => false,
            },
            77 => set_list(&mut rec.user_class, non_empty(v).map(|v| user_class(v, lim, f))),
            81 => match fqdn(v, lim, f) {
                Ok(q) => set(&mut rec.fqdn, Some(q)),
                Err(reason) => {
                    f.misbehaving(reason);
                    true
                }
            },
            _ => true,
        };
        if !ok {
            self.f.misbehaving("dhcp.option_bad_value");
        }
    }
}

/// Store a decoded value; false (a bad value) when there is none.
fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    *slot = value;
    ok
}

fn set_list<T>(slot: &mut Vec<T>, value: Option<Vec<T>>) -> bool {
    let ok = value.is_some();
    *slot = value.unwrap_or_default();
    ok
}

fn non_empty(v: &[u8]) -> Option<&[u8]> {
    (!v.is_empty()).then_some(v)
}

fn one(v: &[u8]) -> Option<u8> {
    match v {
        [b] => Some(*b),
        _ => None,
    }
}

fn ipv4(v: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(v).ok().map(Ipv4Addr::from)
}

/// A 32-bit count of seconds (options 51, 58, 59).
fn seconds(v: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(v).ok().map(u32::from_be_bytes)
}

/// Option 52 (RFC 2132 §9.3): 1 `file`, 2 `sname`, 3 both.
fn overload(v: &[u8]) -> Option<u8> {
    one(v).filter(|o| (1..=3).contains(o))
}

/// A list of addresses (options 3, 6): at least one, four octets each; at most
/// `max_addresses` kept.
fn addresses(v: &[u8], limits: &DhcpLimits, f: &mut Findings) -> Option<Vec<Ipv4Addr>> {
    if v.is_empty() || !v.len().is_multiple_of(4) {
        return None;
    }
    let n = v.len() / 4;
    if n > limits.max_addresses {
        f.limit("dhcp.max_addresses", n);
    }
    Some(v.chunks_exact(4).take(limits.max_addresses).filter_map(ipv4).collect())
}

/// At most `max_text_len` octets of a value.
fn cut<'v>(v: &'v [u8], limits: &DhcpLimits, f: &mut Findings) -> &'v [u8] {
    if v.len() > limits.max_text_len {
        f.limit("dhcp.max_text_len", v.len());
    }
    v.get(..limits.max_text_len).unwrap_or(v)
}

/// Text as sent (NULs and all, as Suricata shows them), invalid UTF-8 replaced, at most
/// `max_text_len` octets of it.
fn text(v: &[u8], limits: &DhcpLimits, f: &mut Findings) -> String {
    String::from_utf8_lossy(cut(v, limits, f)).into_owned()
}

/// `sname` and `file` (RFC 2131 §2): "null terminated string"; `None` when empty.
fn nul_terminated(field: &[u8], limits: &DhcpLimits, f: &mut Findings) -> Option<String> {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    non_empty(field.get(..end).unwrap_or_default()).map(|v| text(v, limits, f))
}

/// `aa:bb:cc` lower-case hex.
pub(crate) fn colon_hex(v: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(v.len() * 3);
    for b in v {
        if !s.is_empty() {
            s.push(':');
        }
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

/// Option 77 (RFC 3004 §4): one or more classes, each a length octet (at least 1) and data.
/// Some clients send one bare string instead; a value that does not split exactly is that.
fn user_class(v: &[u8], limits: &DhcpLimits, f: &mut Findings) -> Vec<String> {
    let mut parts = Vec::new();
    let mut r = Reader::new(v);
    while !r.is_empty() {
        match r.u8("").and_then(|n| if n == 0 { Err("") } else { r.bytes(usize::from(n), "") }) {
            Ok(class) => parts.push(class),
            Err(_) => return vec![text(v, limits, f)],
        }
    }
    parts.into_iter().map(|p| text(p, limits, f)).collect()
}

/// Option 81 (RFC 4702 §2): flags, two obsolete RCODE octets, then the name: in DNS wire
/// format without compression if E (0x04) is set (§2.3.1), else in ASCII (deprecated).
fn fqdn(v: &[u8], limits: &DhcpLimits, f: &mut Findings) -> Result<DhcpFqdn, Reason> {
    let [flags, _rcode1, _rcode2, name @ ..] = v else { return Err("dhcp.option_bad_value") };
    let name = if flags & 0x04 == 0 { name.to_vec() } else { wire_name(name)? };
    Ok(DhcpFqdn { flags: *flags, name: text(&name, limits, f) })
}

/// A DNS wire-format name (RFC 1035 §3.1) as dotted octets. RFC 4702 §2.3.1 allows a partial
/// name (no root label); nothing may follow the root label, and there is no compression.
fn wire_name(b: &[u8]) -> Result<Vec<u8>, Reason> {
    const BAD: Reason = "dhcp.fqdn_bad_name";
    let mut r = Reader::new(b);
    let mut name = Vec::with_capacity(b.len());
    while !r.is_empty() {
        let len = usize::from(r.u8(BAD)?);
        if len == 0 {
            return if r.is_empty() { Ok(name) } else { Err(BAD) };
        }
        if len > 63 {
            return Err(BAD);
        }
        if !name.is_empty() {
            name.push(b'.');
        }
        name.extend_from_slice(r.bytes(len, BAD)?);
    }
    Ok(name)
}

/// Option 53 (RFC 2132 §9.6; 9 RFC 3203; 10-13 RFC 4388; 14-15 RFC 6926; 16-17 RFC 7724;
/// 18 RFC 7724's TLS). Suricata names 1-8 and calls the rest `unknown`.
pub(crate) fn message_type(t: u8) -> &'static str {
    const NAMES: [&str; 19] = [
        "unknown",
        "discover",
        "offer",
        "request",
        "decline",
        "ack",
        "nak",
        "release",
        "inform",
        "forcerenew",
        "leasequery",
        "leaseunassigned",
        "leaseunknown",
        "leaseactive",
        "bulkleasequery",
        "leasequerydone",
        "activeleasequery",
        "leasequerystatus",
        "tls",
    ];
    NAMES.get(usize::from(t)).copied().unwrap_or("unknown")
}

/// The names Suricata's EVE `params` gives requested option codes (option 55); it leaves out
/// the codes it does not name, and so does Ward (all codes are in `parameter_request_list`).
pub(crate) fn param_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "subnet_mask",
        3 => "router",
        6 => "dns_server",
        15 => "domain",
        35 => "arp_timeout",
        42 => "ntp_server",
        66 => "tftp_server_name",
        150 => "tftp_server_ip",
        _ => return None,
    })
}
