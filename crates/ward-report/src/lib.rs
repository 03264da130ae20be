//! Renders an [`AnalyzeReport`] for people and programs: a terminal table, versioned JSON, or
//! one self-contained HTML file. Rendering only: nothing here computes facts about traffic.
#![deny(missing_docs)]

mod html;
mod json;
mod table;

use std::io::{self, Write};
use ward_model::report::AnalyzeReport;

pub use html::write_html;
pub use table::write_table;

/// The JSON document, pretty-printed (exactly as `serde_json::to_writer_pretty` writes it),
/// newline-terminated.
pub fn write_json(report: &AnalyzeReport, w: impl Write) -> io::Result<()> {
    // Streamed through one large buffer: the serialiser's many small writes then stay inlined
    // copies (a `dyn Write` per token costs more than the serialising), and no report-sized
    // `Vec` is grown by doubling (a 100k-flow report is ~80 MB: the reallocations cost more
    // than the serialising and double the peak memory). The flow summaries, most of the
    // document, are written by hand (`json.rs`).
    let mut buf = io::BufWriter::with_capacity(1 << 20, w);
    json::write_report(&mut buf, report)?;
    buf.flush()
}

/// `1.2 MB`, `512 B`.
#[must_use]
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}

/// The address shown for an asset: its first IP, else its MAC, else its id.
#[must_use]
pub fn asset_label(a: &ward_model::report::Asset) -> String {
    a.ips.first().map(ToString::to_string).or_else(|| a.mac.clone()).unwrap_or_else(|| a.id.clone())
}
