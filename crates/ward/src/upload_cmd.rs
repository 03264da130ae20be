//! The sensor uplink on the command line: `--upload URL` on `ward analyze` and `ward sensor`,
//! and `ward upload` to send what the spool still holds.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;
use ward_model::report::AnalyzeReport;
use ward_server::uplink::{Delivery, Endpoint, Spool, Trust, deliver};

/// Exit status when the report was spooled but the server did not take it (yet).
pub const EXIT_SPOOLED: u8 = 3;

#[derive(clap::Args, Debug, Clone)]
pub struct UploadArgs {
    /// Send the report to this `ward server` (https://HOST:PORT) as a batch; it is spooled on
    /// disk first and stays there until the server has acknowledged it.
    #[arg(long, value_name = "URL")]
    pub upload: Option<String>,
    #[command(flatten)]
    pub conn: ConnArgs,
}

#[derive(clap::Args, Debug, Clone)]
pub struct ConnArgs {
    /// File holding the sensor's token (`ward server token create`); owner-only (0600).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Trust the server's certificate through this PEM file (its self-signed certificate, or
    /// the hospital's CA) instead of the system's trust store.
    #[arg(long, value_name = "FILE", conflicts_with = "server_pin")]
    pub server_ca: Option<PathBuf>,
    /// Trust exactly the certificate with this SHA-256 fingerprint (as `ward server` prints it).
    #[arg(long, value_name = "SHA256")]
    pub server_pin: Option<String>,
    /// Spool directory (default: $WARD_SPOOL_DIR, else /var/spool/ward as root, else
    /// ~/.local/state/ward/spool).
    #[arg(long, value_name = "DIR")]
    pub spool: Option<PathBuf>,
    /// Most bytes the spool holds while the server is unreachable; the oldest batches are
    /// dropped beyond it, with a warning.
    #[arg(long, value_name = "MB", default_value_t = 2048)]
    pub spool_max_mb: u64,
    /// Allow an http:// server URL: the token and the inventory then cross the network in
    /// cleartext.
    #[arg(long)]
    pub insecure_http: bool,
}

#[derive(clap::Args, Debug)]
pub struct FlushArgs {
    /// The server (https://HOST:PORT).
    #[arg(long, value_name = "URL")]
    server: String,
    #[command(flatten)]
    conn: ConnArgs,
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// Everything needed to send: where, whom to trust, the token, the spool. Its Debug form
/// leaves the token out.
#[derive(Clone)]
pub struct Uplink {
    endpoint: Endpoint,
    trust: Trust,
    token: String,
    pub spool: Spool,
    spool_max: u64,
}

impl std::fmt::Debug for Uplink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uplink")
            .field("endpoint", &self.endpoint)
            .field("trust", &self.trust)
            .field("spool", &self.spool)
            .finish_non_exhaustive()
    }
}

impl Uplink {
    pub fn new(url: &str, c: &ConnArgs) -> Result<Uplink> {
        let endpoint = Endpoint::parse(url, c.insecure_http)?;
        if !endpoint.https {
            eprintln!(
                "ward: WARNING: --insecure-http: the sensor token and the inventory cross the network in cleartext"
            );
        }
        let trust = match (&c.server_pin, &c.server_ca) {
            (Some(pin), _) => Trust::pin(pin)?,
            (None, ca) => Trust::Ca(ca.clone()),
        };
        let Some(tf) = &c.token_file else {
            bail!("--token-file is required to upload (make one with `ward server token create`)")
        };
        let token = read_token(tf)?;
        let dir = c
            .spool
            .clone()
            .or_else(|| std::env::var_os("WARD_SPOOL_DIR").map(PathBuf::from))
            .unwrap_or_else(|| {
                if is_root() {
                    PathBuf::from("/var/spool/ward")
                } else {
                    std::env::var_os("HOME").map_or_else(
                        || PathBuf::from("ward-spool"),
                        |h| PathBuf::from(h).join(".local/state/ward/spool"),
                    )
                }
            });
        let spool = Spool::open(&dir)?;
        Ok(Uplink {
            endpoint,
            trust,
            token,
            spool,
            spool_max: c.spool_max_mb.saturating_mul(1 << 20),
        })
    }

    /// Spool a report durably, then apply the spool's size cap.
    pub fn enqueue(&self, report: &AnalyzeReport) -> Result<String> {
        let id = self.spool.enqueue(|w| ward_report::write_json(report, w))?;
        for dropped in self.spool.enforce_cap(self.spool_max)? {
            eprintln!(
                "ward: WARNING: spool over {} MiB: dropped the oldest unsent batch {dropped}",
                self.spool_max >> 20
            );
        }
        Ok(id)
    }

    /// Send what is pending.
    pub fn deliver(&self) -> Result<Delivery> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(rt.block_on(deliver(
            &self.spool,
            &self.endpoint,
            &self.trust,
            &self.token,
        ))?)
    }
}

fn read_token(path: &Path) -> Result<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        bail!(
            "the token file {} is readable by others; `chmod 600` it",
            path.display()
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let token = text.trim();
    // Never echo the file's content: it may be a token pasted in the wrong place.
    if !token.starts_with("ward_s_")
        || token.len() > 200
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    {
        bail!(
            "the token file {} does not hold a Ward sensor token",
            path.display()
        );
    }
    Ok(token.to_string())
}

/// One line for the operator about a delivery.
pub fn explain(d: &Delivery) -> String {
    let mut s = format!("{} sent", d.delivered);
    if d.duplicates > 0 {
        s += &format!(", {} already on the server", d.duplicates);
    }
    if !d.rejected.is_empty() {
        s += &format!(
            ", {} rejected by the server (kept in rejected/)",
            d.rejected.len()
        );
    }
    if d.remaining > 0 {
        s += &format!(", {} waiting in the spool", d.remaining);
    }
    if let Some(why) = &d.stopped {
        s += &format!("; stopped: {why}");
    }
    s
}

/// `ward analyze --upload`: spool the finished report and try to send everything pending.
pub fn upload_report(report: &AnalyzeReport, url: &str, c: &ConnArgs) -> Result<bool> {
    let up = Uplink::new(url, c)?;
    let id = up.enqueue(report)?;
    let d = up.deliver()?;
    for (id, why) in &d.rejected {
        eprintln!("ward: the server rejected batch {id}: {why}");
    }
    eprintln!("ward: upload of batch {id}: {}", explain(&d));
    Ok(d.remaining == 0 && d.rejected.is_empty())
}

/// `ward upload`: send what the spool holds.
pub fn flush(a: &FlushArgs) -> Result<ExitCode> {
    let up = Uplink::new(&a.server, &a.conn)?;
    let d = up.deliver()?;
    for (id, why) in &d.rejected {
        eprintln!("ward: the server rejected batch {id}: {why}");
    }
    eprintln!("ward: upload: {}", explain(&d));
    Ok(if d.remaining == 0 && d.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_SPOOLED)
    })
}

/// `ward sensor --upload`: a thread that sends batches as the capture loop spools them, and
/// retries every `retry` while the server is away. Dropping the sender stops it after one
/// last attempt.
pub fn background(
    up: Uplink,
    retry: Duration,
) -> (mpsc::Sender<()>, std::thread::JoinHandle<Uplink>) {
    let (tx, rx) = mpsc::channel::<()>();
    let handle = std::thread::spawn(move || {
        loop {
            let disconnected = match rx.recv_timeout(retry) {
                Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => false,
                Err(mpsc::RecvTimeoutError::Disconnected) => true,
            };
            while rx.try_recv().is_ok() {}
            if up.spool.pending().map(|p| !p.is_empty()).unwrap_or(false) {
                match up.deliver() {
                    Ok(d) => eprintln!("ward: upload: {}", explain(&d)),
                    Err(e) => eprintln!("ward: upload: {e}"),
                }
            }
            if disconnected {
                return up;
            }
        }
    });
    (tx, handle)
}
