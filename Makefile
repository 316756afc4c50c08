# The two commands of the README, and a few helpers. Everything installs itself on first use.
.PHONY: run test lint typecheck test-unit check stack-up stack-down stack-status bench asyncapi

PYTHON := .venv/bin/python

run:            ## run the platform locally: stack, four services, demo region, live indicators
	deploy/local/stack up
	$(PYTHON) -m demo

test:           ## run the test suite against a real Kafka and FerretDB started for the tests
	deploy/local/stack build
	$(PYTHON) -m pytest -q -p no:cacheprovider

lint:           ## ruff (lint and format check) and the architecture's import contracts; needs Python only
	deploy/local/stack python
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

typecheck:      ## mypy: strict on contracts/ and every services/*/domain/, lenient elsewhere; needs Python only
	deploy/local/stack python
	.venv/bin/mypy

test-unit:      ## the unit tests only (no Kafka, FerretDB, JDK, Maven or Go needed)
	deploy/local/stack python
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/unit

check: lint typecheck test-unit   ## everything that needs Python only

stack-up:
	deploy/local/stack up
stack-down:
	deploy/local/stack down
stack-status:
	deploy/local/stack status

bench:          ## benchmarks: fold, latency, scale at region size (python -m bench --help)
	deploy/local/stack build
	$(PYTHON) -m bench

asyncapi:       ## regenerate the AsyncAPI documents in contracts/asyncapi/
	deploy/gen-contracts
