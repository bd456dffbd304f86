# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the scripts that cache a debootstrapped root under $CACHE
# (tests/fresh/debian-root.sh, tests/e2e/libvirt-root.sh); they define die.
#
# root_cache_once READY BUILD: unless READY exists, run BUILD TMP once, under
# $CACHE/.lock, in a new directory TMP under $CACHE that is removed
# afterwards; BUILD must end by renaming its result to READY, so a
# concurrent caller waits for it or sees it whole, never half. Sets state
# to cold (built here) or warm.
root_cache_once() {
    local ready=$1 build=$2 tmp
    state=warm
    [ -e "$ready" ] && return 0
    mkdir -p "$CACHE"
    exec 9> "$CACHE/.lock"
    flock -w 1800 9 || die "cache lock $CACHE/.lock busy for 30 min"
    if [ ! -e "$ready" ]; then    # nobody built it while we waited
        state=cold
        rm -rf "$CACHE"/.build.*    # left by a caller that was killed; we hold the lock
        if ! command -v debootstrap > /dev/null; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
                --no-install-recommends debootstrap > /dev/null ||
                die "could not install debootstrap (apt-get update first?)"
        fi
        tmp=$(mktemp -d "$CACHE/.build.XXXXXX")
        trap "rm -rf '$tmp'" EXIT
        "$build" "$tmp"
        rm -rf "$tmp"
        trap - EXIT
    fi
    exec 9>&-
}
