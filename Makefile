# Each target creates .venv on first use and installs what it needs into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: test lint docs demo chromium bench bench-http clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench
	$(BIN)/mypy

test: lint docs chromium
	$(BIN)/pytest

# The docs site; --strict turns every MkDocs warning (broken link, missing page) into an error.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# In-process peer comparison (a few minutes); writes bench/results.md. Not part of `make test`.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

# Servers on a loopback port loaded by wrk (Debian package, installed when missing).
bench-http: $(BENCH_STAMP)
	command -v wrk >/dev/null 2>&1 || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench.servers

# The example blog on http://127.0.0.1:5000 (debug mode with the reloader; Ctrl-C stops it).
demo: $(STAMP)
	cd examples/blog && (test -f blog/instance/blog.sqlite || ../../$(BIN)/stein --app blog init-db)
	cd examples/blog && ../../$(BIN)/stein --app blog run --host 127.0.0.1 --port 5000 --debug

# Headless Chromium for the browser test (Debian packages; `playwright install` is not used).
chromium:
	command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium chromium-driver)

clean:
	rm -rf $(VENV) build site *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
