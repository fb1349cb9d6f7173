#!/usr/bin/env bash
# Runs every test of the project: the Rust workspace (unit, property,
# snapshot and end-to-end tests of the real binary) and the editor grammars.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== EVM packages (pinned, integrity-checked; docs/evm.md)"
bash runtime/evm/install.sh

echo "== Rust workspace tests"
cargo test --workspace --locked

echo "== Editor grammar tests"
bash editors/test.sh
