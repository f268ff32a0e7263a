# Run `make` to list the targets. Everything here is plain `go` underneath;
# each target shows the command it runs.

GO ?= go
# Extra arguments for the program a step target runs, e.g.
#   make step4 ARGS="-addr [::1]:25000 -trace"
ARGS ?=
# staticcheck's releases each need a Go of their own or newer: v0.6.1 builds
# with Go 1.23 and 1.24, v0.7.0 with 1.25, v0.8.2 with 1.26 (and newer, as
# far as is known). Pick the one for the Go in use, so that no other Go is
# downloaded to build it.
GO_MINOR = $(shell $(GO) env GOVERSION | sed -n 's/^go1\.\([0-9][0-9]*\).*/\1/p')
STATICCHECK_VERSION = $(if $(filter 23 24,$(GO_MINOR)),v0.6.1,$(if $(filter 25,$(GO_MINOR)),v0.7.0,v0.8.2))
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
# Other systems the programs must build for: select and x/sys/unix are Unix.
CROSS := darwin freebsd openbsd
# make bench LESSON_SERVER=path/to/server.py measures the lesson's own server
# too (with python3): Solutions/8_5/server.py in the python-mastery repository.
LESSON_SERVER ?=
# make bench DOCS=1 writes the plots into docs/, for docs/performance.md;
# without it they go to a new temporary folder, and the tree stays as it is.
DOCS ?=
# make bench SOLUTIONS=step4-poll,step4-epoll measures those exercises'
# solutions too, each applied to a copy of the repository.
SOLUTIONS ?=

.DEFAULT_GOAL := help
.PHONY: help step1 step2 step3 step4 run robust test cc-check fmt-check vet staticcheck race cross solutions faults check fault docs bench clean

help: ## list the targets
	@echo "usage: make TARGET"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# runstep builds step $(1) into a temporary folder and runs it from there
# with $(ARGS). `go run` does the same, but exits 1 whenever Ctrl-C reaches
# it, whatever the program does, and make would report that as an error.
# The shell waits for the program and keeps its exit status (trap :), then
# removes the folder.
define runstep
@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && trap : INT TERM && \
echo "$(GO) build -o $$dir/$(notdir $(1)) ./$(1) && $$dir/$(notdir $(1)) $(ARGS)" && \
$(GO) build -o "$$dir/$(notdir $(1))" ./$(1) && "$$dir/$(notdir $(1))" $(ARGS)
endef

step1: ## run step 1: a generator, pulled by hand
	$(call runstep,step1-generators)

step2: ## run step 2: a round-robin scheduler of tasks (ARGS=-trace to watch it)
	$(call runstep,step2-scheduler)

step3: ## run step 3: tasks waiting on Recv/Send, and select (ARGS=-trace)
	$(call runstep,step3-io-wait)

step4: ## run step 4: the lesson's echo server on 127.0.0.1:25000 (ARGS="-addr 0.0.0.0:25000 -trace")
	$(call runstep,step4-server)

run: step4 ## the same as make step4

robust: ## run step 4's server that survives real clients (ARGS="-addr :25000 -quiet -trace")
	$(call runstep,step4-server/robust)

test: cc-check fmt-check vet staticcheck race cross solutions faults ## everything CI checks
	@echo "make test: all checks passed"

# go test -race needs cgo, so a C compiler: say so in one line, before the
# other checks run, rather than after them in go's words.
cc-check: ## check that the race detector can build: cgo and a C compiler
	@cc=$$($(GO) env CC); cgo=$$($(GO) env CGO_ENABLED); \
	if ! command -v "$${cc%% *}" >/dev/null; then \
		echo "make: go test -race needs a C compiler, and there is none (go env CC: $$cc): install gcc or clang, or run the tests without the race detector: $(GO) test ./..."; \
		exit 1; \
	elif [ "$$cgo" != 1 ]; then \
		echo "make: go test -race needs cgo, and CGO_ENABLED=$$cgo: run with CGO_ENABLED=1, or run the tests without the race detector: $(GO) test ./..."; \
		exit 1; \
	fi

fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: ## go vet
	$(GO) vet ./...

staticcheck: ## staticcheck, the release for the Go in use (fetched through the Go module proxy on first use)
	$(GO) run $(STATICCHECK) ./...

race: cc-check ## all tests, with the race detector (needs a C compiler)
	$(GO) test -race -shuffle=on -count=1 ./...

cross: ## vet (so, build) everything, tests and exercise checks included, for macOS, FreeBSD, OpenBSD
	@for os in $(CROSS); do echo "GOOS=$$os $(GO) vet -tags exercises,faults ./..."; GOOS=$$os $(GO) vet -tags exercises,faults ./... || exit 1; done
	$(GO) vet -tags exercises,faults ./...

# make check FORMAT=csv STUDENT=name: the same board as CSV, for a teacher
# to collect (docs/teaching.md). Make passes both to check.sh in the
# environment.
check: ## check an exercise of docs/exercises.md: make check EX=step3-sleep; with no EX, all of them (FORMAT=csv: as CSV)
	@sh docs/exercises/check.sh $(EX)

solutions: ## prove each exercise: its check fails on the steps, and passes with its solution
	@sh docs/exercises/solutions.sh

fault: ## see what a fix of step 4 prevents: make fault NAME=partial-write; with no NAME, the list
	@sh docs/faults/fault.sh $(NAME)

faults: ## prove each fault: its test passes on the steps, and fails with docs/faults/NAME.patch
	@sh docs/faults/prove.sh

docs: ## rewrite the code excerpts and outputs in the docs from the source
	$(GO) test ./docs -count=1 -update
	$(GO) test ./docs/timeline -count=1 -update

bench: ## task switches (step 2), then the echo servers under load, pinned; about 6 minutes, more with each server added (LESSON_SERVER=..., DOCS=1, SOLUTIONS=...)
	@if [ -z "$(LESSON_SERVER)" ]; then \
		echo "make bench: without the lesson's server.py; LESSON_SERVER=path/to/server.py adds it"; \
	elif [ ! -f "$(LESSON_SERVER)" ]; then \
		echo "make bench: LESSON_SERVER=$(LESSON_SERVER) is not a file"; exit 1; \
	elif ! command -v python3 >/dev/null; then \
		echo "make bench: LESSON_SERVER needs python3, and there is none"; exit 1; \
	fi
	$(GO) test ./step2-scheduler -run '^$$' -bench . -benchmem
	@plots=$(if $(DOCS),docs,$$(mktemp -d "$${TMPDIR:-/tmp}/bench-plots.XXXXXX")) && \
	echo "$(GO) run ./step4-server/loadtest -svg $$plots$(if $(LESSON_SERVER), -lesson $(LESSON_SERVER))$(if $(SOLUTIONS), -solutions $(SOLUTIONS))" && \
	$(GO) run ./step4-server/loadtest -svg "$$plots"$(if $(LESSON_SERVER), -lesson "$(LESSON_SERVER)")$(if $(SOLUTIONS), -solutions "$(SOLUTIONS)")

clean: ## remove built and cached test results
	$(GO) clean -testcache
