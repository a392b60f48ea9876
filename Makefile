# Everything a developer or CI runs goes through these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv demo test lint typecheck audit pytest drills browser proxy bench bench-codecs bench-ingest bench-alerts bench-export bench-map bench-routing bench-sim screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/tilsyn demo

test: venv lint typecheck audit pytest

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy -p tilsyn

# Known vulnerabilities in the installed dependencies (pip-audit; see the script for how it
# works where only PyPI is reachable).
audit: venv
	$(BIN)/python tests/security/audit_dependencies.py

# Two workers, one test file each at a time: most tests wait on servers, brokers and a
# browser, so two halves of the suite overlap (16 min in one process, about 10 in two). On a
# broker given by TILSYN_TEST_MQTT_URL, one process: two would share client ids there.
pytest: venv browser proxy
	$(BIN)/pytest -n $(if $(TILSYN_TEST_MQTT_URL),0,2) --dist loadfile

# Every fault drill, the long ones too; ends with a table of what each sent, stored and lost.
drills: venv
	TILSYN_DRILLS=all $(BIN)/pytest tests/drills

# The screen tests drive Debian's Chromium (Playwright cannot download browsers here). As root
# with apt-get it is installed when missing; otherwise those tests are skipped with the reason.
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
		>/dev/null; } || echo "chromium not installed: the browser tests will be skipped"

# The TLS proxy's tests run Debian's Caddy with the compose file's Caddyfile; installed the
# same way as the browser, and skipped with the reason where it cannot be.
proxy:
	@command -v caddy >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy \
		>/dev/null; } || echo "caddy not installed: the TLS proxy tests will be skipped"

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
