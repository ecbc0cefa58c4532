# Enxame. `make run` builds and starts the app; `make test` runs every test.
# Both install missing system packages first (.ci/deps.sh).

GO      ?= go
export PATH := /usr/local/go/bin:$(PATH)
VERSION := $(shell sed -n 's/^ *Version *= *"\(.*\)"/\1/p' FyneApp.toml)
BUILD   := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/enxame/enxame/app/version.Version=$(VERSION) -X github.com/enxame/enxame/app/version.Build=$(BUILD)

.PHONY: all deps build server run test lint fuzz bench package package-windows test-windows fyne-tool install install-files uninstall check-package clean

all: build

deps:
	@bash .ci/deps.sh

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o enxame .

# The headless build for servers: no cgo, no graphics, no dynamic libraries
# (of Fyne only its pure-Go lang package, which holds the translations).
server:
	CGO_ENABLED=0 $(GO) build -tags nogui -trimpath -ldflags "$(LDFLAGS)" -o enxame-server .

# Starts the desktop app (set ARGS to pass flags, e.g. ARGS="-host").
run: build
	./enxame $(ARGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy (go mod tidy -diff):"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...

# The race-enabled test build compiles Fyne's OpenGL C code once (about 4
# minutes on 2 cores the first time, silent while gcc works); the release
# build in check-package compiles it once more without -race. Everything
# else is pure Go. The CLI's end-to-end tests already run the headless
# (nogui, no cgo) binary; the headless build's own check is a vet, without
# cgo, of every package that build contains, test files included.
test: deps lint
	@echo "== go test -race ./... (a cold build compiles Fyne's OpenGL C code first: ~4 min on 2 cores)"
	$(GO) test -race -count=1 -timeout 30m ./...
	@echo "== every fuzz target, briefly (make fuzz runs them longer)"
	$(MAKE) --no-print-directory fuzz FUZZTIME=3s
	@echo "== the headless build (no cgo, no graphics: only Fyne's lang package for the translations): every package and test compiles"
	CGO_ENABLED=0 $(GO) vet -tags nogui . ./net/... ./app/cli/... ./app/i18n/... ./app/version/...
	@echo "== the release artefacts (a cold build compiles Fyne's C code again, without -race: ~3 min)"
	bash scripts/check-package.sh
	@echo "== Windows: vet, every test binary, the zip (a cold build compiles Fyne's C code for Windows twice: ~8 min each on 2 idle cores)"
	$(MAKE) --no-print-directory test-windows package-windows

# Everything compiles for Windows (docs/WINDOWS.md): a vet of the whole
# module as the app is built (cgo, MinGW) and of the headless build as it
# ships (no cgo, test files included), and every package's test binary.
# The download folder's fallbacks for systems without the Unix calls (the
# ones Windows builds) run here too: -tags nounixfs.
CC_WINDOWS ?= x86_64-w64-mingw32-gcc
test-windows: deps
	$(GO) test -race -count=1 -tags nounixfs ./net/transfer
	GOOS=windows CGO_ENABLED=0 $(GO) vet -tags nogui . ./net/... ./app/cli/... ./app/version/...
	GOOS=windows CGO_ENABLED=1 CC=$(CC_WINDOWS) $(GO) vet ./...
	@d=$$(mktemp -d); echo "GOOS=windows CGO_ENABLED=1 CC=$(CC_WINDOWS) $(GO) test -c -o $$d/ ./..."; \
	  GOOS=windows CGO_ENABLED=1 CC=$(CC_WINDOWS) $(GO) test -c -o $$d/ ./...; rc=$$?; \
	  echo "test-windows: $$(ls $$d | wc -l) test binaries built for Windows"; rm -rf $$d; exit $$rc

# Runs every fuzz target (each func FuzzX in a _test.go file under
# FUZZDIRS) for FUZZTIME, one after the other. A failure stops the run and
# leaves its input in the package's testdata/fuzz/FuzzX: commit it, it is
# then replayed by every plain `go test` as a regression case.
FUZZTIME ?= 60s
FUZZDIRS ?= .
fuzz:
	@set -e; grep -rl --include='*_test.go' --exclude-dir=dist --exclude-dir=.git '^func Fuzz' $(FUZZDIRS) | sort | while read -r f; do \
	  pkg=./$$(dirname "$${f#./}"); \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$f"); do \
	    echo "== $$t ($$pkg, $(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) "$$pkg" || exit 1; \
	  done; \
	done

bench: deps
	bash scripts/bench.sh

# fyne package bumps Build in FyneApp.toml; we keep the tree clean and
# version numbers deliberate by restoring the file afterwards.
FYNEVER := v1.7.4

fyne-tool:
	@fyne="$$($(GO) env GOPATH)/bin/fyne"; [ -x "$$fyne" ] && "$$fyne" version 2>/dev/null | grep -q "$(FYNEVER)" || \
	  $(GO) install fyne.io/tools/cmd/fyne@$(FYNEVER)

package: build fyne-tool
	@mkdir -p dist && cp FyneApp.toml dist/.FyneApp.toml.keep
	"$$($(GO) env GOPATH)/bin/fyne" package -os linux -exe enxame -name Enxame -release; rc=$$?; \
	  cp dist/.FyneApp.toml.keep FyneApp.toml; rm -f dist/.FyneApp.toml.keep; exit $$rc
	mv Enxame.tar.xz dist/enxame-$(VERSION)-linux-amd64.tar.xz
	@echo "dist/enxame-$(VERSION)-linux-amd64.tar.xz"

# The Windows zip (docs/WINDOWS.md): the app (icon, version resource, no
# console window) and enxame-server.exe, cross-built with MinGW-w64; then
# checked (PE32+ x86-64, subsystems, icon, version, build id, only Windows'
# DLLs).
package-windows: deps fyne-tool
	VERSION=$(VERSION) BUILD=$(BUILD) LDFLAGS="$(LDFLAGS)" GO=$(GO) FYNE="$$($(GO) env GOPATH)/bin/fyne" \
	  bash scripts/package-windows.sh
	python3 scripts/check-windows.py dist/enxame-$(VERSION)-windows-amd64.zip $(VERSION) $(BUILD)

# Installs into ~/.local (binary, desktop entry, icon) from the package.
install: package
	@$(MAKE) -s install-files

# install without building: unpacks the tarball made by `make package`.
install-files:
	rm -rf dist/stage && mkdir -p dist/stage
	tar -xJf dist/enxame-$(VERSION)-linux-amd64.tar.xz -C dist/stage
	$(MAKE) -C dist/stage/enxame user-install
	-command -v update-desktop-database >/dev/null && update-desktop-database -q $(HOME)/.local/share/applications
	@echo "Installed: $(HOME)/.local/bin/enxame and its menu entry"

uninstall:
	rm -f $(HOME)/.local/share/applications/io.github.enxame.desktop \
	      $(HOME)/.local/bin/enxame $(HOME)/.local/share/icons/io.github.enxame.png
	-command -v update-desktop-database >/dev/null && update-desktop-database -q $(HOME)/.local/share/applications

check-package: deps
	bash scripts/check-package.sh

clean:
	rm -rf enxame enxame-server dist

# Photographs the real app under Xvfb, driven by xdotool, in English
# (screenshots/*.png) and in Brazilian Portuguese (screenshots/pt_BR/*.png).
.PHONY: screenshots
screenshots: deps
	bash scripts/screenshots.sh
	SHOT_LANG=pt_BR bash scripts/screenshots.sh
