"""Encryption of block storage and the account's encryption default."""

from __future__ import annotations

from collections.abc import Iterator

from checks import _gcp
from checks._common import label, not_reported, of_providers
from scanner.inventory import Disk, Inventory, RegionSettings
from scanner.registry import CheckConfig, check
from scanner.results import Result, Severity

PROVIDERS = ("aws", "azure", "gcp")


@check(
    id="any.disk.encrypted",
    title="Disks are encrypted and new disks are encrypted by default",
    severity=Severity.HIGH,
    controls=("CLD.9.5.2",),
    providers=PROVIDERS,
    needs=(Disk, RegionSettings),
    rationale=(
        "An unencrypted volume, or a snapshot of it, can be read by anyone who obtains a copy; "
        "encryption by default keeps new volumes from being created unprotected."
    ),
    remediation={
        "aws": (
            "Turn on default encryption in every region with `aws ec2 enable-ebs-encryption-by-"
            "default`; replace an unencrypted volume by copying a snapshot with `aws ec2 "
            "copy-snapshot --encrypted --kms-key-id ...` and restoring a volume from it."
        ),
        "azure": (
            "Convert the VM's unmanaged (VHD) disks to managed disks, which Azure encrypts at "
            "rest: `az vm deallocate -g <rg> -n <vm>` then `az vm convert -g <rg> -n <vm>`; "
            "where policy requires customer-managed keys, attach a disk encryption set "
            "(`az disk update --encryption-type EncryptionAtRestWithCustomerKey "
            "--disk-encryption-set <des-id>`)."
        ),
        "gcp": (
            "Disks are always encrypted; to hold the key yourself, recreate the disk from a "
            "snapshot with a Cloud KMS key: `gcloud compute disks create <disk> --zone <zone> "
            "--source-snapshot <snap> --kms-key projects/<p>/locations/<l>/keyRings/<r>/"
            "cryptoKeys/<k>` (or --csek-key-file for a customer-supplied key), then swap it in."
        ),
    },
    references=(
        "CIS AWS 3.0 2.2.1",
        "CIS AWS 4.0 5.1.1",
        "CIS Azure 2.1 7.2",
        "CIS Azure 3.0 8.2",
        "prowler:ec2_ebs_volume_encryption",
        "prowler:ec2_ebs_default_encryption",
        "prowler:vm_ensure_using_managed_disks",
        "CIS GCP 2.0 4.7",
        "CIS GCP 3.0 4.7",
        "prowler:compute_instance_encryption_with_csek_enabled",
    ),
)
def disk_encrypted(inv: Inventory, cfg: CheckConfig) -> Iterator[Result]:
    for disk in of_providers(inv, Disk, PROVIDERS):
        if disk.provider == "gcp":
            yield _gcp.judge_disk(disk)
        elif disk.provider == "azure" and disk.managed is not True:
            yield _unmanaged(disk)
        elif disk.encrypted is None:
            yield not_reported(disk, "encryption")
        elif disk.encrypted:
            yield Result.passed(
                disk,
                f"disk {label(disk)} is encrypted ({disk.key_type or 'key type unknown'} key)",
                key_type=disk.key_type,
                key_id=disk.key_id,
            )
        else:
            yield Result.failed(
                disk,
                f"disk {label(disk)} is not encrypted",
                encrypted=False,
                attached_to=list(disk.attached_to),
            )
    for settings in of_providers(inv, RegionSettings, ("aws",)):
        where = f"{settings.account}/{settings.region}"
        if settings.disk_encryption_by_default is None:
            yield not_reported(settings, "default disk encryption")
        elif settings.disk_encryption_by_default:
            yield Result.passed(
                settings,
                f"new disks in {where} are encrypted by default",
                default_key_id=settings.default_disk_key_id,
            )
        else:
            yield Result.failed(
                settings,
                f"new disks in {where} are not encrypted by default",
                severity=Severity.MEDIUM,
                disk_encryption_by_default=False,
            )


def _unmanaged(disk: Disk) -> Result:
    """Azure: an unmanaged VHD sits in a storage account, outside managed-disk encryption."""
    if disk.managed is None:
        return not_reported(disk, "whether the disk is managed")
    return Result.failed(
        disk,
        f"disk {label(disk)} is an unmanaged VHD; its encryption depends on the storage "
        "account and is not reported",
        managed=False,
        attached_to=list(disk.attached_to),
    )
