# QuizZone: `make run` serves the site, `make test` runs the whole suite. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# 127.0.0.1: this machine only. 0.0.0.0 (`make classroom`): phones on the local network too (README "Classroom").
HOST ?= 127.0.0.1
export PORT

.PHONY: run classroom test lint venv redis chromium haproxy migrate collectstatic demo cluster bench screenshots clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

redis:
	@scripts/ensure-redis.sh

migrate: venv
	$(PY) manage.py migrate --noinput

# Production only (hashed, compressed copies into STATIC_ROOT, QUIZZONE_STATIC_ROOT), with the production
# environment set: once per release and machine, before its workers restart. No `venv` prerequisite: it would
# install the dev tools. `make run` and the tests serve static/ as it is.
collectstatic:
	$(PY) manage.py collectstatic --noinput

demo: migrate
	$(PY) manage.py demo_setup

# One worker, one Celery worker and one beat under supervisord in the foreground (restarted when they die).
run: venv redis demo
	@mkdir -p .run
	@$(PY) deploy/supervisor.py --name run --host $(HOST) --web $(PORT) > .run/supervisord-run.conf
	@echo "QuizZone at http://127.0.0.1:$(PORT)/  (admin: /admin/, API docs: /api/docs/)  Ctrl-C stops it."
	@echo "  status: $(VENV)/bin/supervisorctl -c .run/supervisord-run.conf status"
	exec $(VENV)/bin/supervisord -n -c .run/supervisord-run.conf

# `make run` for a classroom: phones on the same network join at this machine's LAN address (or QUIZZONE_PUBLIC_URL).
classroom:
	@$(MAKE) --no-print-directory run HOST=0.0.0.0

chromium:
	@scripts/ensure-chromium.sh

haproxy:
	@scripts/ensure-haproxy.sh

screenshots: venv redis chromium
	$(PY) scripts/screenshots.py

cluster: venv redis haproxy demo
	@HOST=$(HOST) WORKERS=$(or $(WORKERS),2) scripts/cluster.sh

test: venv redis chromium haproxy
	@DATABASE_URL="$$(scripts/test-database-url.sh)"; export DATABASE_URL; \
	echo "test database: $${DATABASE_URL:-sqlite (no PostgreSQL found)}"; \
	$(PY) -m pytest -q $(PYTEST_ARGS)

# the load tester, small by default: make bench PLAYERS=1000 BENCH_ARGS="--baselines --questions 5"
bench: venv redis haproxy
	$(PY) bench/loadtest.py --players $(or $(PLAYERS),200) $(BENCH_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
