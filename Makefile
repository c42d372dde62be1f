# Two entry points: `make demo` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The real consumers the tests run: pip from PyPI (put on a staged interpreter's
# PYTHONPATH) and uv, newest and the last release with the old parser.
CONSUMERS := $(VENV)/consumers
UV_OLD    := 0.13.0

# marker-tool's requires-python: 3.11 or later.
PY_OK := import sys; sys.exit(sys.version_info < (3, 11))

.PHONY: demo test test-fast lint typecheck pytest bench fuzz clean

# A venv left by an older Python (a `make demo` that failed) is made again, not reused.
$(BIN)/marker-tool: pyproject.toml
	@$(PYTHON) -c '$(PY_OK)' 2>/dev/null || { \
		echo "marker-tool needs Python 3.11 or later; $(PYTHON) is $$($(PYTHON) -V 2>&1)." >&2; \
		echo "Name a newer one: make $(MAKECMDGOALS) PYTHON=python3.12" >&2; exit 1; }
	@if [ -e $(VENV) ] && ! $(BIN)/python -c '$(PY_OK)' 2>/dev/null; then \
		echo "$(VENV) was made by an unsupported Python ($$($(BIN)/python -V 2>&1)): making it again"; \
		rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.test-deps: $(BIN)/marker-tool
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --upgrade uv
	rm -rf $(CONSUMERS)
	$(BIN)/python -m pip install --quiet --no-deps --target $(CONSUMERS)/pip pip
	$(BIN)/python -m pip install --quiet --no-deps --target $(CONSUMERS)/uv-$(UV_OLD) uv==$(UV_OLD)
	@touch $@

demo: $(BIN)/marker-tool
	rm -rf build/demo
	$(BIN)/marker-tool install --destdir build/demo
	@echo
	@echo "== tree of build/demo"
	@find build/demo | sort
	@for f in $$(find build/demo -name EXTERNALLY-MANAGED | sort); do \
		echo; echo "== $$f"; cat "$$f"; done
	@echo
	@echo "== marker-tool validate --strict"
	$(BIN)/marker-tool validate --strict $$(find build/demo -name EXTERNALLY-MANAGED | sort)
	@echo
	@echo "marker-tool is installed in $(VENV). Run it as"
	@echo "    $(BIN)/marker-tool --help"
	@echo "or put it on your PATH for this shell:"
	@echo "    . $(BIN)/activate"
	@echo "Next: README.md's 30-second example, or docs/commands.md."

lint: $(VENV)/.test-deps
	$(BIN)/ruff check marker_tool tests bench
	$(BIN)/ruff format --check marker_tool tests bench

typecheck: $(VENV)/.test-deps
	$(BIN)/mypy

# Real Debian packages for check's tests and bench (not committed; fetched once).
build/debs/.fetched: tests/fetch-debian-packages
	tests/fetch-debian-packages

# Real container images for check's tests (not committed; built once, cached).
build/images/.built: tests/build-images
	tests/build-images

pytest: $(VENV)/.test-deps build/debs/.fetched build/images/.built
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck pytest

# The fast loop while editing: every test that runs no real external program
# (pip, uv, localedef, dpkg-buildpackage, rpmbuild, python -m build), stopping
# at the first failure. `make test` before committing.
test-fast: $(VENV)/.test-deps
	$(BIN)/python -m pytest -m "not real" -x -q $(PYTEST_ARGS)

# 453 more real packages for bench/check.py's real mix.
build/debs/mix/.fetched: tests/fetch-debian-packages
	tests/fetch-debian-packages --bench

bench: $(VENV)/.test-deps build/debs/.fetched build/debs/mix/.fetched
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/check.py

# The fuzz campaign: every harness (each reader, the marker parser, the whole check
# beside a good package, a tar at every nesting level) for MINUTES each, one at a
# time and niced (2 cores are shared); prints each one's executions and coverage.
fuzz: $(VENV)/.test-deps
	nice -n 19 $(BIN)/python tests/fuzz/run.py --minutes $(or $(MINUTES),30) --jobs 1

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .hypothesis
