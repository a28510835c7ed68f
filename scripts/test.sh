#!/usr/bin/env bash
# The test command (`npm test`): every verification tier. Stops with the first failure's exit code.
#   AFT_FLEET_ALLOW_ENGINE_SKIP=1 (set by default here) lets the engine tier skip, loudly, where no
#   Terraform engine with the aws and archive providers can be had (no registry access, no mirror).
# Independent tiers run side by side (the type check and lint, and the example's synth with its engine,
# checkov and self-test tiers, beside the package build and then jest); each one's output is printed
# whole when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
started=$SECONDS

echo "== setup: Python tools of the verification tiers (checkov, moto, jinja2)"
bash scripts/verify/setup.sh
PATH="$(bash scripts/verify/setup.sh --print):$PATH"
AFT_FLEET_VERIFY_VENV=.work/moto-venv bash scripts/verify/setup.sh --requirements requirements-moto.txt
# moto's own venv first: the Lambda tests need its newer botocore (see requirements-moto.txt).
PATH="$PWD/.work/moto-venv/bin:$PATH"
export PATH

out=$(mktemp -d "${TMPDIR:-/tmp}/aft-fleet-test-XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"' EXIT

# finish NAME PID: waits for a background tier, prints its log, fails the run with its exit code.
finish() {
  local name=$1 pid=$2 rc=0
  wait "$pid" || rc=$?
  cat "$out/$name.log"
  if [ "$rc" -ne 0 ]; then
    echo "== $name: FAILED (exit $rc)"
    exit "$rc"
  fi
}

echo "== tier 1 (type check, lint), tiers 3, 4 (engine, checkov) and the verification self-test, beside the package build, then jest"
{ echo "== tier 1: type check and lint (eslint: mistakes, not style; both incremental, their caches in node_modules/.cache)"; npm run --silent typecheck && npm run --silent lint; } > "$out/typecheck.log" 2>&1 &
typecheck=$!; pids+=("$typecheck")
{
  echo "== synth of the example organization"
  node -r esbuild-register main.ts synth --out "$out/dist"
  echo "== tiers 3, 4: Terraform engine and checkov on every emitted folder"
  AFT_FLEET_ALLOW_ENGINE_SKIP=${AFT_FLEET_ALLOW_ENGINE_SKIP:-1} bash scripts/verify/run.sh "$out/dist"
  echo "== self-test of the verification scripts"
  bash scripts/verify/selftest.sh
} > "$out/verify.log" 2>&1 &
verify=$!; pids+=("$verify")
{ echo "== package: npm pack (lib/, the tarball the package test installs)"; npm pack --silent --pack-destination "$out" > "$out/pack.name"; } > "$out/pack.log" 2>&1 &
pack=$!; pids+=("$pack")
finish pack "$pack"
AFT_FLEET_TARBALL="$out/$(tail -n 1 "$out/pack.name")"
export AFT_FLEET_TARBALL

echo "== tiers 1, 2, 5: unit, config, synth integration, package, CI example and Lambda tests (jest, Lambdas against moto)"
npx jest --ci --maxWorkers=2
finish typecheck "$typecheck"
finish verify "$verify"
echo "== all tiers passed in $((SECONDS - started)) s"
