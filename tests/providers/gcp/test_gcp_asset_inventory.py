"""Service Usage: Cloud Asset Inventory state as a SecurityService, through the fake."""

from __future__ import annotations

from fixtures.gcp.fake_google import FakeGoogle
from providers.gcp import GcpOptions, collect
from providers.gcp.normalise.common import Ctx
from providers.gcp.normalise.services import asset_inventory
from scanner.inventory import GapReason, Inventory, SecurityService


def _scan(*projects: str) -> Inventory:
    return collect(GcpOptions(projects=projects, retry_deadline=2.0, timeout=5.0))


def test_state_maps_to_enabled() -> None:
    ctx = Ctx("p1")
    assert asset_inventory(ctx, {"state": "ENABLED"}).enabled is True
    assert asset_inventory(ctx, {"state": "DISABLED"}).enabled is False
    assert asset_inventory(ctx, {"state": "STATE_UNSPECIFIED"}).enabled is None
    assert asset_inventory(ctx, {}).enabled is None


def test_good_enabled_bad_disabled(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    inv = _scan("acme-good", "acme-bad")
    found = {
        s.account: (s.service_kind, s.enabled, s.region)
        for s in inv.of(SecurityService)
        if s.service_kind == "asset_inventory"
    }
    assert found == {
        "acme-good": ("asset_inventory", True, "global"),
        "acme-bad": ("asset_inventory", False, "global"),
    }
    paths = {r.path for r in gcp_fake.requests()}
    assert "/v1/projects/acme-good/services/cloudasset.googleapis.com" in paths


def test_denied_is_a_gap(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    gcp_fake.fail(r"/services/cloudasset", project="acme-good")
    inv = _scan("acme-good")
    gaps = [g for g in inv.gaps if g.operation == "serviceusage.services.get"]
    assert [(g.kinds, g.reason) for g in gaps] == [
        (("security_service:asset_inventory",), GapReason.ACCESS_DENIED)
    ]
    assert not [s for s in inv.of(SecurityService) if s.service_kind == "asset_inventory"]
