#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# mtty-sequence.sh SYSFS_ROOT
#
# One fixed sequence of mdev creates, removes and reads against the `mtty`
# parent under SYSFS_ROOT (the real /sys in the nested guest, or the mounted
# simulator with tests/sim/scenarios/mtty.ini), printing one normalized line
# per step: what was written where, the outcome (ok or the errno's name), and
# the state after it (available_instances of both types, the mdevs present,
# UUIDs replaced by their index in the sequence). The real-kernel tier runs it
# on both and diffs the outputs, so the simulator cannot drift from the kernel.
#
# Needs a freshly loaded mtty (no mdevs, 24 free ports). Leaves none behind.
set -u
export LC_ALL=C
R=${1:?usage: mtty-sequence.sh SYSFS_ROOT}
P=$R/class/mdev_bus/mtty
T=$P/mdev_supported_types
D=$R/bus/mdev/devices

u() { printf '6d7a0000-0000-4000-8000-%012d' "$1"; }   # UUID number n
U=(); for i in $(seq 0 30); do U[i]=$(u "$i"); done

# E = the errno name of a failed write from bash's message ("...: No space left on device")
errname() {
    case $1 in
        *"No space left on device"*) E=ENOSPC ;;
        *"File exists"*) E=EEXIST ;;
        *"Invalid argument"*) E=EINVAL ;;
        *"No such file or directory"*) E=ENOENT ;;
        *"No such device"*) E=ENODEV ;;
        *"Device or resource busy"*) E=EBUSY ;;
        *"Resource temporarily unavailable"*) E=EAGAIN ;;
        *"Too many users"*) E=EUSERS ;;
        *"Input/output error"*) E=EIO ;;
        *"Permission denied"*) E=EACCES ;;
        *"Operation not permitted"*) E=EPERM ;;
        *"Numerical result out of range"*) E=ERANGE ;;
        *) E="E?(${1##*: })" ;;
    esac
}

# N = TEXT with every sequence UUID replaced by #n (#n(UPPER) when upper case).
# Functions set variables instead of printing: $(...) costs a fork, and the
# guest runs this under TCG.
norm() {
    local i
    N=$1
    for i in "${!U[@]}"; do
        N=${N//${U[i]}/#$i}
        N=${N//${U[i]^^}/#$i(UPPER)}
    done
}

avail() { A='?'; read -r A < "$T/$1/available_instances" 2>/dev/null; }

# STATE = both counts and the mdevs present with their types (the type: the
# type directory the device's mdev_type link resolves to, compared with -ef,
# a builtin test: no process per device).
state() {
    local d t list='' a1
    for d in "$D"/*; do
        [ -L "$d" ] || continue
        t='?'
        if [ "$d/mdev_type" -ef "$T/mtty-1" ]; then t=mtty-1
        elif [ "$d/mdev_type" -ef "$T/mtty-2" ]; then t=mtty-2; fi
        norm "${d##*/}"
        list+=" $N:$t"
    done
    avail mtty-1; a1=$A; avail mtty-2
    STATE="avail mtty-1=$a1 mtty-2=$A; mdevs${list:- none}"
}

# wr LABEL FILE DATA: one write() of DATA (printf, one buffer) into FILE
wr() {
    local label=$1 file=$2 data=$3 res err
    if { printf '%s' "$data" > "$file"; } 2> "$ERRF"; then res=ok
    else read -r err < "$ERRF"; errname "$err"; res=$E; fi
    label=${label//$'\n'/\\n}
    norm "$label"; label=$N; state
    printf '%s -> %s; %s\n' "$label" "$res" "$STATE"
}
create() { wr "create $1 $2" "$T/$1/create" "$3"; }          # create TYPE LABEL DATA
remove() { wr "remove $1 '$2'" "$D/$1/remove" "$2"; }         # remove UUID DATA

ERRF=$(mktemp)
trap 'rm -f "$ERRF"' EXIT

# --- what the parent offers
[ -d "$T" ] || { echo "no mtty parent under $R"; exit 1; }
echo "parent $(basename "$(readlink -f "$P")") types $(ls "$T" | sort | tr '\n' ' ' | sed 's/ $//')"
for t in mtty-1 mtty-2; do
    d=$T/$t
    desc=absent; [ -e "$d/description" ] && desc="'$(head -c 200 "$d/description")'"
    printf '%s: name=%s device_api=%s available=%s description=%s devices=%s\n' "$t" \
        "'$(cat "$d/name" 2>/dev/null)'" "$(cat "$d/device_api" 2>/dev/null)" \
        "$(avail "$t"; echo "$A")" "$desc" "$(ls "$d/devices" 2>/dev/null | wc -l)"
done
state; echo "start; $STATE"

# --- creates: plain, duplicate (same and other type), malformed
create mtty-2 "#1" "${U[1]}"$'\n'
create mtty-2 "#1-again" "${U[1]}"$'\n'
create mtty-1 "#1-other-type" "${U[1]}"
create mtty-1 "not-a-uuid" "not-a-uuid"
create mtty-1 "short-uuid" "${U[2]:0:35}"
create mtty-1 "uuid-with-trailing-junk" "${U[2]}xx"
create mtty-1 "#2-uppercase-no-newline" "${U[2]^^}"

# --- the device's own files
d=$D/${U[1]}
printf 'device #1: type=%s remove=%s iommu_group=%s in-type-devices=%s\n' \
    "$(basename "$(readlink "$d/mdev_type")")" "$([ -e "$d/remove" ] && echo yes || echo no)" \
    "$([ -e "$d/iommu_group" ] && echo yes || echo no)" \
    "$(l=; for x in "$T"/mtty-2/devices/*; do norm "${x##*/}"; l+=" $N"; done; echo "${l# }")"

# What udev (and libvirt's node devices) read: the parent's and the device's uevent.
printf 'uevent: parent=%s device #1=%s\n' "'$(tr '\n' ';' < "$P/uevent" 2>&1)'" \
    "'$(tr '\n' ';' < "$d/uevent" 2>&1)'"

# --- fill the pool: 21 free ports -> 10 x mtty-2, then ENOSPC, then mtty-1 x1, ENOSPC
for i in $(seq 3 13); do create mtty-2 "#$i" "${U[i]}"; done
create mtty-1 "#14" "${U[14]}"
create mtty-1 "#15" "${U[15]}"
create mtty-2 "#15" "${U[15]}"

# --- removes: 0 does nothing, junk, 1 removes, again on a gone device
remove "${U[3]}" 0
remove "${U[3]}" abc
remove "${U[3]}" 1
remove "${U[3]}" 1
create mtty-1 "#15" "${U[15]}"
create mtty-1 "#16" "${U[16]}"
create mtty-1 "#17" "${U[17]}"

# --- empty it again
for d in "$D"/*; do [ -L "$d" ] && remove "${d##*/}" $'1\n'; done
state; echo "end; $STATE"
