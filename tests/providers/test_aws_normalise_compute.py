"""EC2 compute normalisers on payloads shaped like recorded DescribeInstances/Volumes/... output."""

from __future__ import annotations

from datetime import UTC, datetime

from providers.aws.arns import Ctx
from providers.aws.normalise import compute

CTX = Ctx("111122223333", "eu-west-1")
ARN = "arn:aws:ec2:eu-west-1:111122223333"

INSTANCE = {
    "InstanceId": "i-0abc",
    "ImageId": "ami-0123",
    "State": {"Code": 16, "Name": "running"},
    "VpcId": "vpc-1",
    "SubnetId": "subnet-1",
    "PublicIpAddress": "203.0.113.10",
    "LaunchTime": datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    "IamInstanceProfile": {"Arn": "arn:aws:iam::111122223333:instance-profile/web", "Id": "AIP"},
    "SecurityGroups": [{"GroupId": "sg-1", "GroupName": "web"}],
    "MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "enabled"},
    "BootMode": "legacy-bios",
    "CurrentInstanceBootMode": "uefi",
    "TpmSupport": "v2.0",
    "Tags": [{"Key": "Name", "Value": "web-1"}, {"Key": "env", "Value": "prod"}],
    "NetworkInterfaces": [
        {
            "NetworkInterfaceId": "eni-1",
            "SourceDestCheck": True,
            "Association": {"PublicIp": "203.0.113.10"},
            "PrivateIpAddresses": [{"Association": {"PublicIp": "198.51.100.7"}}],
        },
        {"NetworkInterfaceId": "eni-2", "SourceDestCheck": False},
    ],
}


def test_instance_fields_and_arns() -> None:
    inst = compute.instance(INSTANCE, CTX)
    assert inst is not None
    assert inst.id == f"{ARN}:instance/i-0abc"
    assert inst.name == "web-1" and inst.tags["env"] == "prod"
    assert inst.image_ref == "arn:aws:ec2:eu-west-1::image/ami-0123"
    assert inst.network_id == f"{ARN}:vpc/vpc-1"
    assert inst.subnet_id == f"{ARN}:subnet/subnet-1"
    assert inst.firewall_set_ids == (f"{ARN}:security-group/sg-1",)
    assert inst.network_interface_ids == (
        f"{ARN}:network-interface/eni-1",
        f"{ARN}:network-interface/eni-2",
    )
    assert inst.public_ips == ("203.0.113.10", "198.51.100.7")
    assert inst.identity_ref == "arn:aws:iam::111122223333:instance-profile/web"
    assert inst.metadata_v2_required is False
    assert inst.boot_mode == "uefi"
    assert inst.vtpm is True
    assert inst.secure_boot is None
    assert inst.ip_forwarding is True
    assert inst.launched_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_instance_unknowns_stay_none() -> None:
    raw = {"InstanceId": "i-1", "ImageId": "ami-1", "State": {"Name": "stopped"}}
    inst = compute.instance(raw, CTX)
    assert inst is not None
    assert inst.metadata_v2_required is None
    assert inst.vtpm is None
    assert inst.ip_forwarding is None
    assert inst.boot_mode is None
    assert inst.name == "i-1"


def test_imds_disabled_counts_as_protected_and_terminated_is_skipped() -> None:
    raw = {**INSTANCE, "MetadataOptions": {"HttpTokens": "optional", "HttpEndpoint": "disabled"}}
    inst = compute.instance(raw, CTX)
    assert inst is not None and inst.metadata_v2_required is True
    assert compute.instance({**INSTANCE, "State": {"Name": "terminated"}}, CTX) is None


def test_network_interface() -> None:
    raw = {
        "NetworkInterfaceId": "eni-9",
        "Attachment": {"InstanceId": "i-0abc"},
        "VpcId": "vpc-1",
        "SubnetId": "subnet-1",
        "Groups": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}],
        "SourceDestCheck": False,
        "InterfaceType": "interface",
        "Association": {"PublicIp": "203.0.113.99"},
        "TagSet": [{"Key": "Name", "Value": "nat"}],
    }
    eni = compute.network_interface(raw, CTX)
    assert eni.attached_to == f"{ARN}:instance/i-0abc"
    assert eni.firewall_set_ids == (f"{ARN}:security-group/sg-1", f"{ARN}:security-group/sg-2")
    assert eni.ip_forwarding is True
    assert eni.public_ips == ("203.0.113.99",)
    assert eni.name == "nat"


def test_volume_key_types() -> None:
    base = {"VolumeId": "vol-1", "Size": 8, "Attachments": [{"InstanceId": "i-0abc"}]}
    plain = compute.volume({**base, "Encrypted": False}, CTX)
    assert plain.encrypted is False and plain.key_type is None
    assert plain.attached_to == (f"{ARN}:instance/i-0abc",)
    default_key = compute.volume({**base, "Encrypted": True, "KmsKeyId": "alias/aws/ebs"}, CTX)
    assert default_key.key_type == "provider"
    cmk = {**base, "Encrypted": True, "KmsKeyId": "arn:aws:kms:eu-west-1:111122223333:key/k"}
    assert compute.volume(cmk, CTX).key_type == "customer"
    assert compute.volume(base, CTX).encrypted is None


def test_image_and_snapshot() -> None:
    img = compute.image(
        {
            "ImageId": "ami-1",
            "Public": True,
            "OwnerId": "111122223333",
            "CreationDate": "2023-01-02T03:04:05.000Z",
        },
        CTX,
    )
    assert img.id == "arn:aws:ec2:eu-west-1::image/ami-1"
    assert img.public is True and img.owner_scope == "self"
    assert img.created_at == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    raw = {"SnapshotId": "snap-1", "VolumeId": "vol-1", "Encrypted": False}
    shared = compute.snapshot(raw, CTX, [{"Group": "all"}, {"UserId": "444455556666"}])
    assert shared.id == "arn:aws:ec2:eu-west-1::snapshot/snap-1"
    assert shared.public is True and shared.shared_with == ("444455556666",)
    assert shared.source_disk == f"{ARN}:volume/vol-1"
    assert compute.snapshot(raw, CTX, []).public is False
    assert compute.snapshot(raw, CTX, None).public is None


def test_ipv6_addresses_are_public() -> None:
    raw = {
        "InstanceId": "i-6",
        "ImageId": "ami-1",
        "State": {"Name": "running"},
        "Ipv6Address": "2001:db8::1",
        "NetworkInterfaces": [
            {
                "NetworkInterfaceId": "eni-6",
                "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.5"}],
                "Ipv6Addresses": [{"Ipv6Address": "2001:db8::1"}, {"Ipv6Address": "2001:db8::2"}],
            }
        ],
    }
    inst = compute.instance(raw, CTX)
    assert inst is not None and inst.public_ips == ("2001:db8::1", "2001:db8::2")
    eni = compute.network_interface(
        {
            "NetworkInterfaceId": "eni-7",
            "Ipv6Address": "2001:db8::7",
            "Ipv6Addresses": [{"Ipv6Address": "2001:db8::7"}, {"Ipv6Address": "2001:db8::8"}],
        },
        CTX,
    )
    assert eni.public_ips == ("2001:db8::7", "2001:db8::8")


def test_vtpm_absent_means_off_when_boot_mode_is_reported() -> None:
    base = {"InstanceId": "i-1", "ImageId": "ami-1", "State": {"Name": "running"}}
    for boot in ({"BootMode": "legacy-bios"}, {"CurrentInstanceBootMode": "uefi"}):
        inst = compute.instance({**base, **boot}, CTX)
        assert inst is not None and inst.vtpm is False, boot
    inst = compute.instance({**base, "BootMode": "uefi", "TpmSupport": "v2.0"}, CTX)
    assert inst is not None and inst.vtpm is True
    inst = compute.instance(base, CTX)
    assert inst is not None and inst.vtpm is None
