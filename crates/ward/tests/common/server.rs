//! `ward server` as a child process for the tests: started on loopback, its log read line by
//! line, stopped when dropped.
#![allow(dead_code)] // reason: each test binary uses a different subset of these helpers.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Server {
    pub child: Child,
    /// host:port it listens on.
    pub addr: String,
    /// SHA-256 of its certificate as it printed it.
    pub fingerprint: String,
    /// The one-time setup token it printed when no account existed.
    pub setup: Option<String>,
    pub data: PathBuf,
    /// Later lines of its log.
    pub log: mpsc::Receiver<String>,
    /// host:port of its metrics listener, when started with --metrics.
    pub metrics: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `ward server --data-dir DATA --listen LISTEN` and wait until it listens.
pub fn start_on(data: &Path, listen: &str) -> Server {
    start_with(data, listen, &[])
}

/// Start with more arguments.
pub fn start_with(data: &Path, listen: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ward"))
        .args(["server", "--listen", listen, "--data-dir"])
        .arg(data)
        .args(extra)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("ward server starts");
    let err = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut fingerprint, mut setup, mut metrics) = (String::new(), None, None);
    let addr = loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).expect("the server starts within a minute");
        if let Some(f) = line.strip_prefix("ward server: certificate SHA-256 ") {
            fingerprint = f.to_string();
        }
        if let Some(m) = line.strip_prefix("ward server: metrics on http://") {
            metrics = m.strip_suffix("/metrics").map(str::to_string);
        }
        if let Some((_, t)) = line.split_once("/setup#") {
            setup = Some(t.trim().to_string());
        }
        if let Some(a) = line.strip_prefix("ward server: listening on https://") {
            break a.to_string();
        }
    };
    Server { child, addr, fingerprint, setup, data: data.to_path_buf(), log: rx, metrics }
}

/// Start on a free port of 127.0.0.1.
pub fn start(data: &Path) -> Server {
    start_on(data, "127.0.0.1:0")
}

impl Server {
    /// The first administrator (`admin`, with `password`) through the setup token, enrolled
    /// over the API with the current TOTP step; returns the CSRF token of the session in `jar`.
    pub fn first_admin(&self, jar: &Path, password: &str) -> String {
        let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_else(|e| panic!("{e}: {s}"));
        let setup = self.setup.clone().expect("a setup link at first start");
        let (st, body) = self.curl(jar, "POST", "/api/v1/setup", &[], Some(&format!(r#"{{"token":"{setup}","username":"admin","password":"{password}"}}"#)));
        assert_eq!(st, 200, "{body}");
        let (st, body) = self.curl(jar, "GET", "/api/v1/login/enrol", &[], None);
        assert_eq!(st, 200, "{body}");
        let uri = json(&body)["otpauth_uri"].as_str().expect("uri").to_string();
        let b32 = uri.split("secret=").nth(1).and_then(|r| r.split('&').next()).expect("secret");
        let secret = ward_auth::totp::TotpSecret::from_base32(b32).expect("base32");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
        let code = ward_auth::totp::code_for_step(&secret, ward_auth::totp::step_at(now).expect("step")).to_string();
        let (st, body) = self.curl(jar, "POST", "/api/v1/login/enrol", &[], Some(&format!(r#"{{"code":"{}"}}"#, code.as_str())));
        assert_eq!(st, 200, "{body}");
        json(&body)["csrf_token"].as_str().expect("csrf").to_string()
    }

    /// SIGTERM and wait: a clean stop.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().expect("exits")
    }

    /// curl against the server with its own certificate as the only trust anchor and a cookie
    /// jar; returns (status, body).
    pub fn curl(&self, jar: &Path, method: &str, path: &str, headers: &[&str], body: Option<&str>) -> (u16, String) {
        let mut c = Command::new("curl");
        c.args(["-s", "--max-time", "30", "--cacert"]).arg(self.data.join("tls/cert.pem"));
        c.arg("-b").arg(jar).arg("-c").arg(jar).args(["-X", method, "-o", "-", "-w", "\n%{http_code}"]);
        for h in headers {
            c.args(["-H", h]);
        }
        if let Some(b) = body {
            c.args(["-H", "Content-Type: application/json", "--data-binary", b]);
        }
        let o = c.arg(format!("https://{}{path}", self.addr)).output().expect("curl runs (scripts/test.sh installs it)");
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        let (body, code) = out.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }
}
