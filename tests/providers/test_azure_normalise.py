"""Azure normalisers on example payloads, deserialised by the real SDK model classes.

Two payloads are Microsoft's own ARM examples (Azure/azure-rest-api-specs, trimmed):
``.../Microsoft.Network/stable/2024-05-01/examples/NetworkSecurityGroupList.json``
(commit 256831647a1e) and ``.../Microsoft.Insights/preview/2021-05-01-preview/examples/
listSubscriptionDiagnosticSettings.json`` (commit be7e7990d4bc).
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceResponseTimeoutError
from azure.mgmt.authorization.v2022_04_01.models import RoleAssignment, RoleDefinition
from azure.mgmt.compute.models import Disk, VirtualMachine
from azure.mgmt.monitor.models import ActionGroupResource, ActivityLogAlertResource
from azure.mgmt.network.models import (
    NetworkInterface,
    NetworkSecurityGroup,
    SecurityRule,
    VirtualNetwork,
)

from fixtures.azure import arm
from providers.azure.errors import classify
from providers.azure.normalise import compute, identity, monitor, network
from scanner.inventory import (
    ALL_PORTS,
    GLOBAL,
    FirewallRule,
    GapReason,
    NetworkPeering,
    PortRange,
    Subnet,
)

SUB = "fb9f25f9-5785-4510-a38f-a62f188eb9f8"


def _default_rule(nsg: str, name: str, priority: int, direction: str, access: str) -> Any:
    return {
        "name": name,
        "id": f"{nsg}/defaultSecurityRules/{name}",
        "properties": {
            "provisioningState": "Succeeded",
            "protocol": "*",
            "sourcePortRange": "*",
            "destinationPortRange": "*",
            "sourceAddressPrefix": "*",
            "destinationAddressPrefix": "*",
            "access": access,
            "priority": priority,
            "direction": direction,
        },
    }


MS_NSG = {
    "name": "nsg1",
    "id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/"
    "networkSecurityGroups/nsg1",
    "type": "Microsoft.Network/networkSecurityGroups",
    "location": "westus",
    "properties": {
        "provisioningState": "Succeeded",
        "securityRules": [],
        "defaultSecurityRules": [
            _default_rule(
                "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/"
                "networkSecurityGroups/nsg1",
                "DenyAllInBound",
                65500,
                "Inbound",
                "Deny",
            )
        ],
    },
}
MS_DIAGNOSTIC_SETTING = {
    "id": f"subscriptions/{SUB}/providers/AzureResourceManager/diagnosticSettings/ds4",
    "type": None,
    "name": "ds4",
    "properties": {
        "storageAccountId": f"/subscriptions/{SUB}/resourceGroups/apptest/providers/"
        "Microsoft.Storage/storageAccounts/appteststorage1",
        "workspaceId": f"/subscriptions/{SUB}/resourceGroups/apptest/providers/"
        "Microsoft.OperationalInsights/workspaces/test1",
        "logs": [{"categoryGroup": "allLogs", "enabled": True}],
    },
}


def test_microsoft_nsg_example_default_rules() -> None:
    entities = list(network.security_group(NetworkSecurityGroup(MS_NSG), SUB))
    group, rule = entities
    assert group.id == str(MS_NSG["id"]).lower() and group.region == "westus"
    assert isinstance(rule, FirewallRule)
    assert rule.id.endswith("/defaultsecurityrules/denyallinbound")
    assert (rule.action, rule.direction, rule.priority, rule.protocol) == (
        "deny",
        "ingress",
        65500,
        "all",
    )
    assert rule.ports == (ALL_PORTS,) and rule.source_is_world and not rule.admits_world()


def test_microsoft_diagnostic_setting_example_all_logs() -> None:
    trail = monitor.diagnostic_setting(MS_DIAGNOSTIC_SETTING, SUB)
    assert trail.categories == monitor.ACTIVITY_LOG_CATEGORIES
    assert trail.logging and trail.mgmt_write and trail.region == GLOBAL
    assert trail.store_id.endswith("/storageaccounts/appteststorage1")
    assert trail.id.startswith("subscriptions/")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"destinationPortRange": "*"}, (ALL_PORTS,)),
        ({"destinationPortRange": "22"}, (PortRange(22, 22),)),
        ({"destinationPortRange": "1000-2000"}, (PortRange(1000, 2000),)),
        (
            {"destinationPortRanges": ["22", "3389", "8000-8080"]},
            (PortRange(22, 22), PortRange(3389, 3389), PortRange(8000, 8080)),
        ),
        ({"destinationPortRanges": ["443", "*"]}, (ALL_PORTS,)),
    ],
)
def test_port_ranges(fields: dict[str, Any], expected: tuple[PortRange, ...]) -> None:
    assert network.parse_ports(SecurityRule({"properties": fields})) == expected


@pytest.mark.parametrize(
    ("source", "world"),
    [
        ("*", True),
        ("Internet", True),
        ("0.0.0.0/0", True),
        ("Any", True),
        ("::/0", True),
        ("VirtualNetwork", False),
        ("10.0.0.0/8", False),
        ("AzureLoadBalancer", False),
    ],
)
def test_world_sources(source: str, world: bool) -> None:
    nsg_id = arm.rid(SUB, "rg", "Microsoft.Network", "networkSecurityGroups", "n")
    body = arm.nsg(
        SUB,
        "rg",
        "n",
        location="West Europe",
        rules=[arm.rule(nsg_id, "r", priority=100, source=source, ports="22")],
    )
    rule = next(
        e
        for e in network.security_group(NetworkSecurityGroup(body), SUB)
        if isinstance(e, FirewallRule) and e.name == "r"
    )
    assert rule.source_is_world is world
    assert rule.region == "westeurope"


def test_vm_standard_security_and_windows_login() -> None:
    body = arm.vm(
        SUB, "rg", "w", location="eastus", nic_ids=["/x/nic"], os_type="Windows", security_type=None
    )
    vm = compute.virtual_machine(VirtualMachine(body), SUB, "vm running")
    assert vm.security_type == "Standard" and vm.secure_boot is False and vm.vtpm is False
    assert vm.login.password_auth is None and vm.os_type == "windows"
    assert (
        vm.image_ref == "MicrosoftWindowsServer:WindowsServer:2022-datacenter-azure-edition:latest"
    )
    assert vm.network_interface_ids == ("/x/nic",)


def test_trusted_launch_without_flags_is_unknown_not_off() -> None:
    body = arm.vm(
        SUB,
        "rg",
        "t",
        location="eastus",
        nic_ids=[],
        secure_boot=None,
        vtpm=None,
        password_auth_disabled=None,
    )
    vm = compute.virtual_machine(VirtualMachine(body), SUB)
    assert vm.security_type == "TrustedLaunch" and vm.secure_boot is None and vm.vtpm is None
    assert vm.login.password_auth is None
    assert compute.power_state(body["properties"]["instanceView"]["statuses"]) == "vm running"
    assert compute.power_state([]) == ""


def test_disk_public_access_and_keys() -> None:
    def disk(**kw: Any) -> Any:
        return compute.managed_disk(
            Disk(arm.managed_disk(SUB, "rg", "d", location="eastus", managed_by=None, **kw)), SUB
        )

    assert disk(access="AllowAll", public_access="Enabled").public_access is True
    assert disk(access="AllowAll", public_access="Disabled").public_access is False
    assert disk(access="AllowPrivate").public_access is False
    assert disk(customer_key=False).key_type == "provider"
    assert disk().key_type == "customer" and disk().attached_to == ()
    body = arm.managed_disk(SUB, "rg", "d", location="eastus", managed_by=None)
    del body["properties"]["networkAccessPolicy"]
    assert compute.managed_disk(Disk(body), SUB).public_access is None


def test_nic_uses_public_ip_id_when_address_unknown() -> None:
    vnet = arm.rid(SUB, "rg", "Microsoft.Network", "virtualNetworks", "v")
    subnet = f"{vnet}/subnets/s"
    pip = arm.rid(SUB, "rg", "Microsoft.Network", "publicIPAddresses", "p")
    body = arm.nic(
        SUB, "rg", "n", location="eastus", subnet_id=subnet, vm_id=None, public_ip_id=pip
    )
    nic = network.network_interface(NetworkInterface(body), SUB, {})
    assert nic.public_ips == (pip.lower(),)
    assert nic.network_id == subnet.lower().rsplit("/subnets/", 1)[0]
    nic = network.network_interface(NetworkInterface(body), SUB, {pip.lower(): "1.2.3.4"})
    assert nic.public_ips == ("1.2.3.4",) and nic.attached_to is None


def test_vnet_subnets_and_peering() -> None:
    body = arm.vnet(
        SUB,
        "rg",
        "v",
        location="eastus",
        prefixes=["10.0.0.0/16"],
        subnets=[("AzureBastionSubnet", "10.0.1.0/26", None)],
    )
    body["properties"]["virtualNetworkPeerings"] = [
        arm.peering(
            body["id"],
            "p",
            "/subscriptions/OTHER/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/x",
            ["192.168.0.0/16"],
        )
    ]
    entities = list(network.virtual_network(VirtualNetwork(body), SUB))
    subnet = next(e for e in entities if isinstance(e, Subnet))
    assert subnet.purpose == "AzureBastionSubnet" and subnet.network_id == body["id"].lower()
    peering = entities[-1]
    assert isinstance(peering, NetworkPeering)
    assert peering.peer_account == "other" and peering.transit is False


def test_alert_event_classes_and_receivers() -> None:
    group = arm.action_group(SUB, "rg", "ag", emails=["a@example.com"])
    empty = arm.action_group(SUB, "rg", "ag2")
    body = arm.activity_alert(
        SUB,
        "rg",
        "a",
        operation="Microsoft.Network/publicIPAddresses/DELETE",
        action_group_ids=[group["id"].upper()],
    )
    alert = ActivityLogAlertResource.deserialize(body)
    groups = {group["id"].lower(): ActionGroupResource.deserialize(group)}
    rule = monitor.activity_log_alert(alert, SUB, groups)
    assert rule.event_classes == ("public_ip_change",) and rule.target_verified is True
    assert rule.match_expr == (
        "category=Administrative && operationName=Microsoft.Network/publicIPAddresses/DELETE"
    )
    assert monitor.activity_log_alert(alert, SUB, None).target_verified is None
    assert (
        monitor.activity_log_alert(
            alert, SUB, {group["id"].lower(): ActionGroupResource.deserialize(empty)}
        ).target_verified
        is False
    )
    read_only = arm.activity_alert(
        SUB, "rg", "b", operation="Microsoft.Network/publicIPAddresses/read"
    )
    assert (
        monitor.activity_log_alert(
            ActivityLogAlertResource.deserialize(read_only), SUB, {}
        ).event_classes
        == ()
    )


def test_roles_and_scope_levels() -> None:
    role = identity.role_definition(
        RoleDefinition.deserialize(
            arm.role_definition(SUB, "x", name="Any", custom=True, actions=["*"])
        ),
        SUB,
    )
    assert role.custom and role.admin_equivalent and role.name == "Any"
    contributor = identity.role_definition(
        RoleDefinition.deserialize(arm.role_definition(SUB, arm.CONTRIBUTOR)), SUB
    )
    assert contributor.admin_equivalent is False and contributor.not_permissions
    body = arm.role_assignment(
        SUB,
        "g",
        role_guid=arm.OWNER,
        principal_id="ABC",
        principal_type="ServicePrincipal",
        scope=f"/subscriptions/{SUB}/resourceGroups/rg/providers/"
        "Microsoft.Compute/virtualMachines/v",
    )
    binding = identity.role_assignment(RoleAssignment.deserialize(body), SUB)
    assert binding.scope_level == "resource" and binding.principal_type == "service_account"
    assert binding.principal_id == "abc" and binding.admin_equivalent is None
    assert identity.scope_level("/providers/Microsoft.Management/managementGroups/mg") == (
        "management_group"
    )
    assert identity.scope_level(f"/subscriptions/{SUB}/resourceGroups/rg") == "resource_group"


def test_classifier() -> None:
    def http(status: int, code: str, message: str = "m") -> HttpResponseError:
        exc = HttpResponseError(message=message)
        exc.status_code = status
        exc.error = type("E", (), {"code": code, "message": message})()  # type: ignore[assignment]
        return exc

    assert classify(http(403, "AuthorizationFailed"))[0] is GapReason.ACCESS_DENIED
    assert classify(http(429, "TooManyRequests"))[0] is GapReason.THROTTLED
    assert classify(http(409, "MissingSubscriptionRegistration"))[0] is GapReason.NOT_ENABLED
    assert (
        classify(http(400, "X", "The subscription is not registered to use namespace"))[0]
        is GapReason.NOT_ENABLED
    )
    assert classify(http(500, "InternalServerError"))[0] is GapReason.ERROR
    assert classify(ServiceResponseTimeoutError("slow"))[0] is GapReason.TIMED_OUT
    _, detail = classify(http(403, "AuthorizationFailed", "no\naccess"))
    assert detail == "HTTP 403 AuthorizationFailed: no access"
