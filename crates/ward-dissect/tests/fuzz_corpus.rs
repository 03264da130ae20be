//! Runs the DHCP and DNS fuzz targets' seed corpus as ordinary tests.

use std::path::Path;

fn run(target: &str, f: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus").join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("corpus directory exists").flatten() {
        f(&std::fs::read(e.path()).expect("readable"));
        n += 1;
    }
    assert!(n >= 5, "{target}: only {n} seeds");
}

#[test]
fn dhcp_seeds_hold_the_properties() {
    run("dhcp", ward_dissect::dhcp::fuzz);
}

#[test]
fn dns_seeds_hold_the_properties() {
    run("dns", ward_dissect::dns::fuzz);
}

#[test]
fn hl7_seeds_hold_the_properties() {
    run("hl7", ward_dissect::hl7::fuzz);
}

#[test]
fn mqtt_seeds_hold_the_properties() {
    run("mqtt", ward_dissect::mqtt::fuzz);
}
