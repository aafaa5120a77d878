#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser tests (test tools' own downloads fail here).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "chromium: installing Debian's chromium for the browser tests"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
