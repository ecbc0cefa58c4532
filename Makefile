# Enxame. `make run` builds and starts the app; `make test` runs every test.
# Both install missing system packages first (.ci/deps.sh).

GO      ?= go
export PATH := /usr/local/go/bin:$(PATH)
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
BUILD   := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/enxame/enxame/app/cli.Version=$(VERSION) -X github.com/enxame/enxame/app/cli.Build=$(BUILD)

.PHONY: all deps build run test lint bench clean

all: build

deps:
	@bash .ci/deps.sh

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o enxame .

# Starts the desktop app (set ARGS to pass flags, e.g. ARGS="-host").
run: build
	./enxame $(ARGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags nogui .

test: deps lint
	$(GO) test -race -count=1 -timeout 30m ./...

bench: deps
	bash scripts/bench.sh

clean:
	rm -f enxame enxame-server
