#!/usr/bin/env bash
# The test command (`npm test`): every verification tier, cheapest first. Stops at the first failure.
#   AFT_FLEET_ALLOW_ENGINE_SKIP=1 (set by default here) lets the engine tier skip, loudly, where no
#   Terraform engine with the aws and archive providers can be had (no registry access, no mirror).
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1

echo "== setup: Python tools of the verification tiers (checkov, moto, jinja2)"
bash scripts/verify/setup.sh
PATH="$(bash scripts/verify/setup.sh --print):$PATH"
AFT_FLEET_VERIFY_VENV=.work/moto-venv bash scripts/verify/setup.sh --requirements requirements-moto.txt
# moto's own venv first: the Lambda tests need its newer botocore (see requirements-moto.txt).
PATH="$PWD/.work/moto-venv/bin:$PATH"
export PATH

echo "== tier 1: type check"
npx tsc --noEmit -p .

echo "== tiers 1, 2, 5: unit, config, synth integration and Lambda tests (jest, Lambdas against moto)"
npx jest --ci

out=$(mktemp -d "${TMPDIR:-/tmp}/aft-fleet-test-XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "== synth of the example organization"
node -r esbuild-register main.ts synth --out "$out/dist"

echo "== tiers 3, 4: Terraform engine and checkov on every emitted folder"
AFT_FLEET_ALLOW_ENGINE_SKIP=${AFT_FLEET_ALLOW_ENGINE_SKIP:-1} bash scripts/verify/run.sh "$out/dist"

echo "== self-test of the verification scripts"
bash scripts/verify/selftest.sh
