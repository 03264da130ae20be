//! MQTT 3.1 (MQIsdp), 3.1.1 (OASIS 2014) and 5.0 (OASIS 2019): every control packet, frames split
//! across TCP segments or packed several to a segment, v5 properties by name.
//!
//! Infusion pumps, monitors and gateways publish telemetry over MQTT, often without TLS and with
//! passwords in CONNECT. Records say whether a username and a password were sent, never their
//! values, and give payload sizes, never payloads.

mod parser;
mod record;
mod session;
#[cfg(test)]
mod tests;

pub use record::{MqttRecord, MqttTopic};
pub use session::{INFO, MqttLimits, fuzz};
