#!/usr/bin/env bash
# `make bench`: disk transfer throughput over loopback HTTPS vs curl. A benchmark, never a test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.tools/node/bin:$PATH"
exec node --no-warnings=ExperimentalWarning "$root/bench/transfer.ts" "$@"
