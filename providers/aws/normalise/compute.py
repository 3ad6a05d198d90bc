"""EC2 instances, network interfaces, volumes, images and snapshots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from providers.aws.arns import Ctx
from providers.aws.normalise.common import Raw, name_of, opt_bool, tags_of, unique, when
from scanner.inventory import ComputeInstance, Disk, MachineImage, NetworkInterface, Snapshot

PROVIDER = "aws"


def _public_ips(interface: Raw) -> list[str | None]:
    """Public IPv4 addresses, then IPv6 ones: every AWS IPv6 address is globally routable."""
    ips = [(interface.get("Association") or {}).get("PublicIp")]
    ips += [
        (p.get("Association") or {}).get("PublicIp")
        for p in interface.get("PrivateIpAddresses") or ()
    ]
    ips.append(interface.get("Ipv6Address"))
    ips += [a.get("Ipv6Address") for a in interface.get("Ipv6Addresses") or ()]
    return ips


def _vtpm(raw: Raw) -> bool | None:
    """NitroTPM on: AWS omits TpmSupport when it is off, so only a record that reports a
    boot mode (and so is complete about boot integrity) can say it is off."""
    tpm = raw.get("TpmSupport")
    if tpm is None and not (raw.get("CurrentInstanceBootMode") or raw.get("BootMode")):
        return None
    return tpm == "v2.0"


def _metadata_v2(raw: Raw) -> bool | None:
    options = raw.get("MetadataOptions")
    if not options:
        return None
    return bool(
        options.get("HttpTokens") == "required" or options.get("HttpEndpoint") == "disabled"
    )


def _ip_forwarding(raw: Raw) -> bool | None:
    """Whether any interface forwards traffic it was not addressed to (SourceDestCheck off)."""
    checks = [i.get("SourceDestCheck") for i in raw.get("NetworkInterfaces") or ()]
    if "SourceDestCheck" in raw:
        checks.append(raw["SourceDestCheck"])
    if any(c is False for c in checks):
        return True
    if checks and all(c is True for c in checks):
        return False
    return None


def instance(raw: Raw, ctx: Ctx) -> ComputeInstance | None:
    """An EC2 instance; ``None`` for terminated ones."""
    state = str((raw.get("State") or {}).get("Name", ""))
    if state == "terminated":
        return None
    tags = tags_of(raw)
    interfaces: Sequence[Raw] = raw.get("NetworkInterfaces") or ()
    vpc, subnet = raw.get("VpcId"), raw.get("SubnetId")
    return ComputeInstance(
        id=ctx.ec2("instance", raw["InstanceId"]),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, raw["InstanceId"]),
        tags=tags,
        state=state,
        image_ref=ctx.image(raw["ImageId"]) if raw.get("ImageId") else None,
        network_id=ctx.ec2("vpc", vpc) if vpc else None,
        subnet_id=ctx.ec2("subnet", subnet) if subnet else None,
        firewall_set_ids=unique(
            ctx.ec2("security-group", g["GroupId"]) for g in raw.get("SecurityGroups") or ()
        ),
        network_interface_ids=unique(
            ctx.ec2("network-interface", i["NetworkInterfaceId"]) for i in interfaces
        ),
        public_ips=unique(
            [raw.get("PublicIpAddress")]
            + [ip for i in interfaces for ip in _public_ips(i)]
            + [raw.get("Ipv6Address")]
        ),
        identity_ref=(raw.get("IamInstanceProfile") or {}).get("Arn"),
        metadata_v2_required=_metadata_v2(raw),
        boot_mode=raw.get("CurrentInstanceBootMode") or raw.get("BootMode"),
        vtpm=_vtpm(raw),
        ip_forwarding=_ip_forwarding(raw),
        launched_at=when(raw.get("LaunchTime")),
    )


def network_interface(raw: Raw, ctx: Ctx) -> NetworkInterface:
    tags = tags_of(raw, "TagSet")
    eni = raw["NetworkInterfaceId"]
    attached = (raw.get("Attachment") or {}).get("InstanceId")
    vpc, subnet = raw.get("VpcId"), raw.get("SubnetId")
    check = opt_bool(raw, "SourceDestCheck")
    return NetworkInterface(
        id=ctx.ec2("network-interface", eni),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, eni),
        tags=tags,
        attached_to=ctx.ec2("instance", attached) if attached else None,
        network_id=ctx.ec2("vpc", vpc) if vpc else None,
        subnet_id=ctx.ec2("subnet", subnet) if subnet else None,
        firewall_set_ids=unique(
            ctx.ec2("security-group", g["GroupId"]) for g in raw.get("Groups") or ()
        ),
        public_ips=unique(_public_ips(raw)),
        ip_forwarding=(not check) if check is not None else None,
        interface_type=str(raw.get("InterfaceType", "")),
    )


def _key_type(raw: Raw) -> str | None:
    """``provider`` for the AWS-managed aws/ebs key, ``customer`` for any other KMS key.

    A volume under the default aws/ebs key may report that key's ARN rather than the
    alias; telling the two apart would need a KMS call per key, so such volumes read
    as ``customer`` here.
    """
    if not raw.get("Encrypted"):
        return None
    key = raw.get("KmsKeyId")
    if not key or str(key).endswith("alias/aws/ebs"):
        return "provider"
    return "customer"


def volume(raw: Raw, ctx: Ctx) -> Disk:
    tags = tags_of(raw)
    vol = raw["VolumeId"]
    return Disk(
        id=ctx.ec2("volume", vol),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, vol),
        tags=tags,
        attached_to=unique(
            ctx.ec2("instance", a["InstanceId"])
            for a in raw.get("Attachments") or ()
            if a.get("InstanceId")
        ),
        encrypted=opt_bool(raw, "Encrypted"),
        key_type=_key_type(raw),
        key_id=raw.get("KmsKeyId"),
        size_gb=raw.get("Size"),
    )


def image(raw: Raw, ctx: Ctx, now: datetime | None = None) -> MachineImage:
    tags = tags_of(raw)
    deprecation = when(raw.get("DeprecationTime"))
    now = now or datetime.now(UTC)
    return MachineImage(
        id=ctx.image(raw["ImageId"]),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, raw["ImageId"]),
        tags=tags,
        owner_scope="self"
        if str(raw.get("OwnerId", ctx.account)) == ctx.account
        else str(raw["OwnerId"]),
        public=opt_bool(raw, "Public"),
        deprecated=(deprecation <= now) if deprecation else False,
        created_at=when(raw.get("CreationDate")),
    )


def snapshot(raw: Raw, ctx: Ctx, permissions: Sequence[Mapping[str, Any]] | None) -> Snapshot:
    """A snapshot; ``permissions`` is its createVolumePermission list (``None``: not read)."""
    tags = tags_of(raw)
    snap = raw["SnapshotId"]
    source = raw.get("VolumeId")
    public = None if permissions is None else any(p.get("Group") == "all" for p in permissions)
    shared = () if permissions is None else unique(p.get("UserId") for p in permissions)
    return Snapshot(
        id=ctx.snapshot(snap),
        provider=PROVIDER,
        account=ctx.account,
        region=ctx.region,
        name=name_of(tags, snap),
        tags=tags,
        source_disk=ctx.ec2("volume", source) if source and source != "vol-ffffffff" else None,
        encrypted=opt_bool(raw, "Encrypted"),
        public=public,
        shared_with=shared,
        created_at=when(raw.get("StartTime")),
    )
