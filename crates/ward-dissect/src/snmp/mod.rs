//! SNMP v1, v2c and v3 (RFC 1157, RFC 3416, RFC 3412) over UDP.
//!
//! Medical devices answer SNMP v1/v2c with a community string that is a password in cleartext,
//! often the default. Records say whether one was sent and whether it is a default, never its
//! value; responses give the device's sysDescr, sysObjectID and sysName, which identify it.

mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::SnmpRecord;
pub use session::{INFO, SnmpLimits, fuzz};
