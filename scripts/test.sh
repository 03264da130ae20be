#!/usr/bin/env bash
# Ward's whole test suite, on a fresh Debian machine with the Rust toolchain.
# Installs the real peers and tools the tests talk to (tshark, dnsmasq, busybox, tcpdump,
# python3-jsonschema, ...) when they are missing, then runs every test of the workspace,
# including the fuzz seed corpus and the network-namespace tests (these need root).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(tshark tcpdump dnsmasq-base busybox-static iproute2 util-linux python3 python3-jsonschema python3-yaml python3-venv
          dcmtk mosquitto mosquitto-clients openssl bind9-dnsutils postgresql curl chromium)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The web UI's browser test drives Chromium with playwright-core under node (any node >= 18
# with npm: Debian's nodejs and npm packages, or a node that bundles npm).
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d ../shared/data ]; then
    echo "test.sh: ../shared/data is missing: the peer-comparison tests need it beside the checkout" >&2
    exit 1
fi

# playwright-core for tests/e2e, pinned by its package-lock.json; no browser download (the
# test uses Debian's /usr/bin/chromium).
(cd tests/e2e && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)

# schemathesis (PyPI) attacks the API through its OpenAPI document (crates/ward/tests/api_schema.rs),
# from a virtual environment of its own under target/, pinned.
SCHEMATHESIS=4.32.5
venv=target/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS"
fi
export PATH="$PWD/$venv/bin:$PATH"

cargo test --workspace --locked "$@"
