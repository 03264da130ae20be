//! The store's one test suite, run on SQLite and on PostgreSQL alike, with reports that the
//! sensor library makes from this repository's captures of real tools (the simulated hospital
//! of tests/pcap/lan/hospital-devices).

mod common;

use common::{postgres, report, sqlite};
use sqlx::Row;
use std::collections::BTreeSet;
use std::time::Duration;
use ward_model::report::AnalyzeReport;
use ward_model::{Severity, Timestamp};
use ward_store::{Action, AssetQuery, AssetSort, Cursor, FindingQuery, FindingRow, FindingSort, IngestTuning, Store, StoreError};

const DEVICES: &str = "tests/pcap/lan/hospital-devices/input.pcap";

/// Each case runs once per backend, each on a fresh, migrated database.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite { $( #[tokio::test] async fn $name() { super::$name(super::sqlite().await).await } )* }
        mod on_postgres { $( #[tokio::test] async fn $name() { super::$name(super::postgres().await).await } )* }
    };
}

on_both!(
    ingest_builds_the_inventory,
    a_resent_batch_is_not_merged_twice,
    identity_across_sensors_and_time,
    finding_lifecycle,
    filters_sort_and_paginate,
    no_patient_value_or_secret_in_the_store,
    accounts_sessions_and_one_time_secrets,
    sensor_tokens_are_listed_without_their_hash,
    dashboard_counts_every_row_and_a_care_unit,
    passkeys_handles_and_one_time_ceremonies,
    stored_risk_scores_sort_the_inventory,
    filtered_finding_pages_are_the_filtered_rows_in_order,
    pages_by_position_are_the_pages_by_offset,
    deployment_keys_keep_the_first_value,
    report_assets_resolving_to_one_asset_in_one_batch,
    identifiers_moving_inside_one_batch,
    grouped_batches_keep_their_own_outcomes,
    a_finding_reopened_inside_a_grouped_commit,
    documents_are_rewritten_only_when_they_say_something_new,
    a_mac_adopts_the_mac_less_asset_of_its_address,
);

async fn asset_by_mac(s: &Store, mac: &str) -> i64 {
    let page = s.assets(&AssetQuery { search: Some(mac.into()), ..AssetQuery::default() }).await.expect("assets");
    assert_eq!(page.total, 1, "one asset holds {mac}");
    page.items[0].id
}

/// Every asset and finding of the report lands, with the device identity and identifiers the
/// sensor found: the infusion pump is a Baxter Sigma Spectrum at its MAC and address.
async fn ingest_builds_the_inventory(s: Store) {
    let r = report(DEVICES);
    let out = s.ingest("icu-span", "b1", &r).await.expect("ingest");
    assert!(!out.duplicate);
    assert_eq!(out.assets_new as usize, r.assets.len());
    assert_eq!(out.findings_new as usize, r.findings.len());
    assert_eq!(r.findings.len(), 17);
    let all = s.assets(&AssetQuery::default()).await.expect("assets");
    assert_eq!(all.total as usize, r.assets.len());
    let pump = asset_by_mac(&s, "58:42:e4:00:00:31").await;
    let (row, doc, ids, _) = s.asset(pump).await.expect("pump");
    assert_eq!((row.kind.as_str(), row.manufacturer.as_deref(), row.model.as_deref()), ("infusion-pump", Some("Baxter"), Some("Sigma Spectrum")));
    assert_eq!(doc["device"]["kind"], "infusion-pump");
    assert!(ids.contains(&("mac".into(), "58:42:e4:00:00:31".into())), "{ids:?}");
    assert!(ids.iter().any(|(k, v)| k == "ip" && v == "10.78.0.31"), "{ids:?}");
    let high = r.findings.iter().filter(|f| f.severity >= Severity::High).count();
    let page = s.findings(&FindingQuery { status: Some("open".into()), min_severity: Some(Severity::High), limit: 100, ..FindingQuery::default() }).await.expect("findings");
    assert_eq!(page.total as usize, high);
    let on_pump = s.findings(&FindingQuery { asset: Some(pump), limit: 100, ..FindingQuery::default() }).await.expect("findings");
    let kinds: BTreeSet<&str> = on_pump.items.iter().map(|f| f.kind.as_str()).collect();
    assert!(kinds.contains("cleartext-credentials") && kinds.contains("deprecated-tls"), "{kinds:?}");
    s.close().await;
}

/// A sensor that lost the acknowledgement resends the same batch: it is acknowledged again and
/// changes nothing. A new batch with the same traffic folds into the same assets and findings.
async fn a_resent_batch_is_not_merged_twice(s: Store) {
    let r = report(DEVICES);
    s.ingest("icu-span", "b1", &r).await.expect("first");
    let again = s.ingest("icu-span", "b1", &r).await.expect("resend");
    assert!(again.duplicate);
    let f = s.findings(&FindingQuery { limit: 500, ..FindingQuery::default() }).await.expect("findings");
    let once: i64 = f.items.iter().map(|x| x.occurrences).sum();
    let next = s.ingest("icu-span", "b2", &r).await.expect("next batch");
    assert_eq!((next.assets_new, next.findings_new, next.findings_seen as usize), (0, 0, r.findings.len()));
    let f2 = s.findings(&FindingQuery { limit: 500, ..FindingQuery::default() }).await.expect("findings");
    assert_eq!(f2.total, f.total);
    assert_eq!(f2.items.iter().map(|x| x.occurrences).sum::<i64>(), 2 * once);
    // The same batch id from another sensor is another batch.
    assert!(!s.ingest("or-span", "b1", &r).await.expect("other sensor").duplicate);
    s.close().await;
}

/// Identity resolution: a second sensor behind a router sees the pump by address only and it
/// is the same asset; DHCP then gives the pump's address to a new device, which becomes its own
/// asset while the pump's history records the address leaving; a software update of the CT is a
/// history entry.
async fn identity_across_sensors_and_time(s: Store) {
    let r = report(DEVICES);
    s.ingest("icu-span", "b1", &r).await.expect("ingest");
    let pump = asset_by_mac(&s, "58:42:e4:00:00:31").await;
    let ct = asset_by_mac(&s, "44:4b:5d:00:00:20").await;
    let total = s.assets(&AssetQuery::default()).await.expect("assets").total;

    // Behind a router: no MAC, an ip: id.
    let mut routed = r.clone();
    routed.assets.retain(|a| a.mac.as_deref() == Some("58:42:e4:00:00:31"));
    routed.findings.clear();
    routed.assets[0].mac = None;
    routed.assets[0].id = "ip:10.78.0.31".into();
    let out = s.ingest("core-router-span", "r1", &routed).await.expect("routed");
    assert_eq!((out.assets_new, out.assets_updated), (0, 1));
    assert_eq!(s.assets(&AssetQuery::default()).await.expect("assets").total, total);

    // The address moves to a new device.
    let mut moved = routed.clone();
    moved.assets[0].mac = Some("00:11:22:33:44:55".into());
    moved.assets[0].id = "mac:00:11:22:33:44:55".into();
    moved.assets[0].hostnames.clear();
    moved.assets[0].dicom_ae_titles.clear();
    let out = s.ingest("icu-span", "b2", &moved).await.expect("moved");
    assert_eq!(out.assets_new, 1);
    let newcomer = asset_by_mac(&s, "00:11:22:33:44:55").await;
    assert_ne!(newcomer, pump);
    let (_, _, pump_ids, pump_hist) = s.asset(pump).await.expect("pump");
    assert!(!pump_ids.iter().any(|(k, v)| k == "ip" && v == "10.78.0.31"), "the address left the pump: {pump_ids:?}");
    assert!(pump_hist.iter().any(|h| h.field == "ip" && h.old_value.as_deref() == Some("10.78.0.31") && h.new_value.is_none()), "{pump_hist:?}");
    let (_, _, new_ids, _) = s.asset(newcomer).await.expect("newcomer");
    assert!(new_ids.iter().any(|(k, v)| k == "ip" && v == "10.78.0.31"));
    // The search follows the address to its new owner (the search text of both is rewritten).
    let by_ip = s.assets(&AssetQuery { search: Some("10.78.0.31".into()), ..AssetQuery::default() }).await.expect("search");
    assert_eq!(by_ip.items.iter().map(|a| a.id).collect::<Vec<_>>(), vec![newcomer]);
    assert_eq!(by_ip.total, 1);

    // A software update.
    let mut updated = r.clone();
    updated.findings.clear();
    updated.assets.retain(|a| a.mac.as_deref() == Some("44:4b:5d:00:00:20"));
    updated.assets[0].device.software_version = Some("revo_ct_23.0".into());
    s.ingest("icu-span", "b3", &updated).await.expect("update");
    let (row, _, _, hist) = s.asset(ct).await.expect("ct");
    assert_eq!(row.software_version.as_deref(), Some("revo_ct_23.0"));
    assert!(
        hist.iter().any(|h| h.field == "software_version" && h.old_value.as_deref() == Some("revo_ct_22.1") && h.new_value.as_deref() == Some("revo_ct_23.0")),
        "{hist:?}"
    );
    s.close().await;
}

fn only_kind(r: &AnalyzeReport, kind: &str) -> AnalyzeReport {
    let mut r = r.clone();
    r.findings.retain(|f| f.kind == kind);
    r
}

/// A finding goes open → acknowledged → resolved, comes back open when the sensor sees it
/// again, is accepted as a risk only with a reason and a future expiry, and stays accepted
/// while that holds; steps the lifecycle forbids are refused and change nothing; every step
/// is an event with its actor.
async fn finding_lifecycle(s: Store) {
    let r = only_kind(&report(DEVICES), "deprecated-tls");
    s.ingest("icu-span", "b1", &r).await.expect("ingest");
    let f = s.findings(&FindingQuery::default()).await.expect("findings");
    assert_eq!(f.total, 1);
    let id = f.items[0].id;
    let status = |s: Store| async move { s.findings(&FindingQuery::default()).await.expect("findings").items[0].status.clone() };
    s.act(id, "user:ana", &Action::Acknowledge).await.expect("ack");
    assert!(s.act(id, "user:ana", &Action::Acknowledge).await.is_err(), "acknowledged twice");
    s.act(id, "user:ana", &Action::Assign { to: Some("biomed-bob".into()) }).await.expect("assign");
    s.act(id, "user:bob", &Action::Comment { text: "pump firmware 8.02 supports TLS 1.2".into() }).await.expect("comment");
    s.act(id, "user:bob", &Action::Resolve { note: Some("firmware updated".into()) }).await.expect("resolve");
    assert_eq!(status(s.clone()).await, "resolved");
    let out = s.ingest("icu-span", "b2", &r).await.expect("seen again");
    assert_eq!(out.findings_reopened, 1);
    assert_eq!(status(s.clone()).await, "open");
    let now = i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_nanos()).expect("i64");
    let past = Action::AcceptRisk { reason: "isolated VLAN".into(), until: now - 1 };
    assert!(s.act(id, "user:ana", &past).await.is_err(), "expiry in the past");
    assert!(s.act(id, "user:ana", &Action::AcceptRisk { reason: "  ".into(), until: now + 10_i64.pow(15) }).await.is_err(), "no reason");
    assert_eq!(status(s.clone()).await, "open", "refused steps change nothing");
    s.act(id, "user:ana", &Action::AcceptRisk { reason: "isolated VLAN until the pump fleet is replaced".into(), until: now + 10_i64.pow(15) }).await.expect("accept");
    let out = s.ingest("icu-span", "b3", &r).await.expect("seen while accepted");
    assert_eq!(out.findings_reopened, 0);
    let row = &s.findings(&FindingQuery::default()).await.expect("findings").items[0];
    assert_eq!((row.status.as_str(), row.assignee.as_deref(), row.occurrences), ("accepted_risk", Some("biomed-bob"), 3));
    let events: Vec<(String, String)> = s.finding_events(id).await.expect("events").into_iter().map(|e| (e.actor, e.action)).collect();
    let want = [
        ("sensor:icu-span", "raised"),
        ("user:ana", "acknowledged"),
        ("user:ana", "assigned"),
        ("user:bob", "comment"),
        ("user:bob", "resolved"),
        ("sensor:icu-span", "reopened"),
        ("user:ana", "accepted_risk"),
    ];
    assert_eq!(events, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert!(matches!(s.act(999_999, "user:ana", &Action::Acknowledge).await, Err(ward_store::StoreError::NotFound(_))));
    s.close().await;
}

/// Pages cover every asset once in the order asked; filters by kind and text work, `%` in a
/// search is a literal, and hostile text is only ever a value.
async fn filters_sort_and_paginate(s: Store) {
    let r = report(DEVICES);
    s.ingest("icu-span", "b1", &r).await.expect("ingest");
    let total = s.assets(&AssetQuery::default()).await.expect("assets").total;
    let mut seen = Vec::new();
    let mut labels = Vec::new();
    for page in 0.. {
        let p = s.assets(&AssetQuery { sort: AssetSort::Label, limit: 3, offset: page * 3, ..AssetQuery::default() }).await.expect("page");
        assert_eq!(p.total, total);
        if p.items.is_empty() {
            break;
        }
        seen.extend(p.items.iter().map(|a| a.id));
        labels.extend(p.items.iter().map(|a| a.label.clone()));
    }
    assert_eq!(seen.len() as u64, total);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len() as u64, total, "no asset twice");
    let mut sorted = labels.clone();
    sorted.sort();
    assert_eq!(labels, sorted);
    let modalities = s.assets(&AssetQuery { kind: Some("imaging-modality".into()), ..AssetQuery::default() }).await.expect("kind");
    assert!(modalities.total >= 2 && modalities.items.iter().all(|a| a.kind == "imaging-modality"));
    let ge = s.assets(&AssetQuery { search: Some("revolution".into()), ..AssetQuery::default() }).await.expect("search");
    assert_eq!(ge.total, 1);
    // `_` matches only a literal underscore (AE titles such as US_ROOM2), not any character.
    let underscore = s.assets(&AssetQuery { search: Some("_".into()), ..AssetQuery::default() }).await.expect("search");
    assert!(underscore.total >= 1 && underscore.total < total, "{} of {total}", underscore.total);
    for hostile in ["%", "' OR '1'='1", "x'; DROP TABLE assets; --", "\\"] {
        let p = s.assets(&AssetQuery { search: Some(hostile.into()), ..AssetQuery::default() }).await.expect("hostile search is a value");
        assert_eq!(p.total, 0, "{hostile}");
    }
    assert_eq!(s.assets(&AssetQuery::default()).await.expect("still there").total, total);
    let by_sev = s.findings(&FindingQuery { descending: true, limit: 100, ..FindingQuery::default() }).await.expect("findings");
    let ranks: Vec<&str> = by_sev.items.iter().map(|f| f.severity.as_str()).collect();
    let order = ["critical", "high", "medium", "low", "info"];
    let idx: Vec<usize> = ranks.iter().map(|r| order.iter().position(|o| o == r).expect("known severity")).collect();
    assert!(idx.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    s.close().await;
}

/// The capture's synthetic patient names, ids and passwords are nowhere in the database: every
/// text column of every table is searched.
async fn no_patient_value_or_secret_in_the_store(s: Store) {
    let r = report(DEVICES);
    s.ingest("icu-span", "b1", &r).await.expect("ingest");
    let wire = std::fs::read(common::root().join(DEVICES)).expect("pcap");
    let wire = String::from_utf8_lossy(&wire);
    let secrets = ["WARDTESTPATIENT", "Wardtestpatient", "MRN-WARD-47", "19610704", "Mqtt-Pw-7788", "Pump-Svc-2468", "Ftp-Pw-1357", "Web-Pw-9753", "Orthanc-Pw-5150", "Snmp-Secret-Comm"];
    // The two HTTP Basic passwords travel base64-encoded; the rest in clear.
    for x in secrets.iter().filter(|x| !matches!(**x, "Web-Pw-9753" | "Orthanc-Pw-5150")) {
        assert!(wire.contains(x), "the capture carries {x}");
    }
    let assets = s.assets(&AssetQuery { limit: 500, ..AssetQuery::default() }).await.expect("assets");
    let mut text = serde_json::to_string(&assets).expect("json");
    for a in &assets.items {
        let (_, doc, ids, hist) = s.asset(a.id).await.expect("asset");
        text.push_str(&doc.to_string());
        text.push_str(&format!("{ids:?}{hist:?}"));
    }
    let findings = s.findings(&FindingQuery { limit: 500, ..FindingQuery::default() }).await.expect("findings");
    text.push_str(&serde_json::to_string(&findings).expect("json"));
    for f in &findings.items {
        text.push_str(&serde_json::to_string(&s.finding_events(f.id).await.expect("events")).expect("json"));
    }
    assert!(text.contains("Sigma Spectrum"), "the search covers real content");
    for x in secrets {
        assert!(!text.to_lowercase().contains(&x.to_lowercase()), "{x} is in the store");
    }
    s.close().await;
}

/// Accounts and sessions: names are unique; a TOTP step, a recovery code and the setup token
/// are each accepted once, even when asked twice; sign-out everywhere and disabling end every
/// session of the user.
async fn accounts_sessions_and_one_time_secrets(s: Store) {
    s.create_setup_token("setup-old", ward_store::now() + 1_000_000_000_000).await.expect("setup");
    s.create_setup_token("setup-new", ward_store::now() + 1_000_000_000_000).await.expect("setup");
    assert!(!s.use_setup_token("setup-old").await.expect("use"), "only the latest link works");
    assert!(s.use_setup_token("setup-new").await.expect("use"));
    assert!(!s.use_setup_token("setup-new").await.expect("use"), "once");
    assert_eq!(s.user_count().await.expect("count"), 0);
    let id = s.create_user("admin", "administrator", "$argon2id$...", None).await.expect("user");
    assert!(s.create_user("admin", "auditor", "$argon2id$...", None).await.is_err(), "names are unique");
    s.create_setup_token("setup-late", ward_store::now() + 1_000_000_000_000).await.expect("setup");
    assert!(!s.use_setup_token("setup-late").await.expect("use"), "no setup once an account exists");

    s.begin_totp(id, "sealed").await.expect("begin");
    s.confirm_totp(id, 100).await.expect("confirm");
    let u = s.user_by_name("admin").await.expect("get").expect("exists");
    assert!(u.totp_enrolled && u.totp_last_step == Some(100) && u.totp_sealed.as_deref() == Some("sealed"));
    s.begin_totp(id, "other").await.expect("begin");
    assert_eq!(s.user(id).await.expect("get").expect("exists").totp_sealed.as_deref(), Some("sealed"), "an enrolled factor is not replaced by a restart");
    assert!(!s.use_totp_step(id, 100).await.expect("step"), "the confirming code's step is spent");
    assert!(s.use_totp_step(id, 101).await.expect("step"));
    assert!(!s.use_totp_step(id, 101).await.expect("step"), "a code is accepted once");
    assert!(!s.use_totp_step(id, 99).await.expect("step"), "and never an older one");

    s.set_recovery_codes(id, &["h1".into(), "h2".into()]).await.expect("codes");
    assert!(s.use_recovery_code(id, "h1").await.expect("use"));
    assert!(!s.use_recovery_code(id, "h1").await.expect("use"));
    assert_eq!(s.unused_recovery_codes(id).await.expect("left"), vec!["h2".to_string()]);

    for h in ["s1", "s2", "s3"] {
        s.create_session(h, id, "password", "127.0.0.1").await.expect("session");
    }
    s.authenticate_session("s1", "full").await.expect("auth");
    assert_eq!(s.session("s1").await.expect("get").expect("exists").stage, "full");
    s.delete_session("s3").await.expect("delete");
    assert!(s.session("s3").await.expect("get").is_none());
    assert_eq!(s.delete_user_sessions(id).await.expect("all"), 2);
    // Sessions no request can use are purged: ten minutes on, a sign-in left at the password
    // stage (usable for five) goes, a full session within its idle and absolute limits stays;
    // a day on, idle for longer than 30 minutes, it goes too.
    s.create_session("p1", id, "password", "127.0.0.1").await.expect("session");
    s.create_session("f1", id, "full", "127.0.0.1").await.expect("session");
    const MIN: i64 = 60_000_000_000;
    assert_eq!(s.purge_sessions(ward_store::now() + 10 * MIN, 5 * MIN, 24 * 60 * MIN, 24 * 60 * MIN).await.expect("purge"), 1);
    assert!(s.session("p1").await.expect("get").is_none() && s.session("f1").await.expect("get").is_some());
    assert_eq!(s.purge_sessions(ward_store::now() + 24 * 60 * MIN, 5 * MIN, 30 * MIN, 12 * 60 * MIN).await.expect("purge"), 1);
    assert!(s.session("f1").await.expect("get").is_none());
    s.create_session("s4", id, "full", "127.0.0.1").await.expect("session");
    s.set_disabled(id, true).await.expect("disable");
    assert!(s.session("s4").await.expect("get").is_none(), "disabling ends sessions");
    assert!(s.user(id).await.expect("get").expect("exists").disabled);
}

/// The sensors page lists tokens: by sensor, newest first, with their state, never the hash.
async fn sensor_tokens_are_listed_without_their_hash(s: Store) {
    let far = ward_store::now() + 86_400_000_000_000;
    s.create_token("00000000000000b1", "hash-b1", "sensor", "or-2", far).await.expect("token");
    s.create_token("00000000000000a1", "hash-a1", "sensor", "icu", far).await.expect("token");
    s.create_token("00000000000000a2", "hash-a2", "sensor", "icu", far).await.expect("token");
    s.create_token("00000000000000c1", "hash-c1", "automation", "someone", far).await.expect("token");
    s.revoke_token("00000000000000a1").await.expect("revoke");
    s.touch_token("00000000000000b1").await.expect("touch");
    let list = s.tokens("sensor").await.expect("list");
    let ids: Vec<&str> = list.iter().map(|t| t.public_id.as_str()).collect();
    assert_eq!(ids, ["00000000000000a2", "00000000000000a1", "00000000000000b1"]);
    assert!(list[1].revoked_at.is_some() && list[0].revoked_at.is_none());
    assert!(list[2].last_used_at.is_some() && list[0].last_used_at.is_none());
    // An automation token keeps its scopes and label, and is listed with its owner's only.
    s.create_scoped_token("00000000000000d1", "hash-d1", "automation", "7", Some("finding.read finding.acknowledge"), Some("ticketing"), far).await.expect("token");
    let mine = s.tokens_of("automation", "7").await.expect("list");
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].scopes.as_deref(), mine[0].label.as_deref()), (Some("finding.read finding.acknowledge"), Some("ticketing")));
    assert_eq!(s.token("00000000000000d1").await.expect("get").expect("exists").scopes.as_deref(), Some("finding.read finding.acknowledge"));
    assert!(s.tokens_of("automation", "someone-else").await.expect("list").is_empty());
}

/// The dashboard's aggregates equal what the rows themselves say (counted here from the list
/// queries), for everyone and for one care unit; a clinician without a unit sees nothing.
async fn dashboard_counts_every_row_and_a_care_unit(s: Store) {
    let r = report(DEVICES);
    s.ingest("icu-span", "b1", &r).await.expect("ingest");
    let assets = s.assets(&AssetQuery { limit: 500, ..AssetQuery::default() }).await.expect("assets").items;
    let findings = s.findings(&FindingQuery { limit: 500, ..FindingQuery::default() }).await.expect("findings").items;
    let rank = |sev: &str| ["info", "low", "medium", "high", "critical"].iter().position(|x| *x == sev).expect("severity");
    let expect = |assets: &[ward_store::AssetRow], findings: &[ward_store::FindingRow]| {
        let mut by_sev = [0u64; 5];
        let mut risk = [0u64; 6];
        for f in findings.iter().filter(|f| f.status == "open" || f.status == "acknowledged") {
            by_sev[rank(&f.severity)] += 1;
        }
        for a in assets {
            let worst = findings.iter().filter(|f| f.asset == Some(a.id) && (f.status == "open" || f.status == "acknowledged")).map(|f| rank(&f.severity)).max();
            risk[worst.unwrap_or(5)] += 1;
        }
        (assets.len() as u64, by_sev, risk, findings.len() as u64)
    };
    let d = s.dashboard(None).await.expect("dashboard");
    let (n, by_sev, risk, total) = expect(&assets, &findings);
    assert_eq!((d.assets, d.live_by_severity, d.devices_by_risk), (n, by_sev, risk));
    assert_eq!(d.by_kind.iter().map(|k| k.1).sum::<u64>(), n);
    assert_eq!(d.first_seen_per_day.iter().map(|x| x.1).sum::<u64>(), total);
    // One device in the ICU: the unit's view is that device and its findings only.
    let pump = asset_by_mac(&s, "58:42:e4:00:00:31").await;
    s.set_asset_care_unit(pump, Some("ICU")).await.expect("unit");
    let icu_assets: Vec<_> = assets.iter().filter(|a| a.id == pump).cloned().collect();
    let icu_findings: Vec<_> = findings.iter().filter(|f| f.asset == Some(pump)).cloned().collect();
    assert!(!icu_findings.is_empty());
    let d = s.dashboard(Some("ICU")).await.expect("dashboard");
    let (n, by_sev, risk, total) = expect(&icu_assets, &icu_findings);
    assert_eq!((d.assets, d.live_by_severity, d.devices_by_risk), (n, by_sev, risk));
    assert_eq!(d.first_seen_per_day.iter().map(|x| x.1).sum::<u64>(), total);
    let page = s.findings(&FindingQuery { care_unit: Some("ICU".into()), limit: 500, ..FindingQuery::default() }).await.expect("findings");
    assert_eq!(page.total as usize, icu_findings.len());
    let nobody = s.dashboard(Some("")).await.expect("dashboard");
    assert_eq!((nobody.assets, nobody.live_by_severity.iter().sum::<u64>()), (0, 0));
    assert_eq!(s.assets(&AssetQuery { care_unit: Some(String::new()), ..AssetQuery::default() }).await.expect("assets").total, 0);
}

/// Passkeys belong to one account and one credential id; the user handle is made once and then
/// kept; a ceremony's state is handed out once, so a challenge cannot be answered twice.
async fn passkeys_handles_and_one_time_ceremonies(s: Store) {
    let alice = s.create_user("alice", "security-analyst", "$argon2id$...", None).await.expect("user");
    let bob = s.create_user("bob", "auditor", "$argon2id$...", None).await.expect("user");
    let h = s.webauthn_handle(alice, "00112233445566778899aabbccddeeff").await.expect("handle");
    assert_eq!(h, "00112233445566778899aabbccddeeff");
    assert_eq!(s.webauthn_handle(alice, "ffffffffffffffffffffffffffffffff").await.expect("handle"), h, "made once, then kept");
    assert!(s.webauthn_handle(9999, "ffffffffffffffffffffffffffffffff").await.is_err(), "no such account");

    let k1 = s.add_passkey(alice, "cred-1", "YubiKey", "{\"v\":1}").await.expect("add");
    assert!(s.add_passkey(bob, "cred-1", "stolen", "{}").await.is_err(), "a credential is registered once, to one account");
    let k2 = s.add_passkey(alice, "cred-2", "laptop", "{}").await.expect("add");
    let keys = s.passkeys(alice).await.expect("list");
    assert_eq!(keys.iter().map(|k| (k.id, k.name.as_str())).collect::<Vec<_>>(), vec![(k1, "YubiKey"), (k2, "laptop")]);
    assert!(keys[0].last_used_at.is_none());
    s.passkey_used(k1, Some("{\"v\":2}")).await.expect("used");
    s.passkey_used(k2, None).await.expect("used");
    let keys = s.passkeys(alice).await.expect("list");
    assert_eq!((keys[0].passkey.as_str(), keys[1].passkey.as_str()), ("{\"v\":2}", "{}"), "an unchanged credential keeps its document");
    assert!(keys.iter().all(|k| k.last_used_at.is_some()));
    assert!(!s.delete_passkey(bob, k1).await.expect("delete"), "not another account's key");
    assert!(s.delete_passkey(alice, k1).await.expect("delete"));
    assert_eq!(s.passkeys(alice).await.expect("list").len(), 1);
    assert!(s.passkeys(bob).await.expect("list").is_empty());

    s.create_session("sess", alice, "password", "127.0.0.1").await.expect("session");
    assert!(s.take_ceremony("sess").await.expect("take").is_none(), "none begun");
    s.set_ceremony("sess", "challenge-1").await.expect("set");
    s.set_ceremony("sess", "challenge-2").await.expect("set");
    assert_eq!(s.take_ceremony("sess").await.expect("take").as_deref(), Some("challenge-2"), "the latest ceremony");
    assert!(s.take_ceremony("sess").await.expect("take").is_none(), "taken once");
    assert!(s.set_ceremony("no-such-session", "x").await.is_err());
}

/// The server's risk scores are kept per asset and sort the inventory, riskiest first (ties by
/// id); the scoring inputs come out in pages; clearing them leaves every score at 0.
async fn stored_risk_scores_sort_the_inventory(s: Store) {
    let r = report(DEVICES);
    s.ingest("icu", "b1", &r).await.expect("ingest");
    let all = s.assets(&AssetQuery { limit: 500, ..AssetQuery::default() }).await.expect("assets").items;
    assert!(all.len() >= 3 && all.iter().all(|a| a.risk == 0.0), "no score before the server computes one");
    let mut ids: Vec<i64> = all.iter().map(|a| a.id).collect();
    ids.sort_unstable();
    let docs = s.asset_docs(&ids[..2]).await.expect("docs");
    assert_eq!(docs.iter().map(|(id, _)| *id).collect::<Vec<_>>(), ids[..2].to_vec());
    assert!(docs.iter().all(|(_, d)| d.get("device").is_some()), "the stored report documents");
    let mut walked = Vec::new();
    let mut after = 0;
    loop {
        let page = s.asset_docs_after(after, 2).await.expect("page");
        let Some(last) = page.last().map(|(id, _)| *id) else { break };
        walked.extend(page.iter().map(|(id, _)| *id));
        after = last;
    }
    assert_eq!(walked, ids, "the walk visits every asset once, in id order");
    let exposure = s.exposure(&ids).await.expect("exposure");
    assert!(!exposure.is_empty() && exposure.iter().all(|(id, kind, _)| ids.contains(id) && kind != "known-vulnerability"));

    s.set_risks(&[(ids[0], 12.5), (ids[1], 87.25), (ids[2], 12.5)]).await.expect("set");
    let sorted = s.assets(&AssetQuery { sort: AssetSort::Risk, descending: true, limit: 3, ..AssetQuery::default() }).await.expect("assets").items;
    assert_eq!(sorted.iter().map(|a| (a.id, a.risk)).collect::<Vec<_>>(), vec![(ids[1], 87.25), (ids[2], 12.5), (ids[0], 12.5)]);
    let (row, _, _, _) = s.asset(ids[1]).await.expect("asset");
    assert_eq!(row.risk, 87.25);
    assert_eq!(s.clear_risks().await.expect("clear"), 3);
    assert!(s.assets(&AssetQuery { limit: 500, ..AssetQuery::default() }).await.expect("assets").items.iter().all(|a| a.risk == 0.0));
}

/// The asset filter (on PostgreSQL a UNION of the asset side and the peer side) and the status and
/// minimum severity under another sort (SQLite: kept off their indexes by a unary `+`) give exactly the rows a plain filter over
/// every finding gives, in the same order, page after page, with the same totals.
async fn filtered_finding_pages_are_the_filtered_rows_in_order(s: Store) {
    let r = report(DEVICES);
    s.ingest("icu-span", "b1", &r).await.expect("ingest");
    let all = s.findings(&FindingQuery { limit: 500, ..FindingQuery::default() }).await.expect("all").items;
    assert_eq!(all.len(), r.findings.len());
    let rank = |f: &FindingRow| ["info", "low", "medium", "high", "critical"].iter().position(|n| *n == f.severity).expect("known severity");
    let mut assets: BTreeSet<i64> = all.iter().filter_map(|f| f.asset).collect();
    assets.extend(all.iter().filter_map(|f| f.peer));
    assert!(all.iter().any(|f| f.peer.is_some()), "the capture has findings with a peer");
    let mut asked = 0;
    for asset in assets.iter().copied().map(Some).chain([None]) {
        for (min, status) in [(None, None), (Some(Severity::Medium), None), (Some(Severity::High), None), (None, Some("open")), (Some(Severity::High), Some("open"))] {
            for sort in [FindingSort::Severity, FindingSort::LastSeen, FindingSort::FirstSeen, FindingSort::Occurrences] {
                for descending in [false, true] {
                    let mut want: Vec<&FindingRow> = all.iter().filter(|f| asset.is_none_or(|a| f.asset == Some(a) || f.peer == Some(a)) && min.is_none_or(|m| rank(f) >= m as usize) && status.is_none_or(|st| f.status == st)).collect();
                    want.sort_by_key(|f| match sort {
                        FindingSort::Severity => (rank(f) as i64, f.last_seen, f.id),
                        FindingSort::LastSeen => (f.last_seen, f.id, 0),
                        FindingSort::FirstSeen => (f.first_seen, f.id, 0),
                        FindingSort::Occurrences => (f.occurrences, f.id, 0),
                    });
                    if descending {
                        want.reverse();
                    }
                    let want: Vec<i64> = want.iter().map(|f| f.id).collect();
                    let mut got = Vec::new();
                    for page in 0..=want.len() as u64 / 2 {
                        let p = s.findings(&FindingQuery { asset, min_severity: min, status: status.map(String::from), sort, descending, limit: 2, offset: page * 2, ..FindingQuery::default() }).await.expect("page");
                        assert_eq!((p.total, p.total_capped), (want.len() as u64, false), "{asset:?} {min:?} {status:?} {sort:?} {descending}");
                        got.extend(p.items.iter().map(|f| f.id));
                    }
                    assert_eq!(got, want, "{asset:?} {min:?} {status:?} {sort:?} {descending}");
                    // The same walk by position (`after` = the previous page's `next`).
                    let mut walked = Vec::new();
                    let mut after = None;
                    for _ in 0..=want.len() {
                        let p = s.findings(&FindingQuery { asset, min_severity: min, status: status.map(String::from), sort, descending, limit: 2, after: after.take(), ..FindingQuery::default() }).await.expect("keyset page");
                        assert_eq!(p.total, want.len() as u64, "the total counts the whole filter, not what is left");
                        assert!(!p.items.is_empty() || want.is_empty(), "no empty page at the end: {asset:?} {min:?} {status:?} {sort:?} {descending}");
                        walked.extend(p.items.iter().map(|f| f.id));
                        match p.next {
                            Some(n) => after = Some(n),
                            None => break,
                        }
                    }
                    assert_eq!(walked, want, "by position: {asset:?} {min:?} {status:?} {sort:?} {descending}");
                    asked += 1;
                }
            }
        }
    }
    assert!(asked > 24);
    s.close().await;
}

/// Keyset pagination over the inventory: for every sort (text with ties and missing makers,
/// integers, risk scores as floats with ties) and both directions, with and without a search,
/// walking pages by `after` gives exactly the rows of walking them by offset; a device added
/// between two pages at a position already passed neither repeats a row nor pushes one out; a
/// cursor is refused by another sort or direction, and text that is not a cursor does not read
/// as one.
async fn pages_by_position_are_the_pages_by_offset(s: Store) {
    let r = report(DEVICES);
    s.ingest("icu-span", "b1", &r).await.expect("ingest");
    let all = s.assets(&AssetQuery { limit: 500, ..AssetQuery::default() }).await.expect("assets").items;
    assert!(all.len() >= 6, "enough devices for several pages");
    assert!(all.iter().any(|a| a.manufacturer.is_none()) && all.iter().any(|a| a.manufacturer.is_some()), "makers known and unknown");
    // Risk scores with ties (and one third of the devices at 0).
    let risks: Vec<(i64, f64)> = all.iter().enumerate().filter(|(i, _)| i % 3 != 0).map(|(i, a)| (a.id, [12.5, 87.25, 40.1][i % 3])).collect();
    s.set_risks(&risks).await.expect("risks");
    let search = all[0].label.chars().take(2).collect::<String>();
    for search in [None, Some(search)] {
        for sort in [AssetSort::LastSeen, AssetSort::Label, AssetSort::Kind, AssetSort::Manufacturer, AssetSort::Bytes, AssetSort::Risk] {
            for descending in [false, true] {
                let q = AssetQuery { search: search.clone(), sort, descending, limit: 2, ..AssetQuery::default() };
                let mut by_offset = Vec::new();
                for page in 0..=all.len() as u64 {
                    let p = s.assets(&AssetQuery { offset: page * 2, ..q.clone() }).await.expect("page");
                    if p.items.is_empty() {
                        break;
                    }
                    by_offset.extend(p.items.iter().map(|a| a.id));
                }
                let mut walked = Vec::new();
                let mut after = None;
                for _ in 0..=all.len() {
                    let p = s.assets(&AssetQuery { after: after.take(), ..q.clone() }).await.expect("keyset page");
                    walked.extend(p.items.iter().map(|a| a.id));
                    match p.next {
                        Some(n) => after = Some(n),
                        None => break,
                    }
                }
                assert!(!by_offset.is_empty());
                assert_eq!(walked, by_offset, "{search:?} {sort:?} {descending}");
            }
        }
    }
    // A device that arrives between two pages, sorting before the position reached.
    let q = AssetQuery { sort: AssetSort::Label, limit: 3, ..AssetQuery::default() };
    let first = s.assets(&q).await.expect("first page");
    let cursor = first.next.clone().expect("a second page");
    let mut early = report(DEVICES);
    early.assets.truncate(1);
    early.findings.clear();
    let a = &mut early.assets[0];
    a.mac = Some("02:00:00:00:00:01".into());
    a.ips = vec!["10.99.0.1".parse().expect("ip")];
    a.hostnames = vec!["0-arrived-meanwhile".into()];
    a.dicom_ae_titles.clear();
    s.ingest("icu-span", "b2", &early).await.expect("new device");
    let mut rest = Vec::new();
    let mut after = Some(cursor);
    while let Some(c) = after.take() {
        let p = s.assets(&AssetQuery { after: Some(c), ..q.clone() }).await.expect("page");
        rest.extend(p.items.iter().map(|a| a.id));
        after = p.next;
    }
    let mut seen: Vec<i64> = first.items.iter().map(|a| a.id).collect();
    seen.extend(&rest);
    assert_eq!(seen.len(), all.len(), "every device that was there once, the new one (before the position) not at all");
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), all.len(), "none twice");
    // A cursor belongs to its sort and direction.
    let by_label = s.assets(&AssetQuery { sort: AssetSort::Label, limit: 2, ..AssetQuery::default() }).await.expect("page").next.expect("next");
    for other in [AssetQuery { sort: AssetSort::Bytes, after: Some(by_label.clone()), ..AssetQuery::default() }, AssetQuery { sort: AssetSort::Label, descending: true, after: Some(by_label.clone()), ..AssetQuery::default() }] {
        assert!(matches!(s.assets(&other).await, Err(StoreError::Invalid(_))), "{:?} {}", other.sort, other.descending);
    }
    let finding_cursor = s.findings(&FindingQuery { limit: 1, ..FindingQuery::default() }).await.expect("findings").next.expect("next");
    assert!(matches!(s.assets(&AssetQuery { after: Some(finding_cursor), ..AssetQuery::default() }).await, Err(StoreError::Invalid(_))));
    assert_eq!(Cursor::decode(&by_label.encode()), Some(by_label));
    for junk in ["", "x", "not base64!", "eyJzIjoiYXNzZXRzIn0", &"A".repeat(5000), "W10"] {
        assert_eq!(Cursor::decode(junk), None, "{junk}");
    }
    s.close().await;
}

/// A deployment key's value is the first one pinned: a later, different value does not replace
/// it (the replica with other keys learns the first one's and refuses to start).
async fn deployment_keys_keep_the_first_value(s: Store) {
    assert_eq!(s.pin_key("ledger.pub", "first").await.expect("pin"), "first");
    assert_eq!(s.pin_key("ledger.pub", "first").await.expect("pin"), "first");
    assert_eq!(s.pin_key("ledger.pub", "second").await.expect("pin"), "first");
    assert_eq!(s.pin_key("seal.key", "other").await.expect("pin"), "other");
    s.close().await;
}

/// One asset of a report, made by hand: `mac`, addresses, host names, counters.
fn device(mac: Option<&str>, ips: &[&str], hosts: &[&str], packets: u64) -> ward_model::report::Asset {
    let mut a = report(DEVICES).assets.into_iter().find(|a| a.mac.as_deref() == Some("58:42:e4:00:00:31")).expect("the pump");
    a.mac = mac.map(str::to_string);
    a.id = mac.map_or_else(|| format!("ip:{}", ips[0]), |m| format!("mac:{m}"));
    a.ips = ips.iter().map(|i| i.parse().expect("ip")).collect();
    a.hostnames = hosts.iter().map(|h| (*h).to_string()).collect();
    a.dicom_ae_titles.clear();
    a.packets = packets;
    a.bytes = packets * 100;
    a
}

fn with_assets(assets: Vec<ward_model::report::Asset>) -> AnalyzeReport {
    let mut r = report(DEVICES);
    r.assets = assets;
    r.findings.clear();
    r
}

/// Two assets of one report that are one device (by MAC and, behind a router, by its address),
/// also when the first of them creates it: one asset, its counters summed, named once in the
/// outcome.
async fn report_assets_resolving_to_one_asset_in_one_batch(s: Store) {
    let out = s.ingest("icu-span", "b1", &with_assets(vec![device(Some("02:00:00:00:00:01"), &["10.9.0.1"], &[], 10), device(None, &["10.9.0.1"], &[], 5)])).await.expect("ingest");
    assert_eq!((out.assets_new, out.assets_updated, out.assets.len()), (1, 1, 1));
    let id = out.assets[0];
    let (row, _, ids, hist) = s.asset(id).await.expect("asset");
    assert_eq!((row.packets, row.bytes), (15, 1500));
    assert_eq!(ids.iter().filter(|(k, _)| k == "ip").count(), 1, "{ids:?}");
    assert!(hist.is_empty(), "nothing moved: {hist:?}");
    // Again, now both found in the store, with an address the second one adds.
    let out = s.ingest("icu-span", "b2", &with_assets(vec![device(Some("02:00:00:00:00:01"), &["10.9.0.1"], &[], 1), device(None, &["10.9.0.1", "10.9.0.2"], &[], 2)])).await.expect("again");
    assert_eq!((out.assets_new, out.assets_updated, out.assets.clone()), (0, 2, vec![id]));
    let (row, _, ids, hist) = s.asset(id).await.expect("asset");
    assert_eq!(row.packets, 18);
    assert!(ids.contains(&("ip".into(), "10.9.0.2".into())), "{ids:?}");
    assert!(hist.iter().any(|h| h.field == "ip" && h.new_value.as_deref() == Some("10.9.0.2")), "{hist:?}");
    assert_eq!(s.assets(&AssetQuery { search: Some("10.9.0.2".into()), ..AssetQuery::default() }).await.expect("search").total, 1);
    s.close().await;
}

/// An address and a host name change hands between two devices of the same report: each
/// move is in both devices' history, and the search finds each value at its last owner only.
async fn identifiers_moving_inside_one_batch(s: Store) {
    let r = with_assets(vec![
        device(Some("02:00:00:00:00:0a"), &["10.9.1.1"], &["bed-7"], 1),
        device(Some("02:00:00:00:00:0b"), &["10.9.1.1"], &["bed-7"], 1),
    ]);
    let out = s.ingest("icu-span", "b1", &r).await.expect("ingest");
    assert_eq!((out.assets_new, out.assets.len()), (2, 2));
    let (a, b) = (out.assets[0], out.assets[1]);
    let (_, _, a_ids, a_hist) = s.asset(a).await.expect("a");
    let (_, _, b_ids, b_hist) = s.asset(b).await.expect("b");
    assert!(!a_ids.iter().any(|(k, _)| k == "ip" || k == "hostname"), "{a_ids:?}");
    assert!(b_ids.contains(&("ip".into(), "10.9.1.1".into())) && b_ids.contains(&("hostname".into(), "bed-7".into())), "{b_ids:?}");
    for field in ["ip", "hostname"] {
        assert!(a_hist.iter().any(|h| h.field == field && h.new_value.is_none() && h.old_value.is_some()), "{a_hist:?}");
        assert!(b_hist.iter().any(|h| h.field == field && h.old_value.is_none() && h.new_value.is_some()), "{b_hist:?}");
    }
    // (Both keep the label "bed-7", the first host name each was reported with.)
    let page = s.assets(&AssetQuery { search: Some("10.9.1.1".into()), ..AssetQuery::default() }).await.expect("search");
    assert_eq!(page.items.iter().map(|x| x.id).collect::<Vec<_>>(), vec![b]);
    // And back, in the next batch: the first device takes them again.
    s.ingest("icu-span", "b2", &with_assets(vec![device(Some("02:00:00:00:00:0a"), &["10.9.1.1"], &["bed-7"], 1)])).await.expect("back");
    let page = s.assets(&AssetQuery { search: Some("10.9.1.1".into()), ..AssetQuery::default() }).await.expect("search");
    assert_eq!(page.items.iter().map(|x| x.id).collect::<Vec<_>>(), vec![a]);
    let (_, _, b_ids, _) = s.asset(b).await.expect("b");
    assert!(!b_ids.iter().any(|(k, _)| k == "ip" || k == "hostname"), "{b_ids:?}");
    s.close().await;
}

/// Uploads that arrive together are committed together, and each gets its own outcome: a batch
/// sent twice at once is merged once (the other is the duplicate), the same batch id from
/// another sensor is another batch, and nothing is counted twice.
async fn grouped_batches_keep_their_own_outcomes(s: Store) {
    let r = report(DEVICES);
    let (a, b, c, d) = tokio::join!(s.ingest("icu-span", "g1", &r), s.ingest("icu-span", "g1", &r), s.ingest("or-span", "g1", &r), s.ingest("er-span", "g2", &r));
    let (a, b, c, d) = (a.expect("a"), b.expect("b"), c.expect("c"), d.expect("d"));
    assert!(!a.duplicate && b.duplicate && !c.duplicate && !d.duplicate, "{a:?} {b:?} {c:?} {d:?}");
    assert_eq!((a.assets_new as usize, a.findings_new as usize), (r.assets.len(), r.findings.len()));
    assert_eq!((b.assets_new, b.assets_updated, b.findings_new, b.findings_seen), (0, 0, 0, 0));
    for later in [&c, &d] {
        assert_eq!((later.assets_new, later.assets_updated as usize, later.findings_new, later.findings_seen as usize), (0, r.assets.len(), 0, r.findings.len()));
        assert_eq!(later.assets, a.assets);
    }
    let f = s.findings(&FindingQuery { limit: 500, ..FindingQuery::default() }).await.expect("findings");
    assert_eq!(f.total as usize, r.findings.len());
    let once: u64 = r.findings.iter().map(|f| f.count).sum();
    assert_eq!(f.items.iter().map(|x| x.occurrences).sum::<i64>(), i64::try_from(3 * once).expect("i64"));
    // A resend after the group is still recognised.
    assert!(s.ingest("or-span", "g1", &r).await.expect("resend").duplicate);
    assert_eq!(s.assets(&AssetQuery::default()).await.expect("assets").total as usize, r.assets.len());
    s.close().await;
    assert!(s.ingest("or-span", "g3", &r).await.is_err(), "a closed store takes no batch");
}

/// A resolved finding seen by two sensors whose uploads are committed together is reopened
/// once, by the first, with one event.
async fn a_finding_reopened_inside_a_grouped_commit(s: Store) {
    let r = only_kind(&report(DEVICES), "deprecated-tls");
    s.ingest("icu-span", "b1", &r).await.expect("ingest");
    let first = s.findings(&FindingQuery::default()).await.expect("findings").items[0].clone();
    let id = first.id;
    s.act(id, "user:ana", &Action::Resolve { note: None }).await.expect("resolve");
    let (a, b) = tokio::join!(s.ingest("icu-span", "b2", &r), s.ingest("or-span", "b1", &r));
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!((a.findings_reopened, a.findings_seen, b.findings_reopened, b.findings_seen), (1, 1, 0, 1));
    let events: Vec<(String, String)> = s.finding_events(id).await.expect("events").into_iter().map(|e| (e.actor, e.action)).collect();
    assert_eq!(events.iter().filter(|(_, a)| a == "reopened").collect::<Vec<_>>(), vec![&("sensor:icu-span".to_string(), "reopened".to_string())]);
    let row = &s.findings(&FindingQuery::default()).await.expect("findings").items[0];
    assert_eq!((row.status.as_str(), row.occurrences), ("open", 3 * first.occurrences));
    s.close().await;
}

/// A report that only adds traffic leaves the stored document alone (its counters are the
/// row's); one that says something new about the device replaces it.
async fn documents_are_rewritten_only_when_they_say_something_new(s: Store) {
    let one = device(Some("02:00:00:00:00:0c"), &["10.9.2.1"], &["pacs-1"], 10);
    let out = s.ingest("icu-span", "b1", &with_assets(vec![one.clone()])).await.expect("ingest");
    let id = out.assets[0];
    let (_, doc1, _, _) = s.asset(id).await.expect("asset");
    let mut more = one.clone();
    more.packets = 99;
    s.ingest("icu-span", "b2", &with_assets(vec![more.clone()])).await.expect("more traffic");
    let (row, doc2, _, _) = s.asset(id).await.expect("asset");
    assert_eq!(row.packets, 109);
    assert_eq!(doc2, doc1, "the same device, the same document");
    more.protocols.server.push("dicom".into());
    s.ingest("icu-span", "b3", &with_assets(vec![more])).await.expect("new protocol");
    let (_, doc3, _, _) = s.asset(id).await.expect("asset");
    assert!(doc3["protocols"]["server"].as_array().expect("list").iter().any(|p| p == "dicom"), "{doc3}");
    assert_eq!(doc3["packets"], 99);
    s.close().await;
}

/// A device first seen behind a router (no MAC) is adopted by the MAC that then claims its
/// address, in a later batch or in the same one; a second MAC claiming that address is another
/// device, which takes the address.
async fn a_mac_adopts_the_mac_less_asset_of_its_address(s: Store) {
    let out = s.ingest("core-span", "r1", &with_assets(vec![device(None, &["10.9.3.1"], &[], 1)])).await.expect("routed");
    let routed = out.assets[0];
    let out = s.ingest("icu-span", "b1", &with_assets(vec![device(Some("02:00:00:00:00:21"), &["10.9.3.1"], &[], 1)])).await.expect("mac");
    assert_eq!((out.assets_new, out.assets_updated, out.assets.clone()), (0, 1, vec![routed]));
    let out = s.ingest("icu-span", "b2", &with_assets(vec![device(Some("02:00:00:00:00:22"), &["10.9.3.1"], &[], 1)])).await.expect("other mac");
    assert_eq!(out.assets_new, 1);
    let other = out.assets[0];
    let (_, _, ids, _) = s.asset(routed).await.expect("routed");
    assert!(ids.contains(&("mac".into(), "02:00:00:00:00:21".into())) && !ids.iter().any(|(k, _)| k == "ip"), "{ids:?}");
    let (_, _, ids, _) = s.asset(other).await.expect("other");
    assert!(ids.contains(&("ip".into(), "10.9.3.1".into())), "{ids:?}");
    // In one batch: the MAC-less sighting first, then the MAC; then a second MAC, which the
    // first one's adoption now keeps out.
    let r = with_assets(vec![device(None, &["10.9.3.2"], &[], 1), device(Some("02:00:00:00:00:23"), &["10.9.3.2"], &[], 1), device(Some("02:00:00:00:00:24"), &["10.9.3.2"], &[], 1)]);
    let out = s.ingest("icu-span", "b3", &r).await.expect("one batch");
    assert_eq!((out.assets_new, out.assets_updated, out.assets.len()), (2, 1, 2));
    s.close().await;
}

// ---------------------------------------------------------------------------------------------
// The SQLite writer's deferred counters (migration 0012): a burst's per-sighting counters and
// times wait in the writer's memory and in `ingest_journal`, and are folded later.

/// Never folds by itself: every group of uploads is a burst, folded only when asked (or when
/// the store closes, or when it opens after a writer that did not close).
fn deferring() -> IngestTuning {
    IngestTuning { inline_fold: 0, fold_interval: Duration::from_secs(3600), idle: Duration::from_secs(3600), ..IngestTuning::default() }
}

fn scratch_db(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("ward-store-defer-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    format!("sqlite:{}", dir.join("ward.db").display())
}

/// The same uploads, in the same order: two sensors at once, a device seen again with more
/// traffic and later times, an address moving to another device, findings seen again.
async fn upload_a_burst(s: &Store) {
    let r = report(DEVICES);
    let (a, b) = tokio::join!(s.ingest("icu-span", "b1", &r), s.ingest("or-span", "b1", &r));
    a.expect("a");
    b.expect("b");
    let mut later = r.clone();
    for a in &mut later.assets {
        a.packets += 7;
        a.bytes += 700;
        a.last_seen = Timestamp(a.last_seen.nanos() + 60_000_000_000);
    }
    for f in &mut later.findings {
        f.last_seen = Timestamp(f.last_seen.nanos() + 60_000_000_000);
    }
    let (a, b) = tokio::join!(s.ingest("icu-span", "b2", &later), s.ingest("er-span", "b1", &later));
    a.expect("a");
    b.expect("b");
    s.ingest("icu-span", "b3", &with_assets(vec![device(Some("02:00:00:00:00:41"), &["10.9.4.1"], &["ward-4"], 10)])).await.expect("one");
    s.ingest("icu-span", "b4", &with_assets(vec![device(Some("02:00:00:00:00:41"), &["10.9.4.1"], &["ward-4"], 5)])).await.expect("again");
    s.ingest("or-span", "b2", &with_assets(vec![device(Some("02:00:00:00:00:42"), &["10.9.4.1"], &[], 3)])).await.expect("moved");
}

/// Everything the lists and the identifiers say, to compare two stores.
async fn everything(s: &Store, url: &str) -> (Vec<ward_store::AssetRow>, Vec<FindingRow>, Vec<(String, String, i64, i64, i64)>) {
    let assets = s.assets(&AssetQuery { limit: 500, ..AssetQuery::default() }).await.expect("assets").items;
    let findings = s.findings(&FindingQuery { limit: 500, ..FindingQuery::default() }).await.expect("findings").items;
    (assets, findings, identifiers(url).await)
}

async fn identifiers(url: &str) -> Vec<(String, String, i64, i64, i64)> {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(url).await.expect("connect");
    let rows = sqlx::query("SELECT kind, value, asset_id, first_seen, last_seen FROM asset_identifiers ORDER BY kind, value").fetch_all(&mut c).await.expect("identifiers");
    rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))).collect()
}

async fn journal_rows(url: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(url).await.expect("connect");
    sqlx::query("SELECT COUNT(*) FROM ingest_journal").fetch_one(&mut c).await.expect("count").get(0)
}

/// A burst whose counters were deferred and then folded leaves exactly what the same uploads
/// leave when each is folded at once: every asset's counters and times, every finding's
/// occurrences and times, every identifier's owner and times.
#[tokio::test]
async fn deferred_counters_fold_to_what_immediate_ones_give() {
    deferred_equals_immediate("cached", deferring()).await;
}

/// The same when the writer keeps nothing in memory (an inventory beyond `max_cached`): it reads
/// what each batch names from the database.
#[tokio::test]
async fn deferred_counters_fold_to_what_immediate_ones_give_without_the_cache() {
    deferred_equals_immediate("uncached", IngestTuning { max_cached: 0, ..deferring() }).await;
}

/// An inventory growing past `max_cached` while the writer runs: it drops its memory and goes on
/// from the database, with the same result.
#[tokio::test]
async fn deferred_counters_fold_to_what_immediate_ones_give_past_the_cache_limit() {
    deferred_equals_immediate("outgrown", IngestTuning { max_cached: 20, ..deferring() }).await;
}

async fn deferred_equals_immediate(name: &str, tuning: IngestTuning) {
    let (now_url, later_url) = (scratch_db(&format!("now-{name}")), scratch_db(&format!("later-{name}")));
    let now = Store::open(&now_url).await.expect("store");
    let later = Store::open_tuned(&later_url, tuning).await.expect("store");
    upload_a_burst(&now).await;
    upload_a_burst(&later).await;
    assert_eq!(journal_rows(&now_url).await, 0, "small uploads are folded at once");
    assert!(journal_rows(&later_url).await > 0, "the burst's counters wait in the journal");
    let before = everything(&later, &later_url).await;
    later.flush().await.expect("fold");
    assert_eq!(journal_rows(&later_url).await, 0, "folded, the journal is empty");
    let expected = everything(&now, &now_url).await;
    assert_ne!(before, expected, "the lists trailed before the fold");
    assert_eq!(everything(&later, &later_url).await, expected);
    now.close().await;
    later.close().await;
}

/// Counters acknowledged to a sensor and still deferred when the writer stopped without closing
/// the store (its runtime dropped, as in a crash) are folded by the next `Store::open`, before
/// anything reads: nothing acknowledged is lost.
#[tokio::test]
async fn deferred_counters_survive_a_writer_that_never_closed() {
    let (now_url, crash_url) = (scratch_db("crash-ref"), scratch_db("crash"));
    let url = crash_url.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        rt.block_on(async {
            let s = Store::open_tuned(&url, deferring()).await.expect("store");
            upload_a_burst(&s).await;
        });
        // No close, no flush: the writer and its connection are dropped with the runtime.
        rt.shutdown_background();
    })
    .join()
    .expect("the crashing writer's thread");
    assert!(journal_rows(&crash_url).await > 0, "acknowledged counters left in the journal");
    let reopened = Store::open(&crash_url).await.expect("reopen");
    assert_eq!(journal_rows(&crash_url).await, 0);
    let now = Store::open(&now_url).await.expect("store");
    upload_a_burst(&now).await;
    assert_eq!(everything(&reopened, &crash_url).await, everything(&now, &now_url).await);
    reopened.close().await;
    now.close().await;
}

/// A store closed with counters still deferred folds them first.
#[tokio::test]
async fn closing_folds_the_deferred_counters() {
    let (now_url, later_url) = (scratch_db("close-ref"), scratch_db("close"));
    let later = Store::open_tuned(&later_url, deferring()).await.expect("store");
    upload_a_burst(&later).await;
    later.close().await;
    assert_eq!(journal_rows(&later_url).await, 0);
    let now = Store::open(&now_url).await.expect("store");
    upload_a_burst(&now).await;
    let reopened = Store::open(&later_url).await.expect("reopen");
    assert_eq!(everything(&reopened, &later_url).await, everything(&now, &now_url).await);
    reopened.close().await;
    now.close().await;
}

/// Two stores on one SQLite file (a second process opened on the data directory): the second's
/// open folds the rows the first journalled; the first, folding later, finds them gone and folds
/// only what the journal still holds. Each row is folded once: nothing counted twice.
#[tokio::test]
async fn two_stores_on_one_file_fold_each_row_once() {
    let (now_url, shared_url) = (scratch_db("two-ref"), scratch_db("two"));
    let first = Store::open_tuned(&shared_url, deferring()).await.expect("store");
    upload_a_burst(&first).await;
    let second = Store::open(&shared_url).await.expect("second store");
    assert_eq!(journal_rows(&shared_url).await, 0, "the second store's open folded the journal");
    first.flush().await.expect("fold");
    let now = Store::open(&now_url).await.expect("store");
    upload_a_burst(&now).await;
    assert_eq!(everything(&first, &shared_url).await, everything(&now, &now_url).await);
    first.close().await;
    second.close().await;
    now.close().await;
}

