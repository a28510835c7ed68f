#!/usr/bin/env bash
# Runs the engine tier then the security-scan tier on one synth output directory.
#   scripts/verify/run.sh DIR
# Exit: 0 both tiers passed (the engine tier may have printed ENGINE TIER SKIPPED when
# AFT_FLEET_ALLOW_ENGINE_SKIP=1), otherwise the first non-zero exit code of the two.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: scripts/verify/run.sh DIR}
py=python3
venv_bin=$("$here/setup.sh" --print)
[ -x "$venv_bin/python" ] && py=$venv_bin/python
plans=$(mktemp -d "${TMPDIR:-/tmp}/aft-verify-plans-XXXXXX")
trap 'rm -rf "$plans"' EXIT
"$py" "$here/engine.py" "$dir" --plan-out "$plans"; engine_rc=$?
"$py" "$here/checkov.py" "$dir" "$plans"; checkov_rc=$?
if [ $engine_rc -ne 0 ]; then exit $engine_rc; fi
exit $checkov_rc
