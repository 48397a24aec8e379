#!/usr/bin/env bash
# End-to-end tests of the real window: builds the UI, the app (debug, ui/dist embedded) and the
# CLI, then runs the WebdriverIO suite (e2e/test/*.test.mjs) under Xvfb through tauri-driver +
# WebKitWebDriver. Screenshots go to logs/screenshots/ (paths printed at the end).
# usage: scripts/e2e.sh [test files...]   env: E2E_SKIP_BUILD=1 to reuse the binaries
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci
if [ -z "${E2E_SKIP_BUILD:-}" ]; then
  npm -w ui run build
  cargo build -p caseboard-app -p cb-cli --features caseboard-app/custom-protocol
fi
export PATH="$PWD/.tools/bin:$PATH"
command -v tauri-driver >/dev/null || cargo install tauri-driver --version 2.1.0 --locked --root .tools
command -v WebKitWebDriver >/dev/null || { echo "WebKitWebDriver missing: apt-get install webkit2gtk-driver" >&2; exit 1; }
mkdir -p logs/screenshots
rm -f logs/screenshots/*.png
status=0
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(e2e/test/app.test.mjs e2e/test/hostile.test.mjs e2e/test/perf.test.mjs e2e/test/work.test.mjs e2e/test/walkthrough.test.mjs e2e/test/map.test.mjs e2e/test/rootcause.test.mjs e2e/test/queue.test.mjs e2e/test/realcase.test.mjs)
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
  node --test --test-concurrency=1 --test-reporter=spec "${tests[@]}" 2>&1 | tee logs/e2e.log || status=$?
echo "screenshots:"
ls -1 "$PWD"/logs/screenshots/*.png 2>/dev/null | sed 's/^/  /' || echo "  (none)"
exit $status
