"""docs/azure-role.json grants exactly the reads the Azure provider makes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from providers.azure import units

ROOT = Path(__file__).resolve().parents[2]


def test_custom_role_covers_every_operation_and_only_reads() -> None:
    role = json.loads((ROOT / "docs" / "azure-role.json").read_text(encoding="utf-8"))
    actions = set(role["Actions"])
    source = Path(units.__file__).read_text(encoding="utf-8")
    called = set(re.findall(r'"(Microsoft\.[A-Za-z]+/[A-Za-z/]+/read)"', source))
    called |= {u.operation for u in units.UNITS}
    called.add("Microsoft.Resources/subscriptions/read")
    assert actions == called
    assert all(a.endswith("/read") for a in actions)
    assert not role["DataActions"] and not role["NotActions"]
