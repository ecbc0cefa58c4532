#!/usr/bin/env bash
# Installs the system packages Enxame needs to build and test on
# Debian/Ubuntu: a C toolchain and the X11/GL headers for Fyne's cgo build.
# Runs apt-get as root, through sudo otherwise; elsewhere it says what to
# install. Extra package names given as arguments are installed too.
set -euo pipefail

pkgs=(make gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev libxrandr-dev
      libxinerama-dev libxi-dev libxxf86vm-dev iproute2 tcpdump
      # tests: reference Argon2 and outside TLS clients (net/secure)
      argon2 openssl python3
      # the Windows build (make package-windows, docs/WINDOWS.md): MinGW-w64
      gcc-mingw-w64-x86-64 "$@")

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  echo "deps: not a Debian/Ubuntu system; install the equivalents of: ${pkgs[*]}" >&2
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
if ! command -v go >/dev/null 2>&1; then
  echo "deps: Go 1.25 or newer is needed (https://go.dev/dl); put it on PATH" >&2
  exit 1
fi
