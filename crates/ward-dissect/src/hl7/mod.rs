//! HL7 version 2 (v2.1 to v2.8) over MLLP (HL7 v2.5.1 Appendix C, "Lower Layer Protocol").
//!
//! The framer is tolerant the way real interface engines are: start block 0x0B, end block
//! 0x1C 0x0D (a missing CR is accepted), a missing start block or a frame without its end block
//! is reported and recovered from, garbage between frames is skipped and counted, and bare HL7
//! without MLLP is read message by message. Segments may be separated by CR, LF or CRLF; the
//! field separator and encoding characters come from each MSH (custom ones work); escape
//! sequences (§2.7) are decoded in the header fields Ward reports. Batches (FHS/BHS) yield one
//! record per message. ACKs are matched to the message they acknowledge by control id.
//!
//! Records carry the header (applications, facilities, type, trigger, version, control and
//! processing ids, acknowledgement code) and the *names* of the patient-identifying fields that
//! are present (`PID-5`, `NK1-2`...), never their values.

mod parser;
mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::Hl7Record;
pub use session::{Hl7Limits, INFO, fuzz};
