//! The DHCP dissector: one datagram in, one record (or one `Malformed` event) out.

use super::parser::{self, RawOption};
use super::record::{DhcpFqdn, DhcpRecord};
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on DHCP parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpLimits {
    /// Options read per message, across the options field, `file` and `sname`.
    pub max_options: usize,
    /// Bytes kept of any text option (host name, vendor class, domain, FQDN).
    pub max_text: usize,
}

impl Default for DhcpLimits {
    fn default() -> Self {
        DhcpLimits { max_options: 128, max_text: 255 }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Dhcp,
    transports: &[Transport::Udp],
    ports: &[67, 68],
    probe,
    new: |_, limits| Box::new(Dhcp { limits: limits.dhcp.clone() }),
};

fn probe(_: Transport, _: Direction, data: &[u8]) -> Confidence {
    match parser::header(data) {
        Ok((h, _)) if h.hlen <= 16 => Confidence::High,
        Ok(_) => Confidence::Low,
        Err(_) => Confidence::No,
    }
}

#[derive(Debug)]
struct Dhcp {
    limits: DhcpLimits,
}

impl Dissector for Dhcp {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        match parse(data, &self.limits) {
            Ok((record, limit_hit, missing_end)) => {
                if let Some((limit, value)) = limit_hit {
                    out.event(AppProtocol::Dhcp, dir, DissectEventKind::LimitExceeded { limit, value });
                }
                if missing_end {
                    out.event(AppProtocol::Dhcp, dir, DissectEventKind::Malformed { reason: "dhcp.missing_end_option" });
                }
                out.record(dir, Record::Dhcp(record));
            }
            Err(reason) => out.event(AppProtocol::Dhcp, dir, DissectEventKind::Malformed { reason }),
        }
        Progress::done(data.len())
    }

    fn on_gap(&mut self, _: Direction, _: u64, _: &mut Output) {}

    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

type LimitHit = Option<(&'static str, u64)>;

/// Parse one message into a record; also says whether a limit was hit and whether the options
/// ended without their END option (a truncated message: the record is kept, and flagged).
fn parse(data: &[u8], limits: &DhcpLimits) -> Result<(DhcpRecord, LimitHit, bool), &'static str> {
    let (h, opts_area) = parser::header(data)?;
    let mut opts: Vec<RawOption<'_>> = Vec::new();
    let mut limit_hit = None;
    let first = parser::options(opts_area, limits.max_options, &mut opts)?;
    let mut hit = first == parser::AreaEnd::Limit;
    // Option 52 (RFC 2131 §4.1): 1 = `file` holds options, 2 = `sname`, 3 = both, `file` first.
    // Options inside those fields cannot overload again: one pass, bounded.
    let overload = opts.iter().find(|o| o.code == 52).and_then(|o| o.value.first().copied());
    if let Some(v) = overload {
        for (bit, area) in [(1u8, h.file), (2u8, h.sname)] {
            if v & bit != 0 && !hit {
                let end = parser::options(area, limits.max_options, &mut opts).map_err(|_| "dhcp.overload_option_truncated")?;
                hit = end == parser::AreaEnd::Limit;
            }
        }
    }
    if hit {
        limit_hit = Some(("dhcp.max_options", limits.max_options as u64));
    }
    let missing_end = first == parser::AreaEnd::NoEnd;
    let mut r = DhcpRecord {
        kind: if h.op == 1 { "request" } else { "reply" },
        id: h.xid,
        client_mac: (h.htype == 1 && h.hlen == 6).then(|| parser::colon_hex(&h.chaddr[..6])),
        client_ip: h.ciaddr,
        assigned_ip: h.yiaddr,
        relay_ip: h.giaddr,
        next_server_ip: h.siaddr,
        dhcp_type: None,
        hostname: None,
        fqdn: None,
        vendor_class_identifier: None,
        params: Vec::new(),
        parameter_request_list: Vec::new(),
        client_id: None,
        requested_ip: None,
        server_id: None,
        lease_time: None,
        renewal_time: None,
        rebinding_time: None,
        subnet_mask: None,
        routers: Vec::new(),
        dns_servers: Vec::new(),
        domain_name: None,
        options: opts.iter().map(|o| o.code).collect(),
    };
    let t = limits.max_text;
    for o in &opts {
        let v = o.value;
        match o.code {
            1 => r.subnet_mask = parser::one_ip(v),
            3 => r.routers = parser::ip_list(v).unwrap_or_default(),
            6 => r.dns_servers = parser::ip_list(v).unwrap_or_default(),
            12 if !v.is_empty() => r.hostname = Some(parser::text(v, t)),
            15 if !v.is_empty() => r.domain_name = Some(parser::text(v, t)),
            50 => r.requested_ip = parser::one_ip(v),
            51 => r.lease_time = parser::u32_value(v),
            53 => r.dhcp_type = v.first().map(|m| parser::message_type(*m)),
            54 => r.server_id = parser::one_ip(v),
            55 => {
                r.parameter_request_list = v.to_vec();
                r.params = v.iter().filter_map(|c| parser::param_name(*c)).map(str::to_string).collect();
            }
            58 => r.renewal_time = parser::u32_value(v),
            59 => r.rebinding_time = parser::u32_value(v),
            60 if !v.is_empty() => r.vendor_class_identifier = Some(parser::text(v, t)),
            61 if !v.is_empty() => {
                // Type 1 (Ethernet) with a 6-byte address: the address alone (RFC 2132 §9.14).
                r.client_id = Some(if v[0] == 1 && v.len() == 7 { parser::colon_hex(&v[1..]) } else { parser::colon_hex(v) });
            }
            81 if v.len() >= 3 => r.fqdn = Some(fqdn(v, t)),
            _ => {}
        }
    }
    Ok((r, limit_hit, missing_end))
}

/// RFC 4702 §2: flags, two obsolete RCODE octets, then the name (wire format if E is set).
fn fqdn(v: &[u8], max: usize) -> DhcpFqdn {
    let flags = v[0];
    let name = &v[3..];
    let text = if flags & 0x04 != 0 {
        let mut labels: Vec<String> = Vec::new();
        let mut at = 0;
        while at < name.len() && labels.len() < 128 {
            let len = usize::from(name[at]);
            if len == 0 || len > 63 || at + 1 + len > name.len() {
                break;
            }
            labels.push(String::from_utf8_lossy(&name[at + 1..at + 1 + len]).into_owned());
            at += 1 + len;
        }
        labels.join(".")
    } else {
        parser::text(name, max)
    };
    let mut text = text;
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    DhcpFqdn { flags, name: text }
}

/// Fuzz entry point: any bytes as one datagram each way. Records must serialise, and their
/// text fields must respect the limits.
pub fn fuzz(data: &[u8]) {
    let limits = Limits::default();
    for dir in Direction::BOTH {
        let mut d = (INFO.new)(Transport::Udp, &limits);
        let mut out = Output::default();
        let p = d.on_data(dir, data, &mut out);
        assert_eq!(p.consumed, data.len(), "a datagram is consumed whole");
        assert!(out.records.len() + out.events.len() >= 1, "every datagram yields a record or an event");
        for (_, r) in &out.records {
            let Record::Dhcp(r) = r else { panic!("not dhcp") };
            let max = limits.dhcp.max_text * 3; // lossy decoding may widen bytes to U+FFFD
            for s in [&r.hostname, &r.vendor_class_identifier, &r.domain_name].into_iter().flatten() {
                assert!(s.len() <= max);
            }
            assert!(r.options.len() <= limits.dhcp.max_options);
            let json = serde_json::to_string(r).expect("record serialises");
            assert!(json.starts_with('{'));
        }
    }
}
