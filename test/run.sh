#!/usr/bin/env bash
# Runs the suites with Node's test runner. `unit` = src/**/*.test.ts (no daemons), `e2e` = test/**/*.test.ts
# (starts libvirtd and virtlogd when their sockets do not answer, and stops afterwards, by PID, only what it started). No argument: both.
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
# PIDs of the libvirt daemons this run started (none when they were already running); only those are stopped.
started_libvirt=()
if [ "$what" != unit ] && [ "$(id -u)" -eq 0 ]; then
  up="$("$root/scripts/libvirt-up.sh")"
  if [ -n "$up" ]; then mapfile -t started_libvirt <<<"$up"; fi
fi
cleanup() {
  if [ "${#started_libvirt[@]}" -gt 0 ]; then "$root/scripts/libvirt-down.sh" "${started_libvirt[@]}"; fi
}
trap cleanup EXIT
node --no-warnings=ExperimentalWarning --test --test-concurrency=2 --test-timeout=600000 \
  --test-reporter=spec "${files[@]}"
