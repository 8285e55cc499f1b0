# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
CONFIG ?= config/watcher.toml

.PHONY: run test lint typecheck unit bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.5,<1"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --quiet
	touch $@

run: $(VENV)/.synced
	@mkdir -p data  # the default config keeps its database in data/
	$(VENV)/bin/watcher --config $(CONFIG) run

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check watcher tests benchmarks
	$(VENV)/bin/ruff format --check watcher tests benchmarks

typecheck: $(VENV)/.synced
	$(VENV)/bin/mypy

unit: $(VENV)/.synced
	$(VENV)/bin/pytest -q -n 2

test: lint typecheck unit

bench: $(VENV)/.synced
	$(VENV)/bin/python benchmarks/startup.py
	$(VENV)/bin/python benchmarks/poll.py
	$(VENV)/bin/python benchmarks/classify.py

clean:
	rm -rf $(VENV) $(TOOLS)
