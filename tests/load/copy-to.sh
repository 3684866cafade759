#!/usr/bin/env bash
# Issue 9's copy-to figure: generates a community into SQLite (or reuses LOAD_DIR), copies it
# into a new PostgreSQL database with `kotae copy-to`, timed, then serves the copy and
# searches it.
#
# Usage: LOAD_PG_URL=postgres://user:pass@127.0.0.1/postgres tests/load/copy-to.sh
#   LOAD_DIR=/some/dir   keep the generated data there between runs (made if missing)
#   LOAD_TOPICS=100000   size of the generated community (10 replies per topic on average)
# The user must be allowed to create databases; the copy's database is dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
admin=${LOAD_PG_URL:?name a PostgreSQL server where the user may create databases}
topics=${LOAD_TOPICS:-100000}
cargo build --release -q
bin=$PWD/target/release/kotae

dir=${LOAD_DIR:-}
if [ -z "$dir" ]; then
  dir=$(mktemp -d)
  cleanup_dir=$dir
fi
mkdir -p "$dir"
name=kotae_copy_$$
target=${admin%/*}/$name
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; psql -q "$admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1; rm -rf ${cleanup_dir:+"$cleanup_dir"}' EXIT
export KOTAE_DATA_DIR=$dir KOTAE_RATE_LIMITS=off KOTAE_LOG=warn

if [ ! -f "$dir/generated" ]; then
  echo "== generating $topics topics into $dir"
  rm -rf "$dir"/*
  "$bin" demo --topics "$topics"
  touch "$dir/generated"
fi

psql -q "$admin" -c "CREATE DATABASE $name"
echo "== kotae copy-to (SQLite $(du -h "$dir/kotae.db" | cut -f1))"
start=$(date +%s%N)
"$bin" copy-to "$target" | grep -v '^copying '
echo "copy-to took $(( ($(date +%s%N) - start) / 1000000 )) ms in all"

echo "== serving the copy"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KOTAE_DATABASE_URL=$target KOTAE_BIND=127.0.0.1:$port "$bin" serve >/dev/null &
pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
query=$(psql -At "$target" -c "SELECT title FROM topics WHERE NOT hidden ORDER BY id DESC LIMIT 1")
echo "searching for the newest topic's title: $query"
curl -fs -G "http://127.0.0.1:$port/api/v1/search" --data-urlencode "q=$query" |
  python3 -c 'import json,sys; r=json.load(sys.stdin); print("search total:", r["total"])'
for table in topics replies users; do
  echo "$table: SQLite $(sqlite3 "$dir/kotae.db" "SELECT COUNT(*) FROM $table" 2>/dev/null || echo '?'), PostgreSQL $(psql -At "$target" -c "SELECT COUNT(*) FROM $table")"
done
