# Two commands set up a fresh machine: `make demo` and `make test`. Each creates the virtual
# environment in .venv (Python 3.11+) and installs Tandem with what it needs, once.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo run check test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Tandem needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

## demo: the whole programme offline, no Telegram token needed (output in ./demo-out)
demo: $(STAMP)
	$(BIN)/tandem demo --out demo-out

## run: apply migrations and run the bot (needs TANDEM_TELEGRAM_TOKEN; see README)
run: $(STAMP)
	$(BIN)/tandem db upgrade $(if $(CONFIG),--config $(CONFIG))
	$(BIN)/tandem run $(if $(CONFIG),--config $(CONFIG))

## check: the layers (import-linter: README, "Architecture"), the types (mypy) and the lint (ruff)
check: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/ruff check .

## test: the whole test suite (SQLite always; PostgreSQL when a server answers)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: the planner, delivery, web, board and load benchmarks (installs OR-Tools for the CP-SAT baseline)
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m benchmarks.planner $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.delivery.bench_delivery
	$(BIN)/python -m benchmarks.web
	$(BIN)/python -m benchmarks.board
	$(BIN)/python -m benchmarks.load

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
