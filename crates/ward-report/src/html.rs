//! One self-contained HTML page: no scripts, no external assets, every value escaped.

use crate::{asset_label, human_bytes};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use ward_model::report::AnalyzeReport;

/// Escape text for HTML element content and quoted attributes.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1b1f24;background:#fbfbfc}\
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .5em;border-bottom:1px solid #d0d7de}\
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}\
th{background:#f3f4f6;position:sticky;top:0}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.muted{color:#57606a}.warn{color:#9a6700}.bar{background:#3b82f6;height:10px;border-radius:2px}\
code{font-size:12px}.tag{display:inline-block;background:#eef2ff;border-radius:3px;padding:0 4px;margin:1px;font-size:12px}\
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.6em 1em}\
.card b{display:block;font-size:1.4em}";

/// Write the report as an HTML page.
pub fn write_html(r: &AnalyzeReport, mut w: impl Write) -> io::Result<()> {
    let mut h = String::with_capacity(64 * 1024);
    let c = &r.capture;
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Ward analyze report</title>\
         <meta name=\"generator\" content=\"{} {}\"><style>{STYLE}</style></head><body>",
        esc(&r.generator.name),
        esc(&r.generator.version)
    );
    let files: Vec<String> = c.files.iter().map(|f| esc(&f.path)).collect();
    let _ = write!(h, "<h1>Ward analyze report</h1><p class=\"muted\">{} &middot; schema <code>{}</code></p>", files.join(", "), esc(&r.schema));
    let span = match (c.first_timestamp, c.last_timestamp) {
        (Some(a), Some(b)) => format!("{a} &ndash; {b}"),
        _ => "no packets".into(),
    };
    let _ = write!(
        h,
        "<div class=\"cards\"><div class=\"card\"><b>{}</b>assets</div><div class=\"card\"><b>{}</b>packets</div>\
         <div class=\"card\"><b>{}</b>captured</div><div class=\"card\"><b>{}</b>flows</div><div class=\"card\"><b>{}</b>findings</div></div>\
         <p class=\"muted\">{span}</p>",
        r.assets.len(),
        c.packets,
        human_bytes(c.bytes),
        r.flows.len() as u64 + r.flows_omitted,
        r.findings.len()
    );
    for f in &c.files {
        if let Some(e) = &f.error {
            let _ = write!(h, "<p class=\"warn\">{}: {}</p>", esc(&f.path), esc(&e.message));
        }
    }
    if c.decode_errors > 0 {
        let kinds: Vec<String> = c.decode_error_kinds.iter().map(|(k, v)| format!("{}={v}", esc(k))).collect();
        let _ = write!(h, "<p class=\"warn\">{} packets could not be fully decoded: {}</p>", c.decode_errors, kinds.join(", "));
    }

    h.push_str("<h2>Inventory</h2><table><tr><th>Address</th><th>MAC</th><th>Vendor</th><th>Names</th><th>Device</th><th>Identifiers</th><th>Serves</th><th>Uses</th><th>Peers</th><th>Packets</th><th>Bytes</th><th>First seen</th><th>Last seen</th></tr>");
    for a in &r.assets {
        let ips: Vec<String> = a.ips.iter().map(|i| esc(&i.to_string())).collect();
        let tags = |v: &[String]| v.iter().map(|s| format!("<span class=\"tag\">{}</span>", esc(s))).collect::<String>();
        let _ = write!(
            h,
            "<tr id=\"{}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.id),
            if ips.is_empty() { "&ndash;".into() } else { ips.join("<br>") },
            esc(a.mac.as_deref().unwrap_or("-")),
            esc(a.vendor.as_deref().unwrap_or("-")),
            esc(&a.hostnames.join(", ")),
            device_cell(&a.device),
            tags(&identifiers(a)),
            tags(&a.protocols.server),
            tags(&a.protocols.client),
            a.peer_count,
            a.packets,
            human_bytes(a.bytes),
            a.first_seen,
            a.last_seen
        );
    }
    h.push_str("</table>");

    h.push_str("<h2>Protocol mix</h2><table><tr><th>Service</th><th>Flows</th><th>Packets</th><th>Bytes</th><th style=\"width:40%\">Share of bytes</th></tr>");
    let total: u64 = r.protocols.iter().map(|p| p.bytes).sum::<u64>().max(1);
    for p in &r.protocols {
        let pct = p.bytes as f64 * 100.0 / total as f64;
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><div class=\"bar\" style=\"width:{pct:.1}%\"></div></td></tr>",
            esc(&p.service),
            p.flows,
            p.packets,
            human_bytes(p.bytes)
        );
    }
    h.push_str("</table>");

    h.push_str("<h2>Who talks to whom</h2>");
    talk_graph(&mut h, r);
    h.push_str("<table><tr><th>Client</th><th>Server</th><th>Services</th><th>Flows</th><th>Packets</th><th>Bytes</th></tr>");
    let names: HashMap<&str, String> = r
        .assets
        .iter()
        .map(|a| {
            let label = a.hostnames.first().map_or_else(|| asset_label(a), |n| format!("{} ({n})", asset_label(a)));
            (a.id.as_str(), label)
        })
        .collect();
    let label = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    for cv in r.conversations.iter().take(500) {
        let _ = write!(
            h,
            "<tr><td><a href=\"#{}\">{}</a></td><td><a href=\"#{}\">{}</a></td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&cv.client),
            esc(&label(&cv.client)),
            esc(&cv.server),
            esc(&label(&cv.server)),
            esc(&cv.services.join(", ")),
            cv.flows,
            cv.packets,
            human_bytes(cv.bytes)
        );
    }
    h.push_str("</table>");
    if r.conversations.len() > 500 {
        let _ = write!(h, "<p class=\"muted\">{} more pairs in the JSON report.</p>", r.conversations.len() - 500);
    }
    let _ = write!(h, "<h2>Findings</h2><p class=\"muted\">{} findings.</p>", r.findings.len());
    if !r.findings.is_empty() {
        h.push_str("<table><tr><th>Severity</th><th>Finding</th><th>Evidence</th><th>Remediation</th><th>Seen</th></tr>");
        for f in &r.findings {
            let ev: String = f.evidence.iter().map(|(k, v)| format!("<b>{}</b>: {}<br>", esc(k), esc(v))).collect();
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{ev}</td><td>{}</td><td>{} &times;<br>{} &ndash; {}</td></tr>",
                esc(&format!("{:?}", f.severity)),
                esc(&f.title),
                esc(&f.remediation),
                f.count,
                f.first_seen,
                f.last_seen
            );
        }
        h.push_str("</table>");
    }
    h.push_str("</body></html>\n");
    w.write_all(h.as_bytes())
}

/// An SVG of the busiest assets on a circle, with a line per conversation, thicker for more bytes.
fn talk_graph(h: &mut String, r: &AnalyzeReport) {
    const MAX_NODES: usize = 40;
    let mut by_bytes: Vec<&ward_model::report::Asset> = r.assets.iter().collect();
    by_bytes.sort_by_key(|a| std::cmp::Reverse(a.bytes));
    by_bytes.truncate(MAX_NODES);
    if by_bytes.len() < 2 {
        return;
    }
    let n = by_bytes.len();
    let (cx, cy, rad) = (450.0f64, 330.0f64, 250.0f64);
    let pos: HashMap<&str, (f64, f64)> = by_bytes
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let t = std::f64::consts::TAU * i as f64 / n as f64;
            (a.id.as_str(), (cx + rad * t.cos(), cy + rad * t.sin()))
        })
        .collect();
    let max = r.conversations.iter().map(|c| c.bytes).max().unwrap_or(1).max(1) as f64;
    let _ = write!(h, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 900 660\" width=\"900\" height=\"660\" role=\"img\" aria-label=\"who talks to whom\">");
    for cv in &r.conversations {
        if let (Some(a), Some(b)) = (pos.get(cv.client.as_str()), pos.get(cv.server.as_str())) {
            let wdt = 0.5 + 5.0 * (cv.bytes as f64 / max).sqrt();
            let _ = write!(
                h,
                "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#3b82f6\" stroke-opacity=\".55\" stroke-width=\"{wdt:.2}\"><title>{} &#8594; {}: {}</title></line>",
                a.0, a.1, b.0, b.1, esc(&cv.client), esc(&cv.server), esc(&cv.services.join(", "))
            );
        }
    }
    for a in &by_bytes {
        let (x, y) = pos[a.id.as_str()];
        let label = a.hostnames.first().cloned().unwrap_or_else(|| asset_label(a));
        let anchor = if x < cx - 1.0 { "end" } else { "start" };
        let dx = if x < cx - 1.0 { -9.0 } else { 9.0 };
        let _ = write!(
            h,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"#1d4ed8\"><title>{}</title></circle><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"{anchor}\">{}</text>",
            esc(&a.id),
            x + dx,
            y + 4.0,
            esc(&label)
        );
    }
    h.push_str("</svg>");
}

/// The device identity, with its evidence as a hover title and a details list.
fn device_cell(d: &ward_model::report::Device) -> String {
    let parts: Vec<&str> = [d.manufacturer.as_deref(), d.model.as_deref(), d.software_version.as_deref()].into_iter().flatten().collect();
    let mut out = format!("<b>{}</b> {} <small>({}%)</small>", esc(&d.kind), esc(&parts.join(" ")), d.confidence);
    if !d.evidence.is_empty() {
        out.push_str("<details><summary>evidence</summary><ul>");
        for e in &d.evidence {
            let says: Vec<String> = e.says.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let _ = write!(out, "<li><code>{}</code> {} &rarr; {} <small>({}; {})</small></li>", esc(&e.clue), esc(&e.value), esc(&says.join(", ")), e.weight, esc(&e.source));
        }
        out.push_str("</ul></details>");
    }
    out
}

/// Protocol identities of an asset: DICOM AE titles, HL7 applications, MQTT client ids, JA4.
fn identifiers(a: &ward_model::report::Asset) -> Vec<String> {
    let mut ids: Vec<String> = a.dicom_ae_titles.iter().map(|t| format!("AE {t}")).collect();
    ids.extend(a.hl7_applications.iter().map(|t| format!("HL7 {t}")));
    ids.extend(a.mqtt_client_ids.iter().map(|t| format!("MQTT {t}")));
    ids.extend(a.tls_ja4.iter().map(|t| format!("JA4 {t}")));
    ids
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn markup_in_names_is_escaped() {
        assert_eq!(esc("<script>\"x\"&'"), "&lt;script&gt;&quot;x&quot;&amp;&#39;");
        assert_eq!(esc("a\u{0}b"), "a\u{fffd}b");
    }
}
