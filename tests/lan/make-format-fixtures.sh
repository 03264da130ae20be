#!/usr/bin/env bash
# Makes the capture-format fixtures under tests/pcap/formats/<case>/ (input.pcap or input.pcapng
# and HOWTO.md) from real traffic between two hosts in network namespaces on a bridge, captured
# by tcpdump and dumpcap:
#   phase 1, untagged: pcap-usec-le, pcap-nsec, sll, sll2, pcapng-multi, ipv4-frag, ipv6-ext, dns-tcp
#   phase 2, 802.1Q VLAN 100 (tagged by the kernel, tc eBPF vlan push/pop): vlan
#   phase 3, 802.1ad S-VLAN 200 over 802.1Q C-VLAN 100 (same, two tags): qinq
#   phase 4, OpenVPN point-to-point tunnel, captured on its tun device: raw-ip
# Then two headers-only rewrites: pcap-usec-be (pcap-swap-endian.py) and null-loopback
# (pcap-rawip-to-null.py from raw-ip), because no Linux tool writes those formats.
#
# Usage: make-format-fixtures.sh [OUTDIR]   (default tests/pcap/formats). Needs root; ~25 s.
# Network: namespaces wardfmt-sw (bridge br0, no address), wardfmt-a, wardfmt-b; only
# 10.77.0.0/24 and fd77::/64, only inside them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "${1:-$HERE/../pcap/formats}")
WARDLAN_PREFIX=wardfmt
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lan_need tcpdump tcpdump
lan_need dumpcap tshark
lan_need capinfos tshark
lan_need dnsmasq dnsmasq-base
lan_need busybox busybox
lan_need dig bind9-dnsutils
lan_need openvpn openvpn
lan_need llc llvm
lan_need tc iproute2
lan_lock
WORK=$(mktemp -d)
chmod 755 "$WORK" # dnsmasq reads its hosts file after dropping to user nobody
trap 'lan_cleanup; rm -rf "$WORK"' EXIT
lan_cleanup
CASES=(pcap-usec-le pcap-usec-be pcap-nsec pcapng-multi sll sll2 vlan qinq raw-ip null-loopback ipv4-frag ipv6-ext dns-tcp)
for c in "${CASES[@]}"; do mkdir -p "$OUT/$c" && rm -f "$OUT/$c"/input.pcap*; done

# Two hosts: a (Philips Patient Monitoring OUI) serves DNS and a TCP port; b (GE Healthcare OUI)
# is the client. MTU 1280 (the IPv6 minimum) so big pings fragment.
lan_switch
lan_host a 00:09:fb:00:00:0a
lan_host b 44:4b:5d:00:00:0b
for h in a b; do
    lan_exec "$h" ip link set eth0 mtu 1280
    lan_resolv "$h" 10.77.0.1 ward-hospital.test
done
lan_exec a ip addr add 10.77.0.1/24 dev eth0
lan_exec b ip addr add 10.77.0.2/24 dev eth0
lan_exec a ip -6 addr add fd77::1/64 dev eth0 nodad
lan_exec b ip -6 addr add fd77::2/64 dev eth0 nodad
# For the Segment Routing header: a accepts SRv6 and owns fd77::99, which b reaches through a.
lan_exec a ip -6 addr add fd77::99/128 dev lo
lan_exec a sysctl -qw net.ipv6.conf.all.seg6_enabled=1 net.ipv6.conf.eth0.seg6_enabled=1

cat >"$WORK/hosts" <<EOF
10.77.0.1 monitor-a.ward-hospital.test
10.77.0.2 ct-b.ward-hospital.test
10.77.0.3 pacs.ward-hospital.test
10.77.0.4 hl7engine.ward-hospital.test
EOF
DNS_PID=
dns_start() { # IFACE: dnsmasq on host a, DNS only, answering from the hosts file
    [ -z "$DNS_PID" ] || { kill "$DNS_PID" 2>/dev/null || true; wait "$DNS_PID" 2>/dev/null || true; }
    lan_bg a dnsmasq --keep-in-foreground --conf-file=/dev/null --interface="$1" --bind-interfaces \
        --no-resolv --no-hosts --addn-hosts="$WORK/hosts" --log-facility=/dev/null --pid-file="$WORK/dnsmasq.pid"
    DNS_PID=$!
    sleep 0.5
}
SW="${WARDLAN_PREFIX}-sw"
BASE="not ip6 and not (ip[6:2] & 0x3fff != 0) and not tcp port 53"

# --- Phase 1: untagged Ethernet ---------------------------------------------------------------
# IPv6 from the moment the links come up: DAD, MLDv2 reports (Hop-by-Hop Router Alert), RS.
lan_capture sw "$OUT/ipv6-ext/input.pcap" -i br0 ip6
lan_up a
lan_up b
sleep 1
dns_start eth0
lan_capture sw "$OUT/pcap-usec-le/input.pcap" -i br0 "$BASE"
lan_capture sw "$OUT/pcap-nsec/input.pcap" -i br0 --time-stamp-precision=nano "$BASE"
lan_capture a "$OUT/sll/input.pcap" -i any -y LINUX_SLL "$BASE"
lan_capture a "$OUT/sll2/input.pcap" -i any -y LINUX_SLL2 "$BASE"
lan_capture sw "$OUT/ipv4-frag/input.pcap" -i br0 "ip[6:2] & 0x3fff != 0"
lan_capture sw "$OUT/dns-tcp/input.pcap" -i br0 "tcp port 53"
# pcapng with two interfaces of two link types: the bridge (Ethernet) and "any" (Linux cooked).
ip netns exec "$SW" dumpcap -q -i br0 -f "$BASE" -i any -f "udp port 53 and dst host 10.77.0.1" \
    -w "$OUT/pcapng-multi/input.pcapng" >/dev/null 2>&1 &
WARDLAN_PIDS+=("$!")
WARDLAN_CAPS+=("$!")
sleep 1.5 # dumpcap has no "listening" line on a quiet stderr

traffic() { # the same small exchange in every phase: DNS over UDP, one TCP exchange, two pings
    lan_bg a timeout 8 busybox nc -l -p 2575 >/dev/null
    sleep 0.3
    lan_exec b timeout 5 busybox nslookup monitor-a.ward-hospital.test 10.77.0.1 >/dev/null || true # exits 1: no AAAA
    printf 'MSH|^~\\&|CT|B|MON|A|20260101000000||ORU^R01|1|P|2.5.1\r' | lan_exec b timeout 3 busybox nc 10.77.0.1 2575
    lan_exec b timeout 5 busybox ping -c 2 -W 1 10.77.0.1 >/dev/null
}
traffic
# IPv4 fragments: 3000-octet pings at MTU 1280, three fragments each way.
lan_exec b timeout 5 busybox ping -c 2 -W 1 -s 3000 10.77.0.1 >/dev/null
# DNS over TCP: dig, three queries on one connection (+keepopen).
lan_exec b timeout 8 dig +tcp +keepopen +tries=1 +time=3 @10.77.0.1 \
    pacs.ward-hospital.test hl7engine.ward-hospital.test -x 10.77.0.1 >/dev/null
# IPv6 extension headers: Fragment (2000-octet ping at MTU 1280); Hop-by-Hop and Destination
# Options set on a UDP socket (IPV6_HOPOPTS, IPV6_DSTOPTS); a Segment Routing header (type 4)
# added by a seg6 inline route.
lan_exec b timeout 5 busybox ping -6 -c 1 -W 1 -s 2000 fd77::1 >/dev/null
cat >"$WORK/ext6.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, 54, bytes([0, 0, 5, 2, 0, 0, 1, 0]))  # IPV6_HOPOPTS: Router Alert 0, PadN
s.setsockopt(socket.IPPROTO_IPV6, 59, bytes([0, 0, 1, 4, 0, 0, 0, 0]))  # IPV6_DSTOPTS: PadN
s.sendto(b"ward ipv6 extension headers\n", (sys.argv[1], 9))
PY
lan_exec b timeout 5 python3 "$WORK/ext6.py" fd77::1
lan_exec b ip -6 route add fd77::99/128 encap seg6 mode inline segs fd77::1 dev eth0
lan_exec b timeout 5 busybox ping -6 -c 1 -W 1 fd77::99 >/dev/null
lan_stop_captures

# From here on IPv4 only on the Ethernet, so the VLAN captures stay small.
for h in a b; do lan_exec "$h" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1; done

# --- Phases 2 and 3: tagged frames -------------------------------------------------------------
# This kernel has no 802.1Q module (ip link add ... type vlan is refused) and no tc vlan action,
# so the hosts tag in the kernel with tc eBPF programs calling bpf_skb_vlan_push on egress and
# bpf_skb_vlan_pop on ingress: the same tags a VLAN subinterface would put on the wire. The
# programs are written in LLVM IR and compiled with llc (no C compiler needed).
cat >"$WORK/vlan.ll" <<'LL'
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"
@_license = global [4 x i8] c"GPL\00", section "license", align 1
; bpf_skb_vlan_push = helper 18 (skb, __be16 proto, u16 tci); bpf_skb_vlan_pop = helper 19 (skb).
; 129 = htons(0x8100) 802.1Q, 43144 = htons(0x88a8) 802.1ad. Return 0 = TC_ACT_OK.
define i32 @push_dot1q(i8* %skb) section "tc/push_dot1q" {
  %1 = call i64 inttoptr (i64 18 to i64 (i8*, i32, i32)*)(i8* %skb, i32 129, i32 100)
  ret i32 0
}
define i32 @push_qinq(i8* %skb) section "tc/push_qinq" {
  %1 = call i64 inttoptr (i64 18 to i64 (i8*, i32, i32)*)(i8* %skb, i32 129, i32 100)
  %2 = call i64 inttoptr (i64 18 to i64 (i8*, i32, i32)*)(i8* %skb, i32 43144, i32 200)
  ret i32 0
}
define i32 @pop_one(i8* %skb) section "tc/pop_one" {
  %1 = call i64 inttoptr (i64 19 to i64 (i8*)*)(i8* %skb)
  ret i32 0
}
define i32 @pop_two(i8* %skb) section "tc/pop_two" {
  %1 = call i64 inttoptr (i64 19 to i64 (i8*)*)(i8* %skb)
  %2 = call i64 inttoptr (i64 19 to i64 (i8*)*)(i8* %skb)
  ret i32 0
}
LL
llc -march=bpfel -filetype=obj "$WORK/vlan.ll" -o "$WORK/vlan.o"
tag() { # PUSH POP: replace the hosts' egress/ingress programs
    for h in a b; do
        lan_exec "$h" tc qdisc del dev eth0 clsact 2>/dev/null || true
        lan_exec "$h" tc qdisc add dev eth0 clsact
        lan_exec "$h" tc filter add dev eth0 egress bpf direct-action obj "$WORK/vlan.o" sec "tc/$1"
        lan_exec "$h" tc filter add dev eth0 ingress bpf direct-action obj "$WORK/vlan.o" sec "tc/$2"
        lan_exec "$h" ip neigh flush dev eth0
    done
}
tag push_dot1q pop_one
lan_capture sw "$OUT/vlan/input.pcap" -i br0
traffic
lan_stop_captures

tag push_qinq pop_two
lan_capture sw "$OUT/qinq/input.pcap" -i br0
traffic
lan_stop_captures
for h in a b; do lan_exec "$h" tc qdisc del dev eth0 clsact; done

# --- Phase 4: raw IP on an OpenVPN tun device ---------------------------------------------------
# The Ethernet carries the tunnel (UDP 1194 between 10.77.0.201 and .202); the hosts' own
# addresses 10.77.0.1/.2 and fd77::1:1/fd77::1:2 move into the tunnel. Static-key point-to-point.
lan_exec a ip addr flush dev eth0
lan_exec b ip addr flush dev eth0
lan_exec a ip addr add 10.77.0.201/24 dev eth0
lan_exec b ip addr add 10.77.0.202/24 dev eth0
for h in a b; do lan_exec "$h" sysctl -qw net.ipv6.conf.default.router_solicitations=0; done
openvpn --genkey secret "$WORK/ovpn.key" >/dev/null 2>&1
OVPN=(--dev tun0 --disable-dco --proto udp --secret "$WORK/ovpn.key" --cipher AES-256-CBC --auth SHA256
    --ping 1 --verb 1)
# OpenVPN 2.7 wants static-key mode confirmed; 2.6 does not know the option.
openvpn --help 2>/dev/null | grep -q allow-deprecated-insecure-static-crypto && OVPN+=(--allow-deprecated-insecure-static-crypto)
lan_bg a timeout 60 openvpn "${OVPN[@]}" --lport 1194 --ifconfig 10.77.0.1 10.77.0.2 \
    --ifconfig-ipv6 fd77::1:1/112 fd77::1:2 --log "$WORK/ovpn-a.log"
lan_bg b timeout 60 openvpn "${OVPN[@]}" --nobind --remote 10.77.0.201 1194 --ifconfig 10.77.0.2 10.77.0.1 \
    --ifconfig-ipv6 fd77::1:2/112 fd77::1:1 --log "$WORK/ovpn-b.log"
up() { [ "$(grep -l "Initialization Sequence Completed" "$WORK"/ovpn-?.log 2>/dev/null | wc -l)" = 2 ]; }
for _ in $(seq 150); do up && break; sleep 0.1; done
up || { cat "$WORK"/ovpn-?.log >&2; exit 1; }
sleep 1.5 # let the tunnel's own IPv6 start-up (DAD, MLD) pass
dns_start tun0
lan_capture a "$OUT/raw-ip/input.pcap" -i tun0
traffic
lan_exec b timeout 5 busybox ping -6 -c 2 -W 1 fd77::1:1 >/dev/null
lan_stop_captures

# --- Rewrites no Linux tool makes ---------------------------------------------------------------
python3 "$HERE/pcap-swap-endian.py" "$OUT/pcap-usec-le/input.pcap" "$OUT/pcap-usec-be/input.pcap"
python3 "$HERE/pcap-rawip-to-null.py" "$OUT/raw-ip/input.pcap" "$OUT/null-loopback/input.pcap"

# --- HOWTO.md per case: provenance and the facts tests may rely on ---------------------------------
VERSIONS="Debian 12, Linux $(uname -r), $(tcpdump --version 2>&1 | head -1) ($(tcpdump --version 2>&1 | sed -n 's/^libpcap version \([^ ]*\).*/libpcap \1/p')), \
dumpcap $(dumpcap --version 2>/dev/null | sed -n '1s/^Dumpcap (Wireshark) \([^ ]*\).*/\1/p'), dnsmasq $(dnsmasq --version | sed -n '1s/^Dnsmasq version \([^ ]*\).*/\1/p'), \
$(busybox 2>&1 | sed -n '1s/^\(BusyBox v[^ ]*\).*/\1/p'), dig $(dig -v 2>&1 | sed 's/^DiG //; s/-.*//'), $(openvpn --version | sed -n '1s/^\(OpenVPN [^ ]*\).*/\1/p'), llc $(llc --version | sed -n 's/.*LLVM version \([^ ]*\).*/\1/p')"
HOSTS_LINE="Hosts (namespaces on bridge br0): a = 00:09:fb:00:00:0a (Philips Patient Monitoring OUI) 10.77.0.1 fd77::1, DNS server (dnsmasq) and TCP 2575 listener; b = 44:4b:5d:00:00:0b (GE Healthcare OUI) 10.77.0.2 fd77::2, the client. MTU 1280."
TRAFFIC="b→a: ARP, DNS A+AAAA for monitor-a.ward-hospital.test (busybox nslookup; A 10.77.0.1, AAAA refused), one TCP connection to 2575 carrying one HL7 MSH line (busybox nc), two ICMP echoes"
declare -A WHAT=(
    [pcap-usec-le]="tcpdump -i br0 in the switch namespace, phase 1, filter \`$BASE\`: classic pcap, microseconds, little-endian (magic d4 c3 b2 a1 on disk), Ethernet. $TRAFFIC."
    [pcap-nsec]="tcpdump --time-stamp-precision=nano -i br0, same filter at the same time as pcap-usec-le: the same packets in a nanosecond pcap (magic 4d 3c b2 a1 on disk)."
    [pcap-usec-be]="pcap-usec-le rewritten big-endian by \`python3 tests/lan/pcap-swap-endian.py\` (global and record headers byte-swapped, magic a1 b2 c3 d4 on disk, packet bytes untouched): no Linux tool writes big-endian pcap on a little-endian machine."
    [pcapng-multi]="dumpcap -i br0 -f \`$BASE\` -i any -f \`udp port 53 and dst host 10.77.0.1\` in the switch namespace, phase 1: one pcapng file, two Interface Description Blocks of different link types (0: br0, Ethernet; 1: any, Linux cooked v1, each DNS query seen on v-b, br0 and v-a), nanosecond resolution, packets of the two interfaces interleaved and not in strict time order."
    [sll]="tcpdump -i any -y LINUX_SLL in host a's namespace, phase 1, same filter as pcap-usec-le: Linux cooked capture v1 (16-octet header: packet type, ARPHRD, sender MAC, protocol). $TRAFFIC."
    [sll2]="tcpdump -i any -y LINUX_SLL2 in host a's namespace, phase 1, same filter: Linux cooked capture v2 (20-octet header with interface index). $TRAFFIC."
    [vlan]="tcpdump -i br0, phase 2: every frame 802.1Q-tagged, VLAN 100 (TPID 0x8100). The kernel here has no 8021q module, so a and b tag in the kernel with tc eBPF (bpf_skb_vlan_push on egress, bpf_skb_vlan_pop on ingress; programs in the script, built with llc): real tagged frames on the bridge, as a VLAN subinterface would send them. Same traffic as pcap-usec-le, IPv4 only."
    [qinq]="tcpdump -i br0, phase 3: every frame double-tagged, outer 802.1ad S-tag VLAN 200 (TPID 0x88a8), inner 802.1Q C-tag VLAN 100 (0x8100), pushed by tc eBPF as for vlan (two pushes, two pops). Same traffic as pcap-usec-le, IPv4 only."
    [raw-ip]="tcpdump -i tun0 in host a's namespace, phase 4: LINKTYPE_RAW (101), no link header. The tun device is OpenVPN's (static-key point-to-point over UDP 1194 between 10.77.0.201 and .202 on the bridge); inside it a = 10.77.0.1 fd77::1:1, b = 10.77.0.2 fd77::1:2. DNS A+AAAA, one TCP connection to 2575, two ICMP echoes, two ICMPv6 echoes."
    [null-loopback]="raw-ip converted by \`python3 tests/lan/pcap-rawip-to-null.py\`: link type NULL (0), each packet prefixed with the 4-octet little-endian address family (2 = IPv4, 30 = IPv6 as macOS writes). Linux has no NULL link type (its loopback is Ethernet), so no real tool here can make it."
    [ipv4-frag]="tcpdump -i br0, phase 1, filter \`ip[6:2] & 0x3fff != 0\`: two 3000-octet busybox pings from b to a at MTU 1280, each echo request and reply in three IPv4 fragments (offsets 0, 1256, 2512; ICMP header only in the first)."
    [ipv6-ext]="tcpdump -i br0 filter \`ip6\`, from before the links came up: DAD neighbour solicitations, MLDv2 reports (Hop-by-Hop header, Router Alert), router solicitations; a 2000-octet ping6 b→a (Fragment header, 2 fragments each way); a UDP datagram to fd77::1 port 9 with Hop-by-Hop (Router Alert, PadN) and Destination Options (PadN) headers set through IPV6_HOPOPTS/IPV6_DSTOPTS, and a's ICMPv6 port unreachable quoting it; a ping6 to fd77::99 carrying a Segment Routing header (Routing type 4, segments fd77::99 and fd77::1) added by a seg6 inline route."
    [dns-tcp]="tcpdump -i br0, phase 1, filter \`tcp port 53\`: \`dig +tcp +keepopen @10.77.0.1 pacs.ward-hospital.test hl7engine.ward-hospital.test -x 10.77.0.1\` against dnsmasq: three queries and answers (A 10.77.0.3, A 10.77.0.4, PTR monitor-a.ward-hospital.test) on one TCP connection, 2-octet length prefixes."
)
for c in "${CASES[@]}"; do
    f=$(ls "$OUT/$c"/input.pcap* 2>/dev/null | head -1)
    [ -s "$f" ] || { echo "$c: no capture" >&2; exit 1; }
    ci=$(capinfos "$f" 2>/dev/null)
    field() { sed -n "s/^$1: *//p" <<<"$ci" | head -1; }
    info="$(field 'File type'), $(field 'File encapsulation'), timestamps $(field 'File timestamp precision'), $(field 'Number of packets') packets"
    if [ "$c" = pcapng-multi ]; then
        info="$info, $(field 'Number of interfaces in file') interfaces: $(sed -n 's/^ *Name = \(.*\)/\1/p; s/^ *Encapsulation = \(.*\)/\1/p' <<<"$ci" | paste -sd ' ' | sed 's/) \([a-z]\)/), \1/g'); strict time order $(field 'Strict time order')"
    fi
    {
        echo "# $c"
        echo "${WHAT[$c]}"
        echo "$HOSTS_LINE"
        echo "Made by \`sudo bash tests/lan/make-format-fixtures.sh\` ($VERSIONS)."
        echo "capinfos: $info."
    } >"$OUT/$c/HOWTO.md"
    printf '%-14s %s\n' "$c" "$info"
done
