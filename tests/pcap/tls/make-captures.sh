#!/usr/bin/env bash
# Re-creates the TLS test captures of this directory with real tools on loopback (see HOWTO.md).
# Needs root (tcpdump on lo), openssl, curl, faketime, tcpdump. Keys and certificates are made
# fresh in a scratch directory and thrown away; only the captures are kept.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# --- keys and certificates -------------------------------------------------------------
# A test CA, and a leaf for "pump-gw.ward.test" (RSA-2048, SHA-256, SAN DNS + IP).
openssl req -x509 -newkey rsa:2048 -sha256 -days 3650 -nodes -keyout ca.key -out ca.pem \
    -subj '/C=US/O=Ward Test CA/CN=Ward Test Root' 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr \
    -subj '/C=US/ST=Ohio/O=Ward Test Devices/OU=Infusion/CN=pump-gw.ward.test' 2>/dev/null
printf 'subjectAltName=DNS:pump-gw.ward.test,DNS:pump-gw,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 825 \
    -extfile leaf.ext -out leaf.pem 2>/dev/null
# A self-signed, expired RSA-1024 certificate signed with SHA-1, as old device firmware has:
# issued 2019-03-01 for 30 days (faketime sets the clock openssl reads).
faketime '2019-03-01 12:00:00' openssl req -x509 -newkey rsa:1024 -sha1 -days 30 -nodes \
    -keyout old.key -out old.pem -subj '/C=US/O=Acme Infusion/CN=infusion-pump-17' 2>/dev/null
# ECDSA P-256 and Ed25519 self-signed certificates.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 3650 -nodes \
    -keyout ec.key -out ec.pem -subj '/O=Ward Test Devices/CN=monitor-ec.ward.test' 2>/dev/null
openssl req -x509 -newkey ed25519 -days 3650 -nodes -keyout ed.key -out ed.pem \
    -subj '/O=Ward Test Devices/CN=gateway-ed25519.ward.test' 2>/dev/null
# A client certificate naming a person, for mutual TLS: Ward must not repeat that name.
openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr \
    -subj '/O=Ward General Hospital/CN=Dr Jane Example' 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 365 \
    -out client.pem 2>/dev/null
# A 1024-bit DH group (weak: Logjam-era size).
openssl dhparam -out dh1024.pem 1024 2>/dev/null

# --- one capture per session ------------------------------------------------------------
capture() { # name port server-args... -- client command...
    local name=$1 port=$2; shift 2
    local sargs=()
    while [ "$1" != "--" ]; do sargs+=("$1"); shift; done
    shift
    tcpdump -i lo -U -s 0 -w "$out/$name.pcap" "tcp port $port" 2>/dev/null &
    local tpid=$!
    sleep 1
    openssl s_server -accept "127.0.0.1:$port" -naccept 1 "${sargs[@]}" >/dev/null 2>&1 &
    local spid=$!
    sleep 1
    "$@" >/dev/null 2>&1 || true
    sleep 1
    kill "$spid" 2>/dev/null || true
    wait "$spid" 2>/dev/null || true
    kill "$tpid"
    wait "$tpid" 2>/dev/null || true
    echo "$name.pcap: $(tcpdump -r "$out/$name.pcap" 2>/dev/null | wc -l) packets"
}
get() { printf 'GET / HTTP/1.0\r\nHost: pump-gw.ward.test\r\n\r\n'; }

capture tls13 44301 -cert leaf.pem -key leaf.key -cert_chain ca.pem -tls1_3 -alpn http/1.1 -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44301 -servername pump-gw.ward.test -alpn h2,http/1.1 -tls1_3 -ign_eof"
capture tls12-ecdhe-rsa 44302 -cert leaf.pem -key leaf.key -cert_chain ca.pem -alpn http/1.1 -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44302 -servername pump-gw.ward.test -alpn h2,http/1.1 -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 -ign_eof"
capture tls12-selfsigned-expired-rsa1024-sha1 44303 -cert old.pem -key old.key -cipher 'DEFAULT:@SECLEVEL=0' -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44303 -servername infusion-pump-17 -tls1_2 -cipher 'DEFAULT:@SECLEVEL=0' -ign_eof"
capture tls10-ecdsa 44304 -cert ec.pem -key ec.key -cipher 'DEFAULT:@SECLEVEL=0' -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44304 -servername monitor-ec.ward.test -tls1 -cipher 'DEFAULT:@SECLEVEL=0' -ign_eof"
capture tls11-dhe1024 44305 -cert leaf.pem -key leaf.key -dhparam dh1024.pem -cipher 'DHE-RSA-AES128-SHA:@SECLEVEL=0' -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44305 -servername pump-gw.ward.test -tls1_1 -cipher 'DHE-RSA-AES128-SHA:@SECLEVEL=0' -ign_eof"
# NULL cipher: the HTTP request, Basic credentials and a patient header travel in cleartext.
capture tls12-null-curl-basic-auth 44306 -cert leaf.pem -key leaf.key -cipher 'NULL-SHA256:@SECLEVEL=0' -alpn http/1.1 -www -- \
    curl -sk --tlsv1.2 --tls-max 1.2 --ciphers 'NULL-SHA256:@SECLEVEL=0' -u 'nurse.station:Wh1te-Rabbit-Secret' \
    -H 'X-Patient-MRN: MRN-00424242' --resolve pump-gw.ward.test:44306:127.0.0.1 https://pump-gw.ward.test:44306/
capture tls12-anon-dh 44307 -nocert -cipher 'ADH-AES128-SHA:@SECLEVEL=0' -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44307 -tls1_2 -cipher 'ADH-AES128-SHA:@SECLEVEL=0' -ign_eof"
# The client's key share is for x25519 only; the server accepts only P-384: HelloRetryRequest.
capture tls13-hrr 44308 -cert leaf.pem -key leaf.key -groups P-384 -tls1_3 -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44308 -servername pump-gw.ward.test -groups X25519:P-384 -tls1_3 -ign_eof"
capture tls12-client-cert 44309 -cert leaf.pem -key leaf.key -Verify 1 -CAfile ca.pem -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44309 -servername pump-gw.ward.test -tls1_2 -cert client.pem -key client.key -ign_eof"
capture tls12-ed25519 44310 -cert ed.pem -key ed.key -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44310 -servername gateway-ed25519.ward.test -tls1_2 -ign_eof"
# No common cipher suite: the server answers the ClientHello with a cleartext fatal alert.
capture tls12-handshake-failure 44311 -cert leaf.pem -key leaf.key -tls1_2 -cipher AES128-SHA -www -- \
    sh -c "$(declare -f get); get | openssl s_client -connect 127.0.0.1:44311 -servername pump-gw.ward.test -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 -ign_eof"
