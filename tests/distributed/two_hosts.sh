#!/usr/bin/env bash
# Two "hosts" on one machine: network namespaces crA (10.77.0.1) and crB (10.77.0.2) joined by a
# veth pair; mpirun runs in crA and starts crB's daemon through `ip netns exec` instead of ssh, and
# the ranks talk over TCP across the veth only (no shared memory). Needs root.
#
#   tests/distributed/two_hosts.sh up                      # create the namespaces and the link
#   tests/distributed/two_hosts.sh run ARGS...             # mpirun -n 2 ... ARGS, one rank per host
#   tests/distributed/two_hosts.sh down                    # remove them
set -euo pipefail
A=${CR_NETNS_A:-crA} B=${CR_NETNS_B:-crB} NET=${CR_NETNS_NET:-10.77.0}
HERE=$(cd "$(dirname "$0")" && pwd)

case "${1:-}" in
up)
    ip netns add "$A"
    ip netns add "$B"
    ip link add "veth-$A" type veth peer name "veth-$B"
    ip link set "veth-$A" netns "$A"
    ip link set "veth-$B" netns "$B"
    ip -n "$A" addr add "$NET.1/24" dev "veth-$A"
    ip -n "$B" addr add "$NET.2/24" dev "veth-$B"
    for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
    ip -n "$A" link set "veth-$A" up
    ip -n "$B" link set "veth-$B" up
    ;;
down)
    for ns in "$A" "$B"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done  # leftovers of a run
        ip netns del "$ns" 2>/dev/null || true  # deleting a namespace removes its end of the veth pair
    done
    ;;
agent)  # mpirun's "ssh": agent HOST COMMAND... -> run COMMAND in HOST's namespace
    host=$2
    shift 2
    case "$host" in
    "$NET.1") ns=$A ;;
    "$NET.2") ns=$B ;;
    *) echo "two_hosts.sh agent: unknown host $host" >&2; exit 1 ;;
    esac
    exec ip netns exec "$ns" /bin/sh -c "$*"
    ;;
run)
    shift
    hostfile=$(mktemp)
    trap 'rm -f "$hostfile"' EXIT
    printf '%s slots=1\n%s slots=1\n' "$NET.1" "$NET.2" > "$hostfile"
    forward=(-x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1)
    for name in CHAINRULE_HOME PYTHONPATH; do [ -n "${!name:-}" ] && forward+=(-x "$name"); done
    # btl tcp,self: no shared memory between the "hosts", every byte crosses the veth pair
    ip netns exec "$A" mpirun -n 2 --hostfile "$hostfile" --bind-to none \
        --mca plm_rsh_agent "$HERE/two_hosts.sh agent" \
        --mca btl tcp,self --mca btl_tcp_if_include "$NET.0/24" --mca oob_tcp_if_include "$NET.0/24" \
        "${forward[@]}" "$@"
    ;;
*)
    echo "usage: $0 up | run ARGS... | down" >&2
    exit 2
    ;;
esac
