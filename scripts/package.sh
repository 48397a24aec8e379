#!/usr/bin/env bash
# Build the Caseboard .deb offline with Tauri's bundler (@tauri-apps/cli, pinned in package.json).
#   scripts/package.sh            → prints the path of the .deb (under $CARGO_TARGET_DIR or target/)
# Builds the UI and the `caseboard` CLI (release), then `tauri build --bundles deb` (a release
# build of caseboard-app with the UI embedded); the CLI goes into the package as
# /usr/bin/caseboard (bundle.linux.deb.files, given here because its path is under the target
# directory). No network: the deb bundler needs none (AppImage would, so it is not a target).
# Then check it: scripts/package-check.sh (install + start under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
export CARGO_TARGET_DIR=$TARGET

s=$(date +%s)
npm -w ui run build
cargo build --release -p cb-cli
CLI="$TARGET/release/caseboard"
[ -x "$CLI" ] || { echo "package: no CLI at $CLI" >&2; exit 1; }
# --ci: no prompts; the bundler's own signing/updater steps are not configured
npx --no-install tauri build --ci --bundles deb --features custom-protocol \
  --config "{\"bundle\":{\"linux\":{\"deb\":{\"files\":{\"/usr/bin/caseboard\":\"$CLI\"}}}}}"
VERSION=$(node -p 'require("./src-tauri/tauri.conf.json").version')
DEB="$TARGET/release/bundle/deb/Caseboard_${VERSION}_amd64.deb"
[ -f "$DEB" ] || { echo "package: expected $DEB, not there" >&2; ls -l "$TARGET/release/bundle/deb" >&2 || true; exit 1; }
echo "package: built $DEB ($(du -h "$DEB" | cut -f1)) in $(( $(date +%s) - s )) s"
echo "$DEB"
