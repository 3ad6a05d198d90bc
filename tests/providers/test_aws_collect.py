"""The AWS collector against the harness moto server, over real HTTP."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest

from providers.aws import AwsOptions, collect
from scanner import events
from scanner.errors import ConfigurationError
from scanner.inventory import (
    ENTITY_TYPES,
    GLOBAL,
    AlertRule,
    AuditTrail,
    ComputeInstance,
    Disk,
    FirewallRuleSet,
    GapReason,
    Inventory,
    Principal,
    RegionSettings,
    RoleBinding,
    Snapshot,
    Subnet,
)
from tests.harness.client import MotoHarness
from tests.providers.aws_seed import ACCOUNT, seed_account

pytestmark = pytest.mark.moto

REGIONS = ("us-east-1", "eu-west-1")
ROOT_GAP = ("iam:GetCredentialReport", GLOBAL)


def options(**overrides: Any) -> AwsOptions:
    settings: dict[str, Any] = {
        "regions": REGIONS,
        "max_workers": 4,
        "max_attempts": 2,
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
    }
    return AwsOptions(**{**settings, **overrides})


def arn(resource: str, short_id: str, region: str = "us-east-1") -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:{resource}/{short_id}"


def gaps_besides_root(inv: Inventory) -> list[tuple[str, str, GapReason]]:
    return [
        (g.operation, g.region, g.reason) for g in inv.gaps if (g.operation, g.region) != ROOT_GAP
    ]


def test_collects_every_entity_kind_with_joins(aws_env: dict[str, str]) -> None:
    seeded = seed_account()
    inv = collect(options())

    # AWS policies arrive as role bindings; role definitions are an Azure/GCP concept.
    assert {e.kind for e in inv.entities} == set(ENTITY_TYPES) - {"role_definition"}
    assert gaps_besides_root(inv) == []
    (scope,) = inv.scopes
    assert scope.account == ACCOUNT and scope.regions == REGIONS
    assert scope.native_id == f"arn:aws:iam::{ACCOUNT}:root"

    instance = inv.get(arn("instance", seeded.instance), ComputeInstance)
    assert instance is not None and instance.metadata_v2_required is True
    group = inv.get(instance.firewall_set_ids[0], FirewallRuleSet)
    assert group is not None and group.id == arn("security-group", seeded.group)
    assert any(a.startswith(arn("network-interface", "")) for a in group.attached_to)
    subnet = inv.get(instance.subnet_id, Subnet)
    assert subnet is not None
    acl = inv.get(subnet.filter_policy_ids[0], FirewallRuleSet)
    assert acl is not None and acl.set_kind == "nacl"
    snapshot = inv.get(f"arn:aws:ec2:us-east-1::snapshot/{seeded.snapshot}", Snapshot)
    assert snapshot is not None and snapshot.public is True
    assert inv.get(arn("volume", seeded.volume), Disk) is not None

    trails = inv.of(AuditTrail)
    assert [t.region for t in trails] == ["us-east-1"], "a trail appears in its home region only"
    assert trails[0].logging and trails[0].mgmt_read and trails[0].mgmt_write
    settings = inv.get(f"aws:{ACCOUNT}:us-east-1", RegionSettings)
    assert settings is not None and settings.disk_encryption_by_default is True
    assert settings.serial_console_access is False
    (rule,) = inv.of(AlertRule)
    assert rule.event_classes == (events.SECURITY_GROUP_CHANGE,) and rule.enabled is True
    assert rule.source_id == trails[0].log_group_id and rule.targets

    alice = inv.get(f"arn:aws:iam::{ACCOUNT}:user/alice", Principal)
    assert alice is not None, "report and authorization details merge into one principal"
    binding = next(b for b in inv.of(RoleBinding) if b.principal_id.endswith(":group/admins"))
    assert binding.admin_equivalent is True
    assert alice.console_access is True and alice.member_of == (
        f"arn:aws:iam::{ACCOUNT}:group/admins",
    )
    assert len([p for p in inv.of(Principal) if p.id == alice.id]) == 1


def test_missing_root_row_is_a_credential_gap(aws_env: dict[str, str]) -> None:
    inv = collect(options(regions=("us-east-1",)))
    (gap,) = inv.gaps
    assert (gap.operation, gap.region, gap.kinds) == (
        "iam:GetCredentialReport",
        GLOBAL,
        ("credential",),
    )
    assert "<root_account>" in gap.detail
    root = inv.get(f"arn:aws:iam::{ACCOUNT}:root", Principal)
    assert root is not None and root.mfa is False


def test_root_row_from_harness(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    moto_reset.set_root_row(
        mfa_active="false",
        access_key_1_active="true",
        access_key_1_last_rotated="2019-05-01T00:00:00+00:00",
    )
    inv = collect(options(regions=("us-east-1",)))
    assert inv.gaps == ()
    root_key = next(e for e in inv.entities if e.id == f"arn:aws:iam::{ACCOUNT}:root#access_key_1")
    assert getattr(root_key, "active", None) is True


def test_pagination_really_pages(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    ec2: Any = boto3.client("ec2", region_name="us-east-1")
    for _ in range(7):
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    moto_reset.reset_log()
    inv = collect(options(regions=("us-east-1",), page_size=5))
    assert len(inv.of(ComputeInstance)) == 7
    calls = [r for r in moto_reset.requests() if r["action"] == "DescribeInstances"]
    assert len(calls) == 2


def test_partial_results_survive_a_failed_page(
    aws_env: dict[str, str], moto_reset: MotoHarness
) -> None:
    ec2: Any = boto3.client("ec2", region_name="us-east-1")
    for _ in range(7):
        ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)
    moto_reset.set_faults(
        [
            {
                "action": "DescribeInstances",
                "after": 1,
                "status": 403,
                "code": "UnauthorizedOperation",
            }
        ]
    )
    inv = collect(options(regions=("us-east-1",), page_size=5))
    assert len(inv.of(ComputeInstance)) == 5
    assert ("ec2:DescribeInstances", "us-east-1", GapReason.ACCESS_DENIED) in gaps_besides_root(inv)


def test_access_denied_in_one_region_is_a_gap_there_only(
    aws_env: dict[str, str], moto_reset: MotoHarness
) -> None:
    for region in REGIONS:
        boto3.client("ec2", region_name=region).create_volume(AvailabilityZone=f"{region}a", Size=1)
    moto_reset.set_faults(
        [
            {
                "action": "DescribeVolumes",
                "region": "eu-west-1",
                "status": 403,
                "code": "UnauthorizedOperation",
            }
        ]
    )
    inv = collect(options())
    assert gaps_besides_root(inv) == [("ec2:DescribeVolumes", "eu-west-1", GapReason.ACCESS_DENIED)]
    gap = next(g for g in inv.gaps if g.operation == "ec2:DescribeVolumes")
    assert gap.kinds == ("disk",) and gap.account == ACCOUNT
    assert [d.region for d in inv.of(Disk)] == ["us-east-1"]
    assert {s.region for s in inv.of(Subnet)} == set(REGIONS)


def test_throttling_that_outlives_retries(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    moto_reset.set_faults(
        [
            {
                "action": "ListDetectors",
                "region": "us-east-1",
                "status": 400,
                "code": "ThrottlingException",
            }
        ]
    )
    inv = collect(options(max_attempts=2))
    assert gaps_besides_root(inv) == [("guardduty:ListDetectors", "us-east-1", GapReason.THROTTLED)]
    tries = [r for r in moto_reset.requests() if r["action"] == "ListDetectors" and r["fault"]]
    assert len(tries) == 2, "botocore retried up to max_attempts before giving up"


def test_timeout_becomes_timed_out_gap(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    moto_reset.set_faults(
        [{"action": "DescribeVpcs", "region": "eu-west-1", "delay": 2.5, "passthrough": True}]
    )
    inv = collect(options(read_timeout=1.0, max_attempts=1))
    assert gaps_besides_root(inv) == [("ec2:DescribeVpcs", "eu-west-1", GapReason.TIMED_OUT)]


def test_region_settings_sub_call_gap(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    moto_reset.set_faults(
        [
            {
                "action": "GetSerialConsoleAccessStatus",
                "region": "us-east-1",
                "status": 403,
                "code": "UnauthorizedOperation",
            }
        ]
    )
    inv = collect(options(regions=("us-east-1",)))
    assert gaps_besides_root(inv) == [
        ("ec2:GetSerialConsoleAccessStatus", "us-east-1", GapReason.ACCESS_DENIED)
    ]
    settings = inv.get(f"aws:{ACCOUNT}:us-east-1", RegionSettings)
    assert settings is not None
    assert settings.serial_console_access is None and settings.disk_encryption_by_default is False


def _two_snapshots(public: bool) -> tuple[str, str]:
    ec2: Any = boto3.client("ec2", region_name="us-east-1")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    shared, private = (ec2.create_snapshot(VolumeId=volume)["SnapshotId"] for _ in range(2))
    if public:
        ec2.modify_snapshot_attribute(
            SnapshotId=shared,
            Attribute="createVolumePermission",
            OperationType="add",
            GroupNames=["all"],
        )
    return shared, private


def test_public_snapshots_from_one_list_call(
    aws_env: dict[str, str], moto_reset: MotoHarness
) -> None:
    shared, private = _two_snapshots(public=True)
    inv = collect(options(regions=("us-east-1",)))
    public = {s.id.rsplit("/", 1)[1]: s.public for s in inv.of(Snapshot)}
    assert public == {shared: True, private: False}
    calls = [r["action"] for r in moto_reset.requests() if r["action"].endswith("Snapshots")]
    assert calls == ["DescribeSnapshots", "DescribeSnapshots"]


def test_public_snapshot_list_denied_leaves_public_unknown(
    aws_env: dict[str, str], moto_reset: MotoHarness
) -> None:
    _two_snapshots(public=False)
    # The public list (RestorableByUserIds=["all"]) is asked first; only it is denied.
    moto_reset.set_faults(
        [
            {
                "action": "DescribeSnapshots",
                "count": 1,
                "status": 403,
                "code": "UnauthorizedOperation",
            }
        ]
    )
    inv = collect(options(regions=("us-east-1",)))
    assert [s.public for s in inv.of(Snapshot)] == [None, None]
    assert gaps_besides_root(inv) == [
        ("ec2:DescribeSnapshots", "us-east-1", GapReason.ACCESS_DENIED)
    ]


def _trail_homed_in(region: str, **selectors: Any) -> str:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-bucket")
    trail: Any = boto3.client("cloudtrail", region_name=region)
    arn = trail.create_trail(Name="everywhere", S3BucketName="trail-bucket", **selectors)
    trail.start_logging(Name="everywhere")
    trail.put_event_selectors(
        TrailName="everywhere",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}],
    )
    return str(arn["TrailARN"])


def test_multi_region_trail_homed_outside_the_scan(
    aws_env: dict[str, str], moto_reset: MotoHarness
) -> None:
    arn = _trail_homed_in("eu-west-1", IsMultiRegionTrail=True)
    moto_reset.reset_log()
    inv = collect(options(regions=("us-east-1", "ap-south-1")))
    (trail,) = inv.of(AuditTrail)
    assert trail.id == arn and trail.region == "eu-west-1"
    assert trail.logging is True and trail.mgmt_read is True and trail.mgmt_write is True
    assert gaps_besides_root(inv) == []
    per_trail = [
        (r["action"], r["region"])
        for r in moto_reset.requests()
        if r["action"] in ("GetTrailStatus", "GetEventSelectors")
    ]
    # Once per trail, from its home region (moto, like AWS outside it, may not know it).
    assert sorted(per_trail) == [
        ("GetEventSelectors", "eu-west-1"),
        ("GetTrailStatus", "eu-west-1"),
    ]


def test_single_region_trail_elsewhere_is_not_listed(aws_env: dict[str, str]) -> None:
    _trail_homed_in("eu-west-1")
    inv = collect(options(regions=("us-east-1",)))
    assert inv.of(AuditTrail) == ()


def test_unknown_region_is_a_configuration_error(aws_env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match=r"unknown AWS region mars-north-1.*us-east-1"):
        collect(options(regions=("us-east-1", "mars-north-1")))


def test_region_not_enabled_is_a_gap(aws_env: dict[str, str]) -> None:
    inv = collect(options(regions=("us-east-1", "ap-east-1")))
    assert inv.scopes[0].regions == ("us-east-1",)
    (gap,) = [g for g in inv.gaps if g.region == "ap-east-1"]
    assert gap.reason is GapReason.NOT_ENABLED and "disk" in gap.kinds


def test_describe_regions_denied(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    moto_reset.set_faults(
        [{"action": "DescribeRegions", "status": 403, "code": "UnauthorizedOperation"}]
    )
    inv = collect(options(regions=("eu-west-1",)))
    assert inv.scopes[0].regions == ("eu-west-1",)
    with pytest.raises(ConfigurationError, match="--region"):
        collect(options(regions=()))


def test_no_credentials(aws_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(ConfigurationError, match=r"^no AWS credentials found: "):
        collect(options())


def test_rejected_credentials(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    moto_reset.set_faults(
        [{"action": "GetCallerIdentity", "status": 403, "code": "InvalidClientTokenId"}]
    )
    with pytest.raises(ConfigurationError, match=r"rejected.*InvalidClientTokenId"):
        collect(options())


def test_assume_role(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    inv = collect(
        options(
            regions=("us-east-1",), role_arn=f"arn:aws:iam::{ACCOUNT}:role/audit", external_id="xyz"
        )
    )
    assert inv.scopes[0].account == ACCOUNT
    actions = [r["action"] for r in moto_reset.requests()]
    assert actions.count("AssumeRole") == 1 and actions.index("AssumeRole") < actions.index(
        "GetCallerIdentity"
    )


READ_PREFIXES = ("Describe", "List", "Get")
ALSO_ALLOWED = {"GenerateCredentialReport", "AssumeRole"}
PER_RESOURCE = {"GetTrailStatus", "GetEventSelectors", "GetDetector"}
TWO_LISTS = "DescribeSnapshots"
"""Own snapshots, then the public ones among them (RestorableByUserIds=["all"])."""


def test_read_only_and_one_call_per_list(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    seed_account()
    moto_reset.reset_log()
    progress: list[tuple[int, int, str]] = []
    collect(options(), lambda done, total, label: progress.append((done, total, label)))
    requests = moto_reset.requests()
    actions = {r["action"] for r in requests}
    assert actions, "the request log saw the collection"
    mutating = {a for a in actions if not a.startswith(READ_PREFIXES) and a not in ALSO_ALLOWED}
    assert mutating == set()

    per_scope = Counter((r["action"], r["region"]) for r in requests)
    repeated = {
        k: n
        for k, n in per_scope.items()
        if n > 1 and k[0] not in PER_RESOURCE and (k[0], n) != (TWO_LISTS, 2)
    }
    # The credential report is polled until COMPLETE; every list fits one page here.
    assert set(repeated) <= {("GenerateCredentialReport", "us-east-1")}
    per_resource = Counter(r["action"] for r in requests if r["action"] in PER_RESOURCE)
    # One detector, and one multi-region trail listed in both regions but read once.
    assert per_resource == {"GetTrailStatus": 1, "GetEventSelectors": 1, "GetDetector": 1}
    assert {n for (action, _), n in per_scope.items() if action == TWO_LISTS} == {2}
    assert "DescribeSnapshotAttribute" not in actions, "no call per snapshot"

    assert [p[0] for p in progress] == list(range(1, len(progress) + 1))
    assert {p[1] for p in progress} == {len(progress)}


def test_default_is_every_enabled_region(aws_env: dict[str, str]) -> None:
    listed = boto3.client("ec2", region_name="us-east-1").describe_regions(AllRegions=True)
    enabled = sorted(
        r["RegionName"]
        for r in listed["Regions"]
        if r["OptInStatus"] in ("opt-in-not-required", "opted-in")
    )
    assert "ap-east-1" not in enabled, "moto lists ap-east-1 as not opted in"
    inv = collect(options(regions=(), max_workers=8))
    assert list(inv.scopes[0].regions) == enabled
    assert not [g for g in inv.gaps if g.reason is GapReason.NOT_ENABLED]


def test_importing_the_provider_does_not_import_boto3() -> None:
    import subprocess
    import sys

    code = (
        "import sys, scanner.inventory, scanner.engine, providers.aws, providers.runner; "
        "sys.exit('boto3' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
