# landfall — the README documents `make demo` and `make test`.
SHELL := /bin/bash
NODE_BIN := $(CURDIR)/.tools/node/bin
export PATH := $(NODE_BIN):$(PATH)
NODE := node --no-warnings=ExperimentalWarning

.PHONY: setup test unit e2e lint typecheck demo demo-stop bench crds chart clean

setup:
	@./scripts/setup.sh

lint: setup
	@npx biome check src test bench scripts
	@npx tsc --noEmit -p .

typecheck: setup
	@npx tsc --noEmit -p .

## make test: lint + type-check, then every unit, contract and e2e suite against real vcsim, libvirtd and QEMU.
test: setup
	@npx biome check src test bench scripts
	@npx tsc --noEmit -p .
	@./test/run.sh

unit: setup
	@./test/run.sh unit

e2e: setup
	@./test/run.sh e2e

demo: setup
	@./scripts/demo.sh

## make chart: deploy/helm/landfall from code, with crds/ generated from the schemas (landfall crds).
chart: setup
	@$(NODE) scripts/generate-chart.ts

demo-stop:
	@./scripts/demo.sh stop

bench: setup
	@./bench/run.sh

clean:
	rm -rf .data .demo .cache
