# Everything a developer or CI runs goes through these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv demo test lint typecheck pytest bench bench-codecs bench-ingest bench-alerts bench-export bench-map bench-routing bench-sim screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/tilsyn demo

test: venv lint typecheck pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy -p tilsyn

pytest: venv
	$(BIN)/pytest

bench: bench-codecs bench-sim bench-ingest bench-alerts bench-export bench-map bench-routing

bench-map: venv
	$(BIN)/python scripts/bench_map.py

screenshots: venv
	$(BIN)/python scripts/screenshots.py

bench-export: venv
	$(BIN)/python -m tilsyn.platform.export.bench

bench-ingest: venv
	$(BIN)/python -m tilsyn.platform.bench.ingest

bench-alerts: venv
	$(BIN)/python -m tilsyn.platform.bench.alerts

bench-codecs: venv
	$(BIN)/python -m tilsyn.codecs.bench

bench-sim: venv
	$(BIN)/python -m tilsyn.sim.bench

bench-routing: venv
	$(BIN)/python -m tilsyn.routing.bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache build
