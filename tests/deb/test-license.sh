#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The licence, as a distribution reads it: COPYING holds the LGPL 2.1 text,
# debian/copyright (DEP-5) names LGPL-2.1+ for every file, and every source
# file of the tree says LGPL-2.1-or-later in an SPDX line among its first 3
# lines. (lintian on the source package is in test-deb.sh.) Needs nothing
# but git and the tree.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$TOP/tests/lib.sh"
cd "$TOP" || exit 1
SPDX='SPDX-License-Identifier: LGPL-2.1-or-later'

LGPL=/usr/share/common-licenses/LGPL-2.1
if [ -f "$LGPL" ]; then
    t_eq "COPYING is the LGPL 2.1 text (Debian's $LGPL)" yes "$(cmp -s COPYING "$LGPL" && echo yes)"
else
    t_skip "COPYING is the LGPL 2.1 text" "no $LGPL here (base-files on Debian)"
fi

t_eq "debian/copyright: DEP-5" "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" \
    "$(head -n 1 debian/copyright)"
# The "Files: *" paragraph's License, and a stand-alone paragraph for it
# pointing at the text Debian ships.
t_eq "debian/copyright: every file LGPL-2.1+" "LGPL-2.1+" \
    "$(awk '/^Files: \*$/ { f = 1 } f && /^License:/ { print $2; exit }' debian/copyright)"
t_match "debian/copyright: LGPL-2.1+ refers to Debian's copy of the text" \
    '^License: LGPL-2.1\+ .*or \(at your option\) any later version.*"/usr/share/common-licenses/LGPL-2.1"' \
    "$(awk 'prev == "" && /^License: LGPL-2.1\+$/ { p = 1 } p && /^$/ { exit } p; { prev = $0 }' debian/copyright |
        tr '\n' ' ' | tr -s ' ')"

# The files that are code: C, shell (by name or by #! line), the Makefile,
# the unit, the bash completion, the man pages. Data (test corpora,
# examples, the PCI ID excerpt) and documents are covered by
# debian/copyright's "Files: *".
source_files() {
    local f
    { git ls-files 2>/dev/null || find . -path ./build -prune -o -path ./.git -prune -o -type f -print |
        sed 's|^\./||'; } | sort | while IFS= read -r f; do
        [ -f "$f" ] || continue
        case $f in
            tests/fuzz/corpus/*) ;;
            *.c|*.h|*.sh|Makefile|*.service.in|*.bash-completion|docs/*.[158]) echo "$f" ;;
            *) [ "$(head -c 2 "$f")" = '#!' ] && echo "$f" ;;
        esac
    done
}
n=0 missing=()
while IFS= read -r f; do
    n=$((n + 1))
    head -n 3 "$f" | grep -qF "$SPDX" || missing+=("$f")
done < <(source_files)
t_ok "source files found (C, shell, Makefile, unit, completion, man pages)" [ "$n" -gt 150 ]
t_eq "every one of the $n names the licence in an SPDX line among its first 3" 0 "${#missing[@]}"
for f in "${missing[@]}"; do echo "# no SPDX line: $f"; done
t_done
