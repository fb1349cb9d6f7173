#!/bin/sh
# A long run of the refinement property (compiler/tests/refinement.rs):
# CASES random bundles on random worlds (default 1,000,000), release build.
set -eu
CASES="${1:-1000000}"
cd "$(dirname "$0")/.."
MESH_REFINEMENT_CASES="$CASES" PROPTEST_MAX_SHRINK_ITERS=100000 \
    cargo test -p meshc --release --test refinement -- --nocapture
