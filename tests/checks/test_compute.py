"""Instance hardening: public IPs, IMDSv2, boot integrity, serial console, identity, forwarding."""

from __future__ import annotations

from checks.compute import _judge_boot
from scanner.inventory import (
    GLOBAL,
    ComputeInstance,
    FirewallRuleSet,
    Principal,
    RegionSettings,
    RoleBinding,
    Subnet,
)
from scanner.registry import CheckConfig, load_checks
from scanner.results import Severity, Status
from tests.checks.builders import NOW, ec2, iam, make, only, rule, run, statuses

PUBLIC = "any.compute.public_ip_attached"
IMDS = "aws.ec2.imdsv2_required"
BOOT = "any.compute.boot_integrity"
LOGIN = "any.compute.login_hardened"
IDENTITY = "any.compute.identity_least_privilege"
FORWARD = "any.compute.ip_forwarding_disabled"

I1 = ec2("instance/i-1")
SG = ec2("security-group/sg-1")
ROLE, PROFILE, GROUP = iam("role/app"), iam("instance-profile/app"), iam("group/admins")


def vm(**kw: object) -> ComputeInstance:
    fields: dict[str, object] = {"state": "running", "name": "web"}
    fields.update(kw)
    return make(ComputeInstance, I1, **fields)  # type: ignore[arg-type]


def test_public_ip_fails_medium_and_high_with_an_open_admin_port() -> None:
    f = only(run(PUBLIC, vm(public_ips=("203.0.113.7",))), I1)
    assert f.status is Status.FAIL and f.severity is Severity.MEDIUM
    assert "203.0.113.7" in f.message and "i-1 (web)" in f.message
    sg = make(FirewallRuleSet, SG, set_kind="sg")
    exposed = vm(public_ips=("203.0.113.7",), firewall_set_ids=(SG,))
    f = only(run(PUBLIC, exposed, sg, rule(SG, 0, protocol="tcp", ports=(22, 22))), I1)
    assert f.severity is Severity.HIGH and f.evidence["admin_ports_open_to_world"] == [22]


def test_public_ip_with_world_udp_rdp_is_high() -> None:
    sg = make(FirewallRuleSet, SG, set_kind="sg")
    exposed = vm(public_ips=("203.0.113.7",), firewall_set_ids=(SG,))
    udp = rule(SG, 0, protocol="udp", ports=(3389, 3389))
    f = only(run(PUBLIC, exposed, sg, udp), I1)
    assert f.severity is Severity.HIGH and f.evidence["admin_ports_open_to_world"] == [3389]
    assert "admin port(s) 3389" in f.message


def test_stopped_instances_are_not_judged() -> None:
    assert run(PUBLIC, vm(state="stopped", public_ips=("203.0.113.7",))) == []


def test_subnet_auto_assign_fails_and_unknown_is_error() -> None:
    s = ec2("subnet/subnet-1")
    assert statuses(run(PUBLIC, make(Subnet, s, auto_public_ip=True))) == {s: Status.FAIL}
    assert statuses(run(PUBLIC, make(Subnet, s, auto_public_ip=None))) == {s: Status.ERROR}


def test_imdsv1_fails_and_unreported_is_error() -> None:
    assert statuses(run(IMDS, vm(metadata_v2_required=False))) == {I1: Status.FAIL}
    f = only(run(IMDS, vm()), I1)
    assert f.status is Status.ERROR and "not reported" in f.message


def test_legacy_bios_fails_low_on_aws() -> None:
    f = only(run(BOOT, vm(boot_mode="legacy-bios", vtpm=None)), I1)
    assert f.status is Status.FAIL and f.severity is Severity.LOW
    assert f.evidence["boot_mode"] == "legacy-bios"


def test_uefi_without_vtpm_fails_and_unknowns_are_errors() -> None:
    assert statuses(run(BOOT, vm(boot_mode="uefi", vtpm=False))) == {I1: Status.FAIL}
    assert statuses(run(BOOT, vm(boot_mode="uefi", vtpm=True, secure_boot=False))) == {
        I1: Status.FAIL
    }
    assert statuses(run(BOOT, vm(boot_mode=None, vtpm=None))) == {I1: Status.ERROR}
    assert statuses(run(BOOT, vm(boot_mode="uefi", vtpm=None))) == {I1: Status.ERROR}


def test_boot_integrity_promises_only_what_aws_reports() -> None:
    """EC2 never reports secure boot: neither the title nor a PASS may claim it."""
    assert "secure boot" not in load_checks()[BOOT].title.lower()
    f = only(run(BOOT, vm(boot_mode="uefi", vtpm=True)), I1)
    assert f.status is Status.PASS
    assert f.message == "instance i-1 (web) boots with UEFI and a vTPM"
    assert f.evidence["secure_boot"] is None and f.evidence["secure_boot_required"] is False


def test_secure_boot_is_required_where_the_provider_reports_it() -> None:
    def gcp(**kw: object) -> ComputeInstance:
        fields: dict[str, object] = {"state": "running", "boot_mode": "uefi", "vtpm": True}
        fields.update(kw)
        return ComputeInstance(
            id="projects/p/zones/z/instances/vm-1",
            provider="gcp",
            account="p",
            region="z",
            **fields,  # type: ignore[arg-type]
        )

    assert _judge_boot(gcp(secure_boot=None)).status is Status.ERROR
    assert _judge_boot(gcp(secure_boot=False)).status is Status.FAIL
    assert _judge_boot(gcp(boot_mode=None, secure_boot=True)).status is Status.ERROR
    ok = _judge_boot(gcp(secure_boot=True))
    assert ok.status is Status.PASS and ok.message.endswith("a vTPM and secure boot on")


def test_serial_console_enabled_fails_and_unknown_is_error() -> None:
    rid = "aws:111122223333:eu-west-1"
    assert statuses(run(LOGIN, make(RegionSettings, rid, serial_console_access=True))) == {
        rid: Status.FAIL
    }
    assert statuses(run(LOGIN, make(RegionSettings, rid))) == {rid: Status.ERROR}


def _role(**kw: object) -> Principal:
    return make(Principal, ROLE, region=GLOBAL, principal_kind="role", aliases=(PROFILE,), **kw)  # type: ignore[arg-type]


def _binding(principal: str, admin: bool | None, name: str = "AdministratorAccess") -> RoleBinding:
    return make(
        RoleBinding,
        f"{principal}#{name}",
        region=GLOBAL,
        principal_id=principal,
        principal_type="role",
        role_name=name,
        admin_equivalent=admin,
    )


def test_admin_instance_role_fails_and_is_critical_with_a_public_ip() -> None:
    f = only(run(IDENTITY, vm(identity_ref=PROFILE), _role(), _binding(ROLE, True)), I1)
    assert f.status is Status.FAIL and f.severity is Severity.HIGH
    assert "AdministratorAccess" in f.message
    f = only(
        run(
            IDENTITY,
            vm(identity_ref=PROFILE, public_ips=("203.0.113.7",)),
            _role(),
            _binding(ROLE, True),
        ),
        I1,
    )
    assert f.severity is Severity.CRITICAL


def test_admin_through_a_group_counts() -> None:
    who = _role(member_of=(GROUP,))
    findings = run(
        IDENTITY, vm(identity_ref=PROFILE), who, _binding(ROLE, False), _binding(GROUP, True)
    )
    assert statuses(findings) == {I1: Status.FAIL}


def test_unresolved_identity_or_unknown_policy_is_error() -> None:
    assert statuses(run(IDENTITY, vm(identity_ref=PROFILE))) == {I1: Status.ERROR}
    findings = run(IDENTITY, vm(identity_ref=PROFILE), _role(), _binding(ROLE, None))
    assert statuses(findings) == {I1: Status.ERROR}


def test_instance_without_identity_passes() -> None:
    assert statuses(run(IDENTITY, vm())) == {I1: Status.PASS}


def test_ip_forwarding_fails_unless_tagged_appliance() -> None:
    assert statuses(run(FORWARD, vm(ip_forwarding=True))) == {I1: Status.FAIL}
    f = only(run(FORWARD, vm(ip_forwarding=True, tags={"cldscan:appliance": "true"})), I1)
    assert f.status is Status.PASS and f.evidence["exempt"] is True
    assert statuses(run(FORWARD, vm())) == {I1: Status.ERROR}


def test_appliance_tag_comes_from_the_config() -> None:
    cfg = CheckConfig(appliance_tag="role", now=NOW)
    tagged = vm(ip_forwarding=True, tags={"role": "TRUE"})
    assert statuses(run(FORWARD, tagged, cfg=cfg)) == {I1: Status.PASS}
