//! Bad input: every problem is a per-file error with the path and reason, never a panic, never
//! fatal for the other files.

use std::io::Write;
use std::path::{Path, PathBuf};
use ward_intel::csaf::{self, MAX_BRANCH_DEPTH, MAX_FILE_BYTES};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ward-intel-bad-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

fn good_doc(id: &str) -> String {
    format!(
        r#"{{"document":{{"category":"csaf_security_advisory","csaf_version":"2.0","title":"t","tracking":{{"id":"{id}"}}}},
        "product_tree":{{"branches":[{{"category":"vendor","name":"V","branches":[{{"category":"product_name","name":"P","branches":[
        {{"category":"product_version_range","name":"<= 1.0","product":{{"name":"V P <= 1.0","product_id":"P1"}}}}]}}]}}]}},
        "vulnerabilities":[{{"cve":"CVE-2099-1","product_status":{{"known_affected":["P1"]}}}}]}}"#
    )
}

fn nested_branches(depth: usize) -> String {
    let mut s = String::new();
    for _ in 0..depth {
        s.push_str(r#"{"category":"product_family","name":"f","branches":["#);
    }
    for _ in 0..depth {
        s.push_str("]}");
    }
    format!(r#"{{"document":{{"category":"csaf_base","csaf_version":"2.0","title":"t","tracking":{{"id":"DEEP"}}}},"product_tree":{{"branches":[{s}]}}}}"#)
}

#[test]
fn a_directory_of_bad_documents_keeps_the_good_one() {
    let d = tmp("dir");
    let write = |n: &str, b: &[u8]| std::fs::write(d.join(n), b).expect("write");
    write("a-good.json", good_doc("GOOD-1").as_bytes());
    write("b-malformed.json", b"{\"document\": {\"csaf_version\": \"2.0\",");
    write("c-csaf-1.2.json", br#"{"document":{"category":"x","csaf_version":"1.2","title":"t","tracking":{"id":"OLD"}}}"#);
    write("d-no-id.json", br#"{"document":{"category":"x","csaf_version":"2.0","title":"t","tracking":{}}}"#);
    write("e-not-csaf.json", b"[1,2,3]");
    write("f-binary.json", &[0xff, 0xfe, 0x00, 0x01, 0x80]);
    // 10 000 nested branches: serde_json's recursion limit (128) refuses it before any stack risk.
    write("g-deep-json.json", nested_branches(10_000).as_bytes());
    // 100 000 nested arrays in a field Ward ignores: skipped without recursion, the document is kept.
    let deep = format!("{{\"x\":{}{}, {}", "[".repeat(100_000), "]".repeat(100_000), &good_doc("DEEP-IGNORED")[1..]);
    write("k-deep-ignored.json", deep.as_bytes());
    write("h-deep-tree.json", nested_branches(MAX_BRANCH_DEPTH + 5).as_bytes());
    write("i-ok-tree.json", nested_branches(MAX_BRANCH_DEPTH - 1).as_bytes());
    write("notes.txt", b"not json, not read");
    {
        // Larger than the cap: a sparse file, never read past the cap.
        let f = std::fs::File::create(d.join("j-huge.json")).expect("create");
        f.set_len(MAX_FILE_BYTES + 10).expect("set_len");
    }
    let (ok, errors) = csaf::load_path(&d);
    let ids: Vec<&str> = ok.iter().map(|a| a.tracking_id.as_str()).collect();
    assert_eq!(ids, vec!["GOOD-1", "DEEP", "DEEP-IGNORED"]);
    let reason = |n: &str| errors.iter().find(|e| e.path.file_name().is_some_and(|f| f == n)).map(|e| e.reason.clone()).unwrap_or_default();
    assert!(reason("b-malformed.json").contains("not a CSAF document") && reason("b-malformed.json").contains("EOF"), "{}", reason("b-malformed.json"));
    assert!(reason("c-csaf-1.2.json").contains("unsupported csaf_version \"1.2\""));
    assert!(reason("d-no-id.json").contains("tracking.id"), "{}", reason("d-no-id.json"));
    assert!(reason("e-not-csaf.json").contains("not a CSAF document"));
    assert!(reason("f-binary.json").contains("not a CSAF document"));
    assert!(reason("g-deep-json.json").contains("recursion limit"), "{}", reason("g-deep-json.json"));
    // serde_json's own limit (128) stops JSON nesting first: 37 branch levels are ~75 JSON levels,
    // so our branch cap is what refuses this one.
    assert!(reason("h-deep-tree.json").contains("deeper than 32 branches"), "{}", reason("h-deep-tree.json"));
    assert!(reason("j-huge.json").contains("limit"), "{}", reason("j-huge.json"));
    assert_eq!(errors.len(), 8, "{errors:?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_missing_path_is_an_error_not_a_panic() {
    let (ok, errors) = csaf::load_path(Path::new("/nonexistent/ward-intel/advisory.json"));
    assert!(ok.is_empty());
    assert!(errors[0].reason.contains("cannot open"));
}

#[test]
fn inventories_with_problems() {
    use ward_intel::inventory::parse;
    // Missing columns: named.
    let e = parse(b"asset,manufacturer\nA,B\n").expect_err("refused");
    assert!(e.contains("model, version"), "{e}");
    // UTF-16 with a byte order mark and tabs (a spreadsheet's "Unicode text" export): read.
    let text = "\u{feff}asset\tmanufacturer\tmodel\tversion\r\nA1\tDräger\tInfinity Delta\tVF10\r\n";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    for bytes in [le, be] {
        let inv = parse(&bytes).expect("UTF-16 read");
        assert_eq!(inv.devices[0].manufacturer.as_deref(), Some("Dräger"));
    }
    // UTF-16 without a byte order mark: read as Latin-1, the header is not found: refused.
    let utf16: Vec<u8> = "asset,manufacturer,model,version\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert!(parse(&utf16).is_err());
    // Ragged rows and rows without an asset are warnings; the rest is read.
    let inv = parse(b"asset,manufacturer,model,version\nA1,BD,Alaris,1\n,BD,Alaris,2\nA3,BD\nA4,\"unterminated,x,y\n").expect("read");
    assert_eq!(inv.devices.len(), 3);
    assert!(inv.warnings.iter().any(|w| w.contains("line 3: no asset")), "{:?}", inv.warnings);
    assert!(inv.warnings.iter().any(|w| w.contains("line 4: 2 fields")), "{:?}", inv.warnings);
    // Garbage.
    assert!(parse(b"").is_err());
    assert!(parse(b"\x00\x01\x02").is_err());
    assert!(parse(b"{\"assets\": 3}").is_err());
    // A very long field is clipped, not kept whole.
    let long = format!("asset,manufacturer,model,version\nA,{},m,1\n", "x".repeat(100_000));
    let inv = parse(long.as_bytes()).expect("read");
    assert!(inv.devices[0].manufacturer.as_ref().is_some_and(|m| m.len() <= ward_intel::inventory::MAX_FIELD));
}

#[test]
fn kev_epss_and_sbom_problems() {
    assert!(ward_intel::kev::Kev::parse(b"{\"vulnerabilities\": 5}").is_err());
    assert!(ward_intel::kev::Kev::parse(b"not json").is_err());
    assert!(ward_intel::epss::Epss::parse("").is_err());
    let e = ward_intel::sbom::parse(br#"{"bomFormat":"CycloneDX","specVersion":"1.2","components":[]}"#, Path::new("x.json"));
    assert!(e.is_err_and(|r| r.contains("1.2")));
    assert!(ward_intel::sbom::parse(br#"{"spdxVersion":"SPDX-2.1"}"#, Path::new("x.json")).is_err());
    assert!(ward_intel::sbom::parse(b"{}", Path::new("x.json")).is_err());
    // Deeply nested CycloneDX components stop at the depth cap.
    let mut s = String::new();
    for i in 0..60 {
        s.push_str(&format!(r#"{{"name":"c{i}","components":["#));
    }
    for _ in 0..60 {
        s.push_str("]}");
    }
    let doc = format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{s}]}}"#);
    let sb = ward_intel::sbom::parse(doc.as_bytes(), Path::new("x.json")).expect("reads");
    assert_eq!(sb.components.len(), ward_intel::sbom::MAX_DEPTH);
}

#[test]
fn ward_vulns_style_single_file_with_bom() {
    let d = tmp("single");
    let p = d.join("one.json");
    let mut f = std::fs::File::create(&p).expect("create");
    f.write_all(b"\xEF\xBB\xBF").expect("bom");
    f.write_all(good_doc("BOM-1").as_bytes()).expect("write");
    drop(f);
    let (ok, errors) = csaf::load_path(&p);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(ok[0].tracking_id, "BOM-1");
    let _ = std::fs::remove_dir_all(&d);
}
