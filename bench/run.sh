#!/usr/bin/env bash
# `make bench`: benchmarks, never tests. Whole migrations through `landfall serve` and the control plane at fleet
# size (figures recorded in bench/RESULTS.md), the migration data path against vcsim vs curl of the same datastore
# file, then the transfer pipeline's chunk/concurrency settings over a plain HTTPS server.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.tools/node/bin:$PATH"
figures="$(mktemp)"
trap 'rm -f "$figures"' EXIT
echo "== whole migration through landfall serve vs curl and by hand; peak RSS for 1, 4, 10 GiB; sparse and extra-space ratios =="
node --no-warnings=ExperimentalWarning "$root/bench/serve-migration.ts" | tee -a "$figures"
echo
echo "== control plane at fleet size: 10,000 VirtualMachines, 1,000 VMMigrations, 50 watchers =="
node --no-warnings=ExperimentalWarning "$root/bench/control-plane.ts" | tee -a "$figures"
# The figures go on record, one line each, with machine, date and load.
{
  echo
  echo "## make bench, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo
  grep -E '^(machine|load average|FIGURE|SKIPPED|NOT MEASURED)' "$figures" | sed 's/^/- /'
} >>"$root/bench/RESULTS.md"
echo
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
