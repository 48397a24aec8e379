#!/usr/bin/env bash
# Every test Caseboard has, in order. Installs what is missing first (scripts/setup.sh).
#   lint (fmt, clippy -D warnings, rustdoc -D warnings) → Rust unit/integration tests (the tidy
#   test in cb-api, the window crate's bindings freshness test) → UI unit tests →
#   the real app in a real window under Xvfb over WebDriver (screenshots in logs/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
t() { local s; s=$(date +%s); echo "==> $*"; "$@"; echo "    ($(( $(date +%s) - s )) s)"; }

t scripts/setup.sh
export PATH="$PWD/.tools/bin:$PATH"

# the Tauri crate embeds ui/dist at compile time: build the UI before anything compiles it
if [ -f ui/package.json ]; then t npm -w ui run build; fi
t cargo fmt --all --check
t cargo clippy --workspace --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" t cargo doc --no-deps --workspace --exclude caseboard-app
t cargo test --workspace --exclude caseboard-app
# the window crate (Tauri): its tests include the ui/src/ipc/bindings.ts freshness test
t cargo test -p caseboard-app --features custom-protocol
if [ -f ui/package.json ]; then t npm -w ui test; fi
if [ -x scripts/e2e.sh ]; then t scripts/e2e.sh; fi
echo "all tests passed"
