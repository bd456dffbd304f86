#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgpuctl sync for whole VFs against a real libvirtd (9.0 on Debian 12) in
# a private namespace over a40x2-vfio: a request without a hostdev, or
# whose VF is taken, gets a <hostdev type='pci'> with alias ua-vgpu-<uuid>
# for a free fitting VF, avoiding VFs other defined domains name.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
unset VGPU_HOOK_CONF
. "$TOP/tests/e2e/libvirt-env.sh"

lv_tier_begin "vgpuctl whole-VF libvirt tier"

mdev_hostdevs() { inactive "$1" | grep -c "type='mdev'"; }

test_sync_vf() {
    lv_domain_xml vm1 "$(du 1)" --no-hostdev "uuid=\"$(u 1)\" profile=\"A40-2Q\"" > "$LV_WORK/vm1.xml"
    lv_virsh define "$LV_WORK/vm1.xml" > /dev/null
    lvc sync vm1
    t_eq "sync: exit 0, nothing on stderr" "0:" "$RC:$ERR"
    t_eq "sync: says which VF" "Domain 'vm1': vGPU $(u 1) (A40-2Q) now uses VF 0000:67:00.4." "$OUT"
    t_eq "sync: a managed='no' PCI hostdev tied by alias" "0000:67:00.4 no" "$(vf_of_alias vm1 "$(u 1)")"
    lvc sync vm1
    t_match "sync again: nothing to change" "^0:Domain 'vm1': nothing to add" "$RC:$OUT"

    lv_domain_xml vm2 "$(du 2)" "uuid=\"$(u 2)\" profile=\"A40-2Q\"" > "$LV_WORK/vm2.xml"
    lv_virsh define "$LV_WORK/vm2.xml" > /dev/null
    lvc sync vm2
    t_eq "sync: a VF another defined domain names is avoided" "0000:67:00.5 no" "$(vf_of_alias vm2 "$(u 2)")"
    t_eq "sync: the mdev hostdev that cannot serve it is gone" 0 "$(mdev_hostdevs vm2)"

    # Someone gives vm1's VF a type by hand: vm1 is moved off it, onto the
    # same GPU (pack), past vm2's VF.
    printf 558 > "$SIM_ROOT/bus/pci/devices/0000:67:00.4/nvidia/current_vgpu_type"
    lvc sync vm1
    t_eq "sync: a taken VF: moved" "0:0000:67:00.6 no" "$RC:$(vf_of_alias vm1 "$(u 1)")"
    t_match "sync: says from where" "now uses VF 0000:67:00.6, not 0000:67:00.4\.$" "$OUT"
    t_eq "sync: one hostdev for the request" 1 "$(inactive vm1 | grep -c "ua-vgpu-$(u 1)")"

    lv_domain_xml vm3 "$(du 3)" --no-hostdev "uuid=\"$(u 3)\" profile=\"A40-48Q\"" > "$LV_WORK/vm3.xml"
    lv_virsh define "$LV_WORK/vm3.xml" > /dev/null
    lvc sync vm3
    t_eq "sync: A40-48Q needs an empty GPU: the other one" "0:0000:e8:00.4 no" "$RC:$(vf_of_alias vm3 "$(u 3)")"
    lv_domain_xml vm4 "$(du 4)" --no-hostdev "uuid=\"$(u 4)\" profile=\"A40-4Q\"" > "$LV_WORK/vm4.xml"
    lv_virsh define "$LV_WORK/vm4.xml" > /dev/null
    printf 0 > "$SIM_ROOT/bus/pci/devices/0000:67:00.4/nvidia/current_vgpu_type"
    printf 558 > "$SIM_ROOT/bus/pci/devices/0000:67:00.7/nvidia/current_vgpu_type"
    printf 566 > "$SIM_ROOT/bus/pci/devices/0000:e8:00.5/nvidia/current_vgpu_type"
    lvc sync vm4
    t_match "sync: nothing fits: refused in one line, definition unchanged" \
        "^1:vgpuctl: sync: domain 'vm4': vGPU $(u 4) \(A40-4Q\): no free VF on this host fits it$" "$RC:$ERR"
    t_eq "sync refused: no hostdev added" "" "$(vf_of_alias vm4 "$(u 4)")"
    for d in vm1 vm2 vm3 vm4; do lv_virsh undefine "$d" > /dev/null; done
}

# gpu= on an AMD host: define never writes an mdev hostdev for it; it
# writes a managed='yes' PCI hostdev for a free VF of that GPU model, as
# sync does.
test_define_sync_plain() {
    lv_domain_xml vm5 "$(du 5)" --no-hostdev "uuid=\"$(u 5)\" gpu=\"MI300X\" numa=\"1\"" > "$LV_WORK/vm5.xml"
    lvc define "$LV_WORK/vm5.xml"
    t_eq "define gpu=: exit 0, says which VF" "0:Domain 'vm5' defined from $LV_WORK/vm5.xml.
Domain 'vm5': vGPU $(u 5) (MI300X) now uses VF 0000:85:02.0." "$RC:$OUT"
    t_eq "define gpu=: no mdev hostdev written" 0 "$(mdev_hostdevs vm5)"
    t_eq "define gpu=: a managed='yes' VF on NUMA node 1" "0000:85:02.0 yes" "$(vf_of_alias vm5 "$(u 5)")"
    lvc sync vm5
    t_match "sync gpu= after define: nothing to change" "^0:Domain 'vm5': nothing to add" "$RC:$OUT"
    lv_virsh undefine vm5 > /dev/null
}

# sync decides the most constrained request first (mi300x-4: vm31 keeps M1,
# so M0 is the only free VF on node 0): vm30's first vGPU has no NUMA rule,
# its second asks for node 0; in their order the first took M0 and the
# second, which no other VF takes, was pointed at vm31's M1. The second
# gets M0, the first M2.
test_sync_constrained_first() {
    local M0=0000:05:02.0 M1=0000:26:02.0 M2=0000:85:02.0 n
    lv_domain_xml vm31 "$(du 31)" --no-hostdev "uuid=\"$(u 31)\" gpu=\"MI300X\"" |
        sed "s|</devices>|$(vf_hostdev "$(u 31)" "$M1" yes | tr -d '\n')</devices>|" > "$LV_WORK/vm31.xml"
    lv_virsh define "$LV_WORK/vm31.xml" > /dev/null
    lv_domain_xml vm30 "$(du 30)" --no-hostdev "uuid=\"$(u 32)\" gpu=\"MI300X\"" \
        "uuid=\"$(u 33)\" gpu=\"MI300X\" numa=\"0\"" > "$LV_WORK/vm30.xml"
    lv_virsh define "$LV_WORK/vm30.xml" > /dev/null
    lvc sync vm30
    t_eq "sync, most constrained first: the node-0 vGPU on M0, the other on M2, vm31 kept" \
        "0:$M2 yes $M0 yes $M1 yes" \
        "$RC:$(vf_of_alias vm30 "$(u 32)") $(vf_of_alias vm30 "$(u 33)") $(vf_of_alias vm31 "$(u 31)")"
    lv_virsh undefine vm30 > /dev/null
    # Across domains: vm34 (no NUMA rule) is synced while vm35 (node 0)
    # waits for a VF; vm34 leaves M0 to vm35, as the keeper's pass would
    # (one sync at a time took M0 for vm34, and vm35 then shared it).
    lv_domain_xml vm34 "$(du 34)" --no-hostdev "uuid=\"$(u 34)\" gpu=\"MI300X\"" > "$LV_WORK/vm34.xml"
    lv_domain_xml vm35 "$(du 35)" --no-hostdev "uuid=\"$(u 35)\" gpu=\"MI300X\" numa=\"0\"" > "$LV_WORK/vm35.xml"
    lv_virsh define "$LV_WORK/vm34.xml" > /dev/null
    lv_virsh define "$LV_WORK/vm35.xml" > /dev/null
    lvc sync vm34
    t_eq "sync vm34 while vm35 (node 0) waits: M2, M0 left to vm35" "0:$M2 yes" "$RC:$(vf_of_alias vm34 "$(u 34)")"
    lvc sync vm35
    t_eq "sync vm35: M0" "0:$M0 yes" "$RC:$(vf_of_alias vm35 "$(u 35)")"
    for n in vm31 vm34 vm35; do lv_virsh undefine "$n" > /dev/null; done
}

# A typed request on a vendor-specific host (no mdev bus): define and the
# keeper never write an mdev hostdev for it; define and sync give each
# domain its own VF whose creatable list has the type, and the hook's
# prepare takes it.
creatable() { cat "$SIM_ROOT/bus/pci/devices/$1/nvidia/creatable_vgpu_types"; }
test_define_sync_typed() {
    local vf6 vf7
    lv_domain_xml vm6 "$(du 6)" --no-hostdev "uuid=\"$(u 6)\" profile=\"A40-2Q\"" > "$LV_WORK/vm6.xml"
    lvc define "$LV_WORK/vm6.xml"
    t_match "define typed: exit 0, says which VF it chose" \
        "^0:Domain 'vm6' defined from $LV_WORK/vm6.xml\\.\\|Domain 'vm6': vGPU $(u 6) \\(A40-2Q\\) now uses VF 0000:[0-9a-f:]+\\.[0-7]\\.$" \
        "$RC:$(tr '\n' '|' <<< "$OUT" | sed 's/|$//')"
    t_eq "define typed: no mdev hostdev written" 0 "$(mdev_hostdevs vm6)"
    lv_domain_xml vm7 "$(du 7)" --no-hostdev "uuid=\"$(u 7)\" profile=\"A40-2Q\"" > "$LV_WORK/vm7.xml"
    lv_virsh define "$LV_WORK/vm7.xml" > /dev/null
    lv_ns "$LV_B/keeper/vgpu-keeper" -c qemu:///system --once > "$LV_WORK/keeper.out" 2>&1
    t_eq "keeper --once: exit 0, no mdev hostdev for a typed request here" "0:0" "$?:$(mdev_hostdevs vm7)"
    lvc sync vm6
    vf6=$(vf_of_alias vm6 "$(u 6)")
    t_match "sync typed: a managed='no' PCI hostdev tied by alias" "^0:0000:[0-9a-f:.]+ no$" "$RC:$vf6"
    vf6=${vf6% *}
    lvc sync vm7
    vf7=$(vf_of_alias vm7 "$(u 7)")
    vf7=${vf7% *}
    t_ok "sync typed: the two domains get distinct VFs" test -n "$vf7" -a "$vf6" != "$vf7"
    t_match "sync typed: vm6's VF can create A40-2Q (558)" "(^| )558( |$)" "$(creatable "$vf6" | tr '\n' ' ')"
    t_match "sync typed: vm7's VF can create A40-2Q (558)" "(^| )558( |$)" "$(creatable "$vf7" | tr '\n' ' ')"
    inactive vm6 > "$LV_WORK/vm6.now.xml"
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vm6 prepare begin - < '$LV_WORK/vm6.now.xml'" > "$LV_WORK/hook.out" 2>&1
    t_eq "hook prepare: accepts the VF, writes the type" "0:558" \
        "$?:$(cat "$SIM_ROOT/bus/pci/devices/$vf6/nvidia/current_vgpu_type")"
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vm6 release end - < '$LV_WORK/vm6.now.xml'" > /dev/null 2>&1
    t_eq "hook release: the type is cleared" "0:0" \
        "$?:$(cat "$SIM_ROOT/bus/pci/devices/$vf6/nvidia/current_vgpu_type")"
    for d in vm6 vm7; do lv_virsh undefine "$d" > /dev/null; done
}

# Profiles by need on a vendor-specific host: the VFs' types carry no
# description, so sizes come from the names; sync gives the smallest size
# with room, then packs (as placement does for mdevs).
test_sync_need() {
    local n vf=$SIM_ROOT/bus/pci/devices/0000:67:00.5/nvidia/current_vgpu_type
    for n in 1 2 3; do
        lv_domain_xml vn$n "$(du $((30 + n)))" --no-hostdev \
            "uuid=\"$(u $((30 + n)))\" framebuffer=\"$([ $n = 2 ] && echo 4G || echo 3G)\" series=\"Q\"" \
            > "$LV_WORK/vn$n.xml"
        lv_virsh define "$LV_WORK/vn$n.xml" > /dev/null
    done
    lvc sync vn1
    t_eq "sync need 3G Q: the first VF (pack)" "0:0000:67:00.4 no" "$RC:$(vf_of_alias vn1 "$(u 31)")"
    t_match "sync need: says which VF" "now uses VF 0000:67:00.4\.$" "$OUT"
    printf 560 > "$vf"   # an A40-4Q on 0000:67:00.0, given by hand
    lvc sync vn2
    t_eq "sync need 4G Q: A40-4Q beside the other A40-4Q (pack)" "0:0000:67:00.6 no" \
        "$RC:$(vf_of_alias vn2 "$(u 32)")"
    lvc sync vn3
    t_eq "sync need 3G Q: A40-3Q on the empty GPU beats packing A40-4Q" "0:0000:e8:00.4 no" \
        "$RC:$(vf_of_alias vn3 "$(u 33)")"
    t_match "sync need: vn3's VF can create A40-3Q (559)" "(^| )559( |$)" \
        "$(creatable 0000:e8:00.4 | tr '\n' ' ')"
    printf 0 > "$vf"
    for n in 1 2 3; do lv_virsh undefine vn$n > /dev/null; done
}

meta_devices() { inactive "$1" | grep -c "<vgpu:device"; }
vf_hostdevs() { inactive "$1" | grep -c "<alias name='ua-vgpu-"; }

# attach on a vendor-specific host: the PCI hostdev of a free fitting VF
# for each new vGPU (sync's choice), never an mdev one; the hook takes it.
test_attach_vf() {
    local a
    lv_domain_xml vm8 "$(du 8)" > "$LV_WORK/vm8.xml"
    lv_virsh define "$LV_WORK/vm8.xml" > /dev/null
    lvc attach vm8 A40-2Q --count 2
    t_eq "attach typed: exit 0, nothing on stderr" "0:" "$RC:$ERR"
    t_eq "attach typed: free VFs are room: no 'right now' note" 0 "$(grep -c '^Note: right now' <<< "$OUT")"
    t_eq "attach typed: two vGPUs in the metadata, two VF hostdevs, no mdev one" "2 2 0" \
        "$(meta_devices vm8) $(vf_hostdevs vm8) $(mdev_hostdevs vm8)"
    inactive vm8 > "$LV_WORK/vm8.now.xml"
    t_match "attach typed: says which VF each got" "now uses VF 0000:[0-9a-f:]+\.[0-7]\..*now uses VF 0000:[0-9a-f:]+\.[0-7]\..*Added A40-2Q vGPU" "$(tr '\n' ' ' <<< "$OUT")"
    local vfs rc typed=""
    vfs=$(sed -n 's/.*now uses VF \([0-9a-f:]*\.[0-7]\)\.$/\1/p' <<< "$OUT" | sort -u)
    t_eq "attach typed: two distinct VFs, managed='no', as the hostdevs name them" "2 2" \
        "$(wc -w <<< "$vfs") $(grep -c "type='pci' managed='no'" "$LV_WORK/vm8.now.xml")"
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vm8 prepare begin - < '$LV_WORK/vm8.now.xml'" > "$LV_WORK/hook.out" 2>&1
    rc=$?
    for a in $vfs; do typed="$typed $(tr -dc 0-9 < "$SIM_ROOT/bus/pci/devices/$a/nvidia/current_vgpu_type")"; done
    t_eq "attach typed: the hook's prepare takes both VFs" "0: 558 558" "$rc:$typed"
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vm8 release end - < '$LV_WORK/vm8.now.xml'" > /dev/null 2>&1
    # Nothing fits A40-4Q once both GPUs hold A40-2Q: refused, restored.
    printf 558 > "$SIM_ROOT/bus/pci/devices/0000:67:01.7/nvidia/current_vgpu_type"
    printf 558 > "$SIM_ROOT/bus/pci/devices/0000:e8:01.7/nvidia/current_vgpu_type"
    lvc attach vm8 A40-4Q --force
    t_match "attach typed, nothing fits: one line, the definition restored" \
        "^1:vgpuctl: attach: domain 'vm8': vGPU [0-9a-f-]+ \(A40-4Q\): no free VF on this host fits it; the definition was restored as it was$" "$RC:$ERR"
    t_eq "attach typed, refused: metadata and hostdevs as before" "2 2" "$(meta_devices vm8) $(vf_hostdevs vm8)"
    printf 0 > "$SIM_ROOT/bus/pci/devices/0000:67:01.7/nvidia/current_vgpu_type"
    printf 0 > "$SIM_ROOT/bus/pci/devices/0000:e8:01.7/nvidia/current_vgpu_type"
    lv_virsh undefine vm8 > /dev/null
}

# attach --gpu on an AMD host: a managed='yes' VF of that model; the
# metadata keeps the gpu= of the vGPU the domain had.
test_attach_plain() {
    lv_domain_xml vm9 "$(du 9)" --no-hostdev "uuid=\"$(u 9)\" gpu=\"MI300X\"" > "$LV_WORK/vm9.xml"
    lv_virsh define "$LV_WORK/vm9.xml" > /dev/null
    lvc attach vm9 --gpu MI300X --placement spread
    t_eq "attach --gpu: exit 0" "0:" "$RC:$ERR"
    t_eq "attach --gpu: both vGPUs keep gpu= in the metadata" 2 "$(inactive vm9 | grep -c 'gpu="MI300X"')"
    t_eq "attach --gpu: one managed='yes' PCI hostdev (the new one), no mdev one" "1 1 0" \
        "$(vf_hostdevs vm9) $(inactive vm9 | grep -c "type='pci' managed='yes'") $(mdev_hostdevs vm9)"
    t_eq "attach --gpu: the old vGPU is left for sync" "" "$(vf_of_alias vm9 "$(u 9)")"
    lvc attach vm9 --gpu S7150
    t_match "attach --gpu, no such GPU here: refused, saying so, restored" \
        "^1:vgpuctl: attach: domain 'vm9': vGPU [0-9a-f-]+ \(S7150\): no GPU on this host is called 'S7150': the GPUs with whole VFs here are Aqua Vanjaram \[Instinct MI300X\] \(1002:74a1, 4 GPUs\), as the PCI ID database \(pci_ids_path\) names them; gpu=\"1002:74a1\" works with any database; the definition was restored as it was$" \
        "$RC:$ERR"
    t_eq "attach --gpu, refused: as before" "2 1" "$(meta_devices vm9) $(vf_hostdevs vm9)"
    lvc attach vm9 --gpu MI300X --type nvidia-558
    t_eq "attach: --gpu and --type exclude each other" "1:vgpuctl: attach: --type and --gpu exclude each other" "$RC:$ERR"
    lv_virsh undefine vm9 > /dev/null
}

# attach on a mixed host chooses the kind per GPU, as the hook does.
test_attach_mixed() {
    lv_domain_xml vm10 "$(du 10)" > "$LV_WORK/vm10.xml"
    lv_virsh define "$LV_WORK/vm10.xml" > /dev/null
    lvc attach vm10 A40-2Q
    t_eq "attach, mixed, both idle (pack, by address): the vendor-specific GPU's VF" "0:1 0" \
        "$RC:$(vf_hostdevs vm10) $(mdev_hostdevs vm10)"
    lvc attach vm10 A40-2Q --parent 0000:e8:00.0
    t_eq "attach, mixed, parent= the mdev GPU: an mdev hostdev" "0:1 1" \
        "$RC:$(vf_hostdevs vm10) $(mdev_hostdevs vm10)"
    lv_virsh undefine vm10 > /dev/null

    # The domain's vCPUs on NUMA node 1 (the simulator's CPUs 16-31), where
    # the mdev GPU is: locality outranks pack, in sync as in the hook.
    lv_domain_xml vm12 "$(du 12)" --no-hostdev "uuid=\"$(u 12)\" profile=\"A40-2Q\"" |
        sed "s|<vcpu>1</vcpu>|<vcpu cpuset='20-23'>1</vcpu>|" > "$LV_WORK/vm12.xml"
    lv_virsh define "$LV_WORK/vm12.xml" > /dev/null
    lvc check vm12
    t_match "check, mixed, vCPUs on node 1: the hook's advice is an mdev hostdev" \
        "has no matching <hostdev>; add to <devices>: <hostdev mode='subsystem' type='mdev'" "$OUT"
    lvc sync vm12
    t_eq "sync, mixed, vCPUs on node 1: the mdev hostdev, as the hook says" "0:0 1" \
        "$RC:$(vf_hostdevs vm12) $(mdev_hostdevs vm12)"
    lv_virsh undefine vm12 > /dev/null
}

# A libvirt on another host: vgpuctl sees no sysfs there, only libvirt's
# node devices. The "other host" is libvirt's test driver inside this
# tier's libvirtd, reached through the remote driver (ext transport, as
# ssh would): whole GPU VFs there (no mdev_types) make the kind of hostdev
# unknowable from here, so vgpuctl refuses and says what to run there.
remote_node() {   # remote_node FILE NODEDEV...: a test-driver host with one domain
    {
        printf "<node>\n  <domain type='test'>\n    <name>vmr</name>\n    <uuid>%s</uuid>\n" "$(du 20)"
        printf "    <metadata><vgpu:vgpu xmlns:vgpu='urn:vgpu-hook:1'><vgpu:device uuid='%s' profile='A40-2Q'/></vgpu:vgpu></metadata>\n" "$(u 20)"
        printf "    <memory>65536</memory>\n    <os><type>hvm</type></os>\n  </domain>\n"
        shift; printf '%s\n' "$@"
        printf "</node>\n"
    } > "$1"
}
pci_vf() {   # pci_vf NAME BUS FUNCTION CLASS VENDOR DEVICE [EXTRA CAPS]
    printf "<device><name>%s</name><parent>pci_0000_%s_00_0</parent><capability type='pci'><class>%s</class><domain>0</domain><bus>%d</bus><slot>0</slot><function>%s</function><product id='0x%s'/><vendor id='0x%s'/><capability type='phys_function'><address domain='0x0000' bus='0x%s' slot='0x00' function='0x0'/></capability>%s</capability></device>" \
        "$1" "$2" "$4" "$((16#$2))" "$3" "$6" "$5" "$2" "${7:-}"
}
test_remote_uri() {
    local ext=$LV_WORK/ext.sh uri_vf uri_mdev
    printf '#!/bin/sh\nexec virt-ssh-helper qemu:///system\n' > "$ext"; chmod +x "$ext"
    remote_node "$LV_WORK/node-vf.xml" "$(pci_vf pci_0000_67_00_4 67 4 0x030200 10de 2235)"
    remote_node "$LV_WORK/node-mdev.xml" \
        "$(pci_vf pci_0000_e8_00_4 e8 4 0x030200 10de 2235 "<capability type='mdev_types'><type id='nvidia-558'><name>NVIDIA A40-2Q</name><deviceAPI>vfio-pci</deviceAPI><availableInstances>1</availableInstances></type></capability>")" \
        "$(pci_vf pci_0000_3b_00_2 3b 2 0x020000 8086 154c)"
    uri_vf="test+ext://localhost$LV_WORK/node-vf.xml?command=$ext"
    uri_mdev="test+ext://localhost$LV_WORK/node-mdev.xml?command=$ext"

    lvc -c "$uri_vf" attach vmr A40-2Q
    t_eq "remote, whole VFs there: attach refused in one sentence saying what to run there" \
        "1:vgpuctl: attach: the host behind $uri_vf has GPU VFs given whole (pci_0000_67_00_4), so only its sysfs can tell whether the new A40-2Q vGPU needs an mdev or a VF <hostdev>, and which VF is free; run 'vgpuctl attach vmr A40-2Q' on that host" "$RC:$ERR"
    lvc -c "$uri_vf" sync vmr
    t_eq "remote, whole VFs there: sync refused likewise" \
        "1:vgpuctl: sync: domain 'vmr': the host behind $uri_vf has GPU VFs given whole (pci_0000_67_00_4), so only its sysfs can tell whether vGPU $(u 20) (A40-2Q) needs an mdev or a VF <hostdev>, and which VF is free; run 'vgpuctl sync vmr' on that host" "$RC:$ERR"
    lv_domain_xml vmd "$(du 21)" --no-hostdev "uuid=\"$(u 21)\" profile=\"A40-2Q\"" | sed "s/type='kvm'/type='test'/" > "$LV_WORK/vmd.xml"
    lvc -c "$uri_vf" define "$LV_WORK/vmd.xml"
    t_eq "remote, whole VFs there: define writes no hostdev and says why" \
        "0:Domain 'vmd' defined from $LV_WORK/vmd.xml.
No <hostdev> added: the host behind $uri_vf has GPU VFs given whole (pci_0000_67_00_4), so only its sysfs can tell whether vGPU $(u 21) (A40-2Q) needs an mdev or a VF <hostdev>, and which VF is free; run 'vgpuctl sync vmd' on that host." "$RC:$OUT"

    lvc -c "$uri_mdev" sync vmr
    t_eq "remote, only mdev parents (and a NIC VF) there: sync writes the mdev hostdev" \
        "0:Domain 'vmr': added <hostdev> for A40-2Q vGPU $(u 20)." "$RC:$(head -n 1 <<< "$OUT")"
    lvc -c "$uri_mdev" define "$LV_WORK/vmd.xml"
    t_match "remote, only mdev parents: define adds the mdev hostdev" "^0:.*Added <hostdev> for A40-2Q vGPU $(u 21)\.$" "$RC:$(tr '\n' ' ' <<< "$OUT" | sed 's/ $//')"
    lvc -c "$uri_mdev" attach vmr --gpu MI300X
    t_eq "remote: a gpu= request is always refused" \
        "1:vgpuctl: attach: the new MI300X vGPU is a whole VF, and only the host behind $uri_mdev can choose a free one from its sysfs; run 'vgpuctl attach vmr --gpu MI300X' on that host" "$RC:$ERR"
}

if lv_start a40x2-vfio; then
    for t in test_sync_need test_sync_vf test_define_sync_typed test_attach_vf test_remote_uri; do
        lv_log "=== $t"
        before=$T_FAIL
        $t
        [ "$T_FAIL" -gt "$before" ] && lv_dump_logs
    done
else
    t_fail "libvirtd up in the namespace (a40x2-vfio)" "see the log above"
    lv_dump_logs
fi
lv_stop
if lv_start mi300x-4 "pci_ids_path=$TOP/tests/sim/pci.ids"; then
    test_define_sync_plain
    test_sync_constrained_first
    test_attach_plain
else
    t_fail "libvirtd up in the namespace (mi300x-4)" "see the log above"
fi
lv_stop
if lv_start mixed-vf; then
    test_attach_mixed
else
    t_fail "libvirtd up in the namespace (mixed-vf)" "see the log above"
fi
lv_stop

# The config's rules (here deny) decide the kind in sync as in the hook:
# with the vendor-specific GPU denied, a typed request gets an mdev hostdev.
test_sync_mixed_deny() {
    lv_domain_xml vm11 "$(du 11)" --no-hostdev "uuid=\"$(u 11)\" profile=\"A40-2Q\"" > "$LV_WORK/vm11.xml"
    lv_virsh define "$LV_WORK/vm11.xml" > /dev/null
    VGPU_TEST_FAIL_AT=sync-attach-mdev lvc sync vm11
    t_match "sync, mixed: libvirt refusing the mdev hostdev: exit 1, libvirt's own reason, nothing added" \
        "^1:vgpuctl: sync: domain 'vm11': adding the <hostdev> for $(u 11): unsupported flags \(0x40000000\) in function qemuDomainAttachDevice[a-zA-Z]*:0 0$" \
        "$RC:$ERR:$(vf_hostdevs vm11) $(mdev_hostdevs vm11)"
    lvc sync vm11
    t_eq "sync, mixed, VF GPU denied by config: the mdev hostdev" "0:0 1" \
        "$RC:$(vf_hostdevs vm11) $(mdev_hostdevs vm11)"
    t_eq "sync, mixed: says so" "Domain 'vm11': added <hostdev> for A40-2Q vGPU $(u 11)." "$(head -n 1 <<< "$OUT")"
    inactive vm11 > "$LV_WORK/vm11.now.xml"
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vm11 prepare begin - < '$LV_WORK/vm11.now.xml'" > "$LV_WORK/hook.out" 2>&1
    t_eq "sync, mixed: the hook agrees (an mdev on the mdev GPU)" "0:1" "$?:$(ls "$SIM_ROOT/bus/mdev/devices" | wc -l)"
    lv_ns sh -c "'$LV_B/hooks/vgpu-hook' vm11 release end - < '$LV_WORK/vm11.now.xml'" > /dev/null 2>&1
    lv_virsh undefine vm11 > /dev/null
}
if lv_start mixed-vf "deny=0000:67:00.0"; then
    test_sync_mixed_deny
else
    t_fail "libvirtd up in the namespace (mixed-vf, deny)" "see the log above"
fi
lv_stop
t_done
