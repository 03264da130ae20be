//! Running capture files through the engine and building the `ward analyze` report.

use crate::capture::{CaptureReader, CaptureError};
use crate::engine::{Engine, EngineStats};
use crate::inventory::InventoryReport;
use std::collections::BTreeMap;
use std::io::Read;
use ward_model::report::{AnalyzeReport, CaptureError as ReportCaptureError, CaptureFile, CaptureSummary, Evictions, Generator, SCHEMA_VERSION};

/// Progress of a run, reported every few tens of thousands of packets.
#[derive(Debug, Clone, Copy)]
pub struct ProgressUpdate {
    /// Index of the file being read.
    pub file: usize,
    /// Bytes of that file read so far.
    pub offset: u64,
    /// Packets processed in total.
    pub packets: u64,
}

const PROGRESS_EVERY: u64 = 1 << 16;

/// Read one capture stream to its end (or its first damage) through `engine`.
pub fn read_capture(
    name: &str,
    file_index: usize,
    src: impl Read,
    engine: &mut Engine,
    progress: &mut dyn FnMut(ProgressUpdate),
) -> CaptureFile {
    let mut file = CaptureFile { path: name.to_string(), ..CaptureFile::default() };
    let mut reader = match CaptureReader::new(src) {
        Ok(r) => r,
        Err(e) => {
            file.format = "unknown".into();
            file.error = Some(report_error(&e));
            return file;
        }
    };
    file.format = reader.format().name().into();
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => {
                file.packets += 1;
                file.bytes += p.data.len() as u64;
                engine.process(p.ts, p.link, p.data);
                if file.packets.is_multiple_of(PROGRESS_EVERY) {
                    progress(ProgressUpdate { file: file_index, offset: reader.offset(), packets: engine.packets() });
                }
            }
            Ok(None) => break,
            Err(e) => {
                file.error = Some(report_error(&e));
                break;
            }
        }
    }
    progress(ProgressUpdate { file: file_index, offset: reader.offset(), packets: engine.packets() });
    let c = &reader.counters;
    for (what, n) in [
        ("capture.caplen_over_snaplen", c.caplen_over_snaplen),
        ("capture.caplen_over_origlen", c.caplen_over_origlen),
        ("capture.pcapng_unknown_interface", c.unknown_interface),
    ] {
        engine.count_n(what, n);
    }
    file.link_types = reader.link_types().into_iter().map(|l| l.name()).collect();
    file
}

fn report_error(e: &CaptureError) -> ReportCaptureError {
    ReportCaptureError { offset: e.offset, message: e.to_string() }
}

/// Assemble the report from the files read and the finished engine.
#[must_use]
pub fn build_report(files: Vec<CaptureFile>, engine: Engine) -> AnalyzeReport {
    let (stats, inventory) = engine.finish();
    let inv = inventory.into_report();
    assemble(files, stats, inv)
}

fn assemble(files: Vec<CaptureFile>, stats: EngineStats, inv: InventoryReport) -> AnalyzeReport {
    let decode_error_kinds: BTreeMap<String, u64> = stats.decode_errors.iter().map(|(k, v)| ((*k).to_string(), *v)).collect();
    let mut counters: BTreeMap<String, u64> = stats.counters.into_iter().collect();
    if inv.dropped_conversations > 0 {
        counters.insert("inventory.dropped_conversations".into(), inv.dropped_conversations);
    }
    if inv.dropped_findings > 0 {
        counters.insert("inventory.dropped_findings".into(), inv.dropped_findings);
    }
    AnalyzeReport {
        schema: SCHEMA_VERSION.into(),
        generator: Generator { name: "ward".into(), version: env!("CARGO_PKG_VERSION").into() },
        capture: CaptureSummary {
            packets: files.iter().map(|f| f.packets).sum(),
            bytes: files.iter().map(|f| f.bytes).sum(),
            files,
            first_timestamp: stats.first,
            last_timestamp: stats.last,
            decode_errors: decode_error_kinds.values().sum(),
            decode_error_kinds,
            evictions: Evictions {
                flows: stats.evicted_flows,
                fragments: stats.dropped_fragment_trains,
                reassembly_segments: stats.dropped_segments,
                assets: inv.dropped_endpoints,
            },
            counters,
        },
        assets: inv.assets,
        protocols: inv.protocols,
        conversations: inv.conversations,
        flows: inv.flows,
        flows_omitted: inv.flows_omitted,
        findings: inv.findings,
    }
}
