"""Machine images and disk snapshots shared with the whole world."""

from __future__ import annotations

from collections.abc import Iterator

from checks._common import label, not_reported, of_providers
from scanner.inventory import Disk, Inventory, MachineImage, Snapshot
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws", "azure", "gcp")


@check(
    id="any.image.publicly_shared",
    title="Machine images and snapshots are not public",
    severity=Severity.CRITICAL,
    controls=("CLD.9.5.1",),
    providers=PROVIDERS,
    needs=(MachineImage, Snapshot, Disk),
    rationale=(
        "A public image or snapshot lets any account copy the disk contents: application "
        "code, keys and data left on it leave the tenant's environment."
    ),
    remediation={
        "aws": (
            "Remove public launch permission: `aws ec2 modify-image-attribute --image-id "
            'ami-... --launch-permission "Remove=[{Group=all}]"`; for snapshots `aws ec2 '
            "modify-snapshot-attribute --snapshot-id snap-... --attribute "
            "createVolumePermission --operation-type remove --group-names all`."
        ),
        "azure": (
            "Stop exporting the disk or snapshot from any network: `az disk update -g <rg> "
            "-n <disk> --network-access-policy DenyAll --public-network-access Disabled` "
            "(`az snapshot update` likewise), or AllowPrivate with a disk access resource."
        ),
        "gcp": (
            "Remove the public members from the image's IAM policy: `gcloud compute images "
            "remove-iam-policy-binding <image> --member allAuthenticatedUsers --role "
            "roles/compute.imageUser` (and likewise allUsers); share with named groups or "
            "projects instead."
        ),
    },
    references=(
        "CIS Azure 3.0 8.5",
        "prowler:ec2_ami_public",
        "prowler:ec2_ebs_public_snapshot",
        "prowler:compute_image_not_publicly_shared",
        "prowler:vm_ensure_disk_public_access_disabled",
    ),
)
def publicly_shared(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    items: list[MachineImage | Snapshot] = [
        *of_providers(inv, MachineImage, PROVIDERS),
        *of_providers(inv, Snapshot, PROVIDERS),
    ]
    for item in items:
        what = "image" if isinstance(item, MachineImage) else "snapshot"
        if item.public is None:
            yield not_reported(item, "public sharing")
        elif item.public:
            how = (
                "can be exported from any network (network access policy AllowAll)"
                if item.provider == "azure"
                else "is shared publicly"
            )
            yield Result.failed(item, f"{what} {label(item)} {how}", public=True)
        else:
            yield Result.passed(
                item,
                f"{what} {label(item)} is not public",
                public=False,
                shared_with=list(item.shared_with),
            )
    yield from _azure_disks(inv)


def _azure_disks(inv: Inventory) -> Iterator[Result]:
    """Azure managed disks that can be exported (SAS download) from any network."""
    for disk in of_providers(inv, Disk, ("azure",)):
        if disk.managed is False:
            continue  # an unmanaged VHD: the disk encryption check reports it
        if disk.public_access is None:
            yield not_reported(disk, "network access policy")
        elif disk.public_access:
            yield Result.failed(
                disk,
                f"disk {label(disk)} can be exported from any network (network access "
                "policy AllowAll)",
                public_access=True,
            )
        else:
            yield Result.passed(
                disk, f"disk {label(disk)} cannot be exported publicly", public_access=False
            )
