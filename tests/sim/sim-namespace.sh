#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# sim-namespace.sh MOUNTPOINT: show a running vgpu-sim's tree at /sys.
#
# Run it INSIDE a private mount namespace, e.g.
#   unshare -m --propagation private bash -c '. tests/sim/sim-namespace.sh /tmp/vgpu-sim.X && mdevctl list'
# It refuses to run unless an ancestor process is in another mount
# namespace, so that it cannot cover the host's real /sys by mistake.
# Afterwards /sys/class, /sys/bus and /sys/devices show the host's entries
# and the simulator's together (and /sys/kernel/iommu_groups the
# simulator's), so real tools
# (mdevctl, libvirtd) find /sys/class/mdev_bus/<parent>,
# /sys/bus/mdev/devices/<uuid> and the directories their relative links
# point to, all within /sys.  Nothing is created outside the namespace.
#
# How: each of those directories gets a tmpfs, filled with the host's
# entries (directories bind-mounted back, symlinks copied) and the
# simulator's.  Where both have a directory of the same name, its entries
# are merged one level down, except that a simulated device directory
# (one with vendor, mdev_supported_types or mdev_type) or IOMMU group
# replaces the host's: e.g. GVT-g's 0000:00:02.0 hides the host's own
# 0000:00:02.0.  Where both have a file or link, the simulator's wins.
#
# Can be sourced (functions stay defined) or executed.

sim_ns_die() { echo "sim-namespace.sh: $*" >&2; return 1; }

# Is SIM_DIR a device (or group) that replaces the host's entry wholesale?
sim_ns_replaces() {
    local sim_dir=$1 rel=$2
    [ -e "$sim_dir/vendor" ] || [ -e "$sim_dir/mdev_supported_types" ] ||
        [ -e "$sim_dir/mdev_type" ] || [[ $rel == kernel/iommu_groups/* ]]
}

# sim_ns_place SRC DEST HOW: make DEST (in a tmpfs) show SRC; HOW is
# --bind or --rbind.  --no-canonicalize: SRC may be a /proc/PID/fd path,
# which must reach the kernel as it is (see sim_ns_overlay).
sim_ns_place() {
    local src=$1 dest=$2 how=$3
    if [ -L "$src" ]; then
        cp -P "$src" "$dest"
    elif [ -d "$src" ]; then
        mkdir "$dest" && mount --no-canonicalize "$how" "$src" "$dest"
    else
        : > "$dest" && mount --no-canonicalize --bind "$src" "$dest"
    fi
}

# sim_ns_fill REAL SIM DEST REL: DEST is an empty tmpfs directory; give it
# the host's entries from REAL and the simulator's from SIM.  REL is the
# path below /sys, for sim_ns_replaces.
sim_ns_fill() {
    local real=$1 sim=$2 dest=$3 rel=$4 name
    local -A seen=()
    while IFS= read -r -d '' name; do
        seen[$name]=1
        if [ -e "$sim/$name" ] || [ -L "$sim/$name" ]; then
            if [ -d "$real/$name" ] && [ ! -L "$real/$name" ] &&
                [ -d "$sim/$name" ] && [ ! -L "$sim/$name" ] &&
                ! sim_ns_replaces "$sim/$name" "$rel/$name"; then
                mkdir "$dest/$name" &&
                    sim_ns_fill "$real/$name" "$sim/$name" "$dest/$name" "$rel/$name" || return 1
            else
                sim_ns_place "$sim/$name" "$dest/$name" --bind || return 1
            fi
        else
            sim_ns_place "$real/$name" "$dest/$name" --rbind || return 1
        fi
    done < <(find "$real/" -mindepth 1 -maxdepth 1 -printf '%f\0')
    while IFS= read -r -d '' name; do
        [ -n "${seen[$name]:-}" ] && continue
        sim_ns_place "$sim/$name" "$dest/$name" --bind || return 1
    done < <(find "$sim/" -mindepth 1 -maxdepth 1 -printf '%f\0' 2>/dev/null)
}

# sim_ns_overlay REL: cover /sys/REL with a tmpfs holding both trees.  The
# host's entries are reached through a descriptor opened before covering:
# a walk that starts at the covered directory itself stays below the
# cover, so nothing (no temporary mount point) shows outside the namespace.
sim_ns_overlay() {
    local rel=$1 fd rc
    exec {fd}<"/sys/$rel" || return 1
    mount -t tmpfs -o mode=0755 vgpu-sim-sysfs "/sys/$rel" &&
        sim_ns_fill "/proc/$$/fd/$fd" "$SIM_NS_SIM/$rel" "/sys/$rel" "$rel"
    rc=$?
    exec {fd}<&-
    return $rc
}

# True when an ancestor process lives in another mount namespace, i.e. we
# are inside one that was unshared below it.  (PID 1's namespace is not
# always readable, e.g. in containers.)
sim_ns_is_private() {
    local mine pid=$$ ns
    mine=$(readlink /proc/self/ns/mnt) || return 1
    while [ "$pid" -gt 1 ]; do
        pid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
        [ -n "$pid" ] && [ "$pid" -ge 1 ] || return 1
        ns=$(readlink "/proc/$pid/ns/mnt" 2>/dev/null) || return 1
        [ "$ns" != "$mine" ] && return 0
    done
    return 1
}

sim_namespace_setup() {
    local sim=${1:-} rel
    [ -n "$sim" ] && [ -e "$sim/vgpu-sim/control" ] ||
        { sim_ns_die "usage: sim-namespace.sh MOUNTPOINT (of a running vgpu-sim)"; return 1; }
    sim_ns_is_private ||
        { sim_ns_die "run me inside 'unshare -m --propagation private'"; return 1; }
    SIM_NS_SIM=$(realpath "$sim")

    for rel in class bus devices; do
        sim_ns_overlay "$rel" || { sim_ns_die "could not lay $SIM_NS_SIM/$rel over /sys/$rel"; return 1; }
    done
    # Every new mdev gets a new IOMMU group, so a merged snapshot would miss
    # the groups of devices created later (libvirt checks <uuid>/iommu_group
    # at start): the simulator's directory replaces the host's whole.
    if [ -d /sys/kernel/iommu_groups ]; then
        mount --bind "$SIM_NS_SIM/kernel/iommu_groups" /sys/kernel/iommu_groups
    else
        sim_ns_overlay kernel     # no IOMMU on this host: add the directory
    fi || { sim_ns_die "could not lay $SIM_NS_SIM/kernel/iommu_groups over /sys"; return 1; }
    # A host without mdev (vendor-specific NVIDIA, AMD, Intel SR-IOV) has none.
    if [ -d "$SIM_NS_SIM/class/mdev_bus" ]; then
        [ -d /sys/class/mdev_bus ] && [ -d /sys/bus/mdev/devices ] ||
            { sim_ns_die "/sys/class/mdev_bus missing after setup"; return 1; }
    fi
    [ -e "/sys/bus/pci/devices" ] || { sim_ns_die "/sys/bus/pci missing after setup"; return 1; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -u
    sim_namespace_setup "$@"
    exit $?
else
    sim_namespace_setup "$@"
fi
