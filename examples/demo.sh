#!/bin/sh
# `make demo`: start a fresh sandbox, run examples/customers.lua against it, stop it.
set -eu
build=${BUILD:-build}
out=$(mktemp)
"$build/qbench-sandbox" --port 0 --token demo-token --die-with-parent >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT INT TERM
url=
for _ in $(seq 50); do
  url=$(sed -n 's/^qbench-sandbox listening on //p' "$out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "demo: the sandbox did not start" >&2; exit 1; }
echo "sandbox at $url"
QBENCH_URL=$url QBENCH_TOKEN=demo-token \
LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$build/?.so;;" \
  lua5.4 examples/customers.lua
