#!/usr/bin/env bash
# Runs the whole test suite. Needs PostgreSQL's server binaries (Debian:
# `apt-get install postgresql`; the tests start and stop their own throwaway
# server) or RUNBOOK_TEST_DATABASE_URL pointing at a server you provide.
# kubectl (Debian: kubernetes-client) is optional: without it the kubectl
# compatibility test says it was skipped.
set -euo pipefail
cd "$(dirname "$0")"
exec cargo test --workspace --locked --no-fail-fast "$@"
