# Set-up is part of every target: a fresh machine needs only python3 and make.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLES := samples
DB ?= kehoach.duckdb

.PHONY: setup sysdeps demo test bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# System tools for .doc (LibreOffice, antiword) and OCR (Tesseract + Vietnamese model),
# from Debian/Ubuntu apt; skipped when already present. `kehoach doctor` reports them.
SYSDEPS := libreoffice-writer-nogui tesseract-ocr tesseract-ocr-vie antiword fonts-dejavu-core recode
sysdeps:
	@if command -v soffice >/dev/null 2>&1 && command -v antiword >/dev/null 2>&1 \
	    && tesseract --list-langs 2>/dev/null | grep -qx vie; then \
	  echo "sysdeps: LibreOffice, antiword, Tesseract (vie) present"; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -q --no-install-recommends $(SYSDEPS); \
	else \
	  echo "sysdeps: no apt-get here; install LibreOffice, antiword and Tesseract with Vietnamese (vie)"; \
	fi

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
