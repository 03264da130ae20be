//! `ward`: the command line. Parsing and wiring only; the ideas live in the library crates.

mod ledger_cmd;
mod server_cmd;
mod upload_cmd;
mod vulns_cmd;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use ward_model::report::{AnalyzeReport, CaptureFile};
use ward_sensor::analyze::{ProgressUpdate, build_report, read_capture};
use ward_sensor::capture::live::{LiveCapture, stop_on_interrupt};
use ward_sensor::records::JsonLinesSink;
use ward_sensor::{Engine, EngineConfig};

// mimalloc instead of glibc's malloc: the engine allocates and frees small records per packet,
// and glibc's allocator was 12 % of `ward analyze`'s time on the benchmark (bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// mimalloc's own C entry point (compiled in by `libmimalloc-sys`, which does not declare it
// without its `extended` feature). `mi_option_t` is a C enum; 15 is `mi_option_purge_delay`
// in the mimalloc v3 sources that `libmimalloc-sys` 0.1.49 (pinned in Cargo.lock) builds.
#[allow(unsafe_code)]
unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// Keep freed allocator pages for 10 s before returning them to the kernel (mimalloc's default
/// is 1 s). The engine's tables grow in steps and free their old storage; with 1 s, those pages
/// went back to the kernel and came back zeroed (transparent huge pages: 2 MiB zeroed per
/// fault), about a tenth of `ward analyze`'s time on the benchmark. Peak memory is unchanged;
/// memory still goes back after 10 idle seconds.
fn tune_allocator() {
    const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;
    // SAFETY: called first thing in `main`, before any other thread exists (mimalloc's option
    // setters are not thread-safe); the option index and value are valid for mimalloc v3.
    #[allow(unsafe_code)]
    unsafe {
        mi_option_set(MI_OPTION_PURGE_DELAY, 10_000);
    }
}

#[derive(Parser, Debug)]
#[command(name = "ward", version, about = "Passive security monitoring for the Internet of Medical Things")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyse capture files (pcap or pcapng; `-` reads standard input) into an asset inventory.
    ///
    /// Exit status: 0 when every capture was read to its end, 2 when a capture was damaged
    /// (the report covers what could be read and names the byte offset of the damage),
    /// 1 on any other error, 3 when --upload could not deliver the report (it waits in the
    /// spool for `ward upload`).
    Analyze {
        /// Capture files to read, in order.
        #[arg(required = true, value_name = "CAPTURE")]
        captures: Vec<PathBuf>,
        #[command(flatten)]
        out: OutputArgs,
        #[command(flatten)]
        engine: EngineArgs,
        #[command(flatten)]
        upload: upload_cmd::UploadArgs,
        /// Match the identified devices against these CSAF advisories (a directory or a file)
        /// and add `known-vulnerability` findings.
        #[arg(long, value_name = "DIR")]
        advisories: Option<PathBuf>,
    },
    /// Capture live from a network interface (needs CAP_NET_RAW) and report when stopped.
    Sensor {
        /// Interface to capture on, e.g. a SPAN or TAP port.
        #[arg(long, short = 'i')]
        interface: String,
        /// Stop after this many seconds.
        #[arg(long)]
        duration: Option<u64>,
        /// Stop after this many packets.
        #[arg(long)]
        packets: Option<u64>,
        #[command(flatten)]
        out: OutputArgs,
        #[command(flatten)]
        engine: EngineArgs,
        #[command(flatten)]
        upload: upload_cmd::UploadArgs,
        /// With --upload: end a batch and send it every this many seconds (flows still open
        /// are reported in the batch and continue in the next).
        #[arg(long, value_name = "SECS", default_value_t = 300, requires = "upload")]
        upload_interval: u64,
    },
    /// Send the reports still waiting in the spool to `ward server`.
    ///
    /// Exit status: 0 when the spool is empty afterwards, 3 when batches remain or were rejected.
    Upload(upload_cmd::FlushArgs),
    /// Run the inventory and findings service over HTTPS (`ward server token create --sensor
    /// NAME` makes a sensor's upload token).
    Server(server_cmd::ServerArgs),
    /// The tamper-evident audit ledger: append, checkpoint, prove, export, verify.
    Ledger(ledger_cmd::LedgerArgs),
    /// Known vulnerabilities across all devices: match an inventory against CSAF advisories
    /// (with KEV, EPSS and SBOMs), score each device's risk and order its remediations.
    Vulns(vulns_cmd::VulnsArgs),
}

#[derive(clap::Args, Debug)]
struct OutputArgs {
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write every dissector record (DHCP, DNS, ...) as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    records: Option<PathBuf>,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
}

#[derive(clap::Args, Debug)]
struct EngineArgs {
    /// Most flows tracked at once (memory bound); the flow nearest its timeout is evicted beyond it.
    #[arg(long, default_value_t = EngineConfig::default().max_flows)]
    max_flows: usize,
    /// Most flow summaries kept in the report; the rest are counted.
    #[arg(long, default_value_t = EngineConfig::default().inventory.max_flow_records)]
    max_flow_records: usize,
    /// Add device fingerprint rules from FILE (format: knowledge/devices/README.md); read before
    /// the shipped rules, so they take precedence. Repeatable.
    #[arg(long, value_name = "FILE")]
    knowledge: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    /// Human-readable tables.
    Table,
    /// The versioned JSON document (schemas/analyze-report.v1.json).
    Json,
    /// One self-contained HTML page.
    Html,
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze { captures, out, engine, upload, advisories } => analyze(&captures, &out, &engine, &upload, advisories.as_deref()),
        Command::Sensor { interface, duration, packets, out, engine, upload, upload_interval } => {
            sensor(&interface, Limits { duration, packets }, &out, &engine, &upload, upload_interval)
        }
        Command::Upload(args) => upload_cmd::flush(&args),
        Command::Server(args) => server_cmd::run(&args),
        Command::Ledger(args) => ledger_cmd::run(&args),
        Command::Vulns(args) => vulns_cmd::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ward: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn engine_config(a: &EngineArgs) -> Result<EngineConfig> {
    let mut cfg = EngineConfig { max_flows: a.max_flows.max(1), ..EngineConfig::default() };
    cfg.inventory.max_flow_records = a.max_flow_records;
    if !a.knowledge.is_empty() {
        let mut k = ward_sensor::fingerprint::Knowledge::shipped().clone();
        // Later files are tried first, like the hospital's files before the shipped ones.
        for p in &a.knowledge {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read knowledge file {}", p.display()))?;
            k.add_file(&p.display().to_string(), &text)?;
        }
        cfg.knowledge = std::sync::Arc::new(k);
    }
    Ok(cfg)
}

fn new_engine(out: &OutputArgs, args: &EngineArgs) -> Result<Engine> {
    new_engine_appending(out, args, false)
}

/// An engine whose record stream continues the file (`append`) instead of starting it.
fn new_engine_appending(out: &OutputArgs, args: &EngineArgs, append: bool) -> Result<Engine> {
    let mut engine = Engine::new(engine_config(args)?);
    if let Some(path) = &out.records {
        let f = if append { File::options().append(true).create(true).open(path) } else { File::create(path) }
            .with_context(|| format!("cannot create records file {}", path.display()))?;
        engine.set_record_sink(Box::new(JsonLinesSink::new(BufWriter::with_capacity(1 << 16, f))));
    }
    Ok(engine)
}

fn analyze(captures: &[PathBuf], out: &OutputArgs, args: &EngineArgs, upload: &upload_cmd::UploadArgs, advisories: Option<&std::path::Path>) -> Result<ExitCode> {
    // Check the uplink's settings before a long run, not after.
    if let Some(url) = &upload.upload {
        upload_cmd::Uplink::new(url, &upload.conn)?;
    }
    // Open everything first: a typo in the last path should not cost a long run.
    let mut sources: Vec<(String, Box<dyn Read>, Option<u64>)> = Vec::new();
    for p in captures {
        if p.as_os_str() == "-" {
            sources.push(("-".into(), Box::new(io::stdin().lock()), None));
        } else {
            let f = File::open(p).with_context(|| format!("cannot open capture {}", p.display()))?;
            let size = f.metadata().ok().map(|m| m.len());
            sources.push((p.display().to_string(), Box::new(f), size));
        }
    }
    let mut engine = new_engine(out, args)?;
    let show = !out.no_progress && io::stderr().is_terminal();
    let total: Option<u64> = sources.iter().map(|s| s.2).sum();
    let sizes: Vec<u64> = sources.iter().map(|s| s.2.unwrap_or(0)).collect();
    let bar = progress_bar(show, total);
    let started = Instant::now();
    let mut files: Vec<CaptureFile> = Vec::new();
    for (i, (name, src, _)) in sources.into_iter().enumerate() {
        let done_before: u64 = sizes[..i].iter().sum();
        let mut on_progress = |p: ProgressUpdate| {
            if let Some(b) = &bar {
                b.set_position(done_before + p.offset);
                let secs = started.elapsed().as_secs_f64().max(1e-3);
                b.set_message(format!("{} packets, {:.0} kpkt/s", p.packets, p.packets as f64 / secs / 1e3));
            }
        };
        files.push(read_capture(&name, i, src, &mut engine, &mut on_progress));
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let damaged: Vec<String> = files
        .iter()
        .filter_map(|f| f.error.as_ref().map(|e| format!("{}: {}", f.path, e.message)))
        .collect();
    let mut report = build_report(files, engine);
    if let Some(dir) = advisories {
        vulns_cmd::add_findings(&mut report, dir)?;
    }
    write_report(&report, out)?;
    for d in &damaged {
        eprintln!("ward: warning: {d}");
    }
    if let Some(url) = &upload.upload
        && !upload_cmd::upload_report(&report, url, &upload.conn)?
    {
        return Ok(ExitCode::from(upload_cmd::EXIT_SPOOLED));
    }
    Ok(if damaged.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(2) })
}

fn progress_bar(show: bool, total: Option<u64>) -> Option<ProgressBar> {
    if !show {
        return None;
    }
    let bar = match total {
        Some(t) => {
            let b = ProgressBar::new(t);
            b.set_style(
                ProgressStyle::with_template("{bar:30} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b
        }
        None => ProgressBar::new_spinner(),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
    Some(bar)
}

fn write_report(report: &AnalyzeReport, out: &OutputArgs) -> Result<()> {
    let mut sink: Box<dyn Write> = match &out.output {
        Some(p) => Box::new(BufWriter::new(File::create(p).with_context(|| format!("cannot create {}", p.display()))?)),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    match out.format {
        Format::Table => ward_report::write_table(report, &mut sink),
        Format::Json => ward_report::write_json(report, &mut sink),
        Format::Html => ward_report::write_html(report, &mut sink),
    }
    .and_then(|()| sink.flush())
    .context("cannot write the report")
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    duration: Option<u64>,
    packets: Option<u64>,
}

fn sensor(interface: &str, limits: Limits, out: &OutputArgs, args: &EngineArgs, upload: &upload_cmd::UploadArgs, interval: u64) -> Result<ExitCode> {
    let uplink = upload.upload.as_ref().map(|url| upload_cmd::Uplink::new(url, &upload.conn)).transpose()?;
    let mut cap = LiveCapture::open(interface, Duration::from_millis(200))?;
    let mut engine = new_engine(out, args)?;
    let stop = stop_on_interrupt();
    let deadline = limits.duration.map(|d| Instant::now() + Duration::from_secs(d));
    if io::stderr().is_terminal() {
        eprintln!("ward: capturing on {interface}; Ctrl-C to stop and write the report");
    }
    let sender = uplink.map(|u| (u.clone(), upload_cmd::background(u, Duration::from_secs(30))));
    let interval = Duration::from_secs(interval.max(1));
    let mut batch_started = Instant::now();
    let new_window = || CaptureFile { path: interface.to_string(), format: "live".into(), ..CaptureFile::default() };
    let mut file = new_window();
    let mut total_packets = 0u64;
    let mut links = Vec::new();
    loop {
        if stop.load(Ordering::SeqCst) || deadline.is_some_and(|d| Instant::now() >= d) || limits.packets.is_some_and(|n| total_packets >= n) {
            break;
        }
        if let Some(p) = cap.next_packet()? {
            file.packets += 1;
            total_packets += 1;
            file.bytes += p.data.len() as u64;
            if !links.contains(&p.link) {
                links.push(p.link);
            }
            engine.process(p.ts, p.link, p.data);
        }
        // With an uplink, a batch ends every interval: its report goes to the spool and the
        // sender thread, and a fresh engine continues (flows open now are in this batch and
        // start again in the next, where the server merges them).
        if let Some((up, (tx, handle))) = &sender
            && batch_started.elapsed() >= interval
            && !handle.is_finished()
        {
            file.link_types = links.iter().map(|l| l.name()).collect();
            let done = std::mem::replace(&mut engine, new_engine_appending(out, args, true)?);
            let report = build_report(vec![std::mem::replace(&mut file, new_window())], done);
            up.enqueue(&report)?;
            let _ = tx.send(());
            batch_started = Instant::now();
        }
    }
    file.link_types = links.iter().map(|l| l.name()).collect();
    let report = build_report(vec![file], engine);
    write_report(&report, out)?;
    if let Some((up, (tx, handle))) = sender {
        up.enqueue(&report)?;
        drop(tx);
        let up = handle.join().map_err(|_| anyhow::anyhow!("the upload thread failed"))?;
        if !up.spool.pending()?.is_empty() {
            eprintln!("ward: some batches wait in the spool; `ward upload` sends them");
            return Ok(ExitCode::from(upload_cmd::EXIT_SPOOLED));
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

