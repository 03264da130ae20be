//! The sensor uplink against a real `ward server` on loopback: a report made while the server
//! is down waits in the spool and is delivered once the server is back; a batch whose answer
//! was lost is recognised as a duplicate on resend, not merged twice; a batch the server can
//! never accept moves to `rejected/` with its reason; a server the sensor cannot authenticate
//! gets nothing; the token never reaches the sensor's output.

mod common;

use common::server::start_on;
use common::*;
use std::path::{Path, PathBuf};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn pending(spool: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(spool.join("pending")).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    v.sort();
    v
}

#[test]
fn reports_survive_a_server_outage_and_arrive_once() {
    let dir = scratch("uplink");
    let data = dir.join("data");
    let spool = dir.join("spool");
    let port = free_port();
    let url = format!("https://127.0.0.1:{port}");
    let devices = root().join("tests/pcap/lan/hospital-devices/input.pcap");
    let lan = root().join("tests/pcap/lan/hospital-lan/input.pcap");

    // The server makes its certificate on first start; the sensor trusts exactly that file.
    start_on(&data, &format!("127.0.0.1:{port}")).stop();
    let ca = data.join("tls/cert.pem");
    let (code, out, err) = ward(&["server", "token", "create", "--sensor", "icu-span", "--data-dir", &data.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    let token = String::from_utf8(out).expect("utf8").trim().to_string();
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{token}\n")).expect("token file");

    let s = |p: &Path| p.display().to_string();
    let up = |capture: &Path, extra: &[&str]| {
        let mut args = vec!["analyze", "--no-progress", "-f", "json", "-o", "/dev/null"];
        args.extend_from_slice(extra);
        let c = s(capture);
        args.push(&c);
        ward(&args)
    };
    let (tf, sp, cap) = (s(&token_file), s(&spool), s(&ca));
    let conn = ["--token-file", tf.as_str(), "--spool", sp.as_str()];

    // Secure by default: a token file others can read is refused before any work.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let (code, _, err) = up(&devices, &[&["--upload", &url, "--server-ca", &cap][..], &conn].concat());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("chmod 600") && !err.contains(&token), "{err}");
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    // And so is cleartext http, unless asked for.
    let (code, _, err) = up(&devices, &[&["--upload", &format!("http://127.0.0.1:{port}")][..], &conn].concat());
    assert_eq!(code, 1, "{err}");

    // The server is down: both reports wait in the spool (exit 3), durable, owner-only.
    let (code, _, err) = up(&devices, &[&["--upload", &url, "--server-ca", &cap][..], &conn].concat());
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("1 waiting in the spool") && err.contains("cannot connect"), "{err}");
    let (code, _, err) = up(&lan, &[&["--upload", &url, "--server-ca", &cap][..], &conn].concat());
    assert_eq!(code, 3, "{err}");
    let waiting = pending(&spool);
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    assert_eq!(std::fs::metadata(&spool).expect("spool").permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::metadata(&waiting[0]).expect("batch").permissions().mode() & 0o777, 0o600);
    let kept = dir.join("kept.json");
    std::fs::copy(&waiting[0], &kept).expect("copy");

    // The server is back: `ward upload` delivers both, oldest first, and empties the spool.
    let server = start_on(&data, &format!("127.0.0.1:{port}"));
    let flush = |extra: &[&str]| {
        let mut args = vec!["upload", "--server", url.as_str()];
        args.extend_from_slice(&conn);
        args.extend_from_slice(extra);
        ward(&args)
    };
    let (code, _, err) = flush(&["--server-ca", &cap]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 sent"), "{err}");
    assert!(pending(&spool).is_empty());

    // The first answer was lost and the sensor resends: acknowledged as a duplicate, removed.
    std::fs::copy(&kept, &waiting[0]).expect("restore");
    let (code, _, err) = flush(&["--server-ca", &cap]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 sent, 1 already on the server"), "{err}");
    assert!(pending(&spool).is_empty());

    // A batch the server can never take moves aside with the server's reason.
    std::fs::write(spool.join("pending/000000000000001-junk.json"), b"{\"assets\": [}").expect("junk");
    let (code, _, err) = flush(&["--server-ca", &cap]);
    assert_eq!(code, 3, "{err}");
    let reason = std::fs::read_to_string(spool.join("rejected/000000000000001-junk.reason")).expect("reason");
    assert!(reason.starts_with("HTTP 422"), "{reason}");
    assert!(pending(&spool).is_empty());

    // A server the sensor cannot authenticate (the system trust store does not know the
    // self-signed certificate; a wrong pin) gets nothing: the batch stays.
    let (code, _, err) = up(&devices, &[&["--upload", &url][..], &conn].concat());
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("TLS"), "{err}");
    let wrong_pin = "00".repeat(32);
    let (code, _, err) = flush(&["--server-pin", &wrong_pin]);
    assert_eq!(code, 3, "{err}");
    assert_eq!(pending(&spool).len(), 1);
    // The right pin (as the server printed it) delivers it; it is the same capture as before,
    // a new batch, merged into the same devices.
    let (code, _, err) = flush(&["--server-pin", &server.fingerprint]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 sent"), "{err}");
    assert!(!err.contains(&token[24..]), "the token's secret never reaches the sensor's output");

    // A revoked token: nothing is lost, the sensor is told why.
    let (code, _, err) = ward(&["server", "token", "revoke", &token[7..23], "--data-dir", &data.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = up(&lan, &[&["--upload", &url, "--server-ca", &cap][..], &conn].concat());
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("refused the sensor token"), "{err}");
    assert_eq!(pending(&spool).len(), 1);
    server.stop();

    // In the store: exactly what one delivery of each capture makes, though the
    // hospital-devices capture arrived three times (two batches and a resend).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let counts = |db: &Path, ingest: Vec<serde_json::Value>| {
        rt.block_on(async {
            let store = ward_store::Store::open(&format!("sqlite:{}", db.display())).await.expect("store");
            for (i, r) in ingest.into_iter().enumerate() {
                let r = serde_json::from_value(r).expect("report");
                store.ingest("reference", &format!("r{i}"), &r).await.expect("ingest");
            }
            let f = store.findings(&ward_store::FindingQuery::default()).await.expect("findings").total;
            let a = store.assets(&ward_store::AssetQuery::default()).await.expect("assets").total;
            store.close().await;
            (f, a)
        })
    };
    let got = counts(&data.join("ward.db"), vec![]);
    let want = counts(&dir.join("reference.db"), vec![analyze(&[&devices]), analyze(&[&lan])]);
    assert!(want.0 > 0 && want.1 > 0, "{want:?}");
    assert_eq!(got, want, "(findings, assets) as after one delivery of each");
}
