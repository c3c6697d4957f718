#!/usr/bin/env bash
# Installs the Debian 12 packages coffre needs. Usage: scripts/install-deps.sh [run|test|bench]
#   run   - what building and running coffred/coffre needs
#   test  - run + the test suite's tools (cmocka, pytest, openssl, sanitizer runtime)
#   bench - run + wrk and nginx for the benchmark
# Runs apt-get as root, or through sudo otherwise. Skips apt entirely when every
# package is already installed, so repeated runs are fast and work offline.
set -euo pipefail

what=${1:-test}

run_pkgs=(build-essential pkg-config meson ninja-build
          libmicrohttpd-dev libgnutls28-dev libsodium-dev libjansson-dev
          libsqlite3-dev libcurl4-gnutls-dev libpq-dev ca-certificates openssl)
test_pkgs=(libcmocka-dev python3-pytest clang libclang-rt-14-dev sqlite3
           python3-aiosmtpd python3-cryptography python3-argon2 argon2 oathtool procps)
bench_pkgs=(wrk nginx-light procps curl python3-aiosmtpd oathtool)

case "$what" in
  run)   pkgs=("${run_pkgs[@]}") ;;
  test)  pkgs=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) pkgs=("${run_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 [run|test|bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
