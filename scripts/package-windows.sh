#!/usr/bin/env bash
# Builds dist/enxame-VERSION-windows-amd64.zip (issue 17), from Linux:
#  * Enxame.exe, the desktop app: cgo cross-built with MinGW-w64 by
#    `fyne package -os windows -release`, which embeds the icon, a version
#    resource and a manifest (from FyneApp.toml) and links with
#    -H=windowsgui (no console window);
#  * enxame-server.exe, the headless build (-tags nogui, no cgo).
# Both carry the version and build id (-X, as `make build` does). Called by
# `make package-windows`, which passes VERSION, BUILD, LDFLAGS and FYNE.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VERSION:?}" "${BUILD:?}" "${LDFLAGS:?}" "${FYNE:?}"
GO=${GO:-go}
CC_WINDOWS=${CC_WINDOWS:-x86_64-w64-mingw32-gcc}
command -v "$CC_WINDOWS" >/dev/null || { echo "package-windows: no $CC_WINDOWS (Debian: gcc-mingw-w64-x86-64)" >&2; exit 1; }

# fyne package writes these into the source folder for the build and
# removes them after; an interrupted run must not leave fyne.syso (a
# Windows object file) behind to break the next Linux build, nor the
# version bump it makes in FyneApp.toml.
for f in fyne.syso fyne_metadata_init.go; do
  [ ! -e "$f" ] || { echo "package-windows: $f left over from an interrupted run: remove it" >&2; exit 1; }
done
top="enxame-$VERSION"
stage=$(mktemp -d)
cp FyneApp.toml "$stage/FyneApp.toml"
cleanup() { cp "$stage/FyneApp.toml" FyneApp.toml; rm -rf "$stage" fyne.syso fyne_metadata_init.go Enxame.exe enxame.exe; }
trap cleanup EXIT
mkdir -p "$stage/$top" dist

# fyne package passes the -ldflags it finds in GOFLAGS to its first build
# only, not to the build after it adds the resources (fyne.io/tools
# v1.7.4): fyne runs $GO, so a wrapper adds the version's -X flags to the
# -ldflags of every build it runs.
gobin=$(command -v "$GO")
cat > "$stage/go" <<WRAP
#!/usr/bin/env bash
args=()
for a in "\$@"; do
  [ "\${prev:-}" = -ldflags ] && a="\$a $LDFLAGS"
  args+=("\$a"); prev=\$a
done
exec "$gobin" "\${args[@]}"
WRAP
chmod +x "$stage/go"
echo "package-windows: Enxame.exe (fyne package; a cold build compiles Fyne's C code for Windows)"
GOOS=windows GOARCH=amd64 CC="$CC_WINDOWS" GO="$stage/go" "$FYNE" package -os windows -name Enxame -release -v
mv Enxame.exe "$stage/$top/Enxame.exe"

echo "package-windows: enxame-server.exe (headless, no cgo)"
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 "$GO" build -tags nogui -trimpath -ldflags "$LDFLAGS" \
  -o "$stage/$top/enxame-server.exe" .

zip="dist/enxame-$VERSION-windows-amd64.zip"
python3 - "$stage" "$top" "$zip" <<'PY'
import os, sys, zipfile
stage, top, out = sys.argv[1:]
with zipfile.ZipFile(out + ".tmp", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for name in ("Enxame.exe", "enxame-server.exe"):
        z.write(os.path.join(stage, top, name), top + "/" + name)
os.replace(out + ".tmp", out)
PY
echo "$zip"
