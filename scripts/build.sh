#!/usr/bin/env bash
# Configures and builds one flavour of coffre with Meson + Ninja.
# Usage: scripts/build.sh [normal|asan|release|fuzz] [-Doption=value ...] [-- ninja targets]
#   -> prints the build folder on stdout (everything else goes to stderr).
#   normal   build/          debugoptimized; unit tests when cmocka is found
#   asan     build-asan/     the same with AddressSanitizer + UBSan
#   release  build-release/  --buildtype=release, -Werror, no tests
#   fuzz     build-fuzz/     clang, libFuzzer + ASan + UBSan, only the tests/fuzz targets
# Extra -D options are added to the flavour's (scripts/test.sh passes
# -Dtests=enabled so a missing cmocka fails at configure time).
#
# A folder is reused only when it was configured with the same options and
# the same optional dependencies (cmocka) and compiler: the wanted
# configuration is kept in <folder>/coffre-config.stamp; when it differs
# (other options, cmocka installed or removed since, another compiler) the
# folder is reconfigured (`meson setup --reconfigure`, or made anew when the
# compiler changed or the last configure failed), never reused stale.
set -euo pipefail
cd "$(dirname "$0")/.."

flavour=${1:-normal}
[ $# -eq 0 ] || shift
extra=()
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; targets=("$@"); break ;;
    -D*) extra+=("$1") ;;
    *) echo "$0: unexpected argument '$1' (want -Doption=value or -- targets)" >&2; exit 2 ;;
  esac
  shift
done

cc=${CC:-cc}
san_args="-fno-sanitize-recover=all -fno-omit-frame-pointer"
# Every option the flavours set is given explicitly (defaults included), so
# that reconfiguring a folder cannot keep an option of an earlier flavour.
case "$flavour" in
  normal)  dir=build;         opts=(--buildtype=debugoptimized -Db_sanitize=none -Db_lundef=true
                                    -Dc_args= -Dtests=auto -Dfuzz=false) ;;
  asan)    dir=build-asan;    opts=(--buildtype=debugoptimized -Db_sanitize=address,undefined
                                    -Db_lundef=false "-Dc_args=$san_args" -Dtests=auto -Dfuzz=false) ;;
  release) dir=build-release; opts=(--buildtype=release -Db_sanitize=none -Db_lundef=true
                                    -Dc_args= -Dwerror=true -Dtests=disabled -Dfuzz=false) ;;
  fuzz)    dir=build-fuzz;    cc=${CC:-clang}
                              opts=(--buildtype=debugoptimized -Db_sanitize=address,undefined
                                    -Db_lundef=false "-Dc_args=$san_args -gline-tables-only"
                                    -Dtests=disabled -Dfuzz=true)
                              [ ${#targets[@]} -gt 0 ] || targets=(fuzzers) ;;
  *) echo "usage: $0 [normal|asan|release|fuzz] [-Doption=value ...] [-- targets]" >&2; exit 2 ;;
esac
opts+=("${extra[@]}")

# What the folder must have been configured with and against.
fingerprint() {
  printf 'flavour %s\n' "$flavour"
  printf 'option %s\n' "${opts[@]}"
  printf 'cc %s\n' "$(command -v "$cc" || echo "$cc missing") $("$cc" --version 2>/dev/null | head -n1)"
  printf 'cmocka %s\n' "$(pkg-config --modversion cmocka 2>/dev/null || echo none)"
  printf 'meson %s\n' "$(meson --version 2>/dev/null || echo none)"
}
stamp=$dir/coffre-config.stamp
want=$(fingerprint)
# A folder that scripts/test.sh configured with the unit tests required is
# also what a plain build of the same flavour wants (tests=auto with cmocka
# found builds the same), so scripts/run.sh after scripts/test.sh reuses it.
also=""
if [ ${#extra[@]} -eq 0 ] && { [ "$flavour" = normal ] || [ "$flavour" = asan ]; }; then
  opts_saved=("${opts[@]}")
  opts+=(-Dtests=enabled)
  also=$(fingerprint)
  opts=("${opts_saved[@]}")
fi

if [ -f "$dir/build.ninja" ] && [ -f "$stamp" ] &&
   { [ "$(cat "$stamp")" = "$want" ] || { [ -n "$also" ] && [ "$(cat "$stamp")" = "$also" ]; }; }; then
  : # configured as wanted
elif [ -f "$dir/build.ninja" ] && [ -f "$stamp" ] &&
     [ "$(grep '^cc ' "$stamp")" = "$(grep '^cc ' <<<"$want")" ]; then
  echo "build.sh: $dir was configured differently (options or dependencies changed); reconfiguring" >&2
  rm -f "$stamp"
  CC=$cc meson setup --reconfigure "$dir" "${opts[@]}" >&2
  printf '%s\n' "$want" >"$stamp"
else
  # No folder, a failed configure, a folder from before the stamp existed
  # or another compiler: start from an empty folder.
  [ ! -e "$dir" ] || echo "build.sh: $dir is not configured as wanted; configuring anew" >&2
  rm -rf "$dir"
  CC=$cc meson setup "$dir" "${opts[@]}" >&2
  printf '%s\n' "$want" >"$stamp"
fi
ninja -C "$dir" "${targets[@]}" >&2
echo "$dir"
