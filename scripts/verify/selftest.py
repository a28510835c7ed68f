#!/usr/bin/env python3
"""Self-test of the verification scripts on the fixtures (run by selftest.sh).

Good trees must pass, broken copies must fail with the documented exit codes. Prints one line per
case and "verify-selftest: N passed, N failed, N skipped"; exits 1 if a case failed.

A case runs engine.py's or checkov.py's main() with the command's arguments and environment, and
checks its exit code and its output (stdout and stderr) exactly as the separate command was checked.
The cases share processes so that the fixed costs are paid once, not once per case: the engine
cases run in this process against one moto server (each run still resets and seeds it before every
step that uses it), and the checkov cases run one after the other in a single worker process beside
them, which imports checkov once. The worker is this script with --checkov-worker.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True   # keep scripts/verify/ free of __pycache__
HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"


@dataclass
class Case:
    name: str
    want: str               # exit codes like "0" or "0|3"
    grep: str               # a regex (ERE) some output line must match; "" for none
    tier: str               # "engine" or "checkov"
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    needs_plans: bool = False   # reads the plans the first engine case writes


def cases(tmp: Path) -> list[Case]:
    f, t = str(FIXTURES), str(tmp)
    return [
        Case("engine plans the provider-free fixture", "0", "plan OK with 3 resources", "engine",
             [f"{f}/engine-selftest", "--plan-out", f"{t}/plans"]),
        Case("engine on the fixture tree", "0", "", "engine", [f"{f}/tree"]),
        Case("engine rejects a misspelt backend argument", "1", "Unsupported argument", "engine",
             [f"{t}/bad-backend"]),
        Case("engine rejects an undefined template variable", "1", "tfc_org' is undefined",
             "engine", [f"{t}/bad-template"]),
        Case("engine rejects a default aws provider in the JSON", "1",
             r"default \(un-aliased\) aws provider", "engine", [f"{t}/bad-provider"]),
        Case("engine refuses a silent skip", "0|3",
             "validate OK, plan OK|set AFT_FLEET_ALLOW_ENGINE_SKIP=1", "engine", [f"{f}/tree"],
             env={"AFT_FLEET_ALLOW_ENGINE_SKIP": "0"}),
        Case("checkov passes the fixture tree", "0", "central: [0-9]+ passed, 0 failed", "checkov",
             [f"{f}/tree"]),
        Case("checkov fails a KMS key without rotation", "1", "CKV_AWS_7", "checkov",
             [f"{t}/bad-kms"]),
        Case("checkov scans a plan JSON", "0",
             r"builtin \(plan\): 0 passed, 0 failed|no <label>/plan.json", "checkov",
             [f"{f}/engine-selftest", f"{t}/plans"], needs_plans=True),
    ]


def broken_copies(tmp: Path) -> None:
    """A misspelt backend argument, an undefined template variable, a default aws provider in the
    JSON, and a KMS key without rotation, each in its own copy of the fixture tree."""
    def copy(name: str) -> Path:
        dest = tmp / name
        shutil.copytree(FIXTURES / "tree", dest, symlinks=True)
        return dest

    def replace_first_per_line(path: Path, old: str, new: str) -> None:   # sed 's/old/new/'
        text = path.read_text()
        path.write_text("".join(line.replace(old, new, 1) for line in text.splitlines(True)))

    def edit_json(path: Path, change) -> None:
        with open(path) as fh:
            doc = json.load(fh)
        change(doc)
        with open(path, "w") as fh:
            json.dump(doc, fh, indent=2)

    glob = "aft-global-customizations/terraform"
    replace_first_per_line(copy("bad-backend") / glob / "backend.jinja",
                           "assume_role = {", "assume_role_arn = {")
    replace_first_per_line(copy("bad-template") / glob / "backend.jinja",
                           "{{ terraform_org_name }}", "{{ tfc_org }}")
    edit_json(copy("bad-provider") / glob / "main.tf.json",
              lambda d: d["provider"]["aws"].append({"region": "us-east-1"}))
    edit_json(copy("bad-kms") / "aft-account-customizations/central/terraform/main.tf.json",
              lambda d: d["resource"]["aws_kms_key"]["store"].update(enable_key_rotation=False))


def load(name: str):
    """scripts/verify/<name>.py as a module (checkov.py must not be imported as `checkov`)."""
    spec = importlib.util.spec_from_file_location(f"aft_verify_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module    # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def call(main, args: list[str], env: dict[str, str], **kwargs) -> tuple[int, str]:
    """Runs main(args) as the command would run: its exit code and its stdout and stderr."""
    out = io.StringIO()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                rc = main(args, **kwargs)
            except SystemExit as e:
                if e.code == 143:    # engine.py's SIGTERM exit: the self-test was stopped
                    raise
                rc = e.code
            except Exception:
                traceback.print_exc()
                rc = 1
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if rc is None:
        rc = 0
    elif not isinstance(rc, int):
        out.write(f"{rc}\n")     # sys.exit("text") prints the text and exits 1
        rc = 1
    return rc, out.getvalue()


class Tally:
    def __init__(self) -> None:
        self.passed = self.failed = self.skipped = 0

    def judge(self, case: Case, rc: int, out: str) -> None:
        lines = out.rstrip("\n").split("\n")
        grep_ok = not case.grep or any(re.search(case.grep, ln) for ln in lines)
        if str(rc) in case.want.split("|") and grep_ok:
            print(f"verify-selftest: {case.name}: ok (exit {rc})", flush=True)
            self.passed += 1
        elif rc == 0 and "ENGINE TIER SKIPPED" in out:
            # That machine has no engine for what the case wanted.
            print(f"verify-selftest: {case.name}: skipped (no engine here)", flush=True)
            self.skipped += 1
        else:
            wanted = case.want + (f" and /{case.grep}/" if case.grep else "")
            print(f"verify-selftest: {case.name}: FAILED (exit {rc}, wanted {wanted})")
            print("\n".join("    " + ln for ln in lines[-20:]), flush=True)
            self.failed += 1


def checkov_worker(tmp: Path, results: Path) -> int:
    """Runs the checkov cases; waits for a line on stdin before the first one that needs plans."""
    checkov = load("checkov")
    waited = False
    with open(results, "w") as fh:
        for case in cases(tmp):
            if case.tier != "checkov":
                continue
            if case.needs_plans and not waited:
                sys.stdin.readline()
                waited = True
            rc, out = call(checkov.main, case.args, case.env)
            fh.write(json.dumps({"name": case.name, "rc": rc, "out": out}) + "\n")
            fh.flush()
    return 0


def release(worker: subprocess.Popen) -> None:
    """Tells the checkov worker that the plans are written (or will not be)."""
    if worker.stdin and not worker.stdin.closed:
        try:
            worker.stdin.write("plans written\n")
            worker.stdin.close()
        except OSError:   # the worker has already exited; its results say how
            pass


def main() -> int:
    if sys.argv[1:2] == ["--checkov-worker"]:
        return checkov_worker(Path(sys.argv[2]), Path(sys.argv[3]))
    # As engine.py does: SIGTERM exits 143 through the finally blocks (worker, moto, scratch).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    engine = load("engine")
    tmp = Path(tempfile.mkdtemp(prefix="aft-verify-selftest-"))
    worker = None
    try:
        broken_copies(tmp)
        os.environ["AFT_FLEET_ALLOW_ENGINE_SKIP"] = "1"
        all_cases = cases(tmp)
        results = tmp / "checkov-results.jsonl"
        worker_err = open(tmp / "checkov-worker.log", "w+")
        worker = subprocess.Popen([sys.executable, __file__, "--checkov-worker", str(tmp),
                                   str(results)], stdin=subprocess.PIPE, stdout=worker_err,
                                  stderr=subprocess.STDOUT, text=True)
        tally = Tally()
        with engine.MotoPool() as pool:
            for case in all_cases:
                if case.tier != "engine":
                    continue
                rc, out = call(engine.main, case.args, case.env, moto_pool=pool)
                tally.judge(case, rc, out)
                if "--plan-out" in case.args:
                    release(worker)
        release(worker)
        worker.wait()
        done = {}
        if results.exists():
            done = {r["name"]: r for r in map(json.loads, results.read_text().splitlines())}
        worker_err.seek(0)
        crash = worker_err.read()
        worker_err.close()
        for case in all_cases:
            if case.tier != "checkov":
                continue
            r = done.get(case.name)
            if r:
                tally.judge(case, r["rc"], r["out"])
            else:
                tally.judge(case, worker.returncode or 1,
                            f"the checkov worker exited {worker.returncode} before this case\n"
                            + crash)
        print(f"verify-selftest: {tally.passed} passed, {tally.failed} failed, "
              f"{tally.skipped} skipped", flush=True)
        return 0 if tally.failed == 0 else 1
    finally:
        if worker and worker.poll() is None:
            worker.kill()
            worker.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
