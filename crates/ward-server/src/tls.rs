//! HTTPS by default: the operator's certificate, or one made on first start and kept in the
//! data directory (private key readable by the owner only). TLS 1.2 and 1.3 only, through
//! rustls with the aws-lc-rs provider.

use crate::ServerError;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the certificate comes from.
#[derive(Debug, Clone)]
pub enum CertSource {
    /// The operator's PEM files.
    Files {
        /// Certificate chain.
        cert: PathBuf,
        /// Private key.
        key: PathBuf,
    },
    /// `DATA_DIR/tls/{cert,key}.pem`, made on first start for these names.
    SelfSigned {
        /// Host names and addresses the certificate is valid for.
        names: Vec<String>,
    },
}

fn write_private(path: &Path, data: &[u8]) -> Result<(), ServerError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(|e| ServerError::io(path, &e))?;
    f.write_all(data).map_err(|e| ServerError::io(path, &e))
}

/// The certificate and key files to serve, making the self-signed pair if it does not exist.
/// Returns (cert path, key path, made now).
pub fn ensure(data_dir: &Path, source: &CertSource) -> Result<(PathBuf, PathBuf, bool), ServerError> {
    match source {
        CertSource::Files { cert, key } => Ok((cert.clone(), key.clone(), false)),
        CertSource::SelfSigned { names } => {
            let dir = data_dir.join("tls");
            let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
            if cert.exists() && key.exists() {
                return Ok((cert, key, false));
            }
            std::fs::create_dir_all(&dir).map_err(|e| ServerError::io(&dir, &e))?;
            let made = rcgen::generate_simple_self_signed(names.clone()).map_err(|e| ServerError::Tls(format!("cannot make a certificate: {e}")))?;
            let _ = std::fs::remove_file(&key);
            write_private(&key, made.signing_key.serialize_pem().as_bytes())?;
            std::fs::write(&cert, made.cert.pem()).map_err(|e| ServerError::io(&cert, &e))?;
            Ok((cert, key, true))
        }
    }
}

/// A rustls server configuration from PEM files, and the SHA-256 fingerprint of the leaf
/// certificate (what a sensor pins).
pub fn config(cert: &Path, key: &Path) -> Result<(Arc<rustls::ServerConfig>, String), ServerError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| ServerError::Tls(format!("{}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| ServerError::Tls(format!("{}: {e}", cert.display())))?;
    let leaf = chain.first().ok_or_else(|| ServerError::Tls(format!("{}: no certificate", cert.display())))?;
    let fingerprint = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, leaf.as_ref())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| ServerError::Tls(format!("{}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ServerError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| ServerError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((Arc::new(cfg), fingerprint))
}
