#!/usr/bin/env bash
# Builds a simulated hospital device network in network namespaces and lets real medical and
# management software talk, so that `ward analyze` can be checked end to end: device identities,
# DICOM AE titles, HL7 applications, and every finding kind Ward raises.
#
#   infra     Cisco      dnsmasq (DHCP, DNS), mosquitto with passwords, syslog collector, SNMP poller
#   pacs      Dell       Orthanc 1.10 (a real PACS): DICOM on 104 (AE PACS, called-AE checked), web on 8042
#   hl7engine HPE        MLLP listener answering ACKs; FHIR-style REST on 8080 (a Patient resource)
#   ris       HP         DCMTK wlmscpfs modality worklist (AE RIS_MWL) with two synthetic patients
#   ct        GE Health. storescu of a CT image (GE MEDICAL SYSTEMS / Revolution CT / revo_ct_22.1)
#   mr        Intel NIC  storescu of pydicom's MR_small (TOSHIBA_MEC / MRT50H1 / V3.51*P25)
#   us        Intel NIC  findscu worklist query to the RIS (C-FIND responses carry patient names)
#   monitor   Philips    HL7 ORU over MLLP, MQTT with a password, SNMP agent (public community), syslog
#   pump      Baxter     telnet login, FTP with a password, HTTP Basic web UI, TLS 1.0 with 3DES and an
#                        expired self-signed RSA-1024/SHA-1 certificate
#   ws        Dell       the biomed workstation: logs into the pump (telnet, FTP, HTTP, TLS), FHIR GET
#   laptop    Intel NIC  an unknown visitor: nmap dicom-ping against the PACS, an association to a
#                        wrong called AE (rejected)
#
# Patient names, ids and passwords used here are synthetic and listed in tests/pcap/lan/
# hospital-devices/HOWTO.md: the no-leak test looks for each of them in Ward's output.
#
# Usage: make-hospital-devices.sh [OUT.pcap]  (default tests/pcap/lan/hospital-devices/input.pcap).
# Needs root. Takes about 30 s. Only 10.78.0.0/24 inside namespaces wardmed-*; nothing in the root
# namespace.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "${1:-$HERE/../pcap/lan/hospital-devices/input.pcap}")
mkdir -p "$(dirname "$OUT")"
SHARED=$(realpath -m "$HERE/../../../shared/data")
ORU="$SHARED/hl7/cdc-trusted-intermediary/CA__002_CA_ORU_R01.hl7"
[ -r "$ORU" ] || { echo "missing $ORU (shared data)" >&2; exit 1; }
PYDICOM=/usr/lib/python3/dist-packages/pydicom/data/test_files
WARDLAN_PREFIX=wardmed
# shellcheck source=lib.sh
. "$HERE/lib.sh"
lan_need tcpdump tcpdump
lan_need dnsmasq dnsmasq-base
lan_need busybox busybox-static
lan_need storescp dcmtk
lan_need mosquitto mosquitto
lan_need mosquitto_pub mosquitto-clients
lan_need Orthanc orthanc
lan_need snmpd snmpd
lan_need snmpget snmp
lan_need nmap nmap
lan_need faketime faketime
lan_need openssl openssl
[ -r "$PYDICOM/MR_small.dcm" ] || lan_need /nonexistent python3-pydicom
/usr/bin/python3 -c "import pyftpdlib" 2>/dev/null || lan_need /nonexistent python3-pyftpdlib
lan_lock
WORK=$(mktemp -d)
chmod 755 "$WORK"
trap 'lan_cleanup; rm -rf "$WORK"' EXIT
lan_cleanup
rm -f "$OUT"

HOSTS=(
    "infra     00:00:0c:00:00:01"  # Cisco Systems, Inc; 10.78.0.1 static
    "pacs      00:06:5b:00:00:10"  # Dell Inc.; 10.78.0.10 static
    "hl7engine 00:14:38:00:00:11"  # Hewlett Packard Enterprise; 10.78.0.11 static
    "ris       00:01:e6:00:00:12"  # Hewlett Packard; 10.78.0.12 static
    "ct        44:4b:5d:00:00:20"  # GE Healthcare; DHCP (reserved 10.78.0.20)
    "mr        00:12:f0:00:00:21"  # Intel Corporate; DHCP
    "us        00:12:f0:00:00:22"  # Intel Corporate; DHCP
    "monitor   00:09:fb:00:00:30"  # Philips Patient Monitoring; DHCP
    "pump      58:42:e4:00:00:31"  # Baxter International Inc; 10.78.0.31 static
    "ws        00:06:5b:00:00:40"  # Dell Inc.; DHCP
    "laptop    00:12:f0:00:00:66"  # Intel Corporate; DHCP
)
ROLES=()
lan_switch
for h in "${HOSTS[@]}"; do
    read -r name mac <<<"$h"
    lan_host "$name" "$mac"
    ROLES+=("$name")
done
lan_capture sw "$OUT" -i br0
for name in "${ROLES[@]}"; do lan_up "$name"; done
for h in "infra 1" "pacs 10" "hl7engine 11" "ris 12" "pump 31"; do
    read -r name n <<<"$h"
    lan_exec "$name" ip addr add "10.78.0.$n/24" dev eth0
    lan_resolv "$name" 10.78.0.1 ward-hospital.test
done

# --- infra: DHCP and DNS, the MQTT broker (passwords required), a syslog collector ------------
cat >"$WORK/hosts" <<EOT
10.78.0.1 infra.ward-hospital.test infra
10.78.0.10 pacs.ward-hospital.test pacs
10.78.0.11 hl7engine.ward-hospital.test hl7engine
10.78.0.12 ris.ward-hospital.test ris
10.78.0.31 pump-icu-03.ward-hospital.test pump-icu-03
EOT
lan_bg infra dnsmasq --keep-in-foreground --conf-file=/dev/null --interface=eth0 --bind-interfaces \
    --no-resolv --no-hosts --addn-hosts="$WORK/hosts" --domain=ward-hospital.test --local=/ward-hospital.test/ \
    --expand-hosts --dhcp-range=10.78.0.100,10.78.0.199,255.255.255.0,1h \
    --dhcp-host=44:4b:5d:00:00:20,10.78.0.20,ct-scanner-01 \
    --dhcp-option=option:router,10.78.0.1 --dhcp-option=option:domain-search,ward-hospital.test \
    --dhcp-leasefile="$WORK/leases" --dhcp-authoritative --no-ping --pid-file="$WORK/dnsmasq.pid" \
    --log-facility=/dev/null --quiet-dhcp
mosquitto_passwd -b -c "$WORK/mqtt.passwd" bedside-mon-07 'Mqtt-Pw-7788' 2>/dev/null
chmod 644 "$WORK/mqtt.passwd"
printf 'listener 1883 10.78.0.1\nallow_anonymous false\npassword_file %s\npersistence false\n' "$WORK/mqtt.passwd" >"$WORK/mosquitto.conf"
lan_bg infra sh -c "exec mosquitto -c '$WORK/mosquitto.conf' 2>/dev/null"
lan_bg infra /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('10.78.0.1', 514)); s.settimeout(60)
while True: s.recv(65536)
"

# --- pacs: Orthanc, checking the called AE title (a wrong one is rejected) --------------------
mkdir -p "$WORK/orthanc"
cat >"$WORK/orthanc.json" <<EOT
{ "Name": "WardPACS", "StorageDirectory": "$WORK/orthanc", "IndexDirectory": "$WORK/orthanc",
  "DicomAet": "PACS", "DicomPort": 104, "DicomCheckCalledAet": true, "HttpPort": 8042,
  "RemoteAccessAllowed": true, "AuthenticationEnabled": true,
  "RegisteredUsers": { "radiology": "Orthanc-Pw-5150" }, "Plugins": [], "HttpsCACertificates": "" }
EOT
lan_bg pacs sh -c "exec Orthanc --logdir='$WORK' '$WORK/orthanc.json' >/dev/null 2>&1"

# --- hl7engine: MLLP ACKs, and a FHIR-style REST endpoint serving a Patient resource ---------
cat >"$WORK/mllp_server.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.78.0.11", 2575)); s.listen(4); s.settimeout(60)
conn, _ = s.accept(); conn.settimeout(10); buf = b""
while True:
    d = conn.recv(65536)
    if not d: break
    buf += d
    while b"\x1c\r" in buf:
        msg, buf = buf.split(b"\x1c\r", 1)
        msh = msg.lstrip(b"\x0b").split(b"\r")[0].split(b"|")
        ctrl = msh[9] if len(msh) > 9 else b"0"
        ack = (b"MSH|^~\\&|CLOVERLEAF|WARDHOSP|" + msh[2] + b"|" + msh[3] + b"|20261123101500||ACK^R01|" + ctrl
               + b"|P|2.5.1\rMSA|AA|" + ctrl + b"\r")
        conn.sendall(b"\x0b" + ack + b"\x1c\r")
conn.close()
PY
cat >"$WORK/fhir_server.py" <<'PY'
import http.server, json
PATIENT = json.dumps({"resourceType": "Patient", "id": "ward-4711",
    "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": "MRN-WARD-4711"}],
    "name": [{"family": "Wardtestpatient", "given": ["Alice"]}], "birthDate": "1961-07-04"}).encode()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HAPI-FHIR/6.4.0"
    sys_version = ""
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json;charset=utf-8")
        self.send_header("Content-Length", str(len(PATIENT)))
        self.end_headers(); self.wfile.write(PATIENT)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("10.78.0.11", 8080), H).serve_forever()
PY
lan_bg hl7engine /usr/bin/python3 "$WORK/mllp_server.py"
lan_bg hl7engine /usr/bin/python3 "$WORK/fhir_server.py"

# --- ris: a modality worklist with two synthetic patients ------------------------------------
mkdir -p "$WORK/wlist/RIS_MWL"
touch "$WORK/wlist/RIS_MWL/lockfile"
wl() { # file patient-name patient-id accession
    cat >"$WORK/wl.dump" <<EOT
(0008,0005) CS [ISO_IR 100]
(0008,0050) SH [$4]
(0010,0010) PN [$2]
(0010,0020) LO [$3]
(0010,0030) DA [19610704]
(0010,0040) CS [F]
(0010,2000) LO [NONE]
(0010,2110) LO [NONE]
(0020,000d) UI [1.2.826.0.1.3680043.9.7777.2.$4]
(0032,1032) PN [REFERRER^WARD]
(0032,1060) LO [US ABDOMEN]
(0040,0100) SQ
(fffe,e000) -
(0008,0060) CS [US]
(0032,1070) LO [NONE]
(0040,0001) AE [US_ROOM2]
(0040,0002) DA [20261123]
(0040,0003) TM [101500]
(0040,0006) PN [SONOGRAPHER^WARD]
(0040,0007) LO [US ABDOMEN]
(0040,0009) SH [SPS$4]
(0040,0010) SH [US2]
(0040,0011) SH [RADIOLOGY]
(0040,0012) LO
(0040,0400) LT
(fffe,e00d) -
(fffe,e0dd) -
(0040,1001) SH [RP$4]
(0040,1003) SH [LOW]
EOT
    dump2dcm "$WORK/wl.dump" "$WORK/wlist/RIS_MWL/$1.wl" >/dev/null
}
wl wk1 "WARDTESTPATIENT^ALICE" "MRN-WARD-4711" A1001
wl wk2 "WARDTESTPATIENT^BOB" "MRN-WARD-4712" A1002
lan_bg ris wlmscpfs -dfp "$WORK/wlist" 104

# --- pump: telnet login, FTP, a web UI behind Basic auth, legacy TLS -------------------------
cat >"$WORK/pump_login.sh" <<'SH'
#!/bin/sh
printf 'Sigma Spectrum Infusion System - service port\r\n'
printf 'login: '; read -r user
printf 'Password: '; read -r pw
if [ "$pw" = "Pump-Svc-2468" ]; then printf 'Welcome, %s\r\npump> ' "$user"; read -r cmd; printf 'bye\r\n'
else printf 'Login incorrect\r\n'; fi
SH
chmod +x "$WORK/pump_login.sh"
lan_bg pump busybox telnetd -F -p 23 -l "$WORK/pump_login.sh"
mkdir -p "$WORK/ftp"
echo "pump event log: 12 alarms" >"$WORK/ftp/WARDTESTPATIENT_ALICE_infusion_log.txt"
lan_bg pump /usr/bin/python3 -c "
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
import logging; logging.disable(logging.CRITICAL)
a = DummyAuthorizer(); a.add_user('biomed', 'Ftp-Pw-1357', '$WORK/ftp', perm='elr')
h = FTPHandler; h.authorizer = a; h.banner = 'Sigma Spectrum FTP service ready'
FTPServer(('10.78.0.31', 21), h).serve_forever()
"
lan_bg pump /usr/bin/python3 -c "
import http.server, base64
class H(http.server.BaseHTTPRequestHandler):
    server_version = 'GoAhead-Webs'
    sys_version = ''
    def do_GET(self):
        ok = self.headers.get('Authorization') == 'Basic ' + base64.b64encode(b'admin:Web-Pw-9753').decode()
        body = b'<html><body>Pump status: running</body></html>' if ok else b'denied'
        self.send_response(200 if ok else 401)
        if not ok: self.send_header('WWW-Authenticate', 'Basic realm=\"pump\"')
        self.send_header('Content-Type', 'text/html'); self.send_header('Content-Length', str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(('10.78.0.31', 80), H).serve_forever()
"
# An RSA-1024, SHA-1, self-signed certificate that expired in 2020 (made under faketime), served
# over TLS 1.0 (AES128-SHA) and over TLS 1.2 with the NULL cipher.
faketime '2019-01-01 00:00:00' openssl req -x509 -newkey rsa:1024 -sha1 -nodes -days 365 \
    -keyout "$WORK/pump.key" -out "$WORK/pump.crt" -subj "/CN=pump-icu-03/O=Sigma Spectrum" >/dev/null 2>&1
lan_bg pump sh -c "exec openssl s_server -quiet -accept 443 -cert '$WORK/pump.crt' -key '$WORK/pump.key' \
    -min_protocol TLSv1 -cipher 'AES128-SHA:NULL-SHA256:@SECLEVEL=0' -naccept 2 -www >/dev/null 2>&1"

# --- monitor: SNMP agent ---------------------------------------------------------------------
cat >"$WORK/snmpd.conf" <<EOT
agentAddress udp:10.78.0.30:161
rocommunity public default
rocommunity Snmp-Secret-Comm default
sysDescr Philips IntelliVue MX450 Patient Monitor, Rel. M.00.03
sysName bedside-mon-07
sysLocation ICU bed 7
sysObjectID 1.3.6.1.4.1.47114.2.3
sysServices 72
EOT

# --- DHCP clients -----------------------------------------------------------------------------
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
sleep 2 # servers up (Orthanc takes a moment)
dhcp() { # role hostname vendor-class
    lan_exec "$1" timeout 20 busybox udhcpc -i eth0 -q -n -t 5 -T 1 \
        -s "$WORK/udhcpc.sh" -x "hostname:$2" -V "$3" >/dev/null 2>&1
    lan_exec "$1" ip -4 -o addr show dev eth0 | grep -q "inet 10.78.0." || { echo "DHCP failed for $1" >&2; exit 1; }
}
dhcp ct ct-scanner-01 "GE Healthcare Revolution CT"
dhcp mr mr-01 "udhcp 1.35.0"
dhcp us us-room2 "udhcp 1.35.0"
dhcp monitor bedside-mon-07 "Philips IntelliVue MX450"
dhcp ws biomed-ws-02 "MSFT 5.0"
dhcp laptop visitor-laptop "MSFT 5.0"
MON=$(lan_exec monitor ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
sed -i "s/udp:10.78.0.30:161/udp:$MON:161/" "$WORK/snmpd.conf"
lan_bg monitor snmpd -f -Lo -C -c "$WORK/snmpd.conf" -p "$WORK/snmpd.pid" >/dev/null 2>&1
for i in $(seq 30); do lan_exec pacs sh -c 'exec 3<>/dev/tcp/127.0.0.1/104' 2>/dev/null && break; sleep 0.5; done

# --- DICOM: CT and MR store to the PACS, worklist query from the ultrasound -----------------
cp "$PYDICOM/CT_small.dcm" "$WORK/ct.dcm"
dcmodify -nb -i "(0008,0070)=GE MEDICAL SYSTEMS" -i "(0008,1090)=Revolution CT" -i "(0018,1020)=revo_ct_22.1" \
    -i "(0008,1010)=CT-SCANNER-01" -i "(0018,1000)=RCT22-0815" -i "(0008,0080)=Ward Test Hospital" \
    -i "(0010,0010)=WARDTESTPATIENT^CAROL" -i "(0010,0020)=MRN-WARD-4713" "$WORK/ct.dcm" >/dev/null
cp "$PYDICOM/MR_small.dcm" "$WORK/mr.dcm"
lan_exec ct timeout 10 echoscu -aet CT01 -aec PACS pacs.ward-hospital.test 104
lan_exec ct timeout 10 storescu -aet CT01 -aec PACS pacs.ward-hospital.test 104 "$WORK/ct.dcm"
lan_exec mr timeout 10 storescu -aet MR01 -aec PACS pacs.ward-hospital.test 104 "$WORK/mr.dcm"
lan_exec us timeout 10 findscu -W -aet US_ROOM2 -aec RIS_MWL -k "ScheduledProcedureStepSequence[0].Modality=US" \
    -k PatientName= -k PatientID= -k PatientBirthDate= -k AccessionNumber= ris.ward-hospital.test 104 >/dev/null 2>&1

# --- monitor: HL7 ORU to the engine, vitals over MQTT with a password, syslog ----------------
cat >"$WORK/mllp_send.py" <<'PY'
import socket, sys
msg = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\r").replace(b"\n", b"\r")
c = socket.create_connection(("hl7engine.ward-hospital.test", 2575), timeout=10)
c.sendall(b"\x0b" + msg + b"\x1c\r")
ack = c.recv(65536)
c.close()
sys.exit(0 if b"MSA|AA" in ack else 1)
PY
lan_exec monitor timeout 10 /usr/bin/python3 "$WORK/mllp_send.py" "$ORU"
lan_exec monitor timeout 5 mosquitto_pub -h infra.ward-hospital.test -i bedside-mon-07 -u bedside-mon-07 \
    -P 'Mqtt-Pw-7788' -t ward/vitals/bed7/hr -m '{"patient":"WARDTESTPATIENT^ALICE","hr":72}'
# logger writes the UTS host name: give the monitor its own.
lan_exec monitor unshare --uts sh -c 'hostname bedside-mon-07 && logger -n 10.78.0.1 -P 514 -d --rfc5424 \
    -t intellivue "alarm HR LOW patient WARDTESTPATIENT^ALICE bed 7"'
lan_exec infra timeout 5 snmpget -v2c -c public -r 1 -t 2 "$MON" 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 1.3.6.1.2.1.1.2.0 1.3.6.1.2.1.1.6.0 >/dev/null
lan_exec infra timeout 5 snmpget -v1 -c Snmp-Secret-Comm -r 1 -t 2 "$MON" 1.3.6.1.2.1.1.3.0 >/dev/null

# --- workstation: biomed logs into the pump; FHIR lookup ------------------------------------
cat >"$WORK/telnet_login.py" <<'PY'
import socket, sys, time
IAC, DONT, DO, WONT, WILL = 255, 254, 253, 252, 251
c = socket.create_connection(("pump-icu-03.ward-hospital.test", 23), timeout=5)
def read_until(token):
    buf = b""; end = time.time() + 5
    while token not in buf and time.time() < end:
        d = c.recv(4096)
        if not d: break
        i = 0
        while i < len(d):  # refuse every option the server proposes
            if d[i] == IAC and i + 2 < len(d) + 1 and i + 1 < len(d) and d[i + 1] in (DO, DONT, WILL, WONT) and i + 2 < len(d):
                reply = WONT if d[i + 1] in (DO, DONT) else DONT
                c.sendall(bytes([IAC, reply, d[i + 2]])); i += 3
            else:
                buf += d[i:i + 1]; i += 1
    return buf
read_until(b"login: "); c.sendall(b"biomed\r\n")
read_until(b"Password: "); c.sendall(b"Pump-Svc-2468\r\n")
out = read_until(b"pump> "); c.sendall(b"status\r\n"); read_until(b"bye")
c.close()
sys.exit(0 if b"Welcome" in out else 1)
PY
lan_exec ws timeout 10 /usr/bin/python3 "$WORK/telnet_login.py"
lan_exec ws timeout 10 /usr/bin/python3 -c "
import ftplib
f = ftplib.FTP('pump-icu-03.ward-hospital.test', timeout=5); f.login('biomed', 'Ftp-Pw-1357')
f.nlst(); f.retrbinary('RETR WARDTESTPATIENT_ALICE_infusion_log.txt', lambda b: None); f.quit()
"
lan_exec ws timeout 5 curl -s -o /dev/null -u 'admin:Web-Pw-9753' http://pump-icu-03.ward-hospital.test/status
for v in "-tls1 -cipher AES128-SHA:@SECLEVEL=0" "-tls1_2 -cipher NULL-SHA256:@SECLEVEL=0"; do
    # shellcheck disable=SC2086 # two words on purpose
    printf 'GET / HTTP/1.0\r\n\r\n' | lan_exec ws timeout 5 openssl s_client -quiet $v \
        -connect pump-icu-03.ward-hospital.test:443 -servername pump-icu-03.ward-hospital.test >/dev/null 2>&1 || true
done
lan_exec ws timeout 5 curl -s -o /dev/null -H 'Accept: application/fhir+json' \
    'http://hl7engine.ward-hospital.test:8080/fhir/Patient?identifier=MRN-WARD-4711'
lan_exec ws timeout 5 curl -s -o /dev/null -u 'radiology:Orthanc-Pw-5150' http://pacs.ward-hospital.test:8042/system

# --- laptop: a DICOM scan and a rejected association ----------------------------------------
lan_exec laptop timeout 20 nmap -Pn -n -sT -p 104 --script dicom-ping --script-args dicom.called_aet=PACS 10.78.0.10 >/dev/null 2>&1 || true
lan_exec laptop timeout 10 echoscu -aet ROGUE_WS -aec ANY-SCP 10.78.0.10 104 >/dev/null 2>&1 || true

lan_stop_captures
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)" >&2
