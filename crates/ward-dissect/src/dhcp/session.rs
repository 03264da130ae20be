//! The DHCP dissector: one datagram is one message (RFC 2131 §4.1), the same code for both
//! directions, and no state carried from one message to the next.

use super::parser;
use super::record::DhcpRecord;
use crate::registry::DissectorInfo;
use crate::{Confidence, DissectEventKind, Dissector, Limits, Output, Progress, Record};
use ward_model::{AppProtocol, Direction, Transport};

/// Bounds on DHCP parsing. Hitting one raises `LimitExceeded` with `dhcp.<field>`; what lies
/// beyond is counted or skipped, never kept, and the rest of the message is still read.
///
/// The defaults are the most a well-formed message can carry where the RFCs fix one (an
/// option value is at most 255 octets, so 63 addresses), so that they never cut real traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpLimits {
    /// Options decoded per message, over the options field and the overloaded `file` and
    /// `sname` fields together (pad and end not counted); further ones are only counted.
    pub max_options: usize,
    /// Overloaded fields read as options when option 52 asks (RFC 2131 §4.1): 2 reads `file`
    /// and `sname`, 1 only `file`, 0 ignores option 52.
    pub max_option_overload_passes: usize,
    /// Octets kept of any text or identifier value (host name, vendor class, domain, message,
    /// user class, FQDN, client identifier, server name, boot file name).
    pub max_text_len: usize,
    /// Addresses kept per address-list option (routers, DNS servers).
    pub max_addresses: usize,
}

impl Default for DhcpLimits {
    fn default() -> Self {
        DhcpLimits {
            // A 1500-octet datagram holds at most ~700 two-octet options; real clients and
            // servers send 5 to 30.
            max_options: 255,
            max_option_overload_passes: 2,
            max_text_len: 255,
            max_addresses: 63,
        }
    }
}

/// Registry entry.
pub const INFO: DissectorInfo = DissectorInfo {
    protocol: AppProtocol::Dhcp,
    transports: &[Transport::Udp],
    // Server and client ports (RFC 2131 §4.1).
    ports: &[67, 68],
    probe,
    new: |_, limits| Box::new(DhcpSession::new(&limits.dhcp)),
};

/// Is this datagram BOOTP/DHCP? A plausible fixed header with the magic cookie after it is
/// unmistakable; a plausible header alone (RFC 951 BOOTP, or anything 236 octets long starting
/// with 1 or 2) is only a hint. A datagram is whole, so a short one is simply not DHCP.
fn probe(_: Transport, _: Direction, data: &[u8]) -> Confidence {
    let Ok(h) = parser::fixed_header(data) else { return Confidence::No };
    if !parser::plausible(&h) {
        return Confidence::No;
    }
    if parser::options_field(data).is_ok() { Confidence::High } else { Confidence::Low }
}

/// A DHCP "flow" (client port 68 to server port 67, often broadcast): each datagram stands
/// alone, so the session holds only its limits.
#[derive(Debug)]
struct DhcpSession {
    limits: DhcpLimits,
}

impl DhcpSession {
    fn new(limits: &DhcpLimits) -> DhcpSession {
        DhcpSession { limits: limits.clone() }
    }

    /// One whole message: its events, then its record.
    fn message(&self, dir: Direction, msg: &[u8], out: &mut Output) {
        let parsed = parser::message(msg, &self.limits);
        for kind in parsed.findings.events {
            out.event(AppProtocol::Dhcp, dir, kind);
        }
        if let Some(r) = parsed.record {
            out.record(dir, Record::Dhcp(r));
        }
    }
}

impl Dissector for DhcpSession {
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress {
        self.message(dir, data, out);
        Progress::done(data.len())
    }

    // Nothing spans datagrams: a lost one is simply not seen, and the next stands alone.
    fn on_gap(&mut self, _: Direction, _: u64, _: &mut Output) {}

    fn on_eof(&mut self, _: Direction, _: &mut Output) {}
}

/// Fuzz entry point (`fuzz/fuzz_targets/dhcp.rs`). Runs `data` as one datagram in each
/// direction, with default limits and with tiny ones. Asserts: no panic; the datagram is
/// consumed whole; it yields a record or an event, never more than one record, and the same
/// ones whichever direction it travels; a record's header fields are the datagram's own
/// octets; every record re-serialises to JSON; no text is longer, and no list holds more,
/// than the limits allow; every event names a `dhcp.` reason or limit.
///
/// # Panics
///
/// When a property fails: that is the point of a fuzz target.
pub fn fuzz(data: &[u8]) {
    let tiny = DhcpLimits { max_options: 2, max_option_overload_passes: 1, max_text_len: 4, max_addresses: 1 };
    for dhcp in [DhcpLimits::default(), tiny] {
        let limits = Limits { dhcp, ..Limits::default() };
        let mut seen: Vec<Output> = Vec::new();
        for dir in Direction::BOTH {
            let mut d = (INFO.new)(Transport::Udp, &limits);
            let mut out = Output::default();
            let p = d.on_data(dir, data, &mut out);
            assert_eq!(p, Progress::done(data.len()), "a datagram is consumed whole");
            assert!(!out.is_empty(), "a datagram yields a record or an event");
            assert!(out.records.len() <= 1, "one datagram, {} records", out.records.len());
            for e in &out.events {
                assert_eq!((e.protocol, e.direction), (AppProtocol::Dhcp, dir), "{e:?}");
                let name = match e.kind {
                    DissectEventKind::Malformed { reason } | DissectEventKind::PeerMisbehaving { reason } => reason,
                    DissectEventKind::LimitExceeded { limit, .. } => limit,
                    _ => panic!("unexpected event {e:?}"),
                };
                assert!(name.starts_with("dhcp."), "event {e:?}");
            }
            for (rdir, r) in &out.records {
                assert_eq!(*rdir, dir);
                let Record::Dhcp(r) = r else { panic!("a DHCP dissector produced {r:?}") };
                check_record(r, data, &limits.dhcp);
            }
            seen.push(out);
        }
        if let [a, b] = &seen[..] {
            let records = |o: &Output| o.records.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>();
            let events = |o: &Output| o.events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>();
            assert_eq!(records(a), records(b), "the direction changed the record");
            assert_eq!(events(a), events(b), "the direction changed the events");
        }
    }
}

fn check_record(r: &DhcpRecord, data: &[u8], limits: &DhcpLimits) {
    let json = serde_json::to_string(r).unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert!(value.get("type").is_some() && value.get("options").is_some(), "record does not re-serialise: {r:?}");
    // No record without the whole fixed header and the cookie, and its fields are those octets.
    assert!(data.len() >= parser::FIXED_LEN + 4 && data.get(236..240) == Some(&parser::MAGIC_COOKIE[..]));
    assert_eq!(data.get(4..8).and_then(|x| <[u8; 4]>::try_from(x).ok()).map(u32::from_be_bytes), Some(r.id));
    assert_eq!(r.kind, if data.first() == Some(&1) { "request" } else { "reply" });
    if let Some(mac) = &r.client_mac {
        assert_eq!(data.get(1..3), Some(&[1u8, 6][..]));
        assert_eq!(Some(mac.as_str()), data.get(28..34).map(parser::colon_hex).as_deref());
    }
    // Lossy decoding may widen an octet to U+FFFD (3 octets); colon hex is 3 characters an octet.
    let max = 3 * limits.max_text_len;
    let texts = [&r.hostname, &r.vendor_class_identifier, &r.domain_name, &r.message, &r.server_name, &r.boot_file, &r.client_id];
    for s in texts.into_iter().flatten().chain(&r.user_class).chain(r.fqdn.as_ref().map(|q| &q.name)) {
        assert!(s.len() <= max, "{} octets of text kept with max_text_len {}: {s:?}", s.len(), limits.max_text_len);
    }
    assert!(r.options.len() <= limits.max_options, "{} options kept", r.options.len());
    assert!(r.routers.len() <= limits.max_addresses && r.dns_servers.len() <= limits.max_addresses);
    assert!(r.params.len() <= r.parameter_request_list.len());
}
