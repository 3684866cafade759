#!/usr/bin/env bash
# Issue 8's load run: a release server on a generated community (SQLite), measured with wrk
# over loopback. Reports requests/s and p50/p99 for the topic page, the brand page, the home
# page, search, the staff queue and posting replies, with a static asset from the same server
# as the ceiling, then start-up time and the server's peak memory.
#
# Usage: tests/load/scale.sh [seconds per measurement, default 10]
#   LOAD_DIR=/some/dir   keep the generated data there between runs (made if missing)
#   LOAD_TOPICS=100000   size of the generated community (10 replies per topic on average)
#   LOAD_ONLY=reply      run only the measurements whose name contains this
#   LOAD_SMAPS=out.txt   keep the server's memory map (/proc/PID/smaps) at the end
#   LOAD_PERF=out.data   record the server with `perf record -g` during those measurements
# Needs wrk (apt-get install wrk) and python3. Every wrk run is bounded by its duration.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
topics=${LOAD_TOPICS:-100000}
cargo build --release -q
bin=$PWD/target/release/kotae

dir=${LOAD_DIR:-}
if [ -z "$dir" ]; then
  dir=$(mktemp -d)
  cleanup_dir=$dir
fi
mkdir -p "$dir"
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work" ${cleanup_dir:+"$cleanup_dir"}' EXIT
export KOTAE_DATA_DIR=$dir KOTAE_RATE_LIMITS=off KOTAE_LOG=warn
db=$dir/kotae.db

if [ ! -f "$dir/generated" ]; then
  echo "== generating $topics topics into $dir"
  rm -rf "$dir"/*
  "$bin" migrate >/dev/null
  start=$(date +%s%N)
  "$bin" demo --topics "$topics"
  echo "generated in $(( ($(date +%s%N) - start) / 1000000 )) ms"
  touch "$dir/generated"
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export KOTAE_BIND=127.0.0.1:$port
base=http://127.0.0.1:$port
start=$(date +%s%N)
# (perf attached to a running process records nothing on some machines: it starts the server)
${LOAD_PERF:+perf record -e cpu-clock -F 499 ${LOAD_PERF_GRAPH:--g} -o "$LOAD_PERF" --} "$bin" serve >"$work/log" 2>&1 &
pid=$!
until curl -sf "$base/healthz" >/dev/null; do
  kill -0 $pid 2>/dev/null || { cat "$work/log"; exit 1; }
  sleep 0.002
done
startup_ms=$(( ($(date +%s%N) - start) / 1000000 ))

# What to ask for, read from the database: a visible topic with 50 replies, the busiest brand,
# open topics to reply to, members to sign in as, and search words from real titles.
python3 - "$db" "$work" <<'PY'
import random, sqlite3, sys, urllib.parse
db, work = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db)
rnd = random.Random(8)
topic = c.execute("""SELECT b.slug, t.id FROM topics t JOIN brands b ON b.id = t.brand_id
    WHERE NOT t.hidden AND t.duplicate_of IS NULL ORDER BY abs(t.reply_count - 50), t.id
    LIMIT 1""").fetchone()
brand = c.execute("""SELECT b.slug FROM topics t JOIN brands b ON b.id = t.brand_id
    GROUP BY b.slug ORDER BY count(*) DESC LIMIT 1""").fetchone()[0]
open(f"{work}/topic", "w").write(f"/brands/{topic[0]}/topics/{topic[1]}\n")
open(f"{work}/brand", "w").write(f"/brands/{brand}\n")
ids = [r[0] for r in c.execute("""SELECT id FROM topics WHERE NOT hidden AND NOT locked
    AND duplicate_of IS NULL ORDER BY random() LIMIT 2000""")]
open(f"{work}/reply-topics", "w").write("\n".join(map(str, ids)) + "\n")
members = [r[0] for r in c.execute("""SELECT username FROM users WHERE username LIKE 'm%'
    AND NOT site_admin ORDER BY id LIMIT 64""")]
open(f"{work}/members", "w").write("\n".join(members) + "\n")
queries = []
for (title,) in c.execute("SELECT title FROM topics ORDER BY random() LIMIT 400"):
    words = [w.strip(".,?!:;()\"'") for w in title.split()]
    words = [w for w in words if len(w) > 3]
    if len(words) >= 2:
        queries.append(" ".join(rnd.sample(words, rnd.choice([1, 2]))))
    elif title and not title.isascii():
        start = rnd.randrange(max(1, len(title) - 3))
        queries.append(title[start:start + rnd.choice([2, 3, 4])])
with open(f"{work}/searches", "w") as f:
    for q in queries[:100]:
        f.write("/api/v1/search?q=" + urllib.parse.quote(q) + "\n")
# 20,000 different searches from other titles' words: none is asked twice in a run, so no
# answer comes from the index's cache of recent answers
distinct = set()
for (title,) in c.execute("SELECT title FROM topics ORDER BY random() LIMIT 60000"):
    words = [w.strip(".,?!:;()\"'") for w in title.split()]
    words = [w for w in words if len(w) > 3]
    if len(words) >= 2:
        distinct.add(" ".join(rnd.sample(words, 2)))
    elif title and not title.isascii():
        start = rnd.randrange(max(1, len(title) - 3))
        distinct.add(title[start:start + rnd.choice([2, 3, 4])])
    if len(distinct) >= 20000:
        break
with open(f"{work}/searches-distinct", "w") as f:
    for q in sorted(distinct, key=lambda q: rnd.random()):
        f.write("/api/v1/search?q=" + urllib.parse.quote(q) + "\n")
PY
topic_path=$(cat "$work/topic")
brand_path=$(cat "$work/brand")
while read -r member; do
  curl -sf -H 'content-type: application/json' \
    -d "{\"login\":\"$member\",\"password\":\"kotae-demo-password\"}" "$base/api/v1/tokens" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
done <"$work/members" >"$work/tokens"
staff_token=$(curl -sf -H 'content-type: application/json' \
  -d '{"login":"dana","password":"kotae-demo-password"}' "$base/api/v1/tokens" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
css=$(curl -sf "$base/" | grep -o '/assets/app\.[0-9a-f]*\.css' | head -n 1)
replies=$(curl -sf "$base/api/v1/topics/${topic_path##*/}" 2>/dev/null |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["replies"]))' 2>/dev/null || echo "?")

results=()
measure() { # name connections url [script [header]]
  local name=$1 conns=$2 url=$3 script=${4:-tests/load/report.lua} header=${5:-X-Load: 1} line
  [[ $name == *"${LOAD_ONLY:-}"* ]] || return 0
  line=$(wrk -t2 -c"$conns" -d"${seconds}s" -H "$header" -s "$script" "$url" | grep '^RESULT') || {
    echo "wrk failed for $name" >&2
    exit 1
  }
  echo "$name ($conns connections): ${line#RESULT }"
  results+=("| $name | $conns | $(sed -E 's/RESULT rps=([0-9]+) p50=([0-9.]+) p99=([0-9.]+) max=[0-9.]+ requests=[0-9]+ errors=([0-9]+)/\1 | \2 ms | \3 ms | \4/' <<<"$line") |")
}

echo "== $(nproc) cores, ${seconds}s per measurement, data in $dir"
echo "topic page: $topic_path ($replies replies), brand page: $brand_path"
measure "static asset $css" 32 "$base$css"
measure "topic page" 32 "$base$topic_path"
measure "topic page, gzip (as browsers ask)" 32 "$base$topic_path" tests/load/report.lua "Accept-Encoding: gzip"
measure "brand page" 32 "$base$brand_path"
measure "home page" 32 "$base/"
LOAD_PATHS=$work/searches measure "search (API, 100 queries)" 8 "$base" tests/load/paths.lua
LOAD_PATHS=$work/searches-distinct LOAD_SPREAD=10007 \
  measure "search (API, 20,000 different queries, none repeated)" 8 "$base" tests/load/paths.lua
measure "staff queue, busiest brand, by priority (API, 50 rows)" 2 \
  "$base/api/v1/brands/${brand_path##*/}/queue?view=all&per_page=50" tests/load/report.lua \
  "Authorization: Bearer $staff_token"
LOAD_TOKENS=$work/tokens LOAD_TOPIC_IDS=$work/reply-topics \
  measure "posting a reply (API, 64 members)" 32 "$base" tests/load/replies.lua
LOAD_TOKENS=$work/tokens LOAD_TOPIC_IDS=$work/reply-topics LOAD_RATE=${LOAD_RATE:-500} \
  measure "posting a reply at 500/s (API, 64 members)" 32 "$base" tests/load/replies-paced.lua
server=$pid
[ -n "${LOAD_PERF:-}" ] && server=$(pgrep -P "$pid")
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
rss_anon_kib=$(awk '/RssAnon/ {print $2}' "/proc/$server/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$server/status")
[ -n "${LOAD_SMAPS:-}" ] && cp "/proc/$server/smaps" "$LOAD_SMAPS"
if [ -n "${LOAD_PERF:-}" ]; then
  kill -INT "$pid" && wait "$pid" || true
  pid=
fi

echo
echo "| request | connections | requests/s | p50 | p99 | errors |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${results[@]}"
echo
echo "start-up to first healthy answer: $startup_ms ms"
echo "peak memory (VmHWM) of the server: $(( rss_kib / 1024 )) MiB, of which now anonymous (not mapped files): $(( rss_anon_kib / 1024 )) MiB; $threads threads"
