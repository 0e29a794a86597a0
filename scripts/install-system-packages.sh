#!/usr/bin/env bash
# Installs the Debian packages the project needs. Idempotent: does nothing when all are present.
#   runtime: offline speech synthesis (espeak-ng, cmn voice) and sox, used by the phone channel;
#            npm, which brings the dashboard's charting library (scripts/build-dashboard-assets.sh)
#   test:    runtime + Chromium and a CJK font for the browser tests; nginx, the local load
#            balancer of the two-gateway test (the test runs its own nginx process and config)
set -euo pipefail
what="${1:-runtime}"
need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
command -v npm >/dev/null || need+=(npm)
if [ "$what" = test ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  fc-list 2>/dev/null | grep -qiE 'wenquanyi|noto sans cjk' || need+=(fonts-wqy-zenhei fontconfig)
  [ -x /usr/sbin/nginx ] || need+=(nginx-light)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "error: these Debian packages are needed: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
