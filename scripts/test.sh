#!/usr/bin/env bash
# Sets up everything, then runs the whole test suite with node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
