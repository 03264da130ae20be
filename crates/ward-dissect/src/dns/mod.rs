//! DNS messages (RFC 1035 §4: header §4.1.1, questions §4.1.2, resource records §4.1.3,
//! compression §4.1.4, UDP §4.2.1 and TCP §4.2.2 with its two-octet length prefix), with the
//! RDATA of A and NS, CNAME, SOA, PTR, MX, TXT (§3.3, §3.4.1), AAAA (RFC 3596 §2.2) and SRV
//! (RFC 2782) decoded, the OPT pseudo-record (RFC 6891 §6.1) stepped over, and mDNS's
//! unicast-response bit (RFC 6762 §5.4) shown; other types give their number and RDLENGTH.
//! Also mDNS (port 5353) and LLMNR (5355), which share the message format.
//!
//! DNS names the devices: answers tie addresses to names (A, AAAA, PTR) and mDNS carries devices
//! announcing themselves and their services (PTR, SRV, TXT). Output follows Suricata's EVE `dns`
//! v3 object (see `record.rs`). Names are bounded in length and in compression pointers, which
//! must point strictly backwards (so no loop); over TCP a gap loses the framing and that
//! direction stops (`LostSync`) rather than guessing.

mod parser;
mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::{DnsAnswer, DnsQuery, DnsRecord, DnsSoa, DnsSrv};
pub use session::{DnsLimits, INFO, fuzz};
