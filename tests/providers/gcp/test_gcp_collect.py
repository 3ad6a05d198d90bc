"""The real Google clients over real HTTP against the fake: kinds, paging, gaps, retries,
read-only proof."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fixtures.gcp.credentials import fake_env, write_key_file
from fixtures.gcp.fake_google import FakeGoogle, running
from fixtures.gcp.scenarios import ProjectBuilder
from providers.gcp import GcpOptions, collect
from scanner.environ import patched_environment
from scanner.inventory import (
    ComputeInstance,
    Disk,
    FlowLogConfig,
    GapReason,
    Inventory,
    MachineImage,
    Principal,
    RoleBinding,
)

GOOD, BAD = "acme-good", "acme-bad"
ALL_KINDS = {
    "compute_instance",
    "disk",
    "machine_image",
    "network",
    "firewall_rule_set",
    "firewall_rule",
    "subnet",
    "flow_log_config",
    "role_binding",
    "principal",
    "audit_trail",
    "alert_rule",
}


def _scan(**kwargs: object) -> Inventory:
    options = {"retry_deadline": 2.0, "timeout": 5.0, **kwargs}
    return collect(GcpOptions(**options))  # type: ignore[arg-type]


def _kinds(inv: Inventory, project: str) -> Counter[str]:
    return Counter(e.kind for e in inv.entities if e.account == project)


def test_good_project_every_kind_with_small_pages(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    inv = _scan(projects=(GOOD,), page_size=1)
    assert inv.gaps == ()
    kinds = _kinds(inv, GOOD)
    assert set(kinds) >= ALL_KINDS, ALL_KINDS - set(kinds)
    assert kinds["compute_instance"] == 2 and kinds["disk"] == 3 and kinds["alert_rule"] == 6
    assert kinds["credential"] == 0  # only system-managed keys in the good project
    scope = inv.scope("gcp", GOOD)
    assert scope is not None and scope.regions == ("europe-west1", "us-central1")
    assert scope.native_id == "//cloudresourcemanager.googleapis.com/projects/acme-good"
    vm = inv.of(ComputeInstance)[0]
    assert vm.boot_mode == "uefi" and vm.image_ref and "debian-cloud" in vm.image_ref
    assert inv.get(vm.identity_ref, Principal) is not None  # SA alias resolves
    assert inv.get(vm.subnet_id, ComputeInstance) is None and vm.subnet_id in {
        e.id for e in inv.entities
    }
    for fw in vm.firewall_set_ids:
        assert fw in {e.id for e in inv.entities}
    # Paging really happened, aggregated lists included (warning scopes for empty zones).
    paths = Counter(r.path for r in gcp_fake.requests())
    assert paths["/compute/v1/projects/acme-good/aggregated/instances"] >= 3
    assert paths["/compute/v1/projects/acme-good/global/firewalls"] == 3
    assert paths["/v1/projects/acme-good/serviceAccounts"] == 2


def test_discovery_and_both_projects(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    inv = _scan(organization="123456789012")
    assert {s.account for s in inv.scopes} == {GOOD, BAD}
    assert {s.name for s in inv.scopes} == {"Acme production (good)", "Acme legacy (bad)"}
    bad = {e.id: e for e in inv.entities if e.account == BAD}
    public = [e for e in bad.values() if isinstance(e, MachineImage) and e.public]
    assert len(public) == 2
    custom = {b.role: b.admin_equivalent for b in inv.of(RoleBinding) if "/roles/" in b.role}
    assert custom == {
        "projects/acme-good/roles/logReader": False,
        "projects/acme-bad/roles/iamManager": True,
    }
    owner = [b for b in inv.of(RoleBinding) if b.role == "roles/owner"]
    assert owner and owner[0].admin_equivalent and owner[0].principal_type == "user"
    assert {d.key_type for d in inv.of(Disk) if d.account == BAD} == {"provider"}
    search = [r for r in gcp_fake.requests() if r.path == "/v3/projects:search"]
    assert search[0].query["query"] == ["parent:organizations/123456789012"]


def test_service_disabled_in_one_project_only(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    gcp_fake.fail(r"^/compute/", project=BAD, reason="SERVICE_DISABLED")
    inv = _scan(projects=(GOOD, BAD))
    bad_gaps = [g for g in inv.gaps if g.account == BAD]
    assert bad_gaps and {g.reason for g in bad_gaps} == {GapReason.NOT_ENABLED}
    assert {g.operation for g in bad_gaps} >= {"compute.instances.list", "compute.firewalls.list"}
    assert not [g for g in inv.gaps if g.account == GOOD]
    assert _kinds(inv, GOOD)["compute_instance"] == 2
    assert _kinds(inv, BAD)["compute_instance"] == 0 and _kinds(inv, BAD)["role_binding"] == 5


def test_forbidden_method_is_a_gap_with_its_operation(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    gcp_fake.fail(r":getIamPolicy$", project=GOOD)
    gcp_fake.fail(r"/global/images/app-golden/getIamPolicy$")
    inv = _scan(projects=(GOOD,))
    ops = {g.operation: g for g in inv.gaps}
    assert set(ops) == {"resourcemanager.projects.getIamPolicy", "compute.images.getIamPolicy"}
    gap = ops["resourcemanager.projects.getIamPolicy"]
    assert gap.reason is GapReason.ACCESS_DENIED and "role_binding" in gap.kinds
    assert "Required permission denied" in gap.detail
    image = inv.of(MachineImage)[0]
    assert image.public is None
    assert not inv.of(RoleBinding)


def test_throttled_then_success(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    gcp_fake.fail(r"/aggregated/instances$", status=429, reason="rateLimitExceeded", count=2)
    gcp_fake.fail(r"/sinks$", status=429, reason="rateLimitExceeded", count=1)
    inv = _scan(projects=(GOOD,))
    assert inv.gaps == ()
    assert _kinds(inv, GOOD)["compute_instance"] == 2
    throttled = [r for r in gcp_fake.requests() if r.status == 429]
    assert len(throttled) == 3


def test_throttled_for_good_and_server_errors(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    gcp_fake.fail(r"/sinks$", status=429, reason="rateLimitExceeded")
    gcp_fake.fail(r"/serviceAccounts$", status=500, reason="backendError")
    inv = _scan(projects=(GOOD,), retry_deadline=0.5)
    reasons = {g.operation: g.reason for g in inv.gaps}
    assert reasons == {
        "logging.sinks.list": GapReason.THROTTLED,
        "iam.serviceAccounts.list": GapReason.ERROR,
    }


def test_timeout_is_timed_out(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    gcp_fake.fail(r"/metrics$", status=200, reason="slow", delay=1.5, count=1)
    inv = _scan(projects=(GOOD,), timeout=0.5, retry_deadline=0)
    assert [(g.operation, g.reason) for g in inv.gaps] == [
        ("logging.logMetrics.list", GapReason.TIMED_OUT)
    ]


def test_unreachable_zone_is_a_regional_gap(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    gcp_fake.projects[GOOD].unreachable.add("zones/europe-west1-b")
    inv = _scan(projects=(GOOD,))
    gaps = [(g.operation, g.region) for g in inv.gaps]
    assert ("compute.instances.list", "europe-west1") in gaps
    assert ("compute.disks.list", "europe-west1") in gaps
    assert {v.region for v in inv.of(ComputeInstance)} == {"us-central1"}


def test_project_metadata_unread_leaves_login_unknown(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    gcp_fake.fail(r"^/compute/v1/projects/[^/]+$", project=GOOD)
    inv = _scan(projects=(GOOD,))
    assert [g.operation for g in inv.gaps] == ["compute.projects.get"]
    vm = inv.of(ComputeInstance)[0]
    assert vm.login.central_login is None and vm.login.serial_console is None
    assert vm.login.project_keys_blocked is True


def test_read_only_and_authorized(gcp_fake: FakeGoogle, gcp_env: dict[str, str]) -> None:
    _scan(projects=(GOOD, BAD))
    requests = gcp_fake.requests()
    assert requests and not [r for r in requests if r.mutating]
    assert {r.method for r in requests} <= {"GET", "POST"}
    posts = {r.path for r in requests if r.method == "POST"}
    assert posts <= {
        "/token",
        "/v3/projects/acme-good:getIamPolicy",
        "/v3/projects/acme-bad:getIamPolicy",
    }
    assert all(r.authorized for r in requests if r.path != "/token")


def test_fake_refuses_writes(gcp_fake: FakeGoogle) -> None:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        f"{gcp_fake.base}/compute/v1/projects/acme-good/global/firewalls", data=b"{}", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=5)
    assert err.value.code == 405
    assert gcp_fake.requests()[-1].mutating


def test_impersonation_goes_through_the_endpoint(
    gcp_fake: FakeGoogle, gcp_env: dict[str, str]
) -> None:
    target = "scanner@acme-good.iam.gserviceaccount.com"
    inv = _scan(projects=(GOOD,), impersonate_service_account=target)
    assert inv.gaps == () and _kinds(inv, GOOD)["compute_instance"] == 2
    minted = [r for r in gcp_fake.requests() if r.path.endswith(":generateAccessToken")]
    assert (
        minted and minted[0].path == f"/v1/projects/-/serviceAccounts/{target}:generateAccessToken"
    )
    assert not [r for r in gcp_fake.requests() if r.mutating]


def test_absent_fields_through_the_real_client(tmp_path: Path, gcp_env: dict[str, str]) -> None:
    """proto3: an absent shieldedInstanceConfig / logConfig must not read as False or on."""
    b = ProjectBuilder("bare", "300000000001")
    net = b.network("n")
    sub = b.subnet(net, "s", "us-east1", "10.0.0.0/24", flow_logs=None)
    b.instance("vm", "us-east1-b", sub, shielded=None, sa_email=None)
    with running([b.data]) as fake:
        key = write_key_file(tmp_path, token_uri=f"{fake.base}/token")
        with patched_environment(fake_env(fake.base, key)):
            inv = _scan(projects=("bare",))
    vm = inv.of(ComputeInstance)[0]
    assert (vm.secure_boot, vm.vtpm, vm.integrity_monitoring) == (None, None, None)
    assert vm.identity_ref is None and vm.login.central_login is False
    assert [f.enabled for f in inv.of(FlowLogConfig)] == [False]
    assert inv.gaps == ()
