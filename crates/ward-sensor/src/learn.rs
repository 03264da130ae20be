//! What the inventory learns from dissector records: names and DHCP fingerprints.
//!
//! DHCP requests describe the client (host name, FQDN, vendor class, parameter request list,
//! client id); DHCP acknowledgements tie its MAC to an address. DNS answers tie addresses to
//! names: A/AAAA forwards (including mDNS announcements) and PTR reverses.

use crate::findings::Kind;
use crate::inventory::{Inventory, Side};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use ward_dissect::Record;
use ward_dissect::dhcp::DhcpRecord;
use ward_dissect::dns::DnsRecord;
use ward_dissect::hl7::Hl7Record;
use ward_dissect::http::HttpRecord;
use ward_dissect::dicom::DicomRecord;
use ward_dissect::ftp::FtpRecord;
use ward_dissect::mqtt::MqttRecord;
use ward_dissect::snmp::SnmpRecord;
use ward_dissect::telnet::TelnetRecord;
use ward_dissect::tls::{Certificate, TlsRecord};
use ward_model::{AppProtocol, Timestamp};

pub(crate) fn learn(inv: &mut Inventory, ts: Timestamp, sender: &Side, receiver: &Side, record: &Record) {
    match record {
        Record::Dhcp(d) => dhcp(inv, d),
        Record::Dns(d) => dns(inv, d),
        Record::Hl7(h) => hl7(inv, ts, sender, receiver, h),
        Record::Mqtt(m) => mqtt(inv, ts, sender, receiver, m),
        Record::Tls(t) => tls(inv, ts, sender, receiver, t),
        Record::Dicom(d) => dicom(inv, ts, sender, receiver, d),
        Record::Ftp(f) => ftp(inv, ts, sender, receiver, f),
        Record::Snmp(n) => snmp(inv, ts, sender, receiver, n),
        Record::Telnet(t) => telnet(inv, ts, sender, receiver, t),
        Record::Http(h) => http(inv, ts, sender, receiver, h),
        Record::Syslog(l) => {
            if let Some(h) = &l.hostname {
                inv.add_clue(ts, sender, "syslog.hostname", h);
            }
            if let Some(a) = &l.app_name {
                inv.add_clue(ts, sender, "syslog.app", a);
            }
        }
        _ => {}
    }
}

/// `APPLICATION@FACILITY`, or the application alone.
fn hl7_app(app: &Option<String>, facility: &Option<String>) -> Option<String> {
    match (app, facility) {
        (Some(a), Some(f)) => Some(format!("{a}@{f}")),
        (Some(a), None) => Some(a.clone()),
        (None, Some(f)) => Some(format!("@{f}")),
        (None, None) => None,
    }
}

/// HL7: the sender is MSH-3/4, the receiver MSH-5/6; a message with patient fields on a
/// connection Ward can read is patient data in cleartext.
fn hl7(inv: &mut Inventory, ts: Timestamp, sender: &Side, receiver: &Side, h: &Hl7Record) {
    if let Some(a) = hl7_app(&h.sending_application, &h.sending_facility) {
        inv.add_hl7_app(ts, sender, a);
    }
    if let Some(a) = hl7_app(&h.receiving_application, &h.receiving_facility) {
        inv.add_hl7_app(ts, receiver, a);
    }
    if h.carries_phi() {
        let kind = match (&h.message_type, &h.trigger_event) {
            (Some(t), Some(e)) => Some(format!("{t}^{e}")),
            (Some(t), None) => Some(t.clone()),
            _ => None,
        };
        let fields: Vec<&str> = h.phi_fields.iter().map(AsRef::as_ref).collect();
        inv.finding(Kind::CleartextPhi, ts, sender, receiver, AppProtocol::Hl7, &fields, kind.as_deref());
    }
}

fn dhcp(inv: &mut Inventory, d: &DhcpRecord) {
    let Some(mac) = d.client_mac.as_deref() else { return };
    let is_request = d.kind == "request";
    inv.add_dhcp(mac, |fp, names, ips| {
        if is_request {
            if d.vendor_class_identifier.is_some() {
                fp.vendor_class.clone_from(&d.vendor_class_identifier);
            }
            if !d.parameter_request_list.is_empty() {
                let codes: Vec<String> = d.parameter_request_list.iter().map(ToString::to_string).collect();
                fp.parameter_request_list = Some(codes.join(","));
            }
            if d.client_id.is_some() {
                fp.client_id.clone_from(&d.client_id);
            }
            names.extend(d.hostname.iter().cloned());
            names.extend(d.fqdn.iter().map(|f| f.name.clone()));
            if !d.client_ip.is_unspecified() {
                ips.push(IpAddr::V4(d.client_ip));
            }
        } else if d.dhcp_type == Some("ack") && !d.assigned_ip.is_unspecified() {
            ips.push(IpAddr::V4(d.assigned_ip));
        }
    });
}

fn dns(inv: &mut Inventory, d: &DnsRecord) {
    if d.kind != "response" || d.rcode != "NOERROR" {
        return;
    }
    for a in d.answers.iter().chain(&d.additionals) {
        let Some(rdata) = a.rdata.as_deref() else { continue };
        match a.rrtype.as_str() {
            "A" | "AAAA" => {
                if let Ok(ip) = rdata.parse::<IpAddr>() {
                    inv.add_ip_name(ip, &a.rrname);
                }
            }
            "PTR" => {
                if let Some(ip) = reverse_ip(&a.rrname) {
                    inv.add_ip_name(ip, rdata);
                }
            }
            _ => {}
        }
    }
}

/// `4.3.2.1.in-addr.arpa` -> 1.2.3.4; nibble-reversed `ip6.arpa` -> the IPv6 address.
fn reverse_ip(name: &str) -> Option<IpAddr> {
    let lower = name.to_ascii_lowercase();
    if let Some(rest) = lower.strip_suffix(".in-addr.arpa") {
        let parts: Vec<u8> = rest.split('.').map(|p| p.parse::<u8>().ok()).collect::<Option<_>>()?;
        if parts.len() != 4 {
            return None;
        }
        return Some(IpAddr::V4(Ipv4Addr::new(parts[3], parts[2], parts[1], parts[0])));
    }
    let rest = lower.strip_suffix(".ip6.arpa")?;
    let nibbles: Vec<u8> = rest.split('.').map(|p| u8::from_str_radix(p, 16).ok().filter(|_| p.len() == 1)).collect::<Option<_>>()?;
    if nibbles.len() != 32 {
        return None;
    }
    let mut b = [0u8; 16];
    for (i, n) in nibbles.iter().rev().enumerate() {
        b[i / 2] |= if i % 2 == 0 { n << 4 } else { *n };
    }
    Some(IpAddr::V6(Ipv6Addr::from(b)))
}


/// MQTT: a CONNECT names the client; one carrying a password on a connection Ward can read is
/// a credential in cleartext.
fn mqtt(inv: &mut Inventory, ts: Timestamp, sender: &Side, receiver: &Side, m: &MqttRecord) {
    if m.kind == "publish" && !m.phi_indicators.is_empty() {
        inv.finding(Kind::CleartextPhi, ts, sender, receiver, AppProtocol::Mqtt, &m.phi_indicators, Some("PUBLISH"));
    }
    if m.kind != "connect" {
        return;
    }
    if let Some(id) = m.client_id.as_deref().filter(|i| !i.is_empty()) {
        inv.add_mqtt_id(ts, sender, id);
    }
    if m.password_present == Some(true) {
        inv.finding(Kind::CleartextCredentials, ts, sender, receiver, AppProtocol::Mqtt, &["CONNECT password"], None);
    } else if m.username_present == Some(true) {
        inv.finding(Kind::CleartextCredentials, ts, sender, receiver, AppProtocol::Mqtt, &["CONNECT username"], None);
    }
}

/// TLS: client fingerprints and server certificate subjects are identity clues; what the server
/// negotiates (old versions, weak suites) and the certificate it presents raise findings about
/// the server.
fn tls(inv: &mut Inventory, ts: Timestamp, sender: &Side, receiver: &Side, t: &TlsRecord) {
    match t {
        TlsRecord::ClientHello(c) => {
            if let Some(j) = &c.ja4 {
                inv.add_clue(ts, sender, "tls.ja4", j);
            }
            if let Some(j) = &c.ja3_hash {
                inv.add_clue(ts, sender, "tls.ja3", j);
            }
        }
        TlsRecord::ServerHello(s) => {
            if ward_dissect::tls::is_deprecated_version(s.version) {
                inv.finding(Kind::DeprecatedTls, ts, sender, receiver, AppProtocol::Tls, &[&s.version_name], Some(&s.cipher_suite_name));
            }
            if !s.cipher_suite_weaknesses.is_empty() {
                let w: Vec<&str> = s.cipher_suite_weaknesses.iter().map(|w| w.as_str()).collect();
                inv.finding(Kind::WeakCipher, ts, sender, receiver, AppProtocol::Tls, &w, Some(&s.cipher_suite_name));
            }
        }
        TlsRecord::Certificate(chain) => {
            let Some(leaf) = chain.certificates.first() else { return };
            if leaf.subject_withheld {
                return; // a client certificate may name a person
            }
            if let Some(s) = &leaf.subject {
                inv.add_clue(ts, sender, "tls.certificate_subject", s);
            }
            let problems = certificate_problems(leaf, ts.secs());
            if !problems.is_empty() {
                let p: Vec<&str> = problems.iter().map(String::as_str).collect();
                inv.finding(Kind::UntrustedCertificate, ts, sender, receiver, AppProtocol::Tls, &p, leaf.subject_cn.as_deref());
            }
        }
        _ => {}
    }
}

/// Why a server certificate cannot be trusted, as short phrases: `self-signed`, `expired
/// 2020-01-01`, `not yet valid`, `RSA-1024 key`, `SHA-1 signature`.
fn certificate_problems(c: &Certificate, now: u64) -> Vec<String> {
    let mut p = Vec::new();
    if c.self_signed {
        p.push("self-signed".to_string());
    }
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    if let Some(end) = c.not_after_unix.filter(|e| *e < now) {
        let _ = end;
        let day = c.not_after.as_deref().map_or("", |d| d.get(..10).unwrap_or(d));
        p.push(format!("expired {day}").trim().to_string());
    }
    if c.not_before_unix.is_some_and(|b| b > now) {
        p.push("not yet valid".to_string());
    }
    match (c.key_type.as_deref(), c.key_bits) {
        (Some(k @ ("RSA" | "RSA-PSS" | "DSA" | "DH")), Some(b)) if b < 2048 => p.push(format!("{k}-{b} key")),
        (Some("EC"), Some(b)) if b < 224 => p.push(format!("EC-{b} key")),
        _ => {}
    }
    match c.signature_hash {
        Some("md2" | "md4" | "md5") => p.push(format!("{} signature", c.signature_hash.unwrap_or("").to_uppercase())),
        Some("sha1") => p.push("SHA-1 signature".to_string()),
        _ => {}
    }
    p
}

/// DICOM: AE titles and implementation identifiers name each side; the SOP classes a side asks
/// for or serves give its role; the data sets a device sends in C-STORE state its identity;
/// any data set with patient attributes is patient data in cleartext; rejected and empty
/// associations are findings about the requester.
fn dicom(inv: &mut Inventory, ts: Timestamp, sender: &Side, receiver: &Side, d: &DicomRecord) {
    match d.kind {
        "associate_rq" | "associate_ac" => {
            if d.kind == "associate_rq" {
                inv.add_clue(ts, sender, "dicom.ae_title", d.calling_ae.as_deref().unwrap_or(""));
            } else {
                // The called AE title belongs to the server once it accepted it.
                inv.add_clue(ts, sender, "dicom.ae_title", d.called_ae.as_deref().unwrap_or(""));
            }
            if let Some(u) = &d.implementation_class_uid {
                inv.add_clue(ts, sender, "dicom.implementation_class_uid", u);
            }
            if let Some(v) = &d.implementation_version_name {
                inv.add_clue(ts, sender, "dicom.implementation_version_name", v);
            }
        }
        "command" => {
            let Some(cmd) = d.command else { return };
            let sop = d.sop_class.as_deref().unwrap_or("");
            if cmd.ends_with("-RQ") {
                let role = match cmd {
                    "C-STORE-RQ" => Some("storage"),
                    "C-FIND-RQ" if sop == "1.2.840.10008.5.1.4.31" => Some("worklist"),
                    "C-FIND-RQ" | "C-MOVE-RQ" | "C-GET-RQ" => Some("query"),
                    "C-ECHO-RQ" => Some("verification"),
                    _ => None,
                };
                if let Some(role) = role {
                    let (scu, scp) = match role {
                        "storage" => ("dicom-storage-scu", "dicom-storage-scp"),
                        "worklist" => ("dicom-worklist-scu", "dicom-worklist-scp"),
                        "query" => ("dicom-query-scu", "dicom-query-scp"),
                        _ => ("dicom-verification-scu", "dicom-verification-scp"),
                    };
                    inv.add_clue(ts, sender, "role", scu);
                    inv.add_clue(ts, receiver, "role", scp);
                }
            }
            if cmd == "C-STORE-RQ" {
                for (kw, clue) in [
                    ("Manufacturer", "dicom.manufacturer"),
                    ("ManufacturerModelName", "dicom.model"),
                    ("SoftwareVersions", "dicom.software_versions"),
                    ("StationName", "dicom.station_name"),
                    ("DeviceSerialNumber", "dicom.serial_number"),
                    ("Modality", "dicom.modality"),
                ] {
                    if let Some(v) = d.device.get(kw) {
                        inv.add_clue(ts, sender, clue, v);
                    }
                }
            }
            if !d.patient_attributes.is_empty() {
                inv.finding(Kind::CleartextPhi, ts, sender, receiver, AppProtocol::Dicom, &d.patient_attributes, Some(cmd));
            }
        }
        "association" => {
            let aes = format!("{} -> {}", d.calling_ae.as_deref().unwrap_or("?"), d.called_ae.as_deref().unwrap_or("?"));
            if d.accepted == Some(false) {
                let reason = d.reason_name.unwrap_or("rejected");
                inv.finding(Kind::DicomAssociationRejected, ts, sender, receiver, AppProtocol::Dicom, &[reason], Some(&aes));
            } else if d.commands.is_empty() && d.ended != Some("gap") {
                let shape = if d.ended == Some("release") { "accepted, released without any command" } else { "accepted, dropped without any command or release" };
                inv.dicom_idle_association(ts, sender, receiver, d.calling_ae.as_deref().unwrap_or(""), &aes, shape);
            } else if !d.commands.is_empty() {
                inv.dicom_ae_worked(d.calling_ae.as_deref().unwrap_or(""), sender.ip);
            }
        }
        _ => {}
    }
}

/// FTP: a USER or PASS with an argument on a connection Ward can read is a credential in
/// cleartext (anonymous logins excepted); the greeting and SYST reply are device clues.
fn ftp(inv: &mut Inventory, ts: Timestamp, sender: &Side, receiver: &Side, f: &FtpRecord) {
    match (f.kind, f.command.as_deref(), f.code) {
        ("request", Some("PASS"), _) if f.argument_present => {
            inv.finding(Kind::CleartextCredentials, ts, sender, receiver, AppProtocol::Ftp, &["PASS password"], None);
        }
        ("request", Some("USER"), _) if f.argument_present && !f.anonymous => {
            inv.finding(Kind::CleartextCredentials, ts, sender, receiver, AppProtocol::Ftp, &["USER name"], None);
        }
        ("reply", _, Some(220)) => inv.add_clue(ts, sender, "ftp.banner", f.text.as_deref().unwrap_or("")),
        ("reply", _, Some(215)) => inv.add_clue(ts, sender, "ftp.syst", f.text.as_deref().unwrap_or("")),
        _ => {}
    }
}

/// SNMP: a v1/v2c request carries its community, a password, in cleartext; responses name
/// the agent (sysDescr, sysObjectID, sysName).
fn snmp(inv: &mut Inventory, ts: Timestamp, sender: &Side, receiver: &Side, n: &SnmpRecord) {
    if n.community_present && n.kind != "response" {
        let what = if n.community_is_default { "default community string" } else { "community string" };
        inv.finding(Kind::CleartextCredentials, ts, sender, receiver, AppProtocol::Snmp, &[what], Some(&format!("SNMPv{}", n.version)));
    }
    if n.kind == "response" {
        for (clue, v) in [("snmp.sysdescr", &n.sys_descr), ("snmp.sysobjectid", &n.sys_object_id), ("snmp.sysname", &n.sys_name)] {
            if let Some(v) = v {
                inv.add_clue(ts, sender, clue, v);
            }
        }
    }
}

/// Telnet: a login typed on a cleartext connection is a credential in cleartext (the record is
/// the client's); the banner names the server.
fn telnet(inv: &mut Inventory, ts: Timestamp, sender: &Side, receiver: &Side, t: &TelnetRecord) {
    match t.kind {
        "banner" => inv.add_clue(ts, sender, "telnet.banner", t.banner.as_deref().unwrap_or("")),
        "login" if t.password_sent || t.username_sent => {
            let what = if t.password_sent { "login password" } else { "login name" };
            let outcome = t.outcome.map(|o| format!("login {o}"));
            inv.finding(Kind::CleartextCredentials, ts, sender, receiver, AppProtocol::Telnet, &[what], outcome.as_deref());
        }
        _ => {}
    }
}

/// HTTP: Basic credentials on a cleartext connection; patient data in a body (FHIR Patient,
/// HL7 PID, DICOM files, identity JSON keys); User-Agent and Server as identity clues.
fn http(inv: &mut Inventory, ts: Timestamp, sender: &Side, receiver: &Side, h: &HttpRecord) {
    if h.kind == "request" {
        if let Some(ua) = &h.user_agent {
            inv.add_clue(ts, sender, "http.user_agent", ua);
        }
        if h.basic_auth_present || h.url_userinfo_present {
            let what = if h.basic_auth_present { "Authorization: Basic" } else { "user:password in URL" };
            inv.finding(Kind::CleartextCredentials, ts, sender, receiver, AppProtocol::Http, &[what], h.method.as_deref());
        }
    } else if let Some(sv) = &h.server {
        inv.add_clue(ts, sender, "http.server", sv);
    }
    if !h.phi_indicators.is_empty() {
        let ctx = h.clinical_content.or(if h.kind == "request" { Some("request body") } else { Some("response body") });
        inv.finding(Kind::CleartextPhi, ts, sender, receiver, AppProtocol::Http, &h.phi_indicators, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::reverse_ip;

    #[test]
    fn reverse_names_give_addresses() {
        assert_eq!(reverse_ip("9.0.77.10.in-addr.arpa"), "10.77.0.9".parse().ok());
        let v6 = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.7.d.f.ip6.arpa";
        assert_eq!(reverse_ip(v6), "fd77::1".parse().ok());
        assert_eq!(reverse_ip("example.org"), None);
        assert_eq!(reverse_ip("1.2.3.in-addr.arpa"), None);
    }
}
