//! The sensor's side of the uplink: reports are written to a spool directory and made durable
//! (fsync of the file and of its directory) before any attempt to send them; a batch leaves the
//! spool only when the server has acknowledged it (200, including "already have it"), or moves to
//! `rejected/` with the server's reason when the server says it can never accept it. Network
//! errors, 5xx, 429 and refused tokens leave everything in place for the next attempt, so a
//! server outage loses nothing, and the batch id (the spool file's name, sent as `Ward-Batch`)
//! makes a resend after a lost answer a recognised duplicate instead of a second merge.
//!
//! Layout: `SPOOL/pending/<batch>.json` (oldest first by name), `SPOOL/rejected/<batch>.json`
//! with `<batch>.reason`, `SPOOL/tmp/` for files being written. Owner-only permissions: a
//! report names the hospital's devices.

use crate::{MAX_BATCH_BYTES, ServerError};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The system's trust store on Debian (package ca-certificates).
pub const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https` (or `http` only when the operator insists).
    pub https: bool,
    /// Host name or address, without brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path prefix without a trailing slash (`""` for the root).
    pub prefix: String,
}

impl Endpoint {
    /// Parse `https://host[:port][/prefix]`. `http://` is refused unless `allow_http`.
    pub fn parse(url: &str, allow_http: bool) -> Result<Endpoint, ServerError> {
        let bad = |why: &str| ServerError::Invalid(format!("server URL {url:?}: {why}"));
        let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            if !allow_http {
                return Err(bad(
                    "plain http sends the token in cleartext; use https (or --insecure-http)",
                ));
            }
            (false, r)
        } else {
            return Err(bad("must start with https://"));
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(bad("credentials do not go in the URL; use --token-file"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
            None if https => 443,
            None => 80,
        };
        if path.contains(['?', '#']) {
            return Err(bad("no query or fragment"));
        }
        Ok(Endpoint {
            https,
            host: host.to_string(),
            port,
            prefix: path.trim_end_matches('/').to_string(),
        })
    }
}

/// How the sensor decides the server is the right one.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Certificates chaining to the anchors of this PEM file (the server's self-signed
    /// certificate itself, or the hospital's CA); the system bundle when `None`.
    Ca(Option<PathBuf>),
    /// Exactly the certificate with this SHA-256 fingerprint (as `ward server` prints it).
    Pin([u8; 32]),
}

impl Trust {
    /// Parse a fingerprint as printed by `ward server` (hex, colons optional).
    pub fn pin(text: &str) -> Result<Trust, ServerError> {
        let hex: String = text.chars().filter(|c| *c != ':').collect();
        let mut out = [0u8; 32];
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(ServerError::Invalid(
                "a certificate fingerprint is 32 bytes of hex (SHA-256)".into(),
            ));
        }
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| ServerError::Invalid("the fingerprint is not hex".into()))?;
        }
        Ok(Trust::Pin(out))
    }
}

/// Accepts exactly one certificate, by fingerprint; signatures are still checked with the
/// provider's algorithms, so the server must hold the key.
#[derive(Debug)]
struct PinVerifier {
    pin: [u8; 32],
    algs: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, end_entity.as_ref());
        if aws_lc_rs::constant_time::verify_slices_are_equal(got.as_ref(), &self.pin).is_ok() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server's certificate does not match the pinned fingerprint".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// The TLS client configuration for `trust` (TLS 1.2 and 1.3 only).
pub fn client_tls(trust: &Trust) -> Result<Arc<rustls::ClientConfig>, ServerError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ServerError::Tls(e.to_string()))?;
    let cfg = match trust {
        Trust::Ca(file) => {
            let path = file
                .clone()
                .unwrap_or_else(|| PathBuf::from(SYSTEM_CA_BUNDLE));
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(&path)
                .map_err(|e| ServerError::Tls(format!("{}: {e}", path.display())))?;
            for c in certs {
                let c = c.map_err(|e| ServerError::Tls(format!("{}: {e}", path.display())))?;
                // A bundle may hold certificates webpki cannot use as anchors; skip those.
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err(ServerError::Tls(format!(
                    "{}: no usable certificate",
                    path.display()
                )));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::Pin(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinVerifier {
                pin: *pin,
                algs: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
    };
    Ok(Arc::new(cfg))
}

/// The on-disk queue of reports waiting for the server.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

fn private_dir(p: &Path) -> Result<(), ServerError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(p).map_err(|e| ServerError::io(p, &e))?;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| ServerError::io(p, &e))
}

fn sync_dir(p: &Path) -> Result<(), ServerError> {
    std::fs::File::open(p)
        .and_then(|d| d.sync_all())
        .map_err(|e| ServerError::io(p, &e))
}

/// A batch id that sorts by creation time and is unique across restarts: milliseconds since
/// the epoch, then 64 random bits.
fn new_batch_id() -> Result<String, ServerError> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut r = [0u8; 8];
    aws_lc_rs::rand::fill(&mut r)
        .map_err(|_| ServerError::Io("the system random generator failed".into()))?;
    Ok(format!(
        "{ms:015}-{}",
        r.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

fn valid_batch_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl Spool {
    /// Open (creating) the spool directory.
    pub fn open(dir: &Path) -> Result<Spool, ServerError> {
        for sub in ["", "pending", "rejected", "tmp"] {
            private_dir(&dir.join(sub))?;
        }
        Ok(Spool {
            dir: dir.to_path_buf(),
        })
    }

    /// Write one report (by `write`) as a new pending batch, durable before this returns.
    /// Returns the batch id.
    pub fn enqueue(
        &self,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<String, ServerError> {
        use std::os::unix::fs::OpenOptionsExt;
        let id = new_batch_id()?;
        let tmp = self.dir.join("tmp").join(format!("{id}.json"));
        let dest = self.dir.join("pending").join(format!("{id}.json"));
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| ServerError::io(&tmp, &e))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        let done = write(&mut w)
            .and_then(|()| w.flush())
            .map_err(|e| ServerError::io(&tmp, &e))
            .and_then(|()| {
                w.get_ref()
                    .sync_all()
                    .map_err(|e| ServerError::io(&tmp, &e))
            });
        if let Err(e) = done {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &dest).map_err(|e| ServerError::io(&dest, &e))?;
        sync_dir(&self.dir.join("pending"))?;
        Ok(id)
    }

    /// Pending batches, oldest first: (batch id, file).
    pub fn pending(&self) -> Result<Vec<(String, PathBuf)>, ServerError> {
        let dir = self.dir.join("pending");
        let mut out = Vec::new();
        for e in std::fs::read_dir(&dir).map_err(|e| ServerError::io(&dir, &e))? {
            let e = e.map_err(|e| ServerError::io(&dir, &e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".json")
                && valid_batch_name(id)
            {
                out.push((id.to_string(), e.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// Drop the oldest pending batches until the spool holds at most `max_bytes`, keeping the
    /// newest one always; returns the ids dropped (the caller warns).
    pub fn enforce_cap(&self, max_bytes: u64) -> Result<Vec<String>, ServerError> {
        let pending = self.pending()?;
        let sizes: Vec<u64> = pending
            .iter()
            .map(|(_, p)| std::fs::metadata(p).map_or(0, |m| m.len()))
            .collect();
        let mut total: u64 = sizes.iter().sum();
        let mut dropped = Vec::new();
        for ((id, path), size) in pending
            .iter()
            .zip(&sizes)
            .take(pending.len().saturating_sub(1))
        {
            if total <= max_bytes {
                break;
            }
            std::fs::remove_file(path).map_err(|e| ServerError::io(path, &e))?;
            total -= size;
            dropped.push(id.clone());
        }
        Ok(dropped)
    }

    fn reject(&self, id: &str, path: &Path, reason: &str) -> Result<(), ServerError> {
        let dir = self.dir.join("rejected");
        let dest = dir.join(format!("{id}.json"));
        std::fs::rename(path, &dest).map_err(|e| ServerError::io(&dest, &e))?;
        let why = dir.join(format!("{id}.reason"));
        std::fs::write(&why, format!("{reason}\n")).map_err(|e| ServerError::io(&why, &e))?;
        sync_dir(&dir)?;
        sync_dir(&self.dir.join("pending"))
    }
}

/// What one delivery attempt did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Batches the server merged now.
    pub delivered: usize,
    /// Batches the server already had (an earlier answer was lost); removed from the spool.
    pub duplicates: usize,
    /// Batches moved to `rejected/`, with the server's reason.
    pub rejected: Vec<(String, String)>,
    /// Batches still waiting.
    pub remaining: usize,
    /// Why delivery stopped early (the server unreachable, a refused token, a server error).
    pub stopped: Option<String>,
}

/// A connection to the server for one delivery run.
struct Conn {
    send: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

async fn connect(ep: &Endpoint, tls: Option<&Arc<rustls::ClientConfig>>) -> Result<Conn, String> {
    let tcp = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio::net::TcpStream::connect((ep.host.as_str(), ep.port)),
    )
    .await
    .map_err(|_| format!("connecting to {}:{} timed out", ep.host, ep.port))?
    .map_err(|e| format!("cannot connect to {}:{}: {e}", ep.host, ep.port))?;
    let _ = tcp.set_nodelay(true);
    macro_rules! handshake {
        ($io:expr) => {{
            let (send, conn) = hyper::client::conn::http1::handshake($io)
                .await
                .map_err(|e| format!("HTTP: {e}"))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok(Conn { send })
        }};
    }
    match tls {
        Some(cfg) => {
            let name = ServerName::try_from(ep.host.clone())
                .map_err(|e| format!("server name {:?}: {e}", ep.host))?;
            let stream = tokio::time::timeout(
                CONNECT_TIMEOUT,
                tokio_rustls::TlsConnector::from(cfg.clone()).connect(name, tcp),
            )
            .await
            .map_err(|_| "the TLS handshake timed out".to_string())?
            .map_err(|e| format!("TLS: {e}"))?;
            handshake!(hyper_util::rt::TokioIo::new(stream))
        }
        None => handshake!(hyper_util::rt::TokioIo::new(tcp)),
    }
}

enum Outcome {
    Merged { duplicate: bool },
    Rejected(String),
    Stop(String),
}

fn problem_text(status: u16, body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let title = v["title"].as_str().unwrap_or("");
    let detail = v["detail"].as_str().unwrap_or("");
    // The problem's text is the server's own wording; bound it anyway.
    let mut s = format!("HTTP {status} {title}: {detail}");
    s.truncate(400);
    s
}

async fn post(conn: &mut Conn, ep: &Endpoint, token: &str, id: &str, body: Bytes) -> Outcome {
    let authority = if ep.host.contains(':') {
        format!("[{}]:{}", ep.host, ep.port)
    } else {
        format!("{}:{}", ep.host, ep.port)
    };
    let req = hyper::Request::post(format!("{}/api/v1/ingest", ep.prefix))
        .header(hyper::header::HOST, authority)
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("ward-batch", id)
        .body(Full::new(body));
    let req = match req {
        Ok(r) => r,
        Err(e) => return Outcome::Stop(format!("cannot build the request: {e}")),
    };
    let exchange = async {
        conn.send
            .ready()
            .await
            .map_err(|e| format!("connection lost: {e}"))?;
        let resp = conn
            .send
            .send_request(req)
            .await
            .map_err(|e| format!("sending: {e}"))?;
        let status = resp.status().as_u16();
        let body = Limited::new(resp.into_body(), 1 << 20)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        Ok::<_, String>((status, body))
    };
    let (status, body) = match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
        Err(_) => return Outcome::Stop("the server did not answer in time".into()),
        Ok(Err(e)) => return Outcome::Stop(e),
        Ok(Ok(x)) => x,
    };
    match status {
        200 => {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            Outcome::Merged {
                duplicate: v["duplicate"].as_bool().unwrap_or(false),
            }
        }
        // The batch itself is wrong: resending it can never work.
        400 | 413 | 415 | 422 => Outcome::Rejected(problem_text(status, &body)),
        401 | 403 => Outcome::Stop(format!(
            "the server refused the sensor token (HTTP {status}); ask its administrator for a new one"
        )),
        404 => Outcome::Stop("the server has no ingest endpoint at this URL (HTTP 404)".into()),
        _ => Outcome::Stop(problem_text(status, &body)),
    }
}

/// Send every pending batch, oldest first, over one connection; stop at the first failure that
/// a later attempt may fix.
pub async fn deliver(
    spool: &Spool,
    ep: &Endpoint,
    trust: &Trust,
    token: &str,
) -> Result<Delivery, ServerError> {
    let pending = spool.pending()?;
    let mut d = Delivery {
        remaining: pending.len(),
        ..Delivery::default()
    };
    if pending.is_empty() {
        return Ok(d);
    }
    let tls = if ep.https {
        Some(client_tls(trust)?)
    } else {
        None
    };
    let mut conn = match connect(ep, tls.as_ref()).await {
        Ok(c) => c,
        Err(e) => {
            d.stopped = Some(e);
            return Ok(d);
        }
    };
    for (id, path) in pending {
        let size = std::fs::metadata(&path)
            .map_err(|e| ServerError::io(&path, &e))?
            .len();
        if size > MAX_BATCH_BYTES as u64 {
            spool.reject(
                &id,
                &path,
                &format!(
                    "{size} bytes: larger than a server accepts in one batch ({MAX_BATCH_BYTES})"
                ),
            )?;
            d.rejected.push((id, "too large".into()));
            d.remaining -= 1;
            continue;
        }
        let body = Bytes::from(std::fs::read(&path).map_err(|e| ServerError::io(&path, &e))?);
        // One reconnect if the server closed an idle keep-alive connection between batches.
        let mut outcome = post(&mut conn, ep, token, &id, body.clone()).await;
        if matches!(&outcome, Outcome::Stop(e) if e.starts_with("connection lost")) {
            match connect(ep, tls.as_ref()).await {
                Ok(c) => {
                    conn = c;
                    outcome = post(&mut conn, ep, token, &id, body).await;
                }
                Err(e) => outcome = Outcome::Stop(e),
            }
        }
        match outcome {
            Outcome::Merged { duplicate } => {
                std::fs::remove_file(&path).map_err(|e| ServerError::io(&path, &e))?;
                if duplicate {
                    d.duplicates += 1;
                } else {
                    d.delivered += 1;
                }
                d.remaining -= 1;
            }
            Outcome::Rejected(why) => {
                spool.reject(&id, &path, &why)?;
                d.rejected.push((id, why));
                d.remaining -= 1;
            }
            Outcome::Stop(why) => {
                d.stopped = Some(why);
                break;
            }
        }
    }
    sync_dir(&spool.dir.join("pending"))?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_strictly() {
        let e = Endpoint::parse("https://ward.example:8443/base/", false).expect("ok");
        assert_eq!(
            e,
            Endpoint {
                https: true,
                host: "ward.example".into(),
                port: 8443,
                prefix: "/base".into()
            }
        );
        let e = Endpoint::parse("https://[::1]", false).expect("ok");
        assert_eq!(
            (e.host.as_str(), e.port, e.prefix.as_str()),
            ("::1", 443, "")
        );
        assert!(
            Endpoint::parse("http://127.0.0.1:8080", false).is_err(),
            "cleartext only when asked for"
        );
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:8080", true)
                .expect("ok")
                .port,
            8080
        );
        for bad in [
            "ftp://x",
            "https://",
            "https://u:p@host",
            "https://h:99999",
            "https://h/?q",
            "https://[::1",
        ] {
            assert!(Endpoint::parse(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn pins_parse_with_or_without_colons() {
        let hex = "AB".repeat(32);
        let colons = vec!["ab"; 32].join(":");
        assert!(matches!(Trust::pin(&hex), Ok(Trust::Pin(p)) if p == [0xab; 32]));
        assert!(matches!(Trust::pin(&colons), Ok(Trust::Pin(p)) if p == [0xab; 32]));
        assert!(Trust::pin("abcd").is_err());
        assert!(Trust::pin(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn spool_is_durable_ordered_and_bounded() {
        let dir = std::env::temp_dir().join(format!("ward-spool-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let s = Spool::open(&dir).expect("open");
        let a = s.enqueue(|w| w.write_all(&[b'a'; 100])).expect("a");
        std::thread::sleep(Duration::from_millis(2));
        let b = s.enqueue(|w| w.write_all(&[b'b'; 100])).expect("b");
        let ids: Vec<String> = s
            .pending()
            .expect("list")
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(ids, vec![a.clone(), b.clone()], "oldest first");
        // A writer that fails leaves nothing behind.
        assert!(
            s.enqueue(|_| Err(std::io::Error::other("disk full")))
                .is_err()
        );
        assert_eq!(s.pending().expect("list").len(), 2);
        assert_eq!(std::fs::read_dir(dir.join("tmp")).expect("tmp").count(), 0);
        // Over the cap the oldest goes, the newest always stays.
        assert_eq!(s.enforce_cap(150).expect("cap"), vec![a]);
        assert_eq!(s.enforce_cap(0).expect("cap"), Vec::<String>::new());
        assert_eq!(s.pending().expect("list")[0].0, b);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
