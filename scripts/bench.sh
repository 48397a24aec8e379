#!/usr/bin/env bash
# Caseboard's side-by-side benchmark: it prints figures, it asserts nothing.
#   scripts/bench.sh [import|search|graph|all|synthetic|pane]   (default: all)
# import    — interleaved rounds over the same extracted JSON files: `caseboard import` vs
#             `jq -c .` vs DuckDB `read_json_auto` into a file; then the EVTX files:
#             `caseboard import` vs `evtx_dump -o jsonl`. Wall time (min and median per tool),
#             events/s, case size vs raw bytes, bytes written during the import (the
#             process's write_bytes, via `/usr/bin/time` %O), peak RSS, and the ratios.
# search    — the query set as whole `caseboard search` processes (p50/p95, totals) and
#             the same words with `rg` over the extracted files (needs the import step's case)
# graph     — on the corpus case: listing a hub's queries with counts, expanding one page,
#             and `path` between hub pairs (p50/p95, paths missed although a 2-step path
#             exists)
# synthetic — the investigation-graph benchmark (generated 1M-event case, cb-graph bench)
# pane      — the property pane and Timeline of the busiest host (issue 12, < 300 ms p95) on
#             the realcase e2e's case, built from fixtures/ (cb-api example bench_pane; debug
#             build, as the e2e window; PANE_PROFILE=release for the release build)
# env: PERF_DIR (default ../shared/data/perf), BENCH_LIMIT (use N evidence files spread over
#      the corpus, for quick iterations), ROUNDS (default 3), BENCH_TMP (scratch dir on disk,
#      default a fresh temp dir; kept when given), CB (a caseboard binary, default the release
#      build, built here).
# Installs what it needs when missing: evtx_dump (cargo install evtx into .tools) and duckdb
# (pip, in .tools/venv); rg (Debian's ripgrep package, apt-get). No network beyond the package
# registries at install time.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
PERF_DIR="${PERF_DIR:-../shared/data/perf}"
ROUNDS="${ROUNDS:-3}"
BENCH_LIMIT="${BENCH_LIMIT:-0}"
export PATH="$PWD/.tools/bin:$PATH"
if [ -n "${BENCH_TMP:-}" ]; then
  tmp="$BENCH_TMP"; mkdir -p "$tmp"
else
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/cb-bench.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
fi

if [ "$what" != synthetic ] && [ "$what" != pane ] && [ ! -d "$PERF_DIR" ]; then
  echo "perf corpus MISSING at $PERF_DIR — nothing measured (set PERF_DIR)"; exit 0
fi

need_cb() {
  if [ -z "${CB:-}" ]; then
    cargo build --release -q -p cb-cli
    CB="$PWD/target/release/caseboard"
  fi
}
need_evtx_dump() {
  command -v evtx_dump >/dev/null || {
    echo "bench: cargo install evtx (for evtx_dump) into .tools"
    cargo install evtx --locked --root .tools --quiet || echo "bench: evtx_dump could NOT be installed"
  }
}
have_duckdb=0
need_duckdb() {
  [ -x .tools/venv/bin/python ] || python3 -m venv .tools/venv
  .tools/venv/bin/python -c 'import duckdb' 2>/dev/null || .tools/venv/bin/pip install -q duckdb ||
    echo "bench: duckdb could NOT be installed (pip): no DuckDB figures"
  .tools/venv/bin/python -c 'import duckdb' 2>/dev/null && have_duckdb=1 || true
}

# Evidence files of the corpus, sorted; with BENCH_LIMIT=N, N of them spread evenly.
pick() {
  local list; list=$(find "$PERF_DIR" -type f \( "$@" \) | LC_ALL=C sort)
  local n; n=$(printf '%s\n' "$list" | grep -c . || true)
  if [ "$BENCH_LIMIT" -gt 0 ] && [ "$n" -gt "$BENCH_LIMIT" ]; then
    printf '%s\n' "$list" | awk -v n="$n" -v k="$BENCH_LIMIT" 'int((NR - 1) * k / n) != int(NR * k / n)'
  else
    printf '%s\n' "$list"
  fi
}

# The JSON corpus as plain files (zip/gz members extracted), the form jq and DuckDB read and
# caseboard imports; extracted once per BENCH_TMP.
extract_json() {
  local out="$tmp/json"
  [ -f "$tmp/json.done" ] && return
  rm -rf "$out"; mkdir -p "$out"
  local n=0
  while IFS= read -r f; do
    n=$((n + 1))
    case "${f,,}" in
      *.zip) unzip -qq -o -d "$out/z$n" "$f" ;;
      *.tar.gz) mkdir -p "$out/t$n"; tar -xzf "$f" -C "$out/t$n" ;;
      *.gz) gunzip -c "$f" >"$out/g$n.json" ;;
      *.json | *.jsonl) cp "$f" "$out/j$n.json" ;;
    esac 2>/dev/null || echo "bench: $f is damaged: what could be extracted is kept"
  done < <(pick -iname '*.zip' -o -iname '*.gz' -o -iname '*.json' -o -iname '*.jsonl')
  # keep only files that are JSON documents or JSON lines, all named *.json
  find "$out" -type f ! -name '*.json' -print0 | while IFS= read -r -d '' f; do
    if head -c 1 "$f" | grep -q '[[{]'; then mv "$f" "$f.json"; else rm -f "$f"; fi
  done
  find "$out" -type f -name '*.json' -size 0 -delete
  touch "$tmp/json.done"
}

# run NAME CMD...: one timed run; appends "NAME wall_s peak_kb written_bytes" to $tmp/runs
run() {
  local name="$1"; shift
  /usr/bin/time -f '%e %M %O' -o "$tmp/time.out" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" ||
    { echo "  $name FAILED (exit $?): $(tail -3 "$tmp/$name.err")"; }
  local e m o; read -r e m o < <(tail -1 "$tmp/time.out")
  echo "$name $e $m $((o * 512))" >>"$tmp/runs"
  printf '  %-22s %8.2f s  peak %6.0f MB  wrote %7.0f MB\n' "$name" "$e" "$((m / 1024))" "$((o * 512 / 1048576))"
}

# fig NAME COL: min and median of a column of $tmp/runs for NAME (2 wall, 3 peak, 4 written)
fig() {
  awk -v n="$1" -v c="$2" '$1 == n {print $c}' "$tmp/runs" | sort -g |
    awk '{v[NR] = $1} END {if (NR == 0) {print "nan nan"; exit}
      m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print v[1], m, v[NR]}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b + 0 > 0) printf "%.2f", a / b; else print "n/a"}'; }

sqlite_count() { sqlite3 -readonly "$1" "$2" 2>/dev/null || echo 0; }

case_bytes() { # the case file plus what its WAL still holds (a closed case has none)
  local b=0 f
  for f in "$1" "$1-wal"; do [ -f "$f" ] && b=$((b + $(stat -c %s "$f"))); done
  echo "$b"
}

import_bench() {
  need_cb; need_evtx_dump; need_duckdb; extract_json
  : >"$tmp/runs"
  local files bytes
  files=$(find "$tmp/json" -name '*.json' | wc -l)
  bytes=$(find "$tmp/json" -name '*.json' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
  echo "== import: $files JSON files, $((bytes / 1048576)) MiB extracted, $ROUNDS interleaved rounds"
  local duck_py="$tmp/duck.py"
  cat >"$duck_py" <<'PY'
import duckdb, sys, glob
con = duckdb.connect(sys.argv[2])
files = sorted(glob.glob(sys.argv[1] + "/**/*.json", recursive=True))
con.execute("CREATE TABLE events AS SELECT * FROM read_json_auto(?, union_by_name=true, "
            "ignore_errors=true, maximum_object_size=268435456)", [files])
print(con.execute("SELECT count(*) FROM events").fetchone()[0])
PY
  local r
  for r in $(seq 1 "$ROUNDS"); do
    echo " round $r"
    rm -f "$tmp/case.cb" "$tmp/case.cb-wal" "$tmp/case.cb-shm" "$tmp/duck.db"
    run caseboard "$CB" import "$tmp/case.cb" "$tmp/json"
    find "$tmp/json" -name '*.json' -print0 >"$tmp/files0"
    run jq sh -c "xargs -0 -n 16 jq -c . <'$tmp/files0' >/dev/null 2>&1; true"
    [ "$have_duckdb" = 1 ] && run duckdb .tools/venv/bin/python "$duck_py" "$tmp/json" "$tmp/duck.db"
  done
  local events duck_rows case_b
  events=$(sqlite_count "$tmp/case.cb" "SELECT count(*) FROM events")
  duck_rows=$(cat "$tmp/duckdb.out" 2>/dev/null || echo n/a)
  case_b=$(case_bytes "$tmp/case.cb")
  read -r cmin cmed cmax < <(fig caseboard 2)
  read -r jmin jmed _ < <(fig jq 2)
  read -r dmin dmed _ < <(fig duckdb 2)
  read -r _ _ peak < <(fig caseboard 3)
  read -r wmin _ _ < <(fig caseboard 4)
  printf '%-34s %9s %9s %10s\n' "JSON corpus" "min s" "median s" "events/s"
  printf '%-34s %9.2f %9.2f %10.0f\n' "caseboard import" "$cmin" "$cmed" "$(awk -v e="$events" -v t="$cmin" 'BEGIN {print e / t}')"
  printf '%-34s %9.2f %9.2f %10.0f\n' "jq -c . (reprint only)" "$jmin" "$jmed" "$(awk -v e="$events" -v t="$jmin" 'BEGIN {print e / t}')"
  [ "$have_duckdb" = 1 ] && printf '%-34s %9.2f %9.2f %10.0f  (%s rows, %s MiB)\n' "DuckDB read_json_auto into a file" "$dmin" "$dmed" \
    "$(awk -v e="$events" -v t="$dmin" 'BEGIN {print e / t}')" "$duck_rows" "$(( $(stat -c %s "$tmp/duck.db") / 1048576 ))"
  echo "events stored: $events"
  echo "ratio caseboard / jq -c .     $(ratio "$cmin" "$jmin")   (goal <= 0.33)"
  echo "ratio caseboard / DuckDB      $(ratio "$cmin" "$dmin")   (goal <= 1.0)"
  echo "case / raw bytes              $(ratio "$case_b" "$bytes")   (goal <= 0.6; case $((case_b / 1048576)) MiB)"
  echo "bytes written / case size     $(ratio "$wmin" "$case_b")   (goal <= 2.0; wrote $((wmin / 1048576)) MiB)"
  echo "peak RSS                      $((peak / 1024)) MB   (goal < 500 MB)"

  # EVTX
  local evtx; evtx=$(pick -iname '*.evtx')
  if [ -z "$evtx" ]; then echo "== EVTX: no .evtx files in the corpus"; return; fi
  mapfile -t evtx_files <<<"$evtx"
  echo "== EVTX: ${#evtx_files[@]} files, $(( $(du -cb "${evtx_files[@]}" | tail -1 | cut -f1) / 1048576 )) MiB, $ROUNDS interleaved rounds"
  for r in $(seq 1 "$ROUNDS"); do
    echo " round $r"
    rm -f "$tmp/evtx.cb" "$tmp/evtx.cb-wal" "$tmp/evtx.cb-shm"
    run caseboard_evtx "$CB" import "$tmp/evtx.cb" "${evtx_files[@]}"
    if command -v evtx_dump >/dev/null; then
      run evtx_dump sh -c 'for f; do evtx_dump -o jsonl "$f" >/dev/null 2>&1; done; true' sh "${evtx_files[@]}"
    fi
  done
  read -r emin emed _ < <(fig caseboard_evtx 2)
  read -r xmin xmed _ < <(fig evtx_dump 2)
  printf '%-34s %9.2f %9.2f   (%s events)\n' "caseboard import (EVTX)" "$emin" "$emed" "$(sqlite_count "$tmp/evtx.cb" "SELECT count(*) FROM events")"
  command -v evtx_dump >/dev/null && printf '%-34s %9.2f %9.2f\n' "evtx_dump -o jsonl" "$xmin" "$xmed"
  echo "ratio caseboard / evtx_dump   $(ratio "$emin" "$xmin")   (goal <= 1.5)"
}

# The query set: every kind of term the query language has.
QUERIES=(
  'mimikatz' '"lsass.exe"' 'EventID:4688' 'eventid:4624 LogonType:10' 'host:msticalertswin1'
  'ip:10.0.1.4' 'user:pgustavo*' 'powershell AND NOT svchost' '(wmic OR psexec) AND source:Sysmon'
  'TargetUserName:admin*' 'CommandLine:whoami*' 'zeek.dns OR zeek.http'
  'source:SigninLogs ResultType:50126' 'process:cmd.exe' 'file:powershell.exe' 'hash:3c*'
  '"Network connection detected"' 'rundll32 source:Sysmon' 'dns:microsoft.com' 'severity>=medium'
  'attack-pattern' 'DestinationPort:3389' 'NOT Sysmon conhost' 'QueryName:www*'
)

pcts() { # p50 and p95 (ms) of the numbers in a file
  sort -g "$1" | awk '{v[NR] = $1} END {i50 = int((NR - 1) * 0.5 + 0.5) + 1; i95 = int((NR - 1) * 0.95 + 0.5) + 1;
    printf "p50 %.1f ms, p95 %.1f ms (%d runs)", v[i50] * 1000, v[i95] * 1000, NR}'
}

search_bench() {
  need_cb
  local case="$tmp/case.cb"
  [ -f "$case" ] || { echo "== search: no corpus case (run the import step first with the same BENCH_TMP)"; return; }
  echo "== search: ${#QUERIES[@]} queries x $ROUNDS as whole \`caseboard search\` processes"
  : >"$tmp/search.times"
  local q r s e best t total
  for q in "${QUERIES[@]}"; do
    best=999
    for r in $(seq 1 "$ROUNDS"); do
      # only the caseboard process is timed (its answer is read by jq afterwards)
      s=$(date +%s.%N)
      "$CB" search "$case" "$q" --limit 50 --json >"$tmp/search.json" 2>/dev/null || echo '{}' >"$tmp/search.json"
      e=$(date +%s.%N)
      total=$(jq -r '.total // "error"' "$tmp/search.json" 2>/dev/null || echo error)
      t=$(echo "$e - $s" | bc)
      echo "$t" >>"$tmp/search.times"
      best=$(awk -v a="$t" -v b="$best" 'BEGIN {print (a < b) ? a : b}')
    done
    printf '  %-40s %9s hits %8.1f ms\n' "$q" "$total" "$(echo "$best * 1000" | bc)"
  done
  echo "search $(pcts "$tmp/search.times")   (goal p95 < 50 ms)"
  command -v rg >/dev/null || {
    echo "bench: installing ripgrep (Debian package) for the rg comparison"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ripgrep >/dev/null 2>&1 ||
      echo "bench: ripgrep could NOT be installed"
  }
  if command -v rg >/dev/null && [ -d "$tmp/json" ]; then
    : >"$tmp/rg.times"
    for q in mimikatz lsass.exe whoami rundll32 powershell conhost; do
      s=$(date +%s.%N)
      rg -c -i -F "$q" "$tmp/json" >/dev/null 2>&1 || true
      e=$(date +%s.%N)
      echo "$e - $s" | bc >>"$tmp/rg.times"
    done
    echo "rg -c -i -F over the extracted files (6 words) $(pcts "$tmp/rg.times")"
  else
    echo "rg not on PATH (apt-get install ripgrep): no rg comparison"
  fi
}

graph_bench() {
  need_cb
  local case="$tmp/case.cb"
  [ -f "$case" ] || { echo "== graph: no corpus case (run the import step first with the same BENCH_TMP)"; return; }
  # hubs: the entities with the most relations
  mapfile -t hubs < <(sqlite3 -readonly "$case" "SELECT n FROM (SELECT dst AS n FROM relations WHERE dst LIKE 'entity:%' UNION ALL SELECT src FROM relations WHERE src LIKE 'entity:%') GROUP BY n ORDER BY count(*) DESC LIMIT 7")
  echo "== graph on the corpus case: ${#hubs[@]} hubs ($(sqlite3 -readonly "$case" "SELECT group_concat(c, ', ') FROM (SELECT count(*) AS c FROM relations r, (SELECT n FROM (SELECT dst AS n FROM relations WHERE dst LIKE 'entity:%' UNION ALL SELECT src FROM relations WHERE src LIKE 'entity:%') GROUP BY n ORDER BY count(*) DESC LIMIT 7) h WHERE r.src = h.n OR r.dst = h.n GROUP BY h.n ORDER BY 1 DESC)") relations)"
  : >"$tmp/list.times"; : >"$tmp/page.times"; : >"$tmp/path.times"
  local h r s e q
  for h in "${hubs[@]}"; do
    for r in $(seq 1 "$ROUNDS"); do
      s=$(date +%s.%N); "$CB" expand "$case" "$h" >"$tmp/queries.json" 2>/dev/null || true; e=$(date +%s.%N)
      echo "$e - $s" | bc >>"$tmp/list.times"
      q=$(jq -r '[.queries[] | select(.count > 0)][0].id // empty' "$tmp/queries.json" 2>/dev/null || true)
      [ -n "$q" ] || continue
      s=$(date +%s.%N); "$CB" expand "$case" "$h" --query "$q" --limit 50 >/dev/null 2>&1 || true; e=$(date +%s.%N)
      echo "$e - $s" | bc >>"$tmp/page.times"
    done
  done
  echo "hub: list queries with counts $(pcts "$tmp/list.times")   (goal p95 < 100 ms)"
  echo "hub: expand one page (50)     $(pcts "$tmp/page.times")   (goal p95 < 100 ms)"
  local i j a b misses=0 pairs=0 found=0 two
  for i in "${!hubs[@]}"; do
    for j in "${!hubs[@]}"; do
      [ "$i" -lt "$j" ] || continue
      a=${hubs[$i]}; b=${hubs[$j]}; pairs=$((pairs + 1))
      s=$(date +%s.%N); "$CB" path "$case" "$a" "$b" >"$tmp/path.json" 2>/dev/null || true; e=$(date +%s.%N)
      echo "$e - $s" | bc >>"$tmp/path.times"
      if jq -e '(.nodes // .path // []) | length > 0' "$tmp/path.json" >/dev/null 2>&1; then
        found=$((found + 1))
      else
        # is there a 2-step path (a shared neighbour)? then the search missed it
        two=$(sqlite3 -readonly "$case" "SELECT EXISTS (SELECT 1 FROM (SELECT dst AS x FROM relations WHERE src = '$a' UNION SELECT src FROM relations WHERE dst = '$a') p JOIN (SELECT dst AS x FROM relations WHERE src = '$b' UNION SELECT src FROM relations WHERE dst = '$b') q USING (x))")
        [ "$two" = 1 ] && misses=$((misses + 1))
      fi
    done
  done
  echo "path between hub pairs        $(pcts "$tmp/path.times")   (goal p95 < 200 ms); $found/$pairs found, $misses missed although a 2-step path exists"
}

synthetic_bench() {
  echo "== synthetic graph (cb-graph bench)"
  cargo run --release -q -p cb-graph --example bench
}

pane_bench() {
  echo "== pane and Timeline of the busiest host (fixtures: the realcase e2e's case)"
  local prof="${PANE_PROFILE:-debug}" flag=""
  [ "$prof" = release ] && flag="--release"
  cargo build -q $flag -p cb-cli -p cb-api --example bench_pane
  local f=fixtures case="$tmp/pane-real.caseboard"
  rm -f "$case"*
  "target/$prof/caseboard" import "$case" \
    $f/evtx-rs-samples/samples/sysmon.evtx $f/evtx-rs-samples/samples/Security_short_selected.evtx \
    $f/otrf-security-datasets/datasets/atomic/windows/defense_evasion/host/empire_wmic_add_user_backdoor.zip \
    $f/otrf-security-datasets/datasets/atomic/windows/discovery/host/empire_find_localadmin_smb_svcctl_OpenSCManager.zip \
    $f/otrf-security-datasets/datasets/atomic/windows/credential_access/host/psh_lsass_memory_dump_comsvcs.zip \
    $f/otrf-security-datasets/datasets/atomic/windows/credential_access/host/cmd_sam_copy_esentutl.zip \
    $f/otrf-security-datasets/datasets/atomic/windows/execution/host/psh_powershell_httplistener.zip \
    $f/msticpy/tests/testdata/localdata/alerts_list.jsonl $f/msticpy/tests/testdata/localdata/host_logons.jsonl \
    --detect --json >/dev/null
  "target/$prof/examples/bench_pane" "$case" "${PANE_ROUNDS:-20}"
}

case "$what" in
  import) import_bench ;;
  search) search_bench ;;
  graph) graph_bench ;;
  synthetic) synthetic_bench ;;
  pane) pane_bench ;;
  all) import_bench; search_bench; graph_bench ;;
  *) echo "usage: scripts/bench.sh [import|search|graph|all|synthetic|pane]" >&2; exit 2 ;;
esac
