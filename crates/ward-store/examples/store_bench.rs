//! The server store's list-query benchmark (`bench/server/`): fills a fresh store with a
//! hospital-sized inventory (100,000 assets, 1,000,000 findings by default) by bulk inserts
//! straight into the tables, then times a fixed, seeded set of list queries through the
//! store's public API (`Store::assets`, `Store::findings`) and prints p50/p95/p99/max per
//! query shape as a Markdown table. Not a test: nothing here asserts a time.
//!
//! ```sh
//! cargo run --release -p ward-store --example store_bench -- --backend sqlite
//! cargo run --release -p ward-store --example store_bench -- --backend postgres
//! ```
//!
//! Options: `--backend sqlite|postgres|both` (both), `--assets N` (100000), `--findings N`
//! (1000000), `--runs N` timed runs per shape (200), `--warmup N` (10), `--budget-s S` most
//! seconds of timed runs per shape before it is cut short and marked so (60), `--seed N` (1),
//! `--dir PATH` for the SQLite file (a new temporary directory), `--out FILE` (also write the
//! table there), `--only TEXT` (only shapes whose name contains TEXT), `--reuse` (keep the SQLite
//! file and the PostgreSQL database, and when they already hold findings skip the fill: the
//! store's migrations then run on a filled store). PostgreSQL: the server
//! in `WARD_BENCH_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`) gets a fresh
//! database `ward_bench` (dropped first if it exists).
#![allow(clippy::unwrap_used, clippy::too_many_lines, clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)] // reason: a benchmark program, not a library; it panics loudly on a broken setup.

use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, Connection, Executor};
use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use ward_model::Severity;
use ward_store::{AssetQuery, AssetSort, FindingQuery, FindingSort, Store};

#[path = "hospital/mod.rs"]
mod hospital;
use hospital::{FINDING_KINDS, MAKES, Make, NS_PER_DAY, Rng, SEVERITIES, STATUSES, T_END, UNITS, mac, pct};

fn assignee(i: u64) -> String {
    const NAMES: &[&str] = &["amara.okafor", "ben.schulz", "chen.wei", "dana.levi", "elif.kaya", "farid.haddad", "grace.kim", "hugo.martin", "ines.silva", "jonas.berg"];
    let base = NAMES[(i as usize) % NAMES.len()];
    if i < NAMES.len() as u64 { base.to_string() } else { format!("{base}{}", i / NAMES.len() as u64) }
}

/// A value bound into a bulk insert.
enum V {
    I(i64),
    OI(Option<i64>),
    T(String),
    OT(Option<String>),
}

fn placeholders(cols: usize, rows: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ",(" });
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            write!(s, "${}", r * cols + c + 1).unwrap();
        }
        s.push(')');
    }
    s
}

/// Insert `rows` (each `cols` values) into `table` in statements of `per` rows.
async fn bulk(conn: &mut AnyConnection, head: &str, cols: usize, rows: Vec<Vec<V>>) {
    const PER: usize = 500;
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let chunk: Vec<Vec<V>> = it.by_ref().take(PER).collect();
        let sql = format!("{head} VALUES {}", placeholders(cols, chunk.len()));
        let mut q: sqlx::query::Query<'_, Any, AnyArguments> = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            assert_eq!(row.len(), cols);
            for v in row {
                q = match v {
                    V::I(i) => q.bind(i),
                    V::OI(i) => q.bind(i),
                    V::T(s) => q.bind(s),
                    V::OT(s) => q.bind(s),
                };
            }
        }
        q.execute(&mut *conn).await.unwrap();
    }
}

/// What the fill made, for choosing query parameters.
struct Filled {
    assets: u64,
    assignees: u64,
    seconds: f64,
    identifiers: u64,
    /// Reused an earlier fill; the seconds the migrations took on it.
    reused: Option<f64>,
}

async fn fill(url: &str, n_assets: u64, n_findings: u64, seed: u64) -> Filled {
    let t0 = Instant::now();
    let mut rng = Rng(seed);
    let mut conn = AnyConnection::connect(url).await.unwrap();
    let kinds: Vec<(&Make, u32)> = MAKES.iter().map(|m| (m, m.weight)).collect();
    let mut assets = Vec::with_capacity(n_assets as usize);
    let mut idents = Vec::new();
    let mut asset_kind = Vec::with_capacity(n_assets as usize);
    let mut docs = Vec::with_capacity(n_assets as usize);
    for i in 1..=n_assets {
        let mk = *rng.weighted(&kinds);
        let (maker, model) = if mk.makers.is_empty() {
            (None, None)
        } else {
            let (m, models) = mk.makers[rng.below(mk.makers.len() as u64) as usize];
            // Identity evidence is not always complete: some devices only have a maker.
            let model = if rng.below(10) < 8 { Some(models[rng.below(models.len() as u64) as usize].to_string()) } else { None };
            (Some(m.to_string()), model)
        };
        let version = maker.as_ref().filter(|_| rng.below(10) < 6).map(|_| format!("{}.{}.{}", rng.below(12), rng.below(20), rng.below(100)));
        let confidence = if maker.is_some() { 40 + rng.below(60) as i64 } else { rng.below(30) as i64 };
        let unit = UNITS[rng.below(UNITS.len() as u64) as usize];
        let host = (rng.below(10) < 7).then(|| format!("{unit}-{}-{i:06}", mk.tag));
        let ip = format!("10.{}.{}.{}", (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF);
        let label = host.clone().or_else(|| maker.as_ref().map(|m| [Some(m.as_str()), model.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" "))).unwrap_or_else(|| ip.clone());
        let last_seen = T_END - rng.skewed(365) as i64 * NS_PER_DAY - rng.below(NS_PER_DAY as u64) as i64;
        let first_seen = last_seen - rng.below(300) as i64 * NS_PER_DAY;
        let packets = 10 + rng.skewed(50_000_000) as i64;
        let bytes = packets * (60 + rng.below(1400) as i64);
        // The latest report's asset document, a plausible one (peers, protocols,
        // the identity's evidence), kept in asset_docs (migration 0011) as ingest keeps it.
        let peers: Vec<String> = (0..12).map(|_| format!("\"ip:10.{}.{}.{}\"", rng.below(8), rng.below(256), rng.below(256))).collect();
        let doc = format!(
            "{{\"id\":\"ip:{ip}\",\"ips\":[\"{ip}\"],\"hostnames\":[{}],\"protocols\":{{\"server\":[\"dicom\",\"tls\"],\"client\":[\"dns\",\"dhcp\",\"hl7\",\"mqtt\"]}},\
             \"peers\":[{}],\"peer_count\":{},\"device\":{{\"kind\":\"{}\",\"manufacturer\":{:?},\"model\":{:?},\"software_version\":{:?},\"confidence\":{confidence},\
             \"evidence\":[{{\"clue\":\"oui.vendor\",\"value\":\"{}\",\"rule\":\"oui-{}\",\"source\":\"IEEE MA-L registry\"}},\
             {{\"clue\":\"dhcp.vendor_class\",\"value\":\"{}\",\"rule\":\"dhcp-vendor-class-{}\",\"source\":\"vendor documentation\"}},\
             {{\"clue\":\"dhcp.parameter_request_list\",\"value\":\"1,3,6,15,31,33,43,44,46,47,119,121,249,252\",\"rule\":\"dhcp-prl\",\"source\":\"fingerbank\"}}]}}}}",
            host.as_deref().map(|h| format!("\"{h}\"")).unwrap_or_default(),
            peers.join(","),
            12 + rng.below(200),
            mk.kind,
            maker.as_deref().unwrap_or(""),
            model.as_deref().unwrap_or(""),
            version.as_deref().unwrap_or(""),
            maker.as_deref().unwrap_or("unknown"),
            mk.tag,
            maker.as_deref().unwrap_or("udhcp 1.36.1"),
            mk.tag,
        );
        if rng.below(100) < 95 {
            idents.push(vec![V::T("mac".into()), V::T(mac(i, 0x00_1B_00 + rng.below(64))), V::I(i as i64), V::I(first_seen), V::I(last_seen)]);
        }
        idents.push(vec![V::T("ip".into()), V::T(ip), V::I(i as i64), V::I(first_seen), V::I(last_seen)]);
        if rng.below(10) < 2 {
            idents.push(vec![V::T("ip".into()), V::T(format!("fd00::{:x}", i)), V::I(i as i64), V::I(first_seen), V::I(last_seen)]);
        }
        if let Some(h) = &host {
            idents.push(vec![V::T("hostname".into()), V::T(format!("{h}.hospital.example")), V::I(i as i64), V::I(first_seen), V::I(last_seen)]);
        }
        if matches!(mk.kind, "imaging-modality" | "pacs" | "ris") || (mk.kind == "workstation" && rng.below(20) == 0) {
            idents.push(vec![V::T("dicom_ae".into()), V::T(format!("{}_{}_{i}", mk.tag.to_uppercase(), unit.to_uppercase())), V::I(i as i64), V::I(first_seen), V::I(last_seen)]);
        }
        asset_kind.push(mk.kind);
        docs.push(vec![V::I(i as i64), V::T(doc)]);
        assets.push(vec![
            V::I(i as i64),
            V::T(mk.kind.into()),
            V::OT(maker),
            V::OT(model),
            V::OT(version),
            V::I(confidence),
            V::T(label),
            V::I(first_seen),
            V::I(last_seen),
            V::I(packets),
            V::I(bytes),
            V::I(T_END),
        ]);
    }
    let n_idents = idents.len() as u64;
    if url.starts_with("sqlite:") {
        // A cache big enough that each page of the random-order indexes (fingerprint) is
        // written once per transaction, not once per statement; durability is not needed while
        // filling a benchmark database (the store's own connections keep synchronous=FULL).
        conn.execute("PRAGMA cache_size = -2000000; PRAGMA synchronous = OFF").await.unwrap();
    }
    conn.execute("BEGIN").await.unwrap();
    bulk(&mut conn, "INSERT INTO assets (id, kind, manufacturer, model, software_version, confidence, label, first_seen, last_seen, packets, bytes, updated_at)", 12, assets).await;
    bulk(&mut conn, "INSERT INTO asset_docs (asset_id, doc)", 2, docs).await;
    bulk(&mut conn, "INSERT INTO asset_identifiers (kind, value, asset_id, first_seen, last_seen)", 5, idents).await;
    // The search text ingest keeps per asset (migration 0004), made the way ingest makes it.
    let has_search = sqlx::query("SELECT 1 FROM asset_search WHERE 1 = 0").fetch_optional(&mut conn).await.is_ok();
    if has_search {
        sqlx::query(
            "INSERT INTO asset_search (asset_id, haystack) \
             SELECT a.id, LOWER(a.label || $1 || COALESCE(a.manufacturer, '') || $1 || COALESCE(a.model, '') || $1 \
             || COALESCE((SELECT string_agg(i.value, $1) FROM asset_identifiers i WHERE i.asset_id = a.id), '')) FROM assets a",
        )
        .bind("\u{1f}")
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.execute("COMMIT").await.unwrap();
    eprintln!("  assets and identifiers in {:.1} s", t0.elapsed().as_secs_f64());

    let n_assignees = 40;
    let fkinds: Vec<(usize, u32)> = FINDING_KINDS.iter().enumerate().map(|(i, k)| (i, k.2)).collect();
    let mut seen: HashSet<(usize, u64, u64, usize)> = HashSet::with_capacity(n_findings as usize);
    let batch = 100_000;
    let mut id = 0u64;
    while id < n_findings {
        let mut rows = Vec::with_capacity(batch);
        while rows.len() < batch && id < n_findings {
            let k = *rng.weighted(&fkinds);
            let (kind, rank, _, protos) = FINDING_KINDS[k];
            // Some assets (a gateway, a PACS) collect far more findings than others.
            let asset = 1 + rng.skewed(n_assets);
            let peer = if rng.below(10) < 7 { 1 + rng.below(n_assets) } else { 0 };
            let p = rng.below(protos.len() as u64) as usize;
            if !seen.insert((k, asset, peer, p)) {
                continue;
            }
            id += 1;
            let rank = match rng.below(100) {
                0..4 => 0,
                4..12 => 1,
                12..20 => (rank + 1).min(4),
                _ => rank,
            };
            let status = *rng.weighted(STATUSES);
            let assigned = match status {
                "open" => rng.below(10) < 3,
                _ => rng.below(10) < 8,
            }
            .then(|| assignee(rng.skewed(n_assignees)));
            let last_seen = T_END - rng.skewed(365) as i64 * NS_PER_DAY - rng.below(NS_PER_DAY as u64) as i64;
            let first_seen = last_seen - rng.below(200) as i64 * NS_PER_DAY;
            let occurrences = 1 + rng.skewed(100_000) as i64;
            let proto = protos[p];
            let fp = format!("{kind}|{asset}|{}|{proto}", if peer == 0 { String::new() } else { peer.to_string() });
            let title = format!("{kind} in {proto} traffic of {}", asset_kind[(asset - 1) as usize]);
            let evidence = format!("{{\"fields\":\"PID-3 patient id, PID-5 patient name\",\"messages\":\"{occurrences}\",\"port\":\"{}\"}}", 1 + rng.below(65535));
            let remediation = "Move this traffic to an encrypted channel (TLS 1.2+ with a trusted certificate) or isolate the device on a segment without other hosts; see the vendor's security guide.";
            let (reason, until) = match status {
                "accepted_risk" => (Some("vendor patch scheduled; compensating VLAN ACL".to_string()), Some(T_END + rng.below(180) as i64 * NS_PER_DAY)),
                "resolved" => (Some("fixed by biomed".to_string()), None),
                _ => (None, None),
            };
            rows.push(vec![
                V::I(id as i64),
                V::T(fp),
                V::T(kind.into()),
                V::T(SEVERITIES[rank as usize].into()),
                V::I(rank),
                V::OI(Some(asset as i64)),
                V::OI((peer != 0).then_some(peer as i64)),
                V::OT(Some(proto.into())),
                V::T(title),
                V::T(evidence),
                V::T(remediation.into()),
                V::I(first_seen),
                V::I(last_seen),
                V::I(occurrences),
                V::T(status.into()),
                V::OT(reason),
                V::OI(until),
                V::OT(assigned),
                V::I(T_END),
            ]);
        }
        if id == rows.len() as u64 {
            conn.execute("BEGIN").await.unwrap();
        }
        bulk(
            &mut conn,
            "INSERT INTO findings (id, fingerprint, kind, severity, severity_rank, asset_id, peer_asset_id, protocol, title, evidence, remediation, \
             first_seen, last_seen, occurrences, status, status_reason, accepted_until, assignee, updated_at)",
            19,
            rows,
        )
        .await;
        eprintln!("  {id} findings in {:.1} s", t0.elapsed().as_secs_f64());
    }
    conn.execute("COMMIT").await.unwrap();
    conn.close().await.unwrap();
    Filled { assets: n_assets, assignees: n_assignees, seconds: t0.elapsed().as_secs_f64(), identifiers: n_idents, reused: None }
}

/// One query shape: a name and how to make the query of run `i` (seeded parameters).
enum Shape {
    Assets(String, Box<dyn Fn(&mut Rng) -> AssetQuery>),
    Findings(String, Box<dyn Fn(&mut Rng) -> FindingQuery>),
}

impl Shape {
    fn name(&self) -> &str {
        match self {
            Shape::Assets(n, _) | Shape::Findings(n, _) => n,
        }
    }
}

fn shapes(filled: &Filled) -> Vec<Shape> {
    let n_assets = filled.assets;
    let n_assignees = filled.assignees;
    let mut v = Vec::new();
    let asorts = [(AssetSort::LastSeen, "last_seen"), (AssetSort::Label, "label"), (AssetSort::Kind, "kind"), (AssetSort::Manufacturer, "manufacturer"), (AssetSort::Bytes, "bytes")];
    for (sort, sname) in asorts {
        for desc in [true, false] {
            for offset in [0u64, 10_000] {
                let name = format!("assets sort={sname} {} offset={offset}", if desc { "desc" } else { "asc" });
                v.push(Shape::Assets(name, Box::new(move |_| AssetQuery { sort, descending: desc, limit: 50, offset, ..AssetQuery::default() })));
            }
        }
    }
    let common_kinds = ["workstation", "patient-monitor", "infusion-pump", "unknown"];
    let all_kinds: Vec<&'static str> = MAKES.iter().map(|m| m.kind).collect();
    let ak = all_kinds.clone();
    v.push(Shape::Assets("assets kind=(any of 12) sort=last_seen desc".into(), Box::new(move |r| AssetQuery { kind: Some(ak[r.below(ak.len() as u64) as usize].into()), descending: true, ..AssetQuery::default() })));
    v.push(Shape::Assets("assets kind=(common) sort=label asc offset=10000".into(), Box::new(move |r| AssetQuery { kind: Some(common_kinds[r.below(4) as usize].into()), sort: AssetSort::Label, offset: 10_000, ..AssetQuery::default() })));
    let ak = all_kinds;
    v.push(Shape::Assets("assets kind=(any of 12) sort=manufacturer asc".into(), Box::new(move |r| AssetQuery { kind: Some(ak[r.below(ak.len() as u64) as usize].into()), sort: AssetSort::Manufacturer, ..AssetQuery::default() })));
    // Searches: what an operator types: part of a MAC, an address, a host name, an AE title, a
    // maker or model; a few match one asset, some thousands, some none.
    v.push(Shape::Assets("assets search=MAC fragment (1 hit)".into(), Box::new(move |r| {
        let i = 1 + r.below(n_assets);
        let m = mac(i, 0);
        AssetQuery { search: Some(m[9..].to_uppercase()), ..AssetQuery::default() }
    })));
    v.push(Shape::Assets("assets search=IP (few hits)".into(), Box::new(move |r| {
        let i = 1 + r.below(n_assets);
        AssetQuery { search: Some(format!("10.{}.{}.{}", (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF)), ..AssetQuery::default() }
    })));
    v.push(Shape::Assets("assets search=host name part (many hits)".into(), Box::new(|r| {
        let u = UNITS[r.below(UNITS.len() as u64) as usize];
        AssetQuery { search: Some(format!("{u}-mon")), descending: true, ..AssetQuery::default() }
    })));
    v.push(Shape::Assets("assets search=AE title part".into(), Box::new(|r| AssetQuery { search: Some(["CT_", "MOD_ICU", "PACS", "mod_rad_1"][r.below(4) as usize].into()), ..AssetQuery::default() })));
    v.push(Shape::Assets("assets search=maker/model word sort=label".into(), Box::new(|r| AssetQuery { search: Some(["intellivue", "alaris", "optiplex", "siemens", "revolution", "hamilton"][r.below(6) as usize].into()), sort: AssetSort::Label, ..AssetQuery::default() })));
    v.push(Shape::Assets("assets search=no match".into(), Box::new(|r| AssetQuery { search: Some(format!("zz-nothing-{}", r.below(1000))), ..AssetQuery::default() })));
    v.push(Shape::Assets("assets kind+search".into(), Box::new(|r| AssetQuery { kind: Some("patient-monitor".into()), search: Some(["philips", "icu", "mindray", "ward3"][r.below(4) as usize].into()), ..AssetQuery::default() })));

    let fsorts = [(FindingSort::Severity, "severity"), (FindingSort::LastSeen, "last_seen"), (FindingSort::FirstSeen, "first_seen"), (FindingSort::Occurrences, "occurrences")];
    for (sort, sname) in fsorts {
        for desc in [true, false] {
            for offset in [0u64, 10_000] {
                let name = format!("findings sort={sname} {} offset={offset}", if desc { "desc" } else { "asc" });
                v.push(Shape::Findings(name, Box::new(move |_| FindingQuery { sort, descending: desc, limit: 50, offset, ..FindingQuery::default() })));
            }
        }
    }
    let statuses = ["open", "acknowledged", "resolved", "accepted_risk"];
    v.push(Shape::Findings("findings status=(any) sort=severity desc".into(), Box::new(move |r| FindingQuery { status: Some(statuses[r.below(4) as usize].into()), descending: true, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings status=open sort=last_seen desc offset=10000".into(), Box::new(|_| FindingQuery { status: Some("open".into()), sort: FindingSort::LastSeen, descending: true, offset: 10_000, ..FindingQuery::default() })));
    let sevs = [Severity::Low, Severity::Medium, Severity::High, Severity::Critical];
    v.push(Shape::Findings("findings min_severity=(any) sort=severity desc".into(), Box::new(move |r| FindingQuery { min_severity: Some(sevs[r.below(4) as usize]), descending: true, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings min_severity=high sort=last_seen desc".into(), Box::new(|_| FindingQuery { min_severity: Some(Severity::High), sort: FindingSort::LastSeen, descending: true, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings kind=(any of 8) sort=severity desc".into(), Box::new(|r| FindingQuery { kind: Some(FINDING_KINDS[r.below(FINDING_KINDS.len() as u64) as usize].0.into()), descending: true, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings kind=(any of 8) sort=occurrences desc offset=10000".into(), Box::new(|r| FindingQuery { kind: Some(FINDING_KINDS[r.below(5) as usize].0.into()), sort: FindingSort::Occurrences, descending: true, offset: 10_000, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings asset=(random) sort=severity desc".into(), Box::new(move |r| FindingQuery { asset: Some(1 + r.below(n_assets) as i64), descending: true, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings asset=(busiest) sort=last_seen desc".into(), Box::new(move |r| FindingQuery { asset: Some(1 + r.below(20) as i64), sort: FindingSort::LastSeen, descending: true, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings assignee=(any) sort=severity desc".into(), Box::new(move |r| FindingQuery { assignee: Some(assignee(r.skewed(n_assignees))), descending: true, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings assignee+status=acknowledged sort=last_seen desc".into(), Box::new(move |r| FindingQuery { assignee: Some(assignee(r.below(n_assignees))), status: Some("acknowledged".into()), sort: FindingSort::LastSeen, descending: true, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings status=open+min_severity=high sort=severity desc".into(), Box::new(|_| FindingQuery { status: Some("open".into()), min_severity: Some(Severity::High), descending: true, ..FindingQuery::default() })));
    v.push(Shape::Findings("findings status=open+kind sort=first_seen asc offset=10000".into(), Box::new(|r| FindingQuery { status: Some("open".into()), kind: Some(["cleartext-phi", "deprecated-tls", "untrusted-certificate"][r.below(3) as usize].into()), sort: FindingSort::FirstSeen, offset: 10_000, ..FindingQuery::default() })));
    v
}

struct Result1 {
    name: String,
    runs: usize,
    cut: bool,
    total: u64,
    ms: Vec<f64>,
}

async fn run_shapes(store: &Store, shapes: &[Shape], runs: usize, warmup: usize, budget: Duration, seed: u64) -> Vec<Result1> {
    let mut out = Vec::new();
    for (n, shape) in shapes.iter().enumerate() {
        let mut rng = Rng(seed ^ (n as u64 + 1).wrapping_mul(0x1234_5678_9ABC));
        let mut ms = Vec::with_capacity(runs);
        let mut total = 0;
        let started = Instant::now();
        let mut cut = false;
        for i in 0..warmup + runs {
            if i >= warmup && started.elapsed() > budget && ms.len() >= runs.min(20) {
                cut = true;
                break;
            }
            let t = Instant::now();
            total = match shape {
                Shape::Assets(_, f) => store.assets(&f(&mut rng)).await.unwrap().total,
                Shape::Findings(_, f) => store.findings(&f(&mut rng)).await.unwrap().total,
            };
            let e = t.elapsed().as_secs_f64() * 1000.0;
            if i >= warmup {
                ms.push(e);
            }
        }
        ms.sort_by(f64::total_cmp);
        eprintln!("  {:<62} p50 {:>8.2} p95 {:>8.2} max {:>8.2} ms ({} runs{})", shape.name(), pct(&ms, 50.0), pct(&ms, 95.0), ms.last().copied().unwrap_or(f64::NAN), ms.len(), if cut { ", cut" } else { "" });
        out.push(Result1 { name: shape.name().to_string(), runs: ms.len(), cut, total, ms });
    }
    out
}

fn table(backend: &str, filled: &Filled, results: &[Result1], n_findings: u64) -> String {
    let mut s = String::new();
    writeln!(s, "### {backend}\n").unwrap();
    match filled.reused {
        None => writeln!(s, "Fill: {} assets ({} identifiers), {} findings in {:.1} s (bulk inserts, then ANALYZE).\n", filled.assets, filled.identifiers, n_findings, filled.seconds).unwrap(),
        Some(m) => writeln!(s, "Store filled by an earlier run (`--reuse`) with {} assets and {} findings; migrating it took {m:.1} s, ANALYZE {:.1} s.\n", filled.assets, n_findings, filled.seconds).unwrap(),
    }
    writeln!(s, "| query shape | runs | total (last run) | p50 ms | p95 ms | p99 ms | max ms | p95 < 100 ms |").unwrap();
    writeln!(s, "|---|---:|---:|---:|---:|---:|---:|:---:|").unwrap();
    let mut all = Vec::new();
    let mut ok = 0;
    for r in results {
        let p95 = pct(&r.ms, 95.0);
        if p95 < 100.0 {
            ok += 1;
        }
        writeln!(
            s,
            "| {} | {}{} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            r.name,
            r.runs,
            if r.cut { " (cut)" } else { "" },
            r.total,
            pct(&r.ms, 50.0),
            p95,
            pct(&r.ms, 99.0),
            r.ms.last().copied().unwrap_or(f64::NAN),
            if p95 < 100.0 { "yes" } else { "**no**" }
        )
        .unwrap();
        all.extend_from_slice(&r.ms);
    }
    all.sort_by(f64::total_cmp);
    writeln!(
        s,
        "| **all shapes** | {} | | {:.2} | {:.2} | {:.2} | {:.2} | {ok} of {} |",
        all.len(),
        pct(&all, 50.0),
        pct(&all, 95.0),
        pct(&all, 99.0),
        all.last().copied().unwrap_or(f64::NAN),
        results.len()
    )
    .unwrap();
    s
}

struct Opts {
    backends: Vec<String>,
    assets: u64,
    findings: u64,
    runs: usize,
    warmup: usize,
    budget: Duration,
    seed: u64,
    dir: Option<String>,
    out: Option<String>,
    only: Option<String>,
    reuse: bool,
}

fn opts() -> Opts {
    let mut o = Opts { backends: vec!["sqlite".into(), "postgres".into()], assets: 100_000, findings: 1_000_000, runs: 200, warmup: 10, budget: Duration::from_secs(60), seed: 1, dir: None, out: None, only: None, reuse: false };
    hospital::options("store_bench", |a, val| {
        match a {
            "--backend" => o.backends = hospital::backends(&val()),
            "--assets" => o.assets = val().parse().unwrap(),
            "--findings" => o.findings = val().parse().unwrap(),
            "--runs" => o.runs = val().parse().unwrap(),
            "--warmup" => o.warmup = val().parse().unwrap(),
            "--budget-s" => o.budget = Duration::from_secs(val().parse().unwrap()),
            "--seed" => o.seed = val().parse().unwrap(),
            "--dir" => o.dir = Some(val()),
            "--out" => o.out = Some(val()),
            "--only" => o.only = Some(val()),
            "--reuse" => o.reuse = true,
            _ => return false,
        }
        true
    });
    o
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let o = opts();
    sqlx::any::install_default_drivers();
    let mut report = String::new();
    for backend in &o.backends {
        let (url, cleanup) = hospital::database(backend, o.dir.as_deref(), "ward_bench", o.reuse).await;
        eprintln!("{backend}: filling {} assets and {} findings...", o.assets, o.findings);
        // Open once to migrate, then fill on a connection of our own, then reopen as the
        // server would.
        let t = Instant::now();
        Store::open(&url).await.unwrap().close().await;
        let migrated = t.elapsed().as_secs_f64();
        let mut c = AnyConnection::connect(&url).await.unwrap();
        let have: i64 = sqlx::Row::try_get(&sqlx::query("SELECT COUNT(*) FROM findings").fetch_one(&mut c).await.unwrap(), 0).unwrap();
        c.close().await.unwrap();
        let mut filled = if o.reuse && have > 0 {
            // Filled by an earlier run (--reuse): only the migrations ran now.
            eprintln!("{backend}: reusing {have} findings; migrations took {migrated:.1} s");
            let n_idents = o.assets * 29 / 10;
            Filled { assets: o.assets, assignees: 40, seconds: f64::NAN, identifiers: n_idents, reused: Some(migrated) }
        } else {
            fill(&url, o.assets, o.findings, o.seed).await
        };
        let t = Instant::now();
        let mut c = AnyConnection::connect(&url).await.unwrap();
        match backend.as_str() {
            "postgres" => {
                c.execute("SELECT setval(pg_get_serial_sequence('assets', 'id'), (SELECT MAX(id) FROM assets))").await.unwrap();
                c.execute("SELECT setval(pg_get_serial_sequence('findings', 'id'), (SELECT MAX(id) FROM findings))").await.unwrap();
                c.execute("VACUUM ANALYZE").await.unwrap();
            }
            _ => {
                c.execute("ANALYZE").await.unwrap();
            }
        }
        c.close().await.unwrap();
        filled.seconds = if filled.reused.is_some() { t.elapsed().as_secs_f64() } else { filled.seconds + t.elapsed().as_secs_f64() };
        eprintln!("{backend}: filled in {:.1} s; timing queries", filled.seconds);
        let store = Store::open(&url).await.unwrap();
        let mut shapes = shapes(&filled);
        if let Some(only) = &o.only {
            shapes.retain(|s| s.name().contains(only.as_str()));
        }
        let results = run_shapes(&store, &shapes, o.runs, o.warmup, o.budget, o.seed).await;
        store.close().await;
        report.push_str(&table(backend, &filled, &results, o.findings));
        report.push('\n');
        if let Some(dir) = cleanup
            && o.dir.is_none()
            && !o.reuse
        {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    print!("{report}");
    if let Some(out) = &o.out {
        std::fs::write(out, &report).unwrap();
    }
}
