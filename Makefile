# Dossier: `make run` starts the app, `make test` runs every test.
SHELL := /bin/bash
PY := .venv/bin/python
UV := .venv/bin/uv

.PHONY: venv run test bench lint format lock

.venv/.synced: requirements.lock
	test -x $(PY) || python3 -m venv .venv
	test -x $(UV) || .venv/bin/pip install -q uv==0.13.8
	$(UV) pip sync -q --python $(PY) requirements.lock
	touch $@

venv: .venv/.synced

lock:
	$(UV) pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 -q -o requirements.lock

test: venv
	DEBUG=1 $(PY) -m pytest $(PYTEST_ARGS)

# The alerts API's accept rate against a bare COPY, on a database and a
# gunicorn of its own (BENCH_ARGS="--n 50000" to change).
bench: venv
	$(PY) scripts/services.py exec -- $(PY) bench/ingest.py --accept-only $(BENCH_ARGS)

lint: venv
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: venv
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .
