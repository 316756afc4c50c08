# The two commands of the README, and a few helpers. Everything installs itself on first use.
.PHONY: run test stack-up stack-down stack-status bench asyncapi

PYTHON := .venv/bin/python

run:            ## run the platform locally: stack, four services, demo region, live indicators
	deploy/local/stack up
	$(PYTHON) -m demo.platform

test:           ## run the test suite against a real Kafka and FerretDB started for the tests
	deploy/local/stack build
	$(PYTHON) -m pytest -q -p no:cacheprovider

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
