"""Disk encryption (volumes and the regional default) and public images/snapshots."""

from __future__ import annotations

from scanner.inventory import Disk, MachineImage, RegionSettings, Snapshot
from scanner.results import Severity, Status
from tests.checks.builders import ec2, make, only, run, statuses

DISK = "any.disk.encrypted"
IMAGE = "any.image.publicly_shared"
VOL = ec2("volume/vol-1")
RID = "aws:111122223333:eu-west-1"
AMI = "arn:aws:ec2:eu-west-1::image/ami-1"
SNAP = "arn:aws:ec2:eu-west-1::snapshot/snap-1"


def test_unencrypted_volume_fails_high_and_unknown_is_error() -> None:
    f = only(run(DISK, make(Disk, VOL, encrypted=False, attached_to=(ec2("instance/i-1"),))), VOL)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert "vol-1" in f.message
    assert statuses(run(DISK, make(Disk, VOL))) == {VOL: Status.ERROR}


def test_default_encryption_off_fails_medium_and_unknown_is_error() -> None:
    f = only(run(DISK, make(RegionSettings, RID, disk_encryption_by_default=False)), RID)
    assert f.status is Status.FAIL and f.severity is Severity.MEDIUM
    assert statuses(run(DISK, make(RegionSettings, RID))) == {RID: Status.ERROR}


def test_public_image_and_snapshot_fail_and_unknown_is_error() -> None:
    findings = run(IMAGE, make(MachineImage, AMI, public=True), make(Snapshot, SNAP, public=True))
    assert statuses(findings) == {AMI: Status.FAIL, SNAP: Status.FAIL}
    assert "image ami-1" in only(findings, AMI).message
    assert "snapshot snap-1" in only(findings, SNAP).message
    findings = run(IMAGE, make(MachineImage, AMI), make(Snapshot, SNAP, public=False))
    assert statuses(findings) == {AMI: Status.ERROR, SNAP: Status.PASS}
