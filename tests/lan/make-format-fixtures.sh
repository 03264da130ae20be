#!/usr/bin/env bash
# Makes the capture-format fixtures under tests/pcap/formats/ from real traffic between two hosts
# in network namespaces (IPv4 and IPv6 with fragments and MLD hop-by-hop options, DNS, TCP),
# captured at the same time by tcpdump (pcap µs and ns, Linux cooked SLL and SLL2) and
# dumpcap (pcapng with two interfaces of different link types). 802.1Q and 802.1ad+802.1Q
# tags are inserted by pcap-convert.py (this kernel has no VLAN devices). Big-endian, raw-IP and BSD-null
# variants have no Linux capture tool; they are converted from the real Ethernet capture by
# pcap-convert.py, which says exactly what it rewrites. Usage: make-format-fixtures.sh [OUTDIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "${1:-$HERE/../pcap/formats}")
WARDLAN_PREFIX=wfmt
# shellcheck source=lib.sh
. "$HERE/lib.sh"
WORK=$(mktemp -d)
trap 'lan_cleanup; rm -rf "$WORK"' EXIT
lan_cleanup
mkdir -p "$OUT"/{pcap-usec-le,pcap-usec-be,pcap-nsec,pcapng-multi,sll,sll2,vlan,qinq,raw-ip,null-loopback,ipv4-frag,ipv6-ext}

lan_switch
lan_host a 00:09:fb:00:00:0a   # Philips Patient Monitoring OUI
lan_host b 44:4b:5d:00:00:0b   # GE Healthcare OUI
lan_exec a ip addr add 10.79.0.1/24 dev eth0
lan_exec b ip addr add 10.79.0.2/24 dev eth0
lan_exec a ip -6 addr add fd79::1/64 dev eth0 nodad
lan_exec b ip -6 addr add fd79::2/64 dev eth0 nodad
SW="${WARDLAN_PREFIX}-sw"
cap() { # ns file args...
    local ns=$1 file=$2
    shift 2
    ip netns exec "$ns" tcpdump -U -s 0 -w "$file" "$@" >/dev/null 2>&1 &
    WARDLAN_PIDS+=("$!")
    CAPS+=("$!")
}
CAPS=()
cap "$SW" "$OUT/pcap-usec-le/input.pcap" -i br0 "not ip6 and not (ip and ip[6:2] & 0x3fff != 0)"
cap "$SW" "$OUT/pcap-nsec/input.pcap" -i br0 --time-stamp-precision=nano "not ip6"
cap "$SW" "$OUT/ipv4-frag/input.pcap" -i br0 "ip and (ip[6:2] & 0x3fff != 0 or icmp)"
cap "$SW" "$OUT/ipv6-ext/input.pcap" -i br0 "ip6"
cap "${WARDLAN_PREFIX}-a" "$OUT/sll/input.pcap" -i any -y LINUX_SLL "not ip6"
cap "${WARDLAN_PREFIX}-a" "$OUT/sll2/input.pcap" -i any -y LINUX_SLL2 "not ip6"
ip netns exec "$SW" dumpcap -q -i br0 -f "not ip6" -i any -f "udp port 53" -w "$OUT/pcapng-multi/input.pcapng" >/dev/null 2>&1 &
WARDLAN_PIDS+=("$!")
CAPS+=("$!")
sleep 2

# Traffic: DNS (dnsmasq answers from a hosts file), TCP, pings on every VLAN, big pings.
echo "10.79.0.1 monitor-a.ward-fmt.test" >"$WORK/hosts"
lan_bg a dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 --bind-interfaces --no-resolv --no-hosts \
    --addn-hosts="$WORK/hosts" --log-facility=/dev/null --pid-file="$WORK/d.pid"
lan_bg a sh -c "timeout 8 busybox nc -l -p 2575 >/dev/null"
sleep 0.5
lan_exec b timeout 5 busybox nslookup monitor-a.ward-fmt.test 10.79.0.1 >/dev/null 2>&1 || true
echo "MSH|^~\\&|FMT|TEST" | lan_exec b timeout 3 busybox nc 10.79.0.1 2575 || true
lan_exec b timeout 5 busybox ping -c 2 -W 1 10.79.0.1 >/dev/null 2>&1 || true
lan_exec b timeout 5 busybox ping -c 1 -W 1 -s 3000 10.79.0.1 >/dev/null 2>&1 || true
lan_exec b timeout 5 busybox ping -6 -c 1 -W 1 -s 3000 fd79::1 >/dev/null 2>&1 || true
lan_exec b timeout 5 busybox ping -6 -c 2 -W 1 fd79::1 >/dev/null 2>&1 || true
sleep 1.5
for p in "${CAPS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
for p in "${CAPS[@]}"; do wait "$p" 2>/dev/null || true; done

# This kernel offers no VLAN devices in namespaces, and tcprewrite 4.4.3 keeps the old captured
# length when it inserts a tag (cutting 4 bytes off every frame) and corrupts the source MAC when
# it adds a second one: pcap-convert.py inserts the 802.1Q tag (VLAN 100) and, for `qinq`, the
# 802.1ad S-tag (VLAN 200) outside it.
python3 "$HERE/pcap-convert.py" vlan "$OUT/pcap-usec-le/input.pcap" "$OUT/vlan/input.pcap"
python3 "$HERE/pcap-convert.py" qinq "$OUT/vlan/input.pcap" "$OUT/qinq/input.pcap"
python3 "$HERE/pcap-convert.py" swap-endian "$OUT/pcap-usec-le/input.pcap" "$OUT/pcap-usec-be/input.pcap"
python3 "$HERE/pcap-convert.py" raw-ip "$OUT/pcap-usec-le/input.pcap" "$OUT/raw-ip/input.pcap"
python3 "$HERE/pcap-convert.py" null "$OUT/pcap-usec-le/input.pcap" "$OUT/null-loopback/input.pcap"
for d in "$OUT"/*/; do
    f=$(ls "$d"input.* 2>/dev/null | head -1)
    [ -n "$f" ] && echo "$(basename "$d"): $(capinfos -c -E "$f" 2>/dev/null | awk -F: '/encapsulation|packets/ {gsub(/^ +/,"",$2); printf "%s; ", $2}')"
done
