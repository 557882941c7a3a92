#!/usr/bin/env bash
# Runs the suites with Node's test runner. `unit` = src/**/*.test.ts (no daemons), `e2e` = test/**/*.test.ts
# (starts libvirtd when it is not running, and stops it afterwards if it started it). No argument: both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/.tools/node/bin:$PATH"
what="${1:-all}"
shopt -s globstar nullglob
unit=(src/**/*.test.ts web/test/**/*.test.ts)
e2e=(test/**/*.test.ts)
files=()
case "$what" in
  unit) files=("${unit[@]}") ;;
  e2e) files=("${e2e[@]}") ;;
  all) files=("${unit[@]}" "${e2e[@]}") ;;
  *) files=("$@") ;;
esac
started_libvirt=""
if [ "$what" != unit ] && [ "$(id -u)" -eq 0 ]; then
  started_libvirt="$("$root/scripts/libvirt-up.sh")"
fi
cleanup() {
  if [ "$started_libvirt" = started ]; then pkill -x libvirtd || true; pkill -x virtlogd || true; fi
}
trap cleanup EXIT
node --no-warnings=ExperimentalWarning --test --test-concurrency=2 --test-timeout=600000 \
  --test-reporter=spec "${files[@]}"
