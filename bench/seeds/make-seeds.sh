#!/usr/bin/env bash
# Re-makes the benchmark's own seed captures with real tools on LOOPBACK only (127.0.0.1), each
# captured by tcpdump on lo with a port filter. Every seed directory has a HOWTO.md.
#   sudo bash bench/seeds/make-seeds.sh            # all seeds
#   sudo bash bench/seeds/make-seeds.sh tls12-https # one seed
# Needs: tcpdump, openssl, dcmtk (storescp/storescu), python3-pydicom (Debian's /usr/bin/python3), dnsmasq, dig (bind9-dnsutils).
# Content is synthetic: patient TEST^SYNTHETIC, names under ward-hospital.test.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

port_free() { ! ss -Hlntu "( sport = :$1 )" | grep -q .; }
# capture NAME FILTER: start tcpdump on lo into NAME/input.pcap; stop_capture ends it.
capture() {
    mkdir -p "$HERE/$1"
    timeout 120 tcpdump -i lo -U -s 0 -w "$HERE/$1/input.pcap" "$2" >/dev/null 2>&1 &
    TCPDUMP=$!
    PIDS+=("$TCPDUMP")
    sleep 1
}
stop_capture() { sleep 1; kill -INT "$TCPDUMP"; wait "$TCPDUMP" 2>/dev/null || true; }

tls() { # NAME VERSION-FLAG KEYSPEC CN
    local name=$1 ver=$2 keyspec=$3 cn=$4
    port_free 443 || { echo "port 443 busy" >&2; return 1; }
    openssl req -x509 -newkey "$keyspec" -nodes -keyout "$WORK/$name.key" -out "$WORK/$name.crt" -days 365 \
        -subj "/CN=$cn/O=Ward Test Hospital/C=DE" -addext "subjectAltName=DNS:$cn" >/dev/null 2>&1
    mkdir -p "$WORK/www-$name"
    # ~100 KB of a plausible HTTPS download: a CSV export of synthetic device telemetry.
    python3 -c "
import random; r = random.Random(7)
print('device,timestamp,hr,spo2,nibp_sys,nibp_dia')
for i in range(2300): print(f'bedside-mon-{r.randrange(1,40):02d},2026-01-01T00:{i//60%60:02d}:{i%60:02d}Z,{r.randrange(55,120)},{r.randrange(90,100)},{r.randrange(95,150)},{r.randrange(55,95)}')
" >"$WORK/www-$name/vitals.csv"
    capture "$name" "host 127.0.0.1 and tcp port 443"
    (cd "$WORK/www-$name" && timeout 30 openssl s_server -quiet -accept 127.0.0.1:443 -naccept 1 "$ver" \
        -cert "$WORK/$name.crt" -key "$WORK/$name.key" -WWW >/dev/null 2>&1) &
    PIDS+=("$!")
    sleep 1
    printf 'GET /vitals.csv HTTP/1.0\r\nHost: %s\r\n\r\n' "$cn" |
        timeout 20 openssl s_client -quiet -connect 127.0.0.1:443 -servername "$cn" "$ver" >"$WORK/$name.out" 2>/dev/null || true
    stop_capture
    echo "$name: $(wc -c <"$WORK/$name.out") bytes received" >&2
}

dicom() {
    local name=dicom-cstore-ct-study
    port_free 104 || { echo "port 104 busy" >&2; return 1; }
    mkdir -p "$WORK/study" "$WORK/store"
    # Six synthetic 512x512 CT slices derived from pydicom's CT_small.dcm (upscaled pixel data,
    # fresh UIDs, patient TEST^SYNTHETIC): the size of a real CT slice (~0.5 MB).
    /usr/bin/python3 - "$WORK/study" <<'PY'
import sys, pydicom, numpy as np
from pydicom.data import get_testdata_file
from pydicom.uid import generate_uid
src = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
study, series = generate_uid(prefix=None, entropy_srcs=["ward-study"]), generate_uid(prefix=None, entropy_srcs=["ward-series"])
base = np.kron(src.pixel_array, np.ones((4, 4), dtype=src.pixel_array.dtype))
for i in range(6):
    ds = src.copy()
    ds.PatientName, ds.PatientID = "TEST^SYNTHETIC", "SYN0001"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.SOPInstanceUID = generate_uid(prefix=None, entropy_srcs=["ward-slice", str(i)])
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.InstanceNumber = i + 1
    ds.Rows, ds.Columns = base.shape
    ds.PixelData = np.roll(base, i * 3, axis=0).tobytes()
    ds.save_as(f"{sys.argv[1]}/ct{i + 1:02d}.dcm")
PY
    capture "$name" "host 127.0.0.1 and tcp port 104"
    timeout 60 storescp -aet PACS --output-directory "$WORK/store" 104 >/dev/null 2>&1 &
    PIDS+=("$!")
    sleep 1
    timeout 60 storescu -aet CT_SCANNER_01 -aec PACS 127.0.0.1 104 "$WORK"/study/ct*.dcm
    stop_capture
    gzip -9nf "$HERE/$name/input.pcap" # 3.2 MB of upscaled pixels compress to ~0.2 MB
    echo "$name: $(ls "$WORK/store" | wc -l) instances stored" >&2
}

dns() {
    local name=dns-hospital
    port_free 53 || { echo "port 53 busy" >&2; return 1; }
    cat >"$WORK/hosts" <<'H'
10.1.0.10 pacs.ward-hospital.test
10.1.0.11 pacs2.ward-hospital.test
10.1.0.20 hl7engine.ward-hospital.test
10.1.0.30 mqtt.ward-hospital.test
10.1.0.40 ehr.ward-hospital.test
10.1.0.41 ris.ward-hospital.test
10.1.0.50 ntp.ward-hospital.test
fd10::10 pacs.ward-hospital.test
H
    capture "$name" "host 127.0.0.1 and port 53"
    timeout 60 dnsmasq --no-daemon --conf-file=/dev/null --listen-address=127.0.0.1 --bind-interfaces --port=53 \
        --no-resolv --no-hosts --addn-hosts="$WORK/hosts" --local=/ward-hospital.test/ --domain=ward-hospital.test \
        --srv-host=_dicom._tcp.ward-hospital.test,pacs.ward-hospital.test,104 \
        --srv-host=_hl7._tcp.ward-hospital.test,hl7engine.ward-hospital.test,2575 \
        --txt-record=ward-hospital.test,"v=spf1 -all" --cname=worklist.ward-hospital.test,ris.ward-hospital.test \
        --mx-host=ward-hospital.test,ehr.ward-hospital.test,10 --log-facility=/dev/null >/dev/null 2>&1 &
    PIDS+=("$!")
    sleep 1
    local q
    for q in "pacs.ward-hospital.test A" "pacs.ward-hospital.test AAAA" "hl7engine.ward-hospital.test A" \
        "mqtt.ward-hospital.test A" "_dicom._tcp.ward-hospital.test SRV" "_hl7._tcp.ward-hospital.test SRV" \
        "worklist.ward-hospital.test A" "ward-hospital.test MX" "ward-hospital.test TXT" \
        "-x 10.1.0.10" "ntp.ward-hospital.test A" "printer-3og.ward-hospital.test A" "ehr.ward-hospital.test A"; do
        # shellcheck disable=SC2086
        timeout 5 dig @127.0.0.1 -p 53 +tries=1 +time=2 $q >/dev/null || true
    done
    timeout 5 dig @127.0.0.1 -p 53 +tcp +tries=1 +time=2 pacs2.ward-hospital.test A >/dev/null || true
    stop_capture
}

want() { local n=$1; shift; [ $# -eq 0 ] || [[ " $* " == *" $n "* ]]; }
ALL=("$@")
want tls12-https "${ALL[@]}" && tls tls12-https -tls1_2 rsa:2048 ehr.ward-hospital.test
want tls13-https "${ALL[@]}" && tls tls13-https -tls1_3 ec:<(openssl ecparam -name prime256v1) ris.ward-hospital.test
want dicom-cstore-ct-study "${ALL[@]}" && dicom
want dns-hospital "${ALL[@]}" && dns
for d in "$HERE"/*/input.pcap*; do capinfos -c -s "$d" | tr -s ' ' | paste -sd' ' >&2; done
