"""Machine images and disk snapshots shared with the whole world."""

from __future__ import annotations

from collections.abc import Iterator

from checks._common import label, not_reported, of_providers
from scanner.inventory import Inventory, MachineImage, Snapshot
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws",)


@check(
    id="any.image.publicly_shared",
    title="Machine images and snapshots are not public",
    severity=Severity.CRITICAL,
    controls=("CLD.9.5.1",),
    providers=PROVIDERS,
    needs=(MachineImage, Snapshot),
    rationale=(
        "A public image or snapshot lets any account copy the disk contents: application "
        "code, keys and data left on it leave the tenant's environment."
    ),
    remediation=(
        "Remove public launch permission: `aws ec2 modify-image-attribute --image-id ami-... "
        '--launch-permission "Remove=[{Group=all}]"`; for snapshots `aws ec2 '
        "modify-snapshot-attribute --snapshot-id snap-... --attribute createVolumePermission "
        "--operation-type remove --group-names all`."
    ),
    references=(
        "CIS Azure 3.0 8.5",
        "prowler:ec2_ami_public",
        "prowler:ec2_ebs_public_snapshot",
        "prowler:compute_image_not_publicly_shared",
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
            yield Result.failed(item, f"{what} {label(item)} is shared publicly", public=True)
        else:
            yield Result.passed(
                item,
                f"{what} {label(item)} is not public",
                public=False,
                shared_with=list(item.shared_with),
            )
