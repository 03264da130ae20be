//! DHCP unit tests: annotated bytes, a real message, overload, damage, limits, arbitrary input.
//! Peer agreement on whole captures (Suricata, Zeek, tshark) is in crates/ward/tests/peers_dhcp.rs.

use super::*;
use crate::harness;
use crate::{DissectEventKind, Limits, Record};
use std::net::Ipv4Addr;
use ward_model::{Direction, Transport};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

/// A BOOTP header (RFC 2131 §2, figure 1) followed by the magic cookie and `options`.
fn message(op: u8, xid: u32, yiaddr: [u8; 4], options: &[u8]) -> Vec<u8> {
    let mut m = vec![
        op, // op: 1 BOOTREQUEST, 2 BOOTREPLY
        1,  // htype: Ethernet
        6,  // hlen: 6-byte hardware address
        0,  // hops
    ];
    m.extend_from_slice(&xid.to_be_bytes()); // xid
    m.extend_from_slice(&[0, 0, 0, 0]); // secs, flags
    m.extend_from_slice(&[0; 4]); // ciaddr
    m.extend_from_slice(&yiaddr); // yiaddr
    m.extend_from_slice(&[0; 8]); // siaddr, giaddr
    m.extend_from_slice(&[0x00, 0x09, 0xfb, 0x12, 0x34, 0x56]); // chaddr (Philips Patient Monitoring OUI)
    m.extend_from_slice(&[0; 10]); // chaddr padding to 16
    m.extend_from_slice(&[0; 64]); // sname
    m.extend_from_slice(&[0; 128]); // file
    m.extend_from_slice(&[99, 130, 83, 99]); // magic cookie (RFC 2131 §3)
    m.extend_from_slice(options);
    m
}

fn one(data: &[u8]) -> (Vec<DhcpRecord>, Vec<DissectEventKind>) {
    let out = harness::run(&INFO, Transport::Udp, &Limits::default(), &[(Direction::ToServer, data)]);
    let recs = out
        .records
        .into_iter()
        .map(|(_, r)| match r {
            Record::Dhcp(d) => d,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    (recs, out.events.into_iter().map(|e| e.kind).collect())
}

#[test]
fn discover_from_a_monitor_yields_its_fingerprint() {
    let opts = [
        53, 1, 1, // option 53: DHCPDISCOVER
        12, 6, b'm', b'o', b'n', b'-', b'0', b'7', // option 12: host name "mon-07"
        60, 8, b'I', b'n', b't', b'e', b'l', b'l', b'i', b'V', // option 60: vendor class "IntelliV"
        55, 4, 1, 3, 6, 15, // option 55: subnet mask, router, DNS, domain
        61, 7, 1, 0x00, 0x09, 0xfb, 0x12, 0x34, 0x56, // option 61: type 1 + MAC
        50, 4, 10, 77, 0, 23, // option 50: requested 10.77.0.23
        255, // end
    ];
    let (r, e) = one(&message(1, 0xdeadbeef, [0; 4], &opts));
    assert!(e.is_empty(), "{e:?}");
    let r = &r[0];
    assert_eq!(r.kind, "request");
    assert_eq!(r.id, 0xdeadbeef);
    assert_eq!(r.dhcp_type, Some("discover"));
    assert_eq!(r.client_mac.as_deref(), Some("00:09:fb:12:34:56"));
    assert_eq!(r.hostname.as_deref(), Some("mon-07"));
    assert_eq!(r.vendor_class_identifier.as_deref(), Some("IntelliV"));
    assert_eq!(r.parameter_request_list, vec![1, 3, 6, 15]);
    assert_eq!(r.params, vec!["subnet_mask", "router", "dns_server", "domain"]);
    assert_eq!(r.client_id.as_deref(), Some("00:09:fb:12:34:56"));
    assert_eq!(r.requested_ip, Some(Ipv4Addr::new(10, 77, 0, 23)));
    assert_eq!(r.options, vec![53, 12, 60, 55, 61, 50]);
}

#[test]
fn ack_carries_the_lease() {
    let opts = [
        53, 1, 5, // DHCPACK
        54, 4, 10, 77, 0, 1, // server identifier
        51, 4, 0, 0, 0x0e, 0x10, // lease 3600 s
        58, 4, 0, 0, 0x07, 0x08, // renewal 1800 s
        59, 4, 0, 0, 0x0c, 0x4e, // rebinding 3150 s
        1, 4, 255, 255, 255, 0, // subnet mask
        3, 4, 10, 77, 0, 1, // router
        6, 8, 10, 77, 0, 1, 10, 77, 0, 2, // two DNS servers
        15, 4, b't', b'e', b's', b't', // domain
        81, 8, 0x05, 0, 0, 3, b'm', b'o', b'n', 0, // FQDN, E bit set: wire-format "mon"
        255,
    ];
    let (r, _) = one(&message(2, 7, [10, 77, 0, 23], &opts));
    let r = &r[0];
    assert_eq!(r.kind, "reply");
    assert_eq!(r.dhcp_type, Some("ack"));
    assert_eq!(r.assigned_ip, Ipv4Addr::new(10, 77, 0, 23));
    assert_eq!(r.server_id, Some(Ipv4Addr::new(10, 77, 0, 1)));
    assert_eq!((r.lease_time, r.renewal_time, r.rebinding_time), (Some(3600), Some(1800), Some(3150)));
    assert_eq!(r.subnet_mask, Some(Ipv4Addr::new(255, 255, 255, 0)));
    assert_eq!(r.dns_servers, vec![Ipv4Addr::new(10, 77, 0, 1), Ipv4Addr::new(10, 77, 0, 2)]);
    assert_eq!(r.domain_name.as_deref(), Some("test"));
    assert_eq!(r.fqdn, Some(DhcpFqdn { flags: 5, name: "mon".into() }));
}

/// suricata-verify dhcp-eve-extended/input.pcap, frame 1 (MIT): a real DHCPREQUEST from a
/// Synology NAS. Suricata expects id 4016330564, hostname "nas1\0", client_id 00:11:32:17:49:f0,
/// params subnet_mask, router, domain, dns_server.
const SURICATA_REQUEST: &str = "01010600ef645744000000000a1001040000000000000000000000000011321749f0
    00000000000000000000" /* chaddr padding */;

fn suricata_request() -> Vec<u8> {
    let mut m = hex(SURICATA_REQUEST);
    m.resize(236, 0); // sname and file are all zeros in this frame
    m.extend_from_slice(&hex(
        "63825363 350103 0c056e61733100 3707011c02030f060c 3d07010011321749f0 ff",
    ));
    m.resize(300, 0); // trailing padding, as captured
    m
}

#[test]
fn real_request_agrees_with_suricata() {
    let (r, e) = one(&suricata_request());
    assert!(e.is_empty(), "{e:?}");
    let r = &r[0];
    assert_eq!(r.id, 4_016_330_564);
    assert_eq!(r.hostname.as_deref(), Some("nas1\u{0}"));
    assert_eq!(r.client_id.as_deref(), Some("00:11:32:17:49:f0"));
    assert_eq!(r.client_ip, Ipv4Addr::new(10, 16, 1, 4));
    // Option 55 asks for 1, 28, 2, 3, 15, 6, 12; Suricata names only the codes it knows.
    assert_eq!(r.parameter_request_list, vec![1, 28, 2, 3, 15, 6, 12]);
    assert_eq!(r.params, ["subnet_mask", "router", "domain", "dns_server"]);
}

#[test]
fn option_overload_reads_options_from_sname_and_file() {
    let mut m = message(2, 9, [10, 0, 0, 9], &[53, 1, 2, 52, 1, 3, 255]); // OFFER, overload both
    let file_at = 108;
    m[file_at..file_at + 6].copy_from_slice(&[3, 4, 10, 0, 0, 1, ]); // router in `file`
    m[file_at + 6] = 255;
    let sname_at = 44;
    m[sname_at..sname_at + 6].copy_from_slice(&[6, 4, 10, 0, 0, 2]); // DNS server in `sname`
    m[sname_at + 6] = 255;
    let (r, _) = one(&m);
    assert_eq!(r[0].routers, vec![Ipv4Addr::new(10, 0, 0, 1)]);
    assert_eq!(r[0].dns_servers, vec![Ipv4Addr::new(10, 0, 0, 2)]);
}

#[test]
fn damaged_messages_are_malformed_events_not_records() {
    let good = message(1, 1, [0; 4], &[53, 1, 1, 255]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good[..100].to_vec(), "dhcp.truncated_header"),
        ({ let mut m = good.clone(); m[236] = 0; m }, "dhcp.no_magic_cookie"),
        ({ let mut m = good.clone(); m[0] = 7; m }, "dhcp.bad_op"),
        (message(1, 1, [0; 4], &[12, 200, b'x']), "dhcp.option_truncated"),
    ];
    for (data, reason) in cases {
        let (r, e) = one(&data);
        assert!(r.is_empty(), "{reason}: no record");
        assert_eq!(e, vec![DissectEventKind::Malformed { reason }]);
    }
}

#[test]
fn pad_options_are_skipped_and_end_stops_parsing() {
    let (r, _) = one(&message(1, 1, [0; 4], &[0, 0, 53, 1, 3, 0, 255, 12, 3, b'b', b'a', b'd']));
    assert_eq!(r[0].dhcp_type, Some("request"));
    assert_eq!(r[0].hostname, None, "nothing after END is read");
}

#[test]
fn every_truncation_of_real_messages_is_safe() {
    let m = suricata_request();
    harness::assert_truncation_safe(&INFO, Transport::Udp, &Limits::default(), &[(Direction::ToServer, &m)]);
}

#[test]
fn option_count_limit_raises_its_event() {
    let mut limits = Limits::default();
    limits.dhcp.max_options = 3;
    let m = message(1, 1, [0; 4], &[53, 1, 1, 12, 1, b'a', 60, 1, b'b', 55, 1, 1, 255]);
    harness::assert_limit_raised(&INFO, Transport::Udp, &limits, &[(Direction::ToServer, &m)], "dhcp.max_options");
}

#[test]
fn text_limit_cuts_long_names() {
    let mut limits = Limits::default();
    limits.dhcp.max_text = 4;
    let m = message(1, 1, [0; 4], &[12, 10, b'a', b'b', b'c', b'd', b'e', b'f', b'g', b'h', b'i', b'j', 255]);
    let out = harness::run(&INFO, Transport::Udp, &limits, &[(Direction::ToServer, &m)]);
    let Some((_, Record::Dhcp(r))) = out.records.first() else { panic!("record") };
    assert_eq!(r.hostname.as_deref(), Some("abcd"));
}

#[test]
fn probe_knows_dhcp_by_its_cookie_on_any_port() {
    assert_eq!((INFO.probe)(Transport::Udp, Direction::ToServer, &suricata_request()), crate::Confidence::High);
    assert_eq!((INFO.probe)(Transport::Udp, Direction::ToServer, b"\x01\x00\x00\x00"), crate::Confidence::No);
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        fuzz(&data);
    }

    #[test]
    fn arbitrary_options_after_a_valid_header_never_panic(opts in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        fuzz(&message(1, 1, [0; 4], &opts));
    }
}
