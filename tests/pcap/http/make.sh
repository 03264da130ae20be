#!/usr/bin/env bash
# Make Ward's HTTP fixtures: real clients and servers in a private network namespace (its own
# loopback: nothing else on the wire), captured with tcpdump. Run as root from anywhere:
#   bash tests/pcap/http/make.sh
# Writes basic-auth.pcap, fhir.pcap, chunked.pcap, pipeline.pcap and tunnel.pcap beside itself.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tools="$here/tools"
NS=wardhttp
PY=/usr/bin/python3
work="$(mktemp -d)"
pids=()
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "${cap:-}" ] && kill "$cap" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
run() { ip netns exec "$NS" "$@"; }
run ip link set lo up
# Background jobs are simple commands (not functions), so that $! is the process itself:
# `ip netns exec` execs its command in place.

capture() { # name: start tcpdump writing $here/$1.pcap
    ip netns exec "$NS" tcpdump -i lo --immediate-mode -U -s 0 -w "$here/$1.pcap" tcp >/dev/null 2>&1 &
    cap=$!
    sleep 1
}
stop_capture() {
    sleep 0.5
    kill -TERM "$cap"
    wait "$cap" || true
}

dump2dcm +te "$tools/fake-ct.dump" "$work/fake-ct.dcm"
printf '/:ward:LeakCanaryPw-7731\n' > "$work/httpd.conf"
ua=(-A "WardTestClient/1.0 (curl)")

# 1. Basic auth, cookie and a query string with a fake MRN: Python's http.server (HTTP/1.0)
#    ignores the credentials; BusyBox httpd demands them (401, then 200).
ip netns exec "$NS" $PY -m http.server 8080 --bind 127.0.0.1 -d "$tools/www" &
pids+=($!)
ip netns exec "$NS" busybox httpd -f -p 127.0.0.1:80 -h "$tools/www" -c "$work/httpd.conf" &
pids+=($!)
sleep 1
capture basic-auth
run curl -s -o /dev/null "${ua[@]}" -u ward:LeakCanaryPw-7731 -b 'session=SecretCookieVal-99; theme=dark' \
    'http://127.0.0.1:8080/index.html?mrn=MRN-0042-LEAK&ward=icu'
run curl -s -o /dev/null "${ua[@]}" http://127.0.0.1/index.html
run curl -s -o /dev/null "${ua[@]}" -u ward:LeakCanaryPw-7731 http://127.0.0.1/index.html
stop_capture
kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=()

# 2. FHIR JSON over one persistent connection: metadata, a Patient read, a search whose query
#    names the patient, a POST of a Patient with Expect: 100-continue and a Bearer token.
ip netns exec "$NS" $PY "$tools/fhir_server.py" 8000 &
pids+=($!)
sleep 1
capture fhir
run curl -s -o /dev/null "${ua[@]}" -H 'Accept: application/fhir+json' http://127.0.0.1:8000/fhir/metadata \
    --next -s -o /dev/null "${ua[@]}" -H 'Authorization: Bearer LeakBearerTok-31337' http://127.0.0.1:8000/fhir/Patient/pat-1001 \
    --next -s -o /dev/null "${ua[@]}" 'http://127.0.0.1:8000/fhir/Observation?subject=Patient/pat-1001&code=8867-4' \
    --next -s -o /dev/null "${ua[@]}" -H 'Content-Type: application/fhir+json' -H 'Expect: 100-continue' \
        --data-binary @"$tools/patient.json" http://127.0.0.1:8000/fhir/Patient
stop_capture
kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=()

# 3. Chunked bodies: FHIR XML, HL7 v2 with a trailer, DICOMweb multipart with a DICOM file.
ip netns exec "$NS" $PY "$tools/chunked_server.py" 8081 "$work/fake-ct.dcm" &
pids+=($!)
sleep 1
capture chunked
run curl -s -o /dev/null "${ua[@]}" http://127.0.0.1:8081/fhir/Patient/pat-2002 \
    --next -s -o /dev/null "${ua[@]}" http://127.0.0.1:8081/hl7/adt \
    --next -s -o /dev/null "${ua[@]}" http://127.0.0.1:8081/wado/studies/1.2.3/instances
stop_capture
kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true; pids=()

# 4. Pipelining on Python's http.server in HTTP/1.1 mode: GET, HEAD, a conditional GET (304),
#    a 404, all written at once; then curl's h2c upgrade offer, which the server ignores.
ip netns exec "$NS" $PY -m http.server 8080 --bind 127.0.0.1 -d "$tools/www" --protocol HTTP/1.1 &
pids+=($!)
sleep 1
capture pipeline
run $PY "$tools/raw_client.py" 8080 pipeline "$(date -u -d tomorrow '+%a, %d %b %Y %H:%M:%S GMT')"
run curl -s -o /dev/null "${ua[@]}" --http2 http://127.0.0.1:8080/index.html
stop_capture

# 5. CONNECT through a proxy (407 without credentials; then Basic proxy credentials, 200, and
#    a GET inside the tunnel), and a WebSocket upgrade (101, then frames).
ip netns exec "$NS" $PY "$tools/proxy.py" 3128 &
pids+=($!)
ip netns exec "$NS" $PY "$tools/ws_server.py" 8090 &
pids+=($!)
sleep 1
capture tunnel
run curl -s -o /dev/null "${ua[@]}" -p -x http://127.0.0.1:3128 http://127.0.0.1:8080/index.html || true
run curl -s -o /dev/null "${ua[@]}" -p -x http://proxyuser:ProxyPw-5150@127.0.0.1:3128 http://127.0.0.1:8080/index.html
run $PY "$tools/raw_client.py" 8090 websocket
stop_capture
ls -la "$here"/*.pcap
