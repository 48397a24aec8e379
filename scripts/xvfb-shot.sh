#!/usr/bin/env bash
# Start the app under a private Xvfb (1280x800), wait for the UI's "[ui] ready" line and a
# stable, non-blank screen, save a screenshot, stop the app.
# usage: scripts/xvfb-shot.sh [CASE] [OUT=logs/screenshots/start.png]
# env:   APP (default target/debug/caseboard-app), LOG (default logs/app.log)
set -euo pipefail
cd "$(dirname "$0")/.."
CASE=${1:-}
OUT=${2:-logs/screenshots/start.png}
APP=${APP:-target/debug/caseboard-app}
LOG=${LOG:-logs/app.log}
mkdir -p "$(dirname "$OUT")" "$(dirname "$LOG")"
CFG=$(mktemp -d)
CASEBOARD_CASE="$CASE" CASEBOARD_CONFIG_DIR="$CFG" XDG_DATA_HOME="$CFG/data" \
exec xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" bash -c '
  APP=$0 OUT=$1 LOG=$2
  "$APP" >"$LOG" 2>&1 & pid=$!
  for i in $(seq 1 150); do grep -q "\[ui\] ready" "$LOG" && break; sleep 0.2; done
  prev=""; same=0
  for i in $(seq 1 100); do
    h=$(import -window root rgb:- | md5sum)
    if [ "$h" = "$prev" ]; then same=$((same + 1)); else same=0; prev=$h; fi
    if [ $same -ge 2 ]; then
      import -window root "$OUT"
      [ "$(convert "$OUT" -format %k info:)" -gt 50 ] && break
    fi
    sleep 0.2
  done
  kill $pid; wait $pid 2>/dev/null || true
  echo "screenshot: $PWD/$OUT"
' "$APP" "$OUT" "$LOG"
