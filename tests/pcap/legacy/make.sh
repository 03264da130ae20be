#!/usr/bin/env bash
# Make Ward's fixtures for the legacy cleartext management protocols that medical devices still
# run, with real servers and clients in a private network namespace (its own loopback), captured
# with tcpdump:
#   snmp.pcap    net-snmp 5.9 snmpd; snmpget v1 and v2c, snmpgetnext, snmpbulkget, snmpset with a
#                read-only community (noAccess error), a wrong community (no answer), v3 authPriv,
#                and a v2c trap to snmptrapd
#   ftp.pcap     pyftpdlib; Python ftplib: a failed login, a login with PWD/CWD/PASV/LIST/RETR, an
#                anonymous login, an unknown command
#   telnet.pcap  busybox telnetd with a device-style login script: a refused then an accepted login
# Run as root from anywhere:  bash tests/pcap/legacy/make.sh
# Writes the pcaps beside itself. Every password and community below is FAKE, there for the
# no-leak tests (crates/ward/tests/peers_legacy.rs lists them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
for t in snmpd snmpget snmptrapd tcpdump busybox socat; do
    command -v "$t" >/dev/null || { echo "missing $t (apt-get install snmpd snmp snmptrapd tcpdump busybox-static socat)" >&2; exit 1; }
done
/usr/bin/python3 -c "import pyftpdlib" 2>/dev/null || { echo "missing python3-pyftpdlib" >&2; exit 1; }
NS=wardlegacy
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cap=
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "${cap:-}" ] && kill "$cap" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns exec "$NS" ip link set lo up
in_ns() { ip netns exec "$NS" "$@"; }
bg() { in_ns "$@" >/dev/null 2>&1 & pids+=($!); }

capture() {
    in_ns tcpdump -i lo --immediate-mode -U -s 0 -w "$here/$1.pcap" "$2" >/dev/null 2>&1 &
    cap=$!
    sleep 1
}
stop_capture() {
    sleep 0.5
    kill -TERM "$cap"
    wait "$cap" || true
    cap=
}

# --- SNMP -----------------------------------------------------------------------------------
cat >"$work/snmpd.conf" <<'EOT'
agentaddress udp:127.0.0.1:161
rocommunity  public  127.0.0.1
rwcommunity  Pump-Rw-Comm-42 127.0.0.1
createUser   biomedv3 SHA Snmp3-Auth-Pw-77 AES Snmp3-Priv-Pw-88
rouser       biomedv3 priv
sysDescr     Baxter Sigma Spectrum Infusion System, firmware 8.01.01
sysName      pump-icu-03
sysLocation  ICU bed 3
sysContact   biomed@hospital.test
EOT
cat >"$work/snmptrapd.conf" <<'EOT'
authCommunity log Trap-Comm-99
EOT
bg snmpd -f -Lo -C -c "$work/snmpd.conf" -p "$work/snmpd.pid" --persistentDir="$work/snmp-persist"
bg snmptrapd -f -Lo -C -c "$work/snmptrapd.conf" udp:127.0.0.1:162
sleep 1.5
capture snmp 'udp port 161 or udp port 162'
S=(-r 0 -t 1 127.0.0.1)
in_ns snmpget -v1 -c public "${S[@]}" 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 >/dev/null
in_ns snmpget -v2c -c public "${S[@]}" 1.3.6.1.2.1.1.2.0 1.3.6.1.2.1.1.3.0 1.3.6.1.2.1.1.6.0 >/dev/null
in_ns snmpgetnext -v2c -c public "${S[@]}" 1.3.6.1.2.1.1.4 >/dev/null
in_ns snmpbulkget -v2c -c public -Cn0 -Cr3 "${S[@]}" 1.3.6.1.2.1.2.2.1.2 >/dev/null
in_ns snmpset -v2c -c public "${S[@]}" 1.3.6.1.2.1.1.6.0 s "ward test" >/dev/null 2>&1 || true
in_ns snmpget -v2c -c Wrong-Comm-13 "${S[@]}" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 || true
in_ns snmpget -v3 -l authPriv -u biomedv3 -a SHA -A Snmp3-Auth-Pw-77 -x AES -X Snmp3-Priv-Pw-88 "${S[@]}" 1.3.6.1.2.1.1.5.0 >/dev/null
in_ns snmptrap -v2c -c Trap-Comm-99 127.0.0.1:162 '' 1.3.6.1.6.3.1.1.5.1 1.3.6.1.2.1.1.5.0 s pump-icu-03
stop_capture

# --- FTP ------------------------------------------------------------------------------------
mkdir -p "$work/ftp/logs"
echo "pump event log: 12 alarms" >"$work/ftp/logs/events.txt"
bg /usr/bin/python3 -c "
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
import logging; logging.disable(logging.CRITICAL)
a = DummyAuthorizer()
a.add_user('biomed', 'Ftp-Legacy-Pw-2024', '$work/ftp', perm='elr')
a.add_anonymous('$work/ftp')
h = FTPHandler; h.authorizer = a; h.banner = 'Alaris PC Unit FTP server ready'
FTPServer(('127.0.0.1', 21), h).serve_forever()
"
sleep 1.5
capture ftp 'tcp port 21'
in_ns timeout 20 /usr/bin/python3 -c "
import ftplib
f = ftplib.FTP('127.0.0.1', timeout=5)
try:
    f.login('biomed', 'Not-The-Pw-0000')
except ftplib.error_perm:
    pass
f.close()
f = ftplib.FTP('127.0.0.1', timeout=5); f.login('biomed', 'Ftp-Legacy-Pw-2024')
f.pwd(); f.cwd('logs'); f.nlst(); f.retrbinary('RETR events.txt', lambda b: None)
try:
    f.sendcmd('SITE CHMOD 777 events.txt')
except ftplib.error_perm:
    pass
f.quit()
f = ftplib.FTP('127.0.0.1', timeout=5); f.login(); f.nlst(); f.quit()
"
stop_capture

# --- Telnet ---------------------------------------------------------------------------------
cat >"$work/login.sh" <<'SH'
#!/bin/sh
printf 'Medfusion 4000 syringe pump - maintenance\r\n'
printf 'login: '; read -r user
printf 'Password: '; read -r pw
if [ "$pw" = "Telnet-Legacy-Pw-31" ]; then printf 'Last login: never\r\nsyringe# '; read -r cmd; printf 'logout\r\n'
else printf 'Login incorrect\r\n'; fi
SH
chmod +x "$work/login.sh"
bg busybox telnetd -F -p 23 -b 127.0.0.1 -l "$work/login.sh"
sleep 1
cat >"$work/telnet.py" <<'PY'
import socket, sys, time
IAC, DONT, DO, WONT, WILL = 255, 254, 253, 252, 251
def session(pw):
    c = socket.create_connection(("127.0.0.1", 23), timeout=5)
    def read_until(token):
        buf = b""; end = time.time() + 5
        while token not in buf and time.time() < end:
            d = c.recv(4096)
            if not d:
                break
            i = 0
            while i < len(d):  # accept terminal type, refuse the rest
                if d[i] == IAC and i + 2 < len(d) and d[i + 1] in (DO, DONT, WILL, WONT):
                    opt = d[i + 2]
                    if d[i + 1] == DO:
                        reply = WILL if opt == 24 else WONT
                    elif d[i + 1] == WILL:
                        reply = DO if opt in (1, 3) else DONT
                    else:
                        reply = WONT if d[i + 1] == DONT else DONT
                    c.sendall(bytes([IAC, reply, opt])); i += 3
                else:
                    buf += d[i:i + 1]; i += 1
        return buf
    read_until(b"login: "); c.sendall(b"service\r\n")
    read_until(b"Password: "); c.sendall(pw + b"\r\n")
    out = read_until(b"# ") if pw.startswith(b"Telnet") else read_until(b"incorrect")
    if b"#" in out:
        c.sendall(b"status\r\n"); read_until(b"logout")
    c.close()
    return out
bad = session(b"Guess-Pw-1111")
good = session(b"Telnet-Legacy-Pw-31")
sys.exit(0 if b"incorrect" in bad and b"syringe#" in good else 1)
PY
capture telnet 'tcp port 23'
in_ns timeout 20 /usr/bin/python3 "$work/telnet.py"
stop_capture
ls -la "$here"/*.pcap
