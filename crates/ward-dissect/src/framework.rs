//! The stream contract every dissector implements.

use crate::Record;
use serde::Serialize;
use ward_model::{AppProtocol, Direction};

/// What a call to [`Dissector::on_data`] did with the bytes it was given.
///
/// `consumed` bytes from the front of the slice are done with; the caller keeps the rest and
/// presents them again, followed by new data, once at least `needed` unconsumed bytes are
/// available (`needed == 0`: call again with any new data). Ignoring a `Progress` is a
/// compile error (`unused_must_use = "deny"`): a dropped result is how parsers lose sync.
#[must_use = "a Progress says how many bytes were consumed; dropping it loses stream sync"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes consumed from the start of the slice (never more than its length).
    pub consumed: usize,
    /// Total unconsumed bytes needed before the next call can make progress (0 if any will do).
    pub needed: usize,
}

impl Progress {
    /// All `len` bytes consumed; call again whenever there is more.
    pub fn done(len: usize) -> Progress {
        Progress { consumed: len, needed: 0 }
    }

    /// `consumed` bytes used; wait until `needed` unconsumed bytes are buffered.
    pub fn need(consumed: usize, needed: usize) -> Progress {
        Progress { consumed, needed }
    }
}

/// How sure a probe is that bytes belong to its protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Certainly not this protocol.
    No,
    /// Cannot tell yet: show me more bytes.
    NeedMore,
    /// Plausible: structure fits, nothing distinctive.
    Low,
    /// Distinctive structure or magic matched.
    High,
}

/// A typed event a dissector raises besides records: malformed input, a peer breaking the
/// protocol, or a configured limit being hit. Events carry names and numbers, never payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DissectEvent {
    /// The protocol that raised it.
    pub protocol: AppProtocol,
    /// Direction of the bytes concerned.
    pub direction: Direction,
    /// What happened.
    #[serde(flatten)]
    pub kind: DissectEventKind,
}

/// What a [`DissectEvent`] is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DissectEventKind {
    /// Bytes do not parse as the protocol; `reason` is a stable identifier.
    Malformed {
        /// Stable identifier, e.g. `dns.label_too_long`.
        reason: &'static str,
    },
    /// The bytes parse, but the peer violates the protocol (e.g. a response with no query).
    PeerMisbehaving {
        /// Stable identifier.
        reason: &'static str,
    },
    /// A configured limit was reached; the excess was skipped, not buffered.
    LimitExceeded {
        /// Name of the field of [`Limits`] (e.g. `dns.max_answers`).
        limit: &'static str,
        /// The value seen (or the limit, when the true value is unknowable).
        value: u64,
    },
    /// The dissector lost framing after a gap and stopped parsing this direction.
    LostSync,
}

/// Where a dissector puts what it finds.
#[derive(Debug, Default)]
pub struct Output {
    /// Records, in the order produced, with the direction of the bytes that completed them.
    pub records: Vec<(Direction, Record)>,
    /// Events, in order.
    pub events: Vec<DissectEvent>,
}

impl Output {
    /// Emit a record.
    pub fn record(&mut self, dir: Direction, record: Record) {
        self.records.push((dir, record));
    }

    /// Emit an event.
    pub fn event(&mut self, protocol: AppProtocol, direction: Direction, kind: DissectEventKind) {
        self.events.push(DissectEvent { protocol, direction, kind });
    }

    /// True if nothing was emitted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.events.is_empty()
    }

    /// Drop everything emitted so far, keeping the allocations.
    pub fn clear(&mut self) {
        self.records.clear();
        self.events.clear();
    }
}

/// Every bound a dissector honours, so that no input makes one buffer or loop without end.
/// Hitting one raises [`DissectEventKind::LimitExceeded`] naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest message a stream dissector may ask to have buffered (`needed`); above it the
    /// driver raises `stream.max_pending` and treats the excess as a gap.
    pub max_pending: usize,
    /// DHCP bounds.
    pub dhcp: crate::dhcp::DhcpLimits,
    /// DNS bounds.
    pub dns: crate::dns::DnsLimits,
    /// HL7 bounds.
    pub hl7: crate::hl7::Hl7Limits,
    /// MQTT bounds.
    pub mqtt: crate::mqtt::MqttLimits,
    /// Dicom bounds.
    pub dicom: crate::dicom::DicomLimits,
    /// Tls bounds.
    pub tls: crate::tls::TlsLimits,
    /// Http bounds.
    pub http: crate::http::HttpLimits,
    /// Telnet bounds.
    pub telnet: crate::telnet::TelnetLimits,
    /// Ftp bounds.
    pub ftp: crate::ftp::FtpLimits,
    /// Snmp bounds.
    pub snmp: crate::snmp::SnmpLimits,
    /// Syslog bounds.
    pub syslog: crate::syslog::SyslogLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pending: 256 * 1024,
            dhcp: Default::default(),
            dns: Default::default(),
            hl7: Default::default(),
            mqtt: Default::default(),
            dicom: Default::default(),
            tls: Default::default(),
            http: Default::default(),
            telnet: Default::default(),
            ftp: Default::default(),
            snmp: Default::default(),
            syslog: Default::default(),
        }
    }
}

/// A per-flow protocol parser fed by the sensor.
///
/// For TCP, `on_data` sees the reassembled stream of one direction: the caller keeps whatever
/// is not consumed and presents it again with the next bytes (see [`Progress`]). For UDP,
/// each call is exactly one datagram and the dissector consumes all of it.
pub trait Dissector: Send + std::fmt::Debug {
    /// Bytes arrived in direction `dir`.
    fn on_data(&mut self, dir: Direction, data: &[u8], out: &mut Output) -> Progress;

    /// `len` bytes of direction `dir` are missing (capture loss). Any partially buffered
    /// message in that direction is gone; the dissector resynchronises or stops that direction.
    fn on_gap(&mut self, dir: Direction, len: u64, out: &mut Output);

    /// No more bytes will come in direction `dir`.
    fn on_eof(&mut self, dir: Direction, out: &mut Output);
}
