//! The terminal view: a summary, the inventory, the protocol mix and the busiest pairs.

use crate::{asset_label, human_bytes};
use std::io::{self, Write};
use ward_model::report::AnalyzeReport;

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn row(w: &mut dyn Write, cells: &[String], widths: &[usize]) -> io::Result<()> {
    let mut line = String::new();
    for (i, (c, wd)) in cells.iter().zip(widths).enumerate() {
        let c = cut(c, *wd);
        if i + 1 == cells.len() {
            line.push_str(&c);
        } else {
            line.push_str(&format!("{c:<wd$}  ", wd = *wd));
        }
    }
    writeln!(w, "{}", line.trim_end())
}

/// Write the report as plain-text tables.
pub fn write_table(r: &AnalyzeReport, mut w: impl Write) -> io::Result<()> {
    let w: &mut dyn Write = &mut w;
    let c = &r.capture;
    let span = match (c.first_timestamp, c.last_timestamp) {
        (Some(a), Some(b)) => format!("{a} .. {b}"),
        _ => "no packets".into(),
    };
    writeln!(w, "Ward analyze: {} file(s), {} packets, {}, {}", c.files.len(), c.packets, human_bytes(c.bytes), span)?;
    for f in &c.files {
        if let Some(e) = &f.error {
            writeln!(w, "  warning: {}: {}", f.path, e.message)?;
        }
    }
    if c.decode_errors > 0 {
        let kinds: Vec<String> = c.decode_error_kinds.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(w, "  decode errors: {} ({})", c.decode_errors, kinds.join(", "))?;
    }
    let e = &c.evictions;
    if e.flows + e.fragments + e.reassembly_segments + e.assets > 0 {
        writeln!(
            w,
            "  evicted to stay within memory bounds: {} flows, {} fragment trains, {} TCP segments, {} assets",
            e.flows, e.fragments, e.reassembly_segments, e.assets
        )?;
    }
    writeln!(w)?;
    writeln!(w, "Assets ({})", r.assets.len())?;
    let widths = [39, 17, 28, 30, 22, 22, 8, 9];
    row(
        w,
        &["ADDRESS", "MAC", "VENDOR", "NAMES", "SERVES", "USES", "PACKETS", "BYTES"].map(String::from),
        &widths,
    )?;
    for a in &r.assets {
        row(
            w,
            &[
                asset_label(a),
                a.mac.clone().unwrap_or_else(|| "-".into()),
                a.vendor.clone().unwrap_or_else(|| "-".into()),
                if a.hostnames.is_empty() { "-".into() } else { a.hostnames.join(",") },
                if a.protocols.server.is_empty() { "-".into() } else { a.protocols.server.join(",") },
                if a.protocols.client.is_empty() { "-".into() } else { a.protocols.client.join(",") },
                a.packets.to_string(),
                human_bytes(a.bytes),
            ],
            &widths,
        )?;
        if a.ips.len() > 1 {
            let more: Vec<String> = a.ips[1..].iter().map(ToString::to_string).collect();
            writeln!(w, "  also {}", more.join(", "))?;
        }
    }
    writeln!(w)?;
    writeln!(w, "Devices")?;
    let dw = [39, 22, 22, 22, 18, 5, 40];
    row(w, &["ADDRESS", "KIND", "MANUFACTURER", "MODEL", "SOFTWARE", "CONF", "IDENTIFIERS"].map(String::from), &dw)?;
    for a in r.assets.iter().filter(|a| a.device.kind != "unknown" || a.device.manufacturer.is_some()) {
        let d = &a.device;
        let mut ids: Vec<String> = a.dicom_ae_titles.iter().map(|t| format!("AE {t}")).collect();
        ids.extend(a.hl7_applications.iter().map(|t| format!("HL7 {t}")));
        ids.extend(a.mqtt_client_ids.iter().map(|t| format!("MQTT {t}")));
        ids.extend(d.components.iter().cloned());
        let name = a.hostnames.first().map_or_else(|| asset_label(a), |h| format!("{} ({h})", asset_label(a)));
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        row(
            w,
            &[name, d.kind.clone(), dash(&d.manufacturer), dash(&d.model), dash(&d.software_version), d.confidence.to_string(), if ids.is_empty() { "-".into() } else { ids.join(", ") }],
            &dw,
        )?;
    }
    writeln!(w)?;
    writeln!(w, "Protocols")?;
    let pw = [16, 8, 10, 10];
    row(w, &["SERVICE", "FLOWS", "PACKETS", "BYTES"].map(String::from), &pw)?;
    for p in r.protocols.iter().take(15) {
        row(w, &[p.service.clone(), p.flows.to_string(), p.packets.to_string(), human_bytes(p.bytes)], &pw)?;
    }
    if r.protocols.len() > 15 {
        writeln!(w, "  ... {} more", r.protocols.len() - 15)?;
    }
    writeln!(w)?;
    writeln!(w, "Who talks to whom (busiest {})", r.conversations.len().min(15))?;
    let cw = [30, 30, 24, 6, 10];
    row(w, &["CLIENT", "SERVER", "SERVICES", "FLOWS", "BYTES"].map(String::from), &cw)?;
    let name = |id: &str| -> String {
        r.assets.iter().find(|a| a.id == id).map_or_else(|| id.to_string(), |a| {
            a.hostnames.first().map_or_else(|| asset_label(a), |h| format!("{} ({h})", asset_label(a)))
        })
    };
    for cv in r.conversations.iter().take(15) {
        row(
            w,
            &[name(&cv.client), name(&cv.server), cv.services.join(","), cv.flows.to_string(), human_bytes(cv.bytes)],
            &cw,
        )?;
    }
    writeln!(w)?;
    writeln!(w, "Findings ({})", r.findings.len())?;
    for f in &r.findings {
        writeln!(w, "  [{:?}] {}", f.severity, f.title)?;
        for (k, v) in &f.evidence {
            writeln!(w, "      {k}: {v}")?;
        }
        writeln!(w, "      fix: {}", f.remediation)?;
    }
    writeln!(w)?;
    writeln!(w, "Flows: {} summarised{}; findings: {}", r.flows.len(), if r.flows_omitted > 0 { format!(" ({} more omitted)", r.flows_omitted) } else { String::new() }, r.findings.len())?;
    Ok(())
}
