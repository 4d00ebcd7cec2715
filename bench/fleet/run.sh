#!/usr/bin/env bash
# Fleet telemetry ingest, end to end (issue 15): `aftercare simulate-fleet` posts a simulated
# fleet's telemetry (DEVICES pumps, DAYS days, one batch per device and hour: ~120 lines) to
# `aftercare serve --trust-device-time` over HTTP — on SQLite, then on PostgreSQL when
# AFTERCARE_BENCH_POSTGRES_URL is set — and then over MQTT 5 through a Mosquitto of its own
# (QoS 1, the server's shared subscription), timed until every line is stored.
#
#   cargo build --release -p aftercare && bench/fleet/run.sh [DEVICES [DAYS]]
#
# The simulator runs on the same two cores as the server (and, for MQTT, the broker): the
# figures are what one machine does with the load generator on it.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$PWD/target/release/aftercare"
devices="${1:-1000}"
days="${2:-1}"
work="$(mktemp -d /var/tmp/aftercare-fleet-bench.XXXXXX)"
export AFTERCARE_ADMIN_PASSWORD='bench-password-1'
pids=()
db=""
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "$db" ]; then psql "$AFTERCARE_BENCH_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; return 1; }

prepare() { # workspace args…
    "$bin" init "$@" >/dev/null
    "$bin" product add Pump "$@" >/dev/null
    "$bin" release add Pump 2.2.0 "$@" >/dev/null
    "$bin" release add Pump 2.2.1 "$@" >/dev/null
}

http_run() { # label, workspace args…
    local label="$1"; shift
    local port; port="$(free_port)"
    "$bin" serve --bind "127.0.0.1:$port" --trust-device-time --telemetry-rate 1000000 "$@" \
        >"$work/serve-$label.log" 2>&1 &
    pids+=("$!")
    wait_port "$port"
    # Registration first (not timed), with one day of nothing: a one-device, one-hour run.
    echo "== $label over HTTP: $devices devices, $days days"
    "$bin" simulate-fleet --devices "$devices" --days "$days" --seed 11 --product Pump \
        --release 2.2.0 --url "http://127.0.0.1:$port" --connections 4 \
        --tokens "$work/tokens-$label.csv" "$@" 2>&1 | tail -1
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
}

echo "== SQLite"
prepare --workspace "$work/sqlite"
http_run sqlite --workspace "$work/sqlite"

if [ -n "${AFTERCARE_BENCH_POSTGRES_URL:-}" ]; then
    db="aftercare_fleet_bench_$$"
    psql "$AFTERCARE_BENCH_POSTGRES_URL" -qc "CREATE DATABASE $db"
    url="${AFTERCARE_BENCH_POSTGRES_URL%/*}/$db"
    prepare --database-url "$url"
    http_run postgres --database-url "$url"
fi

echo "== SQLite over MQTT (Mosquitto of its own)"
broker_port="$(free_port)"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nmax_queued_messages 100000\n' \
    "$broker_port" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" &
pids+=("$!")
wait_port "$broker_port"
prepare --workspace "$work/mqtt"
port="$(free_port)"
"$bin" serve --bind "127.0.0.1:$port" --trust-device-time --telemetry-rate 1000000 \
    --mqtt "mqtt://127.0.0.1:$broker_port" --workspace "$work/mqtt" >"$work/serve-mqtt.log" 2>&1 &
pids+=("$!")
wait_port "$port"
sleep 1
start=$(date +%s%N)
"$bin" simulate-fleet --devices "$devices" --days "$days" --seed 11 --product Pump \
    --release 2.2.0 --mqtt "mqtt://127.0.0.1:$broker_port" --workspace "$work/mqtt" 2>&1 | tail -2
expected=$(python3 - "$work/mqtt/aftercare.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
last, still = -1, 0
while still < 20:
    n = db.execute("SELECT COUNT(*) FROM telemetry_events").fetchone()[0]
    still = still + 1 if n == last else 0
    last = n
    time.sleep(0.1)
print(last)
PY
)
end=$(date +%s%N)
# The stored count settled for 2 s; that wait is not part of the time.
ms=$(( (end - start) / 1000000 - 2000 ))
echo "MQTT: $expected lines stored in $ms ms ($(( expected * 1000 / (ms > 0 ? ms : 1) )) lines/s, from the first publish to the last commit)"
