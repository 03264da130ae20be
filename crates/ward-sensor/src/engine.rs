//! The packet engine: one call per captured packet, from link layer to dissector records.
//!
//! Single-threaded by design: to use more cores, run one engine per interface or hash flows
//! to several engines; never share a flow table between threads.

use crate::capture::LinkType;
use crate::decode::{self, DecodeError, Frame, L4, Net, tcp_flags};
use crate::defrag::{DefragLimits, Defragmenter};
use crate::flow::{EndReason, Expiring, FlowKey, FlowTable};
use crate::findings::Kind;
use crate::fingerprint::Knowledge;
use crate::inventory::{FlowEnd, Inventory, InventoryLimits, Side};
use std::sync::Arc;
use crate::tcp::{Budget, ReassemblyLimits, StreamEvent, TcpCounters, TcpStream};
use rustc_hash::FxHashMap;
use std::net::IpAddr;
use ward_dissect::registry::{self, DissectorInfo};
use ward_dissect::{DissectEventKind, Limits, Output, Record, StreamDriver};
use ward_model::{AppProtocol, Direction, Timestamp, Transport};

/// Everything that bounds the engine's memory and decides its timeouts.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Flows tracked at once; beyond it the flow nearest its deadline is evicted.
    pub max_flows: usize,
    /// Idle timeout of an established TCP flow, seconds.
    pub tcp_idle_secs: u32,
    /// Idle timeout of a UDP flow, seconds.
    pub udp_idle_secs: u32,
    /// Idle timeout of other flows (ICMP, other IP protocols), seconds.
    pub other_idle_secs: u32,
    /// Idle timeout of a flow that has had no reply yet (SYN floods, scans), seconds.
    pub embryonic_secs: u32,
    /// How long a closed TCP flow lingers for stray packets, seconds.
    pub closed_secs: u32,
    /// Longest a flow is kept before it is summarised and restarted, seconds.
    pub absolute_secs: u32,
    /// Bytes of a flow's start kept while looking for its protocol.
    pub probe_bytes: usize,
    /// UDP datagrams examined before a flow is declared unrecognised.
    pub probe_datagrams: u32,
    /// TCP reassembly bounds.
    pub reassembly: ReassemblyLimits,
    /// IP fragment reassembly bounds.
    pub defrag: DefragLimits,
    /// Dissector bounds.
    pub dissect: Limits,
    /// Inventory bounds.
    pub inventory: InventoryLimits,
    /// Device fingerprint rules (the shipped ones, plus any a hospital adds).
    pub knowledge: Arc<Knowledge>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_flows: 262_144,
            tcp_idle_secs: 300,
            udp_idle_secs: 60,
            other_idle_secs: 60,
            embryonic_secs: 30,
            closed_secs: 5,
            absolute_secs: 3600,
            probe_bytes: 1024,
            probe_datagrams: 4,
            reassembly: ReassemblyLimits::default(),
            defrag: DefragLimits::default(),
            dissect: Limits::default(),
            inventory: InventoryLimits::default(),
            knowledge: Arc::new(Knowledge::shipped().clone()),
        }
    }
}

/// Where a record came from, for record streams.
#[derive(Debug, Clone, Copy)]
pub struct RecordContext {
    /// Time of the packet that completed the record.
    pub ts: Timestamp,
    /// 1-based number of that packet in the input.
    pub packet: u64,
    /// Sender of the bytes that completed the record.
    pub src: (IpAddr, u16),
    /// Their receiver.
    pub dst: (IpAddr, u16),
    /// Transport.
    pub transport: Transport,
    /// Direction within the flow.
    pub direction: Direction,
}

/// Receives every dissector record as it is produced (e.g. a JSON-lines writer).
pub trait RecordSink {
    /// One record.
    fn record(&mut self, ctx: &RecordContext, record: &Record);
}

#[derive(Debug)]
enum App {
    Probing(Probe),
    Active(Box<StreamDriver>),
    Unknown,
}

#[derive(Debug, Default)]
struct Probe {
    /// Arrival-ordered chunks held while a probe wants more, replayed to the dissector once chosen.
    chunks: Vec<(Direction, Vec<u8>)>,
    bytes: usize,
    datagrams: u32,
}

#[derive(Debug, Default)]
struct TcpState {
    dirs: [TcpStream; 2],
    syn: bool,
    synack: bool,
    fin: [bool; 2],
    rst: [bool; 2],
    reassemble: bool,
    eof: [bool; 2],
}

#[derive(Debug)]
struct Flow {
    /// True when the key's low endpoint is the client.
    client_is_lo: bool,
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    transport: Transport,
    ip_proto: u8,
    vlan: Option<u16>,
    start: Timestamp,
    last: Timestamp,
    pkts: [u64; 2],
    bytes: [u64; 2],
    payload: [u64; 2],
    macs: [Option<[u8; 6]>; 2],
    missed: u64,
    midstream: bool,
    idle: u32,
    absolute: u32,
    closed: bool,
    tcp: Option<TcpState>,
    app: App,
}

impl Expiring for Flow {
    fn deadline(&self) -> (u64, EndReason) {
        let idle_due = self.last.secs() + u64::from(self.idle);
        let abs_due = self.start.secs() + u64::from(self.absolute);
        if abs_due < idle_due {
            (abs_due, EndReason::AbsoluteTimeout)
        } else if self.closed {
            (idle_due, EndReason::Closed)
        } else {
            (idle_due, EndReason::IdleTimeout)
        }
    }
}

impl Flow {
    fn service(&self) -> Option<AppProtocol> {
        match &self.app {
            App::Active(d) => Some(d.protocol()),
            _ => None,
        }
    }

    fn conn_state(&self) -> &'static str {
        let replied = self.pkts[1] > 0;
        let Some(t) = &self.tcp else { return if replied { "SF" } else { "S0" } };
        let (c, s) = (0, 1);
        if !t.syn {
            return "OTH";
        }
        if !t.synack {
            return if t.rst[s] {
                "REJ"
            } else if t.fin[c] {
                "SH"
            } else if t.rst[c] {
                "RSTOS0"
            } else {
                "S0"
            };
        }
        if t.rst[c] {
            "RSTO"
        } else if t.rst[s] {
            "RSTR"
        } else if t.fin[c] && t.fin[s] {
            "SF"
        } else if t.fin[c] {
            "S2"
        } else if t.fin[s] {
            "S3"
        } else {
            "S1"
        }
    }
}

/// Engine-wide state outside the flow table, so flow expiry can borrow it alongside the table.
struct Ctx {
    cfg: EngineConfig,
    budget: Budget,
    tcp: TcpCounters,
    out: Output,
    inventory: Inventory,
    sink: Option<Box<dyn RecordSink>>,
    events: FxHashMap<String, u64>,
    packet_no: u64,
    now: Timestamp,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("packet_no", &self.packet_no).finish_non_exhaustive()
    }
}

/// Statistics of a finished run, for the report.
#[derive(Debug, Clone, Default)]
pub struct EngineStats {
    /// Packets processed.
    pub packets: u64,
    /// Captured bytes processed.
    pub bytes: u64,
    /// First timestamp.
    pub first: Option<Timestamp>,
    /// Last timestamp.
    pub last: Option<Timestamp>,
    /// Decode failures by kind.
    pub decode_errors: FxHashMap<&'static str, u64>,
    /// Everything else worth counting.
    pub counters: Vec<(String, u64)>,
    /// Flows evicted for room.
    pub evicted_flows: u64,
    /// Fragment trains dropped.
    pub dropped_fragment_trains: u64,
    /// TCP segments dropped at caps.
    pub dropped_segments: u64,
}

/// The packet engine.
#[derive(Debug)]
pub struct Engine {
    flows: FlowTable<Flow>,
    defrag: Defragmenter,
    ctx: Ctx,
    stats: EngineStats,
}

impl Engine {
    /// A new engine.
    #[must_use]
    pub fn new(cfg: EngineConfig) -> Engine {
        Engine {
            flows: FlowTable::new(cfg.max_flows),
            defrag: Defragmenter::new(cfg.defrag.clone()),
            ctx: Ctx {
                inventory: Inventory::new(cfg.inventory.clone(), Arc::clone(&cfg.knowledge)),
                cfg,
                budget: Budget::default(),
                tcp: TcpCounters::default(),
                out: Output::default(),
                sink: None,
                events: FxHashMap::default(),
                packet_no: 0,
                now: Timestamp(0),
            },
            stats: EngineStats::default(),
        }
    }

    /// Send every record to `sink` as well.
    pub fn set_record_sink(&mut self, sink: Box<dyn RecordSink>) {
        self.ctx.sink = Some(sink);
    }

    /// Flows tracked now.
    #[must_use]
    pub fn active_flows(&self) -> usize {
        self.flows.len()
    }

    /// Packets processed so far.
    #[must_use]
    pub fn packets(&self) -> u64 {
        self.stats.packets
    }

    /// Count `n` packets a capture source could not deliver as they should be.
    pub fn count_n(&mut self, what: &'static str, n: u64) {
        if n > 0 {
            *self.stats.decode_errors.entry(what).or_default() += n;
        }
    }

    /// Process one captured packet.
    pub fn process(&mut self, ts: Timestamp, link: LinkType, data: &[u8]) {
        self.stats.packets += 1;
        self.stats.bytes += data.len() as u64;
        self.ctx.packet_no += 1;
        if self.stats.first.is_none_or(|f| ts < f) {
            self.stats.first = Some(ts);
        }
        if self.stats.last.is_none_or(|l| ts > l) {
            self.stats.last = Some(ts);
        }
        if ts > self.ctx.now {
            self.ctx.now = ts;
            let ctx = &mut self.ctx;
            self.flows.advance(ts.secs(), &mut |k, f, r| ctx.end_flow(k, f, r));
        }
        let frame = match decode::decode_frame(link, data) {
            Ok(f) => f,
            Err(DecodeError(e)) => {
                *self.stats.decode_errors.entry(e).or_default() += 1;
                return;
            }
        };
        let len = data.len() as u64;
        match frame.net {
            Net::Arp(arp) => self.ctx.inventory.observe_arp(ts, &arp, len),
            Net::Other(_) => {
                if let Some(m) = frame.src_mac {
                    self.ctx.inventory.observe_l2(ts, m, len);
                }
            }
            Net::Ip(ip) => {
                if ip.frag.is_some() {
                    if let Some((proto, whole)) = self.defrag.insert(ts, &ip) {
                        self.ip(ts, &frame, ip.src, ip.dst, proto, &whole, len);
                    }
                } else {
                    if ip.truncated {
                        *self.stats.decode_errors.entry("ip.truncated_by_snaplen").or_default() += 1;
                    }
                    self.ip(ts, &frame, ip.src, ip.dst, ip.proto, ip.payload, len);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // reason: hot path, the decoded parts travel unboxed.
    fn ip(&mut self, ts: Timestamp, frame: &Frame<'_>, src: IpAddr, dst: IpAddr, proto: u8, l4: &[u8], len: u64) {
        let l4 = match decode::decode_l4(proto, l4) {
            Ok(l) => l,
            Err(DecodeError(e)) => {
                *self.stats.decode_errors.entry(e).or_default() += 1;
                return;
            }
        };
        let (sport, dport, transport) = match l4 {
            L4::Tcp(s) => (s.sport, s.dport, Transport::Tcp),
            L4::Udp { sport, dport, .. } => (sport, dport, Transport::Udp),
            L4::Icmp { .. } => (0, 0, Transport::Icmp),
            L4::Other => (0, 0, Transport::Other),
        };
        let (key, src_lo) = FlowKey::new(src, sport, dst, dport, proto, frame.vlan);
        let tcp_flags = if let L4::Tcp(s) = l4 { s.flags } else { 0 };
        let mut idx = self.flows.find(&key);
        if let Some(i) = idx {
            // A new SYN on a closed connection is a new connection on reused ports.
            let reopen = tcp_flags & (tcp_flags::SYN | tcp_flags::ACK) == tcp_flags::SYN
                && self.flows.get_mut(i).is_some_and(|f| f.closed);
            if reopen {
                if let Some((k, f)) = self.flows.remove(i) {
                    self.ctx.end_flow(k, f, EndReason::Closed);
                }
                idx = None;
            }
        }
        let idx = match idx {
            Some(i) => i,
            None => {
                let flow = self.new_flow(ts, frame, (src, sport), (dst, dport), src_lo, transport, proto, tcp_flags);
                let ctx = &mut self.ctx;
                self.flows.insert(key, flow, &mut |k, f, r| ctx.end_flow(k, f, r))
            }
        };
        let Some(flow) = self.flows.get_mut(idx) else { return };
        let dir = if src_lo == flow.client_is_lo { Direction::ToServer } else { Direction::ToClient };
        let d = dir.index();
        flow.pkts[d] += 1;
        flow.bytes[d] += len;
        flow.last = ts;
        if flow.macs[d].is_none() {
            flow.macs[d] = frame.src_mac;
        }
        if d == 1 && flow.pkts[1] == 1 && !flow.closed {
            flow.idle = match transport {
                Transport::Tcp => self.ctx.cfg.tcp_idle_secs,
                Transport::Udp => self.ctx.cfg.udp_idle_secs,
                _ => self.ctx.cfg.other_idle_secs,
            };
        }
        match l4 {
            L4::Tcp(seg) => self.ctx.tcp_segment(flow, dir, &seg),
            L4::Udp { payload, .. } => {
                flow.payload[d] += payload.len() as u64;
                if !payload.is_empty() {
                    self.ctx.datagram(flow, dir, payload);
                }
            }
            _ => {}
        }
        if !self.ctx.out.is_empty() {
            self.ctx.drain_output(ts, flow);
        }
    }

    #[allow(clippy::too_many_arguments)] // reason: all parts of the first packet decide the flow's shape.
    fn new_flow(
        &self,
        ts: Timestamp,
        frame: &Frame<'_>,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        src_lo: bool,
        transport: Transport,
        proto: u8,
        flags: u8,
    ) -> Flow {
        let cfg = &self.ctx.cfg;
        let syn = flags & tcp_flags::SYN != 0;
        let ack = flags & tcp_flags::ACK != 0;
        let src_is_client = match transport {
            Transport::Tcp if syn => !ack,
            Transport::Tcp | Transport::Udp => !is_server_side(src.1, dst.1),
            _ => true,
        };
        let (client, server) = if src_is_client { (src, dst) } else { (dst, src) };
        let tcp = (transport == Transport::Tcp).then(|| TcpState { reassemble: true, ..TcpState::default() });
        let probing = registry::REGISTRY.iter().any(|i| i.transports.contains(&transport));
        Flow {
            client_is_lo: src_lo == src_is_client,
            client,
            server,
            transport,
            ip_proto: proto,
            vlan: frame.vlan,
            start: ts,
            last: ts,
            pkts: [0; 2],
            bytes: [0; 2],
            payload: [0; 2],
            macs: [None; 2],
            missed: 0,
            midstream: transport == Transport::Tcp && !syn,
            idle: cfg.embryonic_secs,
            absolute: cfg.absolute_secs,
            closed: false,
            tcp,
            app: if probing { App::Probing(Probe::default()) } else { App::Unknown },
        }
    }

    /// End of input: every flow is summarised, then the report parts are built.
    pub fn finish(mut self) -> (EngineStats, Inventory) {
        let ctx = &mut self.ctx;
        self.flows.drain(&mut |k, f, r| ctx.end_flow(k, f, r));
        let mut stats = self.stats;
        stats.evicted_flows = self.flows.evicted;
        let d = &self.defrag.counters;
        stats.dropped_fragment_trains = d.dropped_trains;
        stats.dropped_segments = self.ctx.tcp.dropped_segments;
        let t = &self.ctx.tcp;
        let mut counters: Vec<(String, u64)> = vec![
            ("ip.fragments_reassembled".into(), d.reassembled),
            ("ip.fragment_overlaps".into(), d.overlaps),
            ("ip.fragment_conflicting_overlaps".into(), d.conflicting_overlaps),
            ("ip.fragment_oversize".into(), d.oversize),
            ("tcp.retransmissions".into(), t.retransmissions),
            ("tcp.overlaps".into(), t.overlaps),
            ("tcp.conflicting_overlaps".into(), t.conflicting_overlaps),
            ("tcp.out_of_order".into(), t.out_of_order),
            ("tcp.gaps".into(), t.gaps),
            ("tcp.gap_bytes".into(), t.gap_bytes),
            ("tcp.out_of_window".into(), t.out_of_window),
        ];
        counters.extend(self.ctx.events.drain());
        counters.retain(|(_, v)| *v > 0);
        counters.sort();
        stats.counters = counters;
        (stats, self.ctx.inventory)
    }
}

/// Is `a` the server side of a flow between ports `a` and `b`? Privileged ports serve; between
/// two privileged ports the lower serves (DHCP 67/68); otherwise a registered dissector port.
fn is_server_side(a: u16, b: u16) -> bool {
    let (pa, pb) = (a < 1024, b < 1024);
    if pa != pb {
        return pa;
    }
    if pa && pb {
        return a < b;
    }
    let known = |p: u16| registry::REGISTRY.iter().any(|i| i.ports.contains(&p));
    known(a) && !known(b)
}

impl Ctx {
    fn tcp_segment(&mut self, flow: &mut Flow, dir: Direction, seg: &decode::TcpSegment<'_>) {
        let d = dir.index();
        flow.payload[d] += seg.payload.len() as u64;
        let ports = [flow.client.1, flow.server.1];
        let Flow { tcp, app, missed, closed, idle, .. } = flow;
        let Some(t) = tcp.as_mut() else { return };
        let f = seg.flags;
        let syn = f & tcp_flags::SYN != 0;
        if syn && f & tcp_flags::ACK == 0 {
            t.syn = true;
        } else if syn {
            t.synack = true;
        }
        let fin = f & tcp_flags::FIN != 0;
        t.fin[d] |= fin;
        if f & tcp_flags::RST != 0 {
            t.rst[d] = true;
        }
        if t.rst[d] || (t.fin[0] && t.fin[1]) {
            *closed = true;
            *idle = self.cfg.closed_secs;
        }
        if !t.reassemble {
            return;
        }
        let cfg = &self.cfg;
        let out = &mut self.out;
        let mut emit = |dir: Direction, ev: StreamEvent<'_>, missed: &mut u64| {
            if let StreamEvent::Gap(n) = ev {
                *missed += n;
            }
            deliver(app, cfg, Transport::Tcp, ports, dir, ev, out);
        };
        t.dirs[d].segment(seg.seq, syn, fin, seg.payload, &cfg.reassembly, &mut self.budget, &mut self.tcp, &mut |ev| {
            emit(dir, ev, missed)
        });
        if f & tcp_flags::ACK != 0 {
            let o = dir.reverse();
            t.dirs[o.index()].acked(seg.ack, &mut self.budget, &mut self.tcp, &mut |ev| emit(o, ev, missed));
        }
        for dd in Direction::BOTH {
            let i = dd.index();
            if !t.eof[i] && (t.dirs[i].finished || t.rst[0] || t.rst[1]) {
                t.eof[i] = true;
                if let App::Active(drv) = app {
                    drv.eof(dd, out);
                }
            }
        }
        if matches!(app, App::Unknown) {
            t.reassemble = false;
            for s in &mut t.dirs {
                s.release(&mut self.budget);
            }
        }
    }

    fn datagram(&mut self, flow: &mut Flow, dir: Direction, payload: &[u8]) {
        let ports = [flow.client.1, flow.server.1];
        deliver(&mut flow.app, &self.cfg, flow.transport, ports, dir, StreamEvent::Data(payload), &mut self.out);
    }

    fn drain_output(&mut self, ts: Timestamp, flow: &Flow) {
        for (dir, record) in self.out.records.drain(..) {
            let (src, dst) = match dir {
                Direction::ToServer => (flow.client, flow.server),
                Direction::ToClient => (flow.server, flow.client),
            };
            let client = Side { mac: flow.macs[0], ip: flow.client.0, port: flow.client.1 };
            let server = Side { mac: flow.macs[1], ip: flow.server.0, port: flow.server.1 };
            let (sender, receiver) = match dir {
                Direction::ToServer => (&client, &server),
                Direction::ToClient => (&server, &client),
            };
            self.inventory.observe_record(ts, sender, receiver, &record);
            if let Some(sink) = self.sink.as_mut() {
                let rc = RecordContext { ts, packet: self.packet_no, src, dst, transport: flow.transport, direction: dir };
                sink.record(&rc, &record);
            }
        }
        for e in self.out.events.drain(..) {
            // Malformed medical protocol traffic is a finding, not only a counter.
            if let DissectEventKind::Malformed { reason } | DissectEventKind::PeerMisbehaving { reason } = e.kind
                && matches!(e.protocol, AppProtocol::Hl7 | AppProtocol::Dicom)
            {
                let client = Side { mac: flow.macs[0], ip: flow.client.0, port: flow.client.1 };
                let server = Side { mac: flow.macs[1], ip: flow.server.0, port: flow.server.1 };
                let (sender, receiver) = match e.direction {
                    Direction::ToServer => (&client, &server),
                    Direction::ToClient => (&server, &client),
                };
                self.inventory.finding(Kind::ProtocolViolation, ts, sender, receiver, e.protocol, &[reason], None);
            }
            let name = match e.kind {
                DissectEventKind::Malformed { reason } => format!("{}.malformed.{reason}", e.protocol.as_str()),
                DissectEventKind::PeerMisbehaving { reason } => format!("{}.peer_misbehaving.{reason}", e.protocol.as_str()),
                DissectEventKind::LimitExceeded { limit, .. } => format!("{}.limit_exceeded.{limit}", e.protocol.as_str()),
                DissectEventKind::LostSync => format!("{}.lost_sync", e.protocol.as_str()),
                _ => format!("{}.other_event", e.protocol.as_str()),
            };
            *self.events.entry(name).or_default() += 1;
        }
    }

    fn end_flow(&mut self, _key: FlowKey, mut flow: Flow, reason: EndReason) {
        if let Some(t) = flow.tcp.as_mut() {
            let ports = [flow.client.1, flow.server.1];
            for dir in Direction::BOTH {
                let i = dir.index();
                if t.reassemble {
                    let (app, out, cfg) = (&mut flow.app, &mut self.out, &self.cfg);
                    let missed = &mut flow.missed;
                    t.dirs[i].flush(&mut self.budget, &mut self.tcp, &mut |ev| {
                        if let StreamEvent::Gap(n) = ev {
                            *missed += n;
                        }
                        deliver(app, cfg, Transport::Tcp, ports, dir, ev, out);
                    });
                }
                t.dirs[i].release(&mut self.budget);
            }
        }
        if let App::Active(drv) = &mut flow.app {
            for dir in Direction::BOTH {
                drv.eof(dir, &mut self.out);
            }
        }
        if !self.out.is_empty() {
            let last = flow.last;
            self.drain_output(last, &flow);
        }
        let end = FlowEnd {
            client: Side { mac: flow.macs[0], ip: flow.client.0, port: flow.client.1 },
            server: Side { mac: flow.macs[1], ip: flow.server.0, port: flow.server.1 },
            transport: flow.transport,
            ip_proto: flow.ip_proto,
            vlan: flow.vlan,
            service: flow.service(),
            start: flow.start,
            last: flow.last,
            pkts: flow.pkts,
            bytes: flow.bytes,
            payload: flow.payload,
            missed: flow.missed,
            state: flow.conn_state(),
            midstream: flow.midstream,
            reason,
        };
        self.inventory.finish_flow(&end);
    }
}

/// Hand stream bytes (or a gap) to the flow's dissector, choosing one first if needed.
fn deliver(
    app: &mut App,
    cfg: &EngineConfig,
    transport: Transport,
    ports: [u16; 2],
    dir: Direction,
    ev: StreamEvent<'_>,
    out: &mut Output,
) {
    match app {
        App::Active(drv) => match ev {
            StreamEvent::Data(d) => drv.feed(dir, d, out),
            StreamEvent::Gap(n) => drv.gap(dir, n, out),
        },
        App::Unknown => {}
        App::Probing(probe) => {
            let StreamEvent::Data(data) = ev else {
                // Content detection across a hole would guess: give up on this flow.
                *app = App::Unknown;
                return;
            };
            let chosen = if transport == Transport::Tcp {
                match probe_stream(probe, cfg, ports, dir, data) {
                    Probed::Detected(info, replay) => Some((info, replay)),
                    Probed::Undecided => None,
                    Probed::Unknown => {
                        *app = App::Unknown;
                        return;
                    }
                }
            } else {
                probe.datagrams += 1;
                match registry::detect(transport, dir, data, ports) {
                    Ok(info) => Some((info, false)),
                    Err(_) if probe.datagrams >= cfg.probe_datagrams => {
                        *app = App::Unknown;
                        return;
                    }
                    Err(_) => None,
                }
            };
            if let Some((info, replay)) = chosen {
                let mut drv = Box::new(StreamDriver::new(info, transport, &cfg.dissect));
                if replay {
                    for (d, chunk) in std::mem::take(&mut probe.chunks) {
                        drv.feed(d, &chunk, out);
                    }
                } else {
                    drv.feed(dir, data, out);
                }
                *app = App::Active(drv);
            }
        }
    }
}

/// What looking at a stream's first bytes decided.
enum Probed {
    /// This dissector; replay the held chunks (true) or just the current bytes (false).
    Detected(&'static DissectorInfo, bool),
    /// Some probe wants more bytes.
    Undecided,
    /// No dissector fits.
    Unknown,
}

/// Detection is decided by the first side to speak: a client-first protocol by the client's
/// opening bytes, a server-first one (banners) by the server's. Bytes are copied only while a
/// probe asks for more, bounded by `probe_bytes`.
fn probe_stream(probe: &mut Probe, cfg: &EngineConfig, ports: [u16; 2], dir: Direction, data: &[u8]) -> Probed {
    if probe.chunks.is_empty() {
        return match registry::detect(Transport::Tcp, dir, data, ports) {
            Ok(info) => Probed::Detected(info, false),
            Err(false) => Probed::Unknown,
            Err(true) if data.len() > cfg.probe_bytes => Probed::Unknown,
            Err(true) => {
                probe.bytes = data.len();
                probe.chunks.push((dir, data.to_vec()));
                Probed::Undecided
            }
        };
    }
    probe.bytes += data.len();
    if probe.bytes > cfg.probe_bytes {
        return Probed::Unknown;
    }
    probe.chunks.push((dir, data.to_vec()));
    let mut first: Vec<u8> = Vec::new();
    for (d, c) in &probe.chunks {
        if *d == dir {
            first.extend_from_slice(c);
        }
    }
    match registry::detect(Transport::Tcp, dir, &first, ports) {
        Ok(info) => Probed::Detected(info, true),
        Err(true) => Probed::Undecided,
        Err(false) => Probed::Unknown,
    }
}
