//! The simulated hospital both server benchmarks draw from (`store_bench.rs`, `ingest_bench.rs`):
//! a seeded generator, the device kinds with their makers and models, care units, finding kinds.
//! Not an example of its own: each benchmark includes it with `#[path]`.
#![allow(dead_code)] // reason: each benchmark uses a different subset.

use sqlx::{AnyConnection, Connection, Executor};
use std::path::PathBuf;

/// splitmix64: a small, seeded, deterministic generator (no dependency).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// One of `items` by weight.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let sum: u32 = items.iter().map(|i| i.1).sum();
        let mut x = self.below(u64::from(sum)) as u32;
        for (t, w) in items {
            if x < *w {
                return t;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
    /// Skewed towards 0: a few values get most of the mass (about Zipf-like).
    pub fn skewed(&mut self, n: u64) -> u64 {
        let u = self.unit();
        ((u * u * u) * n as f64) as u64 % n.max(1)
    }
}

pub struct Make {
    pub kind: &'static str,
    pub weight: u32,
    pub makers: &'static [(&'static str, &'static [&'static str])],
    pub tag: &'static str,
}

/// Device kinds of a large hospital, with makers and models (the knowledge/devices taxonomy).
pub const MAKES: &[Make] = &[
    Make { kind: "workstation", weight: 350, tag: "ws", makers: &[("Dell Inc.", &["OptiPlex 7090", "Latitude 5420", "Precision 3660"]), ("HP Inc.", &["EliteDesk 800 G6", "ProBook 450 G8"]), ("Lenovo", &["ThinkCentre M70q", "ThinkPad T14"])] },
    Make { kind: "patient-monitor", weight: 220, tag: "mon", makers: &[("Philips Medical Systems", &["IntelliVue MX450", "IntelliVue MX800", "IntelliVue X3"]), ("Mindray", &["BeneVision N12", "ePM 10"]), ("GE Healthcare", &["CARESCAPE B450", "CARESCAPE B650"]), ("Nihon Kohden", &["BSM-6000"]), ("Draeger", &["Infinity Delta", "Infinity M540"])] },
    Make { kind: "infusion-pump", weight: 180, tag: "pump", makers: &[("Baxter", &["Sigma Spectrum", "Novum IQ"]), ("BD", &["Alaris 8015", "Alaris 8100"]), ("B. Braun", &["Infusomat Space", "Perfusor Space"]), ("Fresenius Kabi", &["Agilia VP", "Volumat MC"])] },
    Make { kind: "unknown", weight: 120, tag: "dev", makers: &[] },
    Make { kind: "imaging-modality", weight: 40, tag: "mod", makers: &[("GE Healthcare", &["Revolution CT", "SIGNA Pioneer", "LOGIQ E10"]), ("Siemens Healthineers", &["SOMATOM go.Up", "MAGNETOM Vida", "ACUSON Sequoia"]), ("Philips Medical Systems", &["Ingenia 1.5T", "Azurion 7", "EPIQ Elite"]), ("FUJIFILM", &["FDR D-EVO II", "AMULET Innovality"]), ("Canon Medical Systems", &["Aquilion ONE", "Vantage Galan"])] },
    Make { kind: "ventilator", weight: 30, tag: "vent", makers: &[("Draeger", &["Evita V800", "Perseus A500"]), ("Hamilton Medical", &["HAMILTON-C6", "HAMILTON-T1"]), ("Medtronic", &["Puritan Bennett 980"])] },
    Make { kind: "network-infrastructure", weight: 30, tag: "net", makers: &[("Cisco Systems", &["Catalyst 9300", "ISR 4331"]), ("Aruba", &["CX 6300", "AP-515"]), ("Juniper Networks", &["EX4300"])] },
    Make { kind: "mqtt-broker", weight: 10, tag: "mqtt", makers: &[("Eclipse Foundation", &["Mosquitto"]), ("HiveMQ", &["HiveMQ"])] },
    Make { kind: "pacs", weight: 5, tag: "pacs", makers: &[("Sectra", &["Sectra PACS"]), ("Agfa HealthCare", &["Enterprise Imaging"]), ("Orthanc", &["Orthanc"])] },
    Make { kind: "ris", weight: 5, tag: "ris", makers: &[("Siemens Healthineers", &["syngo RIS"]), ("Cerner", &["RadNet"])] },
    Make { kind: "hl7-interface-engine", weight: 5, tag: "hl7", makers: &[("InterSystems", &["HealthShare"]), ("NextGen", &["Mirth Connect"])] },
    Make { kind: "ehr", weight: 5, tag: "ehr", makers: &[("Epic Systems", &["Epic Hyperspace"]), ("Cerner", &["Millennium"])] },
];

pub const UNITS: &[&str] = &["icu", "er", "or", "ward3", "ward4", "ward5", "card", "onc", "neo", "rad", "lab", "pharm", "admin", "peds", "mat"];

/// (kind, default severity rank, weight, protocols)
pub const FINDING_KINDS: &[(&str, i64, u32, &[&str])] = &[
    ("cleartext-phi", 3, 260, &["hl7", "dicom", "http"]),
    ("cleartext-credentials", 3, 90, &["ftp", "telnet", "snmp", "http"]),
    ("deprecated-tls", 2, 190, &["tls"]),
    ("weak-cipher", 3, 70, &["tls"]),
    ("untrusted-certificate", 2, 200, &["tls"]),
    ("protocol-violation", 2, 120, &["hl7", "dicom", "mqtt"]),
    ("dicom-association-rejected", 2, 50, &["dicom"]),
    ("dicom-scan", 3, 20, &["dicom"]),
];

pub const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];
pub const STATUSES: &[(&str, u32)] = &[("open", 55), ("acknowledged", 20), ("resolved", 20), ("accepted_risk", 5)];
pub const NS_PER_DAY: i64 = 86_400_000_000_000;
/// 2026-11-01T00:00:00Z: the end of the generated year of traffic.
pub const T_END: i64 = 1_793_491_200_000_000_000;

pub fn mac(i: u64, oui: u64) -> String {
    let v = (oui << 24) | (i & 0xFF_FFFF);
    let b = v.to_be_bytes();
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[2], b[3], b[4], b[5], b[6], b[7])
}


/// The database a benchmark runs on, and the SQLite directory to remove afterwards: for
/// `sqlite`, `dir` (else a new temporary directory), emptied first unless `reuse`; for
/// `postgres`, database `name` on the server in `WARD_BENCH_POSTGRES` (default
/// `postgres://postgres@127.0.0.1:5432/test`), dropped and created again unless `reuse` and it
/// exists.
pub async fn database(backend: &str, dir: Option<&str>, name: &str, reuse: bool) -> (String, Option<PathBuf>) {
    match backend {
        "sqlite" => {
            let dir = dir.map_or_else(|| std::env::temp_dir().join(format!("{name}-{}", std::process::id())), PathBuf::from);
            if !reuse {
                let _ = std::fs::remove_dir_all(&dir);
            }
            std::fs::create_dir_all(&dir).unwrap();
            (format!("sqlite:{}", dir.join("ward.db").display()), Some(dir))
        }
        "postgres" => {
            let server = std::env::var("WARD_BENCH_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let mut c = AnyConnection::connect(&server).await.expect("PostgreSQL server (set WARD_BENCH_POSTGRES)");
            let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1").bind(name).fetch_optional(&mut c).await.unwrap().is_some();
            if !(reuse && exists) {
                c.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.unwrap();
                c.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
            }
            c.close().await.unwrap();
            let (base, _) = server.rsplit_once('/').unwrap();
            (format!("{base}/{name}"), None)
        }
        b => panic!("unknown backend {b}"),
    }
}

/// The `p`th percentile (0-100) of sorted values, nearest rank.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Walk the command line: `each(option, value)` for every option, where `value()` takes the
/// option's value (panicking, with the option's name, when there is none) and `each` answers
/// whether it knows the option; an unknown one panics, pointing at the top of `program`'s file.
pub fn options(program: &str, mut each: impl FnMut(&str, &mut dyn FnMut() -> String) -> bool) {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        assert!(each(&a, &mut val), "unknown option {a} (see the top of examples/{program}.rs)");
    }
}

/// `--backend sqlite|postgres|both`.
pub fn backends(b: &str) -> Vec<String> {
    if b == "both" { vec!["sqlite".into(), "postgres".into()] } else { vec![b.to_string()] }
}
