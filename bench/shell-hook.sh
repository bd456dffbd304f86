#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The baseline: a qemu hook as administrators write it (/etc/libvirt/hooks/qemu):
# dispatch on argv, grep the domain XML on stdin for the metadata, and only
# then do the real work. For a domain without vGPU metadata it does no more
# than this. Not used by the product; bench/run.sh times it.
set -u
DOMAIN=$1 OP=$2 SUBOP=$3

case "$OP/$SUBOP" in
prepare/begin | release/end | reconnect/begin)
    # No vGPU metadata: nothing to do for this domain.
    grep -q 'urn:vgpu-hook:1' || exit 0
    logger -t qemu-hook "domain $DOMAIN: $OP $SUBOP"
    exec /usr/local/libexec/vgpu-hook/vgpu-hook "$@"
    ;;
start/begin | started/begin | stopped/end | migrate/begin | restore/begin)
    exit 0
    ;;
*)
    logger -t qemu-hook "domain $DOMAIN: unknown call $OP $SUBOP"
    exit 0
    ;;
esac
