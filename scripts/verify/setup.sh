#!/usr/bin/env bash
# Creates (or refreshes) the Python venv of the verification tiers from requirements-dev.txt.
# Idempotent: skipped when the venv was built from the same requirements-dev.txt (sha256 stamp).
#   scripts/verify/setup.sh          install into .work/verify-venv (AFT_FLEET_VERIFY_VENV overrides)
#   scripts/verify/setup.sh --print  print the venv's bin directory (to put on PATH)
#   scripts/verify/setup.sh --requirements FILE   install FILE (relative to the repo) instead
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
venv=${AFT_FLEET_VERIFY_VENV:-$repo/.work/verify-venv}
req=$repo/requirements-dev.txt
if [ "${1:-}" = "--print" ]; then echo "$venv/bin"; exit 0; fi
if [ "${1:-}" = "--requirements" ]; then req=$repo/${2:?usage: setup.sh --requirements FILE}; fi

want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
  echo "verify-setup: $venv is up to date"
  exit 0
fi
start=$SECONDS
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
  || { echo "verify-setup: needs Python >= 3.10 ($python is $("$python" -V 2>&1))"; exit 1; }
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$venv/.requirements.sha256"
echo "verify-setup: installed $(basename "$req") into $venv in $((SECONDS - start)) s"
