#!/usr/bin/env bash
# Build everything and open Caseboard on the bundled demo case.
# Installs what is missing first (scripts/setup.sh). Pass a case path to open another case.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
npm -w ui run build
cargo build --release --bin caseboard
cargo build --release -p caseboard-app --features custom-protocol
CASE=${1:-target/demo/demo.case}
if [ $# -eq 0 ] && [ ! -f "$CASE" ]; then
  mkdir -p "$(dirname "$CASE")"
  target/release/caseboard demo "$CASE" --fixtures fixtures
fi
target/release/caseboard stats "$CASE"
CASEBOARD_CASE="$(realpath "$CASE")" exec target/release/caseboard-app
