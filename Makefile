# Two commands set everything up on a fresh machine with Python 3.11:
#   make demo   - the quick-start against moto in-process (or $BLOOP_ENDPOINT_URL)
#   make test   - flake8, mypy and the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test unit docs docs-layout bench clean

# An editable install that type checkers see: by default setuptools puts an import hook in
# site-packages, which mypy cannot follow ("Cannot find implementation or library stub" in
# any project using this venv); compat mode puts the checkout's path in a .pth file instead.
# tests/unit/test_user_typing.py runs mypy on a file outside the checkout to hold this.
EDITABLE := --config-settings editable_mode=compat

$(STAMP): setup.py Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -q $(EDITABLE) -e '.[test,docs,aio,fast,pydantic,otel,cli,dask]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

test: $(STAMP)
	$(BIN)/flake8 bloop tests examples benchmarks tools
	$(BIN)/python -m mypy --config-file tox.ini
	$(BIN)/python -m pytest

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

# bloop against the raw botocore client on a local stub endpoint (a few minutes); see
# docs/performance.rst.  BENCH_REPS, BENCH_SAVE_N and BENCH_N tune it.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

# the front page, quick start and single-table guide in headless Chromium at a laptop's and a
# phone's width (needs Debian's chromium package, or $CHROMIUM); not part of `make test`
docs-layout: docs
	$(BIN)/python tools/check_docs_layout.py --shots docs/_build/layout

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .cache
