# Doorstep — the two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DOORSTEP_HTTPS ?= 0

.PHONY: demo test install lint typecheck browsers serve worker clean

# Any Python 3.11 or newer will do: `make PYTHON=python3.12 test` picks another one.
$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Doorstep needs Python 3.11 or newer: $(PYTHON) is not on the PATH (try make PYTHON=/path/to/python3)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Doorstep needs Python 3.11 or newer: $(PYTHON) is $$($(PYTHON) -c 'import platform; print(platform.python_version())') (try make PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/doorstep demo

# Browser tests need Debian's Chromium and a CJK font, the intake bench's test needs wrk; install them when missing (root only).
browsers:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wenquanyi || ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    (apt-get update -q && apt-get install -y -q chromium fonts-wqy-microhei wrk) >/dev/null; \
	  else echo "browser and bench tests need: sudo apt-get install chromium fonts-wqy-microhei wrk"; fi; \
	fi

test: $(STAMP) browsers
	DOORSTEP_FAST_HASHER=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check doorstep tests
	$(BIN)/ruff format --check doorstep tests
	$(BIN)/doorstep manage makemigrations --check --dry-run --noinput

typecheck: $(STAMP)
	$(BIN)/mypy doorstep

serve: $(STAMP)
	$(BIN)/doorstep serve

worker: $(STAMP)
	$(BIN)/doorstep worker

clean:
	rm -rf $(VENV) doorstep.sqlite3* media staticfiles .pytest_cache
