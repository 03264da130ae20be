//! DHCP tests: annotated messages (RFC 2131 §2 figure 1, RFC 2132), damage, overload, limits,
//! real captures agreeing with Suricata, Zeek and tshark, the compliance harness, and
//! arbitrary input.
//!
//! Hex is written in groups separated by spaces; `zN` stands for N zero octets (the empty
//! `sname` and `file` fields would otherwise fill screens with zeros).

use super::parser::{self, FIXED_LEN};
use super::*;
use crate::harness::{self, Chunk};
use crate::{Confidence, DissectEventKind, Limits, Record};
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use ward_model::{Direction, Transport};

/// Octets from groups of hex digits and `zN` runs of zeros.
fn unhex(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for group in s.split_whitespace() {
        if let Some(n) = group.strip_prefix('z') {
            out.resize(out.len() + n.parse::<usize>().expect("zero run length"), 0);
            continue;
        }
        assert!(group.len() % 2 == 0, "odd hex group {group}");
        for i in (0..group.len()).step_by(2) {
            out.push(u8::from_str_radix(&group[i..i + 2], 16).expect("hex digit"));
        }
    }
    out
}

/// `bytes` padded with zeros to `len` (for `sname` and `file`).
fn padded(hex: &str, len: usize) -> String {
    let n = unhex(hex).len();
    assert!(n <= len, "{n} octets do not fit a {len}-octet field");
    format!("{hex} z{}", len - n)
}

/// A DISCOVER's fixed header from 00:09:fb:12:34:56 with `sname` and `file` given, the cookie,
/// then `options`: the frame for the tests that are about options.
fn with_fields(sname: &str, file: &str, options: &str) -> Vec<u8> {
    unhex(&format!(
        "01010600 00000001 0000 0000 z16 0009fb123456 z10 {} {} 63825363 {options}",
        padded(sname, 64),
        padded(file, 128)
    ))
}

fn with_options(options: &str) -> Vec<u8> {
    with_fields("", "", options)
}

/// One datagram through the dissector, as the sensor feeds it.
fn dissect_with(limits: &Limits, data: &[u8]) -> (Option<DhcpRecord>, Vec<DissectEventKind>) {
    let out = harness::run(&INFO, Transport::Udp, limits, &[(Direction::ToServer, data)]);
    assert!(out.records.len() <= 1, "one datagram, one record at most");
    let record = out.records.into_iter().next().map(|(_, r)| match r {
        Record::Dhcp(d) => d,
        other => panic!("the DHCP dissector produced {other:?}"),
    });
    (record, out.events.into_iter().map(|e| e.kind).collect())
}

fn dissect(data: &[u8]) -> (Option<DhcpRecord>, Vec<DissectEventKind>) {
    dissect_with(&Limits::default(), data)
}

/// The record of a message that must parse cleanly: no event at all.
fn clean(data: &[u8]) -> DhcpRecord {
    let (r, e) = dissect(data);
    assert!(e.is_empty(), "unexpected events {e:?}");
    r.expect("a record")
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("an IPv4 address")
}

fn malformed(reason: &'static str) -> DissectEventKind {
    DissectEventKind::Malformed { reason }
}

fn misbehaving(reason: &'static str) -> DissectEventKind {
    DissectEventKind::PeerMisbehaving { reason }
}

// ---------------------------------------------------------------------------------------------
// 1. Annotated messages
// ---------------------------------------------------------------------------------------------

/// An infusion pump's DHCPDISCOVER, every field group annotated.
// Field by field (RFC 2131 §2, figure 1 and table 1):
//   01 01 06 00    op BOOTREQUEST, htype 1 (Ethernet), hlen 6, hops 0
//   3903f326       xid, chosen by the client
//   0000 8000      secs 0; flags: the broadcast bit (§4.1), the client has no address yet
//   4 x 00000000   ciaddr, yiaddr, siaddr, giaddr: all 0.0.0.0 in a DISCOVER (§4.4.1)
//   0009fb123456   chaddr: the MAC (OUI 00:09:fb), then 10 octets of padding to 16
//   z64 z128       sname and file: unused
//   63825363       the magic cookie (§3)
// Options (RFC 2132, code length value):
//   350101         53 DHCP message type (§9.6): 1 DHCPDISCOVER
//   3d07 01 ...    61 client identifier (§9.14): type 1 (Ethernet) and the MAC
//   0c0b ...       12 host name (§3.14): "pump-icu-07"
//   3c0b ...       60 vendor class identifier (§9.13): "Alaris-8015"
//   3705 ...       55 parameter request list (§9.8): 1 3 6 15 42
//   3902 05dc      57 maximum message size (§9.10): 1500; listed, not decoded
//   4d09 ...       77 user class (RFC 3004 §4): two classes, "icu" and "pump"
//   511a 05 00 00  81 client FQDN (RFC 4702 §2): flags S and E, RCODE1, RCODE2 0, then
//   0b ... 00         the name in DNS wire format: pump-icu-07.ward.test and the root label
//   ff             end (§3.2)
const PUMP_DISCOVER: &str = "
    01 01 06 00
    3903f326
    0000 8000
    00000000 00000000 00000000 00000000
    0009fb123456 z10
    z64
    z128
    63825363
    350101
    3d07 01 0009fb123456
    0c0b 70756d702d6963752d3037
    3c0b 416c617269732d38303135
    3705 01 03 06 0f 2a
    3902 05dc
    4d09 03 696375 04 70756d70
    511a 05 00 00 0b 70756d702d6963752d3037 04 77617264 04 74657374 00
    ff";

#[test]
fn discover_from_an_infusion_pump_yields_its_fingerprint() {
    let r = clean(&unhex(PUMP_DISCOVER));
    assert_eq!((r.kind, r.id, r.dhcp_type), ("request", 0x3903_f326, Some("discover")));
    assert_eq!(r.client_mac.as_deref(), Some("00:09:fb:12:34:56"));
    assert_eq!((r.client_ip, r.assigned_ip, r.relay_ip, r.next_server_ip), (Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED, Ipv4Addr::UNSPECIFIED));
    assert_eq!((r.client_id.as_deref(), r.client_id_type), (Some("00:09:fb:12:34:56"), Some(1)));
    assert_eq!(r.hostname.as_deref(), Some("pump-icu-07"));
    assert_eq!(r.vendor_class_identifier.as_deref(), Some("Alaris-8015"));
    assert_eq!(r.parameter_request_list, [1, 3, 6, 15, 42]);
    assert_eq!(r.params, ["subnet_mask", "router", "dns_server", "domain", "ntp_server"]);
    assert_eq!(r.user_class, ["icu", "pump"]);
    assert_eq!(r.fqdn, Some(DhcpFqdn { flags: 0x05, name: "pump-icu-07.ward.test".into() }));
    assert_eq!(r.options, [53, 61, 12, 60, 55, 57, 77, 81]);
    assert_eq!((r.server_name.as_deref(), r.boot_file.as_deref()), (None, None));
}

/// A patient monitor's DHCPREQUEST, relayed once, FQDN in the deprecated ASCII form.
// Field by field (RFC 2131 §2, figure 1; §4.4.1 table 5 for what a client sends):
//   01 01 06 01    op BOOTREQUEST, Ethernet, hlen 6, hops 1: one relay agent passed
//   5a5a0001       xid
//   0004 0000      secs 4, flags 0
//   0a4d0101       giaddr 10.77.1.1, the relay (ciaddr, yiaddr, siaddr 0.0.0.0)
//   0009fbaabbcc   chaddr
//   63825363       magic cookie (§3)
//   350103         53: 3 DHCPREQUEST
//   3204 ...       50 requested IP address (RFC 2132 §9.1): 10.77.1.23
//   3604 ...       54 server identifier (§9.7): 10.77.0.2, the server whose offer it takes
//   0c05 ...       12 host name: "mon-3"
//   5112 01 00 00  81 client FQDN: flag S only (E clear: ASCII name), "mon-3.ward.test"
//   ff 00000000    end, then pad octets after it (ignored)
const MONITOR_REQUEST: &str = "
    01 01 06 01
    5a5a0001
    0004 0000
    00000000 00000000 00000000 0a4d0101
    0009fbaabbcc z10
    z64
    z128
    63825363
    350103
    3204 0a4d0117
    3604 0a4d0002
    0c05 6d6f6e2d33
    5112 01 00 00 6d6f6e2d332e776172642e74657374
    ff
    00000000";

#[test]
fn relayed_request_names_the_address_and_server_it_takes() {
    let r = clean(&unhex(MONITOR_REQUEST));
    assert_eq!((r.kind, r.id, r.dhcp_type), ("request", 0x5a5a_0001, Some("request")));
    assert_eq!(r.relay_ip, ip("10.77.1.1"));
    assert_eq!(r.requested_ip, Some(ip("10.77.1.23")));
    assert_eq!(r.server_id, Some(ip("10.77.0.2")));
    assert_eq!(r.hostname.as_deref(), Some("mon-3"));
    assert_eq!(r.fqdn, Some(DhcpFqdn { flags: 0x01, name: "mon-3.ward.test".into() }));
    assert_eq!(r.options, [53, 50, 54, 12, 81]);
}

/// The DHCPACK answering it, with a boot server and file (a PXE-booting monitor).
// Field by field (RFC 2131 §2, figure 1; §4.3.1 table 3 for what a server sends):
//   02 01 06 01    op BOOTREPLY, Ethernet, hlen 6, hops 1
//   5a5a0001       xid: the request's
//   0000 0000      secs, flags
//   00000000       ciaddr 0.0.0.0
//   0a4d0117       yiaddr 10.77.1.23: the address assigned
//   0a4d0005       siaddr 10.77.0.5: next server of the boot (TFTP)
//   0a4d0101       giaddr 10.77.1.1: the relay it goes back through
//   0009fbaabbcc   chaddr
//   626f... z56    sname: "boot-srv", NUL-terminated, in 64 octets
//   7078... z118   file: "pxelinux.0", NUL-terminated, in 128 octets
//   63825363       magic cookie (§3)
//   350105         53: 5 DHCPACK
//   3604 ...       54 server identifier 10.77.0.2
//   3304 00015180  51 IP address lease time (RFC 2132 §9.2): 86400 s
//   3a04 0000a8c0  58 renewal time T1 (§9.11): 43200 s
//   3b04 00012750  59 rebinding time T2 (§9.12): 75600 s
//   0104 ffffff00  1 subnet mask (§3.3): 255.255.255.0
//   0308 ...       3 routers (§3.5): 10.77.1.1 then 10.77.1.2
//   0604 ...       6 domain name servers (§3.8): 10.77.0.2
//   0f09 ...       15 domain name (§3.17): "ward.test"
//   ff             end
const MONITOR_ACK: &str = "
    02 01 06 01
    5a5a0001
    0000 0000
    00000000 0a4d0117 0a4d0005 0a4d0101
    0009fbaabbcc z10
    626f6f742d737276 z56
    7078656c696e75782e30 z118
    63825363
    350105
    3604 0a4d0002
    3304 00015180
    3a04 0000a8c0
    3b04 00012750
    0104 ffffff00
    0308 0a4d0101 0a4d0102
    0604 0a4d0002
    0f09 776172642e74657374
    ff";

#[test]
fn ack_carries_the_lease_times_the_network_and_the_boot_server() {
    let r = clean(&unhex(MONITOR_ACK));
    assert_eq!((r.kind, r.dhcp_type), ("reply", Some("ack")));
    assert_eq!((r.assigned_ip, r.next_server_ip, r.relay_ip), (ip("10.77.1.23"), ip("10.77.0.5"), ip("10.77.1.1")));
    assert_eq!((r.server_name.as_deref(), r.boot_file.as_deref()), (Some("boot-srv"), Some("pxelinux.0")));
    assert_eq!(r.server_id, Some(ip("10.77.0.2")));
    assert_eq!((r.lease_time, r.renewal_time, r.rebinding_time), (Some(86_400), Some(43_200), Some(75_600)));
    assert_eq!(r.subnet_mask, Some(ip("255.255.255.0")));
    assert_eq!(r.routers, [ip("10.77.1.1"), ip("10.77.1.2")]);
    assert_eq!(r.dns_servers, [ip("10.77.0.2")]);
    assert_eq!(r.domain_name.as_deref(), Some("ward.test"));
    assert_eq!(r.options, [53, 54, 51, 58, 59, 1, 3, 6, 15]);
}

#[test]
fn option_overload_reads_file_then_sname_and_they_hold_no_names() {
    let m = with_fields(
        // sname (RFC 2131 §4.1: read last): 6 DNS server 10.0.0.2, 15 domain "ward.test", end
        "0604 0a000002 0f09 776172642e74657374 ff",
        // file (read second): 3 router 10.0.0.1, end
        "0304 0a000001 ff",
        // options (read first): 53 OFFER, 52 overload = 3 (RFC 2132 §9.3: both fields), end
        "350102 340103 ff",
    );
    let r = clean(&m);
    assert_eq!(r.options, [53, 52, 3, 6, 15], "options field, then file, then sname");
    assert_eq!(r.routers, [ip("10.0.0.1")]);
    assert_eq!(r.dns_servers, [ip("10.0.0.2")]);
    assert_eq!(r.domain_name.as_deref(), Some("ward.test"));
    assert_eq!((r.server_name, r.boot_file), (None, None), "fields holding options hold no names");
}

#[test]
fn overload_value_1_reads_file_only_and_keeps_the_server_name() {
    // sname "boot-srv" is a name; file holds 3 router; option 52 = 1.
    let r = clean(&with_fields("626f6f742d737276", "0304 0a000001 ff", "350102 340101 ff"));
    assert_eq!(r.routers, [ip("10.0.0.1")]);
    assert_eq!((r.server_name.as_deref(), r.boot_file), (Some("boot-srv"), None));
}

#[test]
fn option_52_inside_an_overloaded_field_is_not_followed() {
    // file carries 52 = 2 (RFC 2131 §4.1: option 52 belongs in the options field only), so
    // sname stays a name even though it happens to look like options. The second 52 is a repeat.
    let (r, e) = dissect(&with_fields("0604 0a000002 ff", "340102 ff", "350102 340101 ff"));
    assert_eq!(e, [misbehaving("dhcp.option_repeated")]);
    let r = r.expect("record");
    assert_eq!(r.options, [53, 52, 52]);
    assert!(r.dns_servers.is_empty());
    assert_eq!(r.server_name.as_deref(), Some("\u{6}\u{4}\n"), "sname as text up to its NUL");
}

#[test]
fn overloaded_field_without_end_is_peer_misbehaving_but_read() {
    // sname holds 6 DNS server and then only pads: no end option (RFC 2131 §4.1 requires one).
    let (r, e) = dissect(&with_fields("0604 0a000002", "", "350102 340102 ff"));
    assert_eq!(e, [misbehaving("dhcp.overload_missing_end_option")]);
    assert_eq!(r.expect("record").dns_servers, [ip("10.0.0.2")]);
}

#[test]
fn option_running_past_an_overloaded_field_is_malformed() {
    // file ends with 15 (domain), length 200: more than the 128-octet field holds.
    let file = format!("0304 0a000001 {}", "0fc8 z120");
    let (r, e) = dissect(&with_fields("", &file, "350102 340101 ff"));
    assert_eq!(e, [malformed("dhcp.option_overruns_field")]);
    let r = r.expect("the options before the damage are kept");
    assert_eq!((r.routers.as_slice(), r.domain_name), (&[ip("10.0.0.1")][..], None));
}

// ---------------------------------------------------------------------------------------------
// Damage: no record, or a record of what was really there plus a typed event
// ---------------------------------------------------------------------------------------------

#[test]
fn truncated_fixed_header_is_malformed_and_gives_no_record() {
    let whole = unhex(PUMP_DISCOVER);
    // Cut inside the 236-octet header (§2), and inside the cookie (§3).
    for n in [1, 27, 100, FIXED_LEN - 1, FIXED_LEN, FIXED_LEN + 3] {
        let (r, e) = dissect(&whole[..n]);
        assert_eq!((r, e), (None, vec![malformed("dhcp.truncated_header")]), "cut at {n}");
    }
}

#[test]
fn wrong_magic_cookie_is_malformed_and_gives_no_record() {
    let mut m = unhex(PUMP_DISCOVER);
    m[FIXED_LEN..FIXED_LEN + 4].copy_from_slice(&[0x63, 0x82, 0x53, 0x64]);
    assert_eq!(dissect(&m), (None, vec![malformed("dhcp.bad_magic_cookie")]));
}

#[test]
fn op_other_than_request_or_reply_is_malformed_and_gives_no_record() {
    let mut m = unhex(PUMP_DISCOVER);
    m[0] = 3;
    assert_eq!(dissect(&m), (None, vec![malformed("dhcp.bad_op")]));
}

#[test]
fn option_length_past_the_end_keeps_the_options_before_it_and_is_malformed() {
    // 53 DISCOVER, 12 host name "ab", then 60 claiming 32 octets where 3 remain.
    let (r, e) = dissect(&with_options("350101 0c02 6162 3c20 414243"));
    assert_eq!(e, [malformed("dhcp.option_overruns_message")]);
    let r = r.expect("record");
    assert_eq!((r.dhcp_type, r.hostname.as_deref(), r.vendor_class_identifier), (Some("discover"), Some("ab"), None));
    assert_eq!(r.options, [53, 12], "the overrunning option is not listed");
    // A code with no length octet at all.
    let (_, e) = dissect(&with_options("350101 0c"));
    assert_eq!(e, [malformed("dhcp.option_overruns_message")]);
}

#[test]
fn options_without_end_are_kept_and_malformed() {
    let (r, e) = dissect(&with_options("350101 0c02 6162"));
    assert_eq!(e, [malformed("dhcp.missing_end_option")]);
    assert_eq!(r.expect("record").hostname.as_deref(), Some("ab"));
    // The cookie and nothing after it.
    let (r, e) = dissect(&with_options(""));
    assert_eq!(e, [malformed("dhcp.missing_end_option")]);
    assert_eq!(r.expect("record").options, Vec::<u8>::new());
}

#[test]
fn pad_is_skipped_anywhere_and_nothing_after_end_is_read() {
    // RFC 2132 §3.1-3.2: pad (0) and end (255) are single octets without a length.
    let r = clean(&with_options("00 00 350103 00 0c01 61 00 ff 3c03 626164 00 ff"));
    assert_eq!(r.options, [53, 12]);
    assert_eq!((r.hostname.as_deref(), r.vendor_class_identifier), (Some("a"), None));
}

#[test]
fn value_of_the_wrong_length_is_dropped_and_reported() {
    // 51 lease of 3 octets, 3 routers of 5 octets, 53 of 2 octets, 61 of one octet, 55 empty.
    let (r, e) = dissect(&with_options("3303 000e10 0305 0a0000010a 35020101 3d01 01 3700 ff"));
    assert_eq!(e, [misbehaving("dhcp.option_bad_value")]);
    let r = r.expect("record");
    assert_eq!((r.lease_time, r.routers.len(), r.dhcp_type, r.client_id), (None, 0, None, None));
    assert!(r.parameter_request_list.is_empty());
    assert_eq!(r.options, [51, 3, 53, 61, 55], "present, though undecodable");
}

#[test]
fn repeated_option_keeps_the_first_and_is_reported() {
    // Two host names: RFC 3396 would join them; Ward does not, and says so.
    let (r, e) = dissect(&with_options("0c03 616263 0c03 646566 ff"));
    assert_eq!(e, [misbehaving("dhcp.option_repeated")]);
    let r = r.expect("record");
    assert_eq!((r.hostname.as_deref(), r.options.as_slice()), (Some("abc"), &[12u8, 12][..]));
}

#[test]
fn fqdn_wire_name_with_a_compression_pointer_is_reported_and_dropped() {
    // 81: flags E, RCODEs, label "a", then c0 0c: a compression pointer (RFC 4702 §2.3.1 forbids).
    let (r, e) = dissect(&with_options("5108 04 0000 0161 c00c 00 ff"));
    assert_eq!(e, [misbehaving("dhcp.fqdn_bad_name")]);
    assert_eq!(r.expect("record").fqdn, None);
}

#[test]
fn fqdn_partial_wire_name_and_empty_name_are_kept() {
    // RFC 4702 §2.3.1: a name without the root label is partial; an empty name asks the server.
    let r = clean(&with_options("5108 04 0000 046d6f6e33 ff"));
    assert_eq!(r.fqdn, Some(DhcpFqdn { flags: 4, name: "mon3".into() }));
    let r = clean(&with_options("5103 00 0000 ff"));
    assert_eq!(r.fqdn, Some(DhcpFqdn { flags: 0, name: String::new() }));
}

#[test]
fn client_id_of_another_type_prints_the_octets_after_the_type() {
    // Type 255 (RFC 4361): IAID 00000001 then a DUID-LL (0003 0001 and the MAC).
    let r = clean(&with_options("3d0f ff 00000001 0003 0001 0009fb123456 ff"));
    assert_eq!(r.client_id_type, Some(255));
    assert_eq!(r.client_id.as_deref(), Some("00:00:00:01:00:03:00:01:00:09:fb:12:34:56"));
}

#[test]
fn user_class_that_is_not_length_prefixed_is_one_class_as_sent() {
    let r = clean(&with_options("4d04 69505845 ff")); // "iPXE", as iPXE sends it
    assert_eq!(r.user_class, ["iPXE"]);
}

#[test]
fn unknown_message_types_and_unnamed_parameters_are_kept_by_number() {
    let r = clean(&with_options("350120 3703 01 79 96 ff"));
    assert_eq!(r.dhcp_type, Some("unknown"));
    assert_eq!(r.parameter_request_list, [1, 121, 150]);
    assert_eq!(r.params, ["subnet_mask", "tftp_server_ip"], "Suricata names only the codes it knows");
}

#[test]
fn client_mac_only_for_ethernet_addresses() {
    let mut m = unhex(PUMP_DISCOVER);
    m[1] = 6; // htype 6: IEEE 802 networks
    assert_eq!(clean(&m).client_mac, None);
    let mut m = unhex(PUMP_DISCOVER);
    m[2] = 20; // hlen longer than chaddr
    let (r, e) = dissect(&m);
    assert_eq!((r.expect("record").client_mac, e), (None, vec![misbehaving("dhcp.hlen_too_long")]));
}

#[test]
fn record_serialises_with_suricata_key_names_and_no_absent_keys() {
    let v = serde_json::to_value(clean(&unhex(MONITOR_REQUEST))).expect("serialises");
    let keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
    for k in ["type", "id", "client_mac", "client_ip", "assigned_ip", "relay_ip", "next_server_ip", "dhcp_type", "hostname", "fqdn", "requested_ip", "server_id", "options"] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    for k in ["lease_time", "routers", "params", "vendor_class_identifier", "client_id", "server_name", "user_class"] {
        assert!(!keys.contains(&k), "absent {k} serialised: {keys:?}");
    }
    assert_eq!(v["type"], "request");
    assert_eq!(v["id"], 0x5a5a_0001);
    assert_eq!(v["fqdn"]["name"], "mon-3.ward.test");
}

#[test]
fn probe_is_sure_with_the_cookie_hesitant_without_and_refuses_the_rest() {
    let probe = |d: &[u8]| (INFO.probe)(Transport::Udp, Direction::ToServer, d);
    let m = unhex(PUMP_DISCOVER);
    assert_eq!(probe(&m), Confidence::High);
    // RFC 951 BOOTP: the same header, a vendor area without the cookie.
    let mut bootp = m.clone();
    bootp[FIXED_LEN..FIXED_LEN + 4].copy_from_slice(&[0; 4]);
    assert_eq!(probe(&bootp), Confidence::Low);
    assert_eq!(probe(&m[..FIXED_LEN]), Confidence::Low);
    // A datagram is whole: short is not DHCP, it will not grow.
    assert_eq!(probe(&m[..FIXED_LEN - 1]), Confidence::No);
    for (at, v) in [(0, 3u8), (1, 0), (2, 17), (3, 17)] {
        let mut bad = m.clone();
        bad[at] = v;
        assert_eq!(probe(&bad), Confidence::No, "octet {at} = {v}");
    }
    // A DNS query is not DHCP, even padded to BOOTP size.
    let mut dns = unhex("1234 0100 0001 0000 0000 0000 03777777 076578616d706c65 03636f6d 00 0001 0001");
    dns.resize(300, 0);
    assert_eq!(probe(&dns), Confidence::No);
}

#[test]
fn registry_picks_dhcp_for_a_real_discover_on_any_port() {
    let m = unhex(ZEEK_ALL_TYPES_1_DISCOVER);
    for ports in [[68, 67], [40000, 40001]] {
        let found = crate::registry::detect(Transport::Udp, Direction::ToServer, &m, ports).map(|i| i.protocol);
        assert_eq!(found.ok(), Some(ward_model::AppProtocol::Dhcp), "ports {ports:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Real captures: the UDP payloads, extracted with
//    `tshark -r FILE -T fields -e frame.number -e udp.payload`
//    Paths are under ../shared/data/; suricata-verify is MIT, Zeek's traces BSD.
// ---------------------------------------------------------------------------------------------

/// peers/suricata-verify/dhcp-eve-extended/input.pcap, frame 1 (300 octets): DHCPREQUEST from a Synology
/// NAS (host name "nas1" with its NUL).
const SV_EXTENDED_REQUEST: &str = "
    01010600 ef645744 0000 0000 0a100104 00000000 00000000 00000000 0011321749f0 z10
    z192
    63825363 350103 0c056e61733100 3707011c02030f060c 3d07010011321749f0 ff z31
";

/// peers/suricata-verify/dhcp-eve-extended/input.pcap, frame 2 (308 octets): the DHCPACK answering it.
const SV_EXTENDED_ACK: &str = "
    02010600 ef645744 0000 0000 0a100104 0a100104 0a100101 00000000 0011321749f0 z10
    z192
    63825363 350105 36040a100101 330400000e10 3a0400000691 3b0400000bd7 0104ffff0000 1c040a10ffff
    06040a100101 0f07756e782e636100 0c056e61733100 03040a100101 ff
";

/// peers/suricata-verify/dhcp-eve-extended-option-60/input.pcap, frame 1 (314 octets): DHCPREQUEST from a
/// Mac running Windows: vendor class "MSFT 5.0", FQDN in ASCII.
const SV_OPTION60_REQUEST: &str = "
    01010600 e01cc718 0000 0000 00000000 00000000 00000000 00000000 28cfdadc8d76 z10
    z192
    63825363 350103 3d070128cfdadc8d76 3204c0a8016f 0c0c4e69636b734d6163426f6f6b
    510f0000004e69636b734d6163426f6f6b 3c084d53465420352e30 370c010f03062c2e2f1f2179f92b ff
";

/// peers/suricata-verify/dhcp-option-52-overload/input.pcap, frame 3 (287 octets): DHCPOFFER with its
/// options inline and a server name in `sname`.
const SV_OVERLOAD_OFFER_INLINE: &str = "
    02010600 24593b3e 0000 0000 00000000 0a640032 0a640002 00000000 92dda48d5fde z10
    6576696c2d7078652e61747461636b65722e6c6f63616c z41
    z128
    63825363 350102 36040a640002 33040000012c 0104ffffff00 03040a640001 06040a640001
    0f0b6c656769742e6c6f63616c ff
";

/// peers/suricata-verify/dhcp-option-52-overload/input.pcap, frame 4 (265 octets): DHCPOFFER whose option
/// 52 (value 2) puts router, DNS server and domain in `sname`.
const SV_OVERLOAD_OFFER_SNAME: &str = "
    02010600 24593b3e 0000 0000 00000000 0a640032 0a640002 00000000 92dda48d5fde z10
    06040a640002 03040a640002 0f096576696c2e636f7270 ff z40
    z128
    63825363 350102 36040a640002 33040000012c 0104ffffff00 340102 ff
";

/// peers/suricata-verify/dhcp-option-52-overload/input.pcap, frame 7 (265 octets): DHCPACK, overloaded
/// like frame 4.
const SV_OVERLOAD_ACK_SNAME: &str = "
    02010600 24593b3e 0000 0000 00000000 0a640032 0a640002 00000000 92dda48d5fde z10
    06040a640002 03040a640002 0f096576696c2e636f7270 ff z40
    z128
    63825363 350105 36040a640002 33040000012c 0104ffffff00 340102 ff
";

/// peers/suricata-verify/dhcp-option-52-overload/input.pcap, frame 8 (287 octets): DHCPACK with its
/// options inline.
const SV_OVERLOAD_ACK_INLINE: &str = "
    02010600 24593b3e 0000 0000 00000000 0a640032 0a640002 00000000 92dda48d5fde z10
    6576696c2d7078652e61747461636b65722e6c6f63616c z41
    z128
    63825363 350105 36040a640002 33040000012c 0104ffffff00 03040a640001 06040a640001
    0f0b6c656769742e6c6f63616c ff
";

/// peers/zeek/Traces__dhcp__dhcp.pcap, frame 1 (265 octets): DHCPDISCOVER.
const ZEEK_ALL_TYPES_1_DISCOVER: &str = "
    01010600 000007c0 0000 0000 00000000 00000000 00000000 00000000 90b11c994929 z10
    z192
    63825363 350101 3204c0a8d3c2 0c0d62746573742e69732e636f6f6c ff
";

/// peers/zeek/Traces__dhcp__dhcp.pcap, frame 2 (367 octets): DHCPOFFER.
const ZEEK_ALL_TYPES_2_OFFER: &str = "
    02010600 000007c0 0000 0000 00000000 80020661 ac13e607 00000000 90b11c994929 z10
    z192
    63825363 350102 360480020698 330400000384 0104ffffff00 030480020601 06088002010b8002010a
    04088002011480020115 430d6e6574776f726b2d636f6e6667 1c04800206ff 2a0c800201148002011580020116
    2b0b3137322e31382e362e3337 3c0741727562614150 2c088002681d8002681e 2e0102 0f07636d752e656475 ff
";

/// peers/zeek/Traces__dhcp__dhcp.pcap, frame 3 (271 octets): DHCPREQUEST.
const ZEEK_ALL_TYPES_3_REQUEST: &str = "
    01010600 000007c0 0000 0000 00000000 00000000 00000000 00000000 90b11c994929 z10
    z192
    63825363 350103 360480020698 3204c0a8d3c2 0c0d62746573742e69732e636f6f6c ff
";

/// peers/zeek/Traces__dhcp__dhcp.pcap, frame 4 (300 octets): DHCPNAK.
const ZEEK_ALL_TYPES_4_NAK: &str = "
    02010600 000007c0 0000 8000 00000000 00000000 80020698 00000000 90b11c994929 z10
    z192
    63825363 350106 360480020698 381f7265717565737465642061646472657373206e6f7420617661696c61626c65
    ff z17
";

/// peers/zeek/Traces__dhcp__dhcp.pcap, frame 5 (265 octets): DHCPREQUEST.
const ZEEK_ALL_TYPES_5_REQUEST: &str = "
    01010600 000007c0 0000 0000 00000000 00000000 00000000 00000000 90b11c994929 z10
    z192
    63825363 350103 3204800206bd 0c0d62746573742e69732e636f6f6c ff
";

/// peers/zeek/Traces__dhcp__dhcp.pcap, frame 6 (367 octets): DHCPACK.
const ZEEK_ALL_TYPES_6_ACK: &str = "
    02010600 000007c0 0000 0000 00000000 800206bd ac13e607 00000000 90b11c994929 z10
    z192
    63825363 350105 360480020698 330400000384 0104ffffff00 030480020601 06088002010b8002010a
    04088002011480020115 430d6e6574776f726b2d636f6e6667 1c04800206ff 2a0c800201148002011580020116
    2b0b3137322e31382e362e3337 3c0741727562614150 2c088002681d8002681e 2e0102 0f07636d752e656475 ff
";

/// peers/zeek/Traces__dhcp__dhcp.pcap, frame 7 (244 octets): DHCPDECLINE.
const ZEEK_ALL_TYPES_7_DECLINE: &str = "
    01010600 000007c0 0000 0000 00000000 00000000 00000000 00000000 90b11c994929 z10
    z192
    63825363 350104 ff
";

/// peers/zeek/Traces__dhcp__dhcp.pcap, frame 8 (244 octets): DHCPRELEASE.
const ZEEK_ALL_TYPES_8_RELEASE: &str = "
    01010600 0000079c 0000 0000 00000000 00000000 00000000 00000000 90b11c994929 z10
    z192
    63825363 350107 ff
";

/// peers/zeek/Traces__dhcp__dhcp.pcap, frame 9 (271 octets): DHCPINFORM.
const ZEEK_ALL_TYPES_9_INFORM: &str = "
    01010600 000007c4 0000 0000 00000000 00000000 00000000 00000000 90b11c994929 z10
    z192
    63825363 350108 3304012ec3c0 3204800206bd 0c0d62746573742e69732e636f6f6c ff
";

/// peers/zeek/Traces__dhcp__dhcp_inform.pcap, frame 1 (247 octets): DHCPINFORM.
const ZEEK_INFORM: &str = "
    01010600 a42cec51 0000 0000 8002067a 00000000 00000000 00000000 90b11c994929 z10
    z192
    63825363 350108 370101 ff
";

/// peers/zeek/Traces__dhcp__dhcp_inform.pcap, frame 2 (300 octets): the DHCPACK answering it.
const ZEEK_INFORM_ACK: &str = "
    02010600 a42cec51 0000 0000 8002067a 00000000 ac13e607 00000000 90b11c994929 z10
    z192
    63825363 350105 360480020698 0104ffffff00 ff z44
";

/// peers/zeek/Traces__dhcp__dhcp_discover_param_req_and_client_id.pcap, frame 1 (281 octets):
/// DHCPDISCOVER with options 55 and 61.
const ZEEK_DISCOVER_CLIENT_ID: &str = "
    01010600 00003d11 0000 0000 00000000 00000000 00000000 00000000 000b8201fc42 z10
    z192
    63825363 350101 3d0701000b8201fc42 3204d043dede 37040103062a 0c087465737430303030 ff
    000000000000
";


/// Every embedded frame with its name and captured length, for the checks that run on all.
const REAL: &[(&str, &str, usize)] = &[
    ("SV_EXTENDED_REQUEST", SV_EXTENDED_REQUEST, 300),
    ("SV_EXTENDED_ACK", SV_EXTENDED_ACK, 308),
    ("SV_OPTION60_REQUEST", SV_OPTION60_REQUEST, 314),
    ("SV_OVERLOAD_OFFER_INLINE", SV_OVERLOAD_OFFER_INLINE, 287),
    ("SV_OVERLOAD_OFFER_SNAME", SV_OVERLOAD_OFFER_SNAME, 265),
    ("SV_OVERLOAD_ACK_SNAME", SV_OVERLOAD_ACK_SNAME, 265),
    ("SV_OVERLOAD_ACK_INLINE", SV_OVERLOAD_ACK_INLINE, 287),
    ("ZEEK_ALL_TYPES_1_DISCOVER", ZEEK_ALL_TYPES_1_DISCOVER, 265),
    ("ZEEK_ALL_TYPES_2_OFFER", ZEEK_ALL_TYPES_2_OFFER, 367),
    ("ZEEK_ALL_TYPES_3_REQUEST", ZEEK_ALL_TYPES_3_REQUEST, 271),
    ("ZEEK_ALL_TYPES_4_NAK", ZEEK_ALL_TYPES_4_NAK, 300),
    ("ZEEK_ALL_TYPES_5_REQUEST", ZEEK_ALL_TYPES_5_REQUEST, 265),
    ("ZEEK_ALL_TYPES_6_ACK", ZEEK_ALL_TYPES_6_ACK, 367),
    ("ZEEK_ALL_TYPES_7_DECLINE", ZEEK_ALL_TYPES_7_DECLINE, 244),
    ("ZEEK_ALL_TYPES_8_RELEASE", ZEEK_ALL_TYPES_8_RELEASE, 244),
    ("ZEEK_ALL_TYPES_9_INFORM", ZEEK_ALL_TYPES_9_INFORM, 271),
    ("ZEEK_INFORM", ZEEK_INFORM, 247),
    ("ZEEK_INFORM_ACK", ZEEK_INFORM_ACK, 300),
    ("ZEEK_DISCOVER_CLIENT_ID", ZEEK_DISCOVER_CLIENT_ID, 281),
];

#[test]
fn embedded_frames_have_their_captured_lengths_and_parse_cleanly() {
    for (name, hex, len) in REAL {
        let m = unhex(hex);
        assert_eq!(m.len(), *len, "{name}");
        let (r, e) = dissect(&m);
        assert!(e.is_empty() && r.is_some(), "{name}: {e:?}");
    }
}

/// A Suricata EVE path (`params[0]`, `dns_servers[1]`) looked up in our record's JSON, as text.
fn eve(record: &DhcpRecord, path: &str) -> Option<String> {
    let v = serde_json::to_value(record).expect("serialises");
    let (key, index) = match path.split_once('[') {
        Some((k, i)) => (k, Some(i.trim_end_matches(']').parse::<usize>().expect("index"))),
        None => (path, None),
    };
    let mut at = v.get(key)?;
    if let Some(i) = index {
        at = at.get(i)?;
    }
    Some(match at {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Assert Suricata's expected `dhcp.*` values (its test.yaml, prefix dropped) one by one.
fn agrees_with_suricata(record: &DhcpRecord, expected: &[(&str, &str)]) {
    for (path, want) in expected {
        assert_eq!(eve(record, path).as_deref(), Some(*want), "dhcp.{path}");
    }
}

/// peers/suricata-verify/dhcp-eve-extended/test.yaml, the record of pcap_cnt 1.
const SURICATA_EXTENDED_REQUEST: &[(&str, &str)] = &[
    ("assigned_ip", "0.0.0.0"),
    ("client_id", "00:11:32:17:49:f0"),
    ("client_ip", "10.16.1.4"),
    ("client_mac", "00:11:32:17:49:f0"),
    ("dhcp_type", "request"),
    ("hostname", "nas1\u{0}"),
    ("id", "4016330564"),
    ("params[0]", "subnet_mask"),
    ("params[1]", "router"),
    ("params[2]", "domain"),
    ("params[3]", "dns_server"),
    ("type", "request"),
];

/// The same file, pcap_cnt 2.
const SURICATA_EXTENDED_ACK: &[(&str, &str)] = &[
    ("assigned_ip", "10.16.1.4"),
    ("client_ip", "10.16.1.4"),
    ("client_mac", "00:11:32:17:49:f0"),
    ("dhcp_type", "ack"),
    ("dns_servers[0]", "10.16.1.1"),
    ("hostname", "nas1\u{0}"),
    ("id", "4016330564"),
    ("lease_time", "3600"),
    ("next_server_ip", "10.16.1.1"),
    ("rebinding_time", "3031"),
    ("relay_ip", "0.0.0.0"),
    ("renewal_time", "1681"),
    ("routers[0]", "10.16.1.1"),
    ("subnet_mask", "255.255.0.0"),
    ("type", "reply"),
];

/// peers/suricata-verify/dhcp-eve-extended-option-60/test.yaml, pcap_cnt 1.
const SURICATA_OPTION60_REQUEST: &[(&str, &str)] = &[
    ("id", "3759982360"),
    ("params[0]", "subnet_mask"),
    ("params[1]", "domain"),
    ("params[2]", "router"),
    ("params[3]", "dns_server"),
    ("type", "request"),
    ("vendor_class_identifier", "MSFT 5.0"),
];

/// peers/suricata-verify/dhcp-option-52-overload/test.yaml, pcap_cnt 4, 7, 3 and 8: routers
/// and DNS servers come from `sname` in the overloaded frames, inline in the others.
const SURICATA_OVERLOAD: &[(&str, &str, &str)] = &[
    (SV_OVERLOAD_OFFER_SNAME, "offer", "10.100.0.2"),
    (SV_OVERLOAD_ACK_SNAME, "ack", "10.100.0.2"),
    (SV_OVERLOAD_OFFER_INLINE, "offer", "10.100.0.1"),
    (SV_OVERLOAD_ACK_INLINE, "ack", "10.100.0.1"),
];

#[test]
fn suricata_eve_extended_request_from_a_nas_agrees_field_by_field() {
    let r = clean(&unhex(SV_EXTENDED_REQUEST));
    agrees_with_suricata(&r, SURICATA_EXTENDED_REQUEST);
    // Beyond Suricata's list: the raw option 55 it names only in part.
    assert_eq!(r.parameter_request_list, [1, 28, 2, 3, 15, 6, 12]);
}

#[test]
fn suricata_eve_extended_ack_agrees_field_by_field() {
    agrees_with_suricata(&clean(&unhex(SV_EXTENDED_ACK)), SURICATA_EXTENDED_ACK);
}

#[test]
fn suricata_option_60_vendor_class_msft_agrees_field_by_field() {
    let r = clean(&unhex(SV_OPTION60_REQUEST));
    agrees_with_suricata(&r, SURICATA_OPTION60_REQUEST);
    assert_eq!(r.fqdn, Some(DhcpFqdn { flags: 0, name: "NicksMacBook".into() }));
}

#[test]
fn suricata_option_52_overload_takes_routers_and_dns_from_sname() {
    for (hex, kind, server) in SURICATA_OVERLOAD {
        let r = clean(&unhex(hex));
        agrees_with_suricata(&r, &[("dhcp_type", kind), ("dns_servers[0]", server), ("routers[0]", server)]);
    }
    // The inline frames carry a server name in sname, which the overloaded ones cannot.
    assert_eq!(clean(&unhex(SV_OVERLOAD_OFFER_INLINE)).server_name.as_deref(), Some("evil-pxe.attacker.local"));
    let r = clean(&unhex(SV_OVERLOAD_OFFER_SNAME));
    assert_eq!((r.server_name, r.domain_name.as_deref()), (None, Some("evil.corp")));
}

/// peers/zeek/Baseline__scripts.base.protocols.dhcp.dhcp-all-msg-types__dhcp.log, the columns
/// line and the three records (ts and uids elided; columns are tab-separated).
const ZEEK_ALL_TYPES_LOG: &str = "\
#fields\tts\tuids\tclient_addr\tserver_addr\tmac\thost_name\tclient_fqdn\tdomain\trequested_addr\tassigned_addr\tlease_time\tclient_message\tserver_message\tmsg_types\tduration
X\tX\t128.2.6.97\t128.2.6.152\t90:b1:1c:99:49:29\tbtest.is.cool\t-\tcmu.edu\t128.2.6.189\t128.2.6.189\t900.000000\t-\trequested address not available\tDISCOVER,OFFER,REQUEST,NAK,REQUEST,ACK,DECLINE\t3.058797
X\tX\t-\t-\t90:b1:1c:99:49:29\t-\t-\t-\t-\t-\t-\t-\t-\tRELEASE\t0.000000
X\tX\t-\t-\t90:b1:1c:99:49:29\tbtest.is.cool\t-\t-\t128.2.6.189\t-\t-\t-\t-\tINFORM\t0.000000";

/// peers/zeek/Baseline__scripts.base.protocols.dhcp.inform__dhcp.log, likewise.
const ZEEK_INFORM_LOG: &str = "\
#fields\tts\tuids\tclient_addr\tserver_addr\tmac\thost_name\tclient_fqdn\tdomain\trequested_addr\tassigned_addr\tlease_time\tclient_message\tserver_message\tmsg_types\tduration
X\tX\t128.2.6.122\t-\t90:b1:1c:99:49:29\t-\t-\t-\t-\t-\t-\t-\t-\tINFORM,ACK\t0.004327";

/// A Zeek log's records as column name -> value.
fn zeek_rows(log: &str) -> Vec<BTreeMap<&str, &str>> {
    let mut lines = log.lines();
    let columns: Vec<&str> = lines.next().and_then(|l| l.strip_prefix("#fields\t")).expect("#fields").split('\t').collect();
    lines.map(|l| columns.iter().copied().zip(l.split('\t')).collect()).collect()
}

/// Zeek's dhcp.log columns computed from our records of one exchange (one xid), by Zeek's
/// rules: message types in order; the client's and the server's fields from their own
/// messages, the last one seen winning; the lease and the assigned address from the ACK.
/// `client_addr`, `server_addr`, `ts`, `uids` and `duration` come from IP headers and timing,
/// not from DHCP, and are left out (except `client_addr` as `ciaddr`, where a client sets one).
fn zeek_columns(exchange: &[DhcpRecord]) -> BTreeMap<&'static str, String> {
    let mut c: BTreeMap<&'static str, String> = BTreeMap::new();
    let dash = || "-".to_string();
    for k in ["host_name", "client_fqdn", "domain", "requested_addr", "assigned_addr", "lease_time", "client_message", "server_message"] {
        c.insert(k, dash());
    }
    let types: Vec<String> = exchange.iter().filter_map(|r| r.dhcp_type).map(str::to_uppercase).collect();
    c.insert("msg_types", types.join(","));
    for r in exchange {
        c.insert("mac", r.client_mac.clone().unwrap_or_else(dash));
        let client = r.kind == "request";
        if client {
            if let Some(h) = &r.hostname {
                c.insert("host_name", h.clone());
            }
            if let Some(q) = &r.fqdn {
                c.insert("client_fqdn", q.name.clone());
            }
            if let Some(a) = r.requested_ip {
                c.insert("requested_addr", a.to_string());
            }
            if let Some(m) = &r.message {
                c.insert("client_message", m.clone());
            }
        } else {
            if let Some(d) = &r.domain_name {
                c.insert("domain", d.clone());
            }
            if let Some(m) = &r.message {
                c.insert("server_message", m.clone());
            }
            if r.dhcp_type == Some("ack") {
                if !r.assigned_ip.is_unspecified() {
                    c.insert("assigned_addr", r.assigned_ip.to_string());
                }
                if let Some(l) = r.lease_time {
                    c.insert("lease_time", format!("{l}.000000"));
                }
            }
        }
    }
    c
}

/// Our records of `frames`, grouped by xid in order of first appearance.
fn exchanges(frames: &[&str]) -> Vec<Vec<DhcpRecord>> {
    let mut groups: Vec<Vec<DhcpRecord>> = Vec::new();
    for f in frames {
        let r = clean(&unhex(f));
        match groups.iter_mut().find(|g| g.first().is_some_and(|x| x.id == r.id)) {
            Some(g) => g.push(r),
            None => groups.push(vec![r]),
        }
    }
    groups
}

fn agrees_with_zeek(log: &str, frames: &[&str]) -> Vec<Vec<DhcpRecord>> {
    let rows = zeek_rows(log);
    let ours = exchanges(frames);
    assert_eq!(ours.len(), rows.len(), "one Zeek record per exchange");
    for (row, exchange) in rows.iter().zip(&ours) {
        let mine = zeek_columns(exchange);
        for (col, value) in &mine {
            assert_eq!(row.get(col), Some(&value.as_str()), "Zeek column {col} of xid {:#x}", exchange[0].id);
        }
    }
    ours
}

#[test]
fn zeek_dhcp_log_of_all_message_types_agrees_column_by_column() {
    let frames = [
        ZEEK_ALL_TYPES_1_DISCOVER,
        ZEEK_ALL_TYPES_2_OFFER,
        ZEEK_ALL_TYPES_3_REQUEST,
        ZEEK_ALL_TYPES_4_NAK,
        ZEEK_ALL_TYPES_5_REQUEST,
        ZEEK_ALL_TYPES_6_ACK,
        ZEEK_ALL_TYPES_7_DECLINE,
        ZEEK_ALL_TYPES_8_RELEASE,
        ZEEK_ALL_TYPES_9_INFORM,
    ];
    let ours = agrees_with_zeek(ZEEK_ALL_TYPES_LOG, &frames);
    // Zeek's server_addr is the server identifier the exchange names.
    assert!(ours[0].iter().any(|r| r.server_id == Some(ip("128.2.6.152"))));
    // Zeek logs no lease for the INFORM; the client did send option 51, and we show it.
    assert_eq!(ours[2][0].lease_time, Some(19_841_984));
}

#[test]
fn zeek_dhcp_log_of_an_inform_agrees_column_by_column() {
    let ours = agrees_with_zeek(ZEEK_INFORM_LOG, &[ZEEK_INFORM, ZEEK_INFORM_ACK]);
    // The INFORM's sender already has its address: Zeek's client_addr is our ciaddr.
    assert_eq!(ours[0][0].client_ip, ip("128.2.6.122"));
}

/// `tshark -r FILE -T fields -E separator='|' -E aggregator=',' -e dhcp.id -e dhcp.hw.mac_addr
/// -e dhcp.option.dhcp -e dhcp.option.hostname -e dhcp.option.vendor_class_id
/// -e dhcp.option.request_list_item -e dhcp.option.requested_ip_address
/// -e dhcp.option.dhcp_server_id -e dhcp.option.ip_address_lease_time -e dhcp.option.subnet_mask
/// -e dhcp.option.router -e dhcp.option.domain_name_server -e dhcp.option.domain_name
/// -e dhcp.option.message -e dhcp.fqdn.name -e dhcp.server -e dhcp.file` (TShark 4.0.17), the
/// line of each embedded frame. `dhcp.hw.mac_addr` repeats for a type 1 client identifier.
const TSHARK: &[(&str, &str)] = &[
    (SV_EXTENDED_REQUEST, "0xef645744|00:11:32:17:49:f0,00:11:32:17:49:f0|3|nas1||1,28,2,3,15,6,12|||||||||||"),
    (SV_EXTENDED_ACK, "0xef645744|00:11:32:17:49:f0|5|nas1||||10.16.1.1|3600|255.255.0.0|10.16.1.1|10.16.1.1|unx.ca||||"),
    (SV_OPTION60_REQUEST, "0xe01cc718|28:cf:da:dc:8d:76,28:cf:da:dc:8d:76|3|NicksMacBook|MSFT 5.0|1,15,3,6,44,46,47,31,33,121,249,43|192.168.1.111||||||||NicksMacBook||"),
    (SV_OVERLOAD_OFFER_INLINE, "0x24593b3e|92:dd:a4:8d:5f:de|2|||||10.100.0.2|300|255.255.255.0|10.100.0.1|10.100.0.1|legit.local|||evil-pxe.attacker.local|"),
    (SV_OVERLOAD_OFFER_SNAME, "0x24593b3e|92:dd:a4:8d:5f:de|2|||||10.100.0.2|300|255.255.255.0|10.100.0.2|10.100.0.2|evil.corp||||"),
    (SV_OVERLOAD_ACK_SNAME, "0x24593b3e|92:dd:a4:8d:5f:de|5|||||10.100.0.2|300|255.255.255.0|10.100.0.2|10.100.0.2|evil.corp||||"),
    (SV_OVERLOAD_ACK_INLINE, "0x24593b3e|92:dd:a4:8d:5f:de|5|||||10.100.0.2|300|255.255.255.0|10.100.0.1|10.100.0.1|legit.local|||evil-pxe.attacker.local|"),
    (ZEEK_ALL_TYPES_1_DISCOVER, "0x000007c0|90:b1:1c:99:49:29|1|btest.is.cool|||192.168.211.194||||||||||"),
    (ZEEK_ALL_TYPES_2_OFFER, "0x000007c0|90:b1:1c:99:49:29|2||ArubaAP|||128.2.6.152|900|255.255.255.0|128.2.6.1|128.2.1.11,128.2.1.10|cmu.edu||||"),
    (ZEEK_ALL_TYPES_3_REQUEST, "0x000007c0|90:b1:1c:99:49:29|3|btest.is.cool|||192.168.211.194|128.2.6.152|||||||||"),
    (ZEEK_ALL_TYPES_4_NAK, "0x000007c0|90:b1:1c:99:49:29|6|||||128.2.6.152||||||requested address not available|||"),
    (ZEEK_ALL_TYPES_5_REQUEST, "0x000007c0|90:b1:1c:99:49:29|3|btest.is.cool|||128.2.6.189||||||||||"),
    (ZEEK_ALL_TYPES_6_ACK, "0x000007c0|90:b1:1c:99:49:29|5||ArubaAP|||128.2.6.152|900|255.255.255.0|128.2.6.1|128.2.1.11,128.2.1.10|cmu.edu||||"),
    (ZEEK_ALL_TYPES_7_DECLINE, "0x000007c0|90:b1:1c:99:49:29|4||||||||||||||"),
    (ZEEK_ALL_TYPES_8_RELEASE, "0x0000079c|90:b1:1c:99:49:29|7||||||||||||||"),
    (ZEEK_ALL_TYPES_9_INFORM, "0x000007c4|90:b1:1c:99:49:29|8|btest.is.cool|||128.2.6.189||19841984||||||||"),
    (ZEEK_INFORM, "0xa42cec51|90:b1:1c:99:49:29|8|||1|||||||||||"),
    (ZEEK_INFORM_ACK, "0xa42cec51|90:b1:1c:99:49:29|5|||||128.2.6.152||255.255.255.0|||||||"),
    (ZEEK_DISCOVER_CLIENT_ID, "0x00003d11|00:0b:82:01:fc:42,00:0b:82:01:fc:42|1|test0000||1,3,6,42|208.67.222.222||||||||||"),
];

/// Our record in tshark's columns. tshark shows text without its trailing NULs.
fn as_tshark(r: &DhcpRecord) -> String {
    let text = |s: &Option<String>| s.as_deref().unwrap_or_default().trim_end_matches('\0').to_string();
    let join = |v: Vec<String>| v.join(",");
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mac = match (&r.client_mac, r.client_id_type) {
        (Some(m), Some(1)) => format!("{m},{}", opt(r.client_id.clone())),
        (m, _) => opt(m.clone()),
    };
    let type_code = r.dhcp_type.map(|t| (1u8..=18).find(|c| parser::message_type(*c) == t).map_or(String::new(), |c| c.to_string()));
    [
        format!("{:#010x}", r.id),
        mac,
        opt(type_code),
        text(&r.hostname),
        text(&r.vendor_class_identifier),
        join(r.parameter_request_list.iter().map(ToString::to_string).collect()),
        opt(r.requested_ip.map(|a| a.to_string())),
        opt(r.server_id.map(|a| a.to_string())),
        opt(r.lease_time.map(|s| s.to_string())),
        opt(r.subnet_mask.map(|a| a.to_string())),
        join(r.routers.iter().map(ToString::to_string).collect()),
        join(r.dns_servers.iter().map(ToString::to_string).collect()),
        text(&r.domain_name),
        text(&r.message),
        opt(r.fqdn.as_ref().map(|q| q.name.clone())),
        text(&r.server_name),
        text(&r.boot_file),
    ]
    .join("|")
}

#[test]
fn tshark_fields_agree_on_every_embedded_frame() {
    assert_eq!(TSHARK.len(), REAL.len(), "every embedded frame is cross-checked");
    for (hex, line) in TSHARK {
        assert_eq!(as_tshark(&clean(&unhex(hex))), *line);
    }
}

#[test]
fn zeek_discover_with_parameter_list_and_client_id() {
    let r = clean(&unhex(ZEEK_DISCOVER_CLIENT_ID));
    assert_eq!((r.client_id.as_deref(), r.client_id_type), (Some("00:0b:82:01:fc:42"), Some(1)));
    assert_eq!(r.parameter_request_list, [1, 3, 6, 42]);
    assert_eq!(r.params, ["subnet_mask", "router", "dns_server", "ntp_server"]);
    assert_eq!((r.hostname.as_deref(), r.requested_ip), (Some("test0000"), Some(ip("208.67.222.222"))));
}

// ---------------------------------------------------------------------------------------------
// 3. The compliance harness and the limits
// ---------------------------------------------------------------------------------------------

fn real_chunks() -> Vec<Vec<u8>> {
    REAL.iter().map(|(_, hex, _)| unhex(hex)).chain([unhex(PUMP_DISCOVER), unhex(MONITOR_REQUEST), unhex(MONITOR_ACK)]).collect()
}

#[test]
fn every_truncation_of_every_real_message_is_flagged_or_harmless() {
    for m in real_chunks() {
        for dir in Direction::BOTH {
            let chunks: [Chunk<'_>; 1] = [(dir, &m)];
            harness::assert_truncation_safe(&INFO, Transport::Udp, &Limits::default(), &chunks);
        }
    }
}

#[test]
fn every_truncation_inside_the_options_keeps_a_record_and_says_malformed() {
    let m = unhex(MONITOR_ACK);
    let whole = clean(&m);
    for n in FIXED_LEN + 4..m.len() {
        let (r, e) = dissect(&m[..n]);
        let r = r.expect("header and cookie are whole");
        assert!(e.iter().any(|e| matches!(e, DissectEventKind::Malformed { .. })), "cut at {n}: {e:?}");
        assert!(whole.options.starts_with(&r.options), "cut at {n}: options {:?} are not a prefix", r.options);
        assert_eq!((r.id, r.assigned_ip), (whole.id, whole.assigned_ip));
    }
}

/// A message that exceeds every limit of `tight_limits()`: four options, the third a 6-octet
/// host name and the fourth two routers, plus option 52 asking for both `file` and `sname`.
fn over_every_limit() -> Vec<u8> {
    with_fields("ff", "ff", "350101 340103 0c06 6d6f6e2d3033 0308 0a000001 0a000002 ff")
}

fn tight_limits() -> Limits {
    let dhcp = DhcpLimits { max_options: 3, max_option_overload_passes: 1, max_text_len: 4, max_addresses: 1 };
    Limits { dhcp, ..Limits::default() }
}

#[test]
fn each_limit_raises_its_event() {
    // Naming every field: a new limit without a case here does not compile.
    let DhcpLimits { max_options: _, max_option_overload_passes: _, max_text_len: _, max_addresses: _ } = DhcpLimits::default();
    let d = DhcpLimits::default();
    let cases = [
        ("dhcp.max_options", DhcpLimits { max_options: 3, ..d.clone() }),
        ("dhcp.max_option_overload_passes", DhcpLimits { max_option_overload_passes: 1, ..d.clone() }),
        ("dhcp.max_text_len", DhcpLimits { max_text_len: 4, ..d.clone() }),
        ("dhcp.max_addresses", DhcpLimits { max_addresses: 1, ..d }),
    ];
    let m = over_every_limit();
    // One at a time: only that limit is hit.
    for (name, dhcp) in cases {
        let limits = Limits { dhcp, ..Limits::default() };
        let chunks: [Chunk<'_>; 1] = [(Direction::ToServer, &m)];
        harness::assert_limit_raised(&INFO, Transport::Udp, &limits, &chunks, name);
        let (_, e) = dissect_with(&limits, &m);
        assert_eq!(e.len(), 1, "{name}: {e:?}");
    }
    // With the defaults, nothing is hit.
    assert!(dissect(&m).1.is_empty());
}

#[test]
fn limits_cut_what_they_bound_and_keep_the_rest() {
    // max_options 3 of 4 (the fourth, the routers, is only counted); one overloaded field read.
    let (r, e) = dissect_with(&tight_limits(), &over_every_limit());
    let r = r.expect("record");
    assert_eq!(r.options, [53, 52, 12]);
    assert_eq!(r.hostname.as_deref(), Some("mon-"));
    assert!(r.routers.is_empty());
    assert!(e.contains(&DissectEventKind::LimitExceeded { limit: "dhcp.max_options", value: 4 }));
    assert!(e.contains(&DissectEventKind::LimitExceeded { limit: "dhcp.max_option_overload_passes", value: 2 }));
    assert!(e.contains(&DissectEventKind::LimitExceeded { limit: "dhcp.max_text_len", value: 6 }));
    // max_addresses alone: the first router is kept.
    let limits = Limits { dhcp: DhcpLimits { max_addresses: 1, ..DhcpLimits::default() }, ..Limits::default() };
    let (r, e) = dissect_with(&limits, &over_every_limit());
    assert_eq!(r.expect("record").routers, [ip("10.0.0.1")]);
    assert_eq!(e, [DissectEventKind::LimitExceeded { limit: "dhcp.max_addresses", value: 2 }]);
}

#[test]
fn options_past_max_options_are_still_checked_for_damage() {
    let limits = Limits { dhcp: DhcpLimits { max_options: 1, ..DhcpLimits::default() }, ..Limits::default() };
    let (r, e) = dissect_with(&limits, &with_options("350101 0c02 6162 3c20 41"));
    assert_eq!(r.expect("record").options, [53]);
    assert!(e.contains(&malformed("dhcp.option_overruns_message")), "{e:?}");
}

#[test]
fn zero_overload_passes_ignore_option_52() {
    let limits = Limits { dhcp: DhcpLimits { max_option_overload_passes: 0, ..DhcpLimits::default() }, ..Limits::default() };
    let (r, e) = dissect_with(&limits, &unhex(SV_OVERLOAD_OFFER_SNAME));
    let r = r.expect("record");
    assert_eq!((r.routers.len(), r.dns_servers.len()), (0, 0));
    assert_eq!(e, [DissectEventKind::LimitExceeded { limit: "dhcp.max_option_overload_passes", value: 1 }]);
}

#[test]
fn fuzz_properties_hold_on_every_real_and_annotated_message() {
    for m in real_chunks() {
        fuzz(&m);
        fuzz(&m[..m.len() / 2]);
    }
    fuzz(&over_every_limit());
}

/// A valid fixed header and cookie (from a real DISCOVER) followed by `options`.
fn real_header_with(options: &[u8]) -> Vec<u8> {
    let mut m = unhex(ZEEK_ALL_TYPES_1_DISCOVER);
    m.truncate(FIXED_LEN + 4);
    m.extend_from_slice(options);
    m
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_and_hold_the_fuzz_properties(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..700)) {
        fuzz(&data);
    }

    #[test]
    fn arbitrary_options_after_a_valid_header_never_panic_and_keep_the_record(opts in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        let m = real_header_with(&opts);
        fuzz(&m);
        proptest::prop_assert!(dissect(&m).0.is_some(), "a whole header and cookie always give a record");
    }

    #[test]
    fn arbitrary_overloaded_fields_never_panic(sname in proptest::collection::vec(proptest::prelude::any::<u8>(), 64), file in proptest::collection::vec(proptest::prelude::any::<u8>(), 128), overload in 0u8..=4) {
        let mut m = unhex(ZEEK_ALL_TYPES_1_DISCOVER);
        m[44..108].copy_from_slice(&sname);
        m[108..236].copy_from_slice(&file);
        m.truncate(FIXED_LEN + 4);
        m.extend_from_slice(&[53, 1, 2, 52, 1, overload, 255]);
        fuzz(&m);
    }

    #[test]
    fn real_messages_with_one_octet_changed_never_panic(which in 0usize..19, at in 0usize..400, value in proptest::prelude::any::<u8>()) {
        let mut m = unhex(REAL[which % REAL.len()].1);
        let at = at % m.len();
        m[at] = value;
        fuzz(&m);
    }
}
