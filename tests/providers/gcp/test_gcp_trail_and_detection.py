"""Event Threat Detection (securitycentermanagement) and the retention lock of storage sinks'
buckets (Cloud Storage JSON API), through the fake."""

from __future__ import annotations

from fixtures.gcp.fake_google import FakeGoogle
from providers.gcp import GcpOptions, collect
from providers.gcp.normalise.common import Ctx
from providers.gcp.normalise.logging import retention_locked, storage_bucket
from providers.gcp.normalise.services import threat_detection
from scanner.inventory import AuditTrail, GapReason, Inventory, SecurityService

SCC_OP = "securitycentermanagement.securityCenterServices.get"


def _scan(*projects: str) -> Inventory:
    return collect(GcpOptions(projects=projects, retry_deadline=2.0, timeout=5.0))


def _etd(inv: Inventory) -> dict[str, bool | None]:
    return {
        s.account: s.enabled
        for s in inv.of(SecurityService)
        if s.service_kind == "threat_detection"
    }


def _sinks(inv: Inventory) -> dict[str, bool | None]:
    return {t.id: t.immutable for t in inv.of(AuditTrail) if "/sinks/" in t.id}


def test_effective_state_maps_to_enabled() -> None:
    ctx = Ctx("p1")
    assert threat_detection(ctx, {"effectiveEnablementState": "ENABLED"}).enabled is True
    assert threat_detection(ctx, {"effectiveEnablementState": "DISABLED"}).enabled is False
    assert threat_detection(ctx, {"intendedEnablementState": "ENABLED"}).enabled is None
    assert threat_detection(ctx, {"effectiveEnablementState": "INGEST_ONLY"}).enabled is None
    assert threat_detection(ctx, None).enabled is False  # NOT_FOUND: no such service


def test_bucket_lock_and_destinations() -> None:
    assert storage_bucket("storage.googleapis.com/logs-1") == "logs-1"
    assert storage_bucket("bigquery.googleapis.com/projects/p/datasets/d") is None
    assert retention_locked({"retentionPolicy": {"retentionPeriod": "86400", "isLocked": True}})
    assert not retention_locked({"retentionPolicy": {"retentionPeriod": "86400"}})
    assert not retention_locked({"iamConfiguration": {}})


def test_good_and_bad_projects(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    inv = _scan("acme-good", "acme-bad")
    assert _etd(inv) == {"acme-good": True, "acme-bad": False}
    etd = next(s for s in inv.of(SecurityService) if s.service_kind == "threat_detection")
    assert etd.region == "global"
    assert _sinks(inv) == {
        "projects/acme-good/sinks/audit-archive": True,
        "projects/acme-bad/sinks/errors-only": None,  # a log bucket: not read
        "projects/acme-bad/sinks/audit-copy": False,
    }
    assert not inv.gaps
    buckets = [r for r in gcp_fake.requests() if r.path.startswith("/storage/v1/b/")]
    assert {r.path for r in buckets} == {
        "/storage/v1/b/acme-good-audit-archive",
        "/storage/v1/b/acme-bad-audit-logs",
    }
    assert all(r.query["fields"] == ["retentionPolicy,iamConfiguration"] for r in buckets)
    assert (
        "/v1/projects/acme-good/locations/global/securityCenterServices/event-threat-detection"
        in {r.path for r in gcp_fake.requests()}
    )


def test_scc_denied_or_disabled_is_a_gap(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    gcp_fake.fail(r"/securityCenterServices/", project="acme-good")
    gcp_fake.fail(r"/securityCenterServices/", project="acme-bad", reason="SERVICE_DISABLED")
    inv = _scan("acme-good", "acme-bad")
    gaps = {g.account: (g.kinds, g.reason) for g in inv.gaps if g.operation == SCC_OP}
    assert gaps == {
        "acme-good": (("security_service:threat_detection",), GapReason.ACCESS_DENIED),
        "acme-bad": (("security_service:threat_detection",), GapReason.NOT_ENABLED),
    }
    assert _etd(inv) == {}


def test_scc_not_found_is_off(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    gcp_fake.fail(r"/securityCenterServices/", status=404, reason="notFound")
    inv = _scan("acme-good")
    assert _etd(inv) == {"acme-good": False}
    assert not inv.gaps


def test_unreadable_bucket_is_unknown_and_a_gap(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    gcp_fake.fail(r"^/storage/v1/b/acme-good-", project="acme-good")
    gcp_fake.fail(r"^/storage/v1/b/acme-bad-", project="acme-bad", reason="SERVICE_DISABLED")
    inv = _scan("acme-good", "acme-bad")
    gaps = {
        g.account: (g.kinds, g.reason) for g in inv.gaps if g.operation == "storage.buckets.get"
    }
    assert gaps == {
        "acme-good": (("log_bucket",), GapReason.ACCESS_DENIED),
        "acme-bad": (("log_bucket",), GapReason.NOT_ENABLED),
    }
    sinks = _sinks(inv)
    assert sinks["projects/acme-good/sinks/audit-archive"] is None
    assert sinks["projects/acme-bad/sinks/audit-copy"] is None
