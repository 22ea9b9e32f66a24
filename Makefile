# The only way we run things: CI calls these same targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DIR ?= ./tem-data/demo

.PHONY: install demo serve test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Tem needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## demo: build a demo on SQLite (sample authority, cooperatives, batches, labels) and serve it
demo: $(STAMP)
	TEM_DATA_DIR=$(DEMO_DIR) TEM_DEMO=1 TEM_PUBLIC_URL=http://$(HOST):$(PORT) $(BIN)/tem demo --reset
	TEM_DATA_DIR=$(DEMO_DIR) TEM_DEMO=1 TEM_PUBLIC_URL=http://$(HOST):$(PORT) $(BIN)/tem serve --host $(HOST) --port $(PORT)

## test: the whole suite (SQLite by default; set TEM_DATABASE_URL for PostgreSQL)
test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check tem tests bench
	$(BIN)/ruff format --check tem tests bench
	$(BIN)/mypy tem

format: $(STAMP)
	$(BIN)/ruff format tem tests bench
	$(BIN)/ruff check --fix tem tests bench

## bench: side-by-side benchmarks (ratios against a baseline in the same run); about 7 minutes
BENCH_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/test
bench: $(STAMP)
	$(BIN)/python -m bench.verify_offline
	$(BIN)/python -m bench.verify_http
	TEM_BENCH_POSTGRES=$(BENCH_POSTGRES) $(BIN)/python -m bench.stamps_issue
	$(BIN)/python -m bench.stamps_memory --quick
	$(BIN)/python -m bench.scan_http
	$(BIN)/python -m bench.verify_http --postgres $(BENCH_POSTGRES) --workers 2
	$(BIN)/python -m bench.scan_http --postgres $(BENCH_POSTGRES) --workers 2
	$(BIN)/python -m bench.profile_check
	$(BIN)/python -m bench.labels_pdf --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
