#!/usr/bin/env python3
"""Engine tier: run every emitted AFT terraform/ folder the way AFT's CodeBuild stage would.

Usage: scripts/verify/engine.py DIR [--plan-out PLAN_DIR] [--only LABEL] [--keep-scratch] [-v]

For each terraform/ folder under DIR (DIR is never modified; work happens in a scratch copy):
  1. static: backend.jinja and aft-providers.jinja exist, no rendered name collides with an emitted
     file (AFT appends with >>), the *.tf.json has no backend and no default aws provider.
  2. render: every top-level *.jinja -> <name>.tf (appended, as AFT does) with AFT's variables, for
     the oss, tfc and tfe distributions; an undefined variable is an error (StrictUndefined).
  3. parse: `fmt` parses every rendered .tf (needs an engine, no providers).
  4. backend: the rendered oss backend alone is initialised for real against a moto server (S3
     state bucket, DynamoDB lock table, STS for its assume_role): catches unknown or misspelt
     backend arguments; the tfc/tfe render is initialised with -backend=false and validated.
  5. engine: backend replaced by a local one (_override.tf); init; validate with the rendered AFT
     provider; the rendered provider then replaced by a test provider aimed at moto; plan;
     show -json; the resources to create must equal the managed resources declared in the JSON.
Step 5 needs the aws/archive providers. Where no engine or provider can be had, the tier prints
`ENGINE TIER SKIPPED: <reason>` and exits 0 only if AFT_FLEET_ALLOW_ENGINE_SKIP=1 (else 3).

Engine choice: AFT_FLEET_ENGINE=/path/to/tofu-or-terraform (used with the caller's environment and
CLI config); else scripts/toolchain.sh's OpenTofu with its provider mirror when complete; else
tofu/terraform on PATH; else the toolchain's OpenTofu without providers (steps 1-4 only).
Exit: 0 ok, 1 a check failed, 2 usage error, 3 skipped without AFT_FLEET_ALLOW_ENGINE_SKIP=1.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.dont_write_bytecode = True   # keep scripts/verify/ free of __pycache__
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as common  # noqa: E402

try:
    import jinja2
except ImportError:  # pragma: no cover - depends on the machine
    common.reexec_in_venv("jinja2")

DISTRIBUTIONS = ("oss", "tfc", "tfe")
MGMT = "111111111111"      # AFT management account
TARGET = "333333333333"    # the vended account the customization runs in
HOME_REGION = "us-east-1"

# Services the aws provider may call while planning what aft-fleet emits (data sources, provider
# configuration, plan-time reads). Primary endpoint names only: aliases of one service conflict.
ENDPOINT_SERVICES = (
    "athena", "autoscaling", "cloudformation", "cloudtrail", "cloudwatch", "configservice",
    "dynamodb", "ec2", "events", "glue", "iam", "kms", "lambda", "logs", "organizations", "ram",
    "resourcegroupstaggingapi", "s3", "s3control", "scheduler", "secretsmanager", "sfn", "sns",
    "sqs", "ssm", "sts",
)
# aws_<prefix>_... resource or data source type -> endpoint service; used to warn about gaps.
TYPE_PREFIX_SERVICE = {
    "athena": "athena", "autoscaling": "autoscaling", "cloudformation": "cloudformation",
    "cloudtrail": "cloudtrail", "cloudwatch_event": "events", "cloudwatch_log": "logs",
    "cloudwatch": "cloudwatch", "config": "configservice", "dynamodb": "dynamodb", "ec2": "ec2",
    "instance": "ec2", "ami": "ec2", "security_group": "ec2", "subnet": "ec2", "vpc": "ec2",
    "glue": "glue", "iam": "iam", "kms": "kms", "lambda": "lambda", "organizations":
    "organizations", "ram": "ram", "resourcegroupstaggingapi": "resourcegroupstaggingapi",
    "s3control": "s3control", "s3": "s3", "scheduler": "scheduler", "secretsmanager":
    "secretsmanager", "sfn": "sfn", "sns": "sns", "sqs": "sqs", "ssm": "ssm", "caller_identity":
    "sts", "region": None, "regions": "ec2", "partition": None, "iam_policy_document": None,
    "availability_zones": "ec2", "arn": None, "default_tags": None,
}

PROVIDER_MISSING = re.compile(
    r"Failed to query available provider packages|Failed to install provider|"
    r"Failed to resolve provider packages|could not connect to registry|"
    r"was not found in any of the search locations|Incompatible provider version")
CONSTRAINT_MISMATCH = re.compile(r"no available releases match the given constraints")
NETWORK_ERROR = re.compile(r"request send failed|dial tcp|no such host|connection refused")
CONFIG_ERROR = re.compile(r"Unsupported argument|Missing required argument|Unsupported block|"
                          r"Invalid (value|attribute|block|expression)|Incorrect attribute")


def moto_backend_config(url: str) -> str:
    endpoints = "\n".join(f'  {s} = "{url}"' for s in ("s3", "sts", "dynamodb", "iam"))
    return ("use_path_style              = true\n"
            "skip_credentials_validation = true\n"
            "skip_requesting_account_id  = true\n"
            "skip_metadata_api_check     = true\n"
            f"endpoints = {{\n{endpoints}\n}}\n")


VERBOSE = False


def log(msg: str) -> None:
    print(msg, flush=True)


def aft_values(stage: str, distribution: str) -> dict[str, str]:
    """The variables AFT's buildspec passes to jinja2, with test values."""
    return {
        "provider_region": HOME_REGION,
        "target_admin_role_arn": f"arn:aws:iam::{TARGET}:role/AWSAFTExecution",
        "tf_distribution_type": distribution,
        "tf_version": "1.6.1",
        "region": HOME_REGION,
        "bucket": f"aft-backend-{MGMT}-primary-region",
        "key": f"{TARGET}-{stage}/terraform.tfstate",
        "dynamodb_table": f"aft-backend-{MGMT}",
        "kms_key_id": f"arn:aws:kms:{HOME_REGION}:{MGMT}:alias/aft-backend-{MGMT}-kms-key",
        "aft_admin_role_arn": f"arn:aws:iam::{MGMT}:role/AWSAFTExecution",
        "terraform_org_name": "aft-fleet-test-org",
        "terraform_workspace_name": f"{TARGET}-{stage}",
        "timestamp": "2026-01-01 00:00:00",
    }


class Failure(Exception):
    def __init__(self, step: str, message: str, detail: str = ""):
        super().__init__(f"{step}: {message}")
        self.step, self.message, self.detail = step, message, detail


# ----------------------------------------------------------------------------- moto server
class Moto:
    def __init__(self, cmd: list[str], logfile: Path):
        self.cmd, self.logfile = cmd, logfile
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> float:
        t0 = time.monotonic()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        out = open(self.logfile, "wb")
        self.proc = subprocess.Popen(self.cmd + ["-H", "127.0.0.1", "-p", str(port)],
                                     stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, env=no_proxy_env(dict(os.environ)))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.proc.returncode}: "
                                   f"{self.logfile.read_text(errors='replace')[-800:]}")
            try:
                with _opener().open(self.url + "/moto-api/", timeout=2):
                    return time.monotonic() - t0
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise RuntimeError("moto server did not answer within 60 s")

    def stop(self) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)

    def request(self, service: str, method: str, path: str, body: bytes = b"",
                headers: dict | None = None) -> bytes:
        # moto routes by the service named in the (unverified) SigV4 credential scope.
        hdrs = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/"
                f"{HOME_REGION}/{service}/aws4_request, SignedHeaders=host, Signature=00"}
        hdrs.update(headers or {})
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=hdrs)
        with _opener().open(req, timeout=30) as resp:
            return resp.read()

    def json_call(self, service: str, target: str, payload: dict, version: str = "1.1") -> bytes:
        return self.request(service, "POST", "/", json.dumps(payload).encode(),
                            {"X-Amz-Target": target,
                             "Content-Type": f"application/x-amz-json-{version}"})

    def seed(self) -> None:
        """Fresh moto state with what AFT's own account already has when the stage runs."""
        self.request("s3", "POST", "/moto-api/reset")
        self.request("s3", "PUT", f"/aft-backend-{MGMT}-primary-region")
        self.json_call("dynamodb", "DynamoDB_20120810.CreateTable", {
            "TableName": f"aft-backend-{MGMT}", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "LockID", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "LockID", "KeyType": "HASH"}]}, version="1.0")
        # data "aws_organizations_organization" needs an organization to exist.
        self.json_call("organizations", "AWSOrganizationsV20161128.CreateOrganization",
                       {"FeatureSet": "ALL"})


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def no_proxy_env(env: dict[str, str]) -> dict[str, str]:
    for key in ("NO_PROXY", "no_proxy"):
        parts = [p for p in env.get(key, "").split(",") if p]
        env[key] = ",".join(dict.fromkeys(parts + ["127.0.0.1", "localhost"]))
    return env


def find_moto() -> list[str] | None:
    exe = common.find_tool("moto_server", "AFT_FLEET_MOTO_SERVER")
    if exe:
        return [exe]
    try:
        import importlib.util
        if importlib.util.find_spec("moto.server"):
            return [sys.executable, "-m", "moto.server"]
    except (ImportError, ValueError):
        pass
    return None


class MotoPool:
    """One moto server for several runs in one process. A run seeds it (a full reset, then AFT's
    bucket, lock table and organization) before each step that uses it, as on a fresh server."""

    def __init__(self) -> None:
        self.moto: Moto | None = None
        self.dir = Path(tempfile.mkdtemp(prefix="aft-verify-moto-"))

    def get(self, cmd: list[str]) -> tuple[Moto, float | None]:
        """The server, and its start-up time when this call started it."""
        if self.moto and self.moto.cmd == cmd and self.moto.proc \
                and self.moto.proc.poll() is None:
            return self.moto, None
        self.close()
        self.moto = Moto(cmd, self.dir / "moto.log")
        return self.moto, self.moto.start()

    def close(self) -> None:
        if self.moto:
            self.moto.stop()
            self.moto = None

    def __enter__(self) -> MotoPool:
        return self

    def __exit__(self, *_) -> None:
        self.close()
        shutil.rmtree(self.dir, ignore_errors=True)


# ----------------------------------------------------------------------------- engine
@dataclass
class Engine:
    path: str
    env: dict[str, str]
    source: str
    providers_expected: bool    # False: known to have no providers (partial toolchain)

    def version(self) -> str:
        """For the log line. Asked once per binary (same file) and settings in a process: the
        self-test runs main() once per case."""
        try:
            st = os.stat(self.path)
            key = (self.path, st.st_size, st.st_mtime_ns, tuple(sorted(self.env.items())))
        except OSError:
            key = None
        if key in _VERSIONS:
            return _VERSIONS[key]
        try:
            out = subprocess.run([self.path, "version"], capture_output=True, text=True, timeout=60,
                                 env={**os.environ, **self.env, "CHECKPOINT_DISABLE": "1"})
            found = out.stdout.splitlines()[0].strip() if out.stdout else "unknown version"
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"unusable ({e})"
        if key:
            _VERSIONS[key] = found
        return found


_VERSIONS: dict[tuple, str] = {}


def toolchain_env() -> dict[str, str]:
    script = common.REPO / "scripts" / "toolchain.sh"
    if not script.exists():
        return {}
    try:
        out = subprocess.run(["bash", str(script), "--env"], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def mirror_has(mirror: str, provider: str) -> bool:
    """Unpacked (toolchain.sh) or packed (`terraform providers mirror`) filesystem-mirror layout."""
    base = Path(mirror)
    return any(base.glob(f"*/hashicorp/{provider}/*/linux_amd64/terraform-provider-{provider}*")) \
        or any(base.glob(f"*/hashicorp/{provider}/terraform-provider-{provider}_*_linux_amd64.zip"))


def find_engine() -> Engine | None:
    explicit = os.environ.get("AFT_FLEET_ENGINE")
    if explicit:
        return Engine(explicit, {}, "AFT_FLEET_ENGINE", True)
    tc = toolchain_env()
    tofu, rc, mirror = tc.get("TOFU", ""), tc.get("TF_CLI_CONFIG_FILE", ""), tc.get("AFT_FLEET_MIRROR", "")
    tc_ok = bool(tofu) and os.access(tofu, os.X_OK) and Path(rc).exists()
    if tc_ok and mirror and mirror_has(mirror, "aws") and mirror_has(mirror, "archive"):
        return Engine(tofu, {"TF_CLI_CONFIG_FILE": rc}, "toolchain", True)
    for name in ("tofu", "terraform"):
        found = shutil.which(name)
        if found:
            return Engine(found, {}, "PATH", True)
    if tc_ok:
        return Engine(tofu, {"TF_CLI_CONFIG_FILE": rc}, "toolchain (no providers)", False)
    return None


def run(engine: Engine, args: list[str], cwd: Path, env: dict[str, str], step: str,
        timeout: int, stdout_only: bool = False) -> str:
    try:
        proc = subprocess.run([engine.path, *args], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise Failure(step, f"`{Path(engine.path).name} {' '.join(args)}` timed out after "
                            f"{timeout} s", _tail((e.stdout or b"").decode(errors="replace")
                                               if isinstance(e.stdout, bytes) else e.stdout or ""))
    out = (proc.stdout or "") + (proc.stderr or "")
    if VERBOSE:
        log(f"    [{step}] {Path(engine.path).name} {' '.join(args)} -> {proc.returncode}")
    if proc.returncode != 0:
        raise Failure(step, f"`{Path(engine.path).name} {' '.join(args)}` exited "
                            f"{proc.returncode}", out)
    return proc.stdout if stdout_only else out


def _tail(text: str, lines: int = 40) -> str:
    kept = [ln for ln in text.splitlines() if ln.strip()]
    return "\n".join(kept[-lines:])


def engine_env(engine: Engine, moto: Moto | None, scratch: Path) -> dict[str, str]:
    """The caller's environment without AWS credentials or profiles, aimed at moto."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not k.startswith("TF_CLI_ARGS")
           and k not in ("TF_WORKSPACE", "TF_DATA_DIR")}
    env.update(engine.env)
    if env.get("TF_CLI_CONFIG_FILE") and not Path(env["TF_CLI_CONFIG_FILE"]).exists():
        del env["TF_CLI_CONFIG_FILE"]   # a dangling setting only adds a warning to every command
    empty = scratch / "aws-empty-config"
    empty.write_text("")
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    })
    if moto:
        env["AWS_ENDPOINT_URL"] = moto.url
        for svc in ("S3", "STS", "DYNAMODB", "IAM"):
            env[f"AWS_ENDPOINT_URL_{svc}"] = moto.url
    return no_proxy_env(env)


# ----------------------------------------------------------------------------- HCL helpers
def hcl_blocks(text: str, header: str) -> list[str]:
    """Top-level blocks whose header matches the regex (e.g. provider "aws"), brace-matched."""
    blocks = []
    for m in re.finditer(r'(?m)^\s*' + header + r'\s*\{', text):
        depth, i, in_str = 0, m.end() - 1, False
        while i < len(text):
            c = text[i]
            if in_str:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_str = False
            elif c == '"':
                in_str = True
            elif c == "#" or text.startswith("//", i):
                i = text.find("\n", i)
                if i < 0:
                    break
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    blocks.append(text[m.start():i + 1])
                    break
            i += 1
    return blocks


def test_provider_hcl(moto_url: str, alias: str | None, region: str) -> str:
    endpoints = "\n".join(f'    {s:<26} = "{moto_url}"' for s in ENDPOINT_SERVICES)
    alias_line = f'  alias                       = "{alias}"\n' if alias else ""
    return (f'provider "aws" {{\n{alias_line}'
            f'  region                      = "{region}"\n'
            '  access_key                  = "testing"\n'
            '  secret_key                  = "testing"\n'
            '  skip_credentials_validation = true\n'
            '  skip_requesting_account_id  = true\n'
            '  skip_metadata_api_check     = true\n'
            '  skip_region_validation      = true\n'
            '  s3_use_path_style           = true\n'
            f'  endpoints {{\n{endpoints}\n  }}\n}}\n')


def test_provider_json(moto_url: str, alias: str, region: str) -> dict:
    return {"alias": alias, "region": region, "access_key": "testing", "secret_key": "testing",
            "skip_credentials_validation": True, "skip_requesting_account_id": True,
            "skip_metadata_api_check": True, "skip_region_validation": True,
            "s3_use_path_style": True,
            "endpoints": [{s: moto_url for s in ENDPOINT_SERVICES}]}


# ----------------------------------------------------------------------------- one folder
@dataclass
class Context:
    engine: Engine | None
    moto: Moto | None
    scratch: Path
    plan_out: Path | None
    verbose: bool
    timeout: int
    providers_unavailable: str = ""


def static_checks(folder: common.Folder) -> tuple[list[dict], dict[str, dict]]:
    names = {p.name for p in folder.jinja}
    for needed in ("backend.jinja", "aft-providers.jinja"):
        if needed not in names:
            raise Failure("static", f"{needed} is missing: AFT renders the backend and the default "
                                    "provider from it")
    for tpl in folder.jinja:
        target = folder.path / (tpl.name[:-len(".jinja")] + ".tf")
        if target.exists():
            raise Failure("static", f"{target.name} is emitted next to {tpl.name}; AFT appends the "
                                    "render to it (>>), duplicating blocks")
    if not folder.tf_json:
        raise Failure("static", "no *.tf.json in the folder")
    docs = []
    for path in folder.tf_json:
        try:
            docs.append(common.load_json(path))
        except ValueError as e:
            raise Failure("static", f"{path.name} is not valid JSON: {e}")
    for tb in common.terraform_blocks(docs):
        for key in ("backend", "cloud"):
            if tb.get(key):
                raise Failure("static", f"the JSON declares terraform.{key}; AFT's backend.jinja "
                                        "supplies the only backend")
    for block in common.provider_blocks(docs, "aws"):
        if not block.get("alias"):
            raise Failure("static", "the JSON declares a default (un-aliased) aws provider; "
                                    "aft-providers.jinja supplies it")
    return docs, common.managed_resources(docs)


def render(folder: common.Folder, dest: Path, distribution: str) -> list[Path]:
    """Copies the folder to dest and renders its templates there as AFT's buildspec does."""
    shutil.copytree(folder.path, dest, symlinks=True)
    for stale in (dest / ".terraform.lock.hcl", dest / ".terraform"):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(dest)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    rendered = []
    for tpl in sorted(dest.glob("*.jinja")):
        try:
            text = env.get_template(tpl.name).render(**aft_values(folder.stage, distribution))
        except jinja2.TemplateError as e:
            raise Failure("render", f"{tpl.name} ({distribution}): {type(e).__name__}: {e}")
        out = dest / (tpl.name[:-len(".jinja")] + ".tf")
        with open(out, "a", encoding="utf-8") as f:
            f.write(text)
        rendered.append(out)
    return rendered


def check_folder(folder: common.Folder, ctx: Context) -> str:
    """Runs the steps for one folder; returns the success summary or raises Failure."""
    docs, declared = static_checks(folder)
    work = ctx.scratch / re.sub(r"[^A-Za-z0-9_.-]", "_", folder.label)
    renders: dict[str, list[Path]] = {}
    seen: dict[str, str] = {}
    for dist in DISTRIBUTIONS:
        files = render(folder, work / f"render-{dist}", dist)
        key = "\0".join(f.read_text() for f in files)
        if key in seen:          # tfe renders like tfc: check each distinct render once
            continue
        seen[key] = dist
        renders[dist] = files
    summary = [f"templates render ({', '.join(DISTRIBUTIONS)})"]
    if not ctx.engine:
        return ", ".join(summary)
    env = engine_env(ctx.engine, ctx.moto, ctx.scratch)

    # 3. every rendered file parses as HCL: one fmt for all of them; only when that fails, one
    # per file, which names the file and distribution (and copes with an engine whose fmt takes
    # a single target: the files then pass one by one).
    rendered = [(dist, f) for dist, files in renders.items() for f in files]
    try:
        run(ctx.engine, ["fmt", "-no-color", "-write=false", "-list=false",
                         *(f.relative_to(work).as_posix() for _, f in rendered)],
            work, env, "parse", ctx.timeout)
    except Failure:
        for dist, f in rendered:
            run(ctx.engine, ["fmt", "-no-color", "-write=false", "-list=false", f.name],
                f.parent, env, f"parse {f.name} ({dist})", ctx.timeout)

    # 4. the backend, initialised for real (oss against moto; tfc/tfe without contacting TFC)
    for dist, files in renders.items():
        iso = work / f"backend-{dist}"
        iso.mkdir()
        backend_files = [f for f in files
                         if re.search(r'(?m)^\s*(backend\s+"|cloud\s*\{)', f.read_text())]
        if not backend_files:
            raise Failure("backend", f"no rendered template declares a backend ({dist})")
        for f in backend_files:
            shutil.copy(f, iso / f.name)
        if dist == "oss":
            if not ctx.moto:
                raise Failure("backend", "moto server is not available")
            ctx.moto.seed()
            # First without -backend-config: only then do the engines reject unknown backend
            # arguments. OpenTofu uses path-style S3 for an IP endpoint and succeeds here;
            # Terraform goes virtual-hosted and cannot resolve bucket.127.0.0.1, so on a pure
            # network error the init is repeated with use_path_style from a backend-config file.
            try:
                run(ctx.engine, ["init", "-input=false", "-no-color"], iso, env,
                    f"backend init ({dist}, s3 against moto)", ctx.timeout)
            except Failure as e:
                if not NETWORK_ERROR.search(e.detail) or CONFIG_ERROR.search(e.detail):
                    raise
                (iso / "moto.s3.tfbackend").write_text(moto_backend_config(ctx.moto.url))
                run(ctx.engine, ["init", "-input=false", "-no-color", "-reconfigure",
                                 "-backend-config=moto.s3.tfbackend"], iso, env,
                    f"backend init ({dist}, s3 against moto, path style)", ctx.timeout)
        else:
            run(ctx.engine, ["init", "-input=false", "-no-color", "-backend=false"], iso, env,
                f"backend init ({dist})", ctx.timeout)
            run(ctx.engine, ["validate", "-no-color"], iso, env, f"backend validate ({dist})",
                ctx.timeout)
    summary.append("backend init OK")

    # 5. init / validate / plan
    if ctx.providers_unavailable:
        return ", ".join(summary) + "; validate/plan not run"
    oss = work / "render-oss"
    (oss / "aft_verify_backend_override.tf").write_text(
        'terraform {\n  backend "local" {\n    path = "aft-verify.tfstate"\n  }\n}\n')
    try:
        run(ctx.engine, ["init", "-input=false", "-no-color"], oss, env, "init", ctx.timeout)
    except Failure as e:
        # A complete toolchain mirror that cannot serve the providers is a real failure (e.g. a
        # version constraint the mirror does not satisfy); any other engine may lack a network.
        if PROVIDER_MISSING.search(e.detail) and not CONSTRAINT_MISMATCH.search(e.detail) \
                and ctx.engine.source != "toolchain":
            hint = " (scripts/toolchain.sh --status)" if not ctx.engine.providers_expected else ""
            ctx.providers_unavailable = (
                f"{Path(ctx.engine.path).name} from {ctx.engine.source} cannot install the "
                f"providers{hint}: {_first_error(e.detail)}")
            return ", ".join(summary) + "; validate/plan not run"
        raise
    run(ctx.engine, ["validate", "-no-color"], oss, env, "validate (AFT provider)", ctx.timeout)
    swap_providers(oss, renders["oss"], docs, ctx.moto)
    if ctx.moto:
        ctx.moto.seed()
    run(ctx.engine, ["validate", "-no-color"], oss, env, "validate (test provider)", ctx.timeout)
    run(ctx.engine, ["plan", "-input=false", "-lock=false", "-no-color", "-out=plan.bin"], oss,
        env, "plan", ctx.timeout)
    plan_json = run(ctx.engine, ["show", "-json", "-no-color", "plan.bin"], oss, env, "show",
                    ctx.timeout, stdout_only=True)
    try:
        plan = json.loads(plan_json)
    except json.JSONDecodeError as e:
        raise Failure("show", f"plan JSON does not parse: {e}", plan_json[:2000])
    if ctx.plan_out:
        dest = ctx.plan_out / folder.label / "plan.json"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(plan, indent=1, sort_keys=True) + "\n")
    n = compare_plan(plan, declared)
    return f"validate OK, plan OK with {n} resources"


def _first_error(text: str) -> str:
    for line in text.splitlines():
        if line.strip().startswith("Error:"):
            return line.strip()[len("Error:"):].strip()
    return _tail(text, 1)


def swap_providers(work: Path, rendered: list[Path], docs: list[dict], moto: Moto | None) -> None:
    """Removes the rendered provider file(s) and points every aws provider configuration at moto."""
    url = moto.url if moto else "http://127.0.0.1:9"
    hcl_parts, has_default = [], False
    for f in rendered:
        text = f.read_text()
        blocks = hcl_blocks(text, r'provider\s+"aws"')
        if not blocks:
            continue
        for block in blocks:
            alias = re.search(r'(?m)^\s*alias\s*=\s*"([^"]+)"', block)
            region = re.search(r'(?m)^\s*region\s*=\s*"([^"]+)"', block)
            has_default = has_default or not alias
            hcl_parts.append(test_provider_hcl(url, alias.group(1) if alias else None,
                                               region.group(1) if region else HOME_REGION))
        rest = text
        for block in blocks:
            rest = rest.replace(block, "")
        f.write_text(rest)   # keeps anything else the template declared
    if not has_default and uses_aws(docs):
        hcl_parts.append(test_provider_hcl(url, None, HOME_REGION))
    if hcl_parts:
        (work / "aft_verify_provider.tf").write_text("\n".join(hcl_parts))
    aliased = [b for b in common.provider_blocks(docs, "aws") if b.get("alias")]
    if aliased:
        override = {"provider": {"aws": [
            test_provider_json(url, b["alias"], b.get("region") if isinstance(b.get("region"), str)
                               and "${" not in b.get("region", "") else HOME_REGION)
            for b in aliased]}}
        (work / "aft_verify_provider_override.tf.json").write_text(json.dumps(override, indent=1))


def uses_aws(docs: list[dict]) -> bool:
    types = [a.split(".")[0] for a in common.managed_resources(docs)]
    types += [a.split(".")[1] for a in common.data_sources(docs)]
    required = [tb.get("required_providers", {}) for tb in common.terraform_blocks(docs)]
    return any(t.startswith("aws_") for t in types) or any("aws" in r for r in required)


def compare_plan(plan: dict, declared: dict[str, dict]) -> int:
    creates: dict[str, int] = {}
    other: list[str] = []
    for rc in plan.get("resource_changes", []):
        if rc.get("mode") != "managed" or rc.get("module_address"):
            continue
        actions = rc.get("change", {}).get("actions", [])
        base = f"{rc['type']}.{rc['name']}"
        if actions == ["create"]:
            creates[base] = creates.get(base, 0) + 1
        else:
            other.append(f"{rc.get('address')} {actions}")
    if other:
        raise Failure("plan", "on an empty state every change must be a create: "
                      + "; ".join(other[:10]))
    counted = {a for a, b in declared.items() if "count" in b or "for_each" in b}
    missing = sorted(a for a in declared if a not in creates and a not in counted)
    extra = sorted(a for a in creates if a not in declared)
    multi = sorted(a for a, n in creates.items() if n > 1 and a not in counted)
    if missing or extra or multi:
        raise Failure("plan", f"plan creates {sum(creates.values())} resources, the JSON declares "
                      f"{len(declared)}; not planned: {missing or '-'}; not declared: "
                      f"{extra or '-'}; planned more than once: {multi or '-'}")
    return sum(creates.values())


def service_gaps(folders: list[common.Folder]) -> set[str]:
    """aws_* types (data sources especially) whose service has no moto endpoint configured."""
    gaps = set()
    for folder in folders:
        try:
            docs = [common.load_json(p) for p in folder.tf_json]
        except (ValueError, OSError):
            continue
        types = {a.split(".")[1] for a in common.data_sources(docs)}
        for t in types:
            if not t.startswith("aws_"):
                continue
            rest = t[len("aws_"):]
            match = [p for p in TYPE_PREFIX_SERVICE if rest == p or rest.startswith(p + "_")]
            if not match:
                gaps.add(t)
                continue
            svc = TYPE_PREFIX_SERVICE[max(match, key=len)]
            if svc and svc not in ENDPOINT_SERVICES:
                gaps.add(t)
    return gaps


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file() or p.is_symlink()}


# ----------------------------------------------------------------------------- main
def main(argv: list[str] | None = None, moto_pool: MotoPool | None = None) -> int:
    """The command; selftest.py calls it once per case with one moto_pool for all of them."""
    ap = argparse.ArgumentParser(prog="engine.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path, help="synth output (holds aft-*-customizations/)")
    ap.add_argument("--plan-out", type=Path, help="write <label>/plan.json here for checkov.py")
    ap.add_argument("--only", help="only folders whose label contains this text")
    ap.add_argument("--keep-scratch", action="store_true", help="keep the scratch dir (debug)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per engine command")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    allow_skip = os.environ.get("AFT_FLEET_ALLOW_ENGINE_SKIP") == "1"
    global VERBOSE
    VERBOSE = args.verbose

    if not args.dir.is_dir():
        log(f"engine: {args.dir} is not a directory")
        return 2
    folders = common.discover(args.dir)
    if args.only:
        folders = [f for f in folders if args.only in f.label]
    if not folders:
        log(f"engine: no terraform/ folder with *.tf.json or *.jinja under {args.dir}")
        return 2
    t_start = time.monotonic()
    before = snapshot(args.dir)

    engine = find_engine()
    skip_reason = ""
    moto_cmd = find_moto()
    if engine:
        log(f"engine: using {engine.path} ({engine.version()}; from {engine.source})")
    else:
        skip_reason = ("no tofu/terraform: run scripts/toolchain.sh, put one on PATH or set "
                       "AFT_FLEET_ENGINE")
    if engine and not moto_cmd:
        skip_reason = "moto server is not installed (pip install -r requirements-dev.txt)"
        engine = None
    gaps = service_gaps(folders)
    if gaps:
        log(f"engine: warning: no moto endpoint mapped for data sources {sorted(gaps)}; "
            "add their service to ENDPOINT_SERVICES if plan hangs or fails")

    scratch = Path(tempfile.mkdtemp(prefix="aft-verify-engine-"))
    moto = None
    failed = 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if engine and moto_cmd and moto_pool:
            moto, took = moto_pool.get(moto_cmd)
            log(f"engine: moto server {moto_cmd[-1]} on {moto.url} "
                + (f"(started in {took:.1f} s)" if took is not None else "(already running)"))
        elif engine and moto_cmd:
            moto = Moto(moto_cmd, scratch / "moto.log")
            took = moto.start()
            log(f"engine: moto server {moto_cmd[-1]} on {moto.url} (started in {took:.1f} s)")
        ctx = Context(engine, moto, scratch, args.plan_out, args.verbose, args.timeout)
        if args.plan_out:
            args.plan_out.mkdir(parents=True, exist_ok=True)
        for folder in folders:
            t0 = time.monotonic()
            try:
                result = check_folder(folder, ctx)
                log(f"engine: {folder.label}: {result} ({time.monotonic() - t0:.1f} s)")
            except Failure as e:
                failed += 1
                log(f"engine: {folder.label}: FAILED at {e.step}: {e.message}")
                if e.detail:
                    log("\n".join("    " + ln for ln in _tail(e.detail).splitlines()))
        if ctx.providers_unavailable and not skip_reason:
            skip_reason = ctx.providers_unavailable
    finally:
        if moto and not moto_pool:
            moto.stop()
        if args.keep_scratch:
            log(f"engine: scratch kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)

    if snapshot(args.dir) != before:
        log(f"engine: FAILED: {args.dir} changed during the run (something wrote into it)")
        failed += 1
    log(f"engine: {len(folders)} folder(s), {failed} failed, in {time.monotonic() - t_start:.1f} s")
    if failed:
        return 1
    if skip_reason:
        log(f"ENGINE TIER SKIPPED: {skip_reason}")
        if not allow_skip:
            log("engine: set AFT_FLEET_ALLOW_ENGINE_SKIP=1 to accept the skip")
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
