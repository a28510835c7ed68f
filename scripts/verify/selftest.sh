#!/usr/bin/env bash
# Checks the verification scripts themselves on the fixtures: good trees must pass, broken copies
# must fail with the documented exit codes. Prints "verify-selftest: N passed, N failed, N skipped".
#   scripts/verify/selftest.sh
# The cases are in selftest.py, which runs them in two processes (engine cases, checkov cases).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=python3
venv_bin=$("$here/setup.sh" --print)
[ -x "$venv_bin/python" ] && py=$venv_bin/python
exec "$py" "$here/selftest.py"
