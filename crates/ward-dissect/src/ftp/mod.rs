//! FTP control connections (RFC 959; AUTH TLS, RFC 4217): commands and replies.
//!
//! Medical devices and PACS still export logs and images over FTP with a password in cleartext.
//! Records say that USER and PASS were sent, and how the login went, never their values or the
//! names of files.

mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::FtpRecord;
pub use session::{FtpLimits, INFO, fuzz};
