# The README's commands. Each one sets up what it needs on a fresh machine (a .venv here).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test bench properties-long fuzz-long text-eval text-compare text-bench proto proto-check lint clean

serve: $(STAMP)  ## start the service on its embedded defaults (port 50051)
	$(BIN)/python -m service serve

test: $(STAMP)  ## run the whole test suite
	$(BIN)/python -m pytest -q

bench: $(STAMP)  ## every benchmark, with tables (bench/README.md); add the soak with `make bench ARGS=--soak`
	$(BIN)/python -m bench $(ARGS)

properties-long: $(STAMP)  ## the property tests with 5,000 examples each (minutes)
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -q tests/domain/test_properties.py

fuzz-long: $(STAMP)  ## hostile requests and raw bytes over a real channel, 5,000 of each, with a tally (minutes)
	$(BIN)/python -m tests.support.fuzz --examples 5000

# The text reader is compiled with mypyc (setup.py): editing it reinstalls, so no stale build runs.
$(STAMP): pyproject.toml setup.py service/domain/mentions.py $(wildcard service/domain/text/*.py)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

text-eval: $(STAMP)  ## precision and recall of text reading on both labelled sets
	$(BIN)/python -m bench.text_eval
	$(BIN)/python -m bench.text_eval --heldout

text-compare: $(STAMP)  ## the approach comparison of docs/text-reading.md (installs medspaCy & co.; pure-Python reader while it runs)
	find service -name '*.so' -delete
	DERMTRIAGE_PURE_PYTHON=1 $(BIN)/pip install --quiet -e '.[dev,compare]'
	$(BIN)/python -m bench.text_compare; status=$$?; $(BIN)/pip install --quiet -e '.[dev]'; exit $$status

text-bench: $(STAMP)  ## the cost of text reading beside Assess
	$(BIN)/python -m bench.text_bench

proto: $(STAMP)  ## regenerate service/gen from protos/ (never edit service/gen by hand)
	$(BIN)/python -m tools.genproto

proto-check: $(STAMP)  ## fail if service/gen is not what protos/ generates
	$(BIN)/python -m tools.genproto --check

lint: $(STAMP)  ## buf lint, ruff, mypy, lint-imports (the layers), hadolint
	$(BIN)/buf lint
	$(BIN)/ruff check service tests bench tools
	$(BIN)/ruff format --check service tests bench tools
	$(BIN)/mypy service
	$(BIN)/lint-imports --no-cache
	$(BIN)/hadolint Dockerfile

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
