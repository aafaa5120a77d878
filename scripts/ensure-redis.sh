#!/usr/bin/env bash
# Makes sure the Redis in REDIS_URL answers. For a local default URL it starts redis-server,
# installing Debian's package first if it is missing. It never flushes anything.
set -euo pipefail
url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
hostport="${url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=6379

ping() { python3 - "$host" "$port" <<'PY'
import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
    s.sendall(b"PING\r\n"); ok = s.recv(16).startswith(b"+PONG")
except OSError:
    ok = False
sys.exit(0 if ok else 1)
PY
}

if ping; then echo "redis: answering at $host:$port"; exit 0; fi
case "$host" in 127.0.0.1|localhost) ;; *) echo "redis: $host:$port does not answer (REDIS_URL=$url)" >&2; exit 1;; esac
if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis: redis-server not installed; installing Debian's redis-server"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi
mkdir -p .run
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
  --dir "$PWD/.run" --logfile "$PWD/.run/redis-$port.log" --pidfile "$PWD/.run/redis-$port.pid"
for _ in $(seq 50); do ping && { echo "redis: started at $host:$port (pid file .run/redis-$port.pid)"; exit 0; }; sleep 0.1; done
echo "redis: failed to start; see .run/redis-$port.log" >&2; exit 1
