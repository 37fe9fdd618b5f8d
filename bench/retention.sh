#!/usr/bin/env bash
# Measures that history retention keeps the database flat (issue 11, SPEC §8): one source whose
# publisher alternates two contents under increasing versions, a sync after each publication,
# and the database's size printed every --every runs.
#
#   bench/retention.sh [--store sqlite | --store postgres://USER@HOST:PORT/DB] [--runs 1000] [--keep 100]
#                      [--every 100] [--binary PATH]
#
# SQLite: the database file plus its WAL. PostgreSQL: the total size of the tables of a schema
# of its own (dropped at the end), after a VACUUM, as autovacuum would leave them.
set -euo pipefail
cd "$(dirname "$0")/.."
store=sqlite runs=1000 keep=100 every=100 binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --store) store=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --every) every=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    *) echo "usage: $0 [--store sqlite|postgres://…] [--runs N] [--keep N] [--every N] [--binary PATH]" >&2; exit 64 ;;
  esac
done
if [ -z "$binary" ]; then
  swift build -c release --product zephir-models >/dev/null
  binary=$(swift build -c release --show-bin-path)/zephir-models
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/zephir-retention.XXXXXX")
schema="zm_retention_$$"
cleanup() {
  [ "$store" != sqlite ] && psql -X -q "$store" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
"$binary" fake generate a --seed 1 --releases 1 --models 20 --variables 50 >/dev/null
"$binary" fake generate b --seed 2 --releases 1 --models 20 --variables 50 >/dev/null
"$binary" keygen --out keys/eole >/dev/null
if [ "$store" = sqlite ]; then
  database="sqlite:state.db"
else
  sep='?'; case "$store" in *\?*) sep='&' ;; esac
  database="\"$store${sep}schema=$schema\""
fi
cat > config.yml <<YAML
database: $database
cache: cache
history: {keep_runs: $keep}
sources:
  - name: eole
    kind: eole
    url: file:bundle
    priority: 100
    signature: {policy: required, keys: [keys/eole.pub]}
YAML
size() {
  if [ "$store" = sqlite ]; then
    stat -c %s state.db state.db-wal 2>/dev/null | awk '{s += $1} END {print s}'
  else
    psql -X -q -A -t "$store" -c "VACUUM" >/dev/null 2>&1 || true
    psql -X -q -A -t "$store" -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$schema' AND c.relkind = 'r'"
  fi
}
echo "runs  database bytes  (store: ${store%%@*}…, keep_runs: $keep)"
for i in $(seq 1 "$runs"); do
  tree=a; [ $((i % 2)) -eq 0 ] && tree=b
  "$binary" publish "$tree" --source eole --key keys/eole.key --version "$i" --expires 30d --out bundle >/dev/null
  "$binary" sync --config config.yml --quiet >/dev/null || { echo "sync $i failed" >&2; exit 1; }
  if [ $((i % every)) -eq 0 ]; then printf '%5d  %s\n' "$i" "$(size)"; fi
done
