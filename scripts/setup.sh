#!/usr/bin/env bash
# Installs what wbc-classifier needs on Debian 12 (as root, or with sudo): LibTorch, TurboJPEG, Gloo's headers, a C++ toolchain,
# Node.js if missing, then the npm packages, the native addon and the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=()
dpkg -s libtorch-dev >/dev/null 2>&1 || packages+=(libtorch-dev)
dpkg -s libturbojpeg0-dev >/dev/null 2>&1 || packages+=(libturbojpeg0-dev)
# The Gloo headers for c10d's ProcessGroupGloo (multi-process training; the library itself comes with LibTorch).
dpkg -s libgloo-dev >/dev/null 2>&1 || packages+=(libgloo-dev)
command -v g++ >/dev/null 2>&1 || packages+=(g++)
command -v make >/dev/null 2>&1 || packages+=(make)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
# The browser tests (the review app, the exported page) drive Debian's Chromium (playwright-core downloads no browser).
dpkg -s chromium >/dev/null 2>&1 || packages+=(chromium)
if [ ${#packages[@]} -gt 0 ]; then
  echo "setup: installing ${packages[*]} with apt-get"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

if [ ! -f build/Release/wbc_native.node ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules ] \
  || [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  # package.json's allowScripts lets npm run the install scripts of better-sqlite3 (which builds SQLite
  # from source when its prebuilt download is unreachable) and sharp; npm 11 skips any others.
  # onnxruntime-node's install script would download CUDA libraries; its CPU build is in the package (.npmrc says the same).
  echo "setup: installing npm packages and building the native engine and SQLite"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
else
  npm run --silent build
fi
