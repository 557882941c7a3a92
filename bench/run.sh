#!/usr/bin/env bash
# `make bench`: benchmarks, never tests. The migration data path against vcsim vs curl of the same datastore file,
# then the transfer pipeline's chunk/concurrency settings over a plain HTTPS server.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.tools/node/bin:$PATH"
echo "== migration data path vs curl (vcsim) =="
node --no-warnings=ExperimentalWarning "$root/bench/migration.ts" "$@"
echo
echo "== transfer settings vs curl (plain HTTPS server) =="
node --no-warnings=ExperimentalWarning "$root/bench/transfer.ts" --size-mib 512 --configs 8x4,4x4
echo
echo "== vSphere disk read paths: datastore (flat, delta chain, streamOptimized) and NFC (vcsim) =="
node --no-warnings=ExperimentalWarning "$root/bench/vsphere-transports.ts" --size-mib 256
echo
echo "== guest conversion (virt-v2v-in-place on the real test guest) =="
node --no-warnings=ExperimentalWarning "$root/bench/guest-conversion.ts"
