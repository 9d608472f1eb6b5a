# 砂川市 総合戦略オープンデータポータル
#   make serve  — set up, build the data if needed, serve at http://127.0.0.1:8000/
#   make test   — set up and run every test
#   make build  — rebuild db/strategy.db and datapackage/ from the source document
#   make bench  — measure speed (see README)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
SOURCE := datapackage/sources/sunagawa-strategy2-revision-comparison-table.txt
DB     := db/strategy.db
PIPELINE := $(wildcard portal/pipeline/*.py portal/pipeline/*.yaml)

NODE_DEPS := node_modules/.package-lock.json

.PHONY: setup build serve test bench browser clean a11y-report

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 以上が必要です / Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

$(DB): $(STAMP) $(SOURCE) $(PIPELINE)
	$(BIN)/portal build

build: $(STAMP)
	$(BIN)/portal build

serve: $(DB)
	$(BIN)/portal serve

# browser tests: Debian's chromium + fonts-noto-cjk (installed when run as root) and axe-core from npm
browser:
	@scripts/ensure-browser.sh

$(NODE_DEPS): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "!!! npm がないため axe-core を入れられません / npm missing: browser tests will be skipped" >&2; fi

test: $(STAMP) browser $(NODE_DEPS)
	$(BIN)/python -m pytest

# run the browser tests and record their accessibility results for the /accessibility page
a11y-report: $(STAMP) browser $(NODE_DEPS)
	PORTAL_A11Y_RECORD=1 PORTAL_REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/test_browser.py -q

bench: $(DB)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) db test-artifacts node_modules
