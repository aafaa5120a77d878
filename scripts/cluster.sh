#!/usr/bin/env bash
# `make cluster WORKERS=N`: N QuizZone workers behind HAProxy on $PORT, plus one Celery worker with beat.
# No sticky sessions: HAProxy balances by least connections and takes a worker out when /readyz says 503.
set -euo pipefail
workers="${WORKERS:-2}"; port="${PORT:-8000}"
if ! command -v haproxy >/dev/null 2>&1; then
  echo "haproxy: installing Debian's haproxy"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy >/dev/null
fi
mkdir -p .run
.venv/bin/python deploy/haproxy_config.py --port "$port" --workers "$workers" > .run/haproxy.cfg
haproxy -c -q -f .run/haproxy.cfg
{
  echo "lb: exec $(command -v haproxy) -db -f .run/haproxy.cfg"
  for i in $(seq 1 "$workers"); do
    wport=$((port + i))
    echo "web$i: .venv/bin/python -m realtime.serve --host 127.0.0.1 --port $wport --worker-id web$i-$wport --public-url ws://127.0.0.1:$wport"
  done
  echo "worker: .venv/bin/celery -A quizzone worker -B -l warning --pool threads --concurrency 4 -Q quizzone -s .run/celerybeat-schedule"
} > .run/Procfile.cluster
echo "QuizZone cluster: $workers workers behind HAProxy at http://127.0.0.1:$port/  Ctrl-C stops it."
exec .venv/bin/honcho -f .run/Procfile.cluster start
