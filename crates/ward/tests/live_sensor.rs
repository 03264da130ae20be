//! `ward sensor` on a real interface: two hosts in network namespaces this test creates, joined
//! by a veth pair; the sensor captures in one of them while the other pings it and opens a TCP
//! connection. And without CAP_NET_RAW, the sensor must refuse clearly and exit non-zero.
//!
//! Needs root (CI runs as root). Set WARD_SKIP_NETNS=1 to skip on a machine without it; the
//! test fails otherwise, so it cannot pass by doing nothing.

use std::process::{Command, Stdio};
use std::time::Duration;

fn ward() -> &'static str {
    env!("CARGO_BIN_EXE_ward")
}

fn skip() -> bool {
    std::env::var_os("WARD_SKIP_NETNS").is_some()
}

fn sh(cmd: &str) -> std::process::Output {
    Command::new("sh").arg("-c").arg(cmd).output().expect("sh runs")
}

fn must(cmd: &str) {
    let o = sh(cmd);
    assert!(o.status.success(), "`{cmd}` failed: {}", String::from_utf8_lossy(&o.stderr));
}

struct Netns {
    a: String,
    b: String,
}

impl Netns {
    /// Two namespaces, `a` (10.78.x.1) and `b` (10.78.x.2), joined by veth; no route anywhere else.
    fn new(tag: &str) -> Netns {
        let id = std::process::id() % 200;
        let a = format!("wardt-{tag}-a{id}");
        let b = format!("wardt-{tag}-b{id}");
        let _ = sh(&format!("ip netns del {a} 2>/dev/null; ip netns del {b} 2>/dev/null"));
        must(&format!("ip netns add {a} && ip netns add {b}"));
        must(&format!(
            "ip link add wv0 netns {a} address 00:09:fb:00:00:01 type veth peer name wv1 netns {b} address 00:09:fb:00:00:02"
        ));
        must(&format!("ip -n {a} addr add 10.78.{id}.1/24 dev wv0 && ip -n {a} link set wv0 up && ip -n {a} link set lo up"));
        must(&format!("ip -n {b} addr add 10.78.{id}.2/24 dev wv1 && ip -n {b} link set wv1 up && ip -n {b} link set lo up"));
        Netns { a, b }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = sh(&format!("ip netns del {} 2>/dev/null; ip netns del {} 2>/dev/null", self.a, self.b));
    }
}

#[test]
fn sensor_captures_live_traffic_between_two_namespaces() {
    if skip() {
        return;
    }
    let ns = Netns::new("live");
    let id = std::process::id() % 200;
    let dir = std::env::temp_dir().join(format!("ward-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let out = dir.join("live.json");
    let mut sensor = Command::new("ip")
        .args(["netns", "exec", &ns.a, ward(), "sensor", "--interface", "wv0", "--duration", "5", "--format", "json", "--output"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("sensor starts");
    std::thread::sleep(Duration::from_millis(700));
    // A listener in `a`, a client in `b`: a real TCP handshake, data and close; and pings.
    let listener = Command::new("ip")
        .args(["netns", "exec", &ns.a, "timeout", "4", "busybox", "nc", "-l", "-p", "104"])
        .stdout(Stdio::null())
        .spawn()
        .expect("listener");
    std::thread::sleep(Duration::from_millis(300));
    must(&format!("ip netns exec {} busybox ping -c 3 -W 1 10.78.{id}.1 >/dev/null", ns.b));
    let _ = sh(&format!("echo hello | ip netns exec {} timeout 2 busybox nc 10.78.{id}.1 104", ns.b));
    let status = sensor.wait().expect("sensor ends");
    let _ = listener.wait_with_output();
    assert!(status.success(), "sensor exit {status:?}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).expect("report written")).expect("json");
    assert_eq!(report["capture"]["files"][0]["format"], "live");
    let assets = report["assets"].as_array().expect("assets");
    let find = |mac: &str| assets.iter().find(|a| a["mac"] == mac).unwrap_or_else(|| panic!("asset {mac} missing: {assets:?}"));
    let a = find("00:09:fb:00:00:01");
    let b = find("00:09:fb:00:00:02");
    assert_eq!(a["ips"][0], format!("10.78.{id}.1"));
    assert_eq!(b["ips"][0], format!("10.78.{id}.2"));
    // 00:09:FB is registered to Philips Patient Monitoring in the IEEE registry.
    assert!(a["vendor"].as_str().unwrap_or("").contains("Philips"), "{}", a["vendor"]);
    assert!(a["protocols"]["server"].as_array().expect("server").iter().any(|p| p == "tcp/104"), "{a}");
    assert!(b["protocols"]["client"].as_array().expect("client").iter().any(|p| p == "icmp"), "{b}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sensor_without_cap_net_raw_says_so_and_exits_nonzero() {
    if skip() {
        return;
    }
    let o = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--", ward()])
        .args(["sensor", "--interface", "lo", "--duration", "1"])
        .output()
        .expect("setpriv runs");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("CAP_NET_RAW"), "stderr: {err}");
    assert!(err.contains("permission denied capturing on lo"), "stderr: {err}");
}

/// `ward sensor --upload`: batches end every interval and reach a `ward server` (in the same
/// namespace, on its loopback) while the capture goes on; at the end the spool is empty and the
/// server knows the two hosts.
#[test]
fn sensor_uploads_batches_while_capturing() {
    if skip() {
        return;
    }
    let ns = Netns::new("upl");
    let id = std::process::id() % 200;
    let dir = std::env::temp_dir().join(format!("ward-live-upload-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp");
    let (data, spool, token_file) = (dir.join("data"), dir.join("spool"), dir.join("token"));
    let o = Command::new(ward()).args(["server", "token", "create", "--sensor", "ward-live", "--data-dir"]).arg(&data).output().expect("token");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(&token_file, &o.stdout).expect("token file");
    std::fs::set_permissions(&token_file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).expect("chmod");
    let mut server = Command::new("ip")
        .args(["netns", "exec", &ns.a, ward(), "server", "--listen", "127.0.0.1:8443", "--data-dir"])
        .arg(&data)
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let cert = data.join("tls/cert.pem");
    for _ in 0..100 {
        if cert.exists() && sh(&format!("ip netns exec {} busybox nc -z 127.0.0.1 8443", ns.a)).status.success() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let sensor = Command::new("ip")
        .args(["netns", "exec", &ns.a, ward(), "sensor", "--interface", "wv0", "--duration", "5", "--format", "json", "--output", "/dev/null"])
        .args(["--upload", "https://127.0.0.1:8443", "--upload-interval", "2", "--server-ca"])
        .arg(&cert)
        .arg("--token-file")
        .arg(&token_file)
        .arg("--spool")
        .arg(&spool)
        .stderr(Stdio::piped())
        .spawn()
        .expect("sensor starts");
    std::thread::sleep(Duration::from_millis(700));
    must(&format!("ip netns exec {} busybox ping -c 4 -W 1 10.78.{id}.1 >/dev/null", ns.b));
    let out = sensor.wait_with_output().expect("sensor ends");
    let err = String::from_utf8_lossy(&out.stderr);
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.status.success(), "sensor exit {:?}: {err}", out.status);
    let sent: usize = err.lines().filter_map(|l| l.strip_prefix("ward: upload: ")?.split(' ').next()?.parse::<usize>().ok()).sum();
    assert!(sent >= 2, "a batch every 2 s and one at the end: {err}");
    assert_eq!(std::fs::read_dir(spool.join("pending")).expect("spool").count(), 0, "{err}");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let macs: Vec<String> = rt.block_on(async {
        let store = ward_store::Store::open(&format!("sqlite:{}", data.join("ward.db").display())).await.expect("store");
        let page = store.assets(&ward_store::AssetQuery::default()).await.expect("assets");
        let mut macs = Vec::new();
        for a in page.items {
            let (_, _, ids, _) = store.asset(a.id).await.expect("asset");
            macs.extend(ids.into_iter().filter(|(k, _)| k == "mac").map(|(_, v)| v));
        }
        store.close().await;
        macs
    });
    for mac in ["00:09:fb:00:00:01", "00:09:fb:00:00:02"] {
        assert!(macs.iter().any(|m| m == mac), "{mac} not on the server: {macs:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
