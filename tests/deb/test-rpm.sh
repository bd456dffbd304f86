#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The RPM (rpm/vgpu-hook.spec), built and installed on this Debian machine:
# `make rpm` (rpmbuild --nodeps: the BuildRequires name RHEL's packages),
# rpmlint on the spec, the SRPM and the RPM with rpm/vgpu-hook.rpmlintrc (no
# errors; the warnings are printed), the payload against `make install` in
# the Debian package's layout (the same files, the unit under /usr/lib, plus
# RHEL's doc and license directories), the spec taking systemd's macros where
# they exist; then `rpm --root` installs, upgrades and erases it in a fresh
# Debian 12 root (tests/fresh/debian-root.sh), whose /bin/sh runs the
# scriptlets: the libvirtd reload, the keeper unit's preset, disable and
# try-restart (systemctl there is a stand-in that logs), the ledger warning,
# the state directory.
#
# Not testable here (INSTALL.md says so): RHEL's BuildRequires, the scriptlets
# of RHEL's own systemd-rpm-macros, SELinux.
#
# Needs root, rpm (rpmbuild, rpmspec), rpmlint, debootstrap.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${B:-$TOP/build/plain}    # installed by `make install` for the file list
. "$TOP/tests/lib.sh"
SPEC=$TOP/rpm/vgpu-hook.spec
LINTRC=$TOP/rpm/vgpu-hook.rpmlintrc
WORK=$(mktemp -d /tmp/vgpu-rpmtest.XXXXXX)
R=$WORK/root
trap 'rm -rf --one-file-system "$WORK"' EXIT

for tool in rpmbuild rpmspec rpm rpmlint; do
    command -v "$tool" > /dev/null ||
        { t_fail "rpm: $tool installed" "run tests/ensure-deps.sh test"; t_done; exit 1; }
done
[ -x "$B/hooks/vgpu-hook" ] || { t_fail "rpm: product built" "no $B/hooks/vgpu-hook"; t_done; exit 1; }

# ---- the spec
VERSION=$(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")
t_eq "the spec's Version is the Makefile's" "$VERSION" "$(rpmspec -q --srpm --qf '%{VERSION}' "$SPEC" 2>&1)"
t_eq "the license the spec names is in the tree (COPYING)" yes "$([ -s "$TOP/COPYING" ] && echo yes)"
# systemd-rpm-macros present (an EL host): its macros, not the spec's fallbacks.
real=$(rpmspec -P --define '_unitdir /usr/lib/systemd/system' \
    --define 'systemd_post() REAL_POST %{?*}' --define 'systemd_preun() REAL_PREUN %{?*}' \
    --define 'systemd_postun_with_restart() REAL_POSTUN %{?*}' "$SPEC" 2>&1)
t_eq "with systemd's macros: %post, %preun, %postun use them for the keeper unit" \
    "REAL_POST vgpu-keeper.service|REAL_PREUN vgpu-keeper.service|REAL_POSTUN vgpu-keeper.service|" \
    "$(grep '^REAL_' <<< "$real" | tr '\n' '|')"
t_eq "with systemd's macros: no fallback left" "" "$(grep 'systemctl --no-reload preset' <<< "$real")"

# rpmlint finds errors in this spec at all: the same spec without License.
sed '/^License:/d' "$SPEC" > "$WORK/nolicense.spec"
rpmlint -r "$LINTRC" "$WORK/nolicense.spec" > "$WORK/lint-broken.log" 2>&1
t_match "rpmlint: a spec without License is an error (the lint is not blind)" \
    'E: no-license|[1-9][0-9]* errors' "$(cat "$WORK/lint-broken.log")"

# ---- build and lint
make -s -C "$TOP" rpm RPM_O="$WORK/rpm" > "$WORK/build.log" 2>&1
t_eq "make rpm: exit 0" 0 "$?"
ARCH=$(rpm --eval '%{_arch}')
RPM=$WORK/rpm/RPMS/$ARCH/vgpu-hook-$VERSION-1.$ARCH.rpm
SRPM=$WORK/rpm/SRPMS/vgpu-hook-$VERSION-1.src.rpm
t_eq "make rpm: vgpu-hook-<VERSION>-1.<arch>.rpm and its .src.rpm" "yes yes" \
    "$([ -f "$RPM" ] && echo yes) $([ -f "$SRPM" ] && echo yes)"
[ -f "$RPM" ] || { tail -n 20 "$WORK/build.log" | sed 's/^/# /'; t_done; exit 1; }

rpmlint -r "$LINTRC" "$SPEC" "$SRPM" "$RPM" > "$WORK/lint.log" 2>&1
rc=$?
t_eq "rpmlint (spec, SRPM, RPM): exit 0, no errors" "0 0" \
    "$rc $(sed -n 's/.* checked; \([0-9]*\) errors.*/\1/p' "$WORK/lint.log")"
grep -E '^[^ ]+: [EW]: ' "$WORK/lint.log" | sed 's/^/# rpmlint: /'

# ---- the payload
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$RPM" > "$WORK/payload"
awk '$1 !~ /^d/ { print $1, $2 }' "$WORK/payload" | grep -v ' /usr/lib/\.build-id/' | sort > "$WORK/files"
for f in /usr/share/licenses/vgpu-hook/COPYING /usr/share/doc/vgpu-hook/README.md; do
    t_eq "package ships $f" yes "$(grep -q " $f\$" "$WORK/files" && echo yes)"
done
# Everything `make install` puts in place for the Debian package (its layout,
# as tests/deb/test-deb.sh installs it), with the unit where RHEL keeps units,
# and nothing else but docs and license. -o the flags stamp: see test-deb.sh.
make -s -C "$TOP" -o "$B/.flags" O="$B" DESTDIR="$WORK/dest" PREFIX=/usr SYSCONFDIR=/etc \
    LIBVIRT_VERSION=9.0.0 SYSTEMDUNITDIR=/lib/systemd/system install > /dev/null 2>&1
(cd "$WORK/dest" && find . ! -type d -printf '%M %p\n') |
    sed 's| \./| /|; s| /lib/systemd/| /usr/lib/systemd/|; s|^\(.* /usr/share/man/.*\)$|\1.gz|' |
    sort > "$WORK/installed"
t_eq "package = the Debian layout's make install (modes too) + docs, license" "" \
    "$(grep -v ' /usr/share/doc/vgpu-hook/\| /usr/share/licenses/vgpu-hook/' "$WORK/files" |
       diff "$WORK/installed" - | grep '^[<>]' | tr '\n' ' ')"
t_eq "every file root-owned" "root:root" \
    "$(rpm -qp --qf '[%{FILEUSERNAME}:%{FILEGROUPNAME}\n]' "$RPM" | sort -u | tr '\n' ' ' | sed 's/ $//')"
t_eq "the config: %config(noreplace)" "/etc/libvirt/vgpu-hook.conf cn" \
    "$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$RPM" | grep ' c')"
t_eq "hooks/ and qemu.d/ are the package's directories" "yes yes" \
    "$(for d in /etc/libvirt/hooks /etc/libvirt/hooks/qemu.d; do
           grep -q "^d.* $d\$" "$WORK/payload" && echo yes; done | tr '\n' ' ' | sed 's/ $//')"
t_match "Requires: libvirt-daemon >= 6.5.0" '^libvirt-daemon >= 6\.5\.0$' \
    "$(rpm -qp --requires "$RPM" | grep '^libvirt-daemon')"
t_match "Requires: the linked libraries" 'libvirt\.so\.0.*libxml2\.so\.2|libxml2\.so\.2.*libvirt\.so\.0' \
    "$(rpm -qp --requires "$RPM" | tr '\n' ' ')"
scripts=$(rpm -qp --scripts "$RPM")
for s in postinstall preuninstall postuninstall; do
    t_match "$s scriptlet: the keeper unit" 'vgpu-keeper\.service' \
        "$(awk -v s="$s" '/^[a-z]+ scriptlet/ { on = ($1 == s) } on' <<< "$scripts")"
done

# ---- rpm --root in a fresh Debian root: the scriptlets, run
[ "$(id -u)" -eq 0 ] || { t_skip "rpm --root install" "needs root (chroot)"; t_done; exit 0; }
"$TOP/tests/fresh/debian-root.sh" "$R" > "$WORK/root.log" 2>&1
t_eq "fresh Debian 12 root" 0 "$?"
[ -x "$R/bin/sh" ] || { sed 's/^/# /' "$WORK/root.log"; t_done; exit 1; }
mkdir -p "$R/root/t"
cat > "$R/usr/bin/systemctl" <<'EOF'
#!/bin/sh
# A stand-in for systemctl (test-rpm.sh): logs; libvirtd is active when
# /run/fake-libvirtd exists.
echo "$*" >> /root/t/systemctl
case "$*" in
    *is-active*libvirtd*) [ -e /run/fake-libvirtd ] ;;
    *is-active*) exit 3 ;;
esac
EOF
chmod +x "$R/usr/bin/systemctl"
calls() { cat "$R/root/t/systemctl" 2>/dev/null | tr '\n' '|'; : > "$R/root/t/systemctl"; }
reloads() { calls | grep -oE '(^|\|)reload [a-z]+' | tr -d '|'; }
rpm_root() { rpm --root "$R" --nodeps "$@" 2>&1 | grep -v 'use Alien instead\|assuming you know what'; }

# install: no qemu hook before, libvirtd running -> one reload, the preset
touch "$R/run/fake-libvirtd"
OUT=$(rpm_root -i "$RPM")
t_eq "rpm -i: installed" vgpu-hook "$(rpm --root "$R" -q --qf '%{NAME}' vgpu-hook 2>&1)"
t_match "%post: asks the running libvirtd to reload" "asked libvirtd to reload" "$OUT"
t_eq "%post: keeper preset, libvirtd reloaded" \
    "--no-reload preset vgpu-keeper.service|--quiet is-active libvirtd|reload libvirtd|--quiet is-active virtqemud|" \
    "$(calls)"
t_eq "installed: qemu.d link to the private hook" /usr/libexec/vgpu-hook/vgpu-hook \
    "$(readlink "$R/etc/libvirt/hooks/qemu.d/vgpu-hook")"
t_eq "installed: the unit starts /usr/sbin/vgpu-keeper" "ExecStart=/usr/sbin/vgpu-keeper" \
    "$(grep '^ExecStart=' "$R/usr/lib/systemd/system/vgpu-keeper.service" 2>&1)"
t_ok "installed: the license is the tree's COPYING" cmp "$TOP/COPYING" "$R/usr/share/licenses/vgpu-hook/COPYING"
OUT=$(chroot "$R" /etc/libvirt/hooks/qemu.d/vgpu-hook vm-plain prepare begin - < "$TOP/examples/vm-plain.xml" 2>&1)
t_eq "the hook through its link: a domain without vGPU metadata, exit 0" "0:" "$?:$OUT"
# The root has no glib: the core is found where the front was built to look
# (LIBEXECDIR), and fails on its own library, not on its path.
OUT=$(chroot "$R" /etc/libvirt/hooks/qemu.d/vgpu-hook vm-a40-2q prepare begin - < "$TOP/examples/vm-a40-2q.xml" 2>&1)
t_match "the hook finds its core in /usr/libexec/vgpu-hook" "vgpu-hook-core.so cannot be loaded: libglib" "$OUT"

# upgrade in place: the hook existed, so no reload, no preset; try-restart
OUT=$(rpm_root -U --replacepkgs "$RPM")
t_eq "rpm -U (same version again): exit status, still installed" vgpu-hook \
    "$(rpm --root "$R" -q --qf '%{NAME}' vgpu-hook 2>&1)"
t_eq "upgrade: no reload, no preset; the keeper try-restarted" \
    "daemon-reload|try-restart vgpu-keeper.service|" "$(calls)"

# erase while a domain holds a device: warned, the keeper disabled, the
# ledger kept; every file of the package gone
mkdir -p "$R/run/vgpu-hook" && : > "$R/run/vgpu-hook/vm-a40-2q.ledger"
OUT=$(rpm_root -e vgpu-hook)
t_match "rpm -e with a device in use: %preun warns" "1 domain\(s\) hold vGPUs" "$OUT"
t_eq "erase: keeper disabled and stopped" \
    "--no-reload disable --now vgpu-keeper.service|daemon-reload|" "$(calls)"
t_eq "erase with a ledger: the state directory kept" yes "$([ -e "$R/run/vgpu-hook/vm-a40-2q.ledger" ] && echo yes)"
left=$(rpm -qpl "$RPM" | while read -r f; do [ -e "$R$f" ] || [ -L "$R$f" ] && echo "$f"; done)
t_eq "erase: nothing of the package left" "" "${left//$'\n'/ }"

# erase with no ledger: the state directory goes
rm -f "$R/run/vgpu-hook/vm-a40-2q.ledger" && : > "$R/run/vgpu-hook/lock"
rpm_root -i "$RPM" > /dev/null && rpm_root -e vgpu-hook > /dev/null
t_eq "erase with no ledger: the state directory gone" no "$([ -e "$R/run/vgpu-hook" ] && echo yes || echo no)"
calls > /dev/null

# a user's own qemu hook: no reload, and it outlives the package
mkdir -p "$R/etc/libvirt/hooks"
printf '#!/bin/sh\nexit 0\n' > "$R/etc/libvirt/hooks/qemu"
chmod +x "$R/etc/libvirt/hooks/qemu"
OUT=$(rpm_root -i "$RPM")
t_eq "with a user's qemu hook: no reload" "" "$(reloads)"
rpm_root -e vgpu-hook > /dev/null
t_eq "with a user's qemu hook: erase leaves it as it was" "exit 0" "$(tail -n 1 "$R/etc/libvirt/hooks/qemu" 2>&1)"
rm -rf "$R/etc/libvirt/hooks"

# no daemon running
rm -f "$R/run/fake-libvirtd"
calls > /dev/null
OUT=$(rpm_root -i "$RPM")
t_match "no daemon running: %post says it runs the hook once started" "no libvirtd or virtqemud running" "$OUT"
t_eq "no daemon running: no reload" "" "$(reloads)"
rpm_root -e vgpu-hook > /dev/null

echo "# package files:"
sed 's/^/#   /' "$WORK/files"
t_done
