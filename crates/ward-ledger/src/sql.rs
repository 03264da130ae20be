//! The ledger in the server's SQL database: SQLite (WAL, `synchronous=FULL`) or PostgreSQL
//! through sqlx's runtime-chosen `Any` driver, as `ward-store` does. A batch is one
//! transaction: its entries and their subtree hashes commit together or not at all.
//!
//! ```text
//! ledger_entries(idx BIGINT PRIMARY KEY, body BLOB)       canonical entries
//! ledger_nodes(pos BIGINT PRIMARY KEY, hash BLOB)          post-order subtree hashes
//! ledger_checkpoints(seq BIGINT PRIMARY KEY, note TEXT)    signed checkpoints
//! ```
//!
//! The [`Storage`] interface is synchronous (the writer is a thread); this store owns a small
//! tokio runtime for its pool and runs each query on it, from a helper thread when called from
//! inside another runtime.
//!
//! Several processes may append to one PostgreSQL database (`ward server` replicas): each commit
//! and each checkpoint runs under a session-level advisory lock ([`WRITER_LOCK`]) held on a
//! connection of its own, and starts by reading the durable size again
//! (`MAX(idx) + 1`, from the primary key's index), so every process continues the one tree.
//! The primary keys are the backstop: should the lock ever be lost mid-commit (its connection
//! dropped), a second writer's rows collide and its transaction fails whole.

use crate::error::{LedgerError, Result};
use crate::hash::Hash;
use crate::storage::Storage;
use crate::tree::stored_hashes;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
// Dynamic SQL below is only placeholder lists (`$1, $2, ...`) built from counts; every value is bound.
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor, Row};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Rows per INSERT statement (two parameters each; well below every backend's limit).
const CHUNK: usize = 400;

/// The PostgreSQL advisory lock key of the ledger's writers (the ASCII of `wardledg`).
pub const WRITER_LOCK: i64 = 0x7761_7264_6c65_6467;

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlBackend {
    /// SQLite, one file.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The SQL store.
#[derive(Debug)]
pub struct SqlStore {
    rt: Option<tokio::runtime::Runtime>,
    pool: AnyPool,
    backend: SqlBackend,
    size: AtomicU64,
}

impl SqlStore {
    /// Connect (`sqlite:PATH` or `postgres://...`), create the tables if needed, and check that
    /// the stored entries and hashes agree in number.
    ///
    /// # Errors
    /// Unsupported URL, database failure, or disagreeing tables.
    pub fn open(url: &str) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            SqlBackend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            SqlBackend::Postgres
        } else {
            return Err(LedgerError::Config("unsupported database URL (use sqlite:PATH or postgres://...)".into()));
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("ward-ledger-sql")
            .enable_all()
            .build()
            .map_err(|e| LedgerError::Config(format!("cannot start the database runtime: {e}")))?;
        let url = match backend {
            SqlBackend::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let pool = run_on(&rt, async move {
            let opts = AnyConnectOptions::from_str(&url)?;
            let pool_opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
            let pool = match backend {
                SqlBackend::Sqlite => {
                    let pool = pool_opts
                        .max_connections(4)
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                conn.execute("PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL;").await?;
                                Ok(())
                            })
                        })
                        .connect_with(opts)
                        .await?;
                    pool.execute("PRAGMA journal_mode = WAL;").await?;
                    pool
                }
                SqlBackend::Postgres => pool_opts.max_connections(8).connect_with(opts).await?,
            };
            let blob = if backend == SqlBackend::Sqlite { "BLOB" } else { "BYTEA" };
            // Replicas starting together: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe
            // against a concurrent one, so the tables are made as the only writer.
            let mut tx = pool.begin().await?;
            if backend == SqlBackend::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITER_LOCK).execute(&mut *tx).await?;
            }
            for ddl in [
                format!("CREATE TABLE IF NOT EXISTS ledger_entries (idx BIGINT PRIMARY KEY, body {blob} NOT NULL)"),
                format!("CREATE TABLE IF NOT EXISTS ledger_nodes (pos BIGINT PRIMARY KEY, hash {blob} NOT NULL)"),
                "CREATE TABLE IF NOT EXISTS ledger_checkpoints (seq BIGINT PRIMARY KEY, note TEXT NOT NULL)".to_string(),
            ] {
                tx.execute(AssertSqlSafe(ddl)).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(pool)
        })?;
        let mut store = SqlStore { rt: Some(rt), pool, backend, size: AtomicU64::new(0) };
        // One statement, one snapshot: another process's commit cannot fall between the counts.
        let (entries, nodes) = store.run(|pool| async move {
            let row = sqlx::query("SELECT (SELECT COUNT(*) FROM ledger_entries), (SELECT COUNT(*) FROM ledger_nodes)").fetch_one(&pool).await?;
            Ok::<_, sqlx::Error>((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?))
        })?;
        let size = u64::try_from(entries).unwrap_or(0);
        if u64::try_from(nodes).unwrap_or(0) != stored_hashes(size) {
            return Err(LedgerError::Inconsistent(format!("{entries} entries but {nodes} tree hashes in the database")));
        }
        store.size = AtomicU64::new(size);
        Ok(store)
    }

    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> SqlBackend {
        self.backend
    }

    /// Run a query on the store's runtime, from any thread (inside a runtime: on a helper thread).
    fn run<T, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce(AnyPool) -> Fut + Send,
        Fut: std::future::Future<Output = std::result::Result<T, sqlx::Error>> + Send,
        T: Send,
    {
        let rt = self.rt.as_ref().ok_or(LedgerError::Closed)?;
        let pool = self.pool.clone();
        Ok(run_on(rt, f(pool))?)
    }
}

/// The connection holding the writers' advisory lock. Dropped while still holding it (the
/// section ended abnormally), it is closed rather than returned to the pool: closing the
/// session releases the lock.
struct Held<'a> {
    rt: &'a tokio::runtime::Runtime,
    conn: Option<PoolConnection<Any>>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(mut c) = self.conn.take() {
            // The pool's drop spawns onto a runtime: this store's.
            let _in_rt = self.rt.enter();
            c.close_on_drop();
            drop(c);
        }
    }
}

fn run_on<T: Send, Fut: std::future::Future<Output = T> + Send>(rt: &tokio::runtime::Runtime, fut: Fut) -> T {
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| match s.spawn(|| rt.block_on(fut)).join() {
            Ok(v) => v,
            Err(p) => std::panic::resume_unwind(p),
        })
    } else {
        rt.block_on(fut)
    }
}

impl Drop for SqlStore {
    fn drop(&mut self) {
        // Dropping a runtime may block; inside another runtime that is not allowed.
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

/// Rows `from..to` with no gap, in order.
fn check_run(rows: Vec<(i64, Vec<u8>)>, from: u64, to: u64, what: &str) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::with_capacity(rows.len());
    for (k, (key, value)) in rows.into_iter().enumerate() {
        let want = from + k as u64;
        if u64::try_from(key).ok() != Some(want) {
            return Err(LedgerError::Inconsistent(format!("{what} {want} is missing from the database")));
        }
        out.push(value);
    }
    if (out.len() as u64) != to - from {
        return Err(LedgerError::Inconsistent(format!("{what} {} is missing from the database", from + out.len() as u64)));
    }
    Ok(out)
}

fn values(rows: usize) -> String {
    (0..rows).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect::<Vec<_>>().join(", ")
}

fn to_i64(v: u64) -> std::result::Result<i64, sqlx::Error> {
    i64::try_from(v).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

impl Storage for SqlStore {
    fn size(&self) -> u64 {
        self.size.load(Ordering::Acquire)
    }

    fn exclusive(&self, f: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        // SQLite is one process's file (`ward server` without --database).
        if self.backend != SqlBackend::Postgres {
            return f();
        }
        let rt = self.rt.as_ref().ok_or(LedgerError::Closed)?;
        let pool = self.pool.clone();
        // Waiting for the lock blocks this thread (in `block_on`), never the runtime's worker,
        // which keeps serving the other connections' queries, `f`'s among them.
        let conn = run_on(rt, async move {
            let mut c = pool.acquire().await?;
            sqlx::query("SELECT pg_advisory_lock($1)").bind(WRITER_LOCK).execute(&mut *c).await?;
            Ok::<_, sqlx::Error>(c)
        })?;
        let mut held = Held { rt, conn: Some(conn) };
        let result = f();
        let conn = held.conn.take();
        run_on(rt, async move {
            let Some(mut c) = conn else { return };
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(WRITER_LOCK).fetch_one(&mut *c).await.and_then(|r| r.try_get::<bool, _>(0));
            if !matches!(unlocked, Ok(true)) {
                // Ending the session releases every lock it holds (closed or, failing that, dropped).
                let _ = c.close().await;
            }
        });
        result
    }

    fn refresh(&self) -> Result<u64> {
        let next = self.run(|pool| async move { sqlx::query("SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries").fetch_one(&pool).await?.try_get::<i64, _>(0) })?;
        let next = u64::try_from(next).map_err(|_| LedgerError::Inconsistent(format!("the largest entry index in the database is {next}")))?;
        self.size.fetch_max(next, Ordering::AcqRel);
        Ok(next)
    }

    fn append(&self, records: &[Vec<u8>], hashes: &[Hash]) -> Result<()> {
        let first = self.size();
        let first_node = stored_hashes(first);
        self.run(|pool| async move {
            let mut tx = pool.begin().await?;
            for (c, chunk) in records.chunks(CHUNK).enumerate() {
                let sql = format!("INSERT INTO ledger_entries (idx, body) VALUES {}", values(chunk.len()));
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (k, r) in chunk.iter().enumerate() {
                    q = q.bind(to_i64(first + (c * CHUNK + k) as u64)?).bind(r.clone());
                }
                q.execute(&mut *tx).await?;
            }
            for (c, chunk) in hashes.chunks(CHUNK).enumerate() {
                let sql = format!("INSERT INTO ledger_nodes (pos, hash) VALUES {}", values(chunk.len()));
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (k, h) in chunk.iter().enumerate() {
                    q = q.bind(to_i64(first_node + (c * CHUNK + k) as u64)?).bind(h.to_vec());
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await
        })?;
        self.size.store(first + records.len() as u64, Ordering::Release);
        Ok(())
    }

    fn read_nodes(&self, positions: &[u64]) -> Result<Vec<Hash>> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        let limit = stored_hashes(self.size());
        if let Some(p) = positions.iter().find(|&&p| p >= limit) {
            return Err(LedgerError::OutOfRange(format!("tree position {p} is not stored")));
        }
        let rows = self.run(|pool| async move {
            let list = (1..=positions.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let sql = format!("SELECT pos, hash FROM ledger_nodes WHERE pos IN ({list})");
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for p in positions {
                q = q.bind(to_i64(*p)?);
            }
            let rows = q.fetch_all(&pool).await?;
            rows.iter().map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Vec<u8>, _>(1)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        })?;
        positions
            .iter()
            .map(|&p| {
                rows.iter()
                    .find(|(pos, _)| u64::try_from(*pos).ok() == Some(p))
                    .and_then(|(_, h)| <Hash>::try_from(h.as_slice()).ok())
                    .ok_or_else(|| LedgerError::Inconsistent(format!("tree position {p} is missing or not 32 bytes")))
            })
            .collect()
    }

    fn read_entry(&self, index: u64) -> Result<Vec<u8>> {
        if index >= self.size() {
            return Err(LedgerError::OutOfRange(format!("entry {index} is beyond the log's {} entries", self.size())));
        }
        self.run(|pool| async move {
            sqlx::query("SELECT body FROM ledger_entries WHERE idx = $1").bind(to_i64(index)?).fetch_one(&pool).await?.try_get::<Vec<u8>, _>(0)
        })
    }

    fn read_entries(&self, from: u64, to: u64) -> Result<Vec<Vec<u8>>> {
        let rows = self.run(|pool| async move {
            let rows = sqlx::query("SELECT idx, body FROM ledger_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                .bind(to_i64(from)?)
                .bind(to_i64(to)?)
                .fetch_all(&pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Vec<u8>, _>(1)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        })?;
        check_run(rows, from, to, "entry")
    }

    fn read_node_range(&self, from: u64, to: u64) -> Result<Vec<Hash>> {
        let rows = self.run(|pool| async move {
            let rows = sqlx::query("SELECT pos, hash FROM ledger_nodes WHERE pos >= $1 AND pos < $2 ORDER BY pos")
                .bind(to_i64(from)?)
                .bind(to_i64(to)?)
                .fetch_all(&pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get::<i64, _>(0)?, r.try_get::<Vec<u8>, _>(1)?))).collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        })?;
        check_run(rows, from, to, "tree position")?
            .into_iter()
            .enumerate()
            .map(|(k, h)| <Hash>::try_from(h.as_slice()).map_err(|_| LedgerError::Inconsistent(format!("tree position {} is not 32 bytes", from + k as u64))))
            .collect()
    }

    fn store_checkpoint(&self, seq: u64, note: &str) -> Result<()> {
        let note = note.to_string();
        self.run(|pool| async move {
            sqlx::query("INSERT INTO ledger_checkpoints (seq, note) VALUES ($1, $2)").bind(to_i64(seq)?).bind(note).execute(&pool).await?;
            Ok(())
        })
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        self.run(|pool| async move {
            let rows = sqlx::query("SELECT seq, note FROM ledger_checkpoints ORDER BY seq").fetch_all(&pool).await?;
            rows.iter()
                .map(|r| Ok((u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0), r.try_get::<String, _>(1)?)))
                .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
        })
    }
}
