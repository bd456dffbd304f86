#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Placement that knows the hardware, through the real hook program and
# vgpuctl against the simulator: profiles by need (framebuffer + series),
# NUMA from the domain, MIG-backed profiles.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"

# The hook logs with syslog(3) only. hook_logged runs it in a private mount
# namespace whose /dev/log is a socket we read, so a test can check the log
# line; SYSLOG holds the lines of that one call.
LOG_PID=
log_listen() {
    [ -n "$LOG_PID" ] && return 0
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    out.write(s.recv(65536).decode(errors="replace").rstrip("\n\0") + "\n")
' "$WORK/log.sock" "$WORK/syslog" < /dev/null > /dev/null 2>&1 &
    LOG_PID=$!
    local i
    for i in $(seq 1 600); do [ -S "$WORK/log.sock" ] && return 0; sleep 0.05; done
    return 1
}
log_cleanup() { [ -n "$LOG_PID" ] && kill "$LOG_PID" 2>/dev/null; hook_cleanup; }
trap log_cleanup EXIT

# hook_logged NAME OP SUBOP < xml: as hook, and sets SYSLOG
hook_logged() {
    log_listen
    : > "$WORK/syslog"
    unshare -m bash -c '
        mount --make-rprivate / && touch "$1/null.keep" && mount --bind /dev/null "$1/null.keep" &&
        mount -t tmpfs vgpu-test-dev /dev && touch /dev/null /dev/log &&
        mount --bind "$1/null.keep" /dev/null && mount --bind "$1/log.sock" /dev/log || exit 99
        shift; exec "$@"' _ "$WORK" "$HOOK" "$1" "$2" "$3" - > "$WORK/out" 2> "$WORK/err"
    RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
    # Settle, not "the first line is there" within 2 s: a marker sent now
    # is read after every line the hook sent (one datagram socket, one
    # reader), however slow the listener is on a loaded machine.
    local i mark="vgpu-test-settle $$.$RANDOM"
    logger -d -u "$WORK/log.sock" -t vgpu-test -- "$mark"
    for i in $(seq 1 600); do grep -qF -- "$mark" "$WORK/syslog" && break; sleep 0.05; done
    SYSLOG=$(grep -vF -- "$mark" "$WORK/syslog")
}
# start_logged NAME N 'DEVICE ATTRS'...: as start, and sets SYSLOG
start_logged() {
    local name=$1 n=$2
    shift 2
    dom "$name" "$(du "$n")" "$@" > "$WORK/$name.xml"
    hook_logged "$name" prepare begin < "$WORK/$name.xml"
}

test_need_attributes() {
    fresh a40x2-sriov
    start bad1 1 "uuid=\"$(u 1)\" framebuffer=\"8G\" series=\"Q\" profile=\"A40-8Q\""
    t_eq "need + profile: refused" 1 "$RC"
    t_match "need + profile: says which combinations are allowed" \
        "do not combine with 'profile' or 'type' \(given: 'profile', 'framebuffer' and 'series'\); allowed: profile, type, profile with type, framebuffer with series, or gpu alone" "$ERR"
    start bad2 2 "uuid=\"$(u 2)\" framebuffer=\"8G\""
    t_match "framebuffer without series: refused, names the pair" "^1:.*'framebuffer' needs 'series' too" "$RC:$ERR"
    start bad3 3 "uuid=\"$(u 3)\" framebuffer=\"8\" series=\"Q\""
    t_match "framebuffer without a unit: refused" "^1:.*framebuffer '8' is not a size: a number with a unit M, G or T" "$RC:$ERR"
    start bad4 4 "uuid=\"$(u 4)\" framebuffer=\"8G\" series=\"X\""
    t_match "unknown series: refused" "^1:.*series 'X' is not an NVIDIA vGPU series" "$RC:$ERR"
    start bad5 5 "uuid=\"$(u 5)\" framebuffer=\"64G\" series=\"Q\""
    t_match "more than any profile offers: says none exists and what is offered" \
        "^1:.*nothing on this host is a Q profile with at least 64G \(offered: A40-1A" "$RC:$ERR"
    start bad6 6 "uuid=\"$(u 6)\" gpu=\"A40\" framebuffer=\"8G\" series=\"Q\""
    t_match "gpu with a need: refused, naming the mix and what is allowed" \
        "^1:vgpu-hook: domain 'bad6': vGPU device 0: 'gpu' asks for a whole VF with no vGPU type and takes no 'profile', 'type', 'framebuffer' or 'series' \(given: 'gpu', 'framebuffer' and 'series'\); allowed: profile, type, profile with type, framebuffer with series, or gpu alone$" "$RC:$ERR"
    start bad7 7 "uuid=\"$(u 7)\" gpu=\"A40\" profile=\"A40-8Q\""
    t_match "gpu with a profile: refused the same way" "^1:.*\(given: 'gpu' with 'profile'\); allowed: " "$RC:$ERR"
    t_eq "refusals created nothing" 0 "$(mdev_count)"
}

test_need_a40() {
    fresh a40x2-sriov
    local a b n
    a=$(sriov_gpus | head -n 1)   # 0000:67:00.0, NUMA node 0
    b=$(sriov_gpus | tail -n 1)   # 0000:e8:00.0, NUMA node 1
    start_logged n1 1 "uuid=\"$(u 1)\" framebuffer=\"8G\" series=\"Q\""
    t_eq "need 8G Q: prepare exit 0, silent" "0:" "$RC:$ERR"
    t_eq "need 8G Q: A40-8Q (nvidia-562) made" nvidia-562 "$(mdev_type "$(u 1)")"
    t_match "need 8G Q: the log line names the profile chosen" \
        "created $(u 1) \(NVIDIA A40-8Q, nvidia-562\) on .*, chosen for a Q profile with at least 8G" "$SYSLOG"
    start n2 2 "uuid=\"$(u 2)\" framebuffer=\"7G\" series=\"q\""
    t_eq "need 7G q: the next size up, A40-8Q, packed on the same GPU" \
        "0:nvidia-562:$(mdev_gpu "$(u 1)")" "$RC:$(mdev_type "$(u 2)"):$(mdev_gpu "$(u 2)")"
    vc status --no-libvirt
    t_match "status names the chosen profile" "$(u 1) +A40-8Q +nvidia-562 " "$OUT"
    # The GPU holding 8Q cannot take 4Q; the other one is empty: 4Q there.
    start n3 3 "uuid=\"$(u 3)\" framebuffer=\"3500M\" series=\"Q\""
    t_eq "need 3500M Q: A40-4Q on the GPU without 8Q" "0:nvidia-560:$b" \
        "$RC:$(mdev_type "$(u 3)"):$(mdev_gpu "$(u 3)")"
    # 6G: 6Q has room on no GPU now (8Q on one, 4Q on the other); 8Q has.
    dom n4 "$(du 4)" "uuid=\"$(u 4)\" framebuffer=\"6G\" series=\"Q\"" > "$WORK/n4.xml"
    vc check "$WORK/n4.xml"
    t_match "check: a 6G need becomes A40-8Q where 6Q has no room" \
        "$(u 4) +a Q profile with at least 6G +create +[0-9a-f:.]+ +$(mdev_gpu "$(u 1)") +A40-8Q \(nvidia-562\)" "$OUT"
    hook n4 prepare begin < "$WORK/n4.xml"
    t_eq "the hook agrees with check" "0:nvidia-562:$(mdev_gpu "$(u 1)")" \
        "$RC:$(mdev_type "$(u 4)"):$(mdev_gpu "$(u 4)")"
    for n in n1 n2 n3 n4; do stop $n; done
    t_eq "need devices released" 0 "$(mdev_count)"
}

test_numa_from_domain() {
    fresh a40x2-sriov
    local a b
    a=$(sriov_gpus | head -n 1)   # 0000:67:00.0, NUMA node 0
    b=$(sriov_gpus | tail -n 1)   # 0000:e8:00.0, NUMA node 1
    t_eq "simulator: node1 holds CPUs 16-31" 16-31 "$(cat "$SIM_ROOT/devices/system/node/node1/cpulist")"
    start v1 1 "uuid=\"$(u 1)\" profile=\"A40-2Q\""
    t_eq "unbound domain: pack by address, $a" "0:$a" "$RC:$(mdev_gpu "$(u 1)")"
    DOM_EXTRA="<numatune><memory mode='strict' nodeset='1'/></numatune>" \
        dom v2 "$(du 2)" "uuid=\"$(u 2)\" profile=\"A40-2Q\"" > "$WORK/v2.xml"
    vc check "$WORK/v2.xml"
    t_match "check: shows the node the domain asks for" "NUMA: the domain runs on node\(s\) 1\." "$OUT"
    t_match "check: the chosen parent's node" "$(u 2) +A40-2Q +create +[0-9a-f:.]+ +$b +A40-2Q \(nvidia-558\) +1" "$OUT"
    t_match "check: each candidate with its node, local first" \
        "vGPU device 0 candidates: $b \(node 1\), $a \(node 0\)" "$OUT"
    hook v2 prepare begin < "$WORK/v2.xml"
    t_eq "memory on node 1: NUMA beats pack, $b" "0:$b" "$RC:$(mdev_gpu "$(u 2)")"
    DOM_EXTRA="<vcpu placement='static' cpuset='20-23'>2</vcpu>" \
        start v3 3 "uuid=\"$(u 3)\" profile=\"A40-2Q\""
    t_eq "vCPUs on CPUs 20-23 (node 1): $b" "0:$b" "$RC:$(mdev_gpu "$(u 3)")"
    DOM_EXTRA="<vcpu cpuset='20-23'>2</vcpu><numatune><memory nodeset='0'/></numatune>" \
        start v4 4 "uuid=\"$(u 4)\" profile=\"A40-2Q\""
    t_eq "memory binding wins over vCPU pinning: $a" "0:$a" "$RC:$(mdev_gpu "$(u 4)")"
    DOM_EXTRA="<vcpu>2</vcpu><cputune><vcpupin vcpu='0' cpuset='17'/><vcpupin vcpu='1' cpuset='18'/></cputune>" \
        start v5 5 "uuid=\"$(u 5)\" profile=\"A40-2Q\""
    t_eq "vcpupin on node 1: $b" "0:$b" "$RC:$(mdev_gpu "$(u 5)")"
    DOM_EXTRA="<numatune><memory nodeset='1'/></numatune>" \
        start v6 6 "uuid=\"$(u 6)\" profile=\"A40-2Q\" numa=\"0\""
    t_eq "the request's own numa wins over the domain's" "0:$a" "$RC:$(mdev_gpu "$(u 6)")"
    DOM_EXTRA="<numatune><memory nodeset='1-x'/></numatune>" \
        start v7 7 "uuid=\"$(u 7)\" profile=\"A40-2Q\""
    t_match "a bad nodeset: one-line refusal naming it" \
        "^1:vgpu-hook: domain 'v7': <numatune><memory nodeset> '1-x' is not a list of numbers" "$RC:$ERR"
    for n in v1 v2 v3 v4 v5 v6; do stop $n; done
    t_eq "NUMA devices released" 0 "$(mdev_count)"

    # Node 1's GPU holds A40-2Q: an A40-4Q for a node-1 domain falls back
    # to node 0 with a log line, or is refused with numa_fallback=false.
    start w1 11 "uuid=\"$(u 11)\" profile=\"A40-2Q\" numa=\"1\""
    DOM_EXTRA="<numatune><memory nodeset='1'/></numatune>" \
        dom w2 "$(du 12)" "uuid=\"$(u 12)\" profile=\"A40-4Q\"" > "$WORK/w2.xml"
    conf numa_fallback=false
    hook w2 prepare begin < "$WORK/w2.xml"
    t_eq "numa_fallback=false: refused" "1:0" "$RC:$(gpu_mdevs "$a")"
    t_match "numa_fallback=false: the refusal names the GPU off the domain's node" \
        "no GPU can take A40-4Q: .*$a is on NUMA node 0, not on node\(s\) 1 where the domain runs \(numa_fallback=false\)" "$ERR"
    t_match "numa_fallback=false: and why the local GPU could not" "GPU $b holds A40-2Q vGPUs" "$ERR"
    conf
    hook_logged w2 prepare begin < "$WORK/w2.xml"
    t_eq "fallback: placed on node 0's GPU" "0:$a" "$RC:$(mdev_gpu "$(u 12)")"
    t_match "fallback: a log line says so, and why node 1's GPU could not" \
        "domain 'w2': vGPU device 0: placed on [0-9a-f:.]+, NUMA node 0, not on node\(s\) 1 where the domain runs: GPU $b holds A40-2Q vGPUs \(numa_fallback=false refuses instead\)" "$SYSLOG"
    stop w2; stop w1
    t_eq "fallback devices released" 0 "$(mdev_count)"
}

# parent= names node 1's GPU, the vCPUs are pinned to node 0, whose GPU is
# empty: what keeps node 0's GPU out is parent=, not a lack of room, and
# the refusal names what excludes each GPU.
test_parent_off_domain_nodes() {
    fresh a40x2-sriov
    local a=0000:67:00.0 b=0000:e8:00.0
    t_eq "simulator: node0 holds CPUs 0-15" 0-15 "$(cat "$SIM_ROOT/devices/system/node/node0/cpulist")"
    DOM_EXTRA="<vcpu placement='static' cpuset='0-3'>2</vcpu>" \
        dom p1 "$(du 1)" "uuid=\"$(u 1)\" profile=\"A40-2Q\" parent=\"$b\"" > "$WORK/p1.xml"
    vc check "$WORK/p1.xml"
    t_match "check: the domain runs on node 0" "NUMA: the domain runs on node\(s\) 0\." "$OUT"
    t_match "check: parent= takes it to node 1's GPU" "$(u 1) +A40-2Q +create +[0-9a-f:.]+ +$b " "$OUT"
    t_match "check: the note names parent= as why, not room" \
        "Note: vGPU device 0: it would go to NUMA node 1, not to node\(s\) 0 where the domain runs: $a is not the requested parent $b \(numa_fallback=false in the config refuses instead\)" "$OUT"
    t_no "check: no 'no room' for an empty GPU" grep -q "no room" "$WORK/vc.out"
    hook_logged p1 prepare begin < "$WORK/p1.xml"
    t_eq "hook: placed on the parent's GPU" "0:$b" "$RC:$(mdev_gpu "$(u 1)")"
    t_match "hook: the log line names parent= as why" \
        "domain 'p1': vGPU device 0: placed on [0-9a-f:.]+, NUMA node 1, not on node\(s\) 0 where the domain runs: $a is not the requested parent $b \(numa_fallback=false refuses instead\)" "$SYSLOG"
    stop p1
    conf numa_fallback=false
    hook p1 prepare begin < "$WORK/p1.xml"
    t_eq "numa_fallback=false: refused, nothing made" "1:0" "$RC:$(mdev_count)"
    t_eq "numa_fallback=false: each GPU with what excluded it" \
        "vgpu-hook: domain 'p1': vGPU device 0: no GPU can take A40-2Q: $a is not the requested parent $b; $b is on NUMA node 1, not on node(s) 0 where the domain runs (numa_fallback=false)" "$ERR"
    vc check "$WORK/p1.xml"
    t_match "numa_fallback=false: check says the same" \
        "vGPU device 0: no GPU can take A40-2Q: $a is not the requested parent $b; $b is on NUMA node 1, not on node\(s\) 0 where the domain runs \(numa_fallback=false\)" "$OUT"
    conf
}

# By need on a vendor-specific host (a40x2-vfio): the types have no
# description, so sizes come from the names; the VF chosen (the advice,
# vgpuctl check, sync) gives the smallest size with room, then packs.
vcur() { cat "$SIM_ROOT/bus/pci/devices/$1/nvidia/current_vgpu_type"; }
vfio_advice() { sed -n "s/.*bus='0x\([0-9a-f]*\)' slot='0x00' function='0x\([0-7]\)'.*/0000:\1:00.\2/p" <<< "$1"; }
test_need_vfio() {
    fresh a40x2-vfio
    local a=0000:67:00.0 b=0000:e8:00.0
    start p1 1 "uuid=\"$(u 1)\" profile=\"A40-4Q\" @vf=0000:67:00.4"
    t_eq "A40-4Q by name on a VF of $a" "0:560" "$RC:$(vcur 0000:67:00.4)"
    start n2 2 --no-hostdev "uuid=\"$(u 2)\" framebuffer=\"4G\" series=\"Q\""
    t_eq "need 4G Q, no hostdev: the advice packs it beside the A40-4Q" "1:0000:67:00.5" \
        "$RC:$(vfio_advice "$ERR")"
    start n3 3 --no-hostdev "uuid=\"$(u 3)\" framebuffer=\"3G\" series=\"Q\""
    t_eq "need 3G Q: A40-3Q on the empty GPU beats packing A40-4Q" "1:0000:e8:00.4" \
        "$RC:$(vfio_advice "$ERR")"
    dom n4 "$(du 4)" "uuid=\"$(u 4)\" framebuffer=\"2G\" series=\"Q\" @vf=0000:e8:00.5" > "$WORK/n4.xml"
    vc check "$WORK/n4.xml"
    t_eq "check: a need on the VF its hostdev names would start" 0 "$RC"
    t_match "check: and becomes A40-2Q there" \
        "$(u 4) +a Q profile with at least 2G +create +0000:e8:00.5 +$b +A40-2Q \(nvidia-558\)" "$OUT"
    dom n5 "$(du 5)" "uuid=\"$(u 5)\" framebuffer=\"2G\" series=\"Q\" @vf=0000:67:00.6" > "$WORK/n5.xml"
    vc check "$WORK/n5.xml"
    t_match "check: on a VF of the GPU holding A40-4Q, the need becomes A40-4Q" \
        "$(u 5) +a Q profile with at least 2G +create +0000:67:00.6 +$a +A40-4Q \(nvidia-560\)" "$OUT"
    start n6 6 --no-hostdev "uuid=\"$(u 6)\" framebuffer=\"64G\" series=\"Q\""
    t_match "need 64G Q: no VF fits" "^1:.*with the address of a free VF \(none fits now\)" "$RC:$ERR"
    # What check promised, the hook does: a need that names a VF starts there.
    start n7 7 "uuid=\"$(u 7)\" framebuffer=\"8G\" series=\"Q\" @vf=0000:e8:00.6"
    t_eq "hook: need 8G Q on an empty GPU's VF becomes A40-8Q" "0:562" "$RC:$(vcur 0000:e8:00.6)"
    start n5 5 "uuid=\"$(u 5)\" framebuffer=\"2G\" series=\"Q\" @vf=0000:67:00.6"
    t_eq "hook: need 2G Q beside the A40-4Q becomes A40-4Q" "0:560" "$RC:$(vcur 0000:67:00.6)"
    stop n7
    stop n5
    stop p1
    t_eq "released" "0 0 0" "$(vcur 0000:67:00.4) $(vcur 0000:e8:00.6) $(vcur 0000:67:00.6)"
}

mig_gis() { sed -n "/^$1 /,/^0000/p" "$SIM_ROOT/vgpu-sim/mig" | grep -c " gi .* $2 "; }

test_mig() {
    fresh a100x2-mig
    local a=0000:17:00.0 b=0000:65:00.0
    t_match "scenario: $a in MIG mode with seven free 1g.5gb" "^$a mig=on" "$(cat "$SIM_ROOT/vgpu-sim/mig")"
    t_eq "scenario: seven 1g.5gb on $a, 3g.20gb + 4g.20gb on $b" "7:1:1" \
        "$(mig_gis $a 1g.5gb):$(mig_gis $b 3g.20gb):$(mig_gis $b 4g.20gb)"
    t_eq "scenario: 16 VFs each, on NUMA nodes 0 and 1" "16 0 16 1" \
        "$(for g in $a $b; do printf '%s %s ' "$(cat "$SIM_ROOT/bus/pci/devices/$g/sriov_numvfs")" "$(cat "$SIM_ROOT/bus/pci/devices/$g/numa_node")"; done | sed 's/ $//')"
    t_eq "scenario: the types as NVIDIA names them" \
        "A100-1-5C A100-1-5CME A100-10C A100-2-10C A100-20C A100-3-20C A100-4-20C A100-40C A100-4C A100-5C A100-7-40C A100-8C" \
        "$(cat "$SIM_ROOT"/class/mdev_bus/0000:17:00.4/mdev_supported_types/*/name | sed 's/^NVIDIA //' | LC_ALL=C sort | paste -sd' ')"
    t_match "simulator: MIG off refused while GPU instances exist" "busy" \
        "$( { printf 'mig %s off\n' $a > "$SIM_ROOT/vgpu-sim/control"; } 2>&1)"
    t_match "simulator: an 8th 1g.5gb does not fit" "No space left" \
        "$( { printf 'cgi %s 1g.5gb\n' $a > "$SIM_ROOT/vgpu-sim/control"; } 2>&1)"
    t_eq "simulator: a MIG-backed type reads the free instances of its size on a free VF" "7:0:1" \
        "$(cat "$SIM_ROOT/class/mdev_bus/0000:17:00.4/mdev_supported_types/nvidia-480/available_instances"):$(cat "$SIM_ROOT/class/mdev_bus/0000:17:00.4/mdev_supported_types/nvidia-470/available_instances"):$(cat "$SIM_ROOT/class/mdev_bus/0000:65:00.4/mdev_supported_types/nvidia-482/available_instances")"
    start m1 1 "uuid=\"$(u 1)\" profile=\"A100-3-20C\""
    t_eq "A100-3-20C: on $b, the GPU with a free 3g.20gb" "0:$b" "$RC:$(mdev_gpu "$(u 1)")"
    t_match "the vGPU holds the 3g.20gb instance" " gi 1 3g.20gb $(mdev_parent "$(u 1)")" "$(cat "$SIM_ROOT/vgpu-sim/mig")"
    start m2 2 "uuid=\"$(u 2)\" profile=\"A100-4-20C\""
    t_eq "A100-4-20C: beside it on $b (MIG sizes mix on one GPU)" "0:$b" "$RC:$(mdev_gpu "$(u 2)")"
    start m3 3 "uuid=\"$(u 3)\" profile=\"A100-1-5C\"" "uuid=\"$(u 4)\" profile=\"A100-1-5C\""
    t_eq "two A100-1-5C: both on $a, distinct VFs" "0:$a:$a" "$RC:$(mdev_gpu "$(u 3)"):$(mdev_gpu "$(u 4)")"
    start m5 5 "uuid=\"$(u 5)\" profile=\"A100-3-20C\""
    t_eq "a second A100-3-20C: refused" "1:4" "$RC:$(mdev_count)"
    t_match "refusal: the size needed and what $a has, with the nvidia-smi line" \
        "GPU $a has no free 3g.20gb GPU instance for A100-3-20C \(free: 1g.5gb x5; create one: nvidia-smi mig -i $a -cgi 3g.20gb\)" "$ERR"
    t_match "refusal: and what $b has" "GPU $b has no free 3g.20gb GPU instance for A100-3-20C \(free: none; create one: nvidia-smi mig -i $b -cgi 3g.20gb\)" "$ERR"
    t_eq "refusal: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    start m6 6 "uuid=\"$(u 6)\" profile=\"A100-4C\""
    t_match "time-sliced on MIG GPUs: says MIG mode is on" \
        "^1:.*GPU $a is in MIG mode: time-sliced A100-4C cannot go there, MIG-backed profiles can.*GPU $b is in MIG mode" "$RC:$ERR"
    vc check "$WORK/m6.xml"
    t_match "check: time-sliced on MIG GPUs says MIG mode is on, as the hook" \
        "vGPU device 0: no GPU can take A100-4C: GPU $a is in MIG mode: time-sliced A100-4C cannot go there" "$OUT"
    start m11 11 "uuid=\"$(u 11)\" framebuffer=\"20G\" series=\"C\""
    t_match "need 20G C, no 3g.20gb free: the refusal names the GPU instance, not the time-sliced A100-20C" \
        "^1:.*no GPU can take a C profile with at least 20G: GPU $a has no free 3g.20gb GPU instance for A100-3-20C \(free: 1g.5gb x5; create one: nvidia-smi mig -i $a -cgi 3g.20gb\)" "$RC:$ERR"
    t_eq "need 20G C: no time-sliced sentence" 0 "$(grep -c "time-sliced" <<< "$ERR")"

    dom m7 "$(du 7)" "uuid=\"$(u 7)\" profile=\"A100-7-40C\"" > "$WORK/m7.xml"
    vc check "$WORK/m7.xml"
    t_match "check: A100-7-40C refused with the same reason as the hook" \
        "vGPU device 0: no GPU can take A100-7-40C: GPU $a has no free 7g.40gb GPU instance for A100-7-40C \(free: 1g.5gb x5; create one: nvidia-smi mig -i $a -cgi 7g.40gb\)" "$OUT"
    vc types
    t_match "types: per GPU, MIG mode and free GPU instances" "$a +A100 +0 +on +1g.5gb x5 +A100-1-5C" "$OUT"
    t_match "types: $b has nothing free now" "$b +A100 +1 +on +none +-" "$OUT"
    vc types --json
    t_eq "types --json: MIG state of $a" "true 5" "$(jq -r ".mig[] | select(.gpu==\"$a\") | \"\(.mig_mode) \(.free_gpu_instances[\"1g.5gb\"])\"" <<< "$OUT")"

    # GPU instances made and destroyed while the domains run.
    printf 'dgi %s 1\n' $b > "$SIM_ROOT/vgpu-sim/control" 2> /dev/null
    t_match "destroying a GPU instance in use: refused by the driver" " gi 1 3g.20gb $(mdev_parent "$(u 1)")" "$(cat "$SIM_ROOT/vgpu-sim/mig")"
    sim_ctl dgi $a 7
    sim_ctl dgi $a 6
    sim_ctl dgi $a 5
    sim_ctl cgi $a 3g.20gb
    t_eq "after -dgi x3 and -cgi 3g.20gb on $a: one 3g.20gb free there" 1 "$(mig_gis $a 3g.20gb)"
    hook m5 prepare begin < "$WORK/m5.xml"
    t_eq "the refused A100-3-20C now starts, on $a" "0:$a" "$RC:$(mdev_gpu "$(u 5)")"
    t_eq "running domains kept their vGPUs" "$b $b $a $a" \
        "$(mdev_gpu "$(u 1)") $(mdev_gpu "$(u 2)") $(mdev_gpu "$(u 3)") $(mdev_gpu "$(u 4)")"
    stop m1
    t_match "release gives the 3g.20gb back" " gi 1 3g.20gb free" "$(cat "$SIM_ROOT/vgpu-sim/mig")"
    sim_ctl dgi $b 1
    sim_ctl dgi $b 2 2> /dev/null
    t_eq "4g.20gb in use: not destroyed" 1 "$(mig_gis $b 4g.20gb)"
    for n in m2 m3 m5; do stop $n; done
    t_eq "all MIG vGPUs released" 0 "$(mdev_count)"
    sim_ctl dgi $b 2
    sim_ctl mig $b off
    local ty=$SIM_ROOT/class/mdev_bus/0000:65:00.4/mdev_supported_types
    t_eq "MIG off on $b: its MIG-backed types read 0, a time-sliced one 1 (one per VF)" "0:0:1" \
        "$(cat "$ty/nvidia-480/available_instances"):$(cat "$ty/nvidia-482/available_instances"):$(cat "$ty/nvidia-470/available_instances")"
    start m8 8 "uuid=\"$(u 8)\" profile=\"A100-4C\""
    t_eq "MIG off on $b: time-sliced A100-4C goes there" "0:$b" "$RC:$(mdev_gpu "$(u 8)")"
    start m9 9 "uuid=\"$(u 9)\" profile=\"A100-2-10C\" parent=\"$b\""
    t_match "MIG-backed on a GPU with MIG off: says so, and how to turn it on" \
        "^1:.*GPU $b is not in MIG mode, so MIG-backed A100-2-10C cannot go there \(nvidia-smi -i $b -mig 1, then nvidia-smi mig -i $b -cgi 2g.10gb\)" "$RC:$ERR"
    start m10 10 "uuid=\"$(u 10)\" framebuffer=\"5G\" series=\"C\""
    t_eq "need 5G C on the MIG GPU: A100-1-5C (not the CME variant)" "0:nvidia-480:$a" \
        "$RC:$(mdev_type "$(u 10)"):$(mdev_gpu "$(u 10)")"
    stop m8; stop m10
    t_eq "all released" 0 "$(mdev_count)"
}

# MIG in NVIDIA's vendor-specific mode (h100x2-vfio-mig): each request's
# VF is named by its hostdev (@vf=), so the hook checks that VF's GPU; the
# advice and vgpuctl choose a VF on a GPU with a free GPU instance.
test_mig_vfio() {
    fresh h100x2-vfio-mig
    local a=0000:41:00.0 b=0000:c1:00.0
    local A0=0000:41:00.4 A1=0000:41:00.5 A2=0000:41:00.6 A3=0000:41:00.7
    local B0=0000:c1:00.4 B1=0000:c1:00.5 B2=0000:c1:00.6 n
    t_eq "scenario: seven 1g.10gb on $a, 3g.40gb + 4g.40gb on $b" "7:1:1" \
        "$(mig_gis $a 1g.10gb):$(mig_gis $b 3g.40gb):$(mig_gis $b 4g.40gb)"
    dom v0 "$(du 20)" "uuid=\"$(u 20)\" framebuffer=\"30G\" series=\"C\" @vf=$A3" > "$WORK/v0.xml"
    vc check "$WORK/v0.xml"
    t_match "check: a need on a VF of $a names the GPU instance it lacks, and that $b has one" \
        "vGPU device 0: VF $A3 cannot take a C profile with at least 30G now: GPU $a has no free 3g.40gb GPU instance for H100-3-40C \(free: 1g.10gb; create one: nvidia-smi mig -i $a -cgi 3g.40gb\); GPU $b has a free 3g.40gb GPU instance; run 'vgpuctl sync v0' to point it at a VF that can$" "$OUT"
    start v1 1 "uuid=\"$(u 1)\" profile=\"H100-3-40C\" @vf=$A3"
    t_eq "H100-3-40C on a VF of $a: refused, nothing written" "1:0" "$RC:$(vcur $A3)"
    t_match "refusal: the size, what $a has, the nvidia-smi line, and that $b has one" \
        "VF $A3 cannot take H100-3-40C now: GPU $a has no free 3g.40gb GPU instance for H100-3-40C \(free: 1g.10gb; create one: nvidia-smi mig -i $a -cgi 3g.40gb\); GPU $b has a free 3g.40gb GPU instance; run 'vgpuctl sync v1' to point it at a VF that can$" "$ERR"
    start v2 2 "uuid=\"$(u 2)\" profile=\"H100-3-40C\" @vf=$B0"
    t_eq "H100-3-40C on a VF of $b: it takes 1063" "0:1063" "$RC:$(vcur $B0)"
    t_match "the vGPU holds the 3g.40gb instance" " gi 1 3g.40gb $B0" "$(cat "$SIM_ROOT/vgpu-sim/mig")"
    start v3 3 "uuid=\"$(u 3)\" profile=\"H100-4-40C\" @vf=$B1"
    t_eq "H100-4-40C beside it (MIG sizes mix on one GPU)" "0:1064" "$RC:$(vcur $B1)"
    start v4 4 "uuid=\"$(u 4)\" profile=\"H100-1-10C\" @vf=$A0" "uuid=\"$(u 5)\" profile=\"H100-1-10C\" @vf=$A1"
    t_eq "two H100-1-10C on two VFs of $a" "0:1060:1060" "$RC:$(vcur $A0):$(vcur $A1)"
    start v6 6 "uuid=\"$(u 6)\" profile=\"H100-3-40C\" @vf=$B2"
    t_match "a second H100-3-40C on $b: refused, what each GPU has" \
        "^1:.*VF $B2 cannot take H100-3-40C now: GPU $b has no free 3g.40gb GPU instance for H100-3-40C \(free: none; create one: nvidia-smi mig -i $b -cgi 3g.40gb\); GPU $a has no free 3g.40gb GPU instance for H100-3-40C \(free: 1g.10gb; create one: nvidia-smi mig -i $a -cgi 3g.40gb\)" "$RC:$ERR"
    t_eq "refusal: one line" 1 "$(printf '%s\n' "$ERR" | wc -l)"
    start v7 7 "uuid=\"$(u 7)\" profile=\"H100-4C\" @vf=$A2"
    t_match "time-sliced on a MIG GPU: says MIG mode is on" \
        "^1:.*VF $A2 cannot take H100-4C now: GPU $a is in MIG mode: time-sliced H100-4C cannot go there, MIG-backed profiles can \(after destroying its GPU instances, nvidia-smi -i $a -mig 0 turns MIG off\)" "$RC:$ERR"
    start v8 8 --no-hostdev "uuid=\"$(u 8)\" profile=\"H100-1-10C\""
    t_match "no hostdev: the advice names a VF of $a, the GPU with a free 1g.10gb" \
        "^1:.*<address domain='0x0000' bus='0x41' slot='0x00' function='0x6'/>" "$RC:$ERR"
    start v9 9 --no-hostdev "uuid=\"$(u 9)\" profile=\"H100-7-80C\""
    t_match "no hostdev, no 7g.80gb anywhere: the advice says why, per GPU" \
        "none fits now; vGPU device 0: GPU $a has no free 7g.80gb GPU instance for H100-7-80C \(free: 1g.10gb; create one: nvidia-smi mig -i $a -cgi 7g.80gb\); GPU $b has no free 7g.80gb" "$ERR"
    local hook_err=$ERR
    vc check "$WORK/v9.xml"
    t_eq "no hostdev, no 7g.80gb anywhere: vgpuctl check says the hook's sentence" \
        "$hook_err" "vgpu-hook: $(grep "^domain 'v9' asks" <<< "$OUT")"

    dom v10 "$(du 10)" "uuid=\"$(u 10)\" profile=\"H100-7-80C\" @vf=$A2" > "$WORK/v10.xml"
    vc check "$WORK/v10.xml"
    t_match "check: refused with the hook's reason" \
        "vGPU device 0: VF $A2 cannot take H100-7-80C now: GPU $a has no free 7g.80gb GPU instance for H100-7-80C \(free: 1g.10gb; create one: nvidia-smi mig -i $a -cgi 7g.80gb\); GPU $b has no free 7g.80gb" "$OUT"
    vc types
    t_match "types: $a in MIG mode, 1g.10gb free, H100-1-10C fits" "$a +H100 +0 +on +1g.10gb +H100-1-10C" "$OUT"
    t_match "types: $b has nothing free" "$b +[^ ]+ +1 +[?a-z]+ +none +-" "$OUT"
    vc types --json
    t_eq "types --json: $a in MIG mode, 1g.10gb free (the driver shows no count)" "true true" \
        "$(jq -r ".mig[] | select(.gpu==\"$a\") | \"\(.mig_mode) \(.free_gpu_instances | has(\"1g.10gb\"))\"" <<< "$OUT")"

    # GPU instances made and destroyed while the domains run.
    printf 'dgi %s 1\n' $b > "$SIM_ROOT/vgpu-sim/control" 2> /dev/null
    t_match "destroying a GPU instance in use: refused by the driver" " gi 1 3g.40gb $B0" "$(cat "$SIM_ROOT/vgpu-sim/mig")"
    sim_ctl dgi $a 7
    sim_ctl dgi $a 6
    sim_ctl dgi $a 5
    sim_ctl cgi $a 3g.40gb
    t_eq "after -dgi x3 and -cgi 3g.40gb on $a: one 3g.40gb there" 1 "$(mig_gis $a 3g.40gb)"
    hook v1 prepare begin < "$WORK/v1.xml"
    t_eq "the refused H100-3-40C now starts on its VF of $a" "0:1063" "$RC:$(vcur $A3)"
    t_eq "running domains kept their vGPUs" "1063 1064 1060 1060" "$(vcur $B0) $(vcur $B1) $(vcur $A0) $(vcur $A1)"
    stop v2
    t_match "release gives the 3g.40gb back" " gi 1 3g.40gb free" "$(cat "$SIM_ROOT/vgpu-sim/mig")"
    hook v6 prepare begin < "$WORK/v6.xml"
    t_eq "the other refused H100-3-40C now starts on $b" "0:1063" "$RC:$(vcur $B2)"
    sim_ctl dgi $b 2 2> /dev/null
    t_eq "4g.40gb in use: not destroyed" 1 "$(mig_gis $b 4g.40gb)"
    for n in v1 v3 v4 v6; do stop $n; done
    t_eq "all MIG vGPUs released" "" "$(cat "$SIM_ROOT/vgpu-sim/vfs")"
    sim_ctl dgi $b 1
    sim_ctl dgi $b 2
    sim_ctl mig $b off
    start v11 11 "uuid=\"$(u 11)\" profile=\"H100-4C\" @vf=$B0"
    t_eq "MIG off on $b: time-sliced H100-4C goes there" "0:1040" "$RC:$(vcur $B0)"
    start v12 12 "uuid=\"$(u 12)\" profile=\"H100-2-20C\" @vf=$B1"
    t_match "MIG-backed on a GPU with MIG off: says so, and how to turn it on" \
        "^1:.*GPU $b is not in MIG mode, so MIG-backed H100-2-20C cannot go there \(nvidia-smi -i $b -mig 1, then nvidia-smi mig -i $b -cgi 2g.20gb\)" "$RC:$ERR"
    stop v11
    t_eq "all released" "" "$(cat "$SIM_ROOT/vgpu-sim/vfs")"
}

for t in test_need_attributes test_need_a40 test_need_vfio test_numa_from_domain \
         test_parent_off_domain_nodes test_mig test_mig_vfio; do
    echo "# $t"
    $t
done
t_done
