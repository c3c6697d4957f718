#!/usr/bin/env bash
# Configures (once) and builds one flavour of coffre with Meson + Ninja.
# Usage: scripts/build.sh [normal|asan|release]  -> prints the build folder.
set -euo pipefail
cd "$(dirname "$0")/.."

flavour=${1:-normal}
case "$flavour" in
  normal)  dir=build;         opts=() ;;
  asan)    dir=build-asan;    opts=(-Db_sanitize=address,undefined -Db_lundef=false
                                    "-Dc_args=-fno-sanitize-recover=all -fno-omit-frame-pointer") ;;
  release) dir=build-release; opts=(--buildtype=release -Dtests=disabled) ;;
  *) echo "usage: $0 [normal|asan|release]" >&2; exit 2 ;;
esac

if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "${opts[@]}" >&2
fi
ninja -C "$dir" >&2
echo "$dir"
