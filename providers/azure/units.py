"""The collection units of one subscription: one per ARM list operation."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat

from providers.azure.errors import classify
from providers.azure.normalise import compute, identity, monitor, network
from providers.azure.normalise.common import PROVIDER, get, lid, subscription_of
from providers.azure.session import AzureSession
from scanner.inventory import (
    GLOBAL,
    AlertRule,
    AuditTrail,
    ComputeInstance,
    Disk,
    Entity,
    FirewallRule,
    FirewallRuleSet,
    FlowLogConfig,
    Gap,
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

Item = Entity | Gap
DIAGNOSTIC_SETTINGS_API = "2021-05-01-preview"
STORAGE_ACCOUNT = "storage_account"
"""Gap kind of an unreadable log storage account: no entity of its own, it leaves the
AuditTrail's ``encrypted_cmk`` / ``store_public`` unknown (ERROR in the check reading
them) without withdrawing what other checks judge on the same diagnostic settings."""


@dataclass(frozen=True)
class Env:
    session: AzureSession
    sub: str

    def client(self, cls: type[Any]) -> Any:
        return self.session.client(cls, self.sub)

    def gap(self, exc: BaseException, operation: str, kinds: tuple[str, ...]) -> Gap:
        reason, detail = classify(exc)
        return Gap(PROVIDER, self.sub, GLOBAL, operation, kinds, reason, detail)


@dataclass(frozen=True)
class UnitSpec:
    operation: str
    """The ARM permission the call needs, e.g. ``Microsoft.Compute/virtualMachines/read``."""
    kinds: tuple[str, ...]
    run: Callable[[Env], Iterator[Item]]


def _compute(env: Env) -> Any:
    from azure.mgmt.compute import ComputeManagementClient

    return env.client(ComputeManagementClient)


def _network(env: Env) -> Any:
    from azure.mgmt.network import NetworkManagementClient

    return env.client(NetworkManagementClient)


def virtual_machines(env: Env) -> Iterator[Item]:
    client = _compute(env)
    models = list(client.virtual_machines.list_all())
    states: dict[str, str] = {}
    try:
        for vm in client.virtual_machines.list_all(status_only="true"):
            states[lid(vm.id)] = compute.power_state(get(vm, "instance_view", "statuses"))
    except HttpResponseError as exc:
        yield env.gap(
            exc, "Microsoft.Compute/virtualMachines/instanceView/read", (ComputeInstance.kind,)
        )
    for vm in models:
        yield compute.virtual_machine(vm, env.sub, states.get(lid(vm.id), ""))
        yield from compute.unmanaged_disks(vm, env.sub)


def disks(env: Env) -> Iterator[Item]:
    for disk in _compute(env).disks.list():
        yield compute.managed_disk(disk, env.sub)


def snapshots(env: Env) -> Iterator[Item]:
    for snap in _compute(env).snapshots.list():
        yield compute.snapshot(snap, env.sub)


def images(env: Env) -> Iterator[Item]:
    for img in _compute(env).images.list():
        yield compute.image(img, env.sub)


def network_interfaces(env: Env) -> Iterator[Item]:
    client = _network(env)
    nics = list(client.network_interfaces.list_all())
    addresses: dict[str, str | None] = {}
    try:
        for pip in client.public_ip_addresses.list_all():
            addresses[lid(pip.id)] = get(pip, "ip_address")
    except HttpResponseError as exc:
        # The NICs still say which public IP resources they hold: their ids stand in.
        yield env.gap(
            exc,
            "Microsoft.Network/publicIPAddresses/read",
            (NetworkInterface.kind, ComputeInstance.kind),
        )
    for nic in nics:
        yield network.network_interface(nic, env.sub, addresses)


def security_groups(env: Env) -> Iterator[Item]:
    for group in _network(env).network_security_groups.list_all():
        yield from network.security_group(group, env.sub)


def virtual_networks(env: Env) -> Iterator[Item]:
    for vnet in _network(env).virtual_networks.list_all():
        yield from network.virtual_network(vnet, env.sub)


def watchers_and_flow_logs(env: Env) -> Iterator[Item]:
    client = _network(env)
    for watcher in client.network_watchers.list_all():
        yield network.network_watcher(watcher, env.sub)
        parts = lid(watcher.id).split("/")
        group = parts[parts.index("resourcegroups") + 1]
        try:
            for flow in client.flow_logs.list(group, watcher.name):
                yield network.flow_log(flow, env.sub)
        except HttpResponseError as exc:
            yield env.gap(
                exc, "Microsoft.Network/networkWatchers/flowLogs/read", (FlowLogConfig.kind,)
            )


def diagnostic_settings(env: Env) -> Iterator[Item]:
    """Subscription diagnostic settings: absent from azure-mgmt-monitor 7, so a raw GET
    through an SDK client's own pipeline (same credential, TLS and retry policy). Each
    setting exporting to a storage account takes its encryption and public access from
    that account."""
    from azure.mgmt.resource.subscriptions import SubscriptionClient

    request = HttpRequest(
        "GET",
        f"/subscriptions/{env.sub}/providers/Microsoft.Insights/diagnosticSettings",
        params={"api-version": DIAGNOSTIC_SETTINGS_API},
    )
    response = env.session.client(SubscriptionClient).send_request(request)
    if response.status_code != 200:
        raise HttpResponseError(response=response, error_format=ARMErrorFormat)
    settings = list(response.json().get("value") or ())
    accounts: dict[str, dict[str, Any]] = {}
    for setting in settings:
        account_id = str((setting.get("properties") or {}).get("storageAccountId") or "")
        if account_id and lid(account_id) not in accounts:
            facts = yield from _storage_account(env, account_id)
            accounts[lid(account_id)] = facts
    for setting in settings:
        trail = monitor.diagnostic_setting(setting, env.sub)
        found = accounts.get(lid((setting.get("properties") or {}).get("storageAccountId")))
        yield replace(trail, **found) if found else trail


def _storage_account(env: Env, account_id: str) -> Generator[Item, None, dict[str, Any]]:
    """The storage account's facts; a gap (and no facts: the trail's fields stay None)
    if it cannot be read."""
    from azure.mgmt.storage import StorageManagementClient

    parts = account_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    try:
        group = parts[lowered.index("resourcegroups") + 1]
        name = parts[lowered.index("storageaccounts") + 1]
    except (ValueError, IndexError):
        return {}
    client = env.session.client(StorageManagementClient, subscription_of(account_id) or env.sub)
    try:
        account = client.storage_accounts.get_properties(group, name)
    except AzureError as exc:  # HTTP errors and timeouts alike; classify() tells them apart
        yield env.gap(exc, "Microsoft.Storage/storageAccounts/read", (STORAGE_ACCOUNT,))
        return {}
    return monitor.storage_account_facts(account)


def activity_log_alerts(env: Env) -> Iterator[Item]:
    from azure.mgmt.monitor import MonitorManagementClient

    client = env.client(MonitorManagementClient)
    alerts = list(client.activity_log_alerts.list_by_subscription_id())
    groups: dict[str, Any] | None = None
    try:
        groups = {lid(g.id): g for g in client.action_groups.list_by_subscription_id()}
    except HttpResponseError as exc:
        yield env.gap(exc, "Microsoft.Insights/actionGroups/read", (AlertRule.kind,))
    for alert in alerts:
        yield monitor.activity_log_alert(alert, env.sub, groups)


def _authorization(env: Env) -> Any:
    from azure.mgmt.authorization import AuthorizationManagementClient

    return env.client(AuthorizationManagementClient)


def role_definitions(env: Env) -> Iterator[Item]:
    for role in _authorization(env).role_definitions.list(f"/subscriptions/{env.sub}"):
        yield identity.role_definition(role, env.sub)


def role_assignments(env: Env) -> Iterator[Item]:
    bindings = [
        identity.role_assignment(a, env.sub)
        for a in _authorization(env).role_assignments.list_for_subscription()
    ]
    yield from bindings
    yield from identity.principals(bindings)


def policy_assignments(env: Env) -> Iterator[Item]:
    from azure.mgmt.resource.policy import PolicyClient

    # atScope(): assignments that apply to the subscription itself (management groups
    # above included), not those on resource groups or resources inside it.
    assignments = env.client(PolicyClient).policy_assignments.list(filter="atScope()")
    yield monitor.policy_benchmark(list(assignments), env.sub)


def defender_plans(env: Env) -> Iterator[Item]:
    from azure.mgmt.security import SecurityCenter

    listing = env.client(SecurityCenter).pricings.list(f"subscriptions/{env.sub}")
    yield monitor.defender_pricings(get(listing, "value") or (), env.sub)


UNITS: tuple[UnitSpec, ...] = (
    UnitSpec(
        "Microsoft.Compute/virtualMachines/read",
        (ComputeInstance.kind, Disk.kind),
        virtual_machines,
    ),
    UnitSpec("Microsoft.Compute/disks/read", (Disk.kind,), disks),
    UnitSpec("Microsoft.Compute/snapshots/read", (Snapshot.kind,), snapshots),
    UnitSpec("Microsoft.Compute/images/read", (MachineImage.kind,), images),
    UnitSpec(
        "Microsoft.Network/networkInterfaces/read",
        (NetworkInterface.kind, ComputeInstance.kind),
        network_interfaces,
    ),
    UnitSpec(
        "Microsoft.Network/networkSecurityGroups/read",
        (FirewallRuleSet.kind, FirewallRule.kind),
        security_groups,
    ),
    UnitSpec(
        "Microsoft.Network/virtualNetworks/read",
        (Network.kind, Subnet.kind, NetworkPeering.kind),
        virtual_networks,
    ),
    UnitSpec(
        "Microsoft.Network/networkWatchers/read",
        (f"{SecurityService.kind}:network_watcher", FlowLogConfig.kind),
        watchers_and_flow_logs,
    ),
    UnitSpec("Microsoft.Insights/diagnosticSettings/read", (AuditTrail.kind,), diagnostic_settings),
    UnitSpec("Microsoft.Insights/activityLogAlerts/read", (AlertRule.kind,), activity_log_alerts),
    UnitSpec(
        "Microsoft.Authorization/roleDefinitions/read",
        (RoleDefinition.kind, RoleBinding.kind),
        role_definitions,
    ),
    UnitSpec(
        "Microsoft.Authorization/roleAssignments/read",
        (RoleBinding.kind, Principal.kind),
        role_assignments,
    ),
    UnitSpec(
        "Microsoft.Security/pricings/read",
        (f"{SecurityService.kind}:threat_detection",),
        defender_plans,
    ),
    UnitSpec(
        "Microsoft.Authorization/policyAssignments/read",
        (f"{SecurityService.kind}:config_recorder",),
        policy_assignments,
    ),
)
