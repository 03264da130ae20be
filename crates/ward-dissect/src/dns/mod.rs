//! DNS (RFC 1035 §4) over UDP and TCP (RFC 1035 §4.2.2, RFC 7766: two-byte length prefix), with
//! AAAA (RFC 3596), SRV (RFC 2782), OPT (RFC 6891, skipped) and the mDNS unicast-response bit
//! (RFC 6762 §5.4). Message compression (§4.1.4) is followed with a bounded pointer count.
//!
//! DNS names the devices: answers tie IPs to names (A, AAAA, PTR), and mDNS/LLMNR carry devices
//! announcing themselves. Over TCP the stream is framed by length; after a gap the framing is
//! lost and that direction stops (`LostSync`) rather than guessing.

mod parser;
mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::{DnsAnswer, DnsQuery, DnsRecord};
pub use session::{DnsLimits, INFO, fuzz};
