#!/usr/bin/env bash
# Installs the packages whose published bytecode the EVM engine deploys —
# @uniswap/v2-core 1.0.1, @uniswap/v2-periphery 1.1.0-beta.0, @aave/core-v3
# 1.19.3 — and the solc 0.8.28 compiler, exactly as package-lock.json pins
# them: `npm ci` checks every tarball against the lock's sha512 integrity
# hash. Nothing runs at install time (--ignore-scripts).
#
# Idempotent and fast when already installed: it does nothing when
# node_modules was installed from this very lock file.
#
# The bytecode meshc uses is committed under artifacts/; `node artifacts.js
# --check` (run by the crate's tests) proves it is what these packages and
# this compiler give, and `node artifacts.js` derives it again.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
    echo "runtime/evm/install.sh: npm (Node.js) is required to install the EVM artifacts" >&2
    exit 1
fi

stamp=node_modules/.mesh-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo "runtime/evm: packages already installed from package-lock.json ($want)"
    exit 0
fi

echo "runtime/evm: installing the pinned packages (npm ci)"
npm ci --ignore-scripts --no-audit --no-fund
echo "$want" > "$stamp"
