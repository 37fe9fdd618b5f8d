#!/usr/bin/env bash
# The benchmark of docs/performance.md: builds the release `zephir-models` and
# `zephir-models-bench` in their own scratch folder (so that a debug build is never blocked),
# then times cold, no-change and one-model syncs against the peer and the floor.
#
#   bench/run.sh                  # 100×100 and 300×300, five runs each
#   bench/run.sh --large          # and 1000×1000, three runs
#   bench/run.sh --sizes 100x10000 --runs 3
#   bench/run.sh --store 'postgres://zm@127.0.0.1:5432/postgres?sslmode=disable'   # PostgreSQL
#
# Arguments go to zephir-models-bench (`--help` lists them). Needs python3-yaml for the peer;
# with --store, psql (postgresql-client) and psycopg 3 (python3-psycopg) for the peer too.
# The binaries are linked with the Swift runtime and Foundation inside (--static-swift-stdlib),
# as docs/operations.md installs them: the loader's share of a short sync drops from 19 % to 6 %.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${ZEPHIR_BENCH_SCRATCH:-.build-release}
swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product zephir-models >&2
swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product zephir-models-bench >&2
bin=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')" >&2
exec "$bin/zephir-models-bench" --binary "$bin/zephir-models" --peer ../shared/bench/peer_loader.py "$@"
