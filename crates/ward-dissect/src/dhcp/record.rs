//! The DHCP record: one message, with the fields that identify a device and its lease.
//! Field names follow Suricata's EVE `dhcp` object where it has one.

use serde::Serialize;
use std::net::Ipv4Addr;

/// One DHCP or BOOTP message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DhcpRecord {
    /// `request` (BOOTREQUEST) or `reply` (BOOTREPLY).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Transaction id.
    pub id: u32,
    /// Client hardware address from `chaddr`, when it is an Ethernet address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_mac: Option<String>,
    /// `ciaddr`: the client's current address (renewals, informs).
    pub client_ip: Ipv4Addr,
    /// `yiaddr`: the address the server assigns.
    pub assigned_ip: Ipv4Addr,
    /// `giaddr`: relay agent.
    pub relay_ip: Ipv4Addr,
    /// `siaddr`: next server (boot).
    pub next_server_ip: Ipv4Addr,
    /// Option 53 message type (`discover`, `offer`, `request`, `ack`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dhcp_type: Option<&'static str>,
    /// Option 12, as sent (a trailing NUL is kept, as Suricata does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Option 81, client FQDN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<DhcpFqdn>,
    /// Option 60, vendor class identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor_class_identifier: Option<String>,
    /// Option 55, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<String>,
    /// Option 55, raw codes in order: the classic DHCP device fingerprint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameter_request_list: Vec<u8>,
    /// Option 61, colon hex; for hardware type 1 the address only, as Suricata prints it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Option 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 54.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_id: Option<Ipv4Addr>,
    /// Option 51, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_time: Option<u32>,
    /// Option 58, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_time: Option<u32>,
    /// Option 59, seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebinding_time: Option<u32>,
    /// Option 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_mask: Option<Ipv4Addr>,
    /// Option 3.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routers: Vec<Ipv4Addr>,
    /// Option 6.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<Ipv4Addr>,
    /// Option 15.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name: Option<String>,
    /// Every option code present, in order (another fingerprint).
    pub options: Vec<u8>,
}

/// Option 81 (RFC 4702 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DhcpFqdn {
    /// Flags octet (S, O, E, N bits).
    pub flags: u8,
    /// The name: decoded from DNS wire format when the E bit is set, as ASCII otherwise.
    pub name: String,
}
