//! The DHCP record: one BOOTP/DHCP message, the single source of its output schema.
//!
//! Field names are Suricata's EVE `dhcp` object names wherever Suricata has the field (`type`,
//! `id`, `client_mac`, `client_ip`, `assigned_ip`, `relay_ip`, `next_server_ip`, `dhcp_type`,
//! `hostname`, `vendor_class_identifier`, `params`, `client_id`, `requested_ip`, `lease_time`,
//! `renewal_time`, `rebinding_time`, `subnet_mask`, `routers`, `dns_servers`), so a record can
//! be compared with Suricata's output key by key. The others are Ward's own. Absent options are
//! absent keys, never empty strings or zero addresses.

use serde::Serialize;
use std::net::Ipv4Addr;

/// One DHCP or BOOTP message (RFC 2131 §2, figure 1, and the options of RFC 2132).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DhcpRecord {
    /// `op`: `request` (BOOTREQUEST, 1) or `reply` (BOOTREPLY, 2).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `xid`, the transaction id the client chose.
    pub id: u32,
    /// `chaddr` as `aa:bb:cc:dd:ee:ff`, when `htype` is 1 (Ethernet) and `hlen` is 6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_mac: Option<String>,
    /// `ciaddr`: the client's address, filled in when it already has one (renew, inform).
    pub client_ip: Ipv4Addr,
    /// `yiaddr`: the address the server offers or assigns.
    pub assigned_ip: Ipv4Addr,
    /// `giaddr`: the relay agent the message went through, 0.0.0.0 if none.
    pub relay_ip: Ipv4Addr,
    /// `siaddr`: the next server of the boot process (TFTP), 0.0.0.0 if none.
    pub next_server_ip: Ipv4Addr,
    /// `sname` as text up to its NUL, when it is a server name (not carrying options, not
    /// empty). A server name nobody configured is how a rogue PXE server shows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// `file` as text up to its NUL, when it is a boot file name (not carrying options, not
    /// empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boot_file: Option<String>,
    /// Option 53, the DHCP message type: `discover`, `offer`, `request`, `decline`, `ack`,
    /// `nak`, `release`, `inform`, the lease query types, or `unknown`. Absent in BOOTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dhcp_type: Option<&'static str>,
    /// Option 12, the client's host name, as sent (a trailing NUL is kept, as Suricata does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Option 81, the client's fully qualified domain name (RFC 4702).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<DhcpFqdn>,
    /// Option 60, the vendor class identifier (`MSFT 5.0`, `udhcp 1.36.1`, a device model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_class_identifier: Option<String>,
    /// Option 55 by Suricata's names; codes Suricata has no name for are left out here (they
    /// are all in `parameter_request_list`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<&'static str>,
    /// Option 55, the codes as sent, in order: the classic DHCP device fingerprint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameter_request_list: Vec<u8>,
    /// Option 61 after its type octet, colon hex: for type 1 (Ethernet) the MAC address, as
    /// Suricata prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Option 61's type octet (RFC 2132 §9.14: a hardware type, 0 for other identifiers, 255
    /// for RFC 4361's IAID and DUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id_type: Option<u8>,
    /// Option 50, the address the client asks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 54, the server identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_id: Option<Ipv4Addr>,
    /// Option 51, the lease, in seconds (0xffffffff: infinite).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_time: Option<u32>,
    /// Option 58, T1, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_time: Option<u32>,
    /// Option 59, T2, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebinding_time: Option<u32>,
    /// Option 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_mask: Option<Ipv4Addr>,
    /// Option 3, in order of preference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routers: Vec<Ipv4Addr>,
    /// Option 6, in order of preference.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<Ipv4Addr>,
    /// Option 15, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// Option 56, the server's error text (in a NAK) or the client's (in a DECLINE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Option 77 (RFC 3004): each user class; a value that is not a list of length-prefixed
    /// classes (as some clients send) is one class, as sent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub user_class: Vec<String>,
    /// Every option code present (pad and end excepted), in the order read: `options`, then
    /// `file` and `sname` when option 52 says they carry options. Another fingerprint.
    pub options: Vec<u8>,
}

/// Option 81, the client FQDN (RFC 4702 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DhcpFqdn {
    /// The flags octet: S (0x01) server updates the A RR, O (0x02) server overrode the
    /// client, E (0x04) the name is in DNS wire format, N (0x08) no server updates.
    pub flags: u8,
    /// The name as dotted text, whichever encoding it came in (E set: DNS wire format, RFC
    /// 1035 §3.1; E clear: the deprecated ASCII form). Empty when the client leaves the name
    /// to the server.
    pub name: String,
}
