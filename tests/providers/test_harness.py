"""The moto harness itself: request log, fault rules, patched moto gaps."""

from __future__ import annotations

import csv
import io
from typing import Any

import boto3
import botocore.exceptions
import pytest

from tests.harness.client import MotoHarness

pytestmark = pytest.mark.moto


def test_request_log_names_service_action_and_region(
    aws_env: dict[str, str], moto_reset: MotoHarness
) -> None:
    boto3.client("ec2", region_name="eu-west-1").describe_vpcs()
    boto3.client("logs", region_name="us-east-1").describe_metric_filters()
    boto3.client("guardduty", region_name="us-east-1").list_detectors()
    seen = [(r["service"], r["action"], r["region"]) for r in moto_reset.requests()]
    assert seen == [
        ("ec2", "DescribeVpcs", "eu-west-1"),
        ("logs", "DescribeMetricFilters", "us-east-1"),
        ("guardduty", "ListDetectors", "us-east-1"),
    ]
    moto_reset.reset_log()
    assert moto_reset.requests() == []


@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("ec2", lambda c: c.describe_vpcs()),
        ("iam", lambda c: c.list_users()),
        ("cloudtrail", lambda c: c.describe_trails()),
        ("cloudwatch", lambda c: c.describe_alarms()),
        ("guardduty", lambda c: c.list_detectors()),
    ],
)
def test_faults_speak_each_protocol(
    aws_env: dict[str, str], moto_reset: MotoHarness, service: str, call: Any
) -> None:
    moto_reset.set_faults(
        [
            {
                "service": _signing_name(service),
                "status": 403,
                "code": "AccessDeniedException",
                "message": "nope",
            }
        ]
    )
    client = boto3.client(service, region_name="us-east-1")  # type: ignore[call-overload]
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(client)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


def _signing_name(service: str) -> str:
    return {"cloudwatch": "monitoring"}.get(service, service)


def test_fault_count_region_and_after(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    moto_reset.set_faults(
        [
            {
                "action": "DescribeVpcs",
                "region": "eu-west-1",
                "after": 1,
                "count": 1,
                "code": "UnauthorizedOperation",
                "status": 403,
            }
        ]
    )
    eu: Any = boto3.client("ec2", region_name="eu-west-1")
    us: Any = boto3.client("ec2", region_name="us-east-1")
    us.describe_vpcs()
    eu.describe_vpcs()
    with pytest.raises(botocore.exceptions.ClientError):
        eu.describe_vpcs()
    eu.describe_vpcs()
    faults = [r["fault"] for r in moto_reset.requests()]
    assert faults == [None, None, "UnauthorizedOperation", None]


def test_backdated_key_and_root_row(aws_env: dict[str, str], moto_reset: MotoHarness) -> None:
    iam: Any = boto3.client("iam", region_name="us-east-1")
    iam.create_user(UserName="old")
    key = iam.create_access_key(UserName="old")["AccessKey"]["AccessKeyId"]
    moto_reset.age_access_key(key, "2019-02-03T00:00:00+00:00", "2019-03-04T05:06:07+00:00")
    moto_reset.set_root_row(mfa_active="false")
    iam.generate_credential_report()
    report = iam.get_credential_report()["Content"].decode()
    assert "<root_account>,arn:aws:iam::123456789012:root," in report
    assert ",2019-02-03T00:00:00+00:00," in report
    assert ",2019-03-04T05:06:07+00:00," in report
    root = next(
        row for row in csv.DictReader(io.StringIO(report)) if row["user"] == "<root_account>"
    )
    assert root["mfa_active"] == "false" and root["access_key_1_active"] == "false"
    moto_reset.set_root_row(enabled=False)
    assert "<root_account>" not in iam.get_credential_report()["Content"].decode()
    with pytest.raises(KeyError):
        moto_reset.age_access_key("AKIANOTAKEY", "2019-01-01T00:00:00+00:00")


def test_ec2_settings_gaps_are_filled(aws_env: dict[str, str]) -> None:
    ec2: Any = boto3.client("ec2", region_name="us-east-1")
    assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"]
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False
    ec2.enable_serial_console_access()
    assert ec2.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is True
    other: Any = boto3.client("ec2", region_name="eu-west-1")
    assert other.get_serial_console_access_status()["SerialConsoleAccessEnabled"] is False


def test_boot_mode_and_tpm_reach_instances(aws_env: dict[str, str]) -> None:
    ec2: Any = boto3.client("ec2", region_name="us-east-1")
    booted = {}
    for name, extra in (("bios", {"BootMode": "legacy-bios"}), ("tpm", {"TpmSupport": "v2.0"})):
        image = ec2.register_image(Name=name, RootDeviceName="/dev/xvda", **extra)["ImageId"]
        run = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")
        booted[name] = run["Instances"][0]["InstanceId"]
    described = {
        i["InstanceId"]: i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
    }
    bios, tpm = described[booted["bios"]], described[booted["tpm"]]
    assert bios["BootMode"] == "legacy-bios" and "TpmSupport" not in bios
    assert tpm["BootMode"] == "uefi" and tpm["TpmSupport"] == "v2.0"


def test_restorable_by_filters_snapshots(aws_env: dict[str, str]) -> None:
    ec2: Any = boto3.client("ec2", region_name="us-east-1")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    public, shared, private = (ec2.create_snapshot(VolumeId=volume)["SnapshotId"] for _ in "abc")
    ec2.modify_snapshot_attribute(
        SnapshotId=public,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    ec2.modify_snapshot_attribute(
        SnapshotId=shared,
        Attribute="createVolumePermission",
        OperationType="add",
        UserIds=["444455556666"],
    )

    def restorable(*by: str) -> set[str]:
        listed = ec2.describe_snapshots(OwnerIds=["self"], RestorableByUserIds=list(by))
        return {s["SnapshotId"] for s in listed["Snapshots"]}

    assert restorable("all") == {public}
    assert restorable("444455556666") == {shared}
    own = {s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    assert own == {public, shared, private}
