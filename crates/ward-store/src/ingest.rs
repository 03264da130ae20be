//! Merging a sensor's report into the one inventory: identity resolution across sensors and
//! time, device history, and findings deduplicated into their lifecycle. A batch id already
//! accepted from that sensor is acknowledged again and not merged twice, so a sensor that lost an
//! acknowledgement can resend without duplicates.
//!
//! How it is fast (`bench/server/ingest.sh`): the caller's task turns a report into rows
//! ([`Prepared`]: identifiers, documents, fingerprints' parts), then one writer task per store
//! merges every batch waiting in its queue in one transaction (group commit: one commit, one
//! fsync with SQLite's `synchronous=FULL`, for all of them) and answers each caller only after
//! that commit. Inside it, each batch in turn reads what it needs with a few `IN (...)` queries,
//! resolves every asset in memory exactly as the statements of one asset after another would, and
//! writes with multi-row statements only what changed: counters and times always, a device's
//! identity, document (in `asset_docs`, out of the rows the counters rewrite) and search text only
//! when they differ from what is stored (the document is compared by a hash of everything but its
//! counters and times, which the row sums; so the stored document keeps the counters of the
//! report that last changed it), a finding's title and evidence only when they differ. Should a
//! grouped transaction fail, each of its batches is retried in a transaction of its own, so one
//! bad batch fails alone. A caller that goes away after queueing its batch does not cancel it: it
//! is committed, and a resend is recognised.
//!
//! Bursts (SQLite). Each sighting moves a device's last_seen, packets and bytes, a finding's
//! last_seen and occurrences (columns in up to seven sort indexes) and each named identifier's
//! last_seen. When a group's sightings, with those already waiting, concern more than
//! [`IngestTuning::inline_fold`] devices, findings and identifiers, the writer keeps these
//! changes summed in memory and appends the group's share to `ingest_journal` in the group's
//! transaction (durable before the acknowledgement); it folds the sums into the tables in one
//! transaction (emptying the journal) when the uploads pause, at the latest
//! [`IngestTuning::fold_interval`] after the first, when the store closes, and, after a crash, when
//! it opens. Lists sorted by these columns trail a burst by at most that interval; smaller
//! uploads are folded in their own transaction. The writer also keeps every identifier in memory
//! (owner, times, rowid): only ingest writes them, and a counter in `ingest_state`, bumped by each
//! of its transactions, tells it when another writer did and it must read them again.
//! PostgreSQL, where replicas write side by side, folds every group at once and reads the
//! identifiers from the database.

use crate::{Backend, Result, Store, StoreError, now, ns};
use sqlx::any::AnyRow;
use sqlx::any::AnyConnectOptions;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Connection, Executor, Row};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use ward_model::Severity;
use ward_model::report::{AnalyzeReport, Asset, Finding};

/// What one upload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// The batch had been accepted before: nothing was merged this time.
    pub duplicate: bool,
    /// Assets created.
    pub assets_new: u64,
    /// Existing assets the report's assets were resolved to.
    pub assets_updated: u64,
    /// Findings raised for the first time.
    pub findings_new: u64,
    /// Findings already known (occurrences added; resolved ones reopened).
    pub findings_seen: u64,
    /// Findings that had been resolved, or accepted until a date now past, and came back.
    pub findings_reopened: u64,
    /// The store ids of the assets the report's assets were merged into.
    pub assets: Vec<i64>,
}

pub(crate) fn severity_rank(s: Severity) -> i64 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

pub(crate) fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// The identifiers an asset brings, strongest first: its MAC, its addresses, its DICOM AE
/// titles, its host names.
fn identifiers(a: &Asset) -> Vec<(&'static str, String)> {
    let mut ids = Vec::new();
    if let Some(m) = &a.mac {
        ids.push(("mac", m.to_ascii_lowercase()));
    }
    ids.extend(a.ips.iter().map(|ip| ("ip", ip.to_string())));
    ids.extend(a.dicom_ae_titles.iter().map(|t| ("dicom_ae", t.clone())));
    ids.extend(a.hostnames.iter().map(|h| ("hostname", h.to_ascii_lowercase())));
    ids
}

/// Joins the fields of an asset's search text (`asset_search.haystack`): the unit separator,
/// which no search for a field's text contains, so no match spans two fields.
pub(crate) const SEARCH_SEPARATOR: char = '\u{1f}';

/// A name for people: a host name, else the device's maker and model, else an address.
fn label(a: &Asset) -> String {
    if let Some(h) = a.hostnames.first() {
        return h.clone();
    }
    let d = &a.device;
    let maker: Vec<&str> = [d.manufacturer.as_deref(), d.model.as_deref()].into_iter().flatten().collect();
    if !maker.is_empty() {
        return maker.join(" ");
    }
    a.ips.first().map(ToString::to_string).or_else(|| a.mac.clone()).unwrap_or_else(|| a.id.clone())
}

/// The hash stored with an asset's document (`assets.doc_hash`): of the document without its
/// trailing counters and times (`first_seen`, `last_seen`, `packets`, `bytes`, the last fields of
/// [`Asset`]), which change with every report and are kept, summed, in the asset's row. Equal
/// hashes: the stored document says the same about the device, and is not rewritten.
fn doc_hash(doc: &str) -> i64 {
    let stable = doc.rfind(",\"first_seen\":").map_or(doc, |i| &doc[..i]);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    stable.hash(&mut h);
    i64::from_ne_bytes(h.finish().to_ne_bytes())
}

/// One asset of a report as rows.
#[derive(Debug)]
struct PAsset {
    report_id: String,
    ids: Vec<(&'static str, String)>,
    doc: String,
    doc_hash: i64,
    kind: String,
    manufacturer: Option<String>,
    model: Option<String>,
    software_version: Option<String>,
    confidence: i64,
    label: String,
    first: i64,
    last: i64,
    packets: i64,
    bytes: i64,
}

/// One finding of a report as rows (its asset and peer still by report id).
#[derive(Debug)]
struct PFinding {
    kind: String,
    severity: &'static str,
    rank: i64,
    asset: Option<String>,
    peer: Option<String>,
    protocol: Option<String>,
    title: String,
    evidence: String,
    remediation: String,
    first: i64,
    last: i64,
    count: i64,
}

impl PFinding {
    fn new(f: &Finding) -> Result<PFinding> {
        Ok(PFinding {
            kind: f.kind.clone(),
            severity: severity_name(f.severity),
            rank: severity_rank(f.severity),
            asset: f.asset.clone(),
            peer: f.peer.clone(),
            protocol: f.protocol.clone(),
            title: f.title.clone(),
            evidence: serde_json::to_string(&f.evidence)?,
            remediation: f.remediation.clone(),
            first: ns(f.first_seen),
            last: ns(f.last_seen),
            count: i64::try_from(f.count).unwrap_or(i64::MAX),
        })
    }
}

/// A report turned into rows by the uploader's task, ready for the writer.
#[derive(Debug)]
pub(crate) struct Prepared {
    sensor: String,
    batch_id: String,
    assets: Vec<PAsset>,
    findings: Vec<PFinding>,
}

impl Prepared {
    fn new(sensor: &str, batch_id: &str, report: &AnalyzeReport) -> Result<Prepared> {
        let assets = report
            .assets
            .iter()
            .map(|a| {
                let doc = serde_json::to_string(a)?;
                let d = &a.device;
                Ok(PAsset {
                    report_id: a.id.clone(),
                    ids: identifiers(a),
                    doc_hash: doc_hash(&doc),
                    doc,
                    kind: d.kind.clone(),
                    manufacturer: d.manufacturer.clone(),
                    model: d.model.clone(),
                    software_version: d.software_version.clone(),
                    confidence: i64::from(d.confidence),
                    label: label(a),
                    first: ns(a.first_seen),
                    last: ns(a.last_seen),
                    packets: i64::try_from(a.packets).unwrap_or(i64::MAX),
                    bytes: i64::try_from(a.bytes).unwrap_or(i64::MAX),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let findings = report.findings.iter().map(PFinding::new).collect::<Result<Vec<_>>>()?;
        Ok(Prepared { sensor: sensor.to_string(), batch_id: batch_id.to_string(), assets, findings })
    }

    /// How much work it is, for bounding a group.
    fn weight(&self) -> usize {
        1 + self.assets.len() + self.findings.len()
    }
}

/// A batch waiting for the writer, and where its outcome goes.
pub(crate) struct Job {
    batch: Prepared,
    reply: oneshot::Sender<Result<IngestOutcome>>,
}

/// What the writer is asked: a batch; to fold the deferred counters now (`Store::flush`); or to
/// fold them, close its connection and stop (`Store::close`).
pub(crate) enum Msg {
    Batch(Job),
    Flush(oneshot::Sender<Result<()>>),
    Close(oneshot::Sender<()>),
}

/// The queue in front of the writer.
pub(crate) type Queue = mpsc::UnboundedSender<Msg>;

/// Most assets and findings merged in one grouped transaction: more waits for the next one
/// (bounds the latency of the first batch of a group and the transaction's size).
const GROUP_WEIGHT: usize = 40_000;

/// Most devices, findings and identifiers whose counters wait in memory: more are folded at once
/// (bounds the writer's memory whatever the traffic).
const MAX_PENDING: usize = 2_000_000;

/// When the SQLite writer defers the per-sighting counters and times of a burst (migration 0012,
/// `ingest_journal`) and when it folds them into the tables the lists read.
#[derive(Debug, Clone, Copy)]
pub struct IngestTuning {
    /// A group whose counters, with those already waiting, concern at most this many devices,
    /// findings and identifiers is folded in its own transaction: the lists are exact as soon as
    /// the upload is acknowledged. Only bigger ones (a burst) are deferred.
    pub inline_fold: usize,
    /// Deferred counters are folded at the latest this long after the first of them...
    pub fold_interval: Duration,
    /// ...or as soon as no upload has arrived for this long.
    pub idle: Duration,
    /// Most identifiers and assets the SQLite writer keeps in memory (about 100 bytes each);
    /// beyond, it reads what each batch names from the database.
    pub max_cached: usize,
}

impl Default for IngestTuning {
    fn default() -> IngestTuning {
        IngestTuning { inline_fold: 5_000, fold_interval: Duration::from_secs(10), idle: Duration::from_millis(200), max_cached: 2_000_000 }
    }
}

/// Start the writer of the database at `opts`; it ends when the last handle to its queue is
/// dropped. It keeps a connection of its own (SQLite: whose page cache stays warm from one
/// transaction to the next, which a pool's connections taking turns would not), replaced after
/// any error.
pub(crate) fn start_writer(opts: AnyConnectOptions, backend: Backend, tuning: IngestTuning) -> Queue {
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    tokio::spawn(async move {
        let mut w = Writer { opts, backend, tuning, conn: None, pending: Pending::default(), since: None, cache: None };
        let mut closing = None;
        loop {
            // With counters waiting, wake up to fold them when the uploads pause or their time is up.
            let msg = match w.since {
                None => rx.recv().await,
                Some(since) => {
                    let wait = w.tuning.idle.min(w.tuning.fold_interval.saturating_sub(since.elapsed()));
                    match tokio::time::timeout(wait, rx.recv()).await {
                        Ok(m) => m,
                        Err(_) => {
                            let _ = w.fold_now().await;
                            continue;
                        }
                    }
                }
            };
            let Some(msg) = msg else { break };
            let first = match msg {
                Msg::Batch(job) => job,
                Msg::Flush(ack) => {
                    let _ = ack.send(w.fold_now().await);
                    continue;
                }
                Msg::Close(ack) => {
                    closing = Some(ack);
                    break;
                }
            };
            let mut weight = first.batch.weight();
            let mut group = vec![first];
            while weight < GROUP_WEIGHT {
                match rx.try_recv() {
                    Ok(Msg::Batch(next)) => {
                        weight += next.batch.weight();
                        group.push(next);
                    }
                    Ok(Msg::Flush(ack)) => {
                        // After this group, which it may not overtake.
                        commit(std::mem::take(&mut group), &mut w).await;
                        let _ = ack.send(w.fold_now().await);
                        break;
                    }
                    Ok(Msg::Close(ack)) => {
                        closing = Some(ack);
                        break;
                    }
                    Err(_) => break,
                }
            }
            if !group.is_empty() {
                commit(group, &mut w).await;
            }
            if closing.is_some() {
                break;
            }
        }
        // Batches queued after a close are answered with an error (their reply dropped).
        rx.close();
        let _ = w.fold_now().await;
        if let Some(c) = w.conn.take() {
            let _ = c.close().await;
        }
        if let Some(ack) = closing {
            let _ = ack.send(());
        }
    });
    tx
}

/// Merge a group in one transaction and answer each batch with its outcome; if the grouped
/// transaction failed, one batch may be the cause: each is retried alone, in a transaction of
/// its own.
async fn commit(mut group: Vec<Job>, w: &mut Writer) {
    let done = w.merge(&group.iter().map(|j| &j.batch).collect::<Vec<_>>()).await;
    match done {
        Ok(outcomes) => {
            for (job, out) in group.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(out));
            }
        }
        Err(e) if group.len() == 1 => {
            if let Some(job) = group.pop() {
                let _ = job.reply.send(Err(e));
            }
        }
        Err(_) => {
            for job in group {
                let out = w.merge(&[&job.batch]).await.map(|mut o| o.remove(0));
                let _ = job.reply.send(out);
            }
        }
    }
}

/// The writer's state between transactions.
struct Writer {
    opts: AnyConnectOptions,
    backend: Backend,
    tuning: IngestTuning,
    conn: Option<AnyConnection>,
    /// Counters and times committed to `ingest_journal` and not yet folded.
    pending: Pending,
    /// When the oldest of them was committed.
    since: Option<Instant>,
    /// SQLite: every stored identifier, as of the writer's last transaction.
    cache: Option<IdentCache>,
}

impl Writer {
    /// The writer's connection, connecting first if needed.
    async fn connection(&mut self) -> Result<AnyConnection> {
        match self.conn.take() {
            Some(c) => Ok(c),
            None => {
                let mut c = AnyConnection::connect_with(&self.opts).await?;
                if self.backend == Backend::Sqlite {
                    c.execute(crate::SQLITE_PRAGMAS).await?;
                }
                Ok(c)
            }
        }
    }

    /// Merge `batches` in one transaction. After an error the connection and the identifier
    /// cache are dropped (the next transaction starts afresh); what was deferred before stays
    /// deferred (its journal rows are untouched).
    async fn merge(&mut self, batches: &[&Prepared]) -> Result<Vec<IngestOutcome>> {
        let mut c = self.connection().await?;
        let mut cache = self.cache.take();
        let mut group = Pending::default();
        let out = merge_on(&mut c, self.backend, self.tuning, (&self.pending, self.since), batches, &mut cache, &mut group).await;
        if let Ok((_, folded)) = &out {
            self.conn = Some(c);
            self.cache = cache;
            if *folded {
                self.pending = Pending::default();
                self.since = None;
            } else if !group.is_empty() {
                self.pending.add(&group);
                self.since.get_or_insert_with(Instant::now);
            }
        }
        out.map(|(o, _)| o)
    }



    /// Fold every deferred counter now, in a transaction of its own.
    async fn fold_now(&mut self) -> Result<()> {
        if self.since.is_none() {
            return Ok(());
        }
        let mut c = self.connection().await?;
        let mut cache = self.cache.take();
        let out = async {
            let mut tx = c.begin().await?;
            let epoch = bump_epoch(&mut tx).await?;
            if self.backend == Backend::Sqlite {
                IdentCache::refresh(&mut tx, &mut cache, epoch, true, self.tuning.max_cached).await?;
            }
            fold_into(&mut tx, self.backend, &self.pending, &Pending::default(), cache.as_ref()).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }
        .await;
        match out {
            Ok(()) => {
                self.conn = Some(c);
                self.cache = cache;
                self.pending = Pending::default();
                self.since = None;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// Merge `batches` in one transaction on `c`, their counters into `group`; fold them with those
/// already `waiting` when that is due. Returns the outcomes, and whether every deferred counter
/// was folded.
async fn merge_on(c: &mut AnyConnection, backend: Backend, tuning: IngestTuning, waiting: (&Pending, Option<Instant>), batches: &[&Prepared], cache: &mut Option<IdentCache>, group: &mut Pending) -> Result<(Vec<IngestOutcome>, bool)> {
    let (pending, since) = waiting;
    let mut tx = c.begin().await?;
    // A write first: on SQLite the transaction holds the write lock from here on (the ids
    // reserved below stay free, and no read snapshot has to be upgraded).
    // On PostgreSQL the count is not needed (no cache), and one row every replica's writer
    // updated would queue them all behind each other.
    let epoch = if backend == Backend::Sqlite { bump_epoch(&mut tx).await? } else { 0 };
    if backend == Backend::Sqlite {
        IdentCache::refresh(&mut tx, cache, epoch, false, tuning.max_cached).await?;
    }
    let mut accepted: HashSet<(i64, &str)> = HashSet::new();
    let mut outs = Vec::with_capacity(batches.len());
    for b in batches {
        outs.push(merge_batch(&mut tx, backend, b, &mut accepted, cache.as_mut(), group).await?);
    }
    let waiting = pending.len() + group.len();
    let fold = backend == Backend::Postgres
        || waiting <= tuning.inline_fold
        || waiting >= MAX_PENDING
        || since.is_some_and(|s| s.elapsed() >= tuning.fold_interval);
    if fold {
        if backend == Backend::Sqlite {
            IdentCache::refresh(&mut tx, cache, epoch, true, tuning.max_cached).await?;
        }
        fold_into(&mut tx, backend, pending, group, cache.as_ref()).await?;
    } else if !group.is_empty() {
        let row: i64 = sqlx::query("INSERT INTO ingest_journal (deltas) VALUES ($1) RETURNING id").bind(group.json()?).fetch_one(&mut *tx).await?.try_get(0)?;
        group.rows.push(row);
    }
    tx.commit().await?;
    Ok((outs, fold))
}

/// Count one more writer transaction; the first write of each.
async fn bump_epoch(tx: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query("UPDATE ingest_state SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch").fetch_one(&mut *tx).await?.try_get(0)?)
}

/// Fold what an earlier run of the writer deferred and did not fold (it stopped without closing
/// the store: a crash, a kill): called by `Store::open` before anything reads the store.
pub(crate) async fn recover(pool: &sqlx::AnyPool, backend: Backend) -> Result<()> {
    if backend != Backend::Sqlite || sqlx::query("SELECT 1 FROM ingest_journal LIMIT 1").fetch_optional(pool).await?.is_none() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    bump_epoch(&mut tx).await?;
    fold_into(&mut tx, backend, &Pending::default(), &Pending::default(), None).await?;
    tx.commit().await?;
    Ok(())
}

impl Store {
    /// Merge one report from `sensor` (created on first use) as batch `batch_id`. Returns once
    /// the batch is committed (with other batches waiting at the same time, in one transaction).
    pub async fn ingest(&self, sensor: &str, batch_id: &str, report: &AnalyzeReport) -> Result<IngestOutcome> {
        let batch = Prepared::new(sensor, batch_id, report)?;
        let (reply, answer) = oneshot::channel();
        self.queue().send(Msg::Batch(Job { batch, reply })).map_err(|_| StoreError::Invalid("the store's writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Invalid("the store's writer has stopped".into()))?
    }

    /// Fold the counters and times a burst of uploads left deferred into the tables the lists
    /// read (the writer does so by itself within [`IngestTuning::fold_interval`]). Returns once
    /// they are committed.
    pub async fn flush(&self) -> Result<()> {
        let (ack, done) = oneshot::channel();
        self.queue().send(Msg::Flush(ack)).map_err(|_| StoreError::Invalid("the store's writer has stopped".into()))?;
        done.await.map_err(|_| StoreError::Invalid("the store's writer has stopped".into()))?
    }
}

// ---------------------------------------------------------------------------------------------
// Deferred counters.

/// One group's counters and times, as journalled (migration 0012).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Deltas<'a> {
    /// Asset id, first seen, last seen, packets, bytes.
    a: Vec<(i64, i64, i64, i64, i64)>,
    /// Finding id, first seen, last seen, occurrences.
    f: Vec<(i64, i64, i64, i64)>,
    /// Identifier kind, value, last seen.
    #[serde(borrow)]
    i: Vec<(Cow<'a, str>, Cow<'a, str>, i64)>,
}

/// Counters and times summed per asset, finding and identifier: earliest first seen, latest last
/// seen, sums of the amounts.
#[derive(Debug, Default, Clone)]
struct Pending {
    assets: HashMap<i64, (i64, i64, i64, i64)>,
    findings: HashMap<i64, (i64, i64, i64)>,
    idents: HashMap<&'static str, HashMap<String, i64>>,
    /// The `ingest_journal` rows these sums hold, in order.
    rows: Vec<i64>,
}

impl Pending {
    fn len(&self) -> usize {
        self.assets.len() + self.findings.len() + self.idents.values().map(HashMap::len).sum::<usize>()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn asset(&mut self, id: i64, first: i64, last: i64, packets: i64, bytes: i64) {
        let e = self.assets.entry(id).or_insert((i64::MAX, i64::MIN, 0, 0));
        *e = (e.0.min(first), e.1.max(last), e.2.saturating_add(packets), e.3.saturating_add(bytes));
    }

    fn finding(&mut self, id: i64, first: i64, last: i64, occurrences: i64) {
        let e = self.findings.entry(id).or_insert((i64::MAX, i64::MIN, 0));
        *e = (e.0.min(first), e.1.max(last), e.2.saturating_add(occurrences));
    }

    fn ident(&mut self, kind: &'static str, value: &str, last: i64) {
        let m = self.idents.entry(kind).or_default();
        match m.get_mut(value) {
            Some(l) => *l = (*l).max(last),
            None => {
                m.insert(value.to_string(), last);
            }
        }
    }

    fn add(&mut self, o: &Pending) {
        self.rows.extend_from_slice(&o.rows);
        for (id, (f, l, p, b)) in &o.assets {
            self.asset(*id, *f, *l, *p, *b);
        }
        for (id, (f, l, n)) in &o.findings {
            self.finding(*id, *f, *l, *n);
        }
        for (k, m) in &o.idents {
            for (v, l) in m {
                self.ident(k, v, *l);
            }
        }
    }

    fn add_deltas(&mut self, d: &Deltas) {
        for (id, f, l, p, b) in &d.a {
            self.asset(*id, *f, *l, *p, *b);
        }
        for (id, f, l, n) in &d.f {
            self.finding(*id, *f, *l, *n);
        }
        for (k, v, l) in &d.i {
            if let Some(k) = ident_kind(k) {
                self.ident(k, v, *l);
            }
        }
    }

    /// As journalled.
    fn json(&self) -> Result<String> {
        let d = Deltas {
            a: self.assets.iter().map(|(id, (f, l, p, b))| (*id, *f, *l, *p, *b)).collect(),
            f: self.findings.iter().map(|(id, (f, l, n))| (*id, *f, *l, *n)).collect(),
            i: self.idents.iter().flat_map(|(k, m)| m.iter().map(|(v, l)| (Cow::Borrowed(*k), Cow::Borrowed(v.as_str()), *l))).collect(),
        };
        Ok(serde_json::to_string(&d)?)
    }
}

/// Fold what the journal holds and `extra` (a group's sums, not journalled) into assets, findings
/// and asset_identifiers, and empty the journal, in the caller's transaction (which holds the
/// write lock). `mine` is the sum of the journal rows this writer appended (`mine.rows`): when
/// the journal holds exactly those, it is folded as it is; otherwise (another process on the
/// same file folded some of them, or left rows of its own) the journal's rows are read and summed
/// instead, so each row is folded once.
async fn fold_into(tx: &mut AnyConnection, backend: Backend, mine: &Pending, extra: &Pending, cache: Option<&IdentCache>) -> Result<()> {
    let mut present = Vec::new();
    if backend == Backend::Sqlite {
        for r in sqlx::query("SELECT id FROM ingest_journal ORDER BY id").fetch_all(&mut *tx).await? {
            present.push(r.try_get::<i64, _>(0)?);
        }
    }
    let mut all = if present == mine.rows {
        mine.clone()
    } else {
        let mut sums = Pending::default();
        for r in sqlx::query("SELECT deltas FROM ingest_journal ORDER BY id").fetch_all(&mut *tx).await? {
            let text: String = r.try_get(0)?;
            sums.add_deltas(&serde_json::from_str(&text)?);
        }
        sums
    };
    all.add(extra);
    if !all.is_empty() {
        fold_counters(tx, backend, &all, cache).await?;
    }
    if !present.is_empty() {
        sqlx::query("DELETE FROM ingest_journal").execute(&mut *tx).await?;
    }
    Ok(())
}

/// Add `p` to the rows of assets, findings and asset_identifiers, each in key order (the tables'
/// pages in order).
async fn fold_counters(tx: &mut AnyConnection, backend: Backend, p: &Pending, cache: Option<&IdentCache>) -> Result<()> {
    let t = now();
    let mut assets: Vec<_> = p.assets.iter().collect();
    assets.sort_unstable_by_key(|(id, _)| **id);
    let rows = assets.into_iter().map(|(id, (f, l, pk, b))| vec![V::I(*id), V::I(*f), V::I(*l), V::I(*pk), V::I(*b)]).collect();
    update_rows(
        tx,
        backend,
        "id, f, l, p, b",
        "assets",
        &format!(
            "first_seen = CASE WHEN assets.first_seen < v.f THEN assets.first_seen ELSE v.f END, \
             last_seen = CASE WHEN assets.last_seen > v.l THEN assets.last_seen ELSE v.l END, \
             packets = assets.packets + v.p, bytes = assets.bytes + v.b, updated_at = {t}"
        ),
        "assets.id = v.id",
        rows,
    )
    .await?;
    let mut findings: Vec<_> = p.findings.iter().collect();
    findings.sort_unstable_by_key(|(id, _)| **id);
    let rows = findings.into_iter().map(|(id, (f, l, n))| vec![V::I(*id), V::I(*f), V::I(*l), V::I(*n)]).collect();
    update_rows(
        tx,
        backend,
        "id, f, l, n",
        "findings",
        &format!(
            "last_seen = CASE WHEN findings.last_seen > v.l THEN findings.last_seen ELSE v.l END, \
             first_seen = CASE WHEN findings.first_seen < v.f THEN findings.first_seen ELSE v.f END, \
             occurrences = findings.occurrences + v.n, updated_at = {t}"
        ),
        "findings.id = v.id",
        rows,
    )
    .await?;
    // By rowid where the writer's memory knows it (a lookup in the table alone, the row then
    // checked to be that identifier's: a rowid is not forever), else by kind and value (through
    // the primary key's index first).
    let (mut by_rowid, mut by_value) = (Vec::new(), Vec::new());
    for (k, m) in &p.idents {
        for (v, l) in m {
            match cache.and_then(|c| c.rowid(k, v)) {
                Some(r) => by_rowid.push((r, *k, v, *l)),
                None => by_value.push((*k, v, *l)),
            }
        }
    }
    by_rowid.sort_unstable();
    let rows = by_rowid.into_iter().map(|(r, k, v, l)| vec![V::I(r), V::T(k.to_string()), V::T(v.clone()), V::I(l)]).collect();
    update_rows(
        tx,
        backend,
        "id, k, val, l",
        "asset_identifiers",
        "last_seen = CASE WHEN asset_identifiers.last_seen > v.l THEN asset_identifiers.last_seen ELSE v.l END",
        "asset_identifiers.rowid = v.id AND asset_identifiers.kind = v.k AND asset_identifiers.value = v.val",
        rows,
    )
    .await?;
    by_value.sort_unstable();
    let rows = by_value.into_iter().map(|(k, v, l)| vec![V::T(k.to_string()), V::T(v.clone()), V::I(l)]).collect();
    update_rows(
        tx,
        backend,
        "k, val, l",
        "asset_identifiers",
        "last_seen = CASE WHEN asset_identifiers.last_seen > v.l THEN asset_identifiers.last_seen ELSE v.l END",
        "asset_identifiers.kind = v.k AND asset_identifiers.value = v.val",
        rows,
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The identifiers, in the SQLite writer's memory.

/// An identifier's owner, first and last seen.
type Owned = (i64, i64, i64);

/// Every stored identifier by kind and value, and how many MACs each asset has, as of the
/// transaction numbered `epoch` (`ingest_state`). Only ingest writes identifiers; the writer
/// trusts this while the count is the one it left, and reads them all again otherwise.
struct IdentCache {
    epoch: i64,
    /// With each identifier's rowid (0 for one written since the last load), by which the fold
    /// updates it.
    idents: HashMap<&'static str, HashMap<String, (Owned, i64)>>,
    /// How many rowids are 0.
    unknown: usize,
    macs: HashMap<i64, i64>,
    /// Every asset's identity (only ingest writes it).
    assets: HashMap<i64, Identity>,
}

/// Identifiers written since the cache was loaded (whose rowids it does not know) beyond which a
/// fold reads them all again: after the first reports of a new deployment, say.
const RELOAD_UNKNOWN: usize = 10_000;

impl IdentCache {
    /// Make `cache` that of the writer's transaction numbered `epoch`: read again if it is
    /// missing, if another writer's transaction came in between, or, before a fold (`folding`),
    /// if it lacks too many rowids. None when the inventory holds more than `max` identifiers
    /// and assets: the writer then reads what each batch names from the database, as on
    /// PostgreSQL, and its memory stays bounded whatever the traffic (devices made up by the
    /// thousand included).
    async fn refresh(tx: &mut AnyConnection, cache: &mut Option<IdentCache>, epoch: i64, folding: bool, max: usize) -> Result<()> {
        let stale = match cache.as_ref() {
            None => true,
            Some(k) => (k.epoch != epoch && k.epoch + 1 != epoch) || (folding && k.unknown > RELOAD_UNKNOWN) || k.len() > max,
        };
        if stale {
            *cache = IdentCache::load(tx, max).await?;
        }
        if let Some(k) = cache.as_mut() {
            k.epoch = epoch;
        }
        Ok(())
    }

    async fn load(tx: &mut AnyConnection, max: usize) -> Result<Option<IdentCache>> {
        if max == 0 {
            return Ok(None);
        }
        let size: i64 = sqlx::query("SELECT (SELECT COUNT(*) FROM asset_identifiers) + (SELECT COUNT(*) FROM assets)").fetch_one(&mut *tx).await?.try_get(0)?;
        if usize::try_from(size).map_or(true, |n| n > max) {
            return Ok(None);
        }
        let mut c = IdentCache { epoch: 0, idents: HashMap::new(), unknown: 0, macs: HashMap::new(), assets: HashMap::new() };
        let s = Stmt::new(Backend::Sqlite, &format!("{}FROM assets", json_rows(Backend::Sqlite, IDENTITY_COLUMNS)));
        c.assets.extend(s.fetch_json::<IdentityRow>(tx).await?.into_iter().map(split_identity));
        let text: Option<String> = sqlx::query("SELECT json_group_array(json_array(kind, value, asset_id, first_seen, last_seen, rowid)) FROM asset_identifiers").fetch_one(&mut *tx).await?.try_get(0)?;
        let rows: Vec<(String, String, i64, i64, i64, i64)> = text.map(|t| serde_json::from_str(&t)).transpose()?.unwrap_or_default();
        for (kind, value, asset, first, last, rowid) in rows {
            if let Some(k) = ident_kind(&kind) {
                c.macs_move(k, (asset, first, last), None);
                c.idents.entry(k).or_default().insert(value, ((asset, first, last), rowid));
            }
        }
        Ok(Some(c))
    }

    /// Identifiers and assets held.
    fn len(&self) -> usize {
        self.idents.values().map(HashMap::len).sum::<usize>() + self.assets.len()
    }

    fn get(&self, kind: &str, value: &str) -> Option<Owned> {
        self.idents.get(kind).and_then(|m| m.get(value)).map(|e| e.0)
    }

    /// The identifier's rowid, if known.
    fn rowid(&self, kind: &str, value: &str) -> Option<i64> {
        self.idents.get(kind).and_then(|m| m.get(value)).map(|e| e.1).filter(|r| *r > 0)
    }

    /// Record an identifier's owner and times; `before` its owner until now, if stored.
    fn set(&mut self, kind: &'static str, value: String, now: Owned, before: Option<i64>) {
        self.macs_move(kind, now, before);
        let unknown = &mut self.unknown;
        self.idents.entry(kind).or_default().entry(value).or_insert_with(|| {
            *unknown += 1;
            (now, 0)
        }).0 = now;
    }

    /// An identifier seen again on its asset at `last`.
    fn seen(&mut self, kind: &str, value: &str, last: i64) {
        if let Some(e) = self.idents.get_mut(kind).and_then(|m| m.get_mut(value)) {
            e.0.2 = e.0.2.max(last);
        }
    }

    /// Count a MAC moving from `before` to its owner in `now`.
    fn macs_move(&mut self, kind: &str, now: Owned, before: Option<i64>) {
        if kind == "mac" && before != Some(now.0) {
            if let Some(old) = before {
                *self.macs.entry(old).or_default() -= 1;
            }
            *self.macs.entry(now.0).or_default() += 1;
        }
    }
}

/// The identifier kinds ingest stores, as the static names the code compares.
fn ident_kind(kind: &str) -> Option<&'static str> {
    ["mac", "ip", "hostname", "dicom_ae"].into_iter().find(|k| *k == kind)
}

async fn merge_batch<'b>(tx: &mut AnyConnection, backend: Backend, b: &'b Prepared, accepted: &mut HashSet<(i64, &'b str)>, cache: Option<&mut IdentCache>, group: &mut Pending) -> Result<IngestOutcome> {
    let t = now();
    let sensor_id: i64 = sqlx::query(
        "INSERT INTO sensors (name, created_at, last_seen) VALUES ($1, $2, $2) \
         ON CONFLICT (name) DO UPDATE SET last_seen = $2 RETURNING id",
    )
    .bind(b.sensor.clone())
    .bind(t)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let seen = sqlx::query("SELECT 1 FROM ingest_batches WHERE sensor_id = $1 AND batch_id = $2")
        .bind(sensor_id)
        .bind(b.batch_id.clone())
        .fetch_optional(&mut *tx)
        .await?;
    if seen.is_some() || !accepted.insert((sensor_id, b.batch_id.as_str())) {
        return Ok(IngestOutcome { duplicate: true, ..IngestOutcome::default() });
    }
    let mut out = IngestOutcome::default();
    let (ids, all) = merge_assets(tx, backend, sensor_id, b, t, &mut out, cache, group).await?;
    out.assets = all;
    out.assets.sort_unstable();
    out.assets.dedup();
    let actor = format!("sensor:{}", b.sensor);
    let fs: Vec<(String, &PFinding, Option<i64>, Option<i64>)> = b
        .findings
        .iter()
        .map(|f| {
            let asset = f.asset.as_deref().and_then(|a| ids.get(a).copied());
            let peer = f.peer.as_deref().and_then(|a| ids.get(a).copied());
            (fingerprint(&f.kind, f.protocol.as_deref(), asset, peer, None), f, asset, peer)
        })
        .collect();
    for m in merge_findings(tx, backend, &fs, &actor, t, Some(group)).await? {
        match m {
            Merged::New => out.findings_new += 1,
            Merged::Seen => out.findings_seen += 1,
            Merged::Reopened => {
                out.findings_seen += 1;
                out.findings_reopened += 1;
            }
        }
    }
    sqlx::query("INSERT INTO ingest_batches (sensor_id, batch_id, received_at, assets, findings) VALUES ($1, $2, $3, $4, $5)")
        .bind(sensor_id)
        .bind(b.batch_id.clone())
        .bind(t)
        .bind(i64::try_from(b.assets.len()).unwrap_or(i64::MAX))
        .bind(i64::try_from(b.findings.len()).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Multi-row statements.

/// A bound value.
enum V {
    I(i64),
    OI(Option<i64>),
    T(String),
    OT(Option<String>),
}

/// Most values bound to one statement (SQLite allows 32,766, PostgreSQL 65,535).
const MAX_PARAMS: usize = 30_000;

/// A statement being written with its values: `?` placeholders on SQLite (numbered ones are
/// looked up by name, for every value, by the driver), `$N` on PostgreSQL.
struct Stmt {
    backend: Backend,
    sql: String,
    vals: Vec<V>,
}

impl Stmt {
    fn new(backend: Backend, sql: &str) -> Stmt {
        Stmt { backend, sql: sql.to_string(), vals: Vec::new() }
    }

    fn sql(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    /// A placeholder for `v`.
    fn val(&mut self, v: V) -> &mut Self {
        self.vals.push(v);
        match self.backend {
            Backend::Sqlite => self.sql.push('?'),
            Backend::Postgres => {
                let _ = write!(self.sql, "${}", self.vals.len());
            }
        }
        self
    }

    /// `(v, v, ...)`, after a comma unless `first`.
    fn row(&mut self, first: bool, vals: Vec<V>) -> &mut Self {
        self.sql.push_str(if first { "(" } else { ",(" });
        for (i, v) in vals.into_iter().enumerate() {
            if i > 0 {
                self.sql.push(',');
            }
            self.val(v);
        }
        self.sql.push(')');
        self
    }

    /// `(v, v, ...)` of ids, for `IN`: placeholders on SQLite; on PostgreSQL, where a statement
    /// with thousands of parameters costs more to plan than to run, one JSON array.
    fn ids(&mut self, ids: &[i64]) -> &mut Self {
        let json = (self.backend == Backend::Postgres).then(|| serde_json::to_string(ids).unwrap_or_default());
        self.in_list(json, "::bigint", ids.iter().map(|id| V::I(*id)))
    }

    /// `(v, v, ...)` of texts, for `IN`, as [`Stmt::ids`].
    fn texts(&mut self, values: &[&str]) -> &mut Self {
        let json = (self.backend == Backend::Postgres).then(|| serde_json::to_string(values).unwrap_or_default());
        self.in_list(json, "", values.iter().map(|v| V::T((*v).to_string())))
    }

    /// The elements of `json` (cast by `cast`) when there is one, else a placeholder for each of `vals`.
    fn in_list(&mut self, json: Option<String>, cast: &str, vals: impl Iterator<Item = V>) -> &mut Self {
        if let Some(list) = json {
            return self.sql("(SELECT json_array_elements_text(").val(V::T(list)).sql("::json)").sql(cast).sql(")");
        }
        self.sql("(");
        for (i, v) in vals.enumerate() {
            if i > 0 {
                self.sql.push(',');
            }
            self.val(v);
        }
        self.sql(")")
    }

    fn query(self) -> sqlx::query::Query<'static, Any, sqlx::any::AnyArguments> {
        self.vals.into_iter().fold(sqlx::query(AssertSqlSafe(self.sql)), |q, v| match v {
            V::I(i) => q.bind(i),
            V::OI(i) => q.bind(i),
            V::T(s) => q.bind(s),
            V::OT(s) => q.bind(s),
        })
    }

    async fn execute(self, tx: &mut AnyConnection) -> Result<()> {
        self.query().execute(&mut *tx).await?;
        Ok(())
    }

    async fn fetch(self, tx: &mut AnyConnection) -> Result<Vec<AnyRow>> {
        Ok(self.query().fetch_all(&mut *tx).await?)
    }

    /// The rows of a statement begun with [`json_rows`], each a tuple `T`.
    async fn fetch_json<T: serde::de::DeserializeOwned>(self, tx: &mut AnyConnection) -> Result<Vec<T>> {
        let text: Option<String> = self.query().fetch_one(&mut *tx).await?.try_get(0)?;
        Ok(text.map(|t| serde_json::from_str(&t)).transpose()?.unwrap_or_default())
    }
}

/// `SELECT` of `exprs` as one JSON array of arrays: a single row to carry across the driver
/// instead of thousands (whose per-row cost was most of ingest's reading).
fn json_rows(backend: Backend, exprs: &str) -> String {
    match backend {
        Backend::Sqlite => format!("SELECT json_group_array(json_array({exprs})) "),
        Backend::Postgres => format!("SELECT json_agg(json_build_array({exprs}))::text "),
    }
}

/// `head VALUES (...), (...) tail` for `rows`, as many statements as the parameter limit needs.
async fn insert_rows(tx: &mut AnyConnection, backend: Backend, head: &str, tail: &str, rows: Vec<Vec<V>>) -> Result<()> {
    let Some(cols) = rows.first().map(Vec::len) else { return Ok(()) };
    let per = (MAX_PARAMS / cols).max(1);
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let mut s = Stmt::new(backend, head);
        s.sql(" VALUES ");
        for (i, r) in it.by_ref().take(per).enumerate() {
            s.row(i == 0, r);
        }
        s.sql(tail);
        s.execute(tx).await?;
    }
    Ok(())
}

/// `WITH v(cols) AS (VALUES ...) UPDATE table SET set FROM v WHERE on` for `rows`.
async fn update_rows(tx: &mut AnyConnection, backend: Backend, cols: &str, table: &str, set: &str, on: &str, rows: Vec<Vec<V>>) -> Result<()> {
    let Some(n) = rows.first().map(Vec::len) else { return Ok(()) };
    let per = (MAX_PARAMS / n).max(1);
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let mut s = Stmt::new(backend, &format!("WITH v({cols}) AS (VALUES "));
        for (i, r) in it.by_ref().take(per).enumerate() {
            s.row(i == 0, r);
        }
        s.sql(&format!(") UPDATE {table} SET {set} FROM v WHERE {on}"));
        s.execute(tx).await?;
    }
    Ok(())
}

/// `n` new ids for `table` (`assets` or `findings`). SQLite: above the largest, which stays
/// ours while the transaction holds the write lock. PostgreSQL: from the identity's sequence.
async fn reserve_ids(tx: &mut AnyConnection, backend: Backend, table: &str, n: usize) -> Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let count = i64::try_from(n).unwrap_or(i64::MAX);
    match backend {
        Backend::Sqlite => {
            let max: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))).fetch_one(&mut *tx).await?.try_get(0)?;
            Ok((1..=count).map(|i| max + i).collect())
        }
        Backend::Postgres => {
            let rows = sqlx::query(AssertSqlSafe(format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)")))
                .bind(count)
                .fetch_all(&mut *tx)
                .await?;
            rows.iter().map(|r| Ok(r.try_get::<i64, _>(0)?)).collect()
        }
    }
}

/// Rewrite the search text of `assets` from their rows and identifiers (after any change to
/// their label, manufacturer, model or identifiers). Lowercased by the database, as the query's
/// `LOWER(column)` was.
async fn refresh_search(tx: &mut AnyConnection, backend: Backend, assets: &[i64]) -> Result<()> {
    for chunk in assets.chunks(MAX_PARAMS - 8) {
        let sep = || V::T(SEARCH_SEPARATOR.to_string());
        let mut s = Stmt::new(backend, "INSERT INTO asset_search (asset_id, haystack) SELECT a.id, LOWER(a.label || ");
        s.val(sep()).sql(" || COALESCE(a.manufacturer, '') || ").val(sep()).sql(" || COALESCE(a.model, '') || ").val(sep());
        s.sql(" || COALESCE((SELECT string_agg(i.value, ").val(sep()).sql(") FROM asset_identifiers i WHERE i.asset_id = a.id), '')) FROM assets a WHERE a.id IN ");
        s.ids(chunk).sql(" ON CONFLICT (asset_id) DO UPDATE SET haystack = excluded.haystack");
        s.execute(tx).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Assets.

/// An identifier as stored, and as the batch leaves it.
struct Ident {
    asset: i64,
    first: i64,
    last: i64,
    stored: Option<(i64, i64, i64)>,
}

/// An asset as stored (or as created by this batch), and as the batch leaves it.
struct AssetState {
    kind: String,
    manufacturer: Option<String>,
    model: Option<String>,
    software_version: Option<String>,
    confidence: i64,
    label: String,
    doc_hash: Option<i64>,
    /// The document to write (when the identity was taken and the hash differs).
    doc: Option<String>,
    /// Counters of this batch: created assets hold their totals, stored ones what to add.
    first: i64,
    last: i64,
    packets: i64,
    bytes: i64,
    created: bool,
    identity_changed: bool,
    seen: bool,
}

impl AssetState {
    fn identity(&self) -> Identity {
        (self.kind.clone(), self.manufacturer.clone(), self.model.clone(), self.software_version.clone(), self.confidence, self.label.clone(), self.doc_hash)
    }
}

/// An asset's identity as stored: kind, manufacturer, model, software version, confidence,
/// label, document hash.
type Identity = (String, Option<String>, Option<String>, Option<String>, i64, String, Option<i64>);

/// The columns of an asset's id and [`Identity`], read as an [`IdentityRow`].
const IDENTITY_COLUMNS: &str = "id, kind, manufacturer, model, software_version, confidence, label, doc_hash";
type IdentityRow = (i64, String, Option<String>, Option<String>, Option<String>, i64, String, Option<i64>);

fn split_identity((id, kind, manufacturer, model, version, confidence, label, hash): IdentityRow) -> (i64, Identity) {
    (id, (kind, manufacturer, model, version, confidence, label, hash))
}

/// A history row: asset (negative: created by this batch, not yet numbered), at, field, old, new.
type History = (i64, i64, &'static str, Option<String>, Option<String>);

/// Which stored asset is this report's asset? A MAC decides when there is one. Without a MAC
/// (behind a router, or a cooked capture), an address, then a DICOM AE title, then a host
/// name points to the asset that holds it. A MAC-less asset found first by address is adopted
/// by the MAC that later claims that address.
fn resolve(a: &PAsset, idents: &HashMap<(&'static str, &str), Ident>, macs: &HashMap<i64, i64>) -> Option<i64> {
    let owner = |k: &'static str, v: &str| idents.get(&(k, v)).map(|i| i.asset);
    if let Some((_, mac)) = a.ids.iter().find(|(k, _)| *k == "mac") {
        if let Some(id) = owner("mac", mac) {
            return Some(id);
        }
        for (k, v) in a.ids.iter().filter(|(k, _)| *k == "ip") {
            if let Some(id) = owner(k, v)
                && macs.get(&id).copied().unwrap_or(0) == 0
            {
                return Some(id);
            }
        }
        return None;
    }
    for kind in ["ip", "dicom_ae", "hostname"] {
        for (k, v) in a.ids.iter().filter(|(k, _)| *k == kind) {
            if let Some(id) = owner(k, v) {
                return Some(id);
            }
        }
    }
    None
}

/// Merge the batch's assets: returns the store id of each report asset id, and of each report
/// asset in order.
#[allow(clippy::too_many_arguments)]
async fn merge_assets<'b>(tx: &mut AnyConnection, backend: Backend, sensor: i64, b: &'b Prepared, t: i64, out: &mut IngestOutcome, mut cache: Option<&mut IdentCache>, group: &mut Pending) -> Result<(HashMap<&'b str, i64>, Vec<i64>)> {
    // What is stored about every identifier the batch names.
    let mut idents: HashMap<(&'static str, &'b str), Ident> = HashMap::new();
    let mut wanted: HashMap<&'static str, Vec<&'b str>> = HashMap::new();
    if let Some(c) = cache.as_deref() {
        for a in &b.assets {
            for (k, v) in &a.ids {
                if let Entry::Vacant(e) = idents.entry((k, v.as_str()))
                    && let Some((asset, first, last)) = c.get(k, v)
                {
                    e.insert(Ident { asset, first, last, stored: Some((asset, first, last)) });
                }
            }
        }
    } else {
        let mut named: HashSet<(&'static str, &'b str)> = HashSet::new();
        for a in &b.assets {
            for (k, v) in &a.ids {
                if named.insert((k, v.as_str())) {
                    wanted.entry(k).or_default().push(v.as_str());
                }
            }
        }
    }
    for (kind, values) in &wanted {
        let of_kind: HashSet<&'b str> = values.iter().copied().collect();
        for chunk in values.chunks(MAX_PARAMS - 1) {
            let mut s = Stmt::new(backend, &json_rows(backend, "value, asset_id, first_seen, last_seen"));
            s.sql("FROM asset_identifiers WHERE kind = ");
            s.val(V::T((*kind).to_string())).sql(" AND value IN ").texts(chunk);
            for (value, asset, first, last) in s.fetch_json::<(String, i64, i64, i64)>(tx).await? {
                let Some(v) = of_kind.get(value.as_str()).copied() else { continue };
                idents.insert((*kind, v), Ident { asset, first, last, stored: Some((asset, first, last)) });
            }
        }
    }
    // The stored assets they belong to, and how many MACs each has.
    let mut owners: Vec<i64> = idents.values().map(|i| i.asset).collect();
    owners.sort_unstable();
    owners.dedup();
    let mut state: HashMap<i64, AssetState> = HashMap::new();
    let mut macs: HashMap<i64, i64> = HashMap::new();
    let mut stored: Vec<(i64, Identity)> = Vec::with_capacity(owners.len());
    match cache.as_deref() {
        Some(c) => stored.extend(owners.iter().filter_map(|id| c.assets.get(id).map(|x| (*id, x.clone())))),
        None => {
            for chunk in owners.chunks(MAX_PARAMS) {
                let mut s = Stmt::new(backend, &json_rows(backend, IDENTITY_COLUMNS));
                s.sql("FROM assets WHERE id IN ").ids(chunk);
                stored.extend(s.fetch_json::<IdentityRow>(tx).await?.into_iter().map(split_identity));
            }
        }
    }
    for (id, (kind, manufacturer, model, software_version, confidence, label, doc_hash)) in stored {
        state.insert(
            id,
            AssetState {
                kind,
                manufacturer,
                model,
                software_version,
                confidence,
                label,
                doc_hash,
                doc: None,
                first: i64::MAX,
                last: i64::MIN,
                packets: 0,
                bytes: 0,
                created: false,
                identity_changed: false,
                seen: false,
            },
        );
    }
    // Whether they have a MAC matters only to a report asset whose MAC is not stored yet (may it
    // adopt the MAC-less asset holding its address?). Those whose MAC the batch names have one.
    for ((k, _), i) in &idents {
        if *k == "mac" {
            *macs.entry(i.asset).or_default() += 1;
        }
    }
    if b.assets.iter().any(|a| a.ids.iter().any(|(k, v)| *k == "mac" && !idents.contains_key(&("mac", v.as_str())))) {
        let unknown: Vec<i64> = owners.iter().copied().filter(|id| !macs.contains_key(id)).collect();
        if let Some(c) = cache.as_deref() {
            for id in &unknown {
                macs.insert(*id, c.macs.get(id).copied().unwrap_or(0));
            }
        }
        let unknown = if cache.is_some() { Vec::new() } else { unknown };
        for chunk in unknown.chunks(MAX_PARAMS) {
            let mut s = Stmt::new(backend, "SELECT asset_id, COUNT(*) FROM asset_identifiers WHERE kind = 'mac' AND asset_id IN ");
            s.ids(chunk).sql(" GROUP BY asset_id");
            for r in s.fetch(tx).await? {
                macs.insert(r.try_get(0)?, r.try_get(1)?);
            }
        }
    }

    // Each asset in turn, in memory, as one statement after another would have.
    let mut ids: HashMap<&'b str, i64> = HashMap::new();
    let mut all = Vec::with_capacity(b.assets.len());
    let mut history: Vec<History> = Vec::new();
    let mut search: HashSet<i64> = HashSet::new();
    let mut next_new = 0i64;
    for a in &b.assets {
        let existing = resolve(a, &idents, &macs);
        let (id, created) = match existing {
            Some(id) => {
                let s = state.get_mut(&id).ok_or(StoreError::NotFound("asset"))?;
                // The identity with more evidence wins; at equal confidence the newer report.
                if a.confidence >= s.confidence {
                    if a.software_version.is_some() && a.software_version != s.software_version {
                        history.push((id, a.last, "software_version", s.software_version.clone(), a.software_version.clone()));
                    }
                    let version = a.software_version.clone().or_else(|| s.software_version.clone());
                    if s.label != a.label || s.manufacturer != a.manufacturer || s.model != a.model {
                        search.insert(id);
                    }
                    if s.kind != a.kind || s.manufacturer != a.manufacturer || s.model != a.model || s.software_version != version || s.confidence != a.confidence || s.label != a.label || s.doc_hash != Some(a.doc_hash) {
                        s.identity_changed = true;
                        s.kind.clone_from(&a.kind);
                        s.manufacturer.clone_from(&a.manufacturer);
                        s.model.clone_from(&a.model);
                        s.software_version = version;
                        s.confidence = a.confidence;
                        s.label.clone_from(&a.label);
                    }
                    // The newest document of the identity that won, whether or not it says
                    // something new (the stored one, if equal by hash, is left alone).
                    if s.doc_hash != Some(a.doc_hash) || s.doc.is_some() {
                        s.doc = Some(a.doc.clone());
                        s.doc_hash = Some(a.doc_hash);
                    }
                }
                s.first = s.first.min(a.first);
                s.last = s.last.max(a.last);
                s.packets = s.packets.saturating_add(a.packets);
                s.bytes = s.bytes.saturating_add(a.bytes);
                s.seen = true;
                out.assets_updated += 1;
                (id, false)
            }
            None => {
                next_new -= 1;
                state.insert(
                    next_new,
                    AssetState {
                        kind: a.kind.clone(),
                        manufacturer: a.manufacturer.clone(),
                        model: a.model.clone(),
                        software_version: a.software_version.clone(),
                        confidence: a.confidence,
                        label: a.label.clone(),
                        doc_hash: Some(a.doc_hash),
                        doc: Some(a.doc.clone()),
                        first: a.first,
                        last: a.last,
                        packets: a.packets,
                        bytes: a.bytes,
                        created: true,
                        identity_changed: false,
                        seen: true,
                    },
                );
                search.insert(next_new);
                out.assets_new += 1;
                (next_new, true)
            }
        };
        for (kind, value) in &a.ids {
            let key = (*kind, value.as_str());
            match idents.get_mut(&key) {
                Some(i) if i.asset == id => i.last = i.last.max(a.last),
                Some(i) => {
                    // The value moved: DHCP gave the address to another device, a host name was reused.
                    let owner = i.asset;
                    i.asset = id;
                    i.first = a.last;
                    i.last = a.last;
                    history.push((owner, a.last, kind, Some(value.clone()), None));
                    history.push((id, a.last, kind, None, Some(value.clone())));
                    search.insert(owner);
                    search.insert(id);
                    if *kind == "mac" {
                        *macs.entry(owner).or_default() -= 1;
                        *macs.entry(id).or_default() += 1;
                    }
                }
                None => {
                    idents.insert(key, Ident { asset: id, first: a.first, last: a.last, stored: None });
                    if !created {
                        history.push((id, a.last, kind, None, Some(value.clone())));
                    }
                    search.insert(id);
                    if *kind == "mac" {
                        *macs.entry(id).or_default() += 1;
                    }
                }
            }
        }
        ids.insert(a.report_id.as_str(), id);
        all.push(id);
    }

    // Number the new assets, then write.
    let mut new: Vec<i64> = state.keys().copied().filter(|id| *id < 0).collect();
    new.sort_unstable_by(|a, b| b.cmp(a));
    let numbers = reserve_ids(tx, backend, "assets", new.len()).await?;
    let real: HashMap<i64, i64> = new.iter().copied().zip(numbers).collect();
    let real = |id: i64| if id < 0 { real.get(&id).copied().unwrap_or(id) } else { id };
    let mut inserts = Vec::new();
    let mut identities = Vec::new();
    let mut docs = Vec::new();
    for tmp in &new {
        let Some(s) = state.remove(tmp) else { continue };
        if let Some(c) = cache.as_deref_mut() {
            c.assets.insert(real(*tmp), s.identity());
        }
        inserts.push(vec![
            V::I(real(*tmp)),
            V::T(s.kind),
            V::OT(s.manufacturer),
            V::OT(s.model),
            V::OT(s.software_version),
            V::I(s.confidence),
            V::T(s.label),
            V::I(s.first),
            V::I(s.last),
            V::I(s.packets),
            V::I(s.bytes),
            V::OI(s.doc_hash),
            V::I(t),
        ]);
        docs.push(vec![V::I(real(*tmp)), V::T(s.doc.unwrap_or_default())]);
    }
    // In id order: the table's pages in order.
    let mut state: Vec<(i64, AssetState)> = state.into_iter().collect();
    state.sort_unstable_by_key(|(id, _)| *id);
    for (id, s) in state {
        if !s.seen || s.created {
            continue;
        }
        if s.identity_changed {
            if let Some(c) = cache.as_deref_mut() {
                c.assets.insert(id, s.identity());
            }
            identities.push(vec![V::I(id), V::T(s.kind), V::OT(s.manufacturer), V::OT(s.model), V::OT(s.software_version), V::I(s.confidence), V::T(s.label), V::OI(s.doc_hash)]);
        }
        if let Some(doc) = s.doc {
            docs.push(vec![V::I(id), V::T(doc)]);
        }
        group.asset(id, s.first, s.last, s.packets, s.bytes);
    }
    insert_rows(tx, backend, "INSERT INTO assets (id, kind, manufacturer, model, software_version, confidence, label, first_seen, last_seen, packets, bytes, doc_hash, updated_at)", "", inserts).await?;
    insert_rows(tx, backend, "INSERT INTO asset_docs (asset_id, doc)", " ON CONFLICT (asset_id) DO UPDATE SET doc = excluded.doc", docs).await?;
    update_rows(
        tx,
        backend,
        "id, kind, manufacturer, model, software_version, confidence, label, doc_hash",
        "assets",
        "kind = v.kind, manufacturer = v.manufacturer, model = v.model, software_version = v.software_version, confidence = v.confidence, \
         label = v.label, doc_hash = v.doc_hash",
        "assets.id = v.id",
        identities,
    )
    .await?;
    // Identifiers: new ones and those that moved are written now; one seen again on its asset
    // only moves its last_seen, which waits with the counters.
    let mut cold = Vec::new();
    for ((k, v), i) in &idents {
        match i.stored {
            Some(s) if s == (i.asset, i.first, i.last) => {}
            Some((owner, first, _)) if owner == i.asset && first == i.first => {
                group.ident(k, v, i.last);
                if let Some(c) = cache.as_deref_mut() {
                    c.seen(k, v, i.last);
                }
            }
            _ => {
                let asset = real(i.asset);
                if let Some(c) = cache.as_deref_mut() {
                    c.set(k, (*v).to_string(), (asset, i.first, i.last), i.stored.map(|s| s.0));
                }
                cold.push((*k, *v, asset, i.first, i.last));
            }
        }
    }
    cold.sort_unstable();
    let rows = cold.into_iter().map(|(k, v, asset, first, last)| vec![V::T(k.to_string()), V::T(v.to_string()), V::I(asset), V::I(first), V::I(last)]).collect();
    insert_rows(
        tx,
        backend,
        "INSERT INTO asset_identifiers (kind, value, asset_id, first_seen, last_seen)",
        " ON CONFLICT (kind, value) DO UPDATE SET asset_id = excluded.asset_id, first_seen = excluded.first_seen, last_seen = excluded.last_seen",
        rows,
    )
    .await?;
    let rows = history.into_iter().map(|(asset, at, field, old, new)| vec![V::I(real(asset)), V::I(at), V::T(field.to_string()), V::OT(old), V::OT(new), V::I(sensor)]).collect();
    insert_rows(tx, backend, "INSERT INTO asset_history (asset_id, at, field, old_value, new_value, sensor_id)", "", rows).await?;
    let mut search: Vec<i64> = search.into_iter().map(real).collect();
    search.sort_unstable();
    refresh_search(tx, backend, &search).await?;
    Ok((ids.into_iter().map(|(k, v)| (k, real(v))).collect(), all.into_iter().map(real).collect()))
}

// ---------------------------------------------------------------------------------------------
// Findings.

impl Store {
    /// A finding the server itself raises (about no device: an unauthorized use of the server,
    /// say), deduplicated by its kind and `key` (e.g. the account), with the same lifecycle as
    /// the sensors' findings. Returns the finding's id.
    pub async fn raise(&self, actor: &str, f: &Finding, key: &str) -> Result<i64> {
        let mut tx = self.pool().begin().await?;
        let p = PFinding::new(f)?;
        let fp = fingerprint(&p.kind, p.protocol.as_deref(), None, None, Some(key));
        merge_findings(&mut tx, self.backend(), &[(fp.clone(), &p, None, None)], actor, now(), None).await?;
        let id: i64 = sqlx::query("SELECT id FROM findings WHERE fingerprint = $1").bind(fp).fetch_one(&mut *tx).await?.try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }
}

/// The deduplication key of a finding: kind, asset, peer, protocol (and the server's own key).
fn fingerprint(kind: &str, protocol: Option<&str>, asset: Option<i64>, peer: Option<i64>, key: Option<&str>) -> String {
    let mut fp = format!(
        "{}|{}|{}|{}",
        kind,
        asset.map_or_else(String::new, |a| a.to_string()),
        peer.map_or_else(String::new, |a| a.to_string()),
        protocol.unwrap_or("")
    );
    if let Some(k) = key {
        fp.push('|');
        fp.push_str(k);
    }
    fp
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Merged {
    New,
    Seen,
    Reopened,
}

/// A stored finding's id, or the index of a finding this batch raises.
type FindingId = std::result::Result<i64, usize>;

/// A finding as stored (or raised by this batch), and what the batch adds.
struct FindingState<'a> {
    /// Stored id, or the index of the new finding in `fresh`.
    id: FindingId,
    status: String,
    until: Option<i64>,
    title: &'a str,
    evidence: &'a str,
    stored_title: Option<String>,
    stored_evidence: Option<String>,
    first: i64,
    last: i64,
    occurrences: i64,
    seen: bool,
    reopen: bool,
}

/// Merge findings (fingerprint, finding, asset, peer) in order: new ones raised, known ones
/// counted, resolved or expired-accepted ones reopened, each step an event by `actor`.
/// Known findings' counters and times go to `group` when there is one (the writer's), else
/// straight into their rows.
async fn merge_findings(tx: &mut AnyConnection, backend: Backend, fs: &[(String, &PFinding, Option<i64>, Option<i64>)], actor: &str, t: i64, mut group: Option<&mut Pending>) -> Result<Vec<Merged>> {
    let mut states: HashMap<&str, FindingState<'_>> = HashMap::new();
    let mut fps: Vec<&str> = fs.iter().map(|(fp, ..)| fp.as_str()).collect();
    fps.sort_unstable();
    fps.dedup();
    for chunk in fps.chunks(MAX_PARAMS) {
        let mut s = Stmt::new(backend, &json_rows(backend, "fingerprint, id, status, accepted_until, title, evidence"));
        s.sql("FROM findings WHERE fingerprint IN ").texts(chunk);
        type Row6 = (String, i64, String, Option<i64>, String, String);
        for (fp, id, status, until, title, evidence) in s.fetch_json::<Row6>(tx).await? {
            let Ok(k) = chunk.binary_search(&fp.as_str()) else { continue };
            states.insert(
                chunk[k],
                FindingState {
                    id: Ok(id),
                    status,
                    until,
                    title: "",
                    evidence: "",
                    stored_title: Some(title),
                    stored_evidence: Some(evidence),
                    first: i64::MAX,
                    last: i64::MIN,
                    occurrences: 0,
                    seen: false,
                    reopen: false,
                },
            );
        }
    }
    // (finding's id or new index, action, detail), in order.
    let mut events: Vec<(FindingId, &'static str, Option<&'static str>)> = Vec::new();
    let mut fresh: Vec<(&str, &PFinding, Option<i64>, Option<i64>)> = Vec::new();
    let mut merged = Vec::with_capacity(fs.len());
    for (fp, f, asset, peer) in fs {
        let Some(s) = states.get_mut(fp.as_str()) else {
            let n = fresh.len();
            fresh.push((fp, f, *asset, *peer));
            states.insert(
                fp,
                FindingState {
                    id: Err(n),
                    status: "open".into(),
                    until: None,
                    title: &f.title,
                    evidence: &f.evidence,
                    stored_title: None,
                    stored_evidence: None,
                    first: f.first,
                    last: f.last,
                    occurrences: f.count,
                    seen: true,
                    reopen: false,
                },
            );
            events.push((Err(n), "raised", None));
            merged.push(Merged::New);
            continue;
        };
        let reopen = match s.status.as_str() {
            "resolved" => Some("seen again after it was resolved"),
            "accepted_risk" if s.until.is_some_and(|u| u <= t) => Some("risk acceptance expired and it was seen again"),
            _ => None,
        };
        s.first = s.first.min(f.first);
        s.last = s.last.max(f.last);
        s.occurrences = s.occurrences.saturating_add(f.count);
        s.title = &f.title;
        s.evidence = &f.evidence;
        s.seen = true;
        if let Some(why) = reopen {
            s.status = "open".into();
            s.until = None;
            s.reopen = true;
            events.push((s.id, "reopened", Some(why)));
            merged.push(Merged::Reopened);
        } else {
            merged.push(Merged::Seen);
        }
    }

    let numbers = reserve_ids(tx, backend, "findings", fresh.len()).await?;
    let id_of = |id: FindingId| id.unwrap_or_else(|n| numbers[n]);
    let mut inserts = Vec::new();
    for (n, (fp, f, asset, peer)) in fresh.iter().enumerate() {
        let s = &states[fp];
        inserts.push(vec![
            V::I(numbers[n]),
            V::T((*fp).to_string()),
            V::T(f.kind.clone()),
            V::T(f.severity.to_string()),
            V::I(f.rank),
            V::OI(*asset),
            V::OI(*peer),
            V::OT(f.protocol.clone()),
            V::T(s.title.to_string()),
            V::T(s.evidence.to_string()),
            V::T(f.remediation.clone()),
            V::I(s.first),
            V::I(s.last),
            V::I(s.occurrences),
            V::T("open".into()),
            V::I(t),
        ]);
    }
    let mut texts = Vec::new();
    let mut counters = Pending::default();
    let mut reopened = Vec::new();
    let mut known: Vec<&FindingState<'_>> = states.values().filter(|s| s.seen && s.id.is_ok()).collect();
    known.sort_unstable_by_key(|s| s.id.ok());
    for s in known {
        let id = id_of(s.id);
        let title = (s.stored_title.as_deref() != Some(s.title)).then(|| s.title.to_string());
        let evidence = (s.stored_evidence.as_deref() != Some(s.evidence)).then(|| s.evidence.to_string());
        if title.is_some() || evidence.is_some() {
            texts.push(vec![V::I(id), V::OT(title), V::OT(evidence)]);
        }
        match group.as_deref_mut() {
            Some(g) => g.finding(id, s.first, s.last, s.occurrences),
            None => counters.finding(id, s.first, s.last, s.occurrences),
        }
        if s.reopen {
            reopened.push(id);
        }
    }
    insert_rows(
        tx,
        backend,
        "INSERT INTO findings (id, fingerprint, kind, severity, severity_rank, asset_id, peer_asset_id, protocol, title, evidence, remediation, \
         first_seen, last_seen, occurrences, status, updated_at)",
        "",
        inserts,
    )
    .await?;
    update_rows(
        tx,
        backend,
        "id, title, evidence",
        "findings",
        &format!("title = COALESCE(v.title, findings.title), evidence = COALESCE(v.evidence, findings.evidence), updated_at = {t}"),
        "findings.id = v.id",
        texts,
    )
    .await?;
    if !counters.is_empty() {
        fold_counters(tx, backend, &counters, None).await?;
    }
    for chunk in reopened.chunks(MAX_PARAMS) {
        let mut s = Stmt::new(backend, "UPDATE findings SET status = 'open', status_reason = NULL, accepted_until = NULL WHERE id IN ");
        s.ids(chunk);
        s.execute(tx).await?;
    }
    let rows = events.into_iter().map(|(id, action, detail)| vec![V::I(id_of(id)), V::I(t), V::T(actor.to_string()), V::T(action.to_string()), V::OT(detail.map(str::to_string))]).collect();
    insert_rows(tx, backend, "INSERT INTO finding_events (finding_id, at, actor, action, detail)", "", rows).await?;
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::doc_hash;
    use ward_model::Timestamp;
    use ward_model::report::Asset;

    /// The document's hash ignores exactly its counters and times, the last fields serialised.
    #[test]
    fn doc_hash_ignores_counters_and_times_only() {
        let a: Asset = serde_json::from_value(serde_json::json!({
            "id": "mac:00:11:22:33:44:55", "mac": "00:11:22:33:44:55", "ips": ["10.0.0.1"], "vendor": null, "hostnames": ["pump-1"],
            "protocols": {"client": [], "server": []}, "peers": [], "peer_count": 0, "dhcp": null, "hl7_applications": [],
            "mqtt_client_ids": [], "dicom_ae_titles": [], "tls_ja4": [],
            "device": {"kind": "infusion-pump", "manufacturer": "Baxter", "model": null, "software_version": null, "components": [], "confidence": 40, "evidence": []},
            "first_seen": "2026-01-01T00:00:00Z", "last_seen": "2026-01-01T00:05:00Z", "packets": 10, "bytes": 1000
        }))
        .expect("asset");
        let doc = serde_json::to_string(&a).expect("doc");
        assert!(doc.contains(",\"first_seen\":") && doc.ends_with('}'), "{doc}");
        let mut later = a.clone();
        later.first_seen = Timestamp(later.first_seen.0 + 300_000_000_000);
        later.last_seen = Timestamp(later.last_seen.0 + 300_000_000_000);
        later.packets += 7;
        later.bytes += 700;
        assert_eq!(doc_hash(&doc), doc_hash(&serde_json::to_string(&later).expect("doc")));
        let mut renamed = a.clone();
        renamed.hostnames = vec!["pump-2".into()];
        assert_ne!(doc_hash(&doc), doc_hash(&serde_json::to_string(&renamed).expect("doc")));
        let mut updated = a;
        updated.device.software_version = Some("8.02".into());
        assert_ne!(doc_hash(&doc), doc_hash(&serde_json::to_string(&updated).expect("doc")));
    }
}
