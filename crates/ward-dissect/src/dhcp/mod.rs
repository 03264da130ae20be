//! DHCP and BOOTP (RFC 2131, RFC 951) with the options of RFC 2132, the client FQDN option of
//! RFC 4702 and option overload (RFC 2131 §4.1, option 52): `file` and `sname` carrying options.
//!
//! DHCP is the richest passive fingerprint a device gives away: its host name (12), vendor class
//! (60), parameter request list (55), client identifier (61) and FQDN (81). One UDP datagram is
//! one message; there is no per-flow state beyond counting.

mod parser;
mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::{DhcpFqdn, DhcpRecord};
pub use session::{DhcpLimits, INFO, fuzz};
