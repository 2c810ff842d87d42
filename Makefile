# Each target creates .venv on first use and installs what it needs into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: test lint docs demo dist chromium bench bench-http bench-tfb clean postgres redis openapi-assets fuzz soak compat

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml setup.py src/stein/_speedups.c
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench
	$(BIN)/mypy

# The request-handling tests run a second time on the pure-Python code paths, which a
# machine without a C compiler uses instead of stein/_speedups.c (STEIN_NO_SPEEDUPS=1).
PURE_PYTHON_TESTS := tests/test_speedups.py tests/test_ctx.py tests/test_wrappers.py \
	tests/test_http.py tests/test_form_fastpath.py tests/test_datastructures.py \
	tests/test_limits.py tests/test_bad_input.py tests/test_properties.py tests/test_app.py \
	tests/test_dispatch_fastpath.py tests/test_asgi.py tests/test_asgi_fastpath.py \
	tests/test_sessions.py tests/test_uploads.py tests/test_multipart_diff.py \
	tests/test_testing.py tests/test_views.py tests/test_blueprints.py

test: lint docs chromium postgres redis openapi-assets
	$(BIN)/pytest
	STEIN_NO_SPEEDUPS=1 $(BIN)/pytest $(PURE_PYTHON_TESTS)

# The docs site; --strict turns every MkDocs warning (broken link, missing page) into an error.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# Debian packages that some tests need: `$(call need_debian,CHECK,PACKAGES)` installs
# PACKAGES with apt-get when CHECK fails and make runs as root (as CI does); a user who is
# not root gets a message instead, and the tests that need the packages skip, each with its
# reason (pytest -rs prints them). IS_ROOT= (empty) forces the message, IS_ROOT=yes apt-get.
IS_ROOT ?= $(shell [ "$$(id -u)" = 0 ] && echo yes)

define need_debian
	@if $(1) >/dev/null 2>&1; then :; \
	elif [ "$(IS_ROOT)" = yes ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(2); \
	else \
		echo "make $@: '$(2)' is not installed and make is not running as root, so apt-get is skipped;" \
			"the tests that need it will skip (install it with: sudo apt-get install $(2))."; \
	fi
endef

# Servers the stein.ext tests start themselves.
PG_INITDB ?= /usr/lib/postgresql/*/bin/initdb

postgres:
	$(call need_debian,ls $(PG_INITDB),postgresql)

redis:
	$(call need_debian,command -v redis-server,redis-server)

# Swagger UI for stein.ext.openapi's /docs page, bundled from the swagger-ui-dist npm
# package at build time (not committed: ~1.9 MB); never loaded from a CDN.
SWAGGER_UI_VERSION := 5.35.0
OPENAPI_STATIC := src/stein/ext/openapi_static

openapi-assets: $(OPENAPI_STATIC)/swagger-ui-bundle.js

$(OPENAPI_STATIC)/swagger-ui-bundle.js:
	$(call need_debian,command -v npm,npm)
	@command -v npm >/dev/null 2>&1 || { echo "make $@: no npm, so Swagger UI is not built"; exit 0; }; \
	tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null \
		&& tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz) \
		&& cp $$tmp/package/swagger-ui.css $(OPENAPI_STATIC)/ \
		&& cp $$tmp/package/LICENSE $(OPENAPI_STATIC)/SWAGGER-UI-LICENSE \
		&& cp $$tmp/package/swagger-ui-bundle.js $(OPENAPI_STATIC)/ && rm -rf $$tmp

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[dev,bench]'
	touch $(BENCH_STAMP)

# In-process peer comparison (a few minutes); writes bench/results.md. Not part of `make test`.
bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

# Flask extensions' own test suites on real Flask and on stein.compat; writes bench/compat.md.
# Venvs go to .cache/compat/venvs (one per extension and side, built once, one at a time);
# the Flask side is built only where bench/compat/<ext>-<version>.passing.txt is missing
# (COMPAT_ARGS=--reference rebuilds it). Not part of `make test`; ~10-15 minutes from clean.
COMPAT_ARGS ?=

compat: $(STAMP) redis
	$(BIN)/python -m bench.compat.run $(COMPAT_ARGS)

# Servers on a loopback port loaded by wrk (Debian package, installed when missing).
bench-http: $(BENCH_STAMP)
	command -v wrk >/dev/null 2>&1 || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench.servers

# The TechEmpower test types (json, plaintext, db, queries, fortunes, updates) against a
# PostgreSQL the run starts itself, under granian, gunicorn and uvicorn loaded by wrk, plus
# the example blog on Stein and on Flask; writes bench/tfb.md. Under 15 minutes on 2 cores.
# TFB_ARGS passes options (e.g. TFB_ARGS='--seconds 5 --servers granian').
TFB_ARGS ?=

bench-tfb: $(BENCH_STAMP) postgres
	command -v wrk >/dev/null 2>&1 || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench.tfb $(TFB_ARGS)

# atheris on every fuzz target for FUZZ_SECONDS each (7 targets x 60 s ~ 7 min); the corpus
# grows in fuzz/corpus/, crashes land in fuzz/crash-*. Not part of `make test`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := router query cookie headers multipart json session

fuzz: $(STAMP)
	$(BIN)/pip install -q -e '.[dev,fuzz]'
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/corpus/$$t; \
		echo "== fuzz $$t ($(FUZZ_SECONDS) s)"; \
		$(BIN)/python fuzz/targets.py $$t fuzz/corpus/$$t -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=fuzz/ -print_final_stats=1 2>&1 | grep -E "^(Done|stat::number_of_executed_units)|ERROR|Error" \
			|| true; \
		ls fuzz/crash-* >/dev/null 2>&1 && { echo "fuzz $$t: crash, see fuzz/crash-*"; exit 1; }; \
	done; true

# In-process soak (1,000,000 requests, RSS per 100k) then the example blog under gunicorn
# (2 workers) loaded by wrk. Not part of `make test`; under 10 minutes.
soak: $(BENCH_STAMP)
	command -v wrk >/dev/null 2>&1 || (apt-get update && apt-get install -y wrk)
	$(BIN)/python -m bench.soak
	$(BIN)/python -m bench.load

# Scale-out run (issue 18): HAProxy in front of three app nodes (gunicorn for HTTP, uvicorn for
# WebSockets), real Redis and PostgreSQL, a wrk load; SIGKILL of one node, a rolling restart,
# a Redis restart. Prints the counts, writes bench/scaleout/results.md. Not in `make test`.
# SCALE_ARGS="60 --no-replay": 60 s, HAProxy not replaying (writes results-no-replay.md).
SCALE_ARGS ?=
.PHONY: scale
scale: $(STAMP) redis postgres
	@command -v haproxy >/dev/null 2>&1 || \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy)
	@command -v wrk >/dev/null 2>&1 || \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk)
	$(BIN)/python -m bench.scaleout $(SCALE_ARGS)

# The example blog on http://127.0.0.1:5000 (debug mode with the reloader; Ctrl-C stops it).
# A venv of its own with only what the blog needs (Stein, its four dependencies and the
# `demo` extra: the reloader's file watcher and .steinenv loading), not the dev toolchain.
# A regular install of this checkout (re-done when src/ changes); the blog itself runs from
# examples/blog, so editing it reloads the demo.
DEMO_VENV := .venv-demo
DEMO_STAMP := $(DEMO_VENV)/.installed-demo
DEMO_SOURCES := $(shell find src/stein -type f -not -path '*/__pycache__/*' -not -path '*/openapi_static/*' -not -name '*.so')

$(DEMO_STAMP): pyproject.toml setup.py $(DEMO_SOURCES)
	test -x $(DEMO_VENV)/bin/python || $(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/pip install -q --disable-pip-version-check '.[demo]'
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	cd examples/blog && (test -f instance/blog.sqlite || ../../$(DEMO_VENV)/bin/stein --app blog init-db)
	cd examples/blog && ../../$(DEMO_VENV)/bin/stein --app blog run --host 127.0.0.1 --port 5000 --debug

# Headless Chromium for the browser test (Debian packages; `playwright install` is not used).
chromium:
	$(call need_debian,command -v chromium,chromium)

# An sdist and a wheel in dist/ (the wheel built from the sdist, in an isolated build
# environment): Swagger UI's assets included, the C speedups compiled when a compiler is
# there (pure Python otherwise). Install one with `pip install dist/stein-*.whl`.
$(BIN)/pyproject-build: $(BIN)/python
	$(BIN)/pip install -q build

dist: $(BIN)/pyproject-build openapi-assets
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) $(DEMO_VENV) build dist site *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
