# Two entry points: `make demo` and `make test`. Both build .venv on first use.
PYTHON ?= python3
# comm's process substitution
SHELL  := /bin/bash
VENV   := .venv
BIN    := $(VENV)/bin
# The real consumers the tests run: pip from PyPI (put on a staged interpreter's
# PYTHONPATH) and uv, newest and the last release with the old parser; pip 24.0,
# the last that runs on Python 3.7 (bullseye's PyPy; newest pip needs 3.10).
CONSUMERS := $(VENV)/consumers
UV_OLD    := 0.13.0
PIP_OLD   := 24.0

# marker-tool's requires-python: 3.11 or later.
PY_OK := import sys; sys.exit(sys.version_info < (3, 11))

# The Debian packages the tests need: one list, for this file, .ci/run and the docs.
DEBIAN_PACKAGES := $(shell sed -e 's/\#.*//' tests/debian-packages)
# Test processes side by side (pytest-xdist; an idle one takes tests queued for a busy
# one): `make test JOBS=0` runs them in one.
JOBS ?= auto

.PHONY: demo test test-fast test-pythons lint typecheck pytest bench fuzz clean \
	debian-packages

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
	$(BIN)/python -m pip install --quiet --no-deps --target $(CONSUMERS)/pip-$(PIP_OLD) pip==$(PIP_OLD)
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

# As root, installs the Debian packages the tests need that are missing (apt-get);
# otherwise stops with exit 2 before anything else, naming the one command to run.
GOAL = $(or $(MAKECMDGOALS),test)
debian-packages:
	@if [ "$$(id -u)" != 0 ]; then \
		echo "make $(GOAL) needs root: it installs the Debian packages in tests/debian-packages," >&2; \
		echo "and the tests make chroots and mount overlays. Run it as root:" >&2; \
		echo "    sudo make $(GOAL)" >&2; \
		echo "(make test-fast needs neither.)" >&2; \
		exit 2; fi
	@missing=$$(dpkg-query -W -f '$${db:Status-Abbrev} $${Package}\n' $(DEBIAN_PACKAGES) 2>/dev/null \
		| awk '$$1 == "ii" {print $$2}' | sort -u | comm -13 - <(printf '%s\n' $(DEBIAN_PACKAGES) | sort -u)); \
	if [ -n "$$missing" ]; then \
		echo "Installing the Debian packages the tests need:" $$missing; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing \
			>/dev/null; fi

lint: $(VENV)/.test-deps
	$(BIN)/ruff check marker_tool tests bench
	$(BIN)/ruff format --check marker_tool tests bench

typecheck: $(VENV)/.test-deps
	$(BIN)/mypy

# Real Debian packages for check's tests and bench (not committed; fetched once).
build/debs/.fetched: tests/fetch-debian-packages
	tests/fetch-debian-packages

# Every binary package of each suite's Python source builds, for the oracle, and
# real container images for check's tests: made by the first test that needs them
# (tests/corpus.py, tests/image_corpus.py), or ahead of a run with these (not
# committed; made once, cached).
build/debs/suites/manifest.json: tests/corpus.py | $(VENV)/.test-deps
	$(BIN)/python -m tests.corpus

build/images/.built: tests/build-images
	tests/build-images

# The tests find the consumers through MARKER_TOOL_CONSUMERS (another VENV has its own).
pytest: $(VENV)/.test-deps build/debs/.fetched
	MARKER_TOOL_CONSUMERS=$(abspath $(CONSUMERS)) \
		$(BIN)/python -m pytest -n $(JOBS) --dist worksteal $(PYTEST_ARGS)

# debian-packages first: nothing runs before the machine has what the tests need.
test: debian-packages
	$(MAKE) lint typecheck pytest

# The fast loop while editing: every test that runs no real external program
# (pip, uv, localedef, dpkg-buildpackage, rpmbuild, python -m build), stopping
# at the first failure. `make test` before committing.
test-fast: $(VENV)/.test-deps
	MARKER_TOOL_CONSUMERS=$(abspath $(CONSUMERS)) \
		$(BIN)/python -m pytest -n $(JOBS) --dist worksteal -m "not real" -x -q $(PYTEST_ARGS)

# Every supported Python: the whole suite under each of HOST_PYTHONS (on PATH as
# pythonX.Y, else pyenv's newest X.Y), each in its own venv under build/venvs/; then
# the fast suite under Debian's Python 3.14, which no Debian 12 machine has, in a clean
# forky chroot.
HOST_PYTHONS ?= 3.11 3.12 3.13
test-pythons: debian-packages $(VENV)/.test-deps
	@set -e; for xy in $(HOST_PYTHONS); do \
		py=""; for c in $$(command -v python$$xy) \
			$$(ls -dvr $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$xy.*/bin/python$$xy 2>/dev/null); do \
			if "$$c" -c '' 2>/dev/null; then py=$$c; break; fi; done; \
		[ -n "$$py" ] || { echo "no Python $$xy: none on PATH or in pyenv" >&2; exit 1; }; \
		echo "== Python $$xy: $$py"; \
		$(MAKE) --no-print-directory pytest VENV=build/venvs/$$xy PYTHON=$$py; \
	done
	$(BIN)/python -m tests.debian_python --suite forky --python 3.14 -n $(JOBS) -m "not real" -q

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
