"""The Azure provider end to end: real azure-identity and azure-mgmt-* clients over real
HTTPS to the fake ARM (fixtures/azure), pointed at it only through the environment."""

from __future__ import annotations

import json
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixtures.azure.fake_arm import FakeArm, Fault, deny, not_registered, throttle
from fixtures.azure.scenarios import (
    BAD_SUB,
    FOREIGN_SUB,
    GOOD_SUB,
    TENANT,
    good_and_bad,
)
from providers.azure import AzureOptions, collect
from providers.azure.units import UNITS
from scanner.cli import cli
from scanner.environ import patched_environment
from scanner.errors import ConfigurationError
from scanner.inventory import (
    GLOBAL,
    AlertRule,
    AuditTrail,
    ComputeInstance,
    Disk,
    FirewallRule,
    FirewallRuleSet,
    FlowLogConfig,
    GapReason,
    Inventory,
    MachineImage,
    Network,
    NetworkInterface,
    NetworkPeering,
    Principal,
    RoleBinding,
    RoleDefinition,
    SecurityService,
    Snapshot,
    Subnet,
)

FAST = AzureOptions(max_retries=0, max_workers=4)
CREDENTIAL_UNSET = (
    "AZURE_USERNAME",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_TOKEN_CREDENTIALS",
)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeArm]:
    # Page size 1: every list call follows nextLink at least once where there are 2+ items.
    with (
        FakeArm(good_and_bad(), page_size=1) as server,
        patched_environment(server.env(), unset=CREDENTIAL_UNSET),
    ):
        yield server


@pytest.fixture
def arm(fake: FakeArm) -> Iterator[FakeArm]:
    fake.faults.clear()
    fake.reset_log()
    yield fake
    fake.faults.clear()


@pytest.fixture(scope="module")
def full(fake: FakeArm) -> Inventory:
    fake.reset_log()
    return collect(FAST)


def rid(sub: str, rg: str, rp: str, kind: str, name: str) -> str:
    return f"/subscriptions/{sub}/resourcegroups/{rg}/providers/{rp}/{kind}/{name}".lower()


def test_every_mapped_kind_is_collected_from_both_subscriptions(full: Inventory) -> None:
    kinds = Counter((e.account, e.kind) for e in full.entities)
    for cls in (
        ComputeInstance,
        NetworkInterface,
        Disk,
        Snapshot,
        MachineImage,
        Network,
        Subnet,
        NetworkPeering,
        FirewallRuleSet,
        FirewallRule,
        FlowLogConfig,
        AuditTrail,
        AlertRule,
        SecurityService,
        RoleDefinition,
        RoleBinding,
        Principal,
    ):
        assert kinds[(GOOD_SUB, cls.kind)] >= 1, cls.kind
    assert kinds[(GOOD_SUB, AlertRule.kind)] == 15
    assert not full.gaps
    assert {s.account: s.regions for s in full.scopes} == {
        GOOD_SUB: ("westeurope",),
        BAD_SUB: ("northeurope", "westeurope"),
    }
    assert {s.name for s in full.scopes} == {"cldscan-good", "cldscan-bad"}
    assert all(e.id == e.id.lower() for e in full.entities)


def test_vm_is_joined_with_nic_public_ip_and_nsg(full: Inventory) -> None:
    vm = full.get(
        rid(BAD_SUB, "rg-bad", "microsoft.compute", "virtualmachines", "vm-exposed"),
        ComputeInstance,
    )
    assert vm is not None
    nsg = rid(BAD_SUB, "rg-bad", "microsoft.network", "networksecuritygroups", "nsg-open")
    assert vm.public_ips == ("20.61.15.7",)
    assert vm.firewall_set_ids == (nsg,)
    assert vm.ip_forwarding is True
    assert vm.subnet_id is not None and vm.subnet_id.endswith("/subnets/workload")
    assert full.get(vm.subnet_id, Subnet) is not None
    assert vm.security_type == "Standard" and vm.vtpm is False and vm.secure_boot is False
    assert vm.login.password_auth is True
    assert vm.state == "vm running"
    assert vm.identity_ref == "22222222-bbbb-4bbb-8bbb-000000000004"
    good = full.get(
        rid(GOOD_SUB, "rg-good", "microsoft.compute", "virtualmachines", "vm-app"), ComputeInstance
    )
    assert good is not None
    assert good.public_ips == () and good.ip_forwarding is False
    assert good.security_type == "TrustedLaunch" and good.secure_boot and good.vtpm
    assert good.boot_mode == "uefi" and good.os_type == "linux"
    # the subnet's NSG reaches the VM though its NIC has none
    assert good.firewall_set_ids == (
        rid(GOOD_SUB, "rg-good", "microsoft.network", "networksecuritygroups", "nsg-app"),
    )


def test_nsg_rules_custom_and_default(full: Inventory) -> None:
    nsg = rid(BAD_SUB, "rg-bad", "microsoft.network", "networksecuritygroups", "nsg-open")
    rules = {r.name: r for r in full.of(FirewallRule) if r.set_id == nsg}
    assert len(rules) == 9
    anyrule = rules["AllowAnyInbound"]
    assert anyrule.admits_world() and anyrule.protocol == "all" and anyrule.ports[0].is_all
    ssh = rules["AllowSshRdp"]
    assert ssh.source_is_world and [(p.low, p.high) for p in ssh.ports] == [(22, 22), (3389, 3389)]
    assert rules["AllowMgmtRange"].protocol == "udp"
    assert [(p.low, p.high) for p in rules["AllowMgmtRange"].ports] == [(1000, 4000)]
    deny_all = rules["DenyAllInBound"]
    assert deny_all.action == "deny" and deny_all.priority == 65500
    assert deny_all.id.endswith("/defaultsecurityrules/denyallinbound")
    assert rules["AllowVnetOutBound"].direction == "egress"
    group = full.get(nsg, FirewallRuleSet)
    assert group is not None and group.set_kind == "nsg"
    assert group.attached_to == (
        rid(BAD_SUB, "rg-bad", "microsoft.network", "networkinterfaces", "vm-exposed-nic"),
    )


def test_disks_snapshots_and_unmanaged_vhd(full: Inventory) -> None:
    disks = {d.name: d for d in full.of(Disk)}
    assert disks["vm-app-osdisk"].key_type == "customer"
    assert disks["vm-app-osdisk"].key_id is not None
    assert disks["vm-app-osdisk"].public_access is False
    exposed = disks["vm-exposed-osdisk"]
    assert exposed.public_access is True and exposed.key_type == "provider" and exposed.managed
    vhd = disks["vm-legacy-osdisk"]
    assert vhd.managed is False and vhd.encrypted is None
    assert vhd.attached_to == (
        rid(BAD_SUB, "rg-bad", "microsoft.compute", "virtualmachines", "vm-legacy"),
    )
    snaps = {s.name: s for s in full.of(Snapshot)}
    assert snaps["snap-public"].public is True and snaps["snap-app"].public is False


def test_networks_peerings_watchers_flow_logs(full: Inventory) -> None:
    peer = next(p for p in full.of(NetworkPeering) if p.account == BAD_SUB)
    assert peer.peer_account == FOREIGN_SUB and peer.transit is True
    assert peer.status == "connected" and peer.peer_cidrs == ("172.16.0.0/12",)
    subnets = {s.name: s for s in full.of(Subnet)}
    assert subnets["GatewaySubnet"].purpose == "GatewaySubnet"
    assert subnets["workload"].filter_policy_ids == ()
    watchers = [s for s in full.of(SecurityService) if s.service_kind == "network_watcher"]
    assert {(w.account, w.region, w.enabled) for w in watchers} == {
        (GOOD_SUB, "westeurope", True),
        (BAD_SUB, "westeurope", True),
    }
    flows = {f.name: f for f in full.of(FlowLogConfig)}
    assert flows["fl-vnet-hub"].target_type == "network" and flows["fl-vnet-hub"].enabled
    assert flows["fl-vnet-hub"].retention_days == 90
    assert flows["fl-vnet-spoke"].retention_days == 0
    assert flows["fl-nsg-open"].target_type == "firewall_rule_set"
    assert flows["fl-nsg-open"].enabled is False


def test_monitoring_and_defender(full: Inventory) -> None:
    trails = {t.name: t for t in full.of(AuditTrail)}
    good = trails["activity-to-storage"]
    assert good.account == GOOD_SUB and good.mgmt_write and len(good.categories) == 8
    assert trails["admin-only"].categories == ("Administrative",)
    assert trails["admin-only"].store_id.endswith("/workspaces/law")
    alerts = {a.name: a for a in full.of(AlertRule)}
    assert alerts["alert-policyassignments-write"].event_classes == ("policy_assignment_change",)
    assert alerts["alert-policyassignments-write"].target_verified is True
    assert alerts["alert-service-health"].event_classes == ("provider_health",)
    assert alerts["alert-policy-disabled"].enabled is False
    assert alerts["alert-nsg-nobody"].target_verified is False
    assert alerts["alert-nsg-nobody"].region == GLOBAL
    defender = {
        s.account: s for s in full.of(SecurityService) if s.service_kind == "threat_detection"
    }
    assert defender[GOOD_SUB].enabled and defender[GOOD_SUB].features["Arm"] == "Standard"
    assert defender[BAD_SUB].enabled is False


def test_activity_log_storage_accounts(full: Inventory) -> None:
    trails = {t.name: t for t in full.of(AuditTrail)}
    good = trails["activity-to-storage"]
    assert good.store_id == rid(
        GOOD_SUB, "rg-good", "microsoft.storage", "storageaccounts", "stactivitygood"
    )
    assert good.encrypted_cmk is True and good.store_public is False
    assert good.key_id == "https://kv-rg-good.vault.azure.net/keys/activity-log-key"
    bad = trails["archive-public"]
    assert bad.encrypted_cmk is False and bad.store_public is True and bad.key_id is None
    # a workspace is not a storage account: nothing read, nothing known
    workspace = trails["admin-only"]
    assert workspace.encrypted_cmk is None and workspace.store_public is None
    assert all(t.validated is None for t in trails.values())


def test_benchmark_assignment_per_subscription(full: Inventory, fake: FakeArm) -> None:
    found = {s.account: s for s in full.of(SecurityService) if s.service_kind == "config_recorder"}
    assert set(found) == {GOOD_SUB, BAD_SUB}
    good, bad = found[GOOD_SUB], found[BAD_SUB]
    assert good.region == GLOBAL and good.enabled is True and good.all_resources is True
    # the resource-group assignment (DoNotEnforce) is left out by atScope()
    assert list(good.features.values()) == ["Default"]
    # second page at page size 1: the nextLink was followed
    assert bad.enabled is False and list(bad.features.values()) == ["DoNotEnforce"]
    assert (
        good.id == f"/subscriptions/{GOOD_SUB}/providers/microsoft.authorization/policyassignments"
    )


def test_denied_storage_account_is_a_gap_and_leaves_the_trail_unknown(arm: FakeArm) -> None:
    arm.faults.append(deny("/microsoft.storage/storageaccounts/", GOOD_SUB))
    inv = collect(FAST)
    assert [(g.account, g.operation, g.kinds, g.reason) for g in inv.gaps] == [
        (
            GOOD_SUB,
            "Microsoft.Storage/storageAccounts/read",
            ("storage_account",),
            GapReason.ACCESS_DENIED,
        )
    ]
    trails = {t.name: t for t in inv.of(AuditTrail)}
    good = trails["activity-to-storage"]
    assert good.encrypted_cmk is None and good.store_public is None
    assert len(good.categories) == 8  # the setting itself is still there
    assert trails["archive-public"].store_public is True


def test_deleted_storage_account_is_an_error_gap(arm: FakeArm) -> None:
    arm.faults.append(Fault("/storageaccounts/stactivitybad$", 404, code="ResourceNotFound"))
    inv = collect(FAST)
    assert [(g.account, g.reason) for g in inv.gaps] == [(BAD_SUB, GapReason.ERROR)]
    assert "ResourceNotFound" in inv.gaps[0].detail
    bad = next(t for t in inv.of(AuditTrail) if t.name == "archive-public")
    assert bad.encrypted_cmk is None and bad.store_public is None


def test_denied_policy_assignments_are_a_gap(arm: FakeArm) -> None:
    arm.faults.append(deny("/microsoft.authorization/policyassignments", BAD_SUB))
    inv = collect(FAST)
    assert [(g.account, g.operation, g.kinds) for g in inv.gaps] == [
        (
            BAD_SUB,
            "Microsoft.Authorization/policyAssignments/read",
            (f"{SecurityService.kind}:config_recorder",),
        )
    ]
    recorders = [s for s in inv.of(SecurityService) if s.service_kind == "config_recorder"]
    assert [s.account for s in recorders] == [GOOD_SUB]
    paged = [r for r in arm.log() if r.path.endswith("/policyassignments")]
    assert all(r.query.get("$filter") == "atScope()" for r in paged)


def test_roles_bindings_principals(full: Inventory) -> None:
    bindings = {b.principal_id: b for b in full.of(RoleBinding)}
    owner = bindings["22222222-bbbb-4bbb-8bbb-000000000001"]
    assert owner.role_name == "Owner" and owner.admin_equivalent is True
    assert owner.scope_level == "subscription" and owner.principal_type == "user"
    foreign = bindings["22222222-bbbb-4bbb-8bbb-000000000003"]
    assert foreign.principal_type == "foreign_group" and foreign.admin_equivalent is True
    reader = bindings["11111111-aaaa-4aaa-8aaa-000000000002"]
    assert reader.role_name == "Reader" and reader.admin_equivalent is False
    sp = bindings["11111111-aaaa-4aaa-8aaa-000000000003"]
    assert sp.scope_level == "resource_group" and sp.principal_type == "service_account"
    custom = {r.name: r for r in full.of(RoleDefinition) if r.custom}
    assert custom["Super Operator"].admin_equivalent is True
    assert custom["VM Operator"].admin_equivalent is False
    assert custom["Deployment Operator"].admin_equivalent is False
    rbac_admin = bindings["22222222-bbbb-4bbb-8bbb-000000000005"]
    assert rbac_admin.role_name == "Role Based Access Control Administrator"
    assert rbac_admin.admin_equivalent is True
    vms = {v.name: v for v in full.of(ComputeInstance)}
    assert vms["vm-legacy"].identity_refs == (
        "22222222-bbbb-4bbb-8bbb-000000000006",
        "22222222-bbbb-4bbb-8bbb-000000000007",
    )
    assert vms["vm-legacy"].identity_ref == "22222222-bbbb-4bbb-8bbb-000000000006"
    kinds = {p.id: p.principal_kind for p in full.of(Principal)}
    assert kinds["22222222-bbbb-4bbb-8bbb-000000000003"] == "guest"
    assert kinds["11111111-aaaa-4aaa-8aaa-000000000001"] == "group"


def test_paging_follows_next_links_on_the_fakes_base(full: Inventory, fake: FakeArm) -> None:
    # `full` was collected at page size 1 with fresh log; role definitions come 7 a sub.
    assert sum(1 for r in full.of(RoleDefinition) if r.account == GOOD_SUB) == 7


def test_only_reads_are_sent(arm: FakeArm) -> None:
    collect(FAST)
    log = arm.log()
    assert log
    methods = Counter((r.method, "token" in r.path) for r in log)
    assert set(methods) <= {("GET", False), ("POST", True), ("GET", True)}
    assert all(r.authorized for r in log if not r.path.startswith(f"/{TENANT}"))
    assert all(r.status == 200 for r in log)
    assert any("$skiptoken" in r.query for r in log), "paging never followed a nextLink"
    assert all(r.api_version for r in log if r.path.startswith("/subscriptions"))


def test_fake_refuses_writes_and_wrong_api_versions(arm: FakeArm) -> None:
    status, _, _ = arm.handle("PUT", f"/subscriptions/{GOOD_SUB}", {}, b"")
    assert status == 405
    status, _, _ = arm.handle(
        "GET", f"/subscriptions/{GOOD_SUB}/providers/Microsoft.Compute/disks?api-version=1", {}, b""
    )
    assert status == 401  # no token: auth is checked before routing
    token = next(iter(arm._tokens))
    auth = {"authorization": f"Bearer {token}"}
    path = f"/SUBSCRIPTIONS/{GOOD_SUB}/providers/Microsoft.Compute/DISKS"
    assert arm.handle("GET", path + "?api-version=2019-01-01", auth, b"")[0] == 400
    assert arm.handle("GET", path, auth, b"")[1]["error"]["code"] == "MissingApiVersionParameter"
    assert arm.handle("GET", path + "?api-version=2026-03-02", auth, b"")[0] == 200
    assert [r.method for r in arm.log()].count("PUT") == 1


def test_denied_subscription_is_a_gap_and_the_other_is_complete(arm: FakeArm) -> None:
    arm.faults.append(deny(".", BAD_SUB))
    inv = collect(FAST)
    bad_gaps = [g for g in inv.gaps if g.account == BAD_SUB]
    assert {g.operation for g in bad_gaps} == {u.operation for u in UNITS}
    assert all(g.reason is GapReason.ACCESS_DENIED and g.region == GLOBAL for g in bad_gaps)
    assert "AuthorizationFailed" in bad_gaps[0].detail
    assert not [g for g in inv.gaps if g.account == GOOD_SUB]
    assert not [e for e in inv.entities if e.account == BAD_SUB]
    assert sum(1 for e in inv.entities if e.account == GOOD_SUB) > 50


def test_denied_operation_is_a_gap_with_its_kinds(arm: FakeArm) -> None:
    arm.faults.append(deny("/microsoft.network/networksecuritygroups$", GOOD_SUB))
    inv = collect(FAST)
    assert len(inv.gaps) == 1
    gap = inv.gaps[0]
    assert gap.operation == "Microsoft.Network/networkSecurityGroups/read"
    assert gap.kinds == (FirewallRuleSet.kind, FirewallRule.kind)
    assert gap.account == GOOD_SUB and gap.reason is GapReason.ACCESS_DENIED
    assert not [r for r in inv.of(FirewallRule) if r.account == GOOD_SUB]
    assert [r for r in inv.of(FirewallRule) if r.account == BAD_SUB]


def test_denied_sub_call_keeps_the_rest_of_its_unit(arm: FakeArm) -> None:
    arm.faults.append(deny("/microsoft.insights/actiongroups", GOOD_SUB))
    inv = collect(FAST)
    assert [(g.operation, g.kinds) for g in inv.gaps] == [
        ("Microsoft.Insights/actionGroups/read", (AlertRule.kind,))
    ]
    good = [a for a in inv.of(AlertRule) if a.account == GOOD_SUB]
    assert len(good) == 15 and all(a.target_verified is None for a in good)


def test_throttled_call_is_retried_after_retry_after(arm: FakeArm) -> None:
    arm.faults.append(throttle("/microsoft.compute/disks$", times=1, retry_after=1))
    inv = collect(AzureOptions(max_retries=2, max_workers=4))
    assert not inv.gaps
    statuses = [r.status for r in arm.log() if r.path.endswith("/microsoft.compute/disks")]
    assert statuses[0] == 429 and 200 in statuses
    assert len([d for d in inv.of(Disk) if d.managed]) == 4


def test_throttled_beyond_retries_is_a_throttled_gap(arm: FakeArm) -> None:
    arm.faults.append(Fault("/microsoft.security/pricings", 429, GOOD_SUB, retry_after=0))
    inv = collect(FAST)
    assert [(g.operation, g.reason) for g in inv.gaps] == [
        ("Microsoft.Security/pricings/read", GapReason.THROTTLED)
    ]


def test_unregistered_provider_is_not_enabled(arm: FakeArm) -> None:
    arm.faults.append(not_registered("/microsoft.security/", BAD_SUB))
    arm.faults.append(Fault("/microsoft.insights/activitylogalerts", 500, BAD_SUB))
    inv = collect(FAST)
    reasons = {g.operation: g.reason for g in inv.gaps}
    assert reasons == {
        "Microsoft.Security/pricings/read": GapReason.NOT_ENABLED,
        "Microsoft.Insights/activityLogAlerts/read": GapReason.ERROR,
    }


def test_named_subscriptions(arm: FakeArm) -> None:
    inv = collect(AzureOptions(subscriptions=(GOOD_SUB.upper(),), max_retries=0))
    assert [s.account for s in inv.scopes] == [GOOD_SUB]
    assert {e.account for e in inv.entities} == {GOOD_SUB}
    with pytest.raises(ConfigurationError, match="not visible"):
        collect(AzureOptions(subscriptions=(FOREIGN_SUB,), max_retries=0))


def test_disabled_subscriptions_are_skipped_unless_named() -> None:
    scenario = good_and_bad()
    scenario.subscriptions[1].state = "Disabled"
    with FakeArm(scenario) as other, patched_environment(other.env()):
        assert [s.account for s in collect(FAST).scopes] == [GOOD_SUB]
        named = collect(AzureOptions(subscriptions=(BAD_SUB,), max_retries=0))
        assert [s.account for s in named.scopes] == [BAD_SUB]


def test_tenant_option_requests_tokens_of_that_tenant(arm: FakeArm) -> None:
    other = "0f0f0f0f-1111-4222-8333-444455556666"
    inv = collect(AzureOptions(tenant=other, subscriptions=(GOOD_SUB,), max_retries=0))
    assert not inv.gaps
    token_paths = [r.path for r in arm.log() if r.path.endswith("/token")]
    assert token_paths == [f"/{other}/oauth2/v2.0/token"]


def test_no_credential_is_exit_2_with_one_line(fake: FakeArm) -> None:
    with patched_environment({}, unset=("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET")):
        result = CliRunner().invoke(cli, ["scan", "azure"], catch_exceptions=False)
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert errors == [
        "cldscan: error: no Azure credential found: set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
        "AZURE_CLIENT_SECRET for a service principal, run on a managed identity, or log in "
        "with `az login`"
    ]
    assert "Traceback" not in result.output + result.stderr


def _scan_errors(env: dict[str, str]) -> tuple[int, list[str], str]:
    with patched_environment(env):
        result = CliRunner().invoke(
            cli, ["scan", "azure", "--max-retries", "0"], catch_exceptions=False
        )
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    return result.exit_code, errors, result.output + result.stderr


def test_wrong_client_secret_is_a_login_failure_not_a_missing_credential(fake: FakeArm) -> None:
    code, errors, output = _scan_errors({"AZURE_CLIENT_SECRET": "not-the-secret"})
    assert code == 2 and len(errors) == 1, errors
    assert errors[0].startswith("cldscan: error: Azure login failed: ")
    assert "AADSTS7000215" in errors[0] and "AZURE_CLIENT_ID" in errors[0]
    assert "no Azure credential found" not in errors[0]
    assert "not-the-secret" not in output and "Traceback" not in output


def test_unreachable_login_host_is_a_login_failure(fake: FakeArm) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"https://127.0.0.1:{sock.getsockname()[1]}"
    code, errors, output = _scan_errors({"AZURE_AUTHORITY_HOST": closed})
    assert code == 2 and len(errors) == 1, errors
    assert errors[0].startswith("cldscan: error: Azure login failed: ")
    assert f"login host {closed} is reachable" in errors[0]
    assert "Traceback" not in output


def test_cli_collect_azure_writes_a_snapshot(arm: FakeArm, tmp_path: Path) -> None:
    out = tmp_path / "azure.json"
    result = CliRunner().invoke(
        cli,
        ["collect", "azure", "--subscription", BAD_SUB, "--max-retries", "0", "-o", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    snap = json.loads(out.read_text())
    assert [s["account"] for s in snap["scopes"]] == [BAD_SUB]
    assert any(e["kind"] == "compute_instance" for e in snap["entities"])
