# Shared helpers for Ward's network-namespace test LANs. Source, do not run.
# Every host lives in a namespace we create; the bridge lives in one too; nothing is routed out.

WARDLAN_PREFIX=${WARDLAN_PREFIX:-wlan}
WARDLAN_NS=()
WARDLAN_PIDS=()

lan_cleanup() {
    for p in "${WARDLAN_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    sleep 0.2
    for p in "${WARDLAN_PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    for ns in $(ip netns list | awk '{print $1}' | grep "^${WARDLAN_PREFIX}-" || true); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
}

# lan_switch: a namespace holding bridge br0 (no address).
lan_switch() {
    local sw="${WARDLAN_PREFIX}-sw"
    ip netns add "$sw"
    # The switch itself must stay silent: no IPv6 link-local chatter, no IGMP/MLD querier.
    ip netns exec "$sw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$sw" link add br0 type bridge mcast_snooping 0
    ip -n "$sw" link set br0 type bridge stp_state 0 forward_delay 0
    ip -n "$sw" link set lo up
    ip -n "$sw" link set br0 up
    WARDLAN_NS+=("$sw")
}

# lan_host NAME MAC: a host namespace whose eth0 (with MAC) is plugged into br0.
lan_host() {
    local name="$1" mac="$2" ns="${WARDLAN_PREFIX}-$1" sw="${WARDLAN_PREFIX}-sw"
    ip netns add "$ns"
    ip link add "v-$name" netns "$sw" type veth peer name eth0 netns "$ns" address "$mac"
    ip -n "$sw" link set "v-$name" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    WARDLAN_NS+=("$ns")
}

# lan_exec NAME CMD...: run in a host's namespace.
lan_exec() {
    local ns="${WARDLAN_PREFIX}-$1"
    shift
    ip netns exec "$ns" "$@"
}

# lan_bg NAME CMD...: run in the background in a host's namespace; remembered for cleanup.
lan_bg() {
    local ns="${WARDLAN_PREFIX}-$1"
    shift
    ip netns exec "$ns" "$@" &
    WARDLAN_PIDS+=("$!")
}
