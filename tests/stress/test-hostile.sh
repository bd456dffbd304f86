#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile domain XML through the real hook program (prepare, release and
# reconnect): the corpus in tests/stress/hostile/ (refuse-*: must be refused,
# ignore-*: not ours, exit 0 silently) plus inputs generated here because
# they are big (10 MB and 70 MB documents, 100,000-deep nesting, a 1 MB
# attribute, 65 devices, 5,000 hostdevs, 20,000 attributes).
# Every refusal: exit 1, one line, bounded time. Every run: no sysfs write,
# no device, and -- traced with strace -- no file written, created, renamed
# or removed anywhere but the state directory.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/stress/stresslib.sh"
# Every write the hook makes is traced here: no test-only copy of its log.
unset VGPU_TEST_LOG

CORPUS=$TOP/tests/stress/hostile
GEN=$WORK/gen
mkdir -p "$GEN"
TRIED=0 REFUSED=0 IGNORED=0 BADWRITES=0 SLOWEST=0

U=00000000-0000-4000-8000-00000000e001
head_xml() {
    printf '<domain type="kvm"><name>evil</name><uuid>dddddddd-0000-4000-8000-00000000e011</uuid><metadata><vgpu:vgpu xmlns:vgpu="urn:vgpu-hook:1">'
}
hd_xml() { printf '<hostdev mode="subsystem" type="mdev" model="vfio-pci"><source><address uuid="%s"/></source></hostdev>' "$1"; }

generate() {
    local i
    # 10 MB: over the reader's 4 MiB limit
    { head_xml; printf '<vgpu:device uuid="%s" profile="A40-2Q"/></vgpu:vgpu></metadata><devices>' $U; hd_xml $U
      printf '</devices><description>'; head -c 10485760 /dev/zero | tr '\0' 'a'; printf '</description></domain>\n'; } > "$GEN/refuse-10MB.xml"
    if full; then   # 70 MB: past the front's own read cap (64 MiB)
        { head_xml; printf '<vgpu:device uuid="%s" profile="A40-2Q"/></vgpu:vgpu></metadata><description>' $U
          head -c 73400320 /dev/zero | tr '\0' 'a'; printf '</description></domain>\n'; } > "$GEN/refuse-70MB.xml"
    fi
    # 100,000 nested elements inside our container (about 1 MB)
    { head_xml; for i in $(seq 1 1000); do printf '<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>'; done
      printf '</vgpu:vgpu></metadata></domain>\n'; } > "$GEN/refuse-deep-nesting.xml"
    # a 1 MB attribute value
    { head_xml; printf '<vgpu:device uuid="%s" profile="' $U; head -c 1048576 /dev/zero | tr '\0' 'Q'
      printf '"/></vgpu:vgpu></metadata></domain>\n'; } > "$GEN/refuse-1MB-attribute.xml"
    # a 300-byte attribute (over the 256-byte limit of our values), a 300-byte name
    { head_xml; printf '<vgpu:device uuid="%s" profile="A40-%s"/></vgpu:vgpu></metadata><devices>' $U "$(printf '%0300d' 2)"; hd_xml $U; printf '</devices></domain>\n'; } > "$GEN/refuse-overlong-profile.xml"
    { printf '<domain type="kvm"><name>%s</name><uuid>dddddddd-0000-4000-8000-00000000e011</uuid><metadata><vgpu:vgpu xmlns:vgpu="urn:vgpu-hook:1">' "$(printf '%0300d' 7)"
      printf '<vgpu:device uuid="%s" profile="A40-2Q"/></vgpu:vgpu></metadata><devices>' $U; hd_xml $U; printf '</devices></domain>\n'; } > "$GEN/refuse-overlong-name.xml"
    # 65 devices (the limit is 64)
    { head_xml; for i in $(seq 1 65); do printf '<vgpu:device uuid="00000000-0000-4000-8000-%012x" profile="A40-2Q"/>' "$i"; done
      printf '</vgpu:vgpu></metadata><devices>'; for i in $(seq 1 65); do hd_xml "$(printf '00000000-0000-4000-8000-%012x' "$i")"; done
      printf '</devices></domain>\n'; } > "$GEN/refuse-65-devices.xml"
    # 5,000 hostdevs, one of them with a bad UUID at the end
    { head_xml; printf '<vgpu:device uuid="%s" profile="A40-2Q"/></vgpu:vgpu></metadata><devices>' $U
      for i in $(seq 1 5000); do hd_xml "$(printf '00000000-0000-4000-8000-%012x' "$i")"; done; hd_xml "../../x"
      printf '</devices></domain>\n'; } > "$GEN/refuse-5000-hostdevs.xml"
    # 20,000 attributes on our element (libxml2 checks duplicates in quadratic time)
    { head_xml; printf '<vgpu:device uuid="%s" profile="A40-2Q"' $U; for i in $(seq 1 20000); do printf ' a%d="x"' "$i"; done
      printf '/></vgpu:vgpu></metadata></domain>\n'; } > "$GEN/refuse-20000-attributes.xml"
    # a NUL byte in the middle, and one at the very start
    { head_xml; printf '<vgpu:device uuid="%s" profile="A40-2Q"/>\0<vgpu:device uuid="00000000-0000-4000-8000-00000000e002" profile="A40-2Q"/></vgpu:vgpu></metadata></domain>\n' $U; } > "$GEN/refuse-nul-between-devices.xml"
    { printf '\0'; head_xml; printf '<vgpu:device uuid="%s" profile="A40-2Q"/></vgpu:vgpu></metadata></domain>\n' $U; } > "$GEN/refuse-nul-first.xml"
}

# Paths written, created, renamed, removed or linked by a traced run,
# outside the state directory.
# Failed calls change nothing; the sanitizers' own report files (their
# log_path) are not the hook's doing.
bad_writes() {
    local asan ubsan
    asan=$(sed -n 's/.*log_path=\([^:]*\).*/\1/p' <<< "${ASAN_OPTIONS:-}")
    ubsan=$(sed -n 's/.*log_path=\([^:]*\).*/\1/p' <<< "${UBSAN_OPTIONS:-}")
    awk -v ok="$WORK/state" -v asan="${asan:-/nonexistent/}" -v ubsan="${ubsan:-/nonexistent/}" '
        / = -1 / { next }
        /^[0-9]+ +(open|openat|creat)\(/ && !/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/ { next }
        /^[0-9]+ +(open|openat|creat|mkdir|mkdirat|rename|renameat|renameat2|unlink|unlinkat|rmdir|link|linkat|symlink|symlinkat|truncate|chmod|fchmodat|chown|fchownat|mknod|mknodat)\(/ {
            n = split($0, q, "\"")
            for (i = 2; i <= n; i += 2) {
                p = q[i]
                if (p == "" || p == "/dev/null" || index(p, ok) == 1 || index(p, asan) == 1 || index(p, ubsan) == 1) continue
                print p; break
            }
        }' "$1" | sort -u
}

# run FILE OP SUBOP: the hook under strace; RC, ERR, MS, BAD (paths)
run() {
    local t0
    t0=$(now_ms)
    # LeakSanitizer cannot run under ptrace: leaks are checked by the
    # untraced run in hostile().
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" timeout 60 strace -f -qq -o "$WORK/trace" \
        -e trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,rmdir,link,linkat,symlink,symlinkat,truncate,chmod,fchmodat,chown,fchownat,mknod,mknodat \
        "$HOOK" evil "$2" "$3" - < "$1" > "$WORK/out" 2> "$WORK/err"
    RC=$?
    MS=$(( $(now_ms) - t0 ))
    [ $MS -gt $SLOWEST ] && SLOWEST=$MS
    ERR=$(< "$WORK/err")
    BAD=$(bad_writes "$WORK/trace" | tr '\n' ' ')
    [ -n "$BAD" ] && BADWRITES=$((BADWRITES + 1))
}

hostile() {   # hostile FILE
    local f=$1 name w0 kind
    name=$(basename "$f" .xml)
    kind=${name%%-*}
    w0=$(sim_stat write)
    TRIED=$((TRIED + 1))
    run "$f" prepare begin
    if [ "$kind" = refuse ]; then
        REFUSED=$((REFUSED + 1))
        t_eq "$name: prepare refused" 1 "$RC"
        t_eq "$name: one line, prefixed, under 600 bytes" "1 1 1" \
            "$(printf '%s\n' "$ERR" | wc -l) $([[ $ERR == "vgpu-hook: "* ]] && echo 1) $(( ${#ERR} < 600 ))"
        echo "# $name: ${ERR:0:200}"
    else
        IGNORED=$((IGNORED + 1))
        t_eq "$name: not ours: exit 0, silent" "0:" "$RC:$ERR$(< "$WORK/out")"
    fi
    t_eq "$name: prepare wrote nothing outside the state dir" "" "$BAD"
    t_eq "$name: bounded (< 25 s)" 1 "$(( MS < 25000 ))"
    run "$f" release end
    t_eq "$name: release exits 0, writes nothing outside the state dir" "0:" "$RC:$BAD"
    run "$f" reconnect begin
    t_eq "$name: reconnect exits 0, writes nothing outside the state dir" "0:" "$RC:$BAD"
    timeout 60 "$HOOK" evil prepare begin - < "$f" > /dev/null 2>&1   # untraced: LeakSanitizer on
    t_eq "$name: no sysfs write, no device, no ledger" "$w0 0 0" "$(sim_stat write) $(sim_mdevs | wc -l) $(ledgers)"
}

# strace (Debian's) watches every file the hook touches.
if ! command -v strace > /dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace > /dev/null 2>&1
fi
if ! command -v strace > /dev/null 2>&1; then
    t_fail "strace is needed" "apt-get install -y strace"; t_done; exit
fi
fresh a40x2-sriov || exit 1
T0=$(now_ms)
generate
# a control: a good domain is traced the same way and writes only its ledger
mkdom good 'profile="A40-2Q"'
run "$WORK/x/good.xml" prepare begin
t_eq "control: a good domain starts" "0:" "$RC:$ERR"
t_eq "control: it writes only in the state dir (and sysfs)" "" "$(bad_writes "$WORK/trace" | grep -v "^$SIM_ROOT/")"
run "$WORK/x/good.xml" release end
BADWRITES=0

for f in "$CORPUS"/*.xml "$GEN"/*.xml; do hostile "$f"; done
figure hostile_inputs "$TRIED"
figure hostile_refused "$REFUSED"
figure hostile_ignored_not_ours "$IGNORED"
figure hook_runs_traced "$((TRIED * 3))"
figure writes_outside_state_dir "$BADWRITES"
figure slowest_hook_call_ms "$SLOWEST"
figure wall_time_s "$(( ($(now_ms) - T0) / 1000 ))"
stress_sanitizers
t_done
