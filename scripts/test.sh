#!/usr/bin/env bash
# The test command (`npm test`): every verification tier, in order of cost.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== tier 1-2: type check"
npx tsc --noEmit -p .
echo "== tier 1-2, 5: unit, config, synth integration and lambda tests (jest)"
npx jest --ci
