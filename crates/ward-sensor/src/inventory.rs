//! The asset inventory: who is on the network, what they are called, what they speak.
//!
//! Traffic is accounted per (MAC, IP) endpoint as flows end, which costs nothing per packet.
//! When the report is built, endpoints become assets: keyed by MAC, except that a MAC seen with
//! many IPv4 addresses is a router, and the hosts behind it become assets keyed by IP. Names
//! come from DHCP (host name, FQDN) and DNS answers. Every table is capped; what a cap drops is
//! counted.

use crate::decode::Arp;
use crate::flow::EndReason;
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;
use ward_dissect::Record;
use ward_model::report::{
    Asset, AssetProtocols, Conversation, DhcpFingerprint, Endpoint as ReportEndpoint, FlowSummary, ProtocolStat,
};
use ward_model::report::Finding;
use crate::fingerprint::Knowledge;
use crate::findings::{self, Kind};
use std::sync::Arc;
use ward_model::{AppProtocol, Timestamp, Transport};

/// Bounds on what the inventory keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryLimits {
    /// (MAC, IP) endpoints tracked.
    pub max_endpoints: usize,
    /// Distinct peers remembered per endpoint (the count stops growing there).
    pub max_peers: usize,
    /// Flow summaries kept for the report; the rest are counted in `flows_omitted`.
    pub max_flow_records: usize,
    /// Pairs of endpoints in the who-talks-to-whom table.
    pub max_conversations: usize,
    /// Names remembered per IP or MAC.
    pub max_names: usize,
    /// Distinct IPv4 addresses behind one MAC above which that MAC is taken for a router.
    pub router_threshold: usize,
    /// Distinct identity clues (name, value) remembered per endpoint.
    pub max_clues: usize,
}

impl Default for InventoryLimits {
    fn default() -> Self {
        InventoryLimits {
            max_endpoints: 200_000,
            max_peers: 256,
            max_flow_records: 100_000,
            max_conversations: 200_000,
            max_names: 8,
            router_threshold: 4,
            max_clues: 48,
        }
    }
}

/// One end of a flow.
#[derive(Debug, Clone, Copy)]
pub struct Side {
    /// Hardware address seen on frames it sent.
    pub mac: Option<[u8; 6]>,
    /// IP address.
    pub ip: IpAddr,
    /// Port.
    pub port: u16,
}

/// A flow as it leaves the flow table.
#[derive(Debug, Clone)]
pub struct FlowEnd {
    /// Initiator.
    pub client: Side,
    /// Responder.
    pub server: Side,
    /// Transport.
    pub transport: Transport,
    /// IP protocol number.
    pub ip_proto: u8,
    /// Outer VLAN.
    pub vlan: Option<u16>,
    /// Recognised application protocol.
    pub service: Option<AppProtocol>,
    /// First packet.
    pub start: Timestamp,
    /// Last packet.
    pub last: Timestamp,
    /// Packets per direction (to server, to client).
    pub pkts: [u64; 2],
    /// Captured bytes per direction.
    pub bytes: [u64; 2],
    /// Payload bytes per direction.
    pub payload: [u64; 2],
    /// Payload bytes lost to gaps.
    pub missed: u64,
    /// Zeek-style state.
    pub state: &'static str,
    /// Picked up without a handshake.
    pub midstream: bool,
    /// Why it ended.
    pub reason: EndReason,
}

/// A service as the inventory counts it: a recognised protocol, or transport and server port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    /// Recognised by a dissector.
    App(AppProtocol),
    /// Unrecognised: transport and server port.
    Port(Transport, u16),
    /// A transport without ports, by IP protocol number.
    Proto(u8),
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceKey::App(p) => f.write_str(p.as_str()),
            ServiceKey::Port(t, p) => write!(f, "{}/{p}", t.as_str()),
            ServiceKey::Proto(1) => f.write_str("icmp"),
            ServiceKey::Proto(58) => f.write_str("icmpv6"),
            ServiceKey::Proto(n) => write!(f, "ip/{n}"),
        }
    }
}

type Mac = [u8; 6];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct EndpointKey {
    mac: Option<Mac>,
    ip: Option<IpAddr>,
}

#[derive(Debug)]
struct EndpointStats {
    key: EndpointKey,
    first: Timestamp,
    last: Timestamp,
    packets: u64,
    bytes: u64,
    client: Vec<ServiceKey>,
    server: Vec<ServiceKey>,
    peers: FxHashSet<u32>,
    peer_overflow: bool,
    hl7_apps: Vec<String>,
    mqtt_ids: Vec<String>,
    clues: Vec<(&'static str, Box<str>)>,
}

/// Most HL7 application names remembered per endpoint.
const MAX_HL7_APPS: usize = 16;

/// Findings kept at once; beyond it new ones are counted, not stored.
const MAX_FINDINGS: usize = 10_000;

/// Most services remembered per endpoint and role; a device speaking more is a scanner or a
/// server of everything, and the first ones say enough.
const MAX_SERVICES: usize = 64;

fn add_service(v: &mut Vec<ServiceKey>, s: ServiceKey) {
    if v.len() < MAX_SERVICES && !v.contains(&s) {
        v.push(s);
    }
}

#[derive(Debug, Default)]
struct ConvStats {
    services: BTreeSet<ServiceKey>,
    flows: u64,
    packets: u64,
    bytes: u64,
}

/// What DHCP taught us about one MAC.
#[derive(Debug, Default, Clone)]
struct DhcpSeen {
    fingerprint: DhcpFingerprint,
    names: BTreeSet<String>,
    assigned: BTreeSet<IpAddr>,
}

/// The inventory under construction.
#[derive(Debug)]
pub struct Inventory {
    limits: InventoryLimits,
    index: FxHashMap<EndpointKey, u32>,
    endpoints: Vec<EndpointStats>,
    conversations: FxHashMap<(u32, u32), ConvStats>,
    services: FxHashMap<ServiceKey, (u64, u64, u64)>,
    flows: Vec<FlowSummary>,
    flows_omitted: u64,
    names_by_ip: FxHashMap<IpAddr, BTreeSet<String>>,
    dhcp: FxHashMap<Mac, DhcpSeen>,
    arp_owned: FxHashMap<Mac, BTreeSet<IpAddr>>,
    /// Endpoints not tracked because the table was full.
    pub dropped_endpoints: u64,
    dropped_conversations: u64,
    findings: FxHashMap<(Kind, EndpointKey, EndpointKey, AppProtocol), findings::Acc>,
    dropped_findings: u64,
    /// (calling AE title, host) pairs that issued at least one DIMSE command in the capture.
    dicom_working_aes: FxHashSet<(String, IpAddr)>,
    /// Associations that carried no command, judged at the end: a scan only if their calling
    /// AE title never did any work anywhere (the "from an unknown AE").
    dicom_idle: Vec<IdleAssociation>,
    knowledge: Arc<Knowledge>,
}

/// An accepted DICOM association that ended without a single command.
#[derive(Debug)]
struct IdleAssociation {
    ts: Timestamp,
    sender: Side,
    receiver: Side,
    calling_ae: String,
    aes: String,
    shape: &'static str,
}

/// Flow summaries reserved up front (the default `max_flow_records`): about 22 MiB of address
/// space, backed by memory only as summaries are stored.
const FLOW_RECORDS_RESERVED: usize = 100_000;

/// Order flows by start time, ties in arrival order (what a stable sort gives), without the
/// stable sort's scratch copy of the summaries: sort small (start, position) keys, then move
/// each summary to its place by following the permutation's cycles.
fn sort_flows_by_start(flows: &mut [FlowSummary]) {
    if flows.is_sorted_by_key(|f| f.start) {
        return;
    }
    let mut order: Vec<(Timestamp, u32)> = flows.iter().enumerate().map(|(i, f)| (f.start, i as u32)).collect();
    order.sort_unstable();
    // from[k]: where the summary that belongs at k is now; set to k once k is settled.
    let mut from: Vec<u32> = order.into_iter().map(|(_, i)| i).collect();
    for k in 0..flows.len() {
        let mut at = k;
        while from[at] as usize != at {
            let src = from[at] as usize;
            from[at] = at as u32;
            if src == k {
                break;
            }
            flows.swap(at, src);
            at = src;
        }
    }
}

/// Most command-less associations held for the end-of-capture verdict; beyond it they are
/// judged at once on what is known so far (a scanner sweeping a /16 must not grow memory).
const MAX_IDLE_ASSOCIATIONS: usize = 4096;

/// Should this address become an asset? Not unspecified, broadcast or multicast.
fn is_host_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => !(a.is_unspecified() || a.is_broadcast() || a.is_multicast()),
        IpAddr::V6(a) => !(a.is_unspecified() || a.is_multicast()),
    }
}

/// A MAC that names one host: unicast and not all zeros (loopback captures carry zeros).
fn is_host_mac(m: Mac) -> bool {
    m[0] & 1 == 0 && m != [0; 6]
}

/// `aa:bb:cc:dd:ee:ff`.
#[must_use]
pub fn format_mac(m: Mac) -> String {
    format!("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5])
}

fn parse_mac(s: &str) -> Option<Mac> {
    let mut m = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut m {
        *b = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(m)
}

/// Host names as printable, trimmed text: DHCP names often carry a trailing NUL.
/// Borrowed when nothing needs removing but the ends (names arrive by the hundred thousand in
/// DNS answers, nearly all of them already known: no copy is made to find that out).
fn clean_name(s: &str) -> Option<Cow<'_, str>> {
    let cut = |t: &str| -> Option<(usize, usize)> {
        let at = t.len() - t.trim_start().len();
        let kept = t[at..].trim_end().trim_end_matches('.');
        (!kept.is_empty() && kept.len() <= 255).then_some((at, at + kept.len()))
    };
    if s.chars().any(char::is_control) {
        let t: String = s.chars().filter(|c| !c.is_control()).collect();
        let (a, b) = cut(&t)?;
        return Some(Cow::Owned(t[a..b].to_string()));
    }
    let (a, b) = cut(s)?;
    Some(Cow::Borrowed(&s[a..b]))
}

impl Inventory {
    /// An empty inventory.
    #[must_use]
    pub fn new(limits: InventoryLimits, knowledge: Arc<Knowledge>) -> Inventory {
        // The flow list fills up to its configured cap on any busy network: reserving it at
        // once (address space only; pages are touched as summaries arrive) saves copying it
        // through every doubling. Caps beyond the default grow as usual past it.
        let flows = Vec::with_capacity(limits.max_flow_records.min(FLOW_RECORDS_RESERVED));
        Inventory {
            knowledge,
            limits,
            index: FxHashMap::default(),
            endpoints: Vec::new(),
            conversations: FxHashMap::default(),
            services: FxHashMap::default(),
            flows,
            flows_omitted: 0,
            names_by_ip: FxHashMap::default(),
            dhcp: FxHashMap::default(),
            arp_owned: FxHashMap::default(),
            dropped_endpoints: 0,
            dropped_conversations: 0,
            findings: FxHashMap::default(),
            dropped_findings: 0,
            dicom_working_aes: FxHashSet::default(),
            dicom_idle: Vec::new(),
        }
    }

    fn endpoint(&mut self, mac: Option<Mac>, ip: Option<IpAddr>, ts: Timestamp) -> Option<u32> {
        let mac = mac.filter(|m| is_host_mac(*m));
        let ip = ip.filter(|i| is_host_ip(*i));
        if mac.is_none() && ip.is_none() {
            return None;
        }
        let key = EndpointKey { mac, ip };
        if let Some(i) = self.index.get(&key) {
            return Some(*i);
        }
        if self.endpoints.len() >= self.limits.max_endpoints {
            self.dropped_endpoints += 1;
            return None;
        }
        let i = self.endpoints.len() as u32;
        self.endpoints.push(EndpointStats {
            key,
            first: ts,
            last: ts,
            packets: 0,
            bytes: 0,
            client: Vec::new(),
            server: Vec::new(),
            peers: FxHashSet::default(),
            peer_overflow: false,
            hl7_apps: Vec::new(),
            mqtt_ids: Vec::new(),
            clues: Vec::new(),
        });
        self.index.insert(key, i);
        Some(i)
    }

    fn touch(&mut self, i: u32, first: Timestamp, last: Timestamp, packets: u64, bytes: u64) {
        let e = &mut self.endpoints[i as usize];
        e.first = e.first.min(first);
        e.last = e.last.max(last);
        e.packets += packets;
        e.bytes += bytes;
    }

    /// An ARP message: its sender owns the IP it announces.
    pub fn observe_arp(&mut self, ts: Timestamp, arp: &Arp, len: u64) {
        let ip = IpAddr::V4(arp.sender_ip);
        if let Some(i) = self.endpoint(Some(arp.sender_mac), Some(ip), ts) {
            self.touch(i, ts, ts, 1, len);
            if is_host_ip(ip) && self.arp_owned.len() < self.limits.max_endpoints {
                let owned = self.arp_owned.entry(arp.sender_mac).or_default();
                if owned.len() < self.limits.max_names {
                    owned.insert(ip);
                }
            }
        }
    }

    /// A non-IP frame (LLDP, STP...): its sender exists.
    pub fn observe_l2(&mut self, ts: Timestamp, mac: Mac, len: u64) {
        if let Some(i) = self.endpoint(Some(mac), None, ts) {
            self.touch(i, ts, ts, 1, len);
        }
    }

    /// A dissector record, sent by `sender` to `receiver`: learn names, fingerprints and
    /// application identities, and raise findings.
    pub fn observe_record(&mut self, ts: Timestamp, sender: &Side, receiver: &Side, record: &Record) {
        crate::learn::learn(self, ts, sender, receiver, record);
    }

    /// Remember an HL7 application name for the endpoint `side`.
    pub(crate) fn add_hl7_app(&mut self, ts: Timestamp, side: &Side, app: String) {
        if let Some(i) = self.endpoint(side.mac, Some(side.ip), ts) {
            let apps = &mut self.endpoints[i as usize].hl7_apps;
            if apps.len() < MAX_HL7_APPS && !apps.contains(&app) {
                apps.push(app);
            }
        }
    }

    /// Remember an MQTT client id for the endpoint `side`.
    pub(crate) fn add_mqtt_id(&mut self, ts: Timestamp, side: &Side, id: &str) {
        if let Some(i) = self.endpoint(side.mac, Some(side.ip), ts) {
            let ids = &mut self.endpoints[i as usize].mqtt_ids;
            if ids.len() < MAX_HL7_APPS && !ids.iter().any(|x| x == id) {
                ids.push(id.to_string());
            }
        }
    }

    /// Remember an identity clue (see `knowledge/devices/README.md`) for the endpoint `side`.
    /// Values are trimmed, cut to 256 characters, and kept once.
    pub(crate) fn add_clue(&mut self, ts: Timestamp, side: &Side, clue: &'static str, value: &str) {
        let v = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        if v.is_empty() {
            return;
        }
        let max = self.limits.max_clues;
        if let Some(i) = self.endpoint(side.mac, Some(side.ip), ts) {
            let clues = &mut self.endpoints[i as usize].clues;
            if clues.len() < max && !clues.iter().any(|(c, x)| *c == clue && &**x == v) {
                clues.push((clue, v.chars().take(256).collect::<String>().into_boxed_str()));
            }
        }
    }

    /// Raise (or count again) a finding of `kind` about `sender` talking to `receiver`.
    /// `details` and `context` are names, counts and identifiers only, never sensitive values.
    #[allow(clippy::too_many_arguments)] // reason: one entry point for every finding kind.
    pub(crate) fn finding(
        &mut self,
        kind: Kind,
        ts: Timestamp,
        sender: &Side,
        receiver: &Side,
        protocol: AppProtocol,
        details: &[&str],
        context: Option<&str>,
    ) {
        let key = |s: &Side| EndpointKey { mac: s.mac.filter(|m| is_host_mac(*m)), ip: Some(s.ip).filter(|i| is_host_ip(*i)) };
        let (a, b) = (key(sender), key(receiver));
        // Both ends become endpoints, so that the finding can name their assets.
        let _ = self.endpoint(a.mac, a.ip, ts);
        let _ = self.endpoint(b.mac, b.ip, ts);
        let k = (kind, a, b, protocol);
        if !self.findings.contains_key(&k) && self.findings.len() >= MAX_FINDINGS {
            self.dropped_findings += 1;
            return;
        }
        // The service port is the lower one in practice (servers listen below the ephemeral range).
        let port = sender.port.min(receiver.port);
        self.findings.entry(k).or_insert_with(|| findings::Acc::new(kind, protocol, port, ts)).add(ts, details, context);
    }

    /// A DICOM association from `calling_ae` on `host` carried at least one command.
    pub(crate) fn dicom_ae_worked(&mut self, calling_ae: &str, host: IpAddr) {
        if self.dicom_working_aes.len() < self.limits.max_endpoints {
            self.dicom_working_aes.insert((calling_ae.to_string(), host));
        }
    }

    /// An accepted association ended without any command; whether it was a scan is decided
    /// once the whole capture has shown which AE titles do real work.
    pub(crate) fn dicom_idle_association(&mut self, ts: Timestamp, sender: &Side, receiver: &Side, calling_ae: &str, aes: &str, shape: &'static str) {
        let idle = IdleAssociation { ts, sender: *sender, receiver: *receiver, calling_ae: calling_ae.to_string(), aes: aes.to_string(), shape };
        if self.dicom_idle.len() < MAX_IDLE_ASSOCIATIONS {
            self.dicom_idle.push(idle);
        } else {
            self.judge_idle(&idle);
        }
    }

    fn judge_idle(&mut self, a: &IdleAssociation) {
        // The same title doing real work from another host does not vouch for this one: a
        // scanner borrowing a known title is still a scanner.
        if !self.dicom_working_aes.contains(&(a.calling_ae.clone(), a.sender.ip)) {
            let detail = "calling AE title issued no command from this host in any association";
            self.finding(Kind::DicomScan, a.ts, &a.sender, &a.receiver, AppProtocol::Dicom, &[a.shape, detail], Some(&a.aes));
        }
    }

    pub(crate) fn add_ip_name(&mut self, ip: IpAddr, name: &str) {
        if !is_host_ip(ip) || self.names_by_ip.len() >= self.limits.max_endpoints {
            return;
        }
        if let Some(n) = clean_name(name) {
            let set = self.names_by_ip.entry(ip).or_default();
            if set.len() < self.limits.max_names && !set.contains(&*n) {
                set.insert(n.into_owned());
            }
        }
    }

    pub(crate) fn add_dhcp(&mut self, mac: &str, update: impl FnOnce(&mut DhcpFingerprint, &mut Vec<String>, &mut Vec<IpAddr>)) {
        let Some(mac) = parse_mac(mac) else { return };
        if !is_host_mac(mac) || (self.dhcp.len() >= self.limits.max_endpoints && !self.dhcp.contains_key(&mac)) {
            return;
        }
        let max = self.limits.max_names;
        let seen = self.dhcp.entry(mac).or_default();
        let mut names = Vec::new();
        let mut ips = Vec::new();
        update(&mut seen.fingerprint, &mut names, &mut ips);
        for n in names.iter().filter_map(|n| clean_name(n)) {
            if seen.names.len() < max && !seen.names.contains(&*n) {
                seen.names.insert(n.into_owned());
            }
        }
        for ip in ips.into_iter().filter(|i| is_host_ip(*i)) {
            if seen.assigned.len() < max {
                seen.assigned.insert(ip);
            }
        }
    }

    /// A flow ended: account it to both endpoints, the pair, the service, and the flow list.
    pub fn finish_flow(&mut self, f: &FlowEnd) {
        let service = match (f.service, f.transport) {
            (Some(p), _) => ServiceKey::App(p),
            (None, Transport::Tcp | Transport::Udp) => ServiceKey::Port(f.transport, f.server.port),
            (None, _) => ServiceKey::Proto(f.ip_proto),
        };
        let pkts = f.pkts[0] + f.pkts[1];
        let bytes = f.bytes[0] + f.bytes[1];
        let s = self.services.entry(service).or_default();
        s.0 += 1;
        s.1 += pkts;
        s.2 += bytes;
        let c = self.endpoint(f.client.mac, Some(f.client.ip), f.start);
        let sv = self.endpoint(f.server.mac, Some(f.server.ip), f.start);
        if let Some(c) = c {
            self.touch(c, f.start, f.last, pkts, bytes);
            add_service(&mut self.endpoints[c as usize].client, service);
        }
        // A server that never answered is not known to offer the service.
        if let Some(sv) = sv {
            if c != Some(sv) {
                self.touch(sv, f.start, f.last, pkts, bytes);
            }
            if f.pkts[1] > 0 {
                add_service(&mut self.endpoints[sv as usize].server, service);
            }
        }
        if let (Some(c), Some(sv)) = (c, sv)
            && c != sv {
                self.add_peer(c, sv);
                self.add_peer(sv, c);
                let full = self.conversations.len() >= self.limits.max_conversations;
                match self.conversations.get_mut(&(c, sv)) {
                    Some(conv) => Self::add_conv(conv, service, pkts, bytes),
                    None if full => self.dropped_conversations += 1,
                    None => {
                        let mut conv = ConvStats::default();
                        Self::add_conv(&mut conv, service, pkts, bytes);
                        self.conversations.insert((c, sv), conv);
                    }
                }
            }
        if self.flows.len() < self.limits.max_flow_records {
            self.flows.push(FlowSummary {
                start: f.start,
                duration: f.last.seconds_since(f.start),
                transport: Cow::Borrowed(f.transport.as_str()),
                ip_proto: f.ip_proto,
                client: ReportEndpoint { ip: f.client.ip, port: f.client.port },
                server: ReportEndpoint { ip: f.server.ip, port: f.server.port },
                vlan: f.vlan,
                service: f.service.map(|s| Cow::Borrowed(s.as_str())),
                client_packets: f.pkts[0],
                server_packets: f.pkts[1],
                client_bytes: f.payload[0],
                server_bytes: f.payload[1],
                client_frame_bytes: f.bytes[0],
                server_frame_bytes: f.bytes[1],
                missed_bytes: f.missed,
                state: Cow::Borrowed(f.state),
                midstream: f.midstream,
                end_reason: Cow::Borrowed(f.reason.as_str()),
            });
        } else {
            self.flows_omitted += 1;
        }
    }

    fn add_conv(conv: &mut ConvStats, service: ServiceKey, pkts: u64, bytes: u64) {
        conv.flows += 1;
        conv.packets += pkts;
        conv.bytes += bytes;
        if conv.services.len() < 32 {
            conv.services.insert(service);
        }
    }

    fn add_peer(&mut self, a: u32, b: u32) {
        let max = self.limits.max_peers;
        let e = &mut self.endpoints[a as usize];
        if e.peers.len() < max {
            e.peers.insert(b);
        } else if !e.peers.contains(&b) {
            e.peer_overflow = true;
        }
    }

    /// Build the report's inventory sections. Returns assets, protocol mix, conversations,
    /// flows (oldest first), and how many flows were left out.
    #[must_use]
    pub fn into_report(mut self) -> InventoryReport {
        for a in std::mem::take(&mut self.dicom_idle) {
            self.judge_idle(&a);
        }
        let routers = self.routers();
        // An address that DHCP or ARP ties to exactly one MAC belongs to that MAC's asset, even
        // where it was seen without one (IP-only endpoints, e.g. from cooked captures).
        let mut owner: FxHashMap<IpAddr, Option<Mac>> = FxHashMap::default();
        let owned = self.dhcp.iter().flat_map(|(m, d)| d.assigned.iter().map(move |ip| (*ip, *m)));
        for (ip, m) in owned.chain(self.arp_owned.iter().flat_map(|(m, s)| s.iter().map(move |ip| (*ip, *m)))) {
            let e = owner.entry(ip).or_insert(Some(m));
            if *e != Some(m) {
                *e = None;
            }
        }
        // Endpoint -> asset id.
        let mut asset_of: Vec<Option<String>> = Vec::with_capacity(self.endpoints.len());
        let mut assets: BTreeMap<String, AssetBuild> = BTreeMap::new();
        for e in &self.endpoints {
            let id = match (e.key.mac, e.key.ip) {
                (Some(m), Some(ip)) if routers.contains(&m) && !self.owned_by(m, ip) => format!("ip:{ip}"),
                (Some(m), _) => format!("mac:{}", format_mac(m)),
                (None, Some(ip)) => match owner.get(&ip).copied().flatten() {
                    Some(m) if !routers.contains(&m) => format!("mac:{}", format_mac(m)),
                    _ => format!("ip:{ip}"),
                },
                (None, None) => {
                    asset_of.push(None);
                    continue;
                }
            };
            let a = assets.entry(id.clone()).or_insert_with(|| AssetBuild::new(e.first));
            if let Some(m) = id.strip_prefix("mac:").and_then(parse_mac) {
                a.mac = Some(m);
            }
            if let Some(ip) = e.key.ip {
                a.ips.insert(ip);
            }
            a.first = a.first.min(e.first);
            a.last = a.last.max(e.last);
            a.packets += e.packets;
            a.bytes += e.bytes;
            a.client.extend(e.client.iter().copied());
            a.server.extend(e.server.iter().copied());
            a.peer_overflow |= e.peer_overflow;
            for app in &e.hl7_apps {
                a.hl7_apps.insert(app.clone());
            }
            for id in &e.mqtt_ids {
                a.mqtt_ids.insert(id.clone());
            }
            if a.clues.len() < 4 * self.limits.max_clues {
                a.clues.extend(e.clues.iter().cloned());
            }
            asset_of.push(Some(id));
        }
        for (i, e) in self.endpoints.iter().enumerate() {
            let Some(id) = asset_of[i].clone() else { continue };
            let peers: Vec<String> = e.peers.iter().filter_map(|p| asset_of[*p as usize].clone()).collect();
            if let Some(a) = assets.get_mut(&id) {
                for p in peers {
                    if p != id {
                        a.peers.insert(p);
                    }
                }
            }
        }
        let mut out_assets = Vec::with_capacity(assets.len());
        for (id, a) in assets {
            let mut names: BTreeSet<String> = BTreeSet::new();
            let mut dhcp = None;
            if let Some(m) = a.mac
                && let Some(d) = self.dhcp.get(&m) {
                    names.extend(d.names.iter().cloned());
                    dhcp = Some(d.fingerprint.clone());
                }
            let mut ips = a.ips.clone();
            if let Some(d) = a.mac.and_then(|m| self.dhcp.get(&m)) {
                ips.extend(d.assigned.iter().copied());
            }
            for ip in &ips {
                if let Some(n) = self.names_by_ip.get(ip) {
                    names.extend(n.iter().cloned());
                }
            }
            let peer_count = a.peers.len() as u64;
            let mut peers: Vec<String> = a.peers.into_iter().collect();
            peers.truncate(self.limits.max_peers);
            let vendor = a.mac.and_then(crate::oui::vendor);
            let device = self.identify(&a.clues, vendor, &names, dhcp.as_ref(), &a.hl7_apps, &a.mqtt_ids, &a.client, &a.server);
            let of = |clue: &str| -> Vec<String> { a.clues.iter().filter(|(c, _)| *c == clue).map(|(_, v)| v.to_string()).collect() };
            let dicom_ae_titles = of("dicom.ae_title");
            let tls_ja4 = of("tls.ja4");
            out_assets.push(Asset {
                id,
                mac: a.mac.map(format_mac),
                ips: ips.into_iter().collect(),
                vendor: vendor.map(str::to_string),
                hostnames: names.into_iter().collect(),
                protocols: AssetProtocols {
                    client: a.client.iter().map(ToString::to_string).collect(),
                    server: a.server.iter().map(ToString::to_string).collect(),
                },
                peers,
                peer_count,
                dhcp,
                hl7_applications: a.hl7_apps.into_iter().collect(),
                mqtt_client_ids: a.mqtt_ids.into_iter().collect(),
                dicom_ae_titles,
                tls_ja4,
                device,
                first_seen: a.first,
                last_seen: a.last,
                packets: a.packets,
                bytes: a.bytes,
            });
        }
        out_assets.sort_by(|x, y| (x.ips.is_empty(), x.ips.first(), &x.id).cmp(&(y.ips.is_empty(), y.ips.first(), &y.id)));

        let mut protocols: Vec<ProtocolStat> = self
            .services
            .iter()
            .map(|(k, (flows, packets, bytes))| ProtocolStat { service: k.to_string(), flows: *flows, packets: *packets, bytes: *bytes })
            .collect();
        protocols.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.service.cmp(&b.service)));

        let mut convs: BTreeMap<(String, String), ConvStats> = BTreeMap::new();
        for ((c, s), st) in self.conversations.drain() {
            let (Some(ca), Some(sa)) = (asset_of[c as usize].clone(), asset_of[s as usize].clone()) else { continue };
            if ca == sa {
                continue;
            }
            let e = convs.entry((ca, sa)).or_default();
            e.flows += st.flows;
            e.packets += st.packets;
            e.bytes += st.bytes;
            e.services.extend(st.services);
        }
        let mut conversations: Vec<Conversation> = convs
            .into_iter()
            .map(|((client, server), st)| Conversation {
                client,
                server,
                services: st.services.iter().map(ToString::to_string).collect(),
                flows: st.flows,
                packets: st.packets,
                bytes: st.bytes,
            })
            .collect();
        conversations.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| (&a.client, &a.server).cmp(&(&b.client, &b.server))));

        let id_of = |k: &EndpointKey| -> Option<String> {
            self.index.get(k).and_then(|i| asset_of.get(*i as usize).cloned().flatten())
        };
        // People-readable names for titles: `host (address)`.
        let labels: FxHashMap<&str, String> = out_assets
            .iter()
            .map(|a| {
                let addr = a.ips.first().map_or_else(|| a.mac.clone().unwrap_or_else(|| a.id.clone()), ToString::to_string);
                let label = match a.hostnames.first() {
                    Some(h) => format!("{} ({addr})", h.split('.').next().unwrap_or(h)),
                    None => addr,
                };
                (a.id.as_str(), label)
            })
            .collect();
        let label = |id: &Option<String>, k: &EndpointKey| -> String {
            id.as_deref()
                .and_then(|i| labels.get(i).cloned())
                .unwrap_or_else(|| k.ip.map_or_else(|| "an unknown host".to_string(), |i| i.to_string()))
        };
        let mut findings: Vec<Finding> = Vec::with_capacity(self.findings.len());
        for ((_, a, b, _), f) in &self.findings {
            let (asset, peer) = (id_of(a), id_of(b));
            let (from, to) = (label(&asset, a), label(&peer, b));
            findings.push(findings::render(f, asset, peer, &from, &to));
        }
        findings.sort_by(|a, b| (b.severity, &a.kind, &a.asset, &a.peer).cmp(&(a.severity, &b.kind, &b.asset, &b.peer)));
        let mut flows = std::mem::take(&mut self.flows);
        sort_flows_by_start(&mut flows);
        InventoryReport {
            assets: out_assets,
            protocols,
            conversations,
            flows,
            flows_omitted: self.flows_omitted,
            dropped_endpoints: self.dropped_endpoints,
            dropped_conversations: self.dropped_conversations,
            findings,
            dropped_findings: self.dropped_findings,
        }
    }

    /// Every clue of one asset, handed to the knowledge base.
    #[allow(clippy::too_many_arguments)] // reason: the asset's parts, each a kind of clue.
    fn identify(
        &self,
        clues: &BTreeSet<(&'static str, Box<str>)>,
        vendor: Option<&str>,
        names: &BTreeSet<String>,
        dhcp: Option<&DhcpFingerprint>,
        hl7_apps: &BTreeSet<String>,
        mqtt_ids: &BTreeSet<String>,
        client: &BTreeSet<ServiceKey>,
        server: &BTreeSet<ServiceKey>,
    ) -> ward_model::report::Device {
        let mut all: Vec<(&str, &str)> = Vec::new();
        all.extend(vendor.map(|v| ("oui.vendor", v)));
        all.extend(names.iter().map(|n| ("name", n.as_str())));
        if let Some(d) = dhcp {
            all.extend(d.vendor_class.as_deref().map(|v| ("dhcp.vendor_class", v)));
            all.extend(d.parameter_request_list.as_deref().map(|v| ("dhcp.parameter_request_list", v)));
        }
        all.extend(hl7_apps.iter().map(|h| ("hl7.application", h.as_str())));
        all.extend(mqtt_ids.iter().map(|m| ("mqtt.client_id", m.as_str())));
        for s in server {
            all.extend(server_role(*s).map(|r| ("role", r)));
        }
        for s in client {
            all.extend(client_role(*s).map(|r| ("role", r)));
        }
        all.extend(clues.iter().map(|(c, v)| (*c, &**v)));
        self.knowledge.identify(&all)
    }

    fn owned_by(&self, mac: Mac, ip: IpAddr) -> bool {
        self.arp_owned.get(&mac).is_some_and(|s| s.contains(&ip))
            || self.dhcp.get(&mac).is_some_and(|d| d.assigned.contains(&ip))
    }

    /// MACs seen with more distinct IPv4 addresses than the threshold: routers.
    fn routers(&self) -> FxHashSet<Mac> {
        let mut count: FxHashMap<Mac, usize> = FxHashMap::default();
        for e in &self.endpoints {
            if let (Some(m), Some(IpAddr::V4(_))) = (e.key.mac, e.key.ip) {
                *count.entry(m).or_default() += 1;
            }
        }
        count.into_iter().filter(|(_, n)| *n > self.limits.router_threshold).map(|(m, _)| m).collect()
    }
}

/// The role an asset plays by answering a service.
fn server_role(s: ServiceKey) -> Option<&'static str> {
    Some(match s {
        ServiceKey::App(AppProtocol::Dhcp) => "dhcp-server",
        ServiceKey::App(AppProtocol::Dns) => "dns-server",
        ServiceKey::App(AppProtocol::Mqtt) => "mqtt-broker",
        ServiceKey::App(AppProtocol::Hl7) => "hl7-receiver",
        ServiceKey::App(AppProtocol::Http) => "http-server",
        ServiceKey::App(AppProtocol::Tls) => "tls-server",
        ServiceKey::App(AppProtocol::Snmp) => "snmp-agent",
        ServiceKey::App(AppProtocol::Telnet) => "telnet-server",
        ServiceKey::App(AppProtocol::Ftp) => "ftp-server",
        ServiceKey::App(AppProtocol::Syslog) => "syslog-collector",
        _ => return None,
    })
}

/// The role an asset plays by opening a service.
fn client_role(s: ServiceKey) -> Option<&'static str> {
    Some(match s {
        ServiceKey::App(AppProtocol::Mqtt) => "mqtt-client",
        ServiceKey::App(AppProtocol::Hl7) => "hl7-sender",
        ServiceKey::App(AppProtocol::Syslog) => "syslog-sender",
        _ => return None,
    })
}

#[derive(Debug)]
struct AssetBuild {
    mac: Option<Mac>,
    ips: BTreeSet<IpAddr>,
    first: Timestamp,
    last: Timestamp,
    packets: u64,
    bytes: u64,
    client: BTreeSet<ServiceKey>,
    server: BTreeSet<ServiceKey>,
    peers: BTreeSet<String>,
    peer_overflow: bool,
    hl7_apps: BTreeSet<String>,
    mqtt_ids: BTreeSet<String>,
    clues: BTreeSet<(&'static str, Box<str>)>,
}

impl AssetBuild {
    fn new(first: Timestamp) -> AssetBuild {
        AssetBuild {
            mac: None,
            ips: BTreeSet::new(),
            first,
            last: first,
            packets: 0,
            bytes: 0,
            client: BTreeSet::new(),
            server: BTreeSet::new(),
            peers: BTreeSet::new(),
            peer_overflow: false,
            hl7_apps: BTreeSet::new(),
            mqtt_ids: BTreeSet::new(),
            clues: BTreeSet::new(),
        }
    }
}

/// The inventory's share of the report.
#[derive(Debug)]
pub struct InventoryReport {
    /// Assets.
    pub assets: Vec<Asset>,
    /// Protocol mix.
    pub protocols: Vec<ProtocolStat>,
    /// Who talks to whom.
    pub conversations: Vec<Conversation>,
    /// Flow summaries, oldest first.
    pub flows: Vec<FlowSummary>,
    /// Flows left out of `flows`.
    pub flows_omitted: u64,
    /// Endpoints not tracked (table full).
    pub dropped_endpoints: u64,
    /// Conversations not tracked (table full).
    pub dropped_conversations: u64,
    /// Findings with evidence and remediation.
    pub findings: Vec<Finding>,
    /// Findings not kept (table full).
    pub dropped_findings: u64,
}

#[cfg(test)]
mod tests {
    use super::{Inventory, InventoryLimits, Side};
    use crate::fingerprint::Knowledge;
    use std::sync::Arc;
    use ward_model::Timestamp;

    fn side(ip: &str, port: u16, mac: u8) -> Side {
        Side { mac: Some([0, 0x12, 0xf0, 0, 0, mac]), ip: ip.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into()), port }
    }

    fn scans(worked: &[(&str, &str)], idle: &[(&str, &str)]) -> usize {
        let mut inv = Inventory::new(InventoryLimits::default(), Arc::new(Knowledge::shipped().clone()));
        let pacs = side("10.78.0.10", 104, 0x10);
        let t = Timestamp::from_parts(1, 0);
        // The order is the worst case: the idle association comes before the work that vouches for it.
        for (ae, ip) in idle {
            inv.dicom_idle_association(t, &side(ip, 40000, 0x66), &pacs, ae, &format!("{ae} -> PACS"), "accepted, released without any command");
        }
        for (ae, ip) in worked {
            inv.dicom_ae_worked(ae, side(ip, 40001, 0x66).ip);
        }
        inv.into_report().findings.iter().filter(|f| f.kind == "dicom-scan").count()
    }

    /// An association without commands is a scan only when its calling AE title never did any
    /// work from that host in the whole capture, whatever the order the two were seen in.
    #[test]
    fn idle_association_is_a_scan_only_from_an_unknown_ae() {
        assert_eq!(scans(&[], &[("ECHOSCU", "10.78.0.156")]), 1, "unknown AE: scan");
        assert_eq!(scans(&[("CT01", "10.78.0.20")], &[("CT01", "10.78.0.20")]), 0, "the CT opening an idle association is not a scan");
        assert_eq!(scans(&[("CT01", "10.78.0.20")], &[("CT01", "10.78.0.156")]), 1, "a known title borrowed by another host is still a scan");
    }

    /// Names are cleaned as they always were (control characters dropped, then trimmed and
    /// the trailing dots cut), whether or not a copy had to be made.
    #[test]
    fn clean_name_drops_controls_and_trims() {
        let old = |s: &str| {
            let t: String = s.chars().filter(|c| !c.is_control()).collect();
            let t = t.trim().trim_end_matches('.').to_string();
            (!t.is_empty() && t.len() <= 255).then_some(t)
        };
        let long = "a".repeat(255);
        let longer = "b".repeat(256);
        for s in ["host", " host. ", "host\0", "a\u{85}b.", "...", "", " ", "\t x\0.\n", "é.", "\u{2003}name\u{2003}.", "x. .", &long, &longer, "\0 pump.ward.test..\0"] {
            assert_eq!(super::clean_name(s).map(std::borrow::Cow::into_owned), old(s), "{s:?}");
        }
    }

    /// Flows come out ordered by start, ties in arrival order: exactly what a stable sort gives.
    #[test]
    fn flows_sort_by_start_like_a_stable_sort() {
        use ward_model::report::{Endpoint, FlowSummary};
        let flow = |start: u64, port: u16| FlowSummary {
            start: Timestamp(start),
            duration: 0.0,
            transport: "udp".into(),
            ip_proto: 17,
            client: Endpoint { ip: std::net::Ipv4Addr::LOCALHOST.into(), port },
            server: Endpoint { ip: std::net::Ipv4Addr::LOCALHOST.into(), port: 53 },
            vlan: None,
            service: None,
            client_packets: 1,
            server_packets: 0,
            client_bytes: 0,
            server_bytes: 0,
            client_frame_bytes: 0,
            server_frame_bytes: 0,
            missed_bytes: 0,
            state: "S0".into(),
            midstream: false,
            end_reason: "closed".into(),
        };
        // A small xorshift makes many orders with many ties, including cycles of every length.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for n in [0usize, 1, 2, 3, 7, 64, 1000] {
            for _ in 0..20 {
                let flows: Vec<FlowSummary> = (0..n)
                    .map(|i| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        flow(x % (n as u64 / 3 + 1), i as u16)
                    })
                    .collect();
                let mut want = flows.clone();
                want.sort_by_key(|f| f.start);
                let mut got = flows;
                super::sort_flows_by_start(&mut got);
                assert_eq!(got, want);
            }
        }
    }
}
