#!/usr/bin/env python3
"""Security-scan tier: checkov on every emitted AFT terraform/ folder, and on its plan JSON.

Usage: scripts/verify/checkov.py DIR [PLAN_DIR] [--config-file .checkov.yaml] [--only LABEL]

For each terraform/ folder under DIR: `checkov -d <folder> --framework terraform_json` (the
`terraform` framework does not read *.tf.json). When PLAN_DIR holds <label>/plan.json (written by
`engine.py --plan-out PLAN_DIR`), that plan is scanned too with `--framework terraform_plan`, which
sees resolved values. Skips live in .checkov.yaml at the repo root, each with its reason.
Prints `checkov: <label>: N passed, 0 failed` per scan and the failed checks in compact form.
A scan that parses no resource, reports parsing errors or crashes is a failure too.
Exit: 0 no failed check, 1 a check failed or a scan broke, 2 usage error, 3 checkov missing
(0 instead, with `CHECKOV TIER SKIPPED`, when AFT_FLEET_ALLOW_CHECKOV_SKIP=1).
checkov is found through AFT_FLEET_CHECKOV, the venv of scripts/verify/setup.sh, then PATH. When
that checkov belongs to the Python running this script (the venv's, as run.sh and selftest.sh use),
the scans run in this process: checkov's ~3 s of imports are paid once, not once per scan. Each scan
gets the same arguments, working directory and environment as `checkov` on the command line and
fresh runner objects (runners keep the files they parsed). Any other checkov runs as a subprocess.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.dont_write_bytecode = True   # keep scripts/verify/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402


def log(msg: str) -> None:
    print(msg, flush=True)


# Environment of every scan. BC_SKIP_MAPPING=TRUE does what --skip-download does (nothing fetched
# from the platform); CHECKOV_RUN_SCA_PACKAGE_SCAN_V2 is read by no code of the pinned checkov
# 3.3.30 and stays for other versions.
SCAN_ENV = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
HERE = Path(__file__).resolve().parent


def checkov_args(target: Path, framework: str, config: Path, is_file: bool,
                 report: Path) -> list[str]:
    return ["-f" if is_file else "-d", str(target), "--framework", framework,
            "--config-file", str(config), "--compact", "--quiet", "--skip-download",
            "-o", "cli", "-o", "json", "--output-file-path", f"console,{report}"]


def read_report(report: Path, framework: str, rc, out: str) -> tuple[dict | None, str]:
    if rc not in (0, 1) or not report.exists():
        return None, f"checkov exited {rc}\n{out}"
    try:
        data = json.loads(report.read_text())
    except json.JSONDecodeError as e:
        return None, f"checkov wrote unreadable JSON: {e}\n{out}"
    # One framework gives one report object; an empty scan gives a bare summary (no "results").
    if isinstance(data, list):
        data = next((d for d in data if d.get("check_type") == framework), data[0] if data else {})
    return data, out


def scan(checkov: str, target: Path, framework: str, config: Path, is_file: bool,
         timeout: int) -> tuple[dict | None, str]:
    """Runs the checkov command and returns (its JSON report or None, combined console output)."""
    with tempfile.TemporaryDirectory(prefix="aft-verify-checkov-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [checkov, *checkov_args(target, framework, config, is_file, report)]
        env = dict(os.environ, **SCAN_ENV, PYTHONWARNINGS="ignore")
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                                  stdin=subprocess.DEVNULL, cwd=target if not is_file else None)
        except subprocess.TimeoutExpired:
            return None, f"checkov timed out after {timeout} s"
        out = (proc.stdout or "") + (proc.stderr or "")
        return read_report(report, framework, proc.returncode, out)


@contextlib.contextmanager
def _environ(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _without_this_folder_on_path():
    """This script is named checkov.py: with its folder on sys.path, `import checkov` finds it."""
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path
                   if Path(p or ".").resolve() != HERE]
    try:
        yield
    finally:
        sys.path[:] = saved


def belongs_to_this_python(tool: str) -> bool:
    """True when `tool` is a console script of this interpreter's environment (same bin folder)."""
    try:
        with open(tool, "rb") as f:
            first = f.readline(512)
    except OSError:
        return False
    if not first.startswith(b"#!"):
        return False
    words = first[2:].split()
    if not words:
        return False
    interp = Path(words[0].decode(errors="replace"))
    if interp.name == "env" or not interp.name.startswith("python"):
        return False
    if interp.parent.resolve() != Path(sys.executable).parent.resolve():
        return False
    with _without_this_folder_on_path():
        spec = importlib.util.find_spec("checkov")
    return spec is not None and spec.submodule_search_locations is not None


class ScanTimeout(Exception):
    pass


class InProcess:
    """checkov imported once into this process; scan() does what one `checkov` command does."""

    _main = None

    def __init__(self) -> None:
        if InProcess._main is None:
            with _environ(SCAN_ENV), warnings.catch_warnings(), _without_this_folder_on_path():
                warnings.simplefilter("ignore")   # as PYTHONWARNINGS=ignore does for the command
                InProcess._main = importlib.import_module("checkov.main")
        self.main = InProcess._main
        self.log_stream = importlib.import_module("checkov.logging_init").log_stream

    def scan(self, target: Path, framework: str, config: Path, is_file: bool,
             timeout: int) -> tuple[dict | None, str]:
        with tempfile.TemporaryDirectory(prefix="aft-verify-checkov-") as tmp:
            report = Path(tmp) / "report.json"
            args = checkov_args(target, framework, config, is_file, report)
            out = io.StringIO()
            root = logging.getLogger()
            # checkov's console log handlers write to stderr: send them to this scan's output.
            consoles = [h for h in root.handlers if isinstance(h, logging.StreamHandler)
                        and h.stream is not self.log_stream]
            streams = [h.setStream(out) for h in consoles]
            # checkov also keeps a DEBUG copy of every log record in memory, for uploads with
            # --support; creating only the records its console shows does less work.
            saved_level = root.level
            root.setLevel(min([h.level for h in consoles] or [logging.WARNING]))
            # checkov looks for default config files next to the -d of the real command line.
            saved_argv, saved_cwd = sys.argv, os.getcwd()
            sys.argv = ["checkov", *args]
            timer, timed_out, rc = self._arm(timeout), False, None
            try:
                if not is_file:
                    os.chdir(target)
                with _environ(SCAN_ENV), warnings.catch_warnings(), \
                        contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                    warnings.simplefilter("ignore")
                    ckv = self.main.Checkov(list(args))
                    # Fresh runners: a runner object keeps the definitions it parsed last time.
                    ckv.runners = [type(r)() for r in ckv.runners if r.check_type == framework]
                    try:
                        rc = ckv.run()
                    except SystemExit as e:
                        rc = e.code
            except ScanTimeout:
                timed_out = True
            except Exception:   # what the command would print before exiting 1
                out.write(traceback.format_exc())
                rc = 1
            finally:
                if self._disarm(timer):
                    timed_out = True
                os.chdir(saved_cwd)
                sys.argv = saved_argv
                root.setLevel(saved_level)
                for h, s in zip(consoles, streams):
                    h.setStream(s)
                self.log_stream.seek(0)
                self.log_stream.truncate(0)
            if timed_out:
                return None, f"checkov timed out after {timeout} s"
            if rc is None:
                rc = 0
            elif not isinstance(rc, int):
                out.write(f"{rc}\n")   # sys.exit("text") prints the text and exits 1
                rc = 1
            return read_report(report, framework, rc, out.getvalue())

    @staticmethod
    def _arm(timeout: int):
        """A SIGALRM after `timeout` seconds (main thread only; elsewhere no limit)."""
        if threading.current_thread() is not threading.main_thread() or timeout <= 0:
            return None
        fired = [False]

        def on_alarm(*_):
            fired[0] = True
            raise ScanTimeout()
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        return previous, fired

    @staticmethod
    def _disarm(timer) -> bool:
        if timer is None:
            return False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, timer[0])
        return timer[1][0]   # checkov catches every exception; the flag says the alarm fired


def resource_name(check: dict, root: Path | None) -> str:
    """TYPE.NAME of a failed check; the terraform_json runner sometimes reports "resource.NAME"."""
    name = check.get("resource") or "?"
    if not name.startswith("resource.") or root is None or not check.get("file_line_range"):
        return name
    short, start = name[len("resource."):], check["file_line_range"][0]
    try:
        lines = (root / check.get("file_path", "").lstrip("/")).read_text().splitlines()
    except OSError:
        return name
    # Pretty-printed JSON nests names under their type: the nearest "aws_...": { key above the
    # block's first line is its type.
    for line in reversed(lines[:start]):
        m = re.match(r'\s*"((?:aws|archive|terraform)_[a-z0-9_]+)"\s*:\s*\{', line)
        if m:
            return f"{m.group(1)}.{short}"
    return name


def summarize(label: str, data: dict | None, out: str, declared: int,
              root: Path | None = None) -> tuple[int, int, int, bool]:
    """Prints the per-scan lines; returns (passed, failed, skipped, broken)."""
    if data is None:
        log(f"checkov: {label}: FAILED: the scan did not complete")
        log("\n".join("    " + ln for ln in out.strip().splitlines()[-15:]))
        return 0, 0, 0, True
    summary = data.get("summary", {})
    passed, failed = summary.get("passed", 0), summary.get("failed", 0)
    skipped, parse_errors = summary.get("skipped", 0), summary.get("parsing_errors", 0)
    results = data.get("results", {})
    line = f"checkov: {label}: {passed} passed, {failed} failed"
    log(line + (f", {skipped} skipped" if skipped else ""))
    broken = False
    if parse_errors:
        log(f"checkov: {label}: FAILED: {parse_errors} file(s) could not be parsed: "
            f"{results.get('parsing_errors', [])} (the terraform_json runner fails on a "
            "terraform.required_version in the JSON: upstream issue 7454)")
        broken = True
    if declared and not passed + failed:
        # resource_count is always 0 for terraform_json, so judge by the number of checks: a
        # runner that crashes on a file (upstream issue 7454) reports none.
        log(f"checkov: {label}: FAILED: no check ran on any resource although {declared} aws "
            "resources are declared")
        broken = True
    for check in results.get("failed_checks", []):
        lines = check.get("file_line_range") or []
        where = f"{check.get('file_path', '')}:{'-'.join(map(str, lines))}" if lines else ""
        log(f"    {check.get('check_id')} {resource_name(check, root)}: {check.get('check_name')} "
            f"({where})")
    return passed, failed, skipped, broken


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="checkov.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path, help="synth output (holds aft-*-customizations/)")
    ap.add_argument("plan_dir", type=Path, nargs="?", help="engine.py --plan-out directory")
    ap.add_argument("--config-file", type=Path, default=common.REPO / ".checkov.yaml")
    ap.add_argument("--only", help="only folders whose label contains this text")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per checkov run")
    args = ap.parse_args(argv)

    if not args.dir.is_dir():
        log(f"checkov: {args.dir} is not a directory")
        return 2
    if not args.config_file.exists():
        log(f"checkov: config file {args.config_file} not found")
        return 2
    folders = common.discover(args.dir)
    if args.only:
        folders = [f for f in folders if args.only in f.label]
    if not folders:
        log(f"checkov: no terraform/ folder with *.tf.json under {args.dir}")
        return 2
    checkov = common.find_tool("checkov", "AFT_FLEET_CHECKOV")
    if not checkov:
        log("CHECKOV TIER SKIPPED: checkov is not installed (scripts/verify/setup.sh or "
            "pip install -r requirements-dev.txt)")
        return 0 if os.environ.get("AFT_FLEET_ALLOW_CHECKOV_SKIP") == "1" else 3

    t_start = time.monotonic()
    totals = [0, 0, 0]
    broken_any = False
    plans_seen = 0
    jobs = []     # (label, target, framework, is_file, declared aws resources)
    for folder in folders:
        try:
            declared = sum(1 for a in common.managed_resources(
                [common.load_json(p) for p in folder.tf_json]) if a.startswith("aws_"))
        except (ValueError, OSError) as e:
            log(f"checkov: {folder.label}: FAILED: {e}")
            broken_any = True
            continue
        jobs.append((folder.label, folder.path, "terraform_json", False, declared))
        plan = args.plan_dir / folder.label / "plan.json" if args.plan_dir else None
        if plan and plan.exists():
            jobs.append((f"{folder.label} (plan)", plan, "terraform_plan", True, declared))
            plans_seen += 1
    config = args.config_file.resolve()
    if jobs and belongs_to_this_python(checkov):
        # One import of checkov for all the scans, which then run one after the other.
        inproc = InProcess()
        results = (inproc.scan(target.resolve(), framework, config, is_file, args.timeout)
                   for _, target, framework, is_file, _ in jobs)
        pool = None
    else:
        # A separate checkov spends most of its ~4 s per scan loading its checks: run the
        # commands side by side.
        pool = ThreadPoolExecutor(max_workers=max(1, min(len(jobs), os.cpu_count() or 1, 4)))
        futures = [pool.submit(scan, checkov, target.resolve(), framework, config, is_file,
                               args.timeout)
                   for _, target, framework, is_file, _ in jobs]
        results = (fut.result() for fut in futures)
    try:
        for (label, target, _, is_file, declared), (data, out) in zip(jobs, results):
            p, f, s, broken = summarize(label, data, out, declared,
                                        None if is_file else target.resolve())
            totals = [totals[0] + p, totals[1] + f, totals[2] + s]
            broken_any = broken_any or broken
    finally:
        if pool:
            pool.shutdown()
    if args.plan_dir and not plans_seen:
        log(f"checkov: note: no <label>/plan.json under {args.plan_dir}; plan scans not run")
    log(f"checkov: {len(folders)} folder(s), {plans_seen} plan(s) in "
        f"{time.monotonic() - t_start:.1f} s; total {totals[0]} passed, {totals[1]} failed, "
        f"{totals[2]} skipped")
    return 1 if totals[1] or broken_any else 0


if __name__ == "__main__":
    sys.exit(main())
