//! TLS records agree with real peers on the same captures: Suricata's expected EVE values
//! (suricata-verify `ja4-tls` and `tls/*`: JA3, JA4, SNI, version, certificate subject, issuer,
//! serial, dates, fingerprint), tshark 4.0's dissection of every hello, ServerKeyExchange and
//! record (field by field, JA3/JA3S strings and hashes included), and OpenSSL's reading of every
//! certificate that tshark extracts; on Suricata's captures and on captures made with
//! `openssl s_server`/`s_client` and curl (tests/pcap/tls/HOWTO.md). tshark 4.0 has no JA4
//! field: JA4 is recomputed here from tshark's fields by the FoxIO rules, and Suricata's value
//! is the external one. Finally, nothing sent inside a TLS session (Basic credentials, a
//! patient id, even under a NULL cipher where they cross the wire in cleartext) nor the person
//! named in a client certificate appears in records or reports.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Our captures, made with real tools (tests/pcap/tls).
fn our_pcaps() -> Vec<PathBuf> {
    let dir = root().join("tests/pcap/tls");
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(&dir).expect("tests/pcap/tls").flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "pcap")).collect();
    v.sort();
    assert!(v.len() >= 11, "captures missing: {v:?}");
    v
}

/// Suricata-verify's TLS captures.
fn suricata_pcaps() -> Vec<PathBuf> {
    vec![
        shared("peers/suricata-verify/ja4-tls/input.pcap"),
        shared("peers/suricata-verify/tls/tls-altname-zero/input.pcap"),
        shared("peers/suricata-verify/tls/tls-cert-noissuer/tls.pcap"),
        shared("peers/suricata-verify/tls/tls-random/input.pcap"),
        shared("peers/suricata-verify/tls/tls13-draft28/tls13_draft28.pcap"),
    ]
}

fn all_pcaps() -> Vec<PathBuf> {
    let mut v = suricata_pcaps();
    v.extend(our_pcaps());
    v
}

fn name_of(p: &Path) -> String {
    let parent = p.parent().and_then(|d| d.file_name()).map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    format!("{parent}-{}", p.file_stem().expect("stem").to_string_lossy())
}

/// Ward's TLS records (whole EVE lines) for one capture.
fn tls_records(pcap: &Path) -> Vec<Value> {
    // Tests run in parallel threads of one process and read the same captures: each call gets
    // its own scratch directory, or one test reads a records file another is rewriting.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    records(&[pcap], &format!("tls-{}-{n}", name_of(pcap))).into_iter().filter(|r| r["event_type"] == "tls").collect()
}

fn of_type<'a>(recs: &'a [Value], t: &str) -> Vec<&'a Value> {
    recs.iter().filter(|r| r["tls"]["type"] == t).collect()
}

/// A tshark list (`0x1302,4865,...`) as numbers.
fn nums(s: &str) -> Vec<u64> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| match x.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).expect("hex"),
            None => x.parse().expect("number"),
        })
        .collect()
}

fn ours_nums(v: &Value) -> Vec<u64> {
    v.as_array().map(|a| a.iter().map(|x| x.as_u64().expect("number")).collect()).unwrap_or_default()
}

fn sha256_hex(s: &str) -> String {
    let mut c = Command::new("sha256sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("sha256sum");
    c.stdin.take().expect("stdin").write_all(s.as_bytes()).expect("write");
    let o = c.wait_with_output().expect("sha256sum");
    String::from_utf8_lossy(&o.stdout)[..64].to_string()
}

fn grease(v: u64) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// JA4 from tshark's fields, following FoxIO's JA4 technical details step by step.
fn ja4_from_tshark(legacy: u64, ciphers: &[u64], exts: &[u64], versions: &[u64], alpn: &str, sigalgs: &[u64]) -> String {
    let v = versions.iter().copied().filter(|v| !grease(*v)).max().unwrap_or(legacy);
    let ver = match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        _ => "00",
    };
    let c: Vec<u64> = ciphers.iter().copied().filter(|x| !grease(*x)).collect();
    let e: Vec<u64> = exts.iter().copied().filter(|x| !grease(*x)).collect();
    let first_alpn = alpn.split(',').next().unwrap_or("");
    let a = match (first_alpn.chars().next(), first_alpn.chars().last()) {
        (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => format!("{f}{l}"),
        (Some(_), Some(_)) => panic!("non-alphanumeric ALPN in a test capture: extend this recomputation"),
        _ => "00".into(),
    };
    let mut sc = c.clone();
    sc.sort_unstable();
    let mut se: Vec<u64> = e.iter().copied().filter(|x| *x != 0 && *x != 16).collect();
    se.sort_unstable();
    let hex = |v: &[u64]| v.iter().map(|x| format!("{x:04x}")).collect::<Vec<_>>().join(",");
    let b = if sc.is_empty() { "000000000000".to_string() } else { sha256_hex(&hex(&sc))[..12].to_string() };
    let sig: Vec<u64> = sigalgs.iter().copied().filter(|x| !grease(*x)).collect();
    let cc = if se.is_empty() {
        "000000000000".to_string()
    } else {
        let mut s = hex(&se);
        if !sig.is_empty() {
            s = format!("{s}_{}", hex(&sig));
        }
        sha256_hex(&s)[..12].to_string()
    };
    format!("t{ver}{}{:02}{:02}{a}_{b}_{cc}", if e.contains(&0) { 'd' } else { 'i' }, c.len().min(99), e.len().min(99))
}

const CH_FIELDS: [&str; 16] = [
    "frame.number",
    "tls.handshake.version",
    "tls.handshake.ciphersuite",
    "tls.handshake.cipherspec",
    "tls.handshake.extension.type",
    "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str",
    "tls.handshake.extensions_supported_group",
    "tls.handshake.extensions_ec_point_format",
    "tls.handshake.sig_hash_alg",
    "tls.handshake.extensions.supported_version",
    "tls.handshake.comp_method",
    "tls.handshake.ja3_full",
    "tls.handshake.ja3",
    "tls.handshake.session_id_length",
    "tls.handshake.extensions_key_share_group",
];

/// Every ClientHello (TLS and SSLv2) of every capture, field by field against tshark; JA3 and
/// its MD5 as tshark computes them; JA4 recomputed from tshark's fields.
#[test]
fn client_hellos_match_tshark_field_by_field() {
    let mut compared = 0;
    let mut hellos = 0;
    for pcap in all_pcaps() {
        let recs = tls_records(&pcap);
        let ours = of_type(&recs, "client_hello");
        let rows = tshark_fields(&pcap, "tls.handshake.type == 1", &CH_FIELDS);
        let n = name_of(&pcap);
        assert_eq!(ours.len(), rows.len(), "{n}: one client_hello per tshark ClientHello");
        for (r, t) in ours.iter().zip(&rows) {
            let c = &r["tls"];
            let f = |k: &str| t[CH_FIELDS.iter().position(|x| *x == k).expect("field")].as_str();
            assert_eq!(r["pcap_cnt"].to_string(), f("frame.number"), "{n}: frame");
            assert_eq!(c["legacy_version"].as_u64(), nums(f("tls.handshake.version")).first().copied(), "{n}");
            if c["format"] == "sslv2" {
                assert_eq!(ours_nums(&c["sslv2_cipher_kinds"]), nums(f("tls.handshake.cipherspec")), "{n}: SSLv2 cipher specs");
                compared += 2;
                hellos += 1;
                continue;
            }
            assert_eq!(ours_nums(&c["cipher_suites"]), nums(f("tls.handshake.ciphersuite")), "{n}: cipher suites");
            assert_eq!(ours_nums(&c["extensions"]), nums(f("tls.handshake.extension.type")), "{n}: extensions");
            assert_eq!(c["sni"].as_str().unwrap_or(""), f("tls.handshake.extensions_server_name"), "{n}: SNI");
            let alpn: Vec<&str> = c["alpn"].as_array().map(|a| a.iter().map(|x| x.as_str().expect("s")).collect()).unwrap_or_default();
            assert_eq!(alpn.join(","), f("tls.handshake.extensions_alpn_str"), "{n}: ALPN");
            assert_eq!(ours_nums(&c["supported_groups"]), nums(f("tls.handshake.extensions_supported_group")), "{n}: groups");
            assert_eq!(ours_nums(&c["ec_point_formats"]), nums(f("tls.handshake.extensions_ec_point_format")), "{n}: point formats");
            assert_eq!(ours_nums(&c["signature_algorithms"]), nums(f("tls.handshake.sig_hash_alg")), "{n}: signature algorithms");
            assert_eq!(ours_nums(&c["supported_versions"]), nums(f("tls.handshake.extensions.supported_version")), "{n}: supported_versions");
            assert_eq!(ours_nums(&c["compression_methods"]), nums(f("tls.handshake.comp_method")), "{n}: compression");
            assert_eq!(ours_nums(&c["key_share_groups"]), nums(f("tls.handshake.extensions_key_share_group")), "{n}: key shares");
            assert_eq!(c["session_id_len"].as_u64(), nums(f("tls.handshake.session_id_length")).first().copied(), "{n}");
            assert_eq!(c["ja3"], f("tls.handshake.ja3_full"), "{n}: JA3 string");
            assert_eq!(c["ja3_hash"], f("tls.handshake.ja3"), "{n}: JA3 hash");
            let ja4 = ja4_from_tshark(
                nums(f("tls.handshake.version"))[0],
                &nums(f("tls.handshake.ciphersuite")),
                &nums(f("tls.handshake.extension.type")),
                &nums(f("tls.handshake.extensions.supported_version")),
                f("tls.handshake.extensions_alpn_str"),
                &nums(f("tls.handshake.sig_hash_alg")),
            );
            assert_eq!(c["ja4"], ja4.as_str(), "{n}: JA4 from tshark's fields");
            compared += 15;
            hellos += 1;
        }
    }
    assert!(hellos >= 17, "only {hellos} ClientHellos");
    assert!(compared >= 250, "only {compared} comparisons");
}

const SH_FIELDS: [&str; 14] = [
    "frame.number",
    "tls.handshake.type",
    "tls.handshake.version",
    "tls.handshake.extensions.supported_version",
    "tls.handshake.ciphersuite",
    "tls.handshake.extension.type",
    "tls.handshake.extensions_alpn_str",
    "tls.handshake.comp_method",
    "tls.handshake.ja3s_full",
    "tls.handshake.ja3s",
    "tls.handshake.extensions_key_share_selected_group",
    "tls.handshake.server_named_curve",
    "tls.handshake.p_len",
    "tls.handshake.sig_hash_alg",
];

/// Every ServerHello and HelloRetryRequest, and every ServerKeyExchange, against tshark.
#[test]
fn server_hellos_and_key_exchanges_match_tshark() {
    let mut hellos = 0;
    let mut skes = 0;
    for pcap in all_pcaps() {
        let recs = tls_records(&pcap);
        let n = name_of(&pcap);
        let ours: Vec<&Value> = recs.iter().filter(|r| r["tls"]["type"] == "server_hello" || r["tls"]["type"] == "hello_retry_request").collect();
        let rows = tshark_fields(&pcap, "tls.handshake.type == 2", &SH_FIELDS);
        assert_eq!(ours.len(), rows.len(), "{n}: one record per ServerHello");
        for (r, t) in ours.iter().zip(&rows) {
            let s = &r["tls"];
            let f = |k: &str| t[SH_FIELDS.iter().position(|x| *x == k).expect("field")].as_str();
            assert_eq!(r["pcap_cnt"].to_string(), f("frame.number"), "{n}");
            let legacy = nums(f("tls.handshake.version"))[0];
            assert_eq!(s["legacy_version"].as_u64(), Some(legacy), "{n}");
            let negotiated = nums(f("tls.handshake.extensions.supported_version")).first().copied().unwrap_or(legacy);
            assert_eq!(s["version"].as_u64(), Some(negotiated), "{n}: negotiated version");
            assert_eq!(s["cipher_suite"].as_u64(), nums(f("tls.handshake.ciphersuite")).first().copied(), "{n}");
            assert_eq!(ours_nums(&s["extensions"]), nums(f("tls.handshake.extension.type")), "{n}: extensions");
            assert_eq!(s["alpn"].as_str().unwrap_or(""), f("tls.handshake.extensions_alpn_str"), "{n}: ALPN");
            assert_eq!(s["compression_method"].as_u64(), nums(f("tls.handshake.comp_method")).first().copied(), "{n}");
            assert_eq!(s["ja3s"], f("tls.handshake.ja3s_full"), "{n}: JA3S");
            assert_eq!(s["ja3s_hash"], f("tls.handshake.ja3s"), "{n}: JA3S hash");
            if r["tls"]["type"] == "hello_retry_request" {
                assert_eq!(s["key_share_group"].as_u64(), nums(f("tls.handshake.extensions_key_share_selected_group")).first().copied(), "{n}");
            }
            hellos += 1;
            let types = nums(f("tls.handshake.type"));
            let ske: Vec<&Value> = recs.iter().filter(|x| x["tls"]["type"] == "server_key_exchange" && x["pcap_cnt"] == r["pcap_cnt"]).collect();
            assert_eq!(ske.len(), usize::from(types.contains(&12)), "{n}: one server_key_exchange per tshark ServerKeyExchange");
            if let Some(k) = ske.first() {
                let k = &k["tls"];
                if let Some(curve) = nums(f("tls.handshake.server_named_curve")).first() {
                    assert_eq!(k["named_group"].as_u64(), Some(*curve), "{n}: curve");
                }
                if let Some(p_len) = nums(f("tls.handshake.p_len")).first() {
                    let bits = k["dh_group_bits"].as_u64().expect("dh bits");
                    assert!(bits <= p_len * 8 && bits > (p_len - 1) * 8, "{n}: DH prime of {p_len} bytes is {bits} bits");
                }
                let sig = nums(f("tls.handshake.sig_hash_alg")).first().copied();
                // Before TLS 1.2 and in anonymous suites there is no signature scheme.
                if negotiated == 0x0303 && !s["cipher_suite_name"].as_str().is_some_and(|c| c.contains("anon")) {
                    assert_eq!(k["signature_algorithm"].as_u64(), sig, "{n}: SKE signature scheme");
                }
                skes += 1;
            }
        }
    }
    assert!(hellos >= 16, "only {hellos} ServerHellos");
    assert!(skes >= 10, "only {skes} ServerKeyExchanges");
}

/// One certificate as OpenSSL reads it.
#[derive(Debug, Default)]
struct Ossl {
    fields: BTreeMap<String, String>,
    text: String,
}

fn openssl_x509(der: &[u8], dir: &Path, extra: &[&str]) -> String {
    let f = dir.join("cert.der");
    std::fs::write(&f, der).expect("write der");
    let mut args = vec!["x509", "-inform", "DER", "-noout", "-nameopt", "oneline,-space_eq", "-dateopt", "iso_8601"];
    args.extend_from_slice(extra);
    let o = Command::new("openssl").args(&args).arg("-in").arg(&f).output().expect("openssl runs");
    assert!(o.status.success(), "openssl: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn openssl_read(der: &[u8], dir: &Path) -> Ossl {
    let mut o = Ossl::default();
    let a = openssl_x509(der, dir, &["-subject", "-issuer", "-serial", "-startdate", "-enddate", "-fingerprint", "-sha256"]);
    let b = openssl_x509(der, dir, &["-fingerprint", "-sha1"]);
    for line in a.lines().chain(b.lines()) {
        if let Some((k, v)) = line.split_once('=') {
            o.fields.insert(k.to_string(), v.to_string());
        }
    }
    o.text = openssl_x509(der, dir, &["-text"]);
    o
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
    (0..s.len() / 2).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex")).collect()
}

fn colonless_upper(s: &str) -> String {
    s.replace(':', "").to_uppercase()
}

/// Every certificate tshark extracts, read by OpenSSL: subject and issuer in OpenSSL's
/// `-nameopt oneline,-space_eq` form, serial, validity, SHA-1 and SHA-256 fingerprints, key
/// type and size, curve, signature algorithm, subjectAltName; client certificates withheld.
#[test]
fn certificates_match_openssl_on_the_bytes_tshark_extracts() {
    let dir = scratch("tls-certs");
    let mut certs = 0;
    let mut client_certs = 0;
    for pcap in all_pcaps() {
        let n = name_of(&pcap);
        let recs = tls_records(&pcap);
        let rows = tshark_fields(&pcap, "tls.handshake.certificate", &["frame.number", "tls.handshake.certificate", "tcp.dstport"]);
        let ours = of_type(&recs, "certificate");
        assert_eq!(ours.len(), rows.len(), "{n}: one certificate record per Certificate message");
        for (r, t) in ours.iter().zip(&rows) {
            assert_eq!(r["pcap_cnt"].to_string(), t[0], "{n}");
            let ders: Vec<Vec<u8>> = t[1].split(',').map(unhex).collect();
            let chain = r["tls"]["certificates"].as_array().expect("certificates");
            assert_eq!(chain.len(), ders.len(), "{n}: chain length");
            assert_eq!(r["tls"]["chain_length"].as_u64(), Some(ders.len() as u64));
            for (c, der) in chain.iter().zip(&ders) {
                let o = openssl_read(der, &dir);
                let to_client = r["direction"] == "to_client";
                if to_client {
                    assert_eq!(c["subject"].as_str(), o.fields.get("subject").map(String::as_str), "{n}: subject");
                } else {
                    // A client certificate: the subject (here a person's name) is withheld.
                    assert!(c.get("subject").is_none() && c.get("subject_cn").is_none() && c["subject_withheld"] == true, "{n}");
                    assert!(o.fields["subject"].contains("Jane Example"), "the capture does name a person");
                    client_certs += 1;
                }
                assert_eq!(c["issuer"].as_str(), o.fields.get("issuer").map(String::as_str), "{n}: issuer");
                let serial = colonless_upper(c["serial"].as_str().expect("serial"));
                // OpenSSL drops leading zero octets (and nibbles) that Suricata's form keeps.
                assert_eq!(serial.trim_start_matches('0'), o.fields["serial"].trim_start_matches('0'), "{n}: serial");
                assert_eq!(c["not_before"].as_str().map(|s| s.replace('T', " ")), o.fields.get("notBefore").cloned(), "{n}");
                assert_eq!(c["not_after"].as_str().map(|s| s.replace('T', " ")), o.fields.get("notAfter").cloned(), "{n}");
                assert_eq!(colonless_upper(c["sha256_fingerprint"].as_str().expect("fp")), colonless_upper(&o.fields["sha256 Fingerprint"]), "{n}");
                assert_eq!(colonless_upper(c["sha1_fingerprint"].as_str().expect("fp")), colonless_upper(&o.fields["sha1 Fingerprint"]), "{n}");
                let line = |prefix: &str| o.text.lines().map(str::trim).find_map(|l| l.strip_prefix(prefix)).map(str::to_string);
                let key = line("Public Key Algorithm: ").expect("key algorithm");
                let kt = match key.as_str() {
                    "rsaEncryption" => "RSA",
                    "id-ecPublicKey" => "EC",
                    "ED25519" => "Ed25519",
                    "dsaEncryption" => "DSA",
                    other => panic!("{n}: extend the key type map for {other}"),
                };
                assert_eq!(c["key_type"], kt, "{n}");
                if let Some(bits) = line("Public-Key: (").and_then(|s| s.split(' ').next().map(str::to_string)) {
                    assert_eq!(c["key_bits"].to_string(), bits, "{n}: key bits");
                }
                if let Some(curve) = line("ASN1 OID: ") {
                    assert_eq!(c["curve"], curve.as_str(), "{n}");
                }
                assert_eq!(c["signature_algorithm"].as_str(), line("Signature Algorithm: ").as_deref(), "{n}");
                let self_issued = o.fields["subject"] == o.fields["issuer"];
                assert_eq!(c["self_signed"], self_issued, "{n}: self_signed is issuer == subject");
                let mut lines = o.text.lines().map(str::trim);
                if to_client && lines.any(|l| l.starts_with("X509v3 Subject Alternative Name")) {
                    let san = lines.next().expect("SAN line");
                    if san.starts_with("DNS:") || san.starts_with("IP Address:") {
                        let dns: Vec<&str> = san.split(", ").filter_map(|x| x.strip_prefix("DNS:")).collect();
                        let ips: Vec<&str> = san.split(", ").filter_map(|x| x.strip_prefix("IP Address:")).collect();
                        let ours_dns: Vec<&str> = c["san_dns"].as_array().map(|a| a.iter().map(|x| x.as_str().expect("s")).collect()).unwrap_or_default();
                        let ours_ip: Vec<&str> = c["san_ip"].as_array().map(|a| a.iter().map(|x| x.as_str().expect("s")).collect()).unwrap_or_default();
                        assert_eq!(ours_dns, dns, "{n}: SAN DNS");
                        assert_eq!(ours_ip, ips, "{n}: SAN IP");
                    }
                }
                certs += 1;
            }
        }
    }
    assert!(certs >= 14, "only {certs} certificates compared");
    assert_eq!(client_certs, 1);
}

/// Suricata's version names for ours.
fn suricata_version(ours: &str) -> String {
    match ours {
        "TLS 1.0" => "TLSv1".into(),
        "SSL 3.0" => "SSLv3".into(),
        "SSL 2.0" => "SSLv2".into(),
        other => other.into(),
    }
}

/// One flow's records merged into Suricata's `tls` event shape.
fn suricata_view(recs: &[Value]) -> Vec<BTreeMap<String, Value>> {
    let mut flows: BTreeMap<(String, String), BTreeMap<String, Value>> = BTreeMap::new();
    for r in recs {
        let a = format!("{}:{}", r["src_ip"], r["src_port"]);
        let b = format!("{}:{}", r["dest_ip"], r["dest_port"]);
        let key = if a < b { (a, b) } else { (b, a) };
        let e = flows.entry(key).or_default();
        let t = &r["tls"];
        match t["type"].as_str().expect("type") {
            "client_hello" => {
                if let Some(s) = t.get("sni") {
                    e.insert("tls.sni".into(), s.clone());
                }
                e.insert("tls.ja3.string".into(), t["ja3"].clone());
                e.insert("tls.ja3.hash".into(), t["ja3_hash"].clone());
                e.insert("tls.ja4".into(), t["ja4"].clone());
                for k in ["src_ip", "src_port", "dest_ip", "dest_port", "proto"] {
                    e.insert(k.into(), r[k].clone());
                }
            }
            "server_hello" => {
                e.insert("tls.version".into(), Value::String(suricata_version(t["version_name"].as_str().expect("v"))));
                if !e.contains_key("src_ip") {
                    // No ClientHello seen: orient the flow from the server's side.
                    for (k, from) in [("src_ip", "dest_ip"), ("src_port", "dest_port"), ("dest_ip", "src_ip"), ("dest_port", "src_port"), ("proto", "proto")] {
                        e.insert(k.into(), r[from].clone());
                    }
                }
            }
            "certificate" if r["direction"] == "to_client" => {
                let c = &t["certificates"][0];
                e.insert("tls.subject".into(), c["subject"].clone());
                e.insert("tls.issuerdn".into(), c["issuer"].clone());
                e.insert("tls.serial".into(), c["serial"].clone());
                e.insert("tls.fingerprint".into(), c["sha1_fingerprint"].clone());
                let strip = |v: &Value| Value::String(v.as_str().expect("date").trim_end_matches('Z').to_string());
                e.insert("tls.notbefore".into(), strip(&c["not_before"]));
                e.insert("tls.notafter".into(), strip(&c["not_after"]));
            }
            _ => {}
        }
    }
    flows.into_values().collect()
}

/// Every `event_type: tls` check of suricata-verify's ja4-tls, tls-altname-zero and
/// tls13-draft28 (JA4, JA3 strings and hashes, SNI, version, subject, issuer, serial, SHA-1
/// fingerprint, validity, flow addresses) matches the same number of Ward's flows; and
/// tls-cert-noissuer's rule (a server certificate subject containing "localhost") holds.
#[test]
fn suricata_expected_tls_values_match() {
    let mut compared = 0;
    for (case, pcap) in [
        ("ja4-tls", "input.pcap"),
        ("tls/tls-altname-zero", "input.pcap"),
        ("tls/tls13-draft28", "tls13_draft28.pcap"),
    ] {
        let dir = shared(&format!("peers/suricata-verify/{case}"));
        let recs = tls_records(&dir.join(pcap));
        let flows = suricata_view(&recs);
        let spec = yaml(&dir.join("test.yaml"));
        for check in spec["checks"].as_array().expect("checks") {
            let m = check["filter"]["match"].as_object().expect("match");
            if m.get("event_type").and_then(Value::as_str) != Some("tls") {
                continue;
            }
            // pcap_cnt is the packet Suricata logged at, not a property of the session.
            let conds: Vec<(&String, &Value)> = m.iter().filter(|(k, _)| *k != "event_type" && *k != "pcap_cnt").collect();
            let want = check["filter"]["count"].as_u64().unwrap_or(1) as usize;
            let got = flows.iter().filter(|f| conds.iter().all(|(k, v)| f.get(*k) == Some(v))).count();
            assert_eq!(got, want, "{case}: Suricata expects {want} tls event(s) matching {m:?}; ours: {flows:#?}");
            compared += conds.len() * want;
        }
    }
    assert!(compared >= 25, "only {compared} values compared");
    // tls-cert-noissuer: `tls.cert_subject; content:"localhost"` toward the client fires once.
    let recs = tls_records(&shared("peers/suricata-verify/tls/tls-cert-noissuer/tls.pcap"));
    let hits = of_type(&recs, "certificate")
        .iter()
        .filter(|r| r["direction"] == "to_client" && r["tls"]["certificates"][0]["subject"].as_str().is_some_and(|s| s.contains("localhost")))
        .count();
    assert_eq!(hits, 1);
    let c = &of_type(&recs, "certificate")[0]["tls"]["certificates"][0];
    assert_eq!((c["issuer"].as_str(), c["self_signed"].as_bool()), (Some(""), Some(false)), "no issuer, parsed anyway");
    // tls-altname-zero: the SAN with an injected NUL is kept, the NUL escaped; tshark's string
    // stops at the NUL.
    let recs = tls_records(&shared("peers/suricata-verify/tls/tls-altname-zero/input.pcap"));
    let sans: Vec<&str> = of_type(&recs, "certificate")[0]["tls"]["certificates"][0]["san_dns"].as_array().expect("san").iter().map(|v| v.as_str().expect("s")).collect();
    let t = tshark_fields(&shared("peers/suricata-verify/tls/tls-altname-zero/input.pcap"), "tls.handshake.certificate", &["x509ce.dNSName"]);
    let cut: Vec<&str> = sans.iter().map(|s| s.split("\\00").next().expect("s")).collect();
    assert_eq!(cut.join(","), t[0][0]);
    assert!(sans.contains(&"server15.xn--j1ahhq.xn\\00-p1ai"), "{sans:?}");
}

/// Per direction, the summary's record counts, application-data record counts and bytes equal
/// what tshark's record layer shows (TLS 1.3's encrypted handshake records carry the
/// application_data outer type and are counted as such by both).
#[test]
fn record_counts_match_tshark_and_application_data_is_only_counted() {
    let mut flows = 0;
    for pcap in all_pcaps() {
        let n = name_of(&pcap);
        let recs = tls_records(&pcap);
        let sums = of_type(&recs, "summary");
        let o = Command::new("tshark")
            .arg("-r")
            .arg(&pcap)
            .args(["-n", "-Y", "tls", "-T", "json", "--no-duplicate-keys", "-J", "tcp tls"])
            .output()
            .expect("tshark");
        let frames: Value = serde_json::from_slice(&o.stdout).expect("tshark json");
        // Client port (from our ClientHello records) -> per direction [records, app-data records, app-data bytes].
        let client_ports: Vec<u64> = of_type(&recs, "client_hello").iter().map(|r| r["src_port"].as_u64().expect("port")).collect();
        let mut counts: BTreeMap<u64, [[u64; 3]; 2]> = BTreeMap::new();
        for f in frames.as_array().expect("frames") {
            let l = &f["_source"]["layers"];
            let port = |k: &str| -> u64 { l["tcp"][k].as_str().expect("port").parse().expect("n") };
            let (sp, dp) = (port("tcp.srcport"), port("tcp.dstport"));
            let (cp, d) = if client_ports.contains(&sp) { (sp, 0) } else if client_ports.contains(&dp) { (dp, 1) } else { panic!("{n}: a TLS flow without ClientHello") };
            let mut found = Vec::new();
            collect_records(&l["tls"], &mut found);
            let e = counts.entry(cp).or_default();
            for (ty, len) in found {
                e[d][0] += 1;
                if ty == 23 {
                    e[d][1] += 1;
                    e[d][2] += len;
                }
            }
        }
        assert_eq!(sums.len(), counts.len(), "{n}: one summary per TLS flow");
        for s in &sums {
            let ports = [s["src_port"].as_u64().expect("p"), s["dest_port"].as_u64().expect("p")];
            let cp = *ports.iter().find(|p| client_ports.contains(p)).expect("client port");
            let c = counts[&cp];
            let t = &s["tls"];
            for (d, side) in [(0, "client"), (1, "server")] {
                let ours = [&t[side]["records"], &t[side]["application_data_records"], &t[side]["application_data_bytes"]].map(|v| v.as_u64().expect("n"));
                assert_eq!(ours, c[d], "{n}: {side} side of the flow from port {cp}: [records, app-data records, app-data bytes]");
            }
            flows += 1;
        }
    }
    assert!(flows >= 17, "only {flows} flows");
}

fn collect_records(v: &Value, out: &mut Vec<(u64, u64)>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_records(x, out)),
        Value::Object(m) => {
            if let Some(len) = m.get("tls.record.length").and_then(Value::as_str) {
                let ty = m.get("tls.record.content_type").or_else(|| m.get("tls.record.opaque_type")).and_then(Value::as_str).unwrap_or("0");
                out.push((ty.parse().expect("type"), len.parse().expect("len")));
                return;
            }
            m.values().for_each(|x| collect_records(x, out));
        }
        _ => {}
    }
}

/// The cleartext alert of a failed handshake, against tshark.
#[test]
fn cleartext_alerts_match_tshark() {
    let pcap = root().join("tests/pcap/tls/tls12-handshake-failure.pcap");
    let recs = tls_records(&pcap);
    let ours = of_type(&recs, "alert");
    let t = tshark_fields(&pcap, "tls.alert_message", &["frame.number", "tls.alert_message.level", "tls.alert_message.desc"]);
    assert_eq!(ours.len(), t.len());
    for (r, t) in ours.iter().zip(&t) {
        assert_eq!(r["pcap_cnt"].to_string(), t[0]);
        assert_eq!(r["tls"]["level"].to_string(), t[1]);
        assert_eq!(r["tls"]["description"].to_string(), t[2]);
    }
    assert_eq!(ours[0]["tls"]["description_name"], "handshake_failure");
}

/// The facts the sensor's findings need are in the records of the captures made for them:
/// deprecated versions, weak suites, a self-signed expired RSA-1024/SHA-1 certificate, a
/// 1024-bit DH group; each checked against what the capture was made with (HOWTO.md).
#[test]
fn finding_facts_are_reported_for_the_weak_captures() {
    let dir = root().join("tests/pcap/tls");
    let sh = |f: &str| {
        let r = tls_records(&dir.join(f));
        of_type(&r, "server_hello")[0]["tls"].clone()
    };
    assert_eq!(sh("tls10-ecdsa.pcap")["version_name"], "TLS 1.0");
    assert_eq!(sh("tls11-dhe1024.pcap")["version_name"], "TLS 1.1");
    assert_eq!(sh("tls13.pcap")["version_name"], "TLS 1.3");
    assert_eq!(sh("tls12-null-curl-basic-auth.pcap")["cipher_suite_weaknesses"], serde_json::json!(["NULL"]));
    assert_eq!(sh("tls12-anon-dh.pcap")["cipher_suite_weaknesses"], serde_json::json!(["anonymous"]));
    assert_eq!(sh("tls12-ecdhe-rsa.pcap")["cipher_suite_weaknesses"], serde_json::json!([]));
    let recs = tls_records(&dir.join("tls12-selfsigned-expired-rsa1024-sha1.pcap"));
    let cert = of_type(&recs, "certificate")[0];
    let c = &cert["tls"]["certificates"][0];
    assert_eq!((c["self_signed"].as_bool(), c["key_type"].as_str(), c["key_bits"].as_u64()), (Some(true), Some("RSA"), Some(1024)));
    assert_eq!((c["signature_algorithm"].as_str(), c["signature_hash"].as_str()), (Some("sha1WithRSAEncryption"), Some("sha1")));
    assert_eq!((c["not_before"].as_str(), c["not_after"].as_str()), (Some("2019-03-01T12:00:00Z"), Some("2019-03-31T12:00:00Z")));
    assert_eq!(c["not_after_unix"].as_i64(), Some(1_554_033_600));
    assert!(cert["timestamp"].as_str().is_some_and(|t| t > "2019-04"), "expired relative to the packet time");
    let recs = tls_records(&dir.join("tls11-dhe1024.pcap"));
    assert_eq!(of_type(&recs, "server_key_exchange")[0]["tls"]["dh_group_bits"], 1024);
}

/// Nothing carried inside TLS leaks: under a NULL cipher the HTTP request with its Basic
/// credentials and a patient MRN header crosses the wire in cleartext (asserted), yet none of
/// it appears in records, the JSON report or the HTML report; a person named in a client
/// certificate does not appear either.
#[test]
fn nothing_inside_tls_and_no_client_identity_leaks() {
    let dir = root().join("tests/pcap/tls");
    let basic = "bnVyc2Uuc3RhdGlvbjpXaDF0ZS1SYWJiaXQtU2VjcmV0"; // base64("nurse.station:Wh1te-Rabbit-Secret")
    let cases: [(&str, &[&str]); 2] = [
        ("tls12-null-curl-basic-auth.pcap", &[basic, "MRN-00424242", "nurse.station", "Wh1te-Rabbit-Secret", "X-Patient-MRN", "Authorization"]),
        ("tls12-client-cert.pcap", &["Jane Example", "Jane"]),
    ];
    for (f, secrets) in cases {
        let pcap = dir.join(f);
        let raw = std::fs::read(&pcap).expect("pcap");
        let on_wire = |s: &str| raw.windows(s.len()).any(|w| w == s.as_bytes());
        assert!(on_wire(secrets[0]) && on_wire(secrets[1]), "{f}: the capture carries {:?} in cleartext", &secrets[..2]);
        let recs = records(&[&pcap], &format!("leak-{f}"));
        assert!(recs.iter().any(|r| r["event_type"] == "tls"), "{f}: TLS was dissected");
        let text = serde_json::to_string(&recs).expect("json");
        let json = serde_json::to_string(&analyze(&[&pcap])).expect("json");
        let (code, html, err) = ward(&["analyze", "--format", "html", &pcap.display().to_string()]);
        assert_eq!(code, 0, "{err}");
        let html = String::from_utf8_lossy(&html);
        for s in secrets {
            for (what, out) in [("records", &text), ("json report", &json), ("html report", &html.to_string())] {
                assert!(!out.contains(s), "{f}: {what} repeat {s:?}");
            }
        }
    }
}

/// Every name in Ward's cipher suite table agrees with tshark's (`tshark -G values`), checked
/// through the records: each suite a ClientHello of the captures offered is named as tshark
/// names it.
#[test]
fn cipher_suite_names_in_records_match_tshark() {
    let o = Command::new("tshark").args(["-G", "values"]).output().expect("tshark");
    let text = String::from_utf8_lossy(&o.stdout);
    let names: BTreeMap<u64, String> = text
        .lines()
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c.len() == 4 && c[1] == "tls.handshake.ciphersuite").then(|| (c[2].parse().expect("id"), c[3].to_string()))
        })
        .collect();
    let mut checked = 0;
    for pcap in all_pcaps() {
        for r in tls_records(&pcap) {
            let t = &r["tls"];
            let ids = ours_nums(&t["cipher_suites"]);
            let labels = t["cipher_suite_names"].as_array().cloned().unwrap_or_default();
            for (id, label) in ids.iter().zip(&labels) {
                let label = label.as_str().expect("label");
                if label.starts_with("0x") || label == "GREASE" {
                    continue;
                }
                assert_eq!(Some(label), names.get(id).map(String::as_str), "suite 0x{id:04x}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 200, "only {checked}");
}
