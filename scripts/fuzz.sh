#!/usr/bin/env bash
# Builds the fuzz flavour (clang, libFuzzer + ASan + UBSan; scripts/build.sh
# fuzz) and runs every fuzzer in tests/fuzz for SECONDS each (default 20: a
# smoke run; use 600 or more for a real run), starting from its seed corpus
# tests/fuzz/corpus/<name>/. Fails when any fuzzer finds a crash, a leak, a
# sanitizer report or a timeout; the input that did it is kept in
# build-fuzz/fuzz-out/<name>/ (reproduce: build-fuzz/tests/fuzz/<name> FILE).
# Usage: scripts/fuzz.sh [SECONDS]   FUZZ_ONLY=name,name to pick fuzzers.
# The seed corpora in the tree are never written; new inputs go to
# build-fuzz/fuzz-out/<name>/corpus/ and are reused by the next run.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-20}
[[ $secs =~ ^[1-9][0-9]{0,5}$ ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }
scripts/install-deps.sh test   # clang and its sanitizer runtime (no-op when installed)
dir=$(scripts/build.sh fuzz)

mapfile -t all < <(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
want=("${all[@]}")
if [ -n "${FUZZ_ONLY:-}" ]; then
  IFS=, read -r -a want <<<"$FUZZ_ONLY"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for name in "${want[@]}"; do
  bin=$dir/tests/fuzz/$name
  [ -x "$bin" ] || { echo "fuzz.sh: no fuzzer $name in $dir" >&2; exit 2; }
  out=$dir/fuzz-out/$name
  mkdir -p "$out/corpus"
  seeds=()
  [ -d "tests/fuzz/corpus/$name" ] && seeds=("tests/fuzz/corpus/$name")
  echo "== $name: ${secs}s =="
  # -timeout: one input taking over 10 s is a hang (reported, fails);
  # -rss_limit_mb: above 2 GiB is a memory blow-up.
  if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
       -print_final_stats=1 -artifact_prefix="$out/" "$out/corpus" "${seeds[@]}" \
       >"$out/log.txt" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$out/log.txt" | tail -n2 | tr '\n' ' '
    echo
  else
    echo "fuzz.sh: $name FAILED; see $out/log.txt; inputs:" >&2
    ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null >&2 || true
    tail -n 40 "$out/log.txt" >&2
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#want[@]} fuzzers, ${secs}s each, no finding"
