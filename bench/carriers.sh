#!/usr/bin/env bash
# Measures the carriers of SPEC §5.2 (issue 13) in one session, on one machine:
#  - a cold sync of the same bundle from a folder (the baseline), a .tar.gz archive and a local
#    OCI registry (Debian's docker-registry on 127.0.0.1), interleaved run by run, with medians
#    and the ratio of each to the folder in the same run; beside the wall times, the CPU time
#    (user + system) of each sync and the registry's own CPU time during the registry's sync,
#    since on a small machine the registry's work shares the cores with the sync's; with
#    --split, the servers run on the last CPU and the cold syncs on the others, as if the
#    registry were on another host (each sync then has one core less, in every case alike);
#  - a no-change sync over HTTP from two mirrors and from the registry, counting the requests
#    each server logged;
#  - a publication to the registry of the same bundle with one file changed: blobs uploaded,
#    requests made, and the requests of the sync that follows.
#
#   bench/carriers.sh                          # 1000×1000, three runs
#   bench/carriers.sh --size 100x100 --runs 5
#   bench/carriers.sh --binary .build/debug/zephir-models
#   bench/carriers.sh --split --runs 7          # servers on their own CPU (needs 2 or more)
#
# Needs python3 (the web server) and docker-registry (apt install docker-registry).
set -euo pipefail
# Numbers with a decimal point, whatever the locale (a French LC_NUMERIC writes commas).
export LC_ALL=C
cd "$(dirname "$0")/.."
size=1000x1000 runs=3 binary="" split=no
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --binary) binary=$(readlink -f "$2"); shift 2 ;;
    --split) split=yes; shift ;;
    *) echo "usage: $0 [--size MODELSxVARIABLES] [--runs N] [--binary PATH] [--split]" >&2; exit 64 ;;
  esac
done
models=${size%x*} variables=${size#*x}
if [ -z "$binary" ]; then
  scratch=${ZEPHIR_BENCH_SCRATCH:-.build-release}
  swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product zephir-models >&2
  binary=$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)/zephir-models
fi
# --split: the servers (registry, web server) on the last CPU this script may use, the cold
# syncs on the others (the CPUs allowed here, which a cpuset or taskset may have narrowed).
read -r -a allowed <<< "$(python3 -c 'import os; print(*sorted(os.sched_getaffinity(0)))')"
if [ "$split" = yes ]; then
  [ "${#allowed[@]}" -ge 2 ] || { echo "--split needs at least 2 CPUs; this script may use ${#allowed[@]}" >&2; exit 69; }
  server_cpu=${allowed[-1]}
  client_cpus=$(IFS=,; echo "${allowed[*]:0:${#allowed[@]}-1}")
  # Arrays, not functions: a function run with & is a subshell, and $! must be the server.
  on_servers=(taskset -c "$server_cpu")
  on_client=(taskset -c "$client_cpus")
  placement="the cold syncs on CPU $client_cpus, the servers on CPU $server_cpu (--split)"
else
  on_servers=()
  on_client=()
  placement="the syncs and the servers sharing all ${#allowed[@]} CPUs"
fi
command -v docker-registry >/dev/null || { echo "docker-registry is not installed (apt install docker-registry)" >&2; exit 69; }
work=$(mktemp -d "${TMPDIR:-/tmp}/zephir-carriers.XXXXXX")
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
answers() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" >/dev/null 2>&1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "commit $(git -C "$OLDPWD" rev-parse --short HEAD 2>/dev/null || echo unknown), binary $binary" >&2
"$binary" keygen --out keys/eole >/dev/null
"$binary" fake generate tree --seed 7 --releases 1 --models "$models" --variables "$variables" >/dev/null
publish() { "$binary" publish "$1" --source eole --key keys/eole.key --version "$2" --expires 365d --out "$3" --json >/dev/null; }

# The registry, on a free port, logging every request; the blob descriptor cache is the one
# Debian's /etc/docker/registry/config.yml sets.
port=$(free_port)
cat > registry.yml <<YAML
version: 0.1
log: {level: info, formatter: text, accesslog: {disabled: false}}
storage: {filesystem: {rootdirectory: $work/registry}, cache: {blobdescriptor: inmemory}}
http: {addr: 127.0.0.1:$port, secret: bench}
YAML
"${on_servers[@]}" docker-registry serve registry.yml > registry.log 2>&1 & pids+=($!)
registry_pid=$!
for _ in $(seq 1 100); do answers "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
answers "http://127.0.0.1:$port/v2/" || { echo "the registry did not start:" >&2; cat registry.log >&2; exit 1; }
registry="oci+http://127.0.0.1:$port/zm/eole:bench"

# The same tree, version 1, on each carrier (and on two web mirrors).
publish tree 1 www/a/eole
mkdir -p www/b && cp -a www/a/eole www/b/eole
publish tree 1 eole.tar.gz
publish tree 1 "$registry"
http_port=$(free_port)
"${on_servers[@]}" python3 -m http.server "$http_port" --bind 127.0.0.1 --directory www > http.log 2>&1 & pids+=($!)
for _ in $(seq 1 100); do answers "http://127.0.0.1:$http_port/a/eole/index.json" && break; sleep 0.1; done
answers "http://127.0.0.1:$http_port/a/eole/index.json" || { echo "the web server did not start:" >&2; cat http.log >&2; exit 1; }

config() {  # config NAME URL-YAML
  cat > "config-$1.yml" <<YAML
database: sqlite:$work/db-$1/state.db
cache: $work/db-$1/cache
sources:
  - name: eole
    kind: eole
    url: $2
    priority: 100
    signature: {policy: required, keys: [$work/keys/eole.pub]}
YAML
}
config folder "file:$work/www/a/eole"
config archive "$work/eole.tar.gz"
config registry "$registry"
config mirrors "[http://127.0.0.1:$http_port/a/eole/, http://127.0.0.1:$http_port/b/eole/]"

# The CPU seconds (user + system) a process has used so far, from /proc.
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

cold() {  # cold NAME: "WALL CPU REGISTRY-CPU" seconds of a cold sync (empty database and cache)
  rm -rf "db-$1"; mkdir -p "db-$1"
  local r0 r1 times
  r0=$(cpu_of "$registry_pid")
  # A failed sync would give bogus, fast times: it stops the script, with its message.
  times=$( { TIMEFORMAT='%3R %3U %3S'; time "${on_client[@]}" "$binary" sync --config "config-$1.yml" --quiet >/dev/null 2>"err-$1"; } 2>&1 ) \
    || { echo "the sync from the $1 failed:" >&2; cat "err-$1" >&2; exit 1; }
  r1=$(cpu_of "$registry_pid")
  echo "$times" | awk -v r="$(awk "BEGIN {print $r1 - $r0}")" '{printf "%s %.2f %.2f\n", $1, $2 + $3, r}'
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

echo "cold sync of $size (seconds; interleaved, $runs runs each; $placement)"
echo "wall: the sync's elapsed time; cpu: its user + system time; server: the registry's own CPU time during its sync"
printf '%-6s %8s %8s %8s %9s %9s | %8s %8s %8s %8s\n' run folder archive registry arch/fold reg/fold "cpu fold" "cpu arch" "cpu reg" server
: > times
for i in $(seq 1 "$runs"); do
  # Not in $(…): a failed sync must stop the script.
  cold folder > last; read -r f fc _ < last
  cold archive > last; read -r a ac _ < last
  cold registry > last; read -r r rc rs < last
  printf '%-6s %8.2f %8.2f %8.2f %9.2f %9.2f | %8.2f %8.2f %8.2f %8.2f\n' "$i" "$f" "$a" "$r" \
    "$(awk "BEGIN {print $a / $f}")" "$(awk "BEGIN {print $r / $f}")" "$fc" "$ac" "$rc" "$rs"
  echo "$f $a $r $fc $ac $rc $rs" >> times
done
median_of() { awk -v c="$1" '{print $c}' times | median; }
mf=$(median_of 1) ma=$(median_of 2) mr=$(median_of 3) cf=$(median_of 4) ca=$(median_of 5) cr=$(median_of 6) rs=$(median_of 7)
printf '%-6s %8.2f %8.2f %8.2f %9.2f %9.2f | %8.2f %8.2f %8.2f %8.2f\n' median "$mf" "$ma" "$mr" \
  "$(awk "BEGIN {print $ma / $mf}")" "$(awk "BEGIN {print $mr / $mf}")" "$cf" "$ca" "$cr" "$rs"
echo "target: archive and registry within 1.3× of the folder"
echo "CPU of the sync against the folder's: archive $(awk "BEGIN {printf \"%.2f\", $ca / $cf}")×, registry $(awk "BEGIN {printf \"%.2f\", $cr / $cf}")×;" \
  "the registry itself used $rs s of CPU during its sync ($placement)"

requests() { grep -cE '"(GET|HEAD|POST|PUT|PATCH|DELETE) ' "$1" || true; }
echo
echo "no-change sync (requests each server logged)"
rm -rf db-mirrors; mkdir -p db-mirrors
"$binary" sync --config config-mirrors.yml --quiet >/dev/null
before_a=$(grep -c '"GET /a/' http.log || true) before_b=$(grep -c '"GET /b/' http.log || true)
"$binary" sync --config config-mirrors.yml --quiet >/dev/null
echo "  http, mirror a: $(( $(grep -c '"GET /a/' http.log) - before_a )) request(s); mirror b: $(( $(grep -c '"GET /b/' http.log) - before_b )) request(s)"
before=$(requests registry.log)
"$binary" sync --config config-registry.yml --quiet >/dev/null
sleep 0.5
echo "  registry: $(( $(requests registry.log) - before )) request(s)"

echo
echo "one file changed, published to the registry and synced"
file=$(cd tree && find releases -name 'module-0001.yml' -print -quit)
[ -n "$file" ] || file=$(cd tree && find releases -path '*servermodels*' -name '*.yml' -print -quit)
sed -i '0,/description: "/s//description: "Changed in version 2: /' "tree/$file"
before=$(requests registry.log)
"$binary" publish tree --source eole --key keys/eole.key --version 2 --expires 365d --out "$registry" --json > push.json
sleep 0.5
echo "  publish: $(( $(requests registry.log) - before )) request(s): $(python3 -c 'import json, sys; p = json.load(open("push.json")).get("push") or {}; print(", ".join("%s %s" % (k, v) for k, v in p.items() if k != "manifestDigest"))')"
before=$(requests registry.log)
"$binary" sync --config config-registry.yml --json > sync.json
sleep 0.5
echo "  sync: $(( $(requests registry.log) - before )) request(s); $(python3 -c 'import json; s = json.load(open("sync.json"))["sources"][0]; print("%s, %s file(s), %s bytes downloaded" % (s["result"], s.get("filesFetched"), s.get("bytesFetched")))')"
