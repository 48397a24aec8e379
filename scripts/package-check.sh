#!/usr/bin/env bash
# Smoke test of the Caseboard .deb (the release check; build it first with scripts/package.sh):
#   1. dpkg-deb --info / --contents: name, architecture, dependencies, binaries (the app and the
#      `caseboard` CLI), desktop entry, icon
#   2. install it: a real `dpkg -i` when run as root (removed again afterwards unless it was
#      installed before, or PACKAGE_CHECK_KEEP=1), else `dpkg -x` into a temporary root with
#      every Depends checked against the installed packages
#   3. the installed CLI answers `caseboard --version` with the package's version and builds a
#      temporary case (the msticpy alerts); start the installed app under Xvfb on it and check it stays up PACKAGE_CHECK_SECONDS (10) seconds, its window
#      appears titled "<case> — Caseboard" (set once the UI opened the case) and is not blank
# usage: scripts/package-check.sh [path/to/Caseboard_X_amd64.deb]   (output: logs/package-check/)
set -euo pipefail
SELF=$(realpath "$0")
cd "$(dirname "$SELF")/.."
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
UP=${PACKAGE_CHECK_SECONDS:-10}
OUT=$PWD/logs/package-check
fail() { echo "package-check: FAIL: $*" >&2; exit 1; }
ok() { echo "package-check: ok: $*"; }

if [ "${1:-}" = "--inside-xvfb" ]; then
  # second half, under xvfb-run: start the installed app, watch it, stop it
  bin=$2 cpath=$3 name=$4
  setsid env CASEBOARD_CASE="$cpath" CASEBOARD_CONFIG_DIR="$OUT/config" XDG_DATA_HOME="$OUT/data" \
    CASEBOARD_ANALYST=package-check "$bin" >"$OUT/app.log" 2>&1 &
  pid=$!
  trap 'kill -TERM -- -$pid 2>/dev/null || true; sleep 1; kill -KILL -- -$pid 2>/dev/null || true' EXIT
  title="$name — Caseboard"
  seen=""
  for _ in $(seq 1 $((UP * 2))); do
    sleep 0.5
    kill -0 "$pid" 2>/dev/null || { cat "$OUT/app.log" >&2; fail "the app exited within $UP s"; }
    if [ -z "$seen" ] && xwininfo -root -tree | grep -qF "\"$title\""; then seen=1; fi
  done
  kill -0 "$pid" 2>/dev/null || fail "the app exited"
  ok "the app (pid $pid) stayed up $UP s"
  [ -n "$seen" ] || { xwininfo -root -tree | grep -i caseboard >&2 || true; fail "no window titled \"$title\""; }
  xwininfo -root -tree | grep -F "\"$title\"" | head -1 | sed 's/^ */package-check: window: /'
  ok "its window appeared with the case open: \"$title\""
  import -window root "$OUT/screen.png"
  colours=$(identify -format '%k' "$OUT/screen.png")
  [ "$colours" -gt 50 ] || fail "the screen is blank ($colours colours): $OUT/screen.png"
  ok "screenshot $OUT/screen.png ($colours colours)"
  exit 0
fi

DEB=${1:-$(ls -t "$TARGET"/release/bundle/deb/*.deb 2>/dev/null | head -1 || true)}
[ -n "$DEB" ] && [ -f "$DEB" ] || fail "no .deb (build it: scripts/package.sh)"
rm -rf "$OUT" && mkdir -p "$OUT"
echo "package-check: $DEB ($(du -h "$DEB" | cut -f1))"

# 1. metadata and contents
dpkg-deb --info "$DEB" | tee "$OUT/info.txt"
field() { dpkg-deb --field "$DEB" "$1"; }
PKG=$(field Package)
[ "$PKG" = caseboard ] || fail "package name $PKG"
[ "$(field Architecture)" = amd64 ] || fail "architecture $(field Architecture)"
DEPENDS=$(field Depends)
for d in libwebkit2gtk-4.1-0 libgtk-3-0; do
  grep -q "$d" <<<"$DEPENDS" || fail "Depends lacks $d: $DEPENDS"
done
field Description | grep -qi "investigation" || fail "no description"
ok "$PKG $(field Version) $(field Architecture), Depends: $DEPENDS"
dpkg-deb --contents "$DEB" | tee "$OUT/contents.txt"
for f in usr/bin/caseboard-app usr/bin/caseboard usr/share/applications/Caseboard.desktop; do
  grep -qE " (\./)?$f\$" "$OUT/contents.txt" || fail "$f missing from the package"
done
grep -qE 'usr/share/icons/hicolor/.*/apps/caseboard-app\.png$' "$OUT/contents.txt" || fail "no icon"
ok "app, CLI, desktop entry and icon in the package"

# 2. install
if [ "$(id -u)" -eq 0 ]; then
  was=$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null || true)
  dpkg -i "$DEB" | tee "$OUT/install.txt"
  if [ "${PACKAGE_CHECK_KEEP:-}" != 1 ] && ! grep -q "install ok installed" <<<"$was"; then
    trap 'dpkg -r "$PKG" >/dev/null && echo "package-check: removed $PKG again"' EXIT
  fi
  dpkg-query -W -f='${Status}\n' "$PKG" | grep -q "install ok installed" || fail "dpkg -i did not install $PKG"
  ok "installed with dpkg -i (root): $(dpkg-query -W -f='${Package} ${Version}' "$PKG")"
  ROOT=""
  BIN=/usr/bin/caseboard-app
  CLI=/usr/bin/caseboard
  desktop=/usr/share/applications/Caseboard.desktop
else
  ROOT="$OUT/root"
  dpkg -x "$DEB" "$ROOT"
  # what dpkg -i would refuse: a dependency that is not installed
  for d in $(tr ',' '\n' <<<"$DEPENDS" | sed 's/(.*)//; s/|.*//' | tr -d ' '); do
    dpkg-query -W -f='${Status}' "$d" 2>/dev/null | grep -q "install ok installed" || fail "dependency $d not installed"
  done
  ok "unpacked with dpkg -x into $ROOT (not root: no dpkg -i); every Depends is installed"
  BIN="$ROOT/usr/bin/caseboard-app"
  CLI="$ROOT/usr/bin/caseboard"
  desktop="$ROOT/usr/share/applications/Caseboard.desktop"
fi
[ -x "$BIN" ] || fail "$BIN is not executable"
grep -q '^Exec=caseboard-app' "$desktop" || fail "desktop entry Exec: $(grep ^Exec "$desktop")"
ldd "$BIN" | grep "not found" && fail "unresolved libraries of $BIN"
ok "$BIN links (ldd: no library missing)"

# 3. the installed CLI, a temporary case built with it, then the installed app under Xvfb
[ -x "$CLI" ] || fail "$CLI is not executable"
ldd "$CLI" | grep "not found" && fail "unresolved libraries of $CLI"
cli_version=$("$CLI" --version) || fail "$CLI --version failed"
grep -qF "$(field Version)" <<<"$cli_version" || fail "$CLI --version says \"$cli_version\", the package is $(field Version)"
ok "$CLI --version: $cli_version"
CASE="$OUT/smoke.caseboard"
"$CLI" import "$CASE" fixtures/msticpy/tests/testdata/localdata/alerts_list.jsonl >/dev/null
ok "temporary case $CASE ($("$CLI" stats "$CASE" | tr '\n' ' '))"
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$SELF" --inside-xvfb "$BIN" "$CASE" smoke
echo "package-check: all checks passed"
