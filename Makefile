# Run `make` to list the targets. Everything here is plain `go` underneath;
# each target shows the command it runs.

GO ?= go
# Extra arguments for the program a step target runs, e.g.
#   make step4 ARGS="-addr [::1]:25000 -trace"
ARGS ?=
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Other systems the programs must build for: select and x/sys/unix are Unix.
CROSS := darwin freebsd openbsd
# make bench measures the lesson's own server.py too, where it and python3 are.
LESSON_SERVER ?= ../shared/seed/server.py
LESSON_PEER := $(if $(and $(wildcard $(LESSON_SERVER)),$(shell command -v python3)),-lesson $(LESSON_SERVER))

.DEFAULT_GOAL := help
.PHONY: help step1 step2 step3 step4 run test fmt-check vet staticcheck race cross solutions check docs bench clean

help: ## list the targets
	@echo "usage: make TARGET"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

step1: ## run step 1: a generator, pulled by hand
	$(GO) run ./step1-generators $(ARGS)

step2: ## run step 2: a round-robin scheduler of tasks (ARGS=-trace to watch it)
	$(GO) run ./step2-scheduler $(ARGS)

step3: ## run step 3: tasks waiting on Recv/Send, and select (ARGS=-trace)
	$(GO) run ./step3-io-wait $(ARGS)

step4: ## run step 4: the echo server on 127.0.0.1:25000 (ARGS="-addr :25000")
	$(GO) run ./step4-server $(ARGS)

run: step4 ## the same as make step4

test: fmt-check vet staticcheck race cross solutions ## everything CI checks
	@echo "make test: all checks passed"

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

staticcheck: ## staticcheck (fetched through the Go module proxy on first use)
	$(GO) run $(STATICCHECK) ./...

race: ## all tests, with the race detector
	$(GO) test -race -count=1 ./...

cross: ## vet (so, build) everything, tests and exercise checks included, for macOS, FreeBSD, OpenBSD
	@for os in $(CROSS); do echo "GOOS=$$os $(GO) vet ./..."; GOOS=$$os $(GO) vet ./... || exit 1; done
	$(GO) vet -tags exercises ./...

check: ## check an exercise of docs/exercises.md: make check EX=step3-sleep; with no EX, all of them
	@sh docs/exercises/check.sh $(EX)

solutions: ## prove each exercise: its check fails on the steps, and passes with its solution
	@sh docs/exercises/solutions.sh

docs: ## rewrite the code excerpts and outputs in the docs from the source
	$(GO) test ./docs -count=1 -update
	$(GO) test ./docs/timeline -count=1 -update

bench: ## task switches (step 2), then the echo servers under load, pinned; about 4 minutes
	$(GO) test ./step2-scheduler -run '^$$' -bench . -benchmem
	$(GO) run ./step4-server/loadtest -svg docs $(LESSON_PEER)

clean: ## remove built and cached test results
	$(GO) clean -testcache
