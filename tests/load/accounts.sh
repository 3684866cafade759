#!/usr/bin/env bash
# Start-up time and sign-in rate of a release server on loopback, measured with wrk.
# Usage: tests/load/accounts.sh [seconds]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
cargo build --release -q
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export KOTAE_DATA_DIR=$dir KOTAE_BIND=127.0.0.1:$port KOTAE_RATE_LIMITS=off KOTAE_LOG=warn
base=http://127.0.0.1:$port

./target/release/kotae migrate >/dev/null
start=$(date +%s%N)
./target/release/kotae serve >"$dir/log" 2>&1 &
pid=$!
until curl -sf "$base/healthz" >/dev/null; do sleep 0.002; done
echo "start-up to first healthy answer: $(( ($(date +%s%N) - start) / 1000000 )) ms"

curl -sf -H 'content-type: application/json' -o /dev/null \
  -d '{"username":"loadtester","email":"load@example.com","password":"correct horse battery staple"}' \
  "$base/api/v1/accounts"
echo "== sign-in (POST /api/v1/tokens, argon2id verify each), ${seconds}s, 4 connections"
wrk -t2 -c4 -d"${seconds}s" --latency -s tests/load/sign-in.lua "$base/api/v1/tokens"
echo "== home page (GET /), ${seconds}s, 32 connections"
wrk -t2 -c32 -d"${seconds}s" --latency "$base/"
css=$(curl -s "$base/" | grep -o '/assets/app\.[0-9a-f]*\.css' | head -n 1)
echo "== static asset ($css), ${seconds}s, 32 connections"
wrk -t2 -c32 -d"${seconds}s" --latency "$base$css"
