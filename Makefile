# 砂川市 総合戦略オープンデータポータル
#   make serve  — set up, build the data if needed, serve at http://127.0.0.1:8000/ (PORT=8080 HOST=0.0.0.0 to change)
#   make test   — set up, check the code's style and run every test
#   make build  — rebuild db/strategy.db and datapackage/ from the source document
#   make bench  — measure speed (see README)

PYTHON ?= python3
HOST   ?= 127.0.0.1
PORT   ?= 8000
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# the sources manifest and every document it may list
SOURCES := datapackage/sources/manifest.yaml $(wildcard datapackage/sources/*.txt)
DB     := db/strategy.db
PIPELINE := $(wildcard portal/pipeline/*.py portal/pipeline/*.yaml)

NODE_DEPS := node_modules/.package-lock.json

.PHONY: setup build serve test bench tools clean a11y-report

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 以上が必要です / Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

$(DB): $(STAMP) $(SOURCES) $(PIPELINE)
	$(BIN)/portal build

build: $(STAMP)
	$(BIN)/portal build

serve: $(DB)
	$(BIN)/portal serve --host $(HOST) --port $(PORT)

# test tools: Debian's chromium + fonts-noto-cjk and nginx (installed when run as root), axe-core from npm
tools:
	@scripts/ensure-test-tools.sh

$(NODE_DEPS): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "!!! npm がないため axe-core を入れられません / npm missing: browser tests will be skipped" >&2; fi

test: $(STAMP) tools $(NODE_DEPS)
	$(BIN)/ruff check portal tests scripts
	$(BIN)/ruff format --check portal tests scripts
	$(BIN)/lint-imports --no-logo
	@start=$$(date +%s); $(BIN)/python -m pytest -n auto --dist loadfile --durations=5; status=$$?; \
	  echo "テストの所要時間 / test wall time: $$(( $$(date +%s) - start )) s"; exit $$status

# run the browser tests and record their accessibility results for the /accessibility page
a11y-report: $(STAMP) tools $(NODE_DEPS)
	PORTAL_A11Y_RECORD=1 PORTAL_REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/test_browser.py -q \
	  --deselect tests/test_browser.py::test_the_policy_page_reports_what_the_tests_check

bench: $(DB)
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) db test-artifacts node_modules
