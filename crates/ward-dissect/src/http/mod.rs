//! HTTP/1.0 and HTTP/1.1 (RFC 9110 semantics, RFC 9112 message syntax).
//!
//! Per direction: a start line, the header section, then the body framed as RFC 9112 §6.3
//! says (HEAD, 1xx, 204 and 304 without body; chunked bodies de-chunked; Content-Length;
//! responses without a length end at close). Persistent connections and pipelining are
//! followed, the n-th response matched to the n-th request (`tx_id`). CONNECT and Upgrade
//! (`websocket`, `h2c`) switch the connection: HTTP/1 parsing continues only if HTTP/1 follows
//! (as after a refused upgrade, or a proxy that speaks HTTP inside its tunnel).
//!
//! Records carry the request line (path without its query, parameter count only), status,
//! the identifying headers (User-Agent, Server, X-Powered-By, Host, Location host), framing
//! headers, the authentication *scheme* and cookie *counts*, never a credential or cookie
//! value. Bodies are never kept: a bounded prefix is scanned for patient identity (FHIR
//! JSON/XML, HL7 v2, DICOM files) and only indicator names are reported.

mod parser;
mod record;
mod scan;
mod session;
#[cfg(test)]
mod tests;

pub use record::HttpRecord;
pub use session::{HttpLimits, INFO, fuzz};
