#!/usr/bin/env bash
# `make cluster WORKERS=N`: N QuizZone workers behind HAProxy on $PORT, one Celery worker and one beat,
# all under supervisord in the foreground (a process that dies is restarted; Ctrl-C stops everything).
# No sticky sessions: HAProxy balances by least connections and takes a worker out when /readyz says 503.
set -euo pipefail
workers="${WORKERS:-2}"; port="${PORT:-8000}"; host="${HOST:-127.0.0.1}"
mkdir -p .run
.venv/bin/python deploy/haproxy_config.py --port "$port" --workers "$workers" --bind "$host" > .run/haproxy.cfg
haproxy -c -q -f .run/haproxy.cfg
webs=(); for i in $(seq 1 "$workers"); do webs+=(--web $((port + i))); done
.venv/bin/python deploy/supervisor.py --name cluster --host "$host" --site-port "$port" "${webs[@]}" \
  --haproxy .run/haproxy.cfg \
  > .run/supervisord-cluster.conf
echo "QuizZone cluster: $workers workers behind HAProxy at http://127.0.0.1:$port/  Ctrl-C stops it."
echo "  status: .venv/bin/supervisorctl -c .run/supervisord-cluster.conf status"
exec .venv/bin/supervisord -n -c .run/supervisord-cluster.conf
