#!/usr/bin/env bash
# Checks the release artefacts end to end (issue 7):
#  * make package: the tarball holds the binary, a valid desktop entry and the icon,
#    and the packaged binary answers -version;
#  * make install into a temporary HOME puts exactly the expected files there,
#    make uninstall removes exactly them;
#  * make server: the headless binary is static and runs the tracker.
# Exits non-zero on the first failure, with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

need=()
command -v desktop-file-validate >/dev/null || need+=(desktop-file-utils)
command -v file >/dev/null || need+=(file)
command -v xz >/dev/null || need+=(xz-utils)
if [ ${#need[@]} -gt 0 ]; then bash .ci/deps.sh "${need[@]}"; fi

fail() { echo "check-package: FAIL: $*" >&2; exit 1; }
pass() { echo "check-package: ok: $*"; }

make -s package >/dev/null
version=$(sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
tarball="dist/enxame-$version-linux-amd64.tar.xz"
[ -f "$tarball" ] || fail "no $tarball"
git diff --quiet -- FyneApp.toml || fail "make package left FyneApp.toml modified"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
tar -xJf "$tarball" -C "$stage"
root="$stage/enxame"
desktop=$(find "$root" -name 'io.github.enxame.desktop' | head -n1)
icon=$(find "$root" -name 'io.github.enxame.png' | head -n1)
bin=$(find "$root" -path '*/bin/enxame' | head -n1)
[ -n "$desktop" ] || fail "no desktop entry in the tarball"
[ -n "$icon" ] || fail "no icon in the tarball"
[ -x "$bin" ] || fail "no executable in the tarball"
[ -f "$root/Makefile" ] || fail "no install Makefile in the tarball"
desktop-file-validate "$desktop" || fail "desktop entry does not validate"
for key in "Name=Enxame" "GenericName=" "Categories=Network;FileTransfer;P2P;" "Keywords=" "Comment=" "Icon=io.github.enxame"; do
  grep -q "^$key" "$desktop" || fail "desktop entry lacks $key"
done
file "$icon" | grep -q "PNG image" || fail "icon is not a PNG"
out=$("$bin" -version) || fail "packaged binary -version failed"
echo "$out" | grep -q "enxame $version" || fail "packaged binary says '$out'"
pass "tarball $tarball: binary, desktop entry (valid), icon, -version: $out"

home=$(mktemp -d)
trap 'rm -rf "$stage" "$home"' EXIT
HOME="$home" make -s install-files >/dev/null  # the package was built above
got=$(cd "$home" && find . -type f | sort)
want=$(printf '%s\n' ./.local/bin/enxame ./.local/share/applications/io.github.enxame.desktop ./.local/share/icons/io.github.enxame.png | sort)
if [ "$got" != "$want" ]; then
  # update-desktop-database may add its cache: tolerate exactly that file.
  got=$(echo "$got" | grep -v '^./.local/share/applications/mimeinfo.cache$' || true)
  [ "$got" = "$want" ] || fail "make install put: $got"
fi
grep -q "^Exec=$home/.local/bin/enxame" "$home/.local/share/applications/io.github.enxame.desktop" || fail "installed desktop entry does not point at the installed binary"
pass "make install into a temporary HOME: $(echo $want)"
HOME="$home" make -s uninstall >/dev/null
left=$(cd "$home" && find . -type f ! -name mimeinfo.cache | sort)
[ -z "$left" ] || fail "make uninstall left: $left"
pass "make uninstall removed them"

make -s server >/dev/null
file enxame-server | grep -q "statically linked" || fail "enxame-server is not static: $(file enxame-server)"
if ldd enxame-server >/dev/null 2>&1; then fail "ldd finds dynamic dependencies in enxame-server"; fi
./enxame-server -version | grep -q "enxame $version" || fail "enxame-server -version"
set +e; ./enxame-server >/dev/null 2>"$stage/err"; rc=$?; set -e
[ $rc -eq 2 ] && grep -q "desktop app is not in this build" "$stage/err" || fail "enxame-server without a subcommand: rc=$rc $(cat "$stage/err")"
pass "enxame-server is static and explains it has no desktop app"
