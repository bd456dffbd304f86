#!/usr/bin/env bash
# sysfs-overlay.sh SIM_ROOT REALSYS — run INSIDE a private mount namespace.
# Makes /sys show the union of the real sysfs (REALSYS: an rbind of the real
# /sys made before this runs) and the simulator's tree (SIM_ROOT), the
# simulator winning, so that the simulator's relative links
# (bus/mdev/devices/U -> ../../../devices/...) resolve exactly as kernfs
# links do. The test tier's own equivalent of tests/sim/sim-namespace.sh,
# used when that one is missing.
#
# Directories present on both sides are merged level by level (a tmpfs with
# every entry bound or linked back); a directory present on one side only, or
# empty on the real side, or "live" (changes while the simulator runs), is
# bound whole, so creates and removes in the simulator show at once. Merged
# levels are snapshots: new top-level entries below them (e.g. VFs appearing
# after a write to sriov_numvfs) are not seen.
set -eu
S=$1
R=$2

# Simulator directories whose content changes at run time: always bound whole.
live() {
    case $1 in
        bus/mdev | bus/mdev/* | class/mdev_bus | kernel/iommu_groups | vgpu-sim) return 0 ;;
    esac
    return 1
}

# A simulated device directory replaces the host's of the same address
# (e.g. GVT-g's 0000:00:02.0) rather than mixing attributes.
device() { [ -e "$1/vendor" ] || [ -e "$1/mdev_supported_types" ] || [ -e "$1/mdev_type" ]; }

is_dir() { [ -d "$1" ] && [ ! -L "$1" ]; }

# place SRC DST: SRC's entry appears at DST (DST's parent is a tmpfs of ours)
place() {
    if [ -L "$1" ]; then
        ln -s "$(readlink "$1")" "$2"
    elif [ -d "$1" ]; then
        mkdir "$2"
        mount --rbind "$1" "$2"
    else
        : > "$2"
        mount --bind "$1" "$2"
    fi
}

# merge REL: /REL-of-sys becomes the union of R/REL and S/REL
merge() {
    local rel=$1 t r s n
    if [ -n "$rel" ]; then t=/sys/$rel r=$R/$rel s=$S/$rel; else t=/sys r=$R s=$S; fi
    mount -t tmpfs -o mode=0755 vgpu-e2e-sysfs "$t"
    for n in $( { ls -A "$r"; ls -A "$s"; } | sort -u); do
        local sub=${rel:+$rel/}$n
        if [ -e "$s/$n" ] || [ -L "$s/$n" ]; then
            if is_dir "$s/$n" && is_dir "$r/$n" && ! live "$sub" && ! device "$s/$n" &&
               [ -n "$(ls -A "$r/$n")" ]; then
                mkdir "$t/$n"
                merge "$sub"
            else
                place "$s/$n" "$t/$n"
            fi
        else
            place "$r/$n" "$t/$n"
        fi
    done
}

merge ""
