#!/usr/bin/env bash
# Make Ward's syslog fixtures: util-linux logger sending to socat listeners on UDP and TCP 514,
# in a private network namespace (its own loopback) and UTS namespace (hostname
# infusion-pump-07), captured with tcpdump. Run as root from anywhere:
#   bash tests/pcap/syslog/make.sh
# Writes udp.pcap and tcp.pcap beside itself. The patient (Zebulon Quixotewright) and the
# password (Hunter2-LeakCanary) are FAKE: they are there for the no-leak tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
NS=wardsyslog
pids=()
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -n "${cap:-}" ] && kill "$cap" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT
ip netns exec "$NS" ip link set lo up
# logger as the device: hostname from a UTS namespace of its own.
dev() { ip netns exec "$NS" unshare --uts sh -c 'hostname infusion-pump-07; exec "$@"' sh "$@"; }
L=(logger -n 127.0.0.1 -P 514)

ip netns exec "$NS" socat -u UDP-RECV:514 OPEN:/dev/null &
pids+=($!)
ip netns exec "$NS" socat -u TCP-LISTEN:514,reuseaddr,fork OPEN:/dev/null &
pids+=($!)
sleep 1

capture() {
    ip netns exec "$NS" tcpdump -i lo --immediate-mode -U -s 0 -w "$here/$1.pcap" "$2" >/dev/null 2>&1 &
    cap=$!
    sleep 1
}
stop_capture() {
    sleep 0.5
    kill -TERM "$cap"
    wait "$cap" || true
    cap=
}

capture udp 'udp port 514'
dev "${L[@]}" -d --rfc3164 -t pumpd -p local3.warning 'Occlusion alarm cleared on channel B'
dev "${L[@]}" -d --rfc5424 -t pumpd -i -p local3.err --msgid ALARM --sd-id alarm@32473 --sd-param 'code="OCCL"' \
    --sd-param 'channel="B"' 'Patient Zebulon Quixotewright: downstream occlusion'
dev "${L[@]}" -d --rfc5424 -t svc-login -p auth.notice 'admin login password=Hunter2-LeakCanary accepted'
dev "${L[@]}" -d --rfc5424=notq,nohost -t monitor -p user.info --msgid - 'vitals upload complete'
dev "${L[@]}" -d --rfc3164 -t dhcpcd -i -p daemon.debug 'renew lease in 3600s'
dev "${L[@]}" -d --rfc5424 -p kern.emerg -t kernel 'thermal shutdown imminent'
stop_capture

capture tcp 'tcp port 514'
printf 'ventilator self-test passed\nPatient Zebulon Quixotewright connected\n' \
    | dev "${L[@]}" -T --rfc5424 -t ventd -p local4.notice
printf 'service login pwd=Hunter2-LeakCanary\nfirmware 4.2.1 running\n' \
    | dev "${L[@]}" -T --octet-count --rfc5424 -t ventd -i --msgid FW -p local4.info
dev "${L[@]}" -T --rfc3164 -t ventd -p local4.alert 'O2 supply pressure low'
stop_capture
ls -la "$here"/*.pcap
