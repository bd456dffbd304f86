#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Domain XML nobody on this project wrote: generated here, at test time, by
# libvirt's own serializer (virsh on test:///default, libvirt's in-process
# test driver: no daemon; one virsh run, its commands separated by ';',
# shares one driver), by virt-install --print-xml, and with our metadata set
# by `virsh metadata --set` in both its forms (the <vgpu> wrapper under
# --key vgpu, and a lone <device>). Each document goes through the real hook
# program on the simulator: prepare, migrate and restore begin, release end;
# the checks read the devices made and gone, the ledger and stdout. Since
# the documents come from the installed libvirt, the tier follows its
# version (printed first).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/hook/hooklib.sh"

TEST_URI=test:///default
NS=urn:vgpu-hook:1
APP=http://example.org/other-app/1
C=$WORK/corpus      # the generated documents, NAME.TAG.xml
mkdir -p "$C"
FOREIGN_MDEV=5e1f0000-aaaa-4bbb-8ccc-000000000001   # made by someone else
FOREIGN_PCI=0000:3b:00.0                            # a NIC given to a VM

# a40x2-sriov's two A40s in mdev mode, 4 VFs each instead of 32 (a host
# scan costs FUSE calls per VF and type): 0000:67:00.0 on NUMA node 0,
# the one pack fills first; 0000:e8:00.0 on node 1 (CPUs 16-31).
printf '[gpu gpu0]\nmodel=a40\naddress=0000:e8:00.0\nnuma_node=1\nvfs=4\n\n[gpu gpu1]\nmodel=a40\naddress=0000:67:00.0\nnuma_node=0\nvfs=4\n' \
    > "$WORK/a40x2-small.ini"
SMALL=$WORK/a40x2-small.ini

# --- what libvirt and virt-install write ------------------------------------

# gen NAME 'VIRSH COMMANDS': one virsh run on the test driver. Each
# "echo @@@ TAG" in COMMANDS sends what follows, up to the next one, to
# $C/NAME.TAG.xml. Fails (one failed check) on any error from virsh: it
# exits with its last command's status only.
gen() {
    local name=$1
    virsh -q -c "$TEST_URI" "$2" > "$WORK/virsh.out" 2> "$WORK/virsh.err"
    if [ -s "$WORK/virsh.err" ]; then
        t_fail "libvirt writes $name" "$(head -n 3 "$WORK/virsh.err" | tr '\n' ' ')"
        return 1
    fi
    python3 - "$WORK/virsh.out" "$C/$name" <<'PY'
import re, sys
parts = re.split(r'@@@ ([\w-]+)', open(sys.argv[1]).read())
for tag, text in zip(parts[1::2], parts[2::2]):
    open("%s.%s.xml" % (sys.argv[2], tag), "w").write(text.strip() + "\n")
PY
}

# dumps NAME [nometa]: start NAME, then its live XML (prepare, release), the
# migratable one (migrate begin), the inactive migratable one (what a save
# image holds: restore begin); with "nometa", also the live XML after
# `virsh metadata --live --remove` of ours while it runs.
dumps() {
    printf 'start %s; echo @@@ live; dumpxml %s; echo @@@ migratable; dumpxml --migratable %s; ' "$1" "$1" "$1"
    printf 'echo @@@ inactive; dumpxml --inactive --migratable %s' "$1"
    [ "${2:-}" = nometa ] &&
        printf '; metadata %s --uri %s --remove --live; echo @@@ nometa; dumpxml %s' "$1" "$NS" "$1"
    return 0
}

# set_wrapper NAME 'ATTRS' / set_lone NAME 'ATTRS': `virsh metadata --set`
# of one <device ATTRS/> in each of its forms. (virsh parses its command
# line itself: the single quotes are virsh's.)
set_wrapper() { printf "metadata %s --uri %s --key vgpu --set '<vgpu><device %s/></vgpu>' --config" "$1" "$NS" "$2"; }
set_lone()    { printf "metadata %s --uri %s --key vgpu --set '<device %s/>' --config" "$1" "$NS" "$2"; }

# defxml NAME N [BEFORE-OS [DEVICES]]: a definition for `virsh define`, domain
# UUID du N; what libvirt makes of it is what the hook reads.
defxml() {
    printf "<domain type='test'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n%s\n" "$1" "$(du "$2")" "${3:-}"
    printf "  <memory>65536</memory>\n  <os><type>hvm</type></os>\n  <devices>\n%s\n  </devices>\n</domain>\n" "${4:-}"
}
mdev_hd() {
    printf "    <hostdev mode='subsystem' type='mdev' model='vfio-pci' display='off'><source><address uuid='%s'/></source></hostdev>\n" "$1"
}
pci_hd() {   # pci_hd DDDD:BB:SS.F: a hostdev that is not ours
    local a=$1
    printf "    <hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x%s' bus='0x%s' slot='0x%s' function='0x%s'/></source></hostdev>\n" \
        "${a:0:4}" "${a:5:2}" "${a:8:2}" "${a:11:1}"
}
# Another application's metadata: its own namespace (bound to the prefix
# "vgpu", as nothing forbids), CDATA holding what looks like our element,
# comments naming our namespace; with "doctype", a <!DOCTYPE html> in the
# CDATA and one in a comment.
other_app() {
    local dt=
    [ "${1:-}" = doctype ] && dt='<!DOCTYPE html>'
    printf '  <metadata>\n    <app:state xmlns:app="%s">\n' "$APP"
    printf '      <app:page><![CDATA[%s<html><vgpu:device xmlns:vgpu="%s" profile="A40-48Q"/></html>]]></app:page>\n' "$dt" "$NS"
    printf '      <!-- %s no vGPU here: %s -->\n' "$dt" "$NS"
    printf '      <vgpu:config xmlns:vgpu="%s/vgpu"><vgpu:device profile="A40-48Q"/></vgpu:config>\n' "$APP"
    printf '    </app:state>\n  </metadata>'
}

# vinst NAME N ARGS...: virt-install --print-xml for the test driver, offline
vinst() {
    local name=$1 n=$2
    shift 2
    virt-install --connect "$TEST_URI" --print-xml --name "$name" --uuid "$(du "$n")" \
        --memory 64 --vcpus 2 --disk none --os-variant generic --import --graphics none \
        --network none --noautoconsole "$@" 2> "$WORK/vi.err"
}
# vi_hostdev I mdev UUID | I pci DDDD:BB:SS.F [ALIAS-UUID]: --xml XPath
# edits adding hostdev number I (virt-install's --hostdev looks the device
# up on the connection, and the test driver has none).
vi_hostdev() {
    local p="./devices/hostdev[$1]"
    printf -- '--xml\n%s/@mode=subsystem\n--xml\n%s/@type=%s\n' "$p" "$p" "$2"
    if [ "$2" = mdev ]; then
        printf -- '--xml\n%s/@model=vfio-pci\n--xml\n%s/source/address/@uuid=%s\n' "$p" "$p" "$3"
        return
    fi
    local a=$3
    printf -- '--xml\n%s/@managed=no\n' "$p"
    printf -- '--xml\n%s/source/address/@domain=0x%s\n--xml\n%s/source/address/@bus=0x%s\n' "$p" "${a:0:4}" "$p" "${a:5:2}"
    printf -- '--xml\n%s/source/address/@slot=0x%s\n--xml\n%s/source/address/@function=0x%s\n' "$p" "${a:8:2}" "$p" "${a:11:1}"
    [ -n "${4:-}" ] && printf -- '--xml\n%s/alias/@name=ua-vgpu-%s\n' "$p" "$4"
    return 0
}

# --- what the hook does with them -------------------------------------------

led()      { echo "$WORK/state/$(du "$1").ledger"; }
in_ledger() { grep -qx "\\[device $2\\]" "$(led "$1")" 2>/dev/null && echo yes || echo no; }
foreign_mdev() { awk -v u="$FOREIGN_MDEV" '$1 == u { print $2, $3 }' "$SIM_ROOT/vgpu-sim/mdevs"; }

# quiet NAME TAG OP SUBOP: a call that makes nothing and prints nothing
quiet() {
    local before
    before=$(mdevs)
    hook "$1" "$3" "$4" < "$C/$1.$2.xml"
    t_eq "$1: $3 $4: exit 0, nothing printed, nothing made" "0:::$before" "$RC:$OUT:$ERR:$(mdevs)"
}

# mdev_cycle NAME N UUID TYPE GPU|-: the documents of NAME (domain UUID du
# N) asking for the mdev UUID of TYPE, on GPU when given
mdev_cycle() {
    local name=$1 n=$2 uuid=$3 type=$4 gpu=$5
    [ -s "$C/$name.live.xml" ] || { t_fail "$name: generated" "no $C/$name.live.xml"; return; }
    # libvirt's order on a destination host, and on restore
    quiet "$name" migratable migrate begin
    quiet "$name" inactive restore begin
    hook "$name" prepare begin < "$C/$name.live.xml"
    t_eq "$name: prepare begin: exit 0, silent" "0:" "$RC:$OUT$ERR"
    t_eq "$name: the mdev is made, of type $type" "$type" "$(mdev_type "$uuid" 2>/dev/null)"
    [ "$gpu" = - ] || t_eq "$name: on $gpu" "$gpu" "$(mdev_gpu "$uuid" 2>/dev/null)"
    t_eq "$name: the ledger holds it" yes "$(in_ledger "$n" "$uuid")"
    local rel=live what=
    [ -s "$C/$name.nometa.xml" ] && rel=nometa what=" (our metadata removed from the live XML)"
    hook "$name" release end < "$C/$name.$rel.xml"
    t_eq "$name: release end$what: exit 0, the mdev and the ledger gone" "0::no:no" \
        "$RC:$ERR:$([ -e "$SIM_ROOT/bus/mdev/devices/$uuid" ] && echo yes || echo no):$([ -e "$(led "$n")" ] && echo yes || echo no)"
}

# none NAME: a domain that asks for no vGPU, at every call libvirt makes:
# exit 0, nothing on stdout or stderr, no sysfs write, no state.
none() {
    local name=$1 w call
    [ -s "$C/$name.live.xml" ] || { t_fail "$name: generated" "no $C/$name.live.xml"; return; }
    w=$(sim_stat write)
    for call in "live prepare begin" "live start begin" "live started begin" "migratable migrate begin" \
                "inactive restore begin" "live reconnect begin" "live stopped end" "live release end"; do
        set -- $call
        hook "$name" "$2" "$3" < "$C/$name.$1.xml"
        t_eq "$name (no vGPU): $2 $3: exit 0, silent" "0:" "$RC:$OUT$ERR"
    done
    t_eq "$name (no vGPU): nothing written to sysfs, no state" "$w:0" "$(sim_stat write):$(ledgers)"
}

# --- the corpus --------------------------------------------------------------

test_versions() {
    local v
    v=$(virsh -c "$TEST_URI" version 2>&1 | sed -n 's/^Using library: //p')
    echo "# corpus written by $v, virsh $(virsh --version), virt-install $(virt-install --version 2>&1)"
    t_match "the test driver answers without a daemon" "^libvirt [0-9]+\.[0-9]+" "$v"
}

# mdev requests, on $SMALL.
test_mdev_domains() {
    fresh "$SMALL" || return
    local a=0000:67:00.0 b=0000:e8:00.0
    # Someone else's mdev, on the last VF of the first GPU.
    hand_create "$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/$a/virtfn3")")" nvidia-558 "$FOREIGN_MDEV"
    local fm
    fm=$(foreign_mdev)

    defxml c-min 1 "" "$(mdev_hd "$(u 1)")" > "$WORK/c-min.xml"
    gen c-min "define $WORK/c-min.xml; $(set_wrapper c-min "uuid=\"$(u 1)\" profile=\"A40-2Q\""); $(dumps c-min nometa)"
    t_match "libvirt stored the wrapper form as <vgpu:vgpu>" "<vgpu:vgpu xmlns:vgpu=\"$NS\">" "$(cat "$C/c-min.live.xml" 2>/dev/null)"
    t_eq "libvirt's live XML after metadata --live --remove has none of ours" 0 \
        "$(grep -c "$NS" "$C/c-min.nometa.xml" 2>/dev/null)"
    mdev_cycle c-min 1 "$(u 1)" nvidia-558 -

    # The lone form: libvirt stores <vgpu:device> at the top of our
    # namespace, a one-device request.
    defxml c-lone 2 "" "$(mdev_hd "$(u 2)")" > "$WORK/c-lone.xml"
    gen c-lone "define $WORK/c-lone.xml; $(set_lone c-lone "uuid=\"$(u 2)\" type=\"nvidia-560\""); $(dumps c-lone)"
    t_match "libvirt stored the lone form as a top-level <vgpu:device>" \
        "^ *<vgpu:device xmlns:vgpu=\"$NS\" uuid=\"$(u 2)\" type=\"nvidia-560\"/>" "$(cat "$C/c-lone.live.xml" 2>/dev/null)"
    mdev_cycle c-lone 2 "$(u 2)" nvidia-560 -

    # Foreign hostdevs beside ours: an mdev another tool made, a PCI NIC.
    defxml c-foreign 3 "" "$(mdev_hd "$FOREIGN_MDEV")$(pci_hd "$FOREIGN_PCI")$(mdev_hd "$(u 3)")" > "$WORK/c-foreign.xml"
    gen c-foreign "define $WORK/c-foreign.xml; $(set_wrapper c-foreign "uuid=\"$(u 3)\" profile=\"A40-2Q\""); $(dumps c-foreign)"
    mdev_cycle c-foreign 3 "$(u 3)" nvidia-558 -
    t_eq "c-foreign: the foreign mdev is untouched throughout" "$fm" "$(foreign_mdev)"

    # Another application's metadata beside ours: CDATA, comments, its own
    # element named vgpu:device in its own namespace.
    defxml c-app 4 "$(other_app)" "$(mdev_hd "$(u 4)")" > "$WORK/c-app.xml"
    gen c-app "define $WORK/c-app.xml; $(set_wrapper c-app "uuid=\"$(u 4)\" profile=\"A40-2Q\""); $(dumps c-app)"
    t_match "libvirt kept the other application's CDATA" '<!\[CDATA\[<html><vgpu:device' "$(cat "$C/c-app.live.xml" 2>/dev/null)"
    mdev_cycle c-app 4 "$(u 4)" nvidia-558 -
    t_eq "c-app: one device only (not the CDATA's, not the other namespace's)" "$fm" "$(foreign_mdev)"

    # The same with <!DOCTYPE html> inside the CDATA and inside a comment:
    # text, not a document type declaration.
    defxml c-app-doctype 5 "$(other_app doctype)" "$(mdev_hd "$(u 5)")" > "$WORK/c-app-doctype.xml"
    gen c-app-doctype "define $WORK/c-app-doctype.xml; $(set_wrapper c-app-doctype "uuid=\"$(u 5)\" profile=\"A40-2Q\""); $(dumps c-app-doctype)"
    t_match "libvirt kept <!DOCTYPE html> in the CDATA" '<!\[CDATA\[<!DOCTYPE html>' "$(cat "$C/c-app-doctype.live.xml" 2>/dev/null)"
    mdev_cycle c-app-doctype 5 "$(u 5)" nvidia-558 -

    # Where the domain runs, as libvirt writes it: the GPU on its node wins
    # over pack.
    defxml c-numa 6 "  <numatune><memory mode='strict' nodeset='1'/></numatune>" "$(mdev_hd "$(u 6)")" > "$WORK/c-numa.xml"
    gen c-numa "define $WORK/c-numa.xml; $(set_wrapper c-numa "uuid=\"$(u 6)\" profile=\"A40-2Q\""); $(dumps c-numa)"
    mdev_cycle c-numa 6 "$(u 6)" nvidia-558 "$b"
    defxml c-pin 7 "  <vcpu cpuset='16-31'>2</vcpu><cputune><vcpupin vcpu='0' cpuset='17'/><vcpupin vcpu='1' cpuset='18'/></cputune>" \
        "$(mdev_hd "$(u 7)")" > "$WORK/c-pin.xml"
    gen c-pin "define $WORK/c-pin.xml; $(set_wrapper c-pin "uuid=\"$(u 7)\" profile=\"A40-2Q\""); $(dumps c-pin)"
    t_match "libvirt wrote the pinning its way" "<vcpupin vcpu='1' cpuset='18'/>" "$(cat "$C/c-pin.live.xml" 2>/dev/null)"
    mdev_cycle c-pin 7 "$(u 7)" nvidia-558 "$b"

    # No uuid in the metadata and no <hostdev>: the hook shows the element
    # to add; with it in the definition libvirt writes, the domain starts.
    defxml c-derived 8 > "$WORK/c-derived.xml"
    gen c-derived "define $WORK/c-derived.xml; $(set_wrapper c-derived 'profile="A40-2Q"'); $(dumps c-derived)"
    hook c-derived prepare begin < "$C/c-derived.live.xml"
    local el uuid
    el=$(grep -o "<hostdev [^>]*><source><address uuid='[0-9a-f-]*'/></source></hostdev>" <<< "$ERR")
    uuid=$(sed -n "s/.*address uuid='\([0-9a-f-]*\)'.*/\1/p" <<< "$el")
    t_match "c-derived: no <hostdev>: refused, showing the element to add" "^1:[0-9a-f-]{36}$" "$RC:$uuid"
    # vgpuctl define adds the same one (into the test driver, for the
    # length of its own run).
    "$B/cli/vgpuctl" -c "$TEST_URI" define "$C/c-derived.inactive.xml" > "$WORK/vc.out" 2>&1
    t_match "c-derived: vgpuctl define adds the <hostdev> of the same UUID" \
        "^0:.*Added <hostdev> for A40-2Q vGPU $uuid\\." "$?:$(tr '\n' ' ' < "$WORK/vc.out")"
    defxml c-derived 8 "" "    $el" > "$WORK/c-derived.xml"
    gen c-derived "define $WORK/c-derived.xml; $(set_wrapper c-derived 'profile="A40-2Q"'); $(dumps c-derived)"
    mdev_cycle c-derived 8 "$uuid" nvidia-558 -

    # Top-level elements of our namespace other than <device>: refused.
    defxml c-other-el 9 "" "$(mdev_hd "$(u 9)")" > "$WORK/c-other-el.xml"
    gen c-other-el "define $WORK/c-other-el.xml; metadata c-other-el --uri $NS --key vgpu --set '<gpu uuid=\"$(u 9)\" profile=\"A40-2Q\"/>' --config; $(dumps c-other-el)"
    hook c-other-el prepare begin < "$C/c-other-el.live.xml"
    t_eq "c-other-el: a top-level <vgpu:gpu>: refused in one line, nothing made" "1:1:0:$FOREIGN_MDEV" \
        "$RC:$(printf '%s\n' "$ERR" | wc -l):$(ledgers):$(mdevs)"
    hook c-other-el release end < "$C/c-other-el.live.xml"

    t_eq "mdev corpus: only the foreign mdev is left, as it was" "$FOREIGN_MDEV:$fm" "$(mdevs):$(foreign_mdev)"
}

# virt-install's documents: as it prints them (our metadata added with
# python's xml.etree), and as libvirt defines them (metadata --set).
test_virt_install() {
    fresh "$SMALL" || return
    local b=0000:e8:00.0 args
    mapfile -t args < <(vi_hostdev 1 pci "$FOREIGN_PCI"; vi_hostdev 2 mdev "$(u 11)")
    if ! vinst vi-mdev 11 --numatune 1 "${args[@]}" > "$WORK/vi-mdev.xml"; then
        t_fail "virt-install --print-xml" "$(tail -n 2 "$WORK/vi.err" | tr '\n' ' ')"
        return
    fi
    t_match "virt-install wrote our mdev hostdev" "<address uuid=\"$(u 11)\"/>" "$(cat "$WORK/vi-mdev.xml")"
    gen vi-mdev "define $WORK/vi-mdev.xml; $(set_wrapper vi-mdev "uuid=\"$(u 11)\" profile=\"A40-2Q\""); $(dumps vi-mdev)"
    mdev_cycle vi-mdev 11 "$(u 11)" nvidia-558 "$b"

    # As printed: virtinst's own serializer (double quotes), not running.
    python3 - "$WORK/vi-mdev.xml" "$C/vi-raw" "$NS" "$(u 11)" <<'PY'
import sys, xml.etree.ElementTree as ET
src, out, ns, uuid = sys.argv[1:]
ET.register_namespace("vgpu", ns)
root = ET.parse(src).getroot()
meta = ET.Element("metadata")
wrap = ET.SubElement(meta, "{%s}vgpu" % ns)
ET.SubElement(wrap, "{%s}device" % ns, uuid=uuid, profile="A40-4Q")
root.insert(list(root).index(root.find("uuid")) + 1, meta)
text = ET.tostring(root, encoding="unicode") + "\n"
for tag in ("live", "migratable", "inactive"):
    open("%s.%s.xml" % (out, tag), "w").write(text)
PY
    mdev_cycle vi-raw 11 "$(u 11)" nvidia-560 "$b"

    # No vGPU: a description naming our namespace, foreign hostdevs.
    mapfile -t args < <(vi_hostdev 1 pci "$FOREIGN_PCI"; vi_hostdev 2 mdev "$FOREIGN_MDEV")
    vinst vi-none 12 --metadata "description=our namespace is $NS, not used here" "${args[@]}" > "$WORK/vi-none.xml" ||
        t_fail "virt-install --print-xml (no vGPU)" "$(tail -n 2 "$WORK/vi.err" | tr '\n' ' ')"
    gen vi-none "define $WORK/vi-none.xml; $(dumps vi-none)"
    none vi-none
}

# Domains that ask for no vGPU, whatever else they carry.
test_no_vgpu() {
    fresh "$SMALL" || return
    hand_create "$(basename "$(readlink "$SIM_ROOT/bus/pci/devices/0000:67:00.0/virtfn3")")" nvidia-558 "$FOREIGN_MDEV"
    defxml n-plain 21 > "$WORK/n-plain.xml"
    gen n-plain "define $WORK/n-plain.xml; $(dumps n-plain)"
    none n-plain
    # Our namespace in the description and in another application's
    # comments, its CDATA holding what looks like our element, and a
    # foreign mdev hostdev (which sends release to the full parse).
    defxml n-app 22 "  <description>see $NS</description>
$(other_app)" "$(mdev_hd "$FOREIGN_MDEV")$(pci_hd "$FOREIGN_PCI")" > "$WORK/n-app.xml"
    gen n-app "define $WORK/n-app.xml; $(dumps n-app)"
    none n-app
    # The same with <!DOCTYPE html> in the CDATA and a comment.
    defxml n-app-doctype 23 "  <description>see $NS</description>
$(other_app doctype)" "$(mdev_hd "$FOREIGN_MDEV")" > "$WORK/n-app-doctype.xml"
    gen n-app-doctype "define $WORK/n-app-doctype.xml; $(dumps n-app-doctype)"
    none n-app-doctype
    # Our namespace's metadata set and removed again in the definition:
    # libvirt leaves an empty <metadata/>.
    defxml n-removed 24 > "$WORK/n-removed.xml"
    gen n-removed "define $WORK/n-removed.xml; $(set_wrapper n-removed 'profile="A40-2Q"'); metadata n-removed --uri $NS --remove --config; $(dumps n-removed)"
    none n-removed
    t_eq "no-vGPU corpus: the foreign mdev is untouched" "$FOREIGN_MDEV" "$(mdevs)"
}

# Whole VFs on mixed-vf, whose 0000:67:00.0 is in NVIDIA's vendor-specific
# mode: the request's VF is named by a PCI hostdev aliased ua-vgpu-UUID.
# The document as C14N 2.0 with its comments: what it says, whoever wrote
# it (libxml2 writes attributes in double quotes, libvirt in single ones).
c14n() { python3 -c 'import sys, xml.etree.ElementTree as ET; print(ET.canonicalize(sys.stdin.read(), with_comments=True))'; }
test_whole_vf() {
    fresh mixed-vf || return
    local v0=0000:67:00.4 v1=0000:67:00.5 v3=0000:67:00.7
    # Ours on v0, and a foreign hostdev naming v3 (another tool's VF).
    defxml f-vf 31 "" "$(vf_hostdev "$(u 31)" $v0)
$(pci_hd $v3)" > "$WORK/f-vf.xml"
    gen f-vf "define $WORK/f-vf.xml; $(set_wrapper f-vf "uuid=\"$(u 31)\" profile=\"A40-2Q\""); $(dumps f-vf nometa)"
    t_match "libvirt kept the ua-vgpu alias" "<alias name='ua-vgpu-$(u 31)'/>" "$(cat "$C/f-vf.live.xml" 2>/dev/null)"
    quiet f-vf migratable migrate begin
    quiet f-vf inactive restore begin
    hook f-vf prepare begin < "$C/f-vf.live.xml"
    t_eq "f-vf: prepare begin: exit 0, silent, $v0 took A40-2Q (558)" "0::558" "$RC:$OUT$ERR:$(cur $v0)"
    t_eq "f-vf: the ledger holds it" yes "$(in_ledger 31 "$(u 31)")"
    t_eq "f-vf: the foreign hostdev's VF is untouched" 0 "$(cur $v3)"
    hook f-vf migrate begin < "$C/f-vf.migratable.xml"
    t_eq "f-vf: migrate begin on the holder: exit 0, nothing printed" "0::" "$RC:$OUT:$ERR"
    hook f-vf restore begin < "$C/f-vf.inactive.xml"
    t_eq "f-vf: restore begin on the holder: exit 0, nothing printed" "0::" "$RC:$OUT:$ERR"

    # virt-install's domain naming the same VF: migrate and restore print
    # libvirt's document with only that hostdev's address changed (compared
    # canonically: the hook writes it back through libxml2).
    local args
    mapfile -t args < <(vi_hostdev 1 pci $v0 "$(u 32)")
    vinst vi-vf 32 "${args[@]}" > "$WORK/vi-vf.xml" ||
        t_fail "virt-install --print-xml (whole VF)" "$(tail -n 2 "$WORK/vi.err" | tr '\n' ' ')"
    gen vi-vf "define $WORK/vi-vf.xml; $(set_wrapper vi-vf "uuid=\"$(u 32)\" profile=\"A40-2Q\""); $(dumps vi-vf)"
    local call expect
    for call in "migratable migrate" "inactive restore"; do
        set -- $call
        expect=$(sed "/<hostdev mode='subsystem' type='pci'/,/<\\/hostdev>/ s/function='0x4'/function='0x5'/" "$C/vi-vf.$1.xml" | c14n)
        hook vi-vf "$2" begin < "$C/vi-vf.$1.xml"
        t_eq "vi-vf: $2 begin, its VF held by f-vf: exit 0, nothing on stderr" "0:" "$RC:$ERR"
        t_eq "vi-vf: $2 begin: libvirt's document, pointed at $v1" "$expect" "$(c14n <<< "$OUT" 2>&1)"
        t_eq "vi-vf: $2 begin: nothing written" "558:0:1" "$(cur $v0):$(cur $v1):$(ledgers)"
    done
    printf '%s\n' "$OUT" > "$C/vi-vf.moved.xml"
    hook vi-vf prepare begin < "$C/vi-vf.moved.xml"
    t_eq "vi-vf: the re-pointed document prepares on $v1" "0::558" "$RC:$ERR:$(cur $v1)"
    hook vi-vf release end < "$C/vi-vf.moved.xml"
    t_eq "vi-vf: release end: type cleared, ledger gone" "0:0:no" "$RC:$(cur $v1):$([ -e "$(led 32)" ] && echo yes || echo no)"

    # Our metadata removed from the live XML while f-vf runs: the ledger
    # still says which VF to clear.
    hook f-vf release end < "$C/f-vf.nometa.xml"
    t_eq "f-vf: release end after metadata --live --remove: exit 0, $v0 cleared, ledger gone" \
        "0:0:no" "$RC:$(cur $v0):$([ -e "$(led 31)" ] && echo yes || echo no)"
    t_eq "whole VFs: the foreign hostdev's VF is untouched" 0 "$(cur $v3)"
}

if ! command -v virsh > /dev/null 2>&1 || ! command -v virt-install > /dev/null 2>&1; then
    t_skip "corpus tier" "needs virsh (libvirt-clients) and virt-install (virtinst)"
    t_done
    exit
fi
all_tests="test_versions test_mdev_domains test_virt_install test_no_vgpu test_whole_vf"
for t in ${*:-$all_tests}; do
    echo "# $t"
    $t
done
t_done
