//! Ward's packet engine.
//!
//! Bytes become records become an inventory, in one direction only:
//! [`capture`] reads pcap, pcapng or a live interface as a stream; [`decode`] takes frames
//! apart down to the transport layer; [`defrag`] rebuilds fragmented datagrams; [`flow`] keeps a
//! bounded table of flows with timeouts; [`tcp`] reassembles each direction of a TCP stream;
//! the [`engine`] hands streams to the dissectors of `ward-dissect` and their records, with the
//! flows themselves, to the [`inventory`]; [`analyze`] runs all of it over capture files and
//! builds the versioned report.
//!
//! This crate does not store, serve or render anything: those are other crates' jobs.
#![deny(missing_docs)]

pub mod analyze;
pub mod capture;
pub mod decode;
pub mod defrag;
pub mod engine;
pub mod findings;
pub mod fingerprint;
pub mod flow;
pub mod fuzzing;
pub mod inventory;
mod learn;
pub mod oui;
pub mod records;
pub mod tcp;

pub use engine::{Engine, EngineConfig};
