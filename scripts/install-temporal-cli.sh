#!/usr/bin/env bash
# Installs the official Temporal CLI (the real server for `temporal server start-dev`, its Web UI and the
# `temporal` commands), pinned, into .tools/bin of this checkout (git-ignored). Idempotent: a binary that
# already reports the pinned version is kept. Built from source with `go install`, which needs Go and the
# Go module proxy; v1.5.1 bundles server 1.29.1 (later tags carry a `replace` in go.mod, which go install
# refuses). Exit 0 when installed; exit 3, with what to do, when Go is missing (callers may go on: the
# real-server suites then skip with a notice).
set -euo pipefail
VERSION="v1.5.1"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/.tools/bin"
target="$bin/temporal"
# `go install` leaves the version string at 0.0.0-DEV: the stamp says which tag the binary was built from.
stamp="$bin/temporal.version"

if [ -x "$target" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$VERSION" ]; then
  echo "temporal-cli: $target is ${VERSION} already"
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "temporal-cli: Go is not installed, so temporal ${VERSION} cannot be built here." >&2
  echo "temporal-cli: install Go (https://go.dev/dl/, or apt-get install golang-go) and run $0 again," >&2
  echo "temporal-cli: or put a temporal binary on the PATH / in TEMPORAL_CLI; the real-server suites skip until then." >&2
  exit 3
fi
mkdir -p "$bin"
echo "temporal-cli: building github.com/temporalio/cli/cmd/temporal@${VERSION} (several minutes the first time)"
start=$(date +%s)
GOBIN="$bin" go install "github.com/temporalio/cli/cmd/temporal@${VERSION}"
echo "$VERSION" > "$stamp"
echo "temporal-cli: installed $("$target" --version) in $(( $(date +%s) - start )) s"
