#!/usr/bin/env bash
# The dashboard's browser libraries from npm (versions pinned in channels/dashboard/assets/
# package-lock.json), copied into channels/dashboard/static/vendor/ with their licences: the
# gateway serves them itself (no CDN at run time). Run by `make setup`; needs node and npm.
set -euo pipefail
cd "$(dirname "$0")/../channels/dashboard"
command -v npm >/dev/null || { echo "build-dashboard-assets: npm is needed (apt-get install npm)" >&2; exit 1; }
npm ci --prefix assets --no-audit --no-fund --ignore-scripts --loglevel=error
vendor=static/vendor/echarts
rm -rf "$vendor" && mkdir -p "$vendor"
src=assets/node_modules/echarts
cp "$src/dist/echarts.min.js" "$src/LICENSE" "$src/NOTICE" "$vendor/"
cp -r "$src/licenses" "$vendor/licenses"
node -e 'const p=require(process.argv[1]);console.log(`echarts ${p.version} (${p.license}) -> channels/dashboard/static/vendor/echarts`)' \
  "$PWD/$src/package.json"
