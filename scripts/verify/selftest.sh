#!/usr/bin/env bash
# Checks the verification scripts themselves on the fixtures: good trees must pass, broken copies
# must fail with the documented exit codes. Prints "verify-selftest: N passed, N failed, N skipped".
#   scripts/verify/selftest.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/fixtures
py=python3
venv_bin=$("$here/setup.sh" --print)
[ -x "$venv_bin/python" ] && py=$venv_bin/python
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aft-verify-selftest-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0

# expect NAME WANT_RC GREP -- COMMAND...: WANT_RC like "0" or "0|3"; GREP (ERE, may be empty)
# must occur in the output. A run that exits 0 with ENGINE TIER SKIPPED where the test wanted
# something else counts as skipped: that machine has no engine for it.
expect() {
  local name=$1 want=$2 grep_for=$3; shift 4
  local out rc ok=0
  out=$("$@" 2>&1); rc=$?
  if [[ "|$want|" == *"|$rc|"* ]] && { [ -z "$grep_for" ] || grep -qE "$grep_for" <<<"$out"; }; then
    ok=1
  fi
  if [ $ok = 1 ]; then
    echo "verify-selftest: $name: ok (exit $rc)"; passed=$((passed + 1))
  elif [ "$rc" = 0 ] && grep -q "ENGINE TIER SKIPPED" <<<"$out"; then
    echo "verify-selftest: $name: skipped (no engine here)"; skipped=$((skipped + 1))
  else
    echo "verify-selftest: $name: FAILED (exit $rc, wanted $want${grep_for:+ and /$grep_for/})"
    sed 's/^/    /' <<<"$out" | tail -20
    failed=$((failed + 1))
  fi
}

# Broken copies of the fixture tree: a misspelt backend argument, an undefined template variable,
# a default aws provider in the JSON, and a KMS key without rotation.
cp -r "$fixtures/tree" "$tmp/bad-backend"
sed -i 's/assume_role = {/assume_role_arn = {/' "$tmp/bad-backend/aft-global-customizations/terraform/backend.jinja"
cp -r "$fixtures/tree" "$tmp/bad-template"
sed -i 's/{{ terraform_org_name }}/{{ tfc_org }}/' "$tmp/bad-template/aft-global-customizations/terraform/backend.jinja"
cp -r "$fixtures/tree" "$tmp/bad-provider"
"$py" - "$tmp/bad-provider/aft-global-customizations/terraform/main.tf.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["provider"]["aws"].append({"region": "us-east-1"})
json.dump(doc, open(sys.argv[1], "w"), indent=2)
PY
cp -r "$fixtures/tree" "$tmp/bad-kms"
"$py" - "$tmp/bad-kms/aft-account-customizations/central/terraform/main.tf.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["resource"]["aws_kms_key"]["store"]["enable_key_rotation"] = False
json.dump(doc, open(sys.argv[1], "w"), indent=2)
PY

export AFT_FLEET_ALLOW_ENGINE_SKIP=1
expect "engine plans the provider-free fixture" 0 "plan OK with 3 resources" -- \
  "$py" "$here/engine.py" "$fixtures/engine-selftest" --plan-out "$tmp/plans"
expect "engine on the fixture tree" 0 "" -- "$py" "$here/engine.py" "$fixtures/tree"
expect "engine rejects a misspelt backend argument" 1 "Unsupported argument" -- \
  "$py" "$here/engine.py" "$tmp/bad-backend"
expect "engine rejects an undefined template variable" 1 "tfc_org' is undefined" -- \
  "$py" "$here/engine.py" "$tmp/bad-template"
expect "engine rejects a default aws provider in the JSON" 1 "default \(un-aliased\) aws provider" -- \
  "$py" "$here/engine.py" "$tmp/bad-provider"
AFT_FLEET_ALLOW_ENGINE_SKIP=0 expect "engine refuses a silent skip" "0|3" \
  "validate OK, plan OK|set AFT_FLEET_ALLOW_ENGINE_SKIP=1" -- "$py" "$here/engine.py" "$fixtures/tree"
expect "checkov passes the fixture tree" 0 "central: [0-9]+ passed, 0 failed" -- \
  "$py" "$here/checkov.py" "$fixtures/tree"
expect "checkov fails a KMS key without rotation" 1 "CKV_AWS_7" -- \
  "$py" "$here/checkov.py" "$tmp/bad-kms"
expect "checkov scans a plan JSON" 0 "builtin \(plan\): 0 passed, 0 failed|no <label>/plan.json" -- \
  "$py" "$here/checkov.py" "$fixtures/engine-selftest" "$tmp/plans"

echo "verify-selftest: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
