//! Ward's store: the inventory merged from every sensor, device history, and findings with
//! their lifecycle, in SQLite (the embedded default: `ward server` keeps one file under its data
//! directory) or PostgreSQL (several server replicas). One repository, one SQL text per query
//! (written to run on both), migrations per backend under `migrations/{sqlite,postgres}/`.
//!
//! The store holds what `ward analyze` reports, which by construction carries no patient value
//! and no secret: field names, counts, identifiers of devices. It adds nothing from elsewhere.

mod ingest;
mod keys;
mod lifecycle;
mod passkeys;
mod query;
mod risk;
mod tokens;
mod users;

pub use ingest::{IngestOutcome, IngestTuning};
pub use lifecycle::{Action, FindingEvent};
pub use passkeys::PasskeyRow;
pub use tokens::{TokenInfo, TokenRow};
pub use users::{SessionRow, UserRow};
pub use query::{AssetQuery, AssetRow, AssetSort, Cursor, Dashboard, FindingQuery, FindingRow, FindingSort, HistoryRow, MAX_PAGE, Page};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

/// What can go wrong, in words an operator can act on (never with stored values in them).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no supported backend.
    #[error("unsupported database URL scheme (use sqlite:PATH or postgres://...)")]
    UnsupportedUrl,
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrating the schema failed.
    #[error("schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored JSON document could not be read or written.
    #[error("stored document: {0}")]
    Json(#[from] serde_json::Error),
    /// No such row.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request contradicts the rules (a lifecycle step not allowed from the current state,
    /// an accepted risk without reason or expiry...).
    #[error("{0}")]
    Invalid(String),
}

/// Result with [`StoreError`].
pub type Result<T> = std::result::Result<T, StoreError>;

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, one file (WAL, synchronous=FULL, foreign keys on).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Every SQLite connection's settings. 64 MiB of page cache per connection (the default is
/// 2 MiB): ingest touches the pages of many index entries in one transaction. Statement journals
/// (a multi-row statement's undo inside a transaction) in memory, not in temporary files: they
/// are never needed after a crash.
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 16384;";

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The repository: cheap to clone (a connection pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The ingest writer's queue (group commit, see `ingest.rs`).
    queue: ingest::Queue,
}

impl Store {
    /// Connect (creating a SQLite file if needed) and bring the schema up to date.
    ///
    /// `sqlite:/var/lib/ward/ward.db` or `postgres://user@host/db` (add `?sslmode=require` for
    /// TLS to a remote server).
    pub async fn open(url: &str) -> Result<Store> {
        Store::open_tuned(url, IngestTuning::default()).await
    }

    /// [`Store::open`] with the ingest writer's folding of deferred counters tuned (benchmarks,
    /// and the tests of the deferred path).
    pub async fn open_tuned(url: &str, tuning: IngestTuning) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = match backend {
            Backend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let opts = AnyConnectOptions::from_str(&url)?;
        let pool_opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        let pool = match backend {
            Backend::Sqlite => {
                // One writer at a time is SQLite's rule; a small pool with a busy timeout keeps
                // readers concurrent (WAL) and writers queued instead of failing.
                pool_opts
                    .max_connections(4)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(SQLITE_PRAGMAS).await?;
                            Ok(())
                        })
                    })
                    .connect_with(opts.clone())
                    .await?
            }
            Backend::Postgres => pool_opts.max_connections(16).connect_with(opts.clone()).await?,
        };
        if backend == Backend::Sqlite {
            pool.execute("PRAGMA journal_mode = WAL;").await?;
        }
        match backend {
            Backend::Sqlite => SQLITE.run(&pool).await?,
            Backend::Postgres => POSTGRES.run(&pool).await?,
        }
        // What a writer that stopped without closing the store deferred, before anything reads.
        ingest::recover(&pool, backend).await?;
        let queue = ingest::start_writer(opts, backend, tuning);
        Ok(Store { pool, backend, queue })
    }

    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Close every connection (waits for queries in flight, and for the ingest writer to commit
    /// the batches queued before this call); ingesting afterwards fails.
    pub async fn close(&self) {
        let (ack, done) = tokio::sync::oneshot::channel();
        if self.queue.send(ingest::Msg::Close(ack)).is_ok() {
            let _ = done.await;
        }
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub(crate) fn queue(&self) -> &ingest::Queue {
        &self.queue
    }
}

/// Nanoseconds since the epoch as stored (i64 holds every time until the year 2262).
pub(crate) fn ns(t: ward_model::Timestamp) -> i64 {
    i64::try_from(t.nanos()).unwrap_or(i64::MAX)
}

/// Now, as stored: nanoseconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
