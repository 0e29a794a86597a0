#!/usr/bin/env bash
# Installs what the browser tests need from Debian's packages: Chromium and a CJK font.
# Idempotent: does nothing when both are present.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qiE 'wenquanyi|noto sans cjk' || need+=(fonts-wqy-zenhei)
# Voice: offline speech synthesis (espeak-ng, cmn voice) and sox for measuring audio.
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "error: browser tests need Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" fontconfig >/dev/null
