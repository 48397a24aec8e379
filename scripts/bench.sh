#!/usr/bin/env bash
# Caseboard's benchmarks: they print figures, they assert nothing.
#   scripts/bench.sh [import|baseline|graph|all]   (default: all)
# import   — cb-events bench_import over the perf corpus (events/s, EVTX vs evtx_dump, search
#            p50/p95, peak RSS)
# baseline — the same JSON corpus through `jq -c .` and DuckDB `read_json_auto` in the same run
# graph    — the investigation-graph benchmark (generated 1M-event case, reused once built)
# env: PERF_DIR (default ../shared/data/perf), BENCH_TMP (default a fresh temp dir)
# Installs what it needs when missing: evtx_dump (cargo install evtx) and duckdb (pip, in
# .tools/venv). No network beyond the package registries at install time.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
PERF_DIR="${PERF_DIR:-../shared/data/perf}"
export PATH="$PWD/.tools/bin:$PATH"
tmp="${BENCH_TMP:-$(mktemp -d)}"
trap 'rm -rf "$tmp"' EXIT

if [ ! -d "$PERF_DIR" ]; then
  echo "perf corpus MISSING at $PERF_DIR — nothing measured (set PERF_DIR)"; exit 0
fi

need_evtx_dump() {
  command -v evtx_dump >/dev/null || {
    echo "bench: cargo install evtx (for evtx_dump)"
    cargo install evtx --locked --root .tools --quiet
  }
}
need_duckdb() {
  [ -x .tools/venv/bin/python ] || python3 -m venv .tools/venv
  .tools/venv/bin/python -c 'import duckdb' 2>/dev/null || .tools/venv/bin/pip install -q duckdb
}

# The JSON corpus as plain files (zip/gz members extracted), the form jq and DuckDB read.
extract_json() {
  local out="$tmp/json"
  mkdir -p "$out"
  local n=0
  while IFS= read -r -d '' f; do
    n=$((n + 1))
    case "$f" in
      *.zip) unzip -qq -o -d "$out/z$n" "$f" ;;
      *.gz) case "$f" in *.tar.gz) mkdir -p "$out/t$n"; tar -xzf "$f" -C "$out/t$n" ;;
                         *) gunzip -c "$f" >"$out/g$n.json" ;; esac ;;
      *.json | *.jsonl) cp "$f" "$out/j$n.json" ;;
    esac
  done < <(find "$PERF_DIR" -type f \( -name '*.zip' -o -name '*.gz' -o -name '*.json' -o -name '*.jsonl' \) -print0)
  # keep only files that are JSON documents or JSON lines
  find "$out" -type f ! -name '*.json' -print0 | while IFS= read -r -d '' f; do
    head -c 1 "$f" | grep -q '[[{]' && mv "$f" "$f.json" || rm -f "$f"
  done
  echo "$out"
}

baseline() {
  need_duckdb
  local dir; dir=$(extract_json)
  local files bytes
  files=$(find "$dir" -name '*.json' | wc -l)
  bytes=$(find "$dir" -name '*.json' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
  echo "== baseline: $files JSON files, $((bytes / 1048576)) MiB extracted"
  local s e
  s=$(date +%s.%N)
  find "$dir" -name '*.json' -print0 | xargs -0 -n 16 jq -c . >/dev/null 2>&1 || true
  e=$(date +%s.%N)
  printf 'jq -c . (reprint only)           %6.1f s\n' "$(echo "$e - $s" | bc)"
  s=$(date +%s.%N)
  .tools/venv/bin/python - "$dir" "$tmp/duck.db" <<'PY'
import duckdb, sys, glob
con = duckdb.connect(sys.argv[2])
files = sorted(glob.glob(sys.argv[1] + "/**/*.json", recursive=True))
con.execute("CREATE TABLE events AS SELECT * FROM read_json_auto(?, union_by_name=true, "
            "ignore_errors=true, maximum_object_size=268435456)", [files])
n = con.execute("SELECT count(*) FROM events").fetchone()[0]
print(f"duckdb rows loaded                {n}")
PY
  e=$(date +%s.%N)
  printf 'DuckDB read_json_auto into a file %6.1f s (%s MiB)\n' "$(echo "$e - $s" | bc)" "$(( $(stat -c %s "$tmp/duck.db") / 1048576 ))"
}

import_bench() {
  need_evtx_dump
  cargo build --release -q -p cb-events --example bench_import
  echo "== import (cb-events bench_import)"
  /usr/bin/time -f 'peak RSS (time -v) %M KB, wall %e s' target/release/examples/bench_import "$PERF_DIR"
}

graph_bench() {
  echo "== graph (cb-graph bench)"
  cargo run --release -q -p cb-graph --example bench
}

case "$what" in
  import) import_bench ;;
  baseline) baseline ;;
  graph) graph_bench ;;
  all) import_bench; baseline; graph_bench ;;
  *) echo "usage: scripts/bench.sh [import|baseline|graph|all]" >&2; exit 2 ;;
esac
