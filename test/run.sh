#!/usr/bin/env bash
# Runs the suites with Node's test runner. `unit` = src/**/*.test.ts (no daemons), `e2e` = test/**/*.test.ts
# (starts libvirtd and virtlogd when their sockets do not answer, and stops afterwards, by PID, only what it
# started). No argument: both. Files under test/serial/ run after the others, one at a time: they act on the
# whole machine (e.g. restart the libvirtd this run started), which would disturb suites running beside them.
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
parallel=()
serial=()
for f in "${files[@]}"; do
  case "$f" in test/serial/*) serial+=("$f") ;; *) parallel+=("$f") ;; esac
done

# "NAME PID" of each libvirt daemon this run started (none when they were already running); only those are
# stopped. Tests that restart a daemon this run started rewrite its line (LANDFALL_TEST_LIBVIRT_PIDFILE).
pidfile="$(mktemp -t landfall-libvirt-pids.XXXXXX)"
export LANDFALL_TEST_LIBVIRT_PIDFILE="$pidfile"
cleanup() {
  "$root/scripts/libvirt-down.sh" "$pidfile"
  rm -f "$pidfile"
}
trap cleanup EXIT
if [ "$what" != unit ] && [ "$(id -u)" -eq 0 ]; then
  "$root/scripts/libvirt-up.sh" >"$pidfile"
fi
run() {
  node --no-warnings=ExperimentalWarning --test --test-concurrency="$1" --test-timeout=600000 --test-reporter=spec "${@:2}"
}
status=0
if [ "${#parallel[@]}" -gt 0 ]; then run 2 "${parallel[@]}" || status=$?; fi
if [ "${#serial[@]}" -gt 0 ]; then run 1 "${serial[@]}" || status=$?; fi
exit "$status"
