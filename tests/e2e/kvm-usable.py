#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvm-usable.py USER GROUP: can QEMU, run by libvirt as USER and GROUP
# (qemu.conf's user and group), use /dev/kvm here? Run it as root where QEMU
# runs (the tier's namespace: its /dev, its /etc/passwd). It takes the
# identity libvirt gives QEMU (virSetUIDGID: the uid, GROUP, and USER's
# groups from virGetGroupList), opens /dev/kvm read-write and asks its API
# version. One line: "kvm: WHY" (exit 0) or "tcg: WHY" (exit 1).
# Root passing test -r/-w proves nothing: on a machine without udev
# /dev/kvm is crw------- root:root and QEMU, as libvirt-qemu, dies with
# "Could not access KVM kernel module: Permission denied"; a node with no
# driver behind it (ENXIO, ENODEV) fails even for root.
import fcntl
import grp
import os
import pwd
import stat
import sys

KVM_GET_API_VERSION = 0xAE00


def name(lookup, num):
    try:
        return lookup(num)[0]
    except KeyError:
        return str(num)


def number(spec, lookup):
    # qemu.conf's forms: a name, or "+N" for the number N
    return int(spec[1:]) if spec.startswith("+") else lookup(spec)[2]


def main():
    user, group = sys.argv[1], sys.argv[2]
    try:
        st = os.stat("/dev/kvm")
    except FileNotFoundError:
        return "tcg: no /dev/kvm"
    node = "/dev/kvm (%s %s:%s)" % (stat.filemode(st.st_mode), name(pwd.getpwuid, st.st_uid),
                                    name(grp.getgrgid, st.st_gid))
    if not stat.S_ISCHR(st.st_mode):
        return "tcg: %s is not a character device" % node
    uid, gid = number(user, pwd.getpwnam), number(group, grp.getgrnam)
    # virGetGroupList: the user's groups (with its passwd group), and GROUP
    try:
        pw = pwd.getpwuid(uid)
        groups = os.getgrouplist(pw.pw_name, pw.pw_gid)
    except KeyError:
        groups = []
    groups += [gid] if gid not in groups else []
    os.setgroups(groups)
    os.setgid(gid)
    os.setuid(uid)
    who = "QEMU as %s (uid %d, groups %s)" % (user, uid, ",".join(map(str, groups)))
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
        api = fcntl.ioctl(fd, KVM_GET_API_VERSION)
    except OSError as e:
        return "tcg: %s cannot use %s: %s" % (who, node, e.strerror)
    return "kvm: %s opens %s read-write (KVM API %d)" % (who, node, api)


if __name__ == "__main__":
    line = main()
    print(line)
    sys.exit(0 if line.startswith("kvm:") else 1)
