# Shared helpers for Ward's network-namespace test LANs. Source, do not run.
# Every host lives in a network namespace created here; the bridge lives in one too; no address
# is ever set in the root namespace and nothing is routed out.
# Set WARDLAN_PREFIX before sourcing (default "wardlan"): namespaces are "$WARDLAN_PREFIX-<name>".

WARDLAN_PREFIX=${WARDLAN_PREFIX:-wardlan}
WARDLAN_PIDS=()
WARDLAN_CAPS=()

# lan_need CMD PACKAGE...: install the Debian packages when CMD is missing.
lan_need() {
    local cmd=$1
    shift
    command -v "$cmd" >/dev/null 2>&1 && return 0
    echo "installing $* for $cmd" >&2
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y --no-install-recommends "$@" >/dev/null
}

# lan_lock: one run per prefix at a time (a second run would delete the first one's namespaces).
lan_lock() {
    exec 9>"/run/lock/${WARDLAN_PREFIX}.lock"
    timeout 120 flock 9 || { echo "another ${WARDLAN_PREFIX} run holds the lock" >&2; exit 1; }
}

# lan_cleanup: stop what we started, then every process left in our namespaces, then the
# namespaces and their resolv.conf files.
lan_cleanup() {
    local p ns
    for p in "${WARDLAN_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.3
    for p in "${WARDLAN_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    for ns in $(ip netns list | awk '{print $1}' | grep "^${WARDLAN_PREFIX}-" || true); do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf /etc/netns/"${WARDLAN_PREFIX}"-*
    WARDLAN_PIDS=()
    WARDLAN_CAPS=()
}

# lan_switch: namespace "$PREFIX-sw" holding bridge br0, no address, silent (no IPv6, no querier).
lan_switch() {
    local sw="${WARDLAN_PREFIX}-sw"
    ip netns add "$sw"
    ip netns exec "$sw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$sw" link add br0 type bridge mcast_snooping 0 mcast_querier 0
    ip -n "$sw" link set br0 type bridge stp_state 0 forward_delay 0
    ip -n "$sw" link set lo up
    ip -n "$sw" link set br0 up
}

# lan_host NAME MAC: namespace "$PREFIX-NAME" whose eth0 (with MAC) is plugged into br0. The link
# stays down until lan_up, so a capture can be started first. The host gets its own, empty
# resolv.conf (ip netns exec bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf): until
# something writes a name server into it (lan_resolv, or a DHCP client's script) names resolve
# on the host's own loopback, never through the machine's resolver.
lan_host() {
    local name=$1 mac=$2 ns="${WARDLAN_PREFIX}-$1" sw="${WARDLAN_PREFIX}-sw"
    mkdir -p "/etc/netns/$ns"
    : >"/etc/netns/$ns/resolv.conf"
    ip netns add "$ns"
    ip link add "v-$name" netns "$sw" type veth peer name eth0 netns "$ns" address "$mac"
    ip -n "$sw" link set "v-$name" master br0 up
    ip -n "$ns" link set lo up
}

# lan_resolv NAME NAMESERVER [SEARCH]: the host's resolv.conf.
lan_resolv() {
    local f="/etc/netns/${WARDLAN_PREFIX}-$1/resolv.conf"
    echo "nameserver $2" >"$f"
    [ -z "${3:-}" ] || echo "search $3" >>"$f"
}

# lan_up NAME: bring the host's eth0 up.
lan_up() { ip -n "${WARDLAN_PREFIX}-$1" link set eth0 up; }

# lan_exec NAME CMD...: run in a host's namespace.
lan_exec() {
    local ns="${WARDLAN_PREFIX}-$1"
    shift
    ip netns exec "$ns" "$@"
}

# lan_bg NAME CMD...: run in the background in a host's namespace; killed by lan_cleanup.
lan_bg() {
    local ns="${WARDLAN_PREFIX}-$1"
    shift
    ip netns exec "$ns" "$@" &
    WARDLAN_PIDS+=("$!")
}

# lan_capture NAME FILE TCPDUMP-ARGS...: tcpdump in namespace "$PREFIX-NAME" (NAME "sw" for the
# switch) writing FILE unbuffered, full snap length, file owned by root. Waits until it listens.
# --immediate-mode: with TPACKET_V3 a packet otherwise waits in the ring until its block is full
# or 1 s passes, and tcpdump drops what is still waiting when it is stopped.
lan_capture() {
    local ns="${WARDLAN_PREFIX}-$1" file=$2 log
    shift 2
    log=$(mktemp)
    ip netns exec "$ns" tcpdump --immediate-mode -U -s 0 -Z root -w "$file" "$@" >/dev/null 2>"$log" &
    WARDLAN_PIDS+=("$!")
    WARDLAN_CAPS+=("$!")
    for _ in $(seq 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
    rm -f "$log"
}

# lan_stop_captures: stop every running capture cleanly (SIGINT flushes and closes the file).
lan_stop_captures() {
    local p
    sleep 1.5
    for p in "${WARDLAN_CAPS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    for p in "${WARDLAN_CAPS[@]}"; do timeout 10 tail --pid="$p" -f /dev/null || kill -9 "$p" 2>/dev/null || true; done
    WARDLAN_CAPS=()
}
