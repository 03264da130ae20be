#!/usr/bin/env bash
# Builds a small simulated hospital LAN in network namespaces, lets real clients and servers
# talk (dnsmasq DHCP+DNS, busybox udhcpc/nslookup/wget/httpd, dig, DCMTK echoscu/storescu/
# storescp, an MLLP exchange, mosquitto, openssl s_client/s_server, IPv6 ping) and captures
# everything on the bridge with tcpdump. Usage: make-hospital-lan.sh OUT.pcap
# Needs root. Only addresses inside the namespaces it creates are used (10.77.0.0/24, fd77::/64).
set -euo pipefail
OUT=$(realpath -m "${1:?usage: $0 OUT.pcap}")
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=$(realpath -m "$HERE/../../../shared/data")
# shellcheck source=lib.sh
. "$HERE/lib.sh"
WORK=$(mktemp -d)
trap 'lan_cleanup; rm -rf "$WORK"' EXIT
lan_cleanup

# host        MAC (real IEEE OUI of its vendor)   address   role
HOSTS=(
  "infra      00:06:5b:00:00:01  10.77.0.1    dnsmasq DHCP+DNS, MQTT broker (Dell)"
  "pacs       00:01:e6:00:00:10  10.77.0.10   DICOM storescp, HTTP, TLS (Hewlett Packard)"
  "hl7engine  00:14:38:00:00:11  10.77.0.11   HL7 MLLP listener (Hewlett Packard Enterprise)"
  "ct         44:4b:5d:00:00:20  dhcp         DICOM modality: echoscu, storescu (GE Healthcare)"
  "monitor    00:09:fb:00:00:30  dhcp         patient monitor: HL7 ORU over MLLP, MQTT (Philips Patient Monitoring)"
  "pump       58:42:e4:00:00:31  dhcp         infusion pump: MQTT (Baxter)"
  "vent       00:30:e6:00:00:32  dhcp         ventilator: DHCP and DNS only (Draeger Medical Systems)"
  "ws         00:06:5b:00:00:40  dhcp         workstation: HTTP, TLS, DNS over TCP, IPv6 (Dell)"
)

lan_switch
for h in "${HOSTS[@]}"; do
    read -r name mac _ <<<"$h"
    lan_host "$name" "$mac"
done
lan_exec infra ip addr add 10.77.0.1/24 dev eth0
lan_exec pacs ip addr add 10.77.0.10/24 dev eth0
lan_exec hl7engine ip addr add 10.77.0.11/24 dev eth0
lan_exec pacs ip -6 addr add fd77::10/64 dev eth0 nodad
lan_exec ws ip -6 addr add fd77::40/64 dev eth0 nodad

# Capture on the bridge from before the first packet.
ip netns exec "${WARDLAN_PREFIX}-sw" tcpdump -i br0 -U -s 0 -w "$OUT" >/dev/null 2>&1 &
WARDLAN_PIDS+=("$!")
TCPDUMP=$!
sleep 1

# Infrastructure: DHCP and DNS for ward-hospital.test, names for the static hosts.
cat >"$WORK/hosts" <<HOSTS
10.77.0.1 infra.ward-hospital.test infra
10.77.0.10 pacs.ward-hospital.test pacs
10.77.0.11 hl7engine.ward-hospital.test hl7engine
fd77::10 pacs.ward-hospital.test pacs
HOSTS
lan_bg infra dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 --bind-interfaces \
    --no-resolv --no-hosts --addn-hosts="$WORK/hosts" --domain=ward-hospital.test --local=/ward-hospital.test/ \
    --expand-hosts --dhcp-range=10.77.0.100,10.77.0.199,255.255.255.0,1h --dhcp-option=option:router,10.77.0.1 \
    --dhcp-leasefile="$WORK/leases" --dhcp-authoritative --no-ping --pid-file="$WORK/dnsmasq.pid" --log-facility=/dev/null --quiet-dhcp 2>/dev/null
printf 'listener 1883 10.77.0.1\nallow_anonymous true\npersistence false\n' >"$WORK/mosquitto.conf"
lan_bg infra sh -c "exec mosquitto -c $WORK/mosquitto.conf 2>/dev/null"

# PACS: DICOM storage SCP, a web page, a TLS service.
mkdir -p "$WORK/pacs-store" "$WORK/www"
echo "<html><body>PACS web viewer</body></html>" >"$WORK/www/index.html"
lan_bg pacs storescp -aet PACS --output-directory "$WORK/pacs-store" 104
lan_bg pacs busybox httpd -f -p 8080 -h "$WORK/www"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 30 \
    -subj "/CN=pacs.ward-hospital.test/O=Ward Test Hospital" >/dev/null 2>&1
lan_bg pacs openssl s_server -quiet -accept 443 -cert "$WORK/cert.pem" -key "$WORK/key.pem" -naccept 2

# HL7 engine: an MLLP listener that answers every message with an ACK (AA).
cat >"$WORK/mllp_server.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.11", 2575)); s.listen(4); s.settimeout(30)
conn, _ = s.accept(); conn.settimeout(10); buf = b""
while True:
    d = conn.recv(65536)
    if not d: break
    buf += d
    while b"\x1c\r" in buf:
        msg, buf = buf.split(b"\x1c\r", 1)
        msg = msg.lstrip(b"\x0b")
        msh = msg.split(b"\r")[0].split(b"|")
        ctrl = msh[9] if len(msh) > 9 else b"0"
        ack = b"MSH|^~\\&|HL7ENGINE|WARDHOSP|" + msh[2] + b"|" + msh[3] + b"|20260101000000||ACK|" + ctrl + b"|P|2.5.1\rMSA|AA|" + ctrl + b"\r"
        conn.sendall(b"\x0b" + ack + b"\x1c\r")
conn.close()
PY
cat >"$WORK/mllp_send.py" <<'PY'
import socket, sys
msg = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\r").replace(b"\n", b"\r")
c = socket.create_connection(("10.77.0.11", 2575), timeout=10)
c.sendall(b"\x0b" + msg + b"\x1c\r")
print(c.recv(65536)[:60]); c.close()
PY
lan_bg hl7engine python3 "$WORK/mllp_server.py"

# DHCP clients: real udhcpc with host name (option 12) and vendor class (option 60).
cat >"$WORK/udhcpc.sh" <<'SH'
#!/bin/sh
case "$1" in
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    ;;
esac
SH
chmod +x "$WORK/udhcpc.sh"
dhcp() { # name hostname vendorclass
    lan_exec "$1" timeout 20 busybox udhcpc -i eth0 -q -n -t 5 -T 1 -s "$WORK/udhcpc.sh" \
        -x "hostname:$2" -V "$3" >/dev/null 2>&1
}
dhcp ct ct-scanner-01 "GE Healthcare Revolution CT"
dhcp monitor bedside-mon-07 "Philips IntelliVue MX450"
dhcp pump pump-icu-03 "Baxter Sigma Spectrum"
dhcp vent vent-icu-05 "Draeger Evita V800"
dhcp ws radiology-ws-02 "MSFT 5.0"
sleep 0.5

# DNS: forward lookups of static and DHCP-registered names, a reverse lookup, DNS over TCP.
for h in ct monitor pump vent ws; do
    lan_exec "$h" timeout 5 busybox nslookup pacs.ward-hospital.test 10.77.0.1 >/dev/null 2>&1 || true
done
lan_exec ws timeout 5 busybox nslookup bedside-mon-07.ward-hospital.test 10.77.0.1 >/dev/null 2>&1 || true
lan_exec ws timeout 5 busybox nslookup pump-icu-03.ward-hospital.test 10.77.0.1 >/dev/null 2>&1 || true
lan_exec ws timeout 5 busybox nslookup 10.77.0.10 10.77.0.1 >/dev/null 2>&1 || true
lan_exec ct timeout 5 busybox nslookup infra.ward-hospital.test 10.77.0.1 >/dev/null 2>&1 || true
lan_exec ws timeout 5 dig +tcp +keepopen +tries=1 +time=3 @10.77.0.1 hl7engine.ward-hospital.test ct-scanner-01.ward-hospital.test >/dev/null 2>&1 || true

# DICOM: verification and a storage of a small synthetic CT image (no real patient).
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
lan_exec ct timeout 10 echoscu -aet CT01 -aec PACS 10.77.0.10 104 >/dev/null 2>&1 || true
lan_exec ct timeout 10 storescu -aet CT01 -aec PACS 10.77.0.10 104 "$WORK/ct.dcm" >/dev/null 2>&1 || true

# HL7 over MLLP from the monitor (a synthetic ORU from the CDC samples), MQTT vitals.
lan_exec monitor timeout 10 python3 "$WORK/mllp_send.py" "$SHARED/hl7/cdc-trusted-intermediary/CA__002_CA_ORU_R01.hl7" >/dev/null 2>&1 || true
lan_bg ws sh -c "timeout 6 mosquitto_sub -h 10.77.0.1 -t ward/vitals/# -C 3 -W 5 >/dev/null"
sleep 0.5
lan_exec monitor timeout 5 mosquitto_pub -h 10.77.0.1 -i bedside-mon-07 -t ward/vitals/bed7/hr -m '{"hr":72}' || true
lan_exec monitor timeout 5 mosquitto_pub -h 10.77.0.1 -i bedside-mon-07 -t ward/vitals/bed7/spo2 -m '{"spo2":97}' || true
lan_exec pump timeout 5 mosquitto_pub -h 10.77.0.1 -i pump-icu-03 -t ward/vitals/pump3/rate -m '{"ml_h":12.5}' || true

# Workstation: HTTP, TLS, IPv6.
lan_exec ws timeout 5 busybox wget -q -O /dev/null http://10.77.0.10:8080/ || true
echo "GET /" | lan_exec ws timeout 5 openssl s_client -quiet -connect 10.77.0.10:443 -servername pacs.ward-hospital.test >/dev/null 2>&1 || true
lan_exec ws timeout 5 busybox ping -6 -c 2 -W 1 fd77::10 >/dev/null 2>&1 || true
lan_exec ws timeout 5 busybox wget -q -O /dev/null "http://[fd77::10]:8080/" || true
lan_exec ws timeout 5 busybox ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1 || true

sleep 1.5
kill -INT "$TCPDUMP" 2>/dev/null || true
wait "$TCPDUMP" 2>/dev/null || true
echo "wrote $OUT" >&2
