# sfprobe: build, test and deploy tasks. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

FUNCTIONS := check-config check-salesforce cleanup publish-metrics deploy-gate
GOFLAGS_LAMBDA := -tags lambda.norpc -trimpath -ldflags='-s -w'
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
GOBIN ?= $(shell go env GOPATH)/bin

# CDK and jsii: quiet, offline, project-local state.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_HOME := $(CURDIR)/.cdk-home
export npm_config_update_notifier := false

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z0-9%-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: $(FUNCTIONS:%=build-%) ## build every Lambda: dist/<function>/bootstrap (linux/arm64), the deploy gate's too

build-%:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build $(GOFLAGS_LAMBDA) -o dist/$*/bootstrap ./functions/$*

.PHONY: sfprobe
sfprobe: ## build the CLI into bin/sfprobe
	CGO_ENABLED=0 go build -trimpath -o bin/sfprobe ./cmd/sfprobe

.PHONY: local
local: ## run the deployed workflow end to end on a local AWS (moto) and a simulated sfInvokeAPI
	go run ./cmd/sfprobe local

.PHONY: tools
tools: ## install the test tools: the Lambda Runtime Interface Emulator
	@command -v aws-lambda-rie >/dev/null || GOBIN=$(GOBIN) go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

.PHONY: test
test: tools ## run every test: unit, wire, the workflow end to end on moto, the Lambda binaries under the emulator, CDK
	@# Budget: the sandbox package (moto end to end, every fault through both engines) is the
	@# longest, about 6 minutes on 2 idle cores under -race; 25m leaves room for a loaded machine
	@# and keeps the whole of .ci/run well inside CI's 90 minutes.
	PATH="$(GOBIN):$$PATH" go test -race -count=1 -timeout 25m $$(go list ./... | grep -v '/cdk')
	@# The redactor's fuzz target beyond its seeds: secret values of any bytes in any encoding.
	go test -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime 15s ./internal/redact/
	go test -count=1 -timeout 15m ./cdk/... ./internal/alarmname/...

.PHONY: test-fast
test-fast: ## the unit tests only (no moto, no CDK)
	go test -short -race ./...

.PHONY: bench
bench: ## run the benchmarks (see docs/BENCHMARKS.md)
	go test -run '^$$' -bench . -benchmem $$(go list ./... | grep -v '/cdk')

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@go list ./... | grep -v /cdk | while read -r pkg; do \
	  for f in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; go test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$pkg || exit 1; \
	  done; done

.PHONY: lint
lint: ## gofmt, go vet and a tidy go.mod
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: run gofmt -w"; exit 1; }
	go vet ./...
	@go mod tidy -diff >/dev/null || { go mod tidy -diff; echo "go.mod: run go mod tidy"; exit 1; }

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@# A go.mod of its own keeps the CDK CLI's Go templates out of ./...
	@printf 'module ignore/node_modules\n' > node_modules/go.mod
	@touch node_modules

SYNTH_CONTEXT ?= -c configFile=cdk/example-config.json

.PHONY: synth
synth: build node_modules ## synthesize the template (CDK CLI 2.1148.1; cdk-nag findings fail it) and lint it with cfn-lint
	npx --no-install cdk synth -q --no-notices $(SYNTH_CONTEXT)
	cfn-lint --non-zero-exit-code error cdk.out/*.template.json
	cfn-lint --non-zero-exit-code error cdk/templates/sfprobe-target-role.template.json

.PHONY: target-role-template
target-role-template: ## rewrite cdk/templates/sfprobe-target-role.template.json, the target accounts' role, from its construct
	go test -count=1 -run '^TestTargetRoleTemplateUpToDate$$' ./cdk/monitor/ -update

.PHONY: test-cdk
test-cdk: ## the CDK assertions and cdk-nag tests
	go test -count=1 ./cdk/... ./internal/alarmname/...

.PHONY: deploy
deploy: build node_modules ## deploy a stack: make deploy SYNTH_CONTEXT="-c configFile=sfprobe.json"
	npx --no-install cdk deploy $(SYNTH_CONTEXT)

.PHONY: clean
clean: ## remove build outputs
	rm -rf dist dist-host bin cdk.out .cdk-home
