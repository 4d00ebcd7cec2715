#!/usr/bin/env bash
# DDI benchmarks of issue 14, on the release build, on this machine:
#  1. base polls of DEVICES registered devices (default 100,000), each request from the next
#     device with its own token, for SECONDS (default 60) with wrk (Debian's `wrk`), 2 threads,
#     64 connections; SQLite, and PostgreSQL when AFTERCARE_BENCH_POSTGRES_URL names an empty
#     database;
#  2. creating and starting a rollout over all of them (three runs on copies of the workspace);
#  3. downloading a 1 GiB artifact by 4 clients at once over DDI, with the server's RSS before
#     and after.
# usage: bench/ddi/run.sh [DEVICES [SECONDS]]   (needs wrk, curl; builds target/release/aftercare)
set -euo pipefail
cd "$(dirname "$0")/../.."
devices="${1:-100000}"
seconds="${2:-60}"
cargo build --release -q -p aftercare
bin="$PWD/target/release/aftercare"
lua="$PWD/bench/ddi/poll.lua"
work="$(mktemp -d /var/tmp/aftercare-ddi-bench.XXXXXX)"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
cd "$work"
pump="VitaFlow IP-300 infusion pump"
echo "workspace: $work; $devices devices; $seconds s of polls"

python3 - "$devices" > fleet.csv <<'PY'
import sys
n = int(sys.argv[1])
print("controller_id,serial,product,release,tags,client")
for i in range(n):
    print(f"bench-{i:06},BENCH-{i:06},VitaFlow IP-300 infusion pump,2.2.0,bench,swupdate")
PY

prepare() { # $1: workspace args
    "$bin" demo --no-serve $1 >/dev/null 2>&1
    local start end
    start=$(date +%s%N)
    "$bin" device import fleet.csv --tokens-out tokens.csv $1 >/dev/null
    end=$(date +%s%N)
    echo "device import of $devices: $(( (end - start) / 1000000 )) ms"
}

serve_and_poll() { # $1: workspace args, $2: label
    "$bin" serve $1 --bind 127.0.0.1:18089 --rollout-tick-seconds 5 2>serve.log &
    local server=$!
    for _ in $(seq 1 100); do grep -q "serving" serve.log && break; sleep 0.1; done
    wrk -t2 -c64 -d"${seconds}s" --latency -s "$lua" http://127.0.0.1:18089 -- "$work/tokens.csv" \
        | tee "wrk-$2.txt" | grep -E "requests|Requests/sec|99%"
    kill -TERM $server; wait $server 2>/dev/null || true
}

echo "== SQLite"
rm -f tokens.csv
prepare "--workspace sqlite"
serve_and_poll "--workspace sqlite" sqlite

echo "== rollout create + start over $devices devices (SQLite, 3 fresh copies)"
for run in 1 2 3; do
    rm -rf copy && cp -r sqlite copy
    start=$(date +%s%N)
    "$bin" rollout create bench --release "$pump@2.2.1" --filter "tag=bench" --waves "1%,10%,100%" --workspace copy >/dev/null
    mid=$(date +%s%N)
    "$bin" rollout start bench --workspace copy >/dev/null
    end=$(date +%s%N)
    echo "run $run: create $(( (mid - start) / 1000000 )) ms, start $(( (end - mid) / 1000000 )) ms (each a whole CLI process)"
done

echo "== 1 GiB artifact, 4 clients over DDI (SQLite)"
rm -rf dl && cp -r sqlite dl
head -c 1073741824 /dev/urandom > big.bin
"$bin" artifact add "$pump@2.2.1" big.bin --workspace dl >/dev/null
"$bin" rollout create dl --release "$pump@2.2.1" --filter "tag=bench" --waves "4,all" --workspace dl >/dev/null
"$bin" rollout start dl --workspace dl >/dev/null
"$bin" serve --workspace dl --bind 127.0.0.1:18090 2>serve-dl.log &
server=$!
for _ in $(seq 1 100); do grep -q "serving" serve-dl.log && break; sleep 0.1; done
release_id=$("$bin" release list --workspace dl --format json | python3 -c "import json,sys; print([r['id'] for r in json.load(sys.stdin) if r['version']=='2.2.1' and r['product'].startswith('VitaFlow')][0])")
rss() { awk '/VmRSS/ {print $2}' /proc/$server/status; }
before=$(rss)
start=$(date +%s%N)
for i in 0 1 2 3; do
    line=$(sed -n "$((i + 2))p" tokens.csv)
    id=${line%%,*}; token=${line#*,}
    curl -s -o /dev/null -H "Authorization: TargetToken $token" \
        "http://127.0.0.1:18090/DEFAULT/controller/v1/$id/softwaremodules/$release_id/artifacts/big.bin" &
done
peak=0
while [ "$(jobs -r | wc -l)" -gt 1 ]; do now=$(rss); [ "$now" -gt "$peak" ] && peak=$now; sleep 0.05; done
wait $(jobs -p | grep -v "^$server$") 2>/dev/null || true
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
echo "4 × 1 GiB in $ms ms: $(( 4 * 1024 * 1000 / ms )) MiB/s; RSS before $((before / 1024)) MiB, peak $((peak / 1024)) MiB"
kill -TERM $server; wait $server 2>/dev/null || true

if [ -n "${AFTERCARE_BENCH_POSTGRES_URL:-}" ]; then
    # The demo is a directory workspace; polls need only the product, its release and the
    # devices, so the PostgreSQL workspace is initialized by hand.
    echo "== PostgreSQL"
    rm -f tokens.csv
    pg="--database-url $AFTERCARE_BENCH_POSTGRES_URL"
    AFTERCARE_ADMIN_PASSWORD="bench-password-1234" "$bin" init $pg >/dev/null
    "$bin" product add "$pump" $pg >/dev/null
    "$bin" release add "$pump" 2.2.0 $pg >/dev/null
    start=$(date +%s%N)
    "$bin" device import fleet.csv --tokens-out tokens.csv $pg >/dev/null
    end=$(date +%s%N)
    echo "device import of $devices: $(( (end - start) / 1000000 )) ms"
    AFTERCARE_ARTIFACT_DIR="$work/pg-artifacts" serve_and_poll "$pg" postgres
fi
