#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: cmocka unit tests and the
# integration tests (real coffred over HTTPS, driven by the real CLI), first
# on a normal build, then again on an AddressSanitizer + UBSan build.
# COFFRE_SKIP_ASAN=1 skips the sanitizer pass (local use only; CI runs it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=98}

flavours=(normal)
[ "${COFFRE_SKIP_ASAN:-0}" = 1 ] || flavours+=(asan)

# Integration tests start servers as this user; PostgreSQL refuses root, so
# the tests that need it drop to an unprivileged account themselves.
status=0
for f in "${flavours[@]}"; do
  # -Dtests=enabled: the unit tests are wanted, so a missing cmocka fails the
  # configure step; a folder configured without them (scripts/run.sh on a
  # machine without cmocka) is reconfigured by build.sh, not reused.
  dir=$(scripts/build.sh "$f" -Dtests=enabled)
  echo "== unit tests ($f) =="
  meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
  echo "== integration tests ($f) =="
  COFFRE_BUILD="$dir" /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration || status=1
done
exit $status
