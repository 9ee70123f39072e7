# Set-up is part of every target: a fresh machine needs only python3 and make.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLES := samples
DB ?= kehoach.duckdb

.PHONY: setup demo test bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# main job: ingest the bundled sample documents into an embedded DuckDB file,
# print what was found and the cross-plan obligations table
demo: $(STAMP)
	rm -f $(DB)
	$(BIN)/kehoach ingest $(SAMPLES) --db $(DB) --quiet
	$(BIN)/kehoach list --db $(DB)
	$(BIN)/kehoach obligations --db $(DB) --format table

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) *.egg-info $(DB)
