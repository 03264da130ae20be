//! DHCP and BOOTP: the fixed header of RFC 2131 §2 (figure 1, table 1) with the magic cookie of
//! §3; the options of RFC 2132 (pad and end §3.1-§3.2, and by number 1, 3, 6, 12, 15, 50, 51,
//! 53-56, 58-61), the user class of RFC 3004 (77) and the client FQDN of RFC 4702 (81, in its
//! ASCII and its DNS wire encoding); and option overload (RFC 2131 §4.1, RFC 2132 §9.3): the
//! `file` then `sname` fields read as options when option 52 says so, once each. Other options
//! are listed by code. Long options split over several instances (RFC 3396) are not joined:
//! the first instance is kept and the repeat is reported.
//!
//! DHCP is the richest passive fingerprint a device gives away (host name, vendor class,
//! parameter request list, client identifier, FQDN) and it ties a MAC to an address. One UDP
//! datagram is one message; a message without the fixed header and the cookie is reported
//! malformed and gives no record; a damaged option area keeps the options read before it.
//! Output follows Suricata's EVE `dhcp` object (see `record.rs`).

mod parser;
mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::{DhcpFqdn, DhcpRecord};
pub use session::{DhcpLimits, INFO, fuzz};
