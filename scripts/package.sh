#!/usr/bin/env bash
# Build the Caseboard .deb offline with Tauri's bundler (@tauri-apps/cli, pinned in package.json).
#   scripts/package.sh            → prints the path of the .deb (under $CARGO_TARGET_DIR or target/)
# Builds the UI, then `tauri build --bundles deb` (a release build of caseboard-app with the
# UI embedded). No network: the deb bundler needs none (AppImage would, so it is not a target).
# Then check it: scripts/package-check.sh (install + start under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
export CARGO_TARGET_DIR=$TARGET

s=$(date +%s)
npm -w ui run build
# --ci: no prompts; the bundler's own signing/updater steps are not configured
npx --no-install tauri build --ci --bundles deb --features custom-protocol
VERSION=$(node -p 'require("./src-tauri/tauri.conf.json").version')
DEB="$TARGET/release/bundle/deb/Caseboard_${VERSION}_amd64.deb"
[ -f "$DEB" ] || { echo "package: expected $DEB, not there" >&2; ls -l "$TARGET/release/bundle/deb" >&2 || true; exit 1; }
echo "package: built $DEB ($(du -h "$DEB" | cut -f1)) in $(( $(date +%s) - s )) s"
echo "$DEB"
