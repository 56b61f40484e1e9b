#!/bin/sh
# Lint throughput: in-process figures from the dsl benchmark, then the real
# release binary on the same 1,000-file directory. Prints figures only.
set -eu
cd "$(dirname "$0")/.."
cargo build --release -p runbook
RUNBOOK_BIN="$(pwd)/target/release/runbook" cargo bench -p runbook-dsl --bench lint
