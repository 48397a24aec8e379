#!/usr/bin/env bash
# Install what Caseboard needs to build, run and test, when it is missing. Idempotent.
# Debian packages (Tauri/WebKitGTK, Xvfb, WebKitWebDriver, poppler-utils for pdftotext), npm
# packages, tauri-driver.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS=(build-essential pkg-config libwebkit2gtk-4.1-dev libssl-dev libxdo-dev
  libayatana-appindicator3-dev librsvg2-dev xvfb xauth imagemagick webkit2gtk-driver
  poppler-utils)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f package-lock.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi

if ! command -v tauri-driver >/dev/null && [ ! -x .tools/bin/tauri-driver ]; then
  echo "setup: cargo install tauri-driver"
  cargo install tauri-driver --version 2.1.0 --locked --root .tools --quiet
fi
