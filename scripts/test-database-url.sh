#!/usr/bin/env bash
# Prints the DATABASE_URL the test suite should use: the caller's if set, else the local
# PostgreSQL (database `test`, trust auth) when it answers, else nothing (SQLite).
if [ -n "${DATABASE_URL:-}" ]; then echo "$DATABASE_URL"; exit 0; fi
if python3 -c "import socket; socket.create_connection(('127.0.0.1', 5432), timeout=1)" 2>/dev/null; then
  echo "postgres://postgres@127.0.0.1:5432/test"; exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start >/dev/null 2>&1 || true
  sleep 1
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', 5432), timeout=1)" 2>/dev/null; then
    echo "postgres://postgres@127.0.0.1:5432/test"; exit 0
  fi
fi
echo ""
