#!/usr/bin/env bash
# Makes sure Debian's haproxy is installed (make cluster and the load-balancer tests run it in the foreground).
set -euo pipefail
if command -v haproxy >/dev/null 2>&1; then exit 0; fi
echo "haproxy: installing Debian's haproxy"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >/dev/null
