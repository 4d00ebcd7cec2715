#!/usr/bin/env bash
# `rollout create` + `rollout start` over DEVICES registered devices (default 100,000) on
# PostgreSQL, as run.sh measures them on SQLite: each a whole CLI process of the release
# build, three runs, each on a fresh copy of the prepared database.
#
# The demo is a directory workspace, so the PostgreSQL workspace is built through the CLI from
# the demo's own data: its advisories (a local OSV feed), the pump's 2.1.0 and 2.2.0 SBOMs, a
# remediation plan for CVE-2021-32714, the patch release 2.2.1 with its evidence and signed
# approval (so that the approval gate clears it), then DEVICES pumps on 2.2.0 imported from a
# CSV file, all tagged `bench`. Each run copies that database (`CREATE DATABASE … TEMPLATE`, the
# counterpart of run.sh's `cp -r sqlite copy`).
#
# usage: AFTERCARE_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/NAME \
#        bench/ddi/rollout-postgres.sh [DEVICES]
# NAME must not exist (it is created, with NAME_run1..3 beside it, and all are dropped at the
# end; AFTERCARE_BENCH_KEEP=1 keeps them, to look at the queries with EXPLAIN). Needs psql,
# python3; builds the release binary (in $CARGO_TARGET_DIR if set).
set -euo pipefail
cd "$(dirname "$0")/../.."
devices="${1:-100000}"
url="${AFTERCARE_BENCH_POSTGRES_URL:?name a database that does not exist yet}"
server="${url%/*}"
name="${url##*/}"
nice -n 19 cargo build --release -q -p aftercare
bin="${CARGO_TARGET_DIR:-$PWD/target}/release/aftercare"
work="$(mktemp -d /var/tmp/aftercare-rollout-pg-bench.XXXXXX)"
cd "$work"
pump="VitaFlow IP-300 infusion pump"
admin_db="$server/postgres"
cleanup() {
    for db in "$name" "${name}_run1" "${name}_run2" "${name}_run3"; do
        psql "$admin_db" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
    done
}
[ -n "${AFTERCARE_BENCH_KEEP:-}" ] || trap cleanup EXIT
echo "workspace files: $work; $devices devices; database $name"

psql "$admin_db" -qc "CREATE DATABASE \"$name\""
pg=(--database-url "$url")
export AFTERCARE_ADMIN_PASSWORD="bench-password-1234"
export AFTERCARE_SIGNER_PASSWORD="$AFTERCARE_ADMIN_PASSWORD"

"$bin" demo --no-serve --workspace demo >/dev/null 2>&1
for version in 2.1.0 2.2.0 2.2.1; do
    "$bin" release sbom "$pump" "$version" --workspace demo -o "pump-$version.json"
done
"$bin" init "${pg[@]}" >/dev/null
"$bin" feed add demo --kind osv --path "$PWD/demo/demo-advisories" "${pg[@]}" >/dev/null
"$bin" feed sync demo "${pg[@]}" >/dev/null 2>&1
"$bin" product add "$pump" "${pg[@]}" >/dev/null
for version in 2.1.0 2.2.0; do
    "$bin" release add "$pump" "$version" --sbom "pump-$version.json" "${pg[@]}" >/dev/null
done
plan=$("$bin" plan create "$pump" --vulnerability CVE-2021-32714 --target 2.2.1 \
    --cycle out_of_cycle --owner admin --change-request "CR-2291=https://qms.example/change-requests/2291" \
    --format json "${pg[@]}" | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
"$bin" release add "$pump" 2.2.1 --sbom pump-2.2.1.json --patch-for "$plan" "${pg[@]}" >/dev/null
evidence() { # kind, title, executed by, extra args…
    local kind="$1" title="$2" by="$3"
    shift 3
    "$bin" patch evidence add "$pump@2.2.1" --kind "$kind" --title "$title" --result pass \
        --executed-by "$by" --executed-on "$(TZ=America/New_York date +%F)" "$@" "${pg[@]}" >/dev/null
}
evidence impact_assessment "Impact of hyper 0.14.28" "Iris Impact" --safety-affected no \
    --verification-rerun VER-NET-12 --regulatory-path letter_to_file \
    --rationale "A patch release of the HTTP stack; no change to the infusion controller."
evidence verification "VER-NET-12 HTTP stack verification" "Vera Verifier"
evidence regression "Full firmware regression suite" "Vera Verifier"
evidence validation "Simulated-use validation on the ward test bench" "Quinn Quality"
"$bin" patch approve "$pump@2.2.1" "${pg[@]}" >/dev/null

python3 - "$devices" > fleet.csv <<'PY'
import sys
n = int(sys.argv[1])
print("controller_id,serial,product,release,tags,client")
for i in range(n):
    print(f"bench-{i:06},BENCH-{i:06},VitaFlow IP-300 infusion pump,2.2.0,bench,swupdate")
PY
start=$(date +%s%N)
"$bin" device import fleet.csv --tokens-out tokens.csv "${pg[@]}" >/dev/null
end=$(date +%s%N)
echo "device import of $devices: $(( (end - start) / 1000000 )) ms"

echo "== rollout create + start over $devices devices (PostgreSQL, 3 fresh copies)"
for run in 1 2 3; do
    copy="${name}_run$run"
    psql "$admin_db" -qc "CREATE DATABASE \"$copy\" TEMPLATE \"$name\""
    copy_pg=(--database-url "$server/$copy")
    start=$(date +%s%N)
    "$bin" rollout create bench --release "$pump@2.2.1" --filter "tag=bench" --waves "1%,10%,100%" "${copy_pg[@]}" >/dev/null
    mid=$(date +%s%N)
    "$bin" rollout start bench "${copy_pg[@]}" >/dev/null
    end=$(date +%s%N)
    echo "run $run: create $(( (mid - start) / 1000000 )) ms, start $(( (end - mid) / 1000000 )) ms (each a whole CLI process)"
done
