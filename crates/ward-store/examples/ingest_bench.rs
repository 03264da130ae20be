//! The sensor ingest benchmark (`bench/server/ingest.sh`): sensors upload their reports to one
//! store through `Store::ingest`, as `ward server` does for each `POST /api/v1/ingest`, several
//! sensors at once, and this prints observations (asset sightings) per second, batches per
//! second and the batch latency (p50, p95, max: from the call to its acknowledged outcome, after
//! the commit). Not a test: nothing here asserts a time.
//!
//! Scenarios, on a fresh store:
//! - `cold`: every device is new (the first reports of a new deployment);
//! - `steady`: the same devices seen again, cycle after cycle, as sensors reporting every five
//!   minutes do: counters and times move, 1 % of the devices change their software version each
//!   cycle, the findings are seen again.
//!
//! Every cycle's reports are made before the first upload, and the cycles follow each other
//! without a pause. The SQLite writer defers a burst's per-sighting counters and folds them every
//! ten seconds (`IngestTuning`); the time of the folds counts: the cold cycle's row includes its
//! fold (`Store::flush` after it), the last row sums the steady cycles and the final fold, the
//! sustained rate.
//!
//! ```sh
//! cargo run --release -p ward-store --example ingest_bench -- --backend sqlite
//! ```
//!
//! Options: `--backend sqlite|postgres|both` (both), `--devices N` (100000), `--sensors N`
//! concurrent uploaders (8; device i belongs to sensor i mod N), `--per-report N` assets in one
//! report (2500; a sensor sends its devices as consecutive reports of this size), `--cycles N`
//! steady cycles (2), `--findings-every N` (every Nth device has findings in each report: 5),
//! `--seed N` (1), `--dir PATH` for the SQLite file (a new temporary directory), `--out FILE`
//! (also write the table there), `--emit DIR` (write the reports as JSON files instead, for
//! `bench/server/uplink.py`). PostgreSQL: the server in `WARD_BENCH_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`) gets a fresh database `ward_ingest_bench`.
#![allow(clippy::unwrap_used, clippy::too_many_lines, clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)] // reason: a benchmark program, not a library; it panics loudly on a broken setup.

#[path = "hospital/mod.rs"]
mod hospital;

/// The allocator of `ward server` (crates/ward/src/main.rs), whose ingest this measures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use hospital::{FINDING_KINDS, MAKES, Make, Rng, T_END, UNITS, mac, pct};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;
use ward_model::report::{AnalyzeReport, Asset, AssetProtocols, CaptureSummary, Device, DeviceEvidence, DhcpFingerprint, Finding, Generator};
use ward_model::{Severity, Timestamp};
use ward_store::Store;

/// Five minutes, the sensors' reporting interval, in nanoseconds.
const CYCLE_NS: i64 = 300_000_000_000;

struct Opts {
    backends: Vec<String>,
    devices: u64,
    sensors: u64,
    per_report: usize,
    cycles: u64,
    findings_every: u64,
    seed: u64,
    dir: Option<String>,
    out: Option<String>,
    emit: Option<String>,
}

fn opts() -> Opts {
    let mut o = Opts { backends: vec!["sqlite".into(), "postgres".into()], devices: 100_000, sensors: 8, per_report: 2500, cycles: 2, findings_every: 5, seed: 1, dir: None, out: None, emit: None };
    hospital::options("ingest_bench", |a, val| {
        match a {
            "--backend" => o.backends = hospital::backends(&val()),
            "--devices" => o.devices = val().parse().unwrap(),
            "--sensors" => o.sensors = val().parse().unwrap(),
            "--per-report" => o.per_report = val().parse().unwrap(),
            "--cycles" => o.cycles = val().parse().unwrap(),
            "--findings-every" => o.findings_every = val().parse().unwrap(),
            "--seed" => o.seed = val().parse().unwrap(),
            "--dir" => o.dir = Some(val()),
            "--out" => o.out = Some(val()),
            "--emit" => o.emit = Some(val()),
            _ => return false,
        }
        true
    });
    o
}

/// Device `i` as a sensor reports it in cycle `cycle`: the same identity every cycle (drawn from
/// a generator seeded by the device), fresh times and counters, and a software update for 1 % of
/// the devices each steady cycle.
fn asset(i: u64, cycle: u64, seed: u64) -> Asset {
    let mut rng = Rng(seed.wrapping_mul(0x1000_0000_01B3) ^ i);
    let kinds: Vec<(&Make, u32)> = MAKES.iter().map(|m| (m, m.weight)).collect();
    let mk = *rng.weighted(&kinds);
    let (maker, model) = if mk.makers.is_empty() {
        (None, None)
    } else {
        let (m, models) = mk.makers[rng.below(mk.makers.len() as u64) as usize];
        let model = if rng.below(10) < 8 { Some(models[rng.below(models.len() as u64) as usize].to_string()) } else { None };
        (Some(m.to_string()), model)
    };
    let mut version = maker.as_ref().filter(|_| rng.below(10) < 6).map(|_| format!("{}.{}.{}", rng.below(12), rng.below(20), rng.below(100)));
    if cycle > 0 && version.is_some() && (i + cycle).is_multiple_of(100) {
        version = Some(format!("{}.{cycle}.0", 20 + i % 7));
    }
    let confidence = if maker.is_some() { 40 + rng.below(60) as u8 } else { rng.below(30) as u8 };
    let unit = UNITS[rng.below(UNITS.len() as u64) as usize];
    let host = (rng.below(10) < 7).then(|| format!("{unit}-{}-{i:06}.hospital.example", mk.tag));
    let ip: IpAddr = format!("10.{}.{}.{}", (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF).parse().unwrap();
    let mut ips = vec![ip];
    if rng.below(10) < 2 {
        ips.push(format!("fd00::{:x}:{:x}", i >> 16, i & 0xFFFF).parse().unwrap());
    }
    let mac = (rng.below(100) < 95).then(|| mac(i, 0x00_1B_00 + rng.below(64)));
    let dicom = (matches!(mk.kind, "imaging-modality" | "pacs" | "ris") || (mk.kind == "workstation" && rng.below(20) == 0)).then(|| format!("{}_{}_{i}", mk.tag.to_uppercase(), unit.to_uppercase()));
    let peers: Vec<String> = (0..12).map(|_| format!("ip:10.{}.{}.{}", rng.below(2), rng.below(256), rng.below(256))).collect();
    let evidence = vec![
        DeviceEvidence { clue: "oui.vendor".into(), value: maker.clone().unwrap_or_else(|| "unknown".into()), says: BTreeMap::from([("manufacturer".into(), maker.clone().unwrap_or_default())]), weight: 30, source: "IEEE MA-L registry".into() },
        DeviceEvidence { clue: "dhcp.vendor_class".into(), value: format!("{}-{}", mk.tag, rng.below(4)), says: BTreeMap::from([("kind".into(), mk.kind.into())]), weight: 40, source: "vendor documentation".into() },
    ];
    let base = T_END + cycle as i64 * CYCLE_NS;
    let first = base + rng.below(60_000_000_000) as i64;
    let mut t = Rng(i ^ (cycle << 40) ^ seed);
    let last = first + t.below(240_000_000_000) as i64;
    let packets = 10 + t.below(20_000);
    Asset {
        id: mac.as_ref().map_or_else(|| format!("ip:{ip}"), |m| format!("mac:{m}")),
        mac,
        ips,
        vendor: maker.clone(),
        hostnames: host.into_iter().collect(),
        protocols: AssetProtocols { client: vec!["dns".into(), "dhcp".into(), "hl7".into()], server: if dicom.is_some() { vec!["dicom".into(), "tls".into()] } else { vec!["tls".into()] } },
        peers,
        peer_count: 12 + rng.below(200),
        dhcp: Some(DhcpFingerprint { vendor_class: Some(format!("{}-{}", mk.tag, rng.below(4))), parameter_request_list: Some("1,3,6,15,31,33,43,44,46,47,119,121,249,252".into()), client_id: None }),
        hl7_applications: if mk.kind == "patient-monitor" { vec![format!("MONITOR@{}", unit.to_uppercase())] } else { Vec::new() },
        mqtt_client_ids: Vec::new(),
        dicom_ae_titles: dicom.into_iter().collect(),
        tls_ja4: vec![format!("t13d1516h2_8daaf6152771_{:012x}", rng.below(1 << 40))],
        device: Device { kind: mk.kind.into(), manufacturer: maker, model, software_version: version, components: Vec::new(), confidence, evidence },
        first_seen: Timestamp(first as u64),
        last_seen: Timestamp(last as u64),
        packets,
        bytes: packets * (60 + t.below(1400)),
    }
}

/// The findings of device `i` (every `every`th device has one or two, the same each cycle),
/// the first with the report's first asset as its peer.
fn findings(i: u64, a: &Asset, peer: &str, every: u64, out: &mut Vec<Finding>) {
    if every == 0 || !i.is_multiple_of(every) {
        return;
    }
    for n in 0..=(i / every % 2) {
        let (kind, rank, _, protos) = FINDING_KINDS[((i / every + n * 3) % FINDING_KINDS.len() as u64) as usize];
        let proto = protos[(i % protos.len() as u64) as usize];
        let severity = [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical][rank as usize];
        out.push(Finding {
            id: format!("f{i}-{n}"),
            kind: kind.into(),
            severity,
            title: format!("{kind} in {proto} traffic of {}", a.device.kind),
            asset: Some(a.id.clone()),
            peer: (n == 0 && peer != a.id).then(|| peer.to_string()),
            protocol: Some(proto.into()),
            evidence: BTreeMap::from([("fields".into(), "PID-3 patient id, PID-5 patient name".into()), ("port".into(), "2575".into())]),
            remediation: "Move this traffic to an encrypted channel (TLS 1.2+ with a trusted certificate) or isolate the device on a segment without other hosts.".into(),
            first_seen: a.first_seen,
            last_seen: a.last_seen,
            count: 1 + (a.packets % 50),
        });
    }
}

/// One cycle's reports: per sensor, its devices in reports of `per_report`.
fn reports(o: &Opts, cycle: u64) -> Vec<Vec<(String, AnalyzeReport)>> {
    (0..o.sensors)
        .map(|s| {
            let mine: Vec<u64> = (1..=o.devices).filter(|i| i % o.sensors == s).collect();
            mine.chunks(o.per_report.max(1))
                .enumerate()
                .map(|(k, chunk)| {
                    let assets: Vec<Asset> = chunk.iter().map(|&i| asset(i, cycle, o.seed)).collect();
                    let mut fs = Vec::new();
                    for (&i, a) in chunk.iter().zip(&assets) {
                        findings(i, a, &assets[0].id, o.findings_every, &mut fs);
                    }
                    let r = AnalyzeReport {
                        schema: ward_model::report::SCHEMA_VERSION.into(),
                        generator: Generator { name: "ward".into(), version: "bench".into() },
                        capture: CaptureSummary::default(),
                        assets,
                        protocols: Vec::new(),
                        conversations: Vec::new(),
                        flows: Vec::new(),
                        flows_omitted: 0,
                        findings: fs,
                    };
                    (format!("c{cycle}-r{k}"), r)
                })
                .collect()
        })
        .collect()
}

struct Run {
    scenario: String,
    observations: u64,
    findings: u64,
    batches: usize,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

/// Every sensor uploads its reports one after the other, all sensors at once.
async fn cycle(store: &Store, per_sensor: Vec<Vec<(String, AnalyzeReport)>>, scenario: &str) -> Run {
    let observations = per_sensor.iter().flatten().map(|(_, r)| r.assets.len() as u64).sum();
    let findings = per_sensor.iter().flatten().map(|(_, r)| r.findings.len() as u64).sum();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (s, reports) in per_sensor.into_iter().enumerate() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let sensor = format!("sensor-{s:02}");
            for (batch, r) in &reports {
                let t = Instant::now();
                let out = store.ingest(&sensor, batch, r).await.unwrap();
                assert!(!out.duplicate);
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            lat
        }));
    }
    let mut latencies_ms = Vec::new();
    for t in tasks {
        latencies_ms.extend(t.await.unwrap());
    }
    let seconds = t0.elapsed().as_secs_f64();
    latencies_ms.sort_by(f64::total_cmp);
    Run { scenario: scenario.into(), observations, findings, batches: latencies_ms.len(), seconds, latencies_ms }
}

fn table(backend: &str, o: &Opts, runs: &[Run]) -> String {
    let mut s = String::new();
    writeln!(
        s,
        "### {backend}: {} devices, {} sensors at once, {} assets per report, findings on every {}th device\n",
        o.devices, o.sensors, o.per_report, o.findings_every
    )
    .unwrap();
    writeln!(s, "| scenario | observations | findings | batches | seconds | observations/s | batches/s | p50 ms | p95 ms | max ms |").unwrap();
    writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    for r in runs {
        writeln!(
            s,
            "| {} | {} | {} | {} | {:.2} | {:.0} | {:.1} | {:.0} | {:.0} | {:.0} |",
            r.scenario,
            r.observations,
            r.findings,
            r.batches,
            r.seconds,
            r.observations as f64 / r.seconds,
            r.batches as f64 / r.seconds,
            pct(&r.latencies_ms, 50.0),
            pct(&r.latencies_ms, 95.0),
            r.latencies_ms.last().copied().unwrap_or(f64::NAN)
        )
        .unwrap();
    }
    s
}

/// `--emit DIR`: write every cycle's reports as the JSON a sensor uploads, `DIR/c<cycle>/<sensor>/<batch>.json`
/// (for `bench/server/uplink.py`, which sends them to a `ward server`), and nothing else.
fn emit(o: &Opts, dir: &str) {
    for c in 0..=o.cycles {
        for (s, reports) in reports(o, c).into_iter().enumerate() {
            let d = std::path::Path::new(dir).join(format!("c{c}")).join(format!("sensor-{s:02}"));
            std::fs::create_dir_all(&d).unwrap();
            for (batch, r) in reports {
                std::fs::write(d.join(format!("{batch}.json")), serde_json::to_vec(&r).unwrap()).unwrap();
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let o = Arc::new(opts());
    if let Some(dir) = &o.emit {
        emit(&o, dir);
        return;
    }
    sqlx::any::install_default_drivers();
    let mut report = String::new();
    for backend in &o.backends {
        let (url, cleanup) = hospital::database(backend, o.dir.as_deref(), "ward_ingest_bench", false).await;
        let store = Store::open(&url).await.unwrap();
        // Every cycle's reports first, so that the steady cycles follow each other without a
        // pause in which the writer could fold its deferred counters unmeasured.
        let t = Instant::now();
        let all: Vec<_> = (0..=o.cycles).map(|c| reports(&o, c)).collect();
        eprintln!("{backend}: reports made in {:.1} s", t.elapsed().as_secs_f64());
        let mut runs = Vec::new();
        let mut steady = Run { scenario: format!("steady 1-{}, with the final fold", o.cycles), observations: 0, findings: 0, batches: 0, seconds: 0.0, latencies_ms: Vec::new() };
        for (c, per_sensor) in all.into_iter().enumerate() {
            let mut run = cycle(&store, per_sensor, if c == 0 { "cold, with its fold".into() } else { format!("steady {c}") }.as_str()).await;
            // The counters a burst defers are part of its cost: the cold cycle's fold is timed
            // with it, the steady cycles' last fold with their total.
            if c == 0 || c as u64 == o.cycles {
                let t = Instant::now();
                store.flush().await.unwrap();
                let fold = t.elapsed().as_secs_f64();
                eprintln!("{backend}: cycle {c}: final fold {fold:.2} s");
                if c == 0 {
                    run.seconds += fold;
                } else {
                    steady.seconds += fold;
                }
            }
            eprintln!("{backend}: cycle {c}: {} observations in {:.2} s: {:.0}/s", run.observations, run.seconds, run.observations as f64 / run.seconds);
            if c > 0 {
                steady.observations += run.observations;
                steady.findings += run.findings;
                steady.batches += run.batches;
                steady.seconds += run.seconds;
                steady.latencies_ms.extend(run.latencies_ms.iter().copied());
            }
            runs.push(run);
        }
        if o.cycles > 0 {
            steady.latencies_ms.sort_by(f64::total_cmp);
            runs.push(steady);
        }
        store.close().await;
        report.push_str(&table(backend, &o, &runs));
        report.push('\n');
        if let Some(dir) = cleanup
            && o.dir.is_none()
        {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    print!("{report}");
    if let Some(out) = &o.out {
        std::fs::write(out, &report).unwrap();
    }
}
