#!/usr/bin/env bash
# Builds a small simulated hospital LAN in network namespaces, lets real clients and servers talk
# (dnsmasq DHCP+DNS, busybox udhcpc/nslookup/wget/httpd, dig, DCMTK echoscu/storescu/storescp, an
# HL7 MLLP exchange, mosquitto, openssl s_client/s_server, IPv6) and captures it all with tcpdump
# on the bridge, from before the first host comes up.
#
# Usage: make-hospital-lan.sh [OUTDIR | OUT.pcap]   (default OUTDIR: tests/pcap/lan/hospital-lan;
#        an OUTDIR gets OUTDIR/input.pcap). Needs root. Takes about 8 s.
# Network: namespaces wardlan-sw (bridge br0, no address) and wardlan-<role>, one veth each.
# Only 10.77.0.0/24 and fd77::/64 inside those namespaces; nothing in the root namespace. Each
# host resolves names through its own /etc/netns/wardlan-<role>/resolv.conf (removed at the end).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ARG=${1:-$HERE/../pcap/lan/hospital-lan}
case "$ARG" in
    *.pcap | *.pcapng) OUT=$(realpath -m "$ARG") ;;
    *) OUT=$(realpath -m "$ARG/input.pcap") ;;
esac
mkdir -p "$(dirname "$OUT")"
SHARED=$(realpath -m "$HERE/../../../shared/data")
ORU="$SHARED/hl7/cdc-trusted-intermediary/CA__002_CA_ORU_R01.hl7"
[ -r "$ORU" ] || { echo "missing $ORU (shared data)" >&2; exit 1; }
WARDLAN_PREFIX=wardlan
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lan_need tcpdump tcpdump
lan_need dnsmasq dnsmasq-base
lan_need busybox busybox
lan_need storescp dcmtk
lan_need mosquitto mosquitto
lan_need mosquitto_pub mosquitto-clients
lan_need dig bind9-dnsutils
lan_lock
WORK=$(mktemp -d)
chmod 755 "$WORK" # dnsmasq reads its hosts file after dropping to user nobody
trap 'lan_cleanup; rm -rf "$WORK"' EXIT
lan_cleanup
rm -f "$OUT"

# role       MAC (OUI of the vendor in /usr/share/ieee-data/oui.csv)
HOSTS=(
    "infra      00:06:5b:00:00:01"  # Dell Inc.: dnsmasq DHCP+DNS, MQTT broker; 10.77.0.1 static
    "pacs       00:01:e6:00:00:10"  # Hewlett Packard: storescp, httpd, TLS; 10.77.0.10 + fd77::10 static
    "hl7engine  00:14:38:00:00:11"  # Hewlett Packard Enterprise: MLLP listener; 10.77.0.11 static
    "ct         44:4b:5d:00:00:20"  # GE Healthcare: echoscu/storescu; DHCP (reserved 10.77.0.20)
    "monitor    00:09:fb:00:00:30"  # Philips Patient Monitoring: HL7 ORU over MLLP, MQTT; DHCP
    "pump       58:42:e4:00:00:31"  # Baxter International Inc: MQTT; DHCP
    "vent       00:30:e6:00:00:32"  # Draeger Medical Systems, Inc.: DHCP and DNS only; DHCP
    "ws         00:06:5b:00:00:40"  # Dell Inc.: HTTP, TLS, DNS/TCP, MQTT subscribe, IPv6; DHCP + fd77::40
)
ROLES=()
lan_switch
for h in "${HOSTS[@]}"; do
    read -r name mac <<<"$h"
    lan_host "$name" "$mac"
    ROLES+=("$name")
done

# Capture on the switch from before any host's link comes up.
lan_capture sw "$OUT" -i br0

for name in "${ROLES[@]}"; do lan_up "$name"; done
lan_exec infra ip addr add 10.77.0.1/24 dev eth0
lan_exec pacs ip addr add 10.77.0.10/24 dev eth0
lan_exec hl7engine ip addr add 10.77.0.11/24 dev eth0
lan_exec pacs ip -6 addr add fd77::10/64 dev eth0 nodad
lan_exec ws ip -6 addr add fd77::40/64 dev eth0 nodad
for name in infra pacs hl7engine; do lan_resolv "$name" 10.77.0.1 ward-hospital.test; done

# Infrastructure: DHCP and DNS for ward-hospital.test; the static hosts' names from a hosts file,
# the DHCP clients' names from their leases; the CT has a reserved address.
cat >"$WORK/hosts" <<EOT
10.77.0.1 infra.ward-hospital.test infra
10.77.0.10 pacs.ward-hospital.test pacs
10.77.0.11 hl7engine.ward-hospital.test hl7engine
fd77::10 pacs.ward-hospital.test pacs
EOT
lan_bg infra dnsmasq --keep-in-foreground --conf-file=/dev/null --interface=eth0 --bind-interfaces \
    --no-resolv --no-hosts --addn-hosts="$WORK/hosts" --domain=ward-hospital.test --local=/ward-hospital.test/ \
    --expand-hosts --dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h \
    --dhcp-host=44:4b:5d:00:00:20,10.77.0.20,ct-scanner-01 \
    --dhcp-option=option:router,10.77.0.1 --dhcp-option=option:domain-search,ward-hospital.test \
    --dhcp-leasefile="$WORK/leases" --dhcp-authoritative --no-ping --pid-file="$WORK/dnsmasq.pid" \
    --log-facility=/dev/null --quiet-dhcp
printf 'listener 1883 10.77.0.1\nallow_anonymous true\npersistence false\n' >"$WORK/mosquitto.conf"
lan_bg infra sh -c "exec mosquitto -c '$WORK/mosquitto.conf' 2>/dev/null"

# PACS: DICOM storage SCP, a web page, a TLS service with a self-signed certificate.
mkdir -p "$WORK/pacs-store" "$WORK/www"
echo "<html><body>PACS web viewer</body></html>" >"$WORK/www/index.html"
lan_bg pacs storescp -aet PACS --output-directory "$WORK/pacs-store" 104
lan_bg pacs busybox httpd -f -p 8080 -h "$WORK/www"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 30 \
    -subj "/CN=pacs.ward-hospital.test/O=Ward Test Hospital" >/dev/null 2>&1
lan_bg pacs sh -c "exec openssl s_server -quiet -accept 443 -cert '$WORK/cert.pem' -key '$WORK/key.pem' -naccept 1 -www >/dev/null 2>&1"

# HL7 engine: an MLLP listener that answers every message with an ACK (AA).
cat >"$WORK/mllp_server.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.11", 2575)); s.listen(4); s.settimeout(30)
conn, _ = s.accept(); conn.settimeout(10); buf = b""
while True:
    d = conn.recv(65536)
    if not d: break
    buf += d
    while b"\x1c\r" in buf:
        msg, buf = buf.split(b"\x1c\r", 1)
        msh = msg.lstrip(b"\x0b").split(b"\r")[0].split(b"|")
        ctrl = msh[9] if len(msh) > 9 else b"0"
        ack = (b"MSH|^~\\&|HL7ENGINE|WARDHOSP|" + msh[2] + b"|" + msh[3] + b"|20260101000000||ACK|" + ctrl
               + b"|P|2.5.1\rMSA|AA|" + ctrl + b"\r")
        conn.sendall(b"\x0b" + ack + b"\x1c\r")
conn.close()
PY
cat >"$WORK/mllp_send.py" <<'PY'
import socket, sys
msg = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\r").replace(b"\n", b"\r")
c = socket.create_connection(("hl7engine.ward-hospital.test", 2575), timeout=10)
c.sendall(b"\x0b" + msg + b"\x1c\r")
ack = c.recv(65536)
c.close()
sys.exit(0 if b"MSA|AA" in ack else 1)
PY
lan_bg hl7engine python3 "$WORK/mllp_server.py"

# DHCP clients: real busybox udhcpc (DISCOVER/OFFER/REQUEST/ACK, client id 61, parameter request
# list 55, host name 12, vendor class 60). udhcpc only talks DHCP: this script sets the address
# and writes the offered name server and domain into the host's resolv.conf.
cat >"$WORK/udhcpc.sh" <<'SH'
#!/bin/sh
case "$1" in
    bound|renew)
        ip -4 addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        printf 'nameserver %s\nsearch %s\n' "${dns%% *}" "${search:-$domain}" >/etc/resolv.conf
        ;;
esac
SH
chmod +x "$WORK/udhcpc.sh"
sleep 1 # dnsmasq and the listeners are up
dhcp() { # role hostname vendor-class
    lan_exec "$1" timeout 20 busybox udhcpc -i eth0 -q -n -t 5 -T 1 \
        -s "$WORK/udhcpc.sh" -x "hostname:$2" -V "$3" >/dev/null 2>&1
    lan_exec "$1" ip -4 -o addr show dev eth0 | grep -q "inet 10.77.0." || { echo "DHCP failed for $1" >&2; exit 1; }
}
dhcp ct ct-scanner-01 "GE Healthcare Revolution CT"
dhcp monitor bedside-mon-07 "Philips IntelliVue MX450"
dhcp pump pump-icu-03 "Baxter Sigma Spectrum"
dhcp vent vent-icu-05 "Draeger Evita V800"
dhcp ws radiology-ws-02 "MSFT 5.0"

# DNS: every host looks up the others by name (static names from the hosts file, DHCP names from
# the leases), reverse (PTR) lookups, an AAAA, and DNS over TCP (dig, one connection).
ns() { lan_exec "$1" timeout 5 busybox nslookup "$2" 10.77.0.1 >/dev/null 2>&1 || true; }
ns infra pacs.ward-hospital.test
ns pacs ct-scanner-01.ward-hospital.test
ns hl7engine bedside-mon-07.ward-hospital.test
ns ct pacs.ward-hospital.test
ns ct infra.ward-hospital.test
ns monitor hl7engine.ward-hospital.test
ns monitor 10.77.0.20
ns pump infra.ward-hospital.test
ns vent infra.ward-hospital.test
ns vent pump-icu-03.ward-hospital.test
ns ws pacs.ward-hospital.test
ns ws bedside-mon-07.ward-hospital.test
ns ws 10.77.0.10
lan_exec ws timeout 8 dig +tcp +keepopen +tries=1 +time=3 @10.77.0.1 \
    hl7engine.ward-hospital.test ct-scanner-01.ward-hospital.test >/dev/null 2>&1 || true

# DICOM: verification, then storage of a small synthetic CT image (no real patient).
cat >"$WORK/ct.dump" <<'DUMP'
(0008,0016) UI =CTImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.9.7777.1.1]
(0008,0060) CS [CT]
(0008,0070) LO [GE MEDICAL SYSTEMS]
(0008,1090) LO [Revolution CT]
(0010,0010) PN [TEST^SYNTHETIC]
(0010,0020) LO [WARD0001]
(0020,000d) UI [1.2.826.0.1.3680043.9.7777.1]
(0020,000e) UI [1.2.826.0.1.3680043.9.7777.1.2]
(0028,0002) US 1
(0028,0004) CS [MONOCHROME2]
(0028,0010) US 16
(0028,0011) US 16
(0028,0100) US 16
(0028,0101) US 12
(0028,0102) US 11
(0028,0103) US 0
DUMP
python3 -c "import sys; sys.stdout.write('(7fe0,0010) OW ' + '\\\\'.join(['0400']*256) + '\n')" >>"$WORK/ct.dump"
dump2dcm --write-xfer-little "$WORK/ct.dump" "$WORK/ct.dcm" >/dev/null
lan_exec ct timeout 10 echoscu -aet CT01 -aec PACS pacs.ward-hospital.test 104
lan_exec ct timeout 10 storescu -aet CT01 -aec PACS pacs 104 "$WORK/ct.dcm"

# HL7 ORU over MLLP from the monitor (the CDC's public-domain sample), MQTT vitals.
lan_exec monitor timeout 10 python3 "$WORK/mllp_send.py" "$ORU"
lan_bg ws timeout 8 mosquitto_sub -h infra.ward-hospital.test -i radiology-ws-02 -t 'ward/vitals/#' -C 3 -W 7 >/dev/null
sleep 0.5
lan_exec monitor timeout 5 mosquitto_pub -h infra -i bedside-mon-07 -t ward/vitals/bed7/hr -m '{"hr":72}'
lan_exec monitor timeout 5 mosquitto_pub -h 10.77.0.1 -i bedside-mon-07 -t ward/vitals/bed7/spo2 -m '{"spo2":97}'
lan_exec pump timeout 5 mosquitto_pub -h 10.77.0.1 -i pump-icu-03 -t ward/vitals/pump3/rate -m '{"ml_h":12.5}'

# Workstation: HTTP to the PACS web server by address (IPv4) and by name (the AAAA wins: IPv6),
# TLS by name over IPv4 (SNI pacs.ward-hospital.test, self-signed certificate), ping over both.
lan_exec ws timeout 5 busybox wget -q -O /dev/null http://10.77.0.10:8080/
lan_exec ws timeout 5 busybox wget -q -O /dev/null http://pacs.ward-hospital.test:8080/
printf 'GET / HTTP/1.0\r\n\r\n' | lan_exec ws timeout 5 openssl s_client -4 -quiet -connect pacs.ward-hospital.test:443 \
    -servername pacs.ward-hospital.test >/dev/null 2>&1 || true
lan_exec ws timeout 5 busybox ping -6 -c 2 -W 1 pacs.ward-hospital.test >/dev/null
lan_exec ws timeout 5 busybox ping -c 1 -W 1 infra.ward-hospital.test >/dev/null

lan_stop_captures
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)" >&2
