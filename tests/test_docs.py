"""Documentation that is derived from code stays true to it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_checks_md_is_generated_from_the_registry() -> None:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "docs" / "generate_checks_md.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert committed == module.render(), "run: python docs/generate_checks_md.py"


def test_iam_policy_is_read_only() -> None:
    policy = json.loads((ROOT / "docs" / "aws-iam-policy.json").read_text(encoding="utf-8"))
    actions = [a for s in policy["Statement"] for a in s["Action"]]
    verbs = ("Describe", "List", "Get", "GenerateCredentialReport")
    assert all(a.split(":", 1)[1].startswith(verbs) for a in actions), actions
