#!/usr/bin/env bash
# Builds the vcsim harness offline from Debian's govmomi source into .cache/vcsim/vcsim.
# Idempotent: does nothing when the binary is newer than every .go file here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/.cache/vcsim/vcsim"
if [ -x "$out" ] && [ -z "$(find "$here" -name "*.go" -newer "$out")" ]; then exit 0; fi
if [ ! -d /usr/share/gocode/src/github.com/vmware/govmomi/simulator ]; then
  echo "vcsim build: govmomi source missing; install golang-github-vmware-govmomi-dev" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
echo "vcsim: building $out"
# GOPATH mode against Debian's packaged sources: no module download is possible here.
# GOCACHE defaults under $HOME; keep it in .cache so the build works for any user.
(cd "$here" && GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE="$root/.cache/go-build" \
  go build -o "$out.tmp" .)
mv "$out.tmp" "$out"
