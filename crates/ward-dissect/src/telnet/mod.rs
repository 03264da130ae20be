//! Telnet (RFC 854, RFC 855): option negotiation and logins, passively.
//!
//! Infusion pumps, monitors and their gateways still offer Telnet service ports. Records say that
//! a user name and a password were typed and how the login ended, never what was typed; the
//! pre-login banner is kept as a device clue.

mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::TelnetRecord;
pub use session::{INFO, TelnetLimits, fuzz};
