#!/usr/bin/env bash
# Quick start: installs what coffred needs (Debian 12, as root or with sudo),
# builds it, and starts it on its embedded default: SQLite and a blob folder
# under ./coffre-data, a self-signed certificate for localhost made on first
# run. Extra arguments go to `coffred run` (e.g. --listen 127.0.0.1:9443).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh run
dir=$(scripts/build.sh normal)
echo "coffre built in $dir; the CLI is $dir/src/cli/coffre"
exec "$dir/src/server/coffred" run "$@"
