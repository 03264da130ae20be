//! `ward server`: run the service, or manage its sensor tokens (on the server's host).

use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use ward_server::{CertSource, Config};

#[derive(clap::Args, Debug)]
pub struct ServerArgs {
    #[command(subcommand)]
    command: Option<ServerCommand>,
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on (`0.0.0.0:8443` to serve the network).
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// HTTPS certificate chain (PEM); without it a self-signed certificate is made on first start.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Host names and addresses the self-signed certificate names (default: localhost, 127.0.0.1, ::1).
    #[arg(long = "tls-name", value_name = "NAME")]
    tls_names: Vec<String>,
    /// Serve plain HTTP, without TLS. Everything, tokens included, then crosses the network in
    /// cleartext: only behind a TLS-terminating proxy on the same host.
    #[arg(long)]
    insecure_http: bool,
    /// Serve Prometheus metrics (plain HTTP, counts only, no names or addresses) on this
    /// address, e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<SocketAddr>,
    /// A directory on another volume (or host mount) that receives a copy of every signed
    /// checkpoint of the audit ledger: what makes a rollback of the data directory detectable.
    #[arg(long, value_name = "DIR")]
    ledger_witness: Option<PathBuf>,
    /// CSAF advisories (a directory or a file): every uploaded report's devices are matched
    /// against them and get `known-vulnerability` findings.
    #[arg(long, value_name = "DIR")]
    advisories: Option<PathBuf>,
    /// CISA's Known Exploited Vulnerabilities catalog (JSON), with --advisories.
    #[arg(long, value_name = "FILE", requires = "advisories")]
    kev: Option<PathBuf>,
    /// The address people open in their browser, e.g. https://ward.hospital.example:8443: what
    /// security keys and passkeys are bound to. Default: the certificate's first host name
    /// (localhost), on any port.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
}

#[derive(clap::Args, Debug)]
struct StoreArgs {
    /// Data directory (SQLite database, certificate). Default: $WARD_DATA_DIR, else
    /// /var/lib/ward as root, else ~/.local/share/ward.
    #[arg(long, value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL instead of the SQLite file (several server replicas share one database).
    #[arg(long, value_name = "URL", global = true)]
    database: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
enum ServerCommand {
    /// Sensor tokens: `ward server token create --sensor NAME`, `ward server token revoke ID`.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(clap::Subcommand, Debug)]
enum TokenCommand {
    /// Make a token for a sensor; it is printed once and stored only as a hash.
    Create {
        /// The sensor's name (letters, digits, '-', '_', '.').
        #[arg(long)]
        sensor: String,
        /// Days until it expires.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// Revoke a token by its id (the 16 hex digits after `ward_s_`).
    Revoke {
        /// Token id.
        id: String,
    },
}

impl StoreArgs {
    fn data_dir(&self) -> PathBuf {
        if let Some(d) = &self.data_dir {
            return d.clone();
        }
        if let Some(d) = std::env::var_os("WARD_DATA_DIR") {
            return PathBuf::from(d);
        }
        // /proc/self belongs to the process's effective user.
        let root = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false);
        if root {
            return PathBuf::from("/var/lib/ward");
        }
        std::env::var_os("HOME").map_or_else(|| PathBuf::from("ward-data"), |h| PathBuf::from(h).join(".local/share/ward"))
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")
}

pub fn run(args: &ServerArgs) -> Result<ExitCode> {
    let data_dir = args.store.data_dir();
    let rt = runtime()?;
    if let Some(ServerCommand::Token(t)) = &args.command {
        return rt.block_on(async {
            let url = ward_server::prepare(&data_dir, args.store.database.as_deref())?;
            let store = ward_store::Store::open(&url).await?;
            match t {
                TokenCommand::Create { sensor, days } => {
                    let (token, id) = ward_server::tokens::mint(&store, sensor, *days).await?;
                    eprintln!("ward: token {id} for sensor {sensor}, valid {days} days; it is shown only now:");
                    println!("{token}");
                }
                TokenCommand::Revoke { id } => {
                    store.revoke_token(id).await?;
                    eprintln!("ward: token {id} revoked");
                }
            }
            store.close().await;
            Ok(ExitCode::SUCCESS)
        });
    }
    let tls = match (&args.tls_cert, &args.tls_key, args.insecure_http) {
        (_, _, true) => {
            eprintln!("ward: WARNING: --insecure-http: tokens and reports cross the network in cleartext");
            None
        }
        (Some(cert), Some(key), false) => Some(CertSource::Files { cert: cert.clone(), key: key.clone() }),
        (None, None, false) => {
            let names = if args.tls_names.is_empty() { vec!["localhost".into(), "127.0.0.1".into(), "::1".into()] } else { args.tls_names.clone() };
            Some(CertSource::SelfSigned { names })
        }
        _ => bail!("--tls-cert and --tls-key go together"),
    };
    let https = tls.is_some();
    let cfg = Config { data_dir: data_dir.clone(), database: args.store.database.clone(), listen: args.listen, tls, metrics: args.metrics, ledger_witness: args.ledger_witness.clone(), advisories: args.advisories.clone(), kev: args.kev.clone(), public_url: args.public_url.clone() };
    rt.block_on(async {
        let shutdown = async {
            let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                () = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {},
            }
            eprintln!("ward server: stopping; finishing requests in flight");
        };
        ward_server::serve(cfg, shutdown, |addr, fingerprint| {
            let scheme = if https { "https" } else { "http" };
            eprintln!("ward server: data in {}", data_dir.display());
            if let Some(f) = fingerprint {
                eprintln!("ward server: certificate SHA-256 {f}");
            }
            eprintln!("ward server: listening on {scheme}://{addr}");
        })
        .await
    })?;
    Ok(ExitCode::SUCCESS)
}
