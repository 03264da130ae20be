//! The matching half of `ward vulns` without the CLI (so the benchmark does not need the whole
//! `ward` binary built in release mode): read an advisory directory and an inventory, match,
//! score, write the JSON document. Prints the phase timings on standard error.
//!
//!     cargo run --release -p ward-intel --example bench_match -- ADVISORIES INVENTORY OUT.json

use std::io::Write;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, advisories, inventory, out] = args.as_slice() else {
        eprintln!("usage: bench_match ADVISORIES INVENTORY OUT.json");
        std::process::exit(2);
    };
    let t0 = Instant::now();
    let (ok, errors) = ward_intel::csaf::load_path(std::path::Path::new(advisories));
    let n_adv = ok.len();
    let k = ward_intel::matcher::Knowledge::new(ok, ward_intel::names::Aliases::shipped());
    let t1 = Instant::now();
    let inv = ward_intel::inventory::load(std::path::Path::new(inventory))?;
    let t2 = Instant::now();
    let a = ward_intel::assess::assess(&k, &inv.devices, Vec::new());
    let t3 = Instant::now();
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    serde_json::to_writer(&mut w, &a)?;
    w.flush()?;
    let t4 = Instant::now();
    eprintln!(
        "advisories {n_adv} (rejected {}), product entries {}, devices {}, matches {}, devices with matches {}",
        errors.len(),
        k.entry_count(),
        inv.devices.len(),
        a.matches.len(),
        a.risks.len()
    );
    eprintln!(
        "load+index {:.2}s, inventory {:.2}s, match+score {:.2}s, write {:.2}s",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        (t3 - t2).as_secs_f64(),
        (t4 - t3).as_secs_f64()
    );
    Ok(())
}
