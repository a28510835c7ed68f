"""Shared helpers for the verification tiers (engine.py, checkov.py): stdlib only."""
from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# scripts/verify/setup.sh installs requirements-dev.txt here (/.work/ is git-ignored).
VENV = Path(os.environ.get("AFT_FLEET_VERIFY_VENV", REPO / ".work" / "verify-venv"))

GLOBAL_STAGE = "aft-global-customizations"
ACCOUNT_STAGE = "aft-account-customizations"


def reexec_in_venv(missing_module: str) -> None:
    """Re-runs the current script with the verify venv's python when a module is missing here."""
    py = VENV / "bin" / "python"
    if py.exists() and os.environ.get("AFT_FLEET_VERIFY_REEXEC") != "1":
        os.environ["AFT_FLEET_VERIFY_REEXEC"] = "1"
        os.execv(str(py), [str(py), *sys.argv])
    sys.stderr.write(
        f"{Path(sys.argv[0]).name}: python module {missing_module!r} is not installed; run "
        f"scripts/verify/setup.sh (creates {VENV}) or pip install -r requirements-dev.txt\n")
    sys.exit(2)


def find_tool(name: str, env_var: str | None = None) -> str | None:
    """An explicit env override, then the pinned verify venv, then PATH."""
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    candidate = VENV / "bin" / name
    if candidate.exists():
        return str(candidate)
    return shutil.which(name)


@dataclass
class Folder:
    """One emitted terraform/ folder that AFT runs."""

    label: str            # e.g. aft-global-customizations or aft-account-customizations/central
    path: Path            # the terraform/ folder itself
    stage: str            # aft-global-customizations or aft-account-customizations
    tf_json: list[Path] = field(default_factory=list)
    jinja: list[Path] = field(default_factory=list)


def discover(root: Path) -> list[Folder]:
    """Every folder named terraform/ under root that holds *.tf.json or *.jinja files.

    AFT renders only the top-level *.jinja of terraform/ and Terraform loads only its top-level
    *.tf / *.tf.json, so only top-level files count; nested terraform/ folders inside a found one
    (package assets) are ignored.
    """
    root = root.resolve()
    candidates = [root] if root.name == "terraform" else []
    candidates += sorted(p for p in root.rglob("terraform") if p.is_dir())
    folders: list[Folder] = []
    for path in candidates:
        if ".terraform" in path.parts or any(f.path in path.parents for f in folders):
            continue
        tf_json = sorted(path.glob("*.tf.json"))
        jinja = sorted(path.glob("*.jinja"))
        if not tf_json and not jinja:
            continue
        rel = path.parent.relative_to(root) if path != root else Path(root.parent.name)
        label = rel.as_posix() if rel.as_posix() != "." else path.parent.name
        stage = GLOBAL_STAGE if label.split("/")[0] == GLOBAL_STAGE else ACCOUNT_STAGE
        folders.append(Folder(label=label, path=path, stage=stage, tf_json=tf_json, jinja=jinja))
    return folders


def load_json(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if not isinstance(doc, dict):
        raise ValueError(f"{path.name}: top level is not a JSON object")
    return doc


def _blocks(value) -> list[dict]:
    """Terraform JSON allows one block as an object or several as an array of objects."""
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return [value] if isinstance(value, dict) else []


def managed_resources(docs: list[dict]) -> dict[str, dict]:
    """address (TYPE.NAME) -> body for every managed resource declared in Terraform JSON docs."""
    out: dict[str, dict] = {}
    for doc in docs:
        for res_group in _blocks(doc.get("resource", {})):
            for rtype, by_name in res_group.items():
                for named in _blocks(by_name):
                    for name, body in named.items():
                        for b in _blocks(body):
                            out[f"{rtype}.{name}"] = b
    return out


def data_sources(docs: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for doc in docs:
        for group in _blocks(doc.get("data", {})):
            for dtype, by_name in group.items():
                for named in _blocks(by_name):
                    for name, body in named.items():
                        for b in _blocks(body):
                            out[f"data.{dtype}.{name}"] = b
    return out


def provider_blocks(docs: list[dict], name: str) -> list[dict]:
    out: list[dict] = []
    for doc in docs:
        for group in _blocks(doc.get("provider", {})):
            out += _blocks(group.get(name, []))
    return out


def terraform_blocks(docs: list[dict]) -> list[dict]:
    out: list[dict] = []
    for doc in docs:
        out += _blocks(doc.get("terraform", []))
    return out
